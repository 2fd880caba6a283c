"""The assessment of the default zone from the session store, for the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from friendshore.metrics.assessment import Assessment, assess
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone

YEAR = 2024


@pytest.fixture(scope="session")
def assessment(store_path: Path) -> Assessment:
    """An assessment of the default zone, up to 2024, from the session store."""
    return assess(SupplyNetwork.from_store(store_path), default_zone(), year=YEAR)
