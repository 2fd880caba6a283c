"""Run a scenario end to end: network, propagation, zone response, results per member.

:func:`run_scenario` builds the network of the scenario's baseline year,
propagates its cuts (:func:`~friendshore.scenarios.propagate.propagate`), builds
and solves the zone response (:func:`~friendshore.scenarios.response.solve_response`)
and returns a frozen :class:`ScenarioResult` with one row per member × mineral ×
stage and the zone totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore._core.records import frame_records
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.scenarios.cuts import ExportCut, exempt_fellow_members
from friendshore.scenarios.model import Scenario
from friendshore.scenarios.network import LAYER, ScenarioNetwork
from friendshore.scenarios.propagate import Propagation, propagate
from friendshore.scenarios.response import (
    ROUTE_REROUTING,
    ROUTE_SHARING,
    ResponseProblem,
    ResponseSolution,
    solve_response,
)

__all__ = [
    "DAYS_PER_MONTH",
    "JSON_KEYS",
    "RECORD_COLUMNS",
    "SPARE_FRACTION",
    "TOTAL_COLUMNS",
    "ScenarioResult",
    "demand_reduction",
    "run_scenario",
    "scenario_payload",
]

#: ASSUMPTION: share of a non-restricting supplier's exports to countries outside
#: the zone that it could re-route to zone members within the disruption (no
#: published figure; 10% is a deliberately modest spare capacity).
SPARE_FRACTION = 0.10

#: Days per month used to turn stockpile days into months of cover (365 / 12).
DAYS_PER_MONTH = 30.4

RECORD_COLUMNS = [
    "member",
    "mineral",
    "stage",
    "baseline_t",
    "demand_t",
    "direct_loss_t",
    "lost_t",
    "price_change",
    "demand_reduction_t",
    "recovered_t",
    "recovered_rerouting_t",
    "recovered_sharing_t",
    "recovered_stockpile_t",
    "shortfall_t",
    "shortfall_share",
    "stock_days",
    "months_of_cover",
    "n1_coverage",
    "estimated",
]
#: Working columns of the records that only the CSV output carries.
CSV_ONLY = ("demand_t", "direct_loss_t", "stock_days")
#: Keys of each record of :func:`scenario_payload`, in order (docs/cli.md): the
#: record columns less :data:`CSV_ONLY`.
JSON_KEYS = [c for c in RECORD_COLUMNS if c not in CSV_ONLY]
TOTAL_COLUMNS = [
    "mineral",
    "stage",
    "baseline_t",
    "lost_t",
    "demand_reduction_t",
    "recovered_t",
    "recovered_rerouting_t",
    "recovered_sharing_t",
    "recovered_stockpile_t",
    "shortfall_t",
    "shortfall_share",
    "max_shortfall_share",
    "estimated",
]


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """A scenario run: its inputs, the propagation, the response and the results.

    Attributes
    ----------
    scenario, zone, spare_fraction
        The inputs.
    months
        Duration of the disruption (the longest shock; 12 without shocks).
    propagation
        The propagated shock (per country; its ``network`` is the baseline network).
    response
        The solved zone response.
    records
        One row per member × mineral × stage where the member has supply or a
        loss (:data:`RECORD_COLUMNS`; tonnes a year during the disruption, on the
        layer's basis): ``baseline_t`` (production + imports from outside the
        member), ``demand_t`` (baseline − exports to outside the member: its
        domestic use), ``direct_loss_t`` (imports cut by the measure and
        production cut), ``lost_t`` (fall of the member's domestic use after the
        cascade: the sum of its countries' propagated shortfalls),
        ``price_change`` and ``demand_reduction_t`` (the demand response, see
        :func:`demand_reduction`), recovery per route and in all,
        ``shortfall_t = lost_t − demand_reduction_t − recovered_t`` (≥ 0),
        ``shortfall_share = shortfall_t / baseline_t``, ``stock_days``,
        ``months_of_cover``, ``n1_coverage`` and ``estimated``.
    zone_totals
        One row per mineral × stage (:data:`TOTAL_COLUMNS`): sums over members
        (trade between members counts in each importer's baseline),
        ``shortfall_share`` = total shortfall / total baseline,
        ``max_shortfall_share`` (the optimisation's first objective).
    """

    scenario: Scenario
    zone: Zone
    spare_fraction: float
    months: int
    propagation: Propagation
    response: ResponseSolution
    records: pd.DataFrame
    zone_totals: pd.DataFrame

    @property
    def network(self) -> ScenarioNetwork:
        """The network of the baseline year."""
        return self.propagation.network


def run_scenario(
    supply: SupplyNetwork,
    scenario: Scenario,
    zone: Zone,
    *,
    spare_fraction: float = SPARE_FRACTION,
    network: ScenarioNetwork | None = None,
) -> ScenarioResult:
    """Run ``scenario`` for ``zone``: losses, recovery by route and shortfall per member.

    Parameters
    ----------
    supply
        The supply network (store).
    scenario
        The validated scenario.
    zone
        The zone whose members respond.
    spare_fraction
        Share (0–1) of a non-restricting outside supplier's exports to non-members
        it can re-route to members (ASSUMPTION, default :data:`SPARE_FRACTION`).
    network
        The network of the scenario's baseline year, already built from ``supply``
        (``ScenarioNetwork.from_supply(supply, scenario.year)``), to reuse it
        across runs of the same year (it is not modified); default: built here.

    Returns
    -------
    ScenarioResult
        See :class:`ScenarioResult`.

    Raises
    ------
    ValidationError
        For a stockpile of a member that is not in the zone, or ``spare_fraction``
        outside 0–1.
    InfeasibleError
        If the response optimisation has contradictory inputs.

    Notes
    -----
    The response (issue 4, item 4), per mineral × stage where a member loses supply:

    - **Re-routing**: a supplier outside the zone that does not restrict exports
      (no export cut in the scenario) can send up to ``spare_fraction`` × its
      exports to non-members left after the cascade, and only to members it
      already supplies (an existing route in the baseline year).
    - **Zone sharing**: a member can divert its exports to non-members left after
      the cascade to any member, itself included (routes inside the zone are
      assumed open: the relaxation a preferential zone exists for).
    - **Stockpiles**: ``days`` of the member's consumption (``demand_t``, the
      stage's domestic use; 0 where not positive) become ``days / 365 ×
      demand_t`` tonnes, released evenly over the disruption's ``months``: a rate
      of ``stock × 12 / months`` t/yr. Both release rules (``pro_rata``, ``all``)
      make the whole stock available within the disruption, so in this annual
      model they give the same figures. A stockpile of a mineral without a
      ``stage`` applies to each of its stages (days of that stage's
      consumption); with a ``stage``, to that stage only.
    - **Demand response** comes first (:func:`demand_reduction`): consumption
      that the price rise removes is not a shortfall to cover; the routes above
      are optimised on what is left, ``lost_t − demand_reduction_t``.

    ``months_of_cover = (stock_days / 30.4) × demand_t / gap_t``, with
    ``gap_t = lost_t − recovered_rerouting_t − recovered_sharing_t`` the loss left
    for the stockpile: how many months the whole stock would last against that
    gap (0 without a stockpile, NaN where there is no gap).

    N-1 coverage, after the IEA's gas-security N-1 rule: ``(baseline_t − largest
    supplier) / demand_t``, the largest supplier being the member's own
    production or the largest single exporter outside the member (baseline
    year); NaN where ``demand_t`` is not positive. Below 1: losing the largest
    supplier leaves demand unmet.
    """
    if not 0.0 <= spare_fraction <= 1.0:
        raise ValidationError(f"spare_fraction must be between 0 and 1, got {spare_fraction}")
    members = list(zone.members)
    for stock in scenario.response.stockpiles:
        if stock.member not in zone.members:
            raise ValidationError(
                f"stockpile of {stock.member} ({stock.mineral}): not a member of zone "
                f"{zone.name!r} (members: {', '.join(members)})"
            )
    cuts = exempt_fellow_members(scenario.cuts(), zone.country_to_member())
    months = max((c.months for c in cuts if hasattr(c, "months")), default=12)
    if network is not None and network.year != scenario.year:
        raise ValidationError(
            f"network of {network.year} given for a scenario of baseline year {scenario.year}"
        )
    net = network if network is not None else ScenarioNetwork.from_supply(supply, scenario.year)
    prop = propagate(net, cuts)

    c2m = pd.Series(zone.country_to_member(), dtype=object)
    table = member_table(prop, c2m)
    stock_days = _stock_days(scenario, table)
    table["stock_days"] = stock_days
    table["stock_t"] = (
        table["stock_days"] / 365.0 * table["demand_t"].clip(lower=0.0) * 12.0 / months
    )
    table["price_change"], table["demand_reduction_t"] = demand_reduction(
        prop,
        table,
        elasticity=scenario.response.demand_elasticity,
        price_change=scenario.response.price_change,
    )
    residual = table.assign(lost_t=table["lost_t"] - table["demand_reduction_t"])
    problem = _problem(
        prop, residual, c2m=c2m, cuts=cuts, scenario=scenario, spare_fraction=spare_fraction
    )
    solution = solve_response(problem)

    rec = table.merge(
        solution.members.drop(columns=["baseline_t", "lost_t", "stock_t"]),
        on=[*LAYER, "member"],
        how="left",
    )
    for col in ("recovered_rerouting_t", "recovered_sharing_t", "recovered_stockpile_t"):
        rec[col] = rec[col].astype("float64").fillna(0.0)
    left = rec["lost_t"] - rec["demand_reduction_t"]
    rec["recovered_t"] = (
        rec["recovered_rerouting_t"] + rec["recovered_sharing_t"] + rec["recovered_stockpile_t"]
    ).clip(upper=left)
    rec["shortfall_t"] = (left - rec["recovered_t"]).clip(lower=0.0)
    rec["shortfall_share"] = (rec["shortfall_t"] / rec["baseline_t"]).where(rec["baseline_t"] > 0)
    gap = (left - rec["recovered_rerouting_t"] - rec["recovered_sharing_t"]).clip(lower=0.0)
    need = gap.to_numpy(dtype=float)
    rec["months_of_cover"] = np.divide(
        rec["stock_days"].to_numpy(dtype=float)
        / DAYS_PER_MONTH
        * rec["demand_t"].clip(lower=0.0).to_numpy(dtype=float),
        need,
        out=np.full(len(rec), np.nan),
        where=need > 0,
    )
    rec = rec.rename(columns={"mineral_id": "mineral"})
    rec = rec.sort_values(["mineral", "stage", "member"], ignore_index=True)[RECORD_COLUMNS]
    return ScenarioResult(
        scenario=scenario,
        zone=zone,
        spare_fraction=spare_fraction,
        months=months,
        propagation=prop,
        response=solution,
        records=rec,
        zone_totals=_zone_totals(rec),
    )


def demand_reduction(
    prop: Propagation,
    table: pd.DataFrame,
    *,
    elasticity: float,
    price_change: float | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Price rise (fraction) and the fall of each member's consumption it causes (t/yr).

    Parameters
    ----------
    prop
        The propagation (its nodes give the world's loss per mineral × stage).
    table
        :func:`member_table` rows (``mineral_id, stage, lost_t, demand_t``).
    elasticity
        Price elasticity of demand ε (≤ 0); 0 means no demand response.
    price_change
        The price rise as a fraction (0.5 = +50%); ``None`` derives it.

    Returns
    -------
    tuple of pandas.Series
        ``price_change`` (NaN where ε = 0 and none is given) and
        ``demand_reduction_t``, aligned with ``table``.

    Notes
    -----
    Linear demand response: a member's consumption falls by
    ``min(1, |ε| × Δp/p) × demand_t``, and at most by its loss ``lost_t`` (only
    the part of the fall that meets the loss is counted: a member that loses
    nothing needs no response).

    The derived price rise clears the world market in the short run with supply
    fixed after the shock (every producer already at capacity): world
    consumption must fall by the world's loss share ``s = Σ shortfall_t /
    Σ domestic_use_t`` (all countries, after the cascade), so
    ``Δp/p = s / |ε|`` and each member's consumption falls by ``s × demand_t``.
    A more elastic demand gives a smaller price rise for the same fall. This is
    the textbook inelastic-supply case (e.g. the IEA's oil-shock reasoning);
    where spare capacity exists, give ``price_change`` instead.
    """
    eps = abs(float(elasticity))
    if price_change is None:
        nodes = prop.nodes
        g = nodes.assign(use=nodes["domestic_use_t"].clip(lower=0.0)).groupby(LAYER)
        world = (g["shortfall_t"].sum() / g["use"].sum()).where(g["use"].sum() > 0)
        share = world.reindex(pd.MultiIndex.from_frame(table[LAYER])).to_numpy(dtype=float)
        price = np.divide(share, eps, out=np.full(len(table), np.nan), where=eps > 0)
    else:
        price = np.full(len(table), float(price_change))
    fall = np.minimum(1.0, eps * np.nan_to_num(price, nan=0.0))
    demand = table["demand_t"].clip(lower=0.0).to_numpy(dtype=float)
    lost = table["lost_t"].clip(lower=0.0).to_numpy(dtype=float)
    reduction = np.minimum(fall * demand, lost)
    return (
        pd.Series(price, index=table.index, name="price_change"),
        pd.Series(reduction, index=table.index, name="demand_reduction_t"),
    )


def member_table(prop: Propagation, c2m: pd.Series) -> pd.DataFrame:
    """Baseline, demand, losses and N-1 coverage per zone member × mineral × stage (t/yr).

    Parameters
    ----------
    prop
        A propagation (its nodes and edges).
    c2m
        Member id per ISO3 country (``Zone.country_to_member()`` as a Series);
        countries outside it are left out.

    Returns
    -------
    pandas.DataFrame
        One row per ``mineral_id, stage, member`` with a positive baseline or a
        loss: ``production_t`` (withheld or missing production counted 0),
        ``direct_loss_t``, ``lost_t`` (sum of the members' countries'
        ``shortfall_t``), ``estimated`` (any node estimated), ``imports_t`` and
        ``exports_t`` (trade with countries outside the member only),
        ``baseline_t`` (production + imports), ``demand_t`` (baseline − exports)
        and ``n1_coverage``.

    Notes
    -----
    ``n1_coverage = (baseline_t − largest supplier) / demand_t``, the largest
    supplier being the member's own production or its largest single exporter
    outside the member (the IEA's gas-security N-1 rule); NaN where ``demand_t``
    is not positive.
    """
    nodes = prop.nodes.assign(member=prop.nodes["country"].map(c2m))
    nodes = nodes[nodes["member"].notna()]
    g = nodes.assign(production_t=nodes["production_t"].fillna(0.0)).groupby(
        [*LAYER, "member"], sort=True
    )
    table = g.agg(
        production_t=("production_t", "sum"),
        direct_loss_t=("direct_loss_t", "sum"),
        lost_t=("shortfall_t", "sum"),
        estimated=("estimated", "any"),
    )
    edges = prop.edges.assign(
        exp_member=prop.edges["exporter"].map(c2m), imp_member=prop.edges["importer"].map(c2m)
    )
    q = edges["quantity_t"].fillna(0.0)
    into = edges.assign(q=q)[
        edges["imp_member"].notna() & (edges["exp_member"] != edges["imp_member"])
    ]
    out = edges.assign(q=q)[
        edges["exp_member"].notna() & (edges["exp_member"] != edges["imp_member"])
    ]
    imports = into.groupby([*LAYER, "imp_member"])["q"].sum().rename_axis([*LAYER, "member"])
    exports = out.groupby([*LAYER, "exp_member"])["q"].sum().rename_axis([*LAYER, "member"])
    largest_import = (
        into.groupby([*LAYER, "imp_member", "exporter"])["q"]
        .sum()
        .groupby(level=[0, 1, 2])
        .max()
        .rename_axis([*LAYER, "member"])
    )
    table = table.astype({c: "float64" for c in ("production_t", "direct_loss_t", "lost_t")})
    table["estimated"] = table["estimated"].astype(bool)
    table["imports_t"] = imports.reindex(table.index).fillna(0.0).astype("float64")
    table["exports_t"] = exports.reindex(table.index).fillna(0.0).astype("float64")
    table["baseline_t"] = table["production_t"] + table["imports_t"]
    table["demand_t"] = table["baseline_t"] - table["exports_t"]
    largest = np.maximum(
        table["production_t"].to_numpy(dtype=float),
        largest_import.reindex(table.index).fillna(0.0).to_numpy(dtype=float),
    )
    demand = table["demand_t"].to_numpy(dtype=float)
    table["n1_coverage"] = np.divide(
        table["baseline_t"].to_numpy(dtype=float) - largest,
        demand,
        out=np.full(len(table), np.nan),
        where=demand > 0,
    )
    table = table.reset_index()
    return table[(table["baseline_t"] > 0) | (table["lost_t"] > 0)].reset_index(drop=True)


def _stock_days(scenario: Scenario, table: pd.DataFrame) -> pd.Series:
    """Days of stock per table row: stocks of the row's stage plus those of every stage."""
    listed = pd.DataFrame(
        [
            (s.member, s.mineral, s.stage.value if s.stage is not None else "", s.days)
            for s in scenario.response.stockpiles
        ],
        columns=["member", "mineral_id", "stage", "stock_days"],
    )
    days = np.zeros(len(table))
    for every_stage in (True, False):
        part = listed[(listed["stage"] == "") == every_stage]
        keys = ["member", "mineral_id"] if every_stage else ["member", "mineral_id", "stage"]
        stocks = part.groupby(keys)["stock_days"].sum().reset_index()
        merged = table[keys].merge(stocks, on=keys, how="left")
        days += merged["stock_days"].fillna(0.0).to_numpy(dtype=float)
    return pd.Series(days, index=table.index)


def _problem(
    prop: Propagation,
    table: pd.DataFrame,
    *,
    c2m: pd.Series,
    cuts: tuple[object, ...],
    scenario: Scenario,
    spare_fraction: float,
) -> ResponseProblem:
    """The response problem of every layer in which some member loses supply."""
    # Losses below the propagation's round-off (1e-9 of the baseline) are not optimised.
    noise = 1e-9 * np.maximum(table["baseline_t"], 1.0)
    hit = table.loc[table["lost_t"] > noise, LAYER].drop_duplicates()
    members = table.merge(hit, on=LAYER)[[*LAYER, "member", "baseline_t", "lost_t", "stock_t"]]
    restricting = {c.exporter for c in cuts if isinstance(c, ExportCut)}
    edges = prop.edges.merge(hit, on=LAYER)
    edges = edges.assign(
        exp_member=edges["exporter"].map(c2m),
        imp_member=edges["importer"].map(c2m),
        after=edges["after_t"].fillna(0.0).clip(lower=0.0),
        before=edges["quantity_t"].fillna(0.0),
    )
    to_outside = edges[edges["imp_member"].isna()]
    # Re-routing: outside, non-restricting suppliers' spare exports, on existing routes.
    outsiders = to_outside[
        to_outside["exp_member"].isna() & ~to_outside["exporter"].isin(restricting)
    ]
    spare = outsiders.groupby([*LAYER, "exporter"])["after"].sum() * spare_fraction
    reroute_src = spare.rename("capacity_t").rename_axis([*LAYER, "source"]).reset_index()
    reroute_src["route"] = ROUTE_REROUTING
    routes = edges[
        edges["exp_member"].isna()
        & edges["imp_member"].notna()
        & (edges["before"] > 0)
        & ~edges["exporter"].isin(restricting)
    ]
    reroute_arcs = (
        routes[[*LAYER, "exporter", "imp_member"]]
        .drop_duplicates()
        .rename(columns={"exporter": "source", "imp_member": "member"})
    )
    reroute_arcs = reroute_arcs.merge(reroute_src[[*LAYER, "source"]], on=[*LAYER, "source"])
    reroute_arcs["route"] = ROUTE_REROUTING
    # Sharing: members' exports to non-members left after the cascade, to any member.
    divert = (
        to_outside[to_outside["exp_member"].notna()].groupby([*LAYER, "exp_member"])["after"].sum()
    )
    share_src = divert.rename("capacity_t").rename_axis([*LAYER, "source"]).reset_index()
    share_src = share_src[share_src["capacity_t"] > 0]
    share_src["route"] = ROUTE_SHARING
    share_arcs = share_src[[*LAYER, "source"]].merge(members[[*LAYER, "member"]], on=LAYER)
    share_arcs["route"] = ROUTE_SHARING
    cols = [*LAYER, "route", "source"]
    sources = pd.concat([reroute_src[[*cols, "capacity_t"]], share_src[[*cols, "capacity_t"]]])
    arcs = pd.concat([reroute_arcs[[*cols, "member"]], share_arcs[[*cols, "member"]]])
    return ResponseProblem(
        members=members.reset_index(drop=True),
        sources=sources.reset_index(drop=True),
        arcs=arcs.reset_index(drop=True),
        sharing=scenario.response.sharing,
        rerouting=scenario.response.rerouting,
    )


def _zone_totals(rec: pd.DataFrame) -> pd.DataFrame:
    sums = [
        "baseline_t",
        "lost_t",
        "demand_reduction_t",
        "recovered_t",
        "recovered_rerouting_t",
        "recovered_sharing_t",
        "recovered_stockpile_t",
        "shortfall_t",
    ]
    g = rec.groupby(["mineral", "stage"], sort=True)
    out = g[sums].sum()
    out["shortfall_share"] = (out["shortfall_t"] / out["baseline_t"]).where(out["baseline_t"] > 0)
    out["max_shortfall_share"] = g["shortfall_share"].max()
    out["estimated"] = g["estimated"].any()
    return out.reset_index()[TOTAL_COLUMNS]


def scenario_payload(result: ScenarioResult, *, labelled: bool = False) -> dict[str, Any]:
    """Return the JSON document of a run (tonnes a year; docs/cli.md).

    Keys: ``scenario`` (its id), ``baseline_year``, ``records`` (the
    :data:`JSON_KEYS` of :attr:`ScenarioResult.records`) and ``zone_totals``.

    Parameters
    ----------
    result
        The run.
    labelled
        Also give the scenario's ``name`` (after ``scenario``), the ``months``
        of the disruption and the ``zone``'s name (after ``baseline_year``), and
        every record column (:data:`RECORD_COLUMNS`): what the API returns.
    """
    payload: dict[str, Any] = {"scenario": result.scenario.id}
    if labelled:
        payload["name"] = result.scenario.name
    payload["baseline_year"] = result.scenario.year
    if labelled:
        payload["months"] = result.months
        payload["zone"] = result.zone.name
    rows = result.records if labelled else result.records[JSON_KEYS]
    payload["records"] = frame_records(rows)
    payload["zone_totals"] = frame_records(result.zone_totals)
    return payload
