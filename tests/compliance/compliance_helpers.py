"""Helpers for the compliance tests: declarations built from small dicts."""

from __future__ import annotations

import os
import warnings
from copy import deepcopy
from typing import Any

from friendshore.compliance.declaration import Declaration

with warnings.catch_warnings():
    # starlette's test client warns (once, at import) that it would rather use httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["EVIDENCE", "PG_ADMIN", "SUPPLIER", "TestClient", "make_declaration", "make_lot"]

PG_ADMIN = os.environ.get(
    "FRIENDSHORE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

SUPPLIER: dict[str, Any] = {
    "name": "Example Extractor",
    "role": "extractor",
    "country": "AUS",
    "government_holdings": [],
}
EVIDENCE: dict[str, Any] = {
    "standard": "IRMA",
    "certificate_id": "IRMA-T-1",
    "valid_from": "2024-01-01",
    "valid_to": "2026-12-31",
    "oecd_steps": [1, 2, 3, 4, 5],
}


def make_lot(**fields: Any) -> dict[str, Any]:
    """A lithium lot (AUS extraction, USA processing, one clean supplier, a valid audit)."""
    lot: dict[str, Any] = {
        "mineral": "lithium",
        "mass_kg": 1.0,
        "value_usd": 100.0,
        "extraction_country": "AUS",
        "processing_country": "USA",
        "suppliers": [deepcopy(SUPPLIER)],
        "evidence": [deepcopy(EVIDENCE)],
    }
    for key in ("extraction", "processing"):
        if key in fields:
            lot.pop(f"{key}_country")
    lot.update(fields)
    return lot


def make_declaration(*lots: dict[str, Any], declared_on: str = "2025-03-01") -> Declaration:
    """A declaration of the given lots (ids L1, L2, … when not set)."""
    items = []
    for i, lot in enumerate(lots or (make_lot(),), start=1):
        item = dict(lot)
        item.setdefault("id", f"L{i}")
        if lots and "id" not in lot:
            item["id"] = f"L{i}"
        items.append(item)
    return Declaration.model_validate(
        {
            "id": "DEC-TEST",
            "illustrative": True,
            "declared_on": declared_on,
            "applicant": {"id": "acme", "name": "Acme (test)", "country": "DEU"},
            "product": {"name": "test product"},
            "lots": items,
        }
    )
