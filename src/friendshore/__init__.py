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
    from friendshore.scenarios.outlook import OutlookResult
    from friendshore.scenarios.stockpile import StockpileResult

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
    "resolve_mineral": "friendshore.data.names",
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

#: The environment variable that names the store, as for the CLI and the server.
STORE_ENV = "FRIENDSHORE_STORE"


def _store_path(store: str | Path | None) -> Path:
    """The store: ``store``, else ``$FRIENDSHORE_STORE``, else the default location."""
    import os

    from friendshore.data.store import default_store_path

    if store is not None:
        return Path(store)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else default_store_path()


def _mineral_ids(mineral: str | Sequence[str] | None) -> list[str] | None:
    """Catalog ids of minerals as a person types them (names, any case, synonyms), as the
    CLI and the API take them (:func:`friendshore.data.names.resolve_mineral`)."""
    from friendshore.data.names import resolve_mineral

    if mineral is None:
        return None
    typed = [mineral] if isinstance(mineral, str) else list(mineral)
    return [resolve_mineral(m).mineral_id for m in typed]


def sql(query: str, *, store: str | Path | None = None) -> pd.DataFrame:
    """Run a read-only SQL query on the store (argument, else $FRIENDSHORE_STORE, else default)."""
    from friendshore.data.store import query as _query

    return _query(_store_path(store), query)


def assess(
    zone: Zone | str | Path | None = None,
    *,
    year: int | None = None,
    store: str | Path | None = None,
) -> Assessment:
    """Assess a zone (default: USA, MEX, EU27, JPN) on the store; see docs/assessment.md.

    ``zone`` is a :class:`Zone` or the path of a zone file (TOML).
    """
    from friendshore.metrics.assessment import assess as _assess
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone, default_zone

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    network = SupplyNetwork.from_store(_store_path(store))
    return _assess(network, zone, year=year)


def dependence(
    member: str,
    mineral: str,
    *,
    year: int | None = None,
    zone: Zone | str | Path | None = None,
    store: str | Path | None = None,
) -> pd.DataFrame:
    """Import reliance (fraction) and sourcing for one mineral, by stage: any member or country.

    The rows of ``friendshore metrics dependence``: ``member`` is a zone member,
    ``"zone"`` or any other country or bloc but a rival (``"Canada"``, ``"deu"``:
    its own balance), ``mineral`` a catalog id, name or synonym.
    """
    from friendshore.data.names import resolve_member, resolve_mineral
    from friendshore.metrics.country_dependence import dependence_rows
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone, default_zone

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    network = SupplyNetwork.from_store(_store_path(store))
    return dependence_rows(
        network,
        zone,
        member=resolve_member(member, zone.members),
        mineral=resolve_mineral(mineral).mineral_id,
        year=year,
    )


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

    read = annual_prices if annual else read_prices
    path = _store_path(store)
    ids = _mineral_ids(mineral)
    return read(path, mineral=ids[0] if ids else None, stage=stage, source=source)


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
    from friendshore.model.zone import Zone, default_zone
    from friendshore.policy.floors import run_floor
    from friendshore.policy.reference import load_reference_file

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    path = _store_path(store)
    ref = load_reference_file(reference)
    return run_floor(ref, path, zone, mode=mode, years=years, cfd=cfd)


def projections(
    *,
    kind: str | Sequence[str] | None = None,
    mineral: str | Sequence[str] | None = None,
    scenario: str | Sequence[str] | None = None,
    edition: str | Sequence[str] | None = None,
    store: str | Path | None = None,
) -> pd.DataFrame:
    """Return the IEA projections (kt as published, ``value_t`` in t) with their cells.

    ``kind``: ``demand``, ``cleantech_demand``, ``technology_demand`` or
    ``supply``; ``mineral``: catalog id; ``scenario``: ``STEPS``, ``APS``,
    ``NZE`` (``base case`` for supply); ``edition``: ``IEA CMDE May 2024`` or
    ``IEA CMDE 2025 (iea.json)``. See docs/data.md, table ``projections``.
    """
    from friendshore.data.queries import read_projections

    return read_projections(
        _store_path(store),
        kind=kind,
        mineral=_mineral_ids(mineral),
        scenario=scenario,
        edition=edition,
    )


def stockpile(
    *,
    budget: float = 12e9,
    scenarios: Sequence[str | tuple[str, float]] = (),
    draws: int | None = None,
    seed: int = 0,
    reserve: Literal["zone", "member"] = "zone",
    carrying_rate: float = 0.06,
    shortfall_multiple: float = 5.0,
    method: Literal["newsvendor", "saa"] = "newsvendor",
    zone: Zone | str | Path | None = None,
    store: str | Path | None = None,
) -> StockpileResult:
    """Size a strategic stockpile (t per mineral × stage) under a budget (US$); docs/cli.md.

    ``scenarios``: ids or files, ``"id:0.2"`` or ``(id, 0.2)`` with their yearly
    probability; ``draws``: Monte Carlo draws (default 1000 without scenarios).
    ``.frame`` gives tonnes, cost and days of cover; ``.scenario_block()`` the
    ``response.stockpiles`` entries for ``scenario run``.
    """
    from friendshore.data.queries import annual_prices
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone, default_zone
    from friendshore.scenarios.stockpile import (
        StockpileOptions,
        parse_scenario_weight,
        plan_stockpile,
    )

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    weighted = tuple(
        parse_scenario_weight(s) if isinstance(s, str) else (str(s[0]), float(s[1]))
        for s in scenarios
    )
    options = StockpileOptions(
        budget_usd=budget,
        carrying_rate=carrying_rate,
        shortfall_cost_multiple=shortfall_multiple,
        reserve=reserve,
        method=method,
        draws=draws,
        seed=seed,
        scenarios=weighted,
    )
    path = _store_path(store)
    return plan_stockpile(
        SupplyNetwork.from_store(path), zone, annual_prices(path), options=options
    )


def outlook(
    scenarios: Sequence[str] = ("STEPS", "APS", "NZE"),
    years: Sequence[int] | None = None,
    *,
    pipeline: str | Path | None = None,
    zone: Zone | str | Path | None = None,
    store: str | Path | None = None,
) -> OutlookResult:
    """The zone's outlook (t/yr) per mineral × stage × IEA scenario × year; docs/cli.md.

    World demand (IEA), the zone's share and demand, its supply (IEA country
    projections of listed members, else held at the base year), a pipeline's
    capacity (a shipped id or a file) from its first output year, the gap,
    self-sufficiency and China's share of world supply: ``.frame``.
    """
    from friendshore.invest.pipeline import load_pipeline
    from friendshore.model.zone import Zone, default_zone
    from friendshore.scenarios.outlook import OutlookOptions, run_outlook

    if not isinstance(zone, Zone):
        zone = Zone.load(Path(zone)) if zone is not None else default_zone()
    options = OutlookOptions(
        scenarios=tuple(scenarios),
        years=tuple(years) if years is not None else None,
        pipeline=load_pipeline(pipeline) if pipeline is not None else None,
    )
    return run_outlook(_store_path(store), zone, options=options)


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
    "dependence",
    "floor",
    "import_baci",
    "import_usgs_mcs",
    "import_wgi",
    "minerals",
    "outlook",
    "prices",
    "projections",
    "read_hs_concordance",
    "sql",
    "stockpile",
    "store_status",
]
