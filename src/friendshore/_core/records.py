"""JSON-ready records of frames: what every payload builder (CLI and API alike) returns."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["frame_records", "plain"]


def plain(value: Any) -> Any:
    """Return ``value`` as a JSON-ready Python object (NaN, NA and NaT → ``None``).

    numpy scalars become Python scalars, dates and timestamps ISO 8601 strings,
    lists and tuples lists of plain values. Infinite floats are kept (a
    result may mean "infinitely elastic"); :func:`finite` turns them into
    ``None`` where a document is written as JSON, which has no infinity.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return ``frame`` as JSON-ready records (column names as keys, missing → ``None``)."""
    cols = [str(c) for c in frame.columns]
    return [
        {c: plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def finite(document: Any) -> Any:
    """Return ``document`` with every non-finite float (inf, -inf, NaN) as ``None``, at any depth.

    JSON has no infinity: the CLI and the API write ``null`` alike, and where
    ``null`` means "infinite" (an infinitely elastic export supply in SMART)
    the field's documentation says so.
    """
    if isinstance(document, float):
        return document if math.isfinite(document) else None
    if isinstance(document, dict):
        return {k: finite(v) for k, v in document.items()}
    if isinstance(document, list | tuple):
        return [finite(v) for v in document]
    return document
