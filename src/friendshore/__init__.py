"""friendshore: a preferential trade zone for critical minerals, on real data.

The library gives the same functions the CLI calls::

    import friendshore as fs

    fs.build_store()                      # from the bundled data
    fs.sql("SELECT * FROM production_latest WHERE mineral_id = 'rare_earths'")
    fs.minerals()
    fs.assess().summary                   # the zone dependency assessment
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from friendshore._core.errors import (
    DataError,
    FriendshoreError,
    InfeasibleError,
    InputError,
    StoreError,
    UnknownCountryError,
    ValidationError,
)
from friendshore.data.catalog import read_hs_concordance, read_minerals
from friendshore.data.imports import import_baci, import_usgs_mcs, import_wgi
from friendshore.data.store import (
    BuildReport,
    TableStatus,
    build_store,
    default_store_path,
    store_status,
)
from friendshore.data.store import query as _query
from friendshore.metrics.assessment import Assessment
from friendshore.metrics.assessment import assess as _assess
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

__version__ = "0.1.0"


def sql(query: str, *, store: str | Path | None = None) -> pd.DataFrame:
    """Run a read-only SQL query on the store (default location unless ``store``)."""
    return _query(Path(store) if store is not None else default_store_path(), query)


def assess(
    zone: Zone | str | Path | None = None,
    *,
    year: int | None = None,
    store: str | Path | None = None,
) -> Assessment:
    """Assess a zone (default: USA, MEX, EU27, JPN) on the store; see docs/assessment.md.

    ``zone`` is a :class:`Zone` or the path of a zone file (TOML).
    """
    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    network = SupplyNetwork.from_store(Path(store) if store is not None else default_store_path())
    return _assess(network, zone, year=year)


def minerals() -> pd.DataFrame:
    """Return the mineral catalog."""
    return read_minerals()


__all__ = [
    "Assessment",
    "BuildReport",
    "DataError",
    "FriendshoreError",
    "InfeasibleError",
    "InputError",
    "StoreError",
    "TableStatus",
    "UnknownCountryError",
    "ValidationError",
    "Zone",
    "assess",
    "build_store",
    "default_store_path",
    "import_baci",
    "import_usgs_mcs",
    "import_wgi",
    "minerals",
    "read_hs_concordance",
    "sql",
    "store_status",
]
