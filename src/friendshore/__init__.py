"""friendshore: a preferential trade zone for critical minerals, on real data.

The library gives the same functions the CLI calls::

    import friendshore as fs

    fs.build_store()                      # from the bundled data
    fs.sql("SELECT * FROM production_latest WHERE mineral_id = 'rare_earths'")
    fs.minerals()
    fs.assess().summary                   # the zone dependency assessment
    fs.prices(mineral="cobalt")           # published prices, in US$/t with their source
    fs.floor("mp-ndpr", cfd=True).totals  # a price floor against a contract for differences
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from friendshore._core.errors import (
    DataError,
    FriendshoreError,
    InfeasibleError,
    InputError,
    StoreError,
    UnknownCountryError,
    ValidationError,
)

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.data.catalog import read_hs_concordance
    from friendshore.data.imports import import_baci, import_usgs_mcs, import_wgi
    from friendshore.data.store import (
        BuildReport,
        TableStatus,
        build_store,
        default_store_path,
        store_status,
    )
    from friendshore.metrics.assessment import Assessment
    from friendshore.model.zone import Zone
    from friendshore.policy.floors import FloorResult

# Public names loaded on first use, so that ``import friendshore`` (and every CLI
# start-up, ``friendshore --help`` included) does not load pandas, DuckDB & co.
_LAZY: dict[str, str] = {
    "Assessment": "friendshore.metrics.assessment",
    "BuildReport": "friendshore.data.store",
    "TableStatus": "friendshore.data.store",
    "Zone": "friendshore.model.zone",
    "build_store": "friendshore.data.store",
    "default_store_path": "friendshore.data.store",
    "import_baci": "friendshore.data.imports",
    "import_usgs_mcs": "friendshore.data.imports",
    "import_wgi": "friendshore.data.imports",
    "read_hs_concordance": "friendshore.data.catalog",
    "store_status": "friendshore.data.store",
    # not in __all__, kept for code that used them
    "SupplyNetwork": "friendshore.model.supply",
    "default_zone": "friendshore.model.zone",
    "read_minerals": "friendshore.data.catalog",
}


def __getattr__(name: str) -> Any:
    """Load a public name (:data:`_LAZY`) from its module on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'friendshore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"


def sql(query: str, *, store: str | Path | None = None) -> pd.DataFrame:
    """Run a read-only SQL query on the store (default location unless ``store``)."""
    from friendshore.data.store import default_store_path
    from friendshore.data.store import query as _query

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
    from friendshore.data.store import default_store_path
    from friendshore.metrics.assessment import assess as _assess
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone, default_zone

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    network = SupplyNetwork.from_store(Path(store) if store is not None else default_store_path())
    return _assess(network, zone, year=year)


def prices(
    *,
    mineral: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    annual: bool = True,
    store: str | Path | None = None,
) -> pd.DataFrame:
    """Return the ``prices`` table: USGS MCS salient prices and the World Bank Pink Sheet.

    Each row keeps the price as published (``value``, ``unit``) and in US$ per
    metric ton (``usd_per_t``) with its file and line; ``annual`` averages the
    monthly Pink Sheet series per year (see docs/data.md).
    """
    from friendshore.data.queries import annual_prices, read_prices
    from friendshore.data.store import default_store_path

    read = annual_prices if annual else read_prices
    path = Path(store) if store is not None else default_store_path()
    return read(path, mineral=mineral, stage=stage, source=source)


def floor(
    reference: str | Path = "mp-ndpr",
    *,
    mode: Literal["uniform", "per-origin", "min-price-quota"] = "uniform",
    years: Sequence[int] | None = None,
    cfd: bool = False,
    zone: Zone | str | Path | None = None,
    store: str | Path | None = None,
) -> FloorResult:
    """Run a price floor: a shipped reference file id (``mp-ndpr``, ``illustrative``) or a path.

    Returns the levies per member × origin × year, the market effects and, with
    ``cfd``, the contract for differences (see docs/floors.md).
    """
    from friendshore.data.store import default_store_path
    from friendshore.model.zone import Zone, default_zone
    from friendshore.policy.floors import run_floor
    from friendshore.policy.reference import load_reference_file

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    path = Path(store) if store is not None else default_store_path()
    ref = load_reference_file(reference)
    return run_floor(ref, path, zone, mode=mode, years=years, cfd=cfd)


def minerals() -> pd.DataFrame:
    """Return the mineral catalog."""
    from friendshore.data.catalog import read_minerals

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
    "floor",
    "import_baci",
    "import_usgs_mcs",
    "import_wgi",
    "minerals",
    "prices",
    "read_hs_concordance",
    "sql",
    "store_status",
]
