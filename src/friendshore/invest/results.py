"""Plan a portfolio end to end: objective inputs from the metrics, solve, before/after, frontier.

:func:`plan_portfolio` turns a validated :class:`~friendshore.invest.pipeline.Pipeline`
into a :class:`~friendshore.invest.portfolio.PortfolioProblem` (objective targets
from the assessment metrics or from scenario runs), solves it
(:func:`~friendshore.invest.portfolio.solve_portfolio`) and returns a frozen
:class:`PortfolioResult`: the chosen projects with cost, capacity and jobs;
capex and jobs by member; capex by year; the marginal value of budget (by
re-solving with more budget: a MILP has no duals); and the metrics per mineral
and stage before and after. :func:`efficient_frontier` sweeps the budget.

The "after" metrics are not a second implementation: :func:`network_with_capacity`
adds the chosen capacity to the supply network's production frame (and takes
the same tonnage out of the rival's exports to the zone), and
:func:`supply_metrics` runs :func:`friendshore.metrics.assessment.assess` and
:func:`friendshore.metrics.dependence.zone_sourcing` on it, exactly as on the
network before.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore._core.records import frame_records
from friendshore._core.types import ISO3
from friendshore.data.catalog import read_salient_stages
from friendshore.invest.defaults import DEFAULT_YEAR
from friendshore.invest.pipeline import STANDARDS, Pipeline
from friendshore.invest.portfolio import (
    MUSD,
    Objective,
    PortfolioProblem,
    PortfolioSolution,
    solve_portfolio,
)
from friendshore.metrics.assessment import assess
from friendshore.metrics.balance import KEYS, balance_frame
from friendshore.metrics.dependence import ZONE, import_dependence, rival_codes, zone_sourcing
from friendshore.metrics.published import ADDED_PRODUCTION
from friendshore.metrics.risk import supply_risk
from friendshore.metrics.shares import production_shares
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.scenarios.run import ScenarioResult

__all__ = [
    "CHOSEN_COLUMNS",
    "DEFAULT_YEAR",
    "FRONTIER_COLUMNS",
    "METRIC_COLUMNS",
    "PortfolioResult",
    "build_problem",
    "dependence_targets",
    "efficient_frontier",
    "frontier_budgets",
    "network_with_capacity",
    "plan_portfolio",
    "portfolio_payload",
    "portfolio_problem",
    "restrict_network",
    "shortfall_targets",
    "supply_metrics",
]

#: Default extra budget for the marginal value of budget, as a share of the budget.
BUDGET_STEP_SHARE: Final = 0.10

#: Columns of :func:`supply_metrics`.
SUPPLY_METRIC_COLUMNS: Final[list[str]] = [
    "mineral",
    "stage",
    "product",
    "year",
    "zone_supply_t",
    "zone_supply_min_t",
    "zone_supply_max_t",
    "rival_supply_t",
    "china_zone_supply_share",
    "china_zone_supply_share_min",
    "china_zone_supply_share_max",
    "share_basis",
    "world_quantity_t",
    "china_world_share",
    "apparent_consumption_t",
    "zone_production_t",
    "zone_self_sufficiency",
    "supply_risk",
    "supply_risk_min",
    "supply_risk_max",
    "supply_risk_basis",
    "metric_note",
]

#: ``share_basis`` of a rival share read from the zone's sourcing mix (a point).
BASIS_SOURCING = "zone sourcing mix (material balance)"
#: ``share_basis`` of the lower end of the zone's sourcing interval.
BASIS_SOURCING_LOW = "lower end of the zone's sourcing interval (material balance)"
#: ``share_basis`` where the zone's sourcing does not bound the rival's share above 0.
BASIS_WORLD = "rival's share of world production (the zone taken to source like the world)"
#: ``share_basis`` where the rival's world share lies outside the zone's sourcing interval.
BASIS_WORLD_CAPPED = (
    "the end of the zone's sourcing interval nearest the rival's share of world production"
)

#: Columns of :attr:`PortfolioResult.metrics`.
METRIC_COLUMNS: Final[list[str]] = [
    "mineral",
    "stage",
    "product",
    "year",
    "new_capacity_t",
    "china_zone_supply_share_before",
    "china_zone_supply_share_after",
    "zone_self_sufficiency_before",
    "zone_self_sufficiency_after",
    "supply_risk_before",
    "supply_risk_after",
    "note",
]

#: Columns of :attr:`PortfolioResult.chosen`.
CHOSEN_COLUMNS: Final[list[str]] = [
    "id",
    "name",
    "country",
    "member",
    "mineral",
    "stage",
    "capacity_t_per_year",
    "capex_usd",
    "opex_usd_per_year",
    "start_year",
    "online_year",
    "jobs_construction",
    "jobs_operation",
    "status",
    "standards",
]

#: Columns of :func:`efficient_frontier`.
FRONTIER_COLUMNS: Final[list[str]] = [
    "budget_usd",
    "objective",
    "objective_before",
    "reduction_share",
    "capex_usd",
    "n_projects",
    "jobs_construction",
    "jobs_operation",
    "projects",
    "mip_gap",
    "carried",
]


# --- metrics before and after ----------------------------------------------------------------


def restrict_network(network: SupplyNetwork, minerals: Collection[str]) -> SupplyNetwork:
    """The network with only the production, reserves and trade of ``minerals``.

    Every metric is computed per mineral (governance and recycling rates are
    looked up per country and mineral), so the metrics of these minerals are the
    same on the restricted network, and much faster to compute.
    """
    keep = set(minerals)
    return replace(
        network,
        production=network.production[network.production["mineral_id"].isin(keep)],
        production_totals=network.production_totals[
            network.production_totals["mineral_id"].isin(keep)
        ],
        reserves=network.reserves[network.reserves["mineral_id"].isin(keep)],
        reserves_totals=network.reserves_totals[network.reserves_totals["mineral_id"].isin(keep)],
        trade=network.trade[network.trade["mineral_id"].isin(keep)],
    )


def supply_metrics(
    network: SupplyNetwork,
    zone: Zone,
    *,
    year: int | None = None,
    rival: str = "CHN",
    minerals: Collection[str] | None = None,
) -> pd.DataFrame:
    """The rival's share (0–1) of zone supply, supply risk and the tonnes behind them, per series.

    Parameters
    ----------
    network
        The supply network.
    zone
        The zone.
    year
        Latest data year (each series its latest year up to it), as in ``assess``.
    rival
        The rival (China by default).
    minerals
        Compute for these minerals only (:func:`restrict_network`); default all.

    Returns
    -------
    pandas.DataFrame
        One row per row of the assessment summary (mineral × stage × product),
        columns :data:`SUPPLY_METRIC_COLUMNS`:

        * ``zone_supply_min_t`` / ``_max_t``: the zone's supply (its production
          plus imports from outside the zone, t) as the material balance bounds
          it (:func:`~friendshore.metrics.dependence.zone_sourcing`; a NULL
          maximum is unbounded); ``china_zone_supply_share_min`` / ``_max``: the
          rival's part of it;
        * ``china_zone_supply_share`` (the share the objective uses),
          ``share_basis`` (which rule gave it) and ``zone_supply_t`` (``S``, t);
          ``rival_supply_t = share × S``;
        * ``world_quantity_t`` and ``china_world_share``: world production and
          the rival's share of it (the assessment's ``china_share``);
        * ``zone_self_sufficiency`` as ``assess`` gives it; ``supply_risk`` (the
          value the objective uses) with ``supply_risk_min``/``_max`` (assess's
          interval) and ``supply_risk_basis``;
        * ``apparent_consumption_t`` and ``zone_production_t`` of the zone where
          the balance gives them as points; ``metric_note``: why a zone figure
          is not a point or is missing (the balance's reason).

    Notes
    -----
    The rival's share ``r`` and the zone supply ``S`` (t), in this order:

    1. the zone's sourcing mix is a point: ``r`` and ``S`` as it gives them
       (``share_basis`` = :data:`BASIS_SOURCING`);
    2. it is an interval whose lower end is above 0: ``r`` = that **lower
       end** (the least dependence the data allow: a project is never credited
       with more) (:data:`BASIS_SOURCING_LOW`);
    3. otherwise (no zone trade in the year or no HS code; or flows without a
       content factor, so the rival's share starts at 0): ``r`` = the rival's
       share of world production (:data:`BASIS_WORLD`), kept inside the
       zone's sourcing interval where there is one (the nearer end where it
       lies outside: :data:`BASIS_WORLD_CAPPED`).

    In cases 2 and 3 ``S`` is the upper end of the zone's supply, at most
    world production (the zone cannot source more than the world produces;
    world production where the balance gives no upper end), never below the
    balance's lower end: a tonne of new output is then worth its least share.

    Supply risk (EU-CRM, :func:`friendshore.metrics.risk.supply_risk`): in
    cases 1 and 2 the assessment's value, or the lower end of its interval; in
    case 3 the same function with the world's production shares as the zone's
    sourcing mix (then ``SR = HHI_WGI(world) · (1 − EoL_RIR) · SI`` whatever
    the import reliance), kept inside the assessment's interval, its lower end
    where the recycling rate has no source reference. ``NULL`` where not even
    these exist (no country production shares), with the reason.
    """
    if minerals is not None:
        network = restrict_network(network, minerals)
    rivals = rival_codes(zone, rival)
    if rivals != zone.rivals:
        zone = replace(zone, rivals=frozenset(ISO3(c) for c in rivals))
    result = assess(network, zone, year=year, rival=rival)
    summary = result.summary
    rows, totals = network.default_production()
    us = us_balance_of(network.salient) if "USA" in zone.members else None
    if us is not None and us.empty:
        us = None
    balance = balance_frame(
        network.trade, rows, zone, totals=totals, us=us, bound_trade=network.bound_trade
    )
    dep = import_dependence(network.trade, rows, zone, totals=totals, rival=rivals, balance=balance)
    sourcing = zone_sourcing(
        network.trade, rows, zone, totals=totals, dependence=dep, bound_trade=network.bound_trade
    )
    parts = _sourcing_parts(sourcing, rivals)
    zrow = dep[dep["member"] == ZONE].set_index(KEYS)
    parts = parts.join(
        zrow[["apparent_consumption_t", "production_t", "import_reliance_note"]].rename(
            columns={"production_t": "zone_production_t", "import_reliance_note": "metric_note"}
        ),
        how="outer",
    )
    parts = parts.reset_index().rename(columns={"mineral_id": "mineral"})
    out = summary[
        [
            "mineral",
            "stage",
            "product",
            "year",
            "world_quantity_t",
            "china_share",
            "zone_self_sufficiency",
            "supply_risk",
            "supply_risk_min",
            "supply_risk_max",
            "supply_risk_note",
        ]
    ].rename(columns={"china_share": "china_world_share"})
    out = out.merge(parts, on=["mineral", "stage", "year"], how="left")
    world = _world_sourcing_risk(network, zone).rename(columns={"mineral_id": "mineral"})
    out = out.merge(world, on=["mineral", "stage", "product", "year"], how="left")
    out = _choose(out)
    return out[SUPPLY_METRIC_COLUMNS].reset_index(drop=True)


def _sourcing_parts(sourcing: pd.DataFrame, rivals: Collection[str]) -> pd.DataFrame:
    """Per mineral × stage × year: the zone's supply (t) and the rival's share, with bounds."""
    usable = sourcing[sourcing["share_min"].notna()]
    is_rival = usable["country"].isin(list(rivals))
    frame = pd.DataFrame(
        {
            **{k: usable[k] for k in KEYS},
            "s_min": usable["sourced_min_t"],
            "s_max": usable["sourced_max_t"].fillna(np.inf),
            "s_point": usable["sourced_t"],
            "r_min": usable["share_min"].where(is_rival, 0.0),
            "r_max": usable["share_max"].where(is_rival, 0.0),
            "r_point": usable["share"].where(is_rival, 0.0),
            "rt_point": usable["sourced_t"].where(is_rival, 0.0),
            "exact": usable["share"].notna(),
        }
    )
    g = frame.groupby(KEYS, sort=False)
    out = pd.DataFrame(
        {
            "zone_supply_min_t": g["s_min"].sum(),
            "zone_supply_max_t": g["s_max"].sum(),
            "zone_supply_point_t": g["s_point"].sum(min_count=1).where(g["exact"].all()),
            "china_zone_supply_share_min": g["r_min"].sum(),
            "china_zone_supply_share_max": g["r_max"].sum().clip(upper=1.0),
            "share_point": g["r_point"].sum().where(g["exact"].all()),
            "rival_point_t": g["rt_point"].sum().where(g["exact"].all()),
        }
    )
    out["zone_supply_max_t"] = out["zone_supply_max_t"].where(np.isfinite(out["zone_supply_max_t"]))
    return out


def _world_sourcing_risk(network: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    """Supply risk with the world's production shares as the zone's sourcing mix, per series.

    ``mineral_id, stage, product, year, world_risk, world_risk_min``: the one
    implementation (:func:`friendshore.metrics.risk.supply_risk`) given the
    world production shares as sourcing and an import reliance in [0, 1] (the
    result does not depend on it: both HHI_WGI terms are then equal);
    ``world_risk`` is NULL where the recycling rate has no source reference
    (``world_risk_min`` is then its lower end).
    """
    rows, totals = network.default_production()
    shares = production_shares(rows, totals)
    one = shares.groupby(KEYS)["product"].transform(lambda p: p.fillna("").nunique()) == 1
    known = shares[one & shares["share"].notna()]
    sourcing = pd.DataFrame(
        {
            **{k: known[k] for k in KEYS},
            "country": known["country"],
            "share_min": known["share"],
            "share_max": known["share"],
            "basis": "world production shares",
        }
    )
    dep = (
        known[KEYS]
        .drop_duplicates()
        .assign(
            member=ZONE,
            import_reliance=np.nan,
            import_reliance_min=0.0,
            import_reliance_max=1.0,
            import_reliance_note=None,
        )
    )
    columns = ["mineral_id", "stage", "product", "year", "world_risk", "world_risk_min"]
    if dep.empty:
        return pd.DataFrame(columns=columns)
    risk = supply_risk(shares, sourcing, network.governance, network.recycling, dep, zone)
    risk = risk.rename(columns={"supply_risk": "world_risk", "supply_risk_min": "world_risk_min"})
    return risk[columns]


def _first(index: pd.Index, cases: list[tuple[pd.Series, str]]) -> pd.Series:
    """The text of the first case whose condition holds, row by row (NULL where none)."""
    out = pd.Series(None, index=index, dtype=object)
    for cond, text in reversed(cases):
        out = out.mask(cond.fillna(False).astype(bool), text)
    return out


def _choose(out: pd.DataFrame) -> pd.DataFrame:
    """The rival share, zone supply (t) and supply risk the objective uses (supply_metrics)."""
    r_lo, r_hi = out["china_zone_supply_share_min"], out["china_zone_supply_share_max"]
    point = out["share_point"].notna()
    low = ~point & (r_lo > 0)
    world = ~point & ~low & out["china_world_share"].notna()
    # the upper end of the zone's supply, at most world production (the zone cannot source
    # more than the world produces), never below the balance's lower end
    world_t = out["world_quantity_t"]
    s_upper = pd.Series(np.fmin(out["zone_supply_max_t"], world_t), index=out.index)
    s_upper = s_upper.where(s_upper > 0, world_t)
    s_upper = pd.Series(np.fmax(s_upper, out["zone_supply_min_t"]), index=out.index)
    share = out["share_point"].where(point)
    share = share.where(~low, r_lo)
    in_interval = out["china_world_share"].clip(lower=r_lo.fillna(0.0), upper=r_hi.fillna(1.0))
    share = share.where(~world, in_interval)
    supply = out["zone_supply_point_t"].where(point, s_upper)
    out["china_zone_supply_share"] = share
    out["zone_supply_t"] = supply.where(share.notna())
    out["rival_supply_t"] = out["rival_point_t"].where(point, share * out["zone_supply_t"])
    capped = world & (in_interval != out["china_world_share"])
    out["share_basis"] = _first(
        out.index,
        [
            (point, BASIS_SOURCING),
            (low, BASIS_SOURCING_LOW),
            (capped, BASIS_WORLD_CAPPED),
            (world, BASIS_WORLD),
        ],
    )
    # supply risk: the assessment's (point, else lower end); the world mix in case 3
    sr_point = out["supply_risk"].notna()
    assessed = out["supply_risk"].fillna(out["supply_risk_min"])
    world_sr = out["world_risk"].fillna(out["world_risk_min"])
    world_sr = world_sr.clip(
        lower=out["supply_risk_min"].fillna(0.0), upper=out["supply_risk_max"].fillna(np.inf)
    )
    risk = assessed.where(~world, world_sr)
    world_basis = _first(
        out.index,
        [
            (out["world_risk"].notna(), "world production shares as the zone's sourcing"),
            (
                out["world_risk_min"].notna(),
                "world production shares as the zone's sourcing; lower end of its interval",
            ),
        ],
    )
    zone_basis = _first(
        out.index,
        [(sr_point, "point"), (out["supply_risk_min"].notna(), "lower end of the interval")],
    )
    out["supply_risk"] = risk
    out["supply_risk_basis"] = zone_basis.where(~world, world_basis).where(risk.notna())
    note = out["metric_note"].where(out["metric_note"].notna(), out["supply_risk_note"])
    out["metric_note"] = note
    return out


def _series_years(network: SupplyNetwork, year: int | None) -> pd.DataFrame:
    """Default source, latest year ≤ ``year`` and products of each mineral × stage series."""
    rows, _ = network.default_production()
    if year is not None:
        rows = rows[rows["year"] <= year]
    last = rows.groupby(["mineral_id", "stage"])["year"].transform("max")
    latest = rows[rows["year"] == last]
    return (
        latest.groupby(["mineral_id", "stage"])
        .agg(
            source=("source", "first"),
            year=("year", "first"),
            n_products=("product", "nunique"),
            product=("product", "first"),
        )
        .reset_index()
    )


def network_with_capacity(
    network: SupplyNetwork,
    zone: Zone,
    additions: pd.DataFrame,
    *,
    year: int | None = None,
    rival: str = "CHN",
    displace: bool = True,
) -> SupplyNetwork:
    """The supply network with new capacity (t/yr) produced in the zone in the data year.

    Parameters
    ----------
    network
        The network before.
    zone
        The zone (for the rival's exports to it).
    additions
        ``mineral, stage, country, capacity_t_per_year``: new output per host
        country (``stage``: ``mining`` or ``processing``).
    year
        Latest data year (as in ``assess``); each mineral × stage series gets the
        capacity in its latest year up to it.
    rival
        The rival whose exports to the zone the new output displaces.
    displace
        Take the same tonnage out of the rival's exports to the zone's countries
        (fixed zone demand), up to all of them (default); otherwise only add output.

    Returns
    -------
    SupplyNetwork
        A copy: the default source's production row of the host country in the
        series year raised by the capacity (a row added if the country is not
        listed; a withheld figure stays unknown), the published world total
        raised by the same, and, with ``displace``, the rival's flows to zone
        countries in that year scaled down by ``1 − min(1, Σ new / R)`` (value,
        gross and contained tonnes alike), ``R`` the rival's supply to the zone
        on the sourcing basis (contained t, else gross t). Series with several
        products (titanium: ilmenite, rutile) and minerals × stages with no
        production series are left unchanged.
    """
    if additions.empty:
        return network
    frame = _series_years(network, year)
    series = {
        (str(m), str(st)): (str(src), int(y), int(n), str(prod))
        for m, st, src, y, n, prod in zip(
            frame["mineral_id"],
            frame["stage"],
            frame["source"],
            frame["year"],
            frame["n_products"],
            frame["product"],
            strict=True,
        )
    }
    new: pd.DataFrame = additions.groupby(["mineral", "stage", "country"], as_index=False)[
        ["capacity_t_per_year"]
    ].sum()
    production = network.production.copy()
    totals = network.production_totals.copy()
    trade = network.trade.copy()
    extra_rows = []
    zone_countries = list(zone.countries)
    for (mineral, stage), group in new.groupby(["mineral", "stage"]):
        key = (str(mineral), str(stage))
        if key not in series or series[key][2] > 1:
            continue
        source, series_year, _, product = series[key]
        in_series = (
            (production["source"] == source)
            & (production["mineral_id"] == key[0])
            & (production["stage"] == key[1])
            & (production["year"] == series_year)
        )
        template = production[in_series].iloc[0]
        for country, q in zip(group["country"], group["capacity_t_per_year"], strict=True):
            hit = in_series & (production["country"] == country)
            if hit.any():
                production.loc[hit, "quantity_t"] = production.loc[hit, "quantity_t"] + float(q)
            else:
                row = template.copy()
                row["country"] = country
                row["quantity_t"] = float(q)
                row["status"] = "estimated"
                row["file"] = "friendshore invest (new capacity)"
                row["line"] = 0
                extra_rows.append(row)
        added = float(group["capacity_t_per_year"].sum())
        world = (
            (totals["source"] == source)
            & (totals["mineral_id"] == key[0])
            & (totals["stage"] == key[1])
            & (totals["year"] == series_year)
            & (totals["product"] == product)
            & (totals["kind"] == "world")
        )
        totals.loc[world, "quantity_t"] = totals.loc[world, "quantity_t"] + added
        if displace:
            flows = (
                (trade["exporter"] == rival)
                & trade["importer"].isin(zone_countries)
                & (trade["mineral_id"] == key[0])
                & (trade["stage"] == key[1])
                & (trade["year"] == series_year)
            )
            contained = float(trade.loc[flows, "content_t"].sum())
            supply = contained if contained > 0 else float(trade.loc[flows, "quantity_t"].sum())
            if supply > 0:
                factor = max(0.0, 1.0 - added / supply)
                for col in ("value_usd", "quantity_t", "content_t"):
                    trade.loc[flows, col] = trade.loc[flows, col] * factor
    if extra_rows:
        production = pd.concat(
            [production, pd.DataFrame(extra_rows).astype(production.dtypes.to_dict())],
            ignore_index=True,
        )
    salient = _salient_with_capacity(network.salient, new, series, year)
    return replace(
        network, production=production, production_totals=totals, trade=trade, salient=salient
    )


def _salient_with_capacity(
    salient: pd.DataFrame,
    new: pd.DataFrame,
    series: dict[tuple[str, str], tuple[str, int, int, str]],
    year: int | None,
) -> pd.DataFrame:
    """USGS's U.S. salient table with the new U.S. output as added production (t).

    Each U.S. addition of a mineral and stage that a salient balance measures
    (``concordances/salient_stages.csv``) becomes a row of component
    :data:`~friendshore.metrics.published.ADDED_PRODUCTION` in the year of the
    production series (else the latest salient year up to ``year``), so that
    :func:`~friendshore.metrics.published.us_balance` counts it as U.S.
    production and, demand held fixed, takes it off U.S. net imports.
    """
    us = new[new["country"] == "USA"]
    if us.empty or salient.empty:
        return salient
    stages = read_salient_stages()
    stages = stages[stages["mineral_id"] != ""]
    rows = []
    for mineral, stage, q in zip(
        us["mineral"].astype(str), us["stage"].astype(str), us["capacity_t_per_year"], strict=True
    ):
        match = stages[(stages["mineral_id"] == mineral) & (stages["stage"] == stage)]
        for key, label in zip(match["usgs_key"], match["series"].fillna(""), strict=True):
            cells = salient[salient["usgs_key"] == key]
            if cells.empty:
                continue
            years = cells["year"].astype(int)
            wanted = series[(mineral, stage)][1] if (mineral, stage) in series else year
            usable = years[years <= wanted] if wanted is not None else years
            if usable.empty:
                continue
            at = int(usable.max())
            in_year = cells[years == at]
            template = in_year[in_year["release"] == in_year["release"].max()].iloc[0].copy()
            template["field"] = "friendshore invest (new capacity)"
            template["component"] = ADDED_PRODUCTION
            template["form"] = str(label) or None
            template["unit"] = "t"
            template["quantity"] = float(q)
            template["quantity_t"] = float(q)
            template["text"] = f"{float(q):g}"
            template["status"] = "estimated"
            template["bound"] = None
            template["file"] = "friendshore invest (new capacity)"
            template["source"] = "friendshore invest"
            template["note"] = "new output of the planned portfolio, not a USGS figure"
            rows.append(template)
    if not rows:
        return salient
    added = pd.DataFrame(rows).astype(salient.dtypes.to_dict())
    return pd.concat([salient, added], ignore_index=True)


def compare_metrics(
    before: pd.DataFrame, after: pd.DataFrame, new_capacity: pd.DataFrame
) -> pd.DataFrame:
    """Before and after side by side (:data:`METRIC_COLUMNS`) for the minerals × stages given.

    ``note`` says why a metric is NULL before (see :func:`dependence_targets`).
    """
    keys = ["mineral", "stage", "product", "year"]
    values = ["china_zone_supply_share", "zone_self_sufficiency", "supply_risk"]
    out = before[keys + values].merge(
        after[keys + values], on=keys, how="outer", suffixes=("_before", "_after")
    )
    out = out.merge(new_capacity, on=["mineral", "stage"], how="inner")
    inputs = dependence_targets(before)[2]
    notes = inputs[keys].assign(note=inputs["note"].where(~inputs["included"]))
    out = out.merge(notes, on=keys, how="left")
    return out[METRIC_COLUMNS].sort_values(["mineral", "stage", "product"], ignore_index=True)


# --- objective targets -----------------------------------------------------------------------


def dependence_targets(metrics: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Objective targets, demand caps and coverage notes for the ``dependence`` objective.

    Parameters
    ----------
    metrics
        :func:`supply_metrics` of the network before.

    Returns
    -------
    (targets, demand_cap, inputs)
        ``targets``: one row per mineral × stage that enters: ``target_t`` =
        the rival's supply to the zone ``R = r · S`` (t), ``weight`` = supply
        risk ``SR`` / zone supply ``S`` (1/t); ``demand_cap``: ``mineral,
        stage, max_new_t`` = apparent consumption − production (the zone's net
        imports), where the balance gives both as points; ``inputs``: every
        mineral × stage of ``metrics`` with ``included`` and a ``note`` saying
        on which basis it entered (and that its weight is 0 where the lower end
        of its supply risk or share is 0) or what is missing.

    Notes
    -----
    The objective ``Σ SR · (R − d) / S`` (``d`` ≤ ``R``: the rival's tonnes
    displaced by new zone output) is the sum of the rival's share of zone
    supply after the portfolio weighted by supply risk, linear in ``d``: zone
    demand is held fixed (new output replaces imports from the rival first, so
    the zone's total sourcing ``S`` does not change while ``d ≤ R``), and the
    supply-risk weights are those before the portfolio. ``r``, ``S`` and
    ``SR`` are chosen by :func:`supply_metrics` from the material balance
    (lower ends of intervals; the rival's share of world production where
    the zone's sourcing does not bound it above 0). A mineral × stage is left
    out only where not even these exist (no country production shares, a
    series of several products, no supply at all), with the reason.
    """
    frame = metrics.copy()
    several = frame.groupby(["mineral", "stage"])["product"].transform("size") > 1
    no_share = frame["china_zone_supply_share"].isna()
    no_world = frame["china_world_share"].isna()
    reason = frame["metric_note"].fillna("no zone trade in the data year").astype(str)
    notes = np.select(
        [
            several.to_numpy(),
            (no_share & no_world).to_numpy(),
            no_share.to_numpy(),
            frame["supply_risk"].isna().to_numpy(),
            ~(frame["zone_supply_t"] > 0).to_numpy(),
        ],
        [
            "left out: several products in one series",
            (
                "left out: rival share of zone supply unknown (" + reason + ") and no country "
                "production shares in the world table"
            ).to_numpy(),
            ("left out: rival share of zone supply unknown (" + reason + ")").to_numpy(),
            (
                "left out: supply risk unknown ("
                + frame["metric_note"].fillna("no production shares with a WGI score").astype(str)
                + ")"
            ).to_numpy(),
            "left out: no zone supply",
        ],
        default="",
    )
    frame["included"] = notes == ""
    share = frame["china_zone_supply_share"]
    basis = (
        "entered: rival share "
        + share.map(lambda v: f"{v * 100:.3g}%" if pd.notna(v) else "")
        + " ("
        + frame["share_basis"].fillna("").astype(str)
        + "); supply risk "
        + frame["supply_risk"].map(lambda v: f"{v:.3g}" if pd.notna(v) else "")
        + " ("
        + frame["supply_risk_basis"].fillna("").astype(str)
        + ")"
    )
    world_case = frame["share_basis"].isin([BASIS_WORLD, BASIS_WORLD_CAPPED])
    world_case &= frame["metric_note"].notna()
    basis = basis.where(~world_case, basis + "; zone sourcing: " + reason)
    zero = (frame["supply_risk"] == 0) | (share == 0)
    basis = basis.where(
        ~zero,
        basis + "; weight 0: the lower end allows no dependence, so no project is credited",
    )
    text = pd.Series(notes, index=frame.index).astype(str)
    frame["note"] = text.where(~frame["included"], basis)
    used = frame[frame["included"]]
    targets = pd.DataFrame(
        {
            "target": used["mineral"] + "/" + used["stage"],
            "mineral": used["mineral"],
            "stage": used["stage"],
            "target_t": used["rival_supply_t"].astype(float),
            "weight": (used["supply_risk"] / used["zone_supply_t"]).astype(float),
        }
    ).reset_index(drop=True)
    cap = frame.loc[~several].assign(
        max_new_t=lambda f: (f["apparent_consumption_t"] - f["zone_production_t"]).clip(lower=0.0)
    )
    demand_cap = cap.loc[cap["max_new_t"].notna(), ["mineral", "stage", "max_new_t"]]
    return targets, demand_cap.reset_index(drop=True), frame


def shortfall_targets(
    results: Sequence[ScenarioResult], *, probabilities: Sequence[float] | None = None
) -> pd.DataFrame:
    """Objective targets for the ``shortfall`` objective from scenario runs.

    Parameters
    ----------
    results
        Runs of :func:`friendshore.scenarios.run.run_scenario` for one zone.
    probabilities
        Probability of each scenario (default: equal, ``1/n``).

    Returns
    -------
    pandas.DataFrame
        One row per scenario × mineral × stage where the zone is left short:
        ``target`` (``scenario/mineral/stage``), ``scenario``, ``mineral``,
        ``stage``, ``target_t`` = the zone's shortfall (t/yr during the
        disruption), ``baseline_t`` and ``weight`` = probability / baseline.

    Notes
    -----
    The objective ``Σ_s π_s Σ_k (shortfall_sk − c_sk) / baseline_sk`` is the
    expected sum of the zone's shortfall shares. New zone capacity of a mineral
    and stage covers a shortfall up to its output, whichever member hosts it
    (zone sharing), on the layer's basis (the scenario's tonnes, contained where
    known).
    """
    if probabilities is None:
        probabilities = [1.0 / len(results)] * len(results) if results else []
    if len(probabilities) != len(results):
        raise ValidationError("give one probability per scenario")
    if any(p < 0 for p in probabilities):
        raise ValidationError("scenario probabilities must be >= 0")
    rows = []
    for result, prob in zip(results, probabilities, strict=True):
        tot = result.zone_totals
        hit = tot[(tot["shortfall_t"] > 0) & (tot["baseline_t"] > 0)]
        for mineral, stage, short, base in zip(
            hit["mineral"].astype(str),
            hit["stage"].astype(str),
            hit["shortfall_t"].astype(float),
            hit["baseline_t"].astype(float),
            strict=True,
        ):
            rows.append(
                {
                    "target": f"{result.scenario.id}/{mineral}/{stage}",
                    "scenario": result.scenario.id,
                    "mineral": mineral,
                    "stage": stage,
                    "target_t": float(short),
                    "baseline_t": float(base),
                    "weight": float(prob) / float(base),
                }
            )
    columns = ["target", "scenario", "mineral", "stage", "target_t", "baseline_t", "weight"]
    return pd.DataFrame(rows, columns=columns)


# --- problem and result ----------------------------------------------------------------------


def portfolio_problem(
    pipeline: Pipeline,
    zone: Zone,
    targets: pd.DataFrame,
    *,
    year: int = DEFAULT_YEAR,
    budget_usd: float | None = None,
    budget_per_year_usd: float | None = None,
    demand_cap: pd.DataFrame | None = None,
    min_member_share: float = 0.0,
    require_standards: Sequence[str] = (),
    require_projects: Sequence[str] = (),
    objective: Objective = "dependence",
) -> PortfolioProblem:
    """The MILP inputs for ``pipeline`` in ``zone``.

    Raises
    ------
    ValidationError
        If a project's host country is not in the zone (naming the project), a
        required standard is unknown, or a parameter is out of range.
    """
    unknown = sorted({s.upper() for s in require_standards} - set(STANDARDS))
    if unknown:
        raise ValidationError(
            f"unknown standard(s) {', '.join(unknown)}: use one of {', '.join(STANDARDS)}"
        )
    frame = pipeline.to_frame()
    members = frame["country"].map(zone.country_to_member())
    outside = frame[members.isna()]
    if not outside.empty:
        first = outside.iloc[0]
        raise ValidationError(
            f"project {first['id']}: country {first['country']} is not in the zone "
            f"{zone.name} ({', '.join(zone.members)}); {len(outside)} project(s) outside "
            "the zone: remove them or add the country to the zone"
        )
    standards = {p.id: p.standards for p in pipeline.projects}
    supply_stage = {p.id: p.stage.supply_stage for p in pipeline.projects}
    projects = frame.assign(
        member=members.astype(str),
        stage=frame["id"].map(supply_stage),
        project_stage=frame["stage"],
        standards=frame["id"].map(standards),
    )
    return PortfolioProblem(
        projects=projects,
        targets=targets,
        year=year,
        budget_usd=budget_usd,
        budget_per_year_usd=budget_per_year_usd,
        demand_cap=demand_cap
        if demand_cap is not None
        else pd.DataFrame(columns=["mineral", "stage", "max_new_t"]),
        members=tuple(zone.members),
        min_member_share=min_member_share,
        require_standards=tuple(s.upper() for s in require_standards),
        require_projects=tuple(require_projects),
        objective=objective,
    )


@dataclass(frozen=True)
class PortfolioResult:
    """A planned portfolio: inputs, solution and results.

    Attributes
    ----------
    solution
        The solved MILP (problem, status, gap, model size, time).
    objective
        ``'dependence'``, ``'shortfall'`` or ``'outlook'``.
    inputs
        The objective inputs per mineral × stage (``dependence``: from
        :func:`dependence_targets`, with ``included`` and ``note``) or per
        scenario × mineral × stage (``shortfall``).
    chosen
        The chosen projects (:data:`CHOSEN_COLUMNS`): cost (USD), capacity (t/yr),
        start and first-output years, jobs.
    by_member
        Per member: ``n_projects, capex_usd, capex_share, opex_usd_per_year,
        capacity_t_per_year, jobs_construction, jobs_operation``.
    spend_by_year
        ``year, capex_usd``: capex spread evenly over each project's lead time.
    metrics
        Before and after per mineral × stage the pipeline touches
        (:data:`METRIC_COLUMNS`): China's share of zone supply, zone
        self-sufficiency and supply risk, from the same functions as ``assess``.
    budget_step_usd
        The extra budget of the re-solve.
    objective_at_step
        The objective with ``budget + budget_step_usd``.
    budget_marginal_value
        Objective reduction per extra million USD of budget:
        ``(objective − objective_at_step) / (budget_step_usd / 1e6)``; NULL
        without a budget.
    """

    solution: PortfolioSolution
    objective: Objective
    inputs: pd.DataFrame
    chosen: pd.DataFrame
    by_member: pd.DataFrame
    spend_by_year: pd.DataFrame
    metrics: pd.DataFrame
    budget_step_usd: float | None
    objective_at_step: float | None
    budget_marginal_value: float | None

    @property
    def problem(self) -> PortfolioProblem:
        """The MILP inputs."""
        return self.solution.problem


def _chosen(solution: PortfolioSolution, pipeline: Pipeline) -> pd.DataFrame:
    chosen = solution.chosen
    base = pipeline.to_frame().set_index("id")
    out = chosen[["id", "member", "start_year"]].join(base, on="id")
    out["online_year"] = out["start_year"] + chosen["lead_time_years"].to_numpy()
    return out[CHOSEN_COLUMNS].reset_index(drop=True)


def _by_member(chosen: pd.DataFrame, members: Sequence[str]) -> pd.DataFrame:
    sums = chosen.groupby("member").agg(
        n_projects=("id", "size"),
        capex_usd=("capex_usd", "sum"),
        opex_usd_per_year=("opex_usd_per_year", "sum"),
        capacity_t_per_year=("capacity_t_per_year", "sum"),
        jobs_construction=("jobs_construction", "sum"),
        jobs_operation=("jobs_operation", "sum"),
    )
    out = sums.reindex(list(members)).fillna(0)
    total = float(out["capex_usd"].sum())
    out["capex_share"] = out["capex_usd"] / total if total > 0 else np.nan
    out = out.astype(
        {"n_projects": "int64", "jobs_construction": "int64", "jobs_operation": "int64"}
    )
    cols = [
        "n_projects",
        "capex_usd",
        "capex_share",
        "opex_usd_per_year",
        "capacity_t_per_year",
        "jobs_construction",
        "jobs_operation",
    ]
    return out[cols].rename_axis("member").reset_index()


def _spend_by_year(chosen: pd.DataFrame) -> pd.DataFrame:
    spend: dict[int, float] = {}
    for start, online, capex in zip(
        chosen["start_year"].astype(int),
        chosen["online_year"].astype(int),
        chosen["capex_usd"].astype(float),
        strict=True,
    ):
        lead = max(int(online) - int(start), 1)
        for t in range(int(start), int(start) + lead):
            spend[t] = spend.get(t, 0.0) + float(capex) / lead
    years = sorted(spend)
    return pd.DataFrame({"year": years, "capex_usd": [spend[t] for t in years]})


def build_problem(
    network: SupplyNetwork,
    pipeline: Pipeline,
    zone: Zone,
    *,
    year: int = DEFAULT_YEAR,
    budget_usd: float | None = None,
    budget_per_year_usd: float | None = None,
    objective: Objective = "dependence",
    scenarios: Sequence[ScenarioResult] = (),
    probabilities: Sequence[float] | None = None,
    min_member_share: float = 0.0,
    require_standards: Sequence[str] = (),
    require_projects: Sequence[str] = (),
    data_year: int | None = None,
    rival: str = "CHN",
    before: pd.DataFrame | None = None,
    outlook: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[PortfolioProblem, pd.DataFrame, pd.DataFrame]:
    """The MILP inputs, the objective inputs and the metrics before (see :func:`plan_portfolio`).

    Returns
    -------
    (problem, inputs, before)
        The :class:`~friendshore.invest.portfolio.PortfolioProblem`; the objective
        inputs (:attr:`PortfolioResult.inputs`); :func:`supply_metrics` before.
    """
    if before is None:
        minerals = sorted({p.mineral for p in pipeline.projects})
        before = supply_metrics(network, zone, year=data_year, rival=rival, minerals=minerals)
    dep_targets, demand_cap, dep_inputs = dependence_targets(before)
    if objective == "dependence":
        targets, inputs = dep_targets, dep_inputs
    elif objective == "outlook":
        if outlook is None:
            raise ValidationError(
                "the outlook objective needs the outlook's targets "
                "(friendshore.invest.targets.outlook_targets)"
            )
        targets, demand_cap, inputs = outlook
    elif objective == "shortfall":
        if not scenarios:
            raise ValidationError("the shortfall objective needs at least one scenario")
        targets = shortfall_targets(scenarios, probabilities=probabilities)
        inputs = targets
    else:
        raise ValidationError(
            f"unknown objective {objective!r}: use dependence, shortfall or outlook"
        )
    problem = portfolio_problem(
        pipeline,
        zone,
        targets,
        year=year,
        budget_usd=budget_usd,
        budget_per_year_usd=budget_per_year_usd,
        demand_cap=demand_cap,
        min_member_share=min_member_share,
        require_standards=require_standards,
        require_projects=require_projects,
        objective=objective,
    )
    return problem, inputs, before


def plan_portfolio(
    network: SupplyNetwork,
    pipeline: Pipeline,
    zone: Zone,
    *,
    year: int = DEFAULT_YEAR,
    budget_usd: float | None = None,
    budget_per_year_usd: float | None = None,
    objective: Objective = "dependence",
    scenarios: Sequence[ScenarioResult] = (),
    probabilities: Sequence[float] | None = None,
    min_member_share: float = 0.0,
    require_standards: Sequence[str] = (),
    require_projects: Sequence[str] = (),
    data_year: int | None = None,
    rival: str = "CHN",
    budget_step_share: float = BUDGET_STEP_SHARE,
    mip_rel_gap: float = 1e-4,
    before: pd.DataFrame | None = None,
    outlook: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> PortfolioResult:
    """Choose the projects (and start years) that cut the zone's dependence most.

    Parameters
    ----------
    network
        The supply network (store).
    pipeline
        The candidate projects.
    zone
        The zone; every project's country must be in it.
    year
        Target year: chosen projects produce by then (start + lead time ≤ year).
    budget_usd, budget_per_year_usd
        Total and yearly capex budgets (USD); ``None``: unlimited.
    objective
        ``'dependence'`` (default: risk-weighted China share of zone supply),
        ``'shortfall'`` (expected shortfall share under ``scenarios``) or
        ``'outlook'`` (the outlook's gaps left, as shares of zone demand: ``outlook``).
    scenarios
        Scenario runs for the ``shortfall`` objective.
    probabilities
        Their probabilities (default equal).
    min_member_share
        Smallest share (0–1) of the chosen capex for each member.
    require_standards
        Standards every chosen project must meet (e.g. ``["IRMA"]``).
    require_projects
        Project ids that must be chosen.
    data_year
        Latest data year for the metrics (default: the latest with data).
    rival
        The rival (China by default).
    budget_step_share
        Extra budget, as a share of ``budget_usd``, of the re-solve that gives
        the marginal value of budget.
    mip_rel_gap
        Relative MIP gap for HiGHS.
    before
        :func:`supply_metrics` of ``network`` if already computed.
    outlook
        ``(targets, demand_cap, inputs)`` of
        :func:`friendshore.invest.targets.outlook_targets` for the ``'outlook'``
        objective: close the outlook's supply gaps of one scenario and year.

    Returns
    -------
    PortfolioResult

    Raises
    ------
    ValidationError
        For a project outside the zone, a bad parameter, or the ``shortfall``
        objective without scenarios.
    InfeasibleError
        If no portfolio meets the requirements (the binding constraints named).
    """
    problem, inputs, before = build_problem(
        network,
        pipeline,
        zone,
        year=year,
        budget_usd=budget_usd,
        budget_per_year_usd=budget_per_year_usd,
        objective=objective,
        scenarios=scenarios,
        probabilities=probabilities,
        min_member_share=min_member_share,
        require_standards=require_standards,
        require_projects=require_projects,
        data_year=data_year,
        rival=rival,
        before=before,
        outlook=outlook,
    )
    solution = solve_portfolio(problem, mip_rel_gap=mip_rel_gap)
    step = objective_at_step = marginal = None
    if budget_usd is not None and budget_usd > 0 and budget_step_share > 0:
        step = budget_usd * budget_step_share
        more = solve_portfolio(problem.with_budget(budget_usd + step), mip_rel_gap=mip_rel_gap)
        objective_at_step = min(more.objective, solution.objective)
        marginal = (solution.objective - objective_at_step) / (step / MUSD)
    chosen = _chosen(solution, pipeline)
    additions = solution.chosen[["mineral", "stage", "capacity_t_per_year"]].assign(
        country=chosen["country"].to_numpy()
    )
    after_network = network_with_capacity(network, zone, additions, year=data_year, rival=rival)
    minerals = sorted({p.mineral for p in pipeline.projects})
    after = (
        before
        if after_network is network
        else supply_metrics(after_network, zone, year=data_year, rival=rival, minerals=minerals)
    )
    new = (
        problem.projects.assign(
            new_capacity_t=problem.projects["capacity_t_per_year"]
            * solution.projects["built"].to_numpy()
        )
        .groupby(["mineral", "stage"])["new_capacity_t"]
        .sum()
        .reset_index()
    )
    return PortfolioResult(
        solution=solution,
        objective=objective,
        inputs=inputs.reset_index(drop=True),
        chosen=chosen,
        by_member=_by_member(chosen, list(zone.members)),
        spend_by_year=_spend_by_year(chosen),
        metrics=compare_metrics(before, after, new),
        budget_step_usd=step,
        objective_at_step=objective_at_step,
        budget_marginal_value=marginal,
    )


# --- efficient frontier ----------------------------------------------------------------------


def frontier_budgets(
    problem: PortfolioProblem, steps: int, *, mip_rel_gap: float = 1e-4
) -> list[float]:
    """``steps`` budgets (USD) from 0 to the capex of the best portfolio without a budget limit.

    Beyond that capex more budget buys nothing (the tie-break of the MILP keeps
    projects that add nothing out), so the sweep covers the whole frontier.
    """
    if steps < 2:
        raise ValidationError(f"a frontier needs at least 2 steps, got {steps}")
    unlimited = solve_portfolio(problem.with_budget(None), mip_rel_gap=mip_rel_gap)
    top = float(unlimited.chosen["capex_usd"].sum())
    if top <= 0:
        top = float(problem.projects["capex_usd"].sum())
    return [float(b) for b in np.linspace(0.0, top, steps)]


def efficient_frontier(
    problem: PortfolioProblem,
    budgets: Sequence[float],
    *,
    mip_rel_gap: float = 1e-4,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The best objective at each total budget (USD): the efficient frontier.

    Parameters
    ----------
    problem
        The MILP inputs (its ``budget_usd`` is replaced by each budget).
    budgets
        Total budgets to solve for (sorted ascending here).
    mip_rel_gap
        Relative MIP gap for HiGHS.
    progress
        Called with ``(done, total)`` after each solve (for a progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per budget, columns :data:`FRONTIER_COLUMNS`: ``objective``
        (after), ``objective_before``, ``reduction_share`` (1 − after/before),
        chosen ``capex_usd``, ``n_projects``, jobs, the chosen ``projects``
        (ids joined by ``;``), the ``mip_gap`` and ``carried``.

    Notes
    -----
    More budget never makes the objective worse: every other constraint is
    unchanged, so the portfolio of a smaller budget stays feasible. Where
    HiGHS stops (within ``mip_rel_gap``) at a worse portfolio than that of the
    previous budget, the previous one is kept and ``carried`` is true; the
    frontier is therefore monotone by construction as well as in theory.
    """
    ordered = sorted(float(b) for b in budgets)
    rows = []
    best: dict[str, object] | None = None
    best_objective = float("inf")
    for i, budget in enumerate(ordered, start=1):
        sol = solve_portfolio(problem.with_budget(budget), mip_rel_gap=mip_rel_gap)
        chosen = sol.chosen
        row: dict[str, object] = {
            "budget_usd": budget,
            "objective": sol.objective,
            "objective_before": sol.objective_before,
            "capex_usd": float(chosen["capex_usd"].sum()),
            "n_projects": len(chosen),
            "jobs_construction": int(chosen.get("jobs_construction", pd.Series(0)).sum()),
            "jobs_operation": int(chosen.get("jobs_operation", pd.Series(0)).sum()),
            "projects": ";".join(chosen["id"].astype(str)),
            "mip_gap": sol.mip_gap,
            "carried": False,
        }
        if best is not None and sol.objective > best_objective:
            row = {**best, "budget_usd": budget, "carried": True}
        else:
            best_objective = sol.objective
        best = row
        rows.append(row)
        if progress is not None:
            progress(i, len(ordered))
    out = pd.DataFrame(rows, columns=[c for c in FRONTIER_COLUMNS if c != "reduction_share"])
    before = out["objective_before"].where(out["objective_before"] > 0)
    out["reduction_share"] = 1.0 - out["objective"] / before
    return out[FRONTIER_COLUMNS]


def portfolio_payload(result: PortfolioResult) -> dict[str, Any]:
    """Return the JSON document of a planned portfolio (USD; keys documented in docs/cli.md).

    Keys: ``objective``, ``year``, ``budget_usd``, ``budget_per_year_usd``,
    ``status``, ``objective_before``, ``objective_after``, ``mip_gap``,
    ``budget_step_usd``, ``objective_at_step``,
    ``budget_marginal_value_per_musd``, ``model`` (variables, constraints,
    solve seconds) and the records ``chosen``, ``by_member``,
    ``spend_by_year``, ``metrics`` (before and after) and ``inputs``.
    """
    sol = result.solution
    problem = result.problem
    return {
        "objective": result.objective,
        "year": problem.year,
        "budget_usd": problem.budget_usd,
        "budget_per_year_usd": problem.budget_per_year_usd,
        "status": sol.termination,
        "objective_before": sol.objective_before,
        "objective_after": sol.objective,
        "mip_gap": sol.mip_gap,
        "budget_step_usd": result.budget_step_usd,
        "objective_at_step": result.objective_at_step,
        "budget_marginal_value_per_musd": result.budget_marginal_value,
        "model": {
            "variables": sol.n_variables,
            "constraints": sol.n_constraints,
            "solve_seconds": round(sol.solve_seconds, 3),
        },
        "chosen": frame_records(result.chosen),
        "by_member": frame_records(result.by_member),
        "spend_by_year": frame_records(result.spend_by_year),
        "metrics": frame_records(result.metrics),
        "inputs": frame_records(result.inputs),
    }
