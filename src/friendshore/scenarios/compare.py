"""Scenarios side by side, and the sensitivity of a scenario to its main assumptions.

:func:`compare_scenarios` runs several scenarios on one supply network (each
baseline year's :class:`~friendshore.scenarios.network.ScenarioNetwork` built
once) and tabulates the members' shortfall shares side by side: one row per
member × mineral × stage (and the zone's total, ``member = 'zone'``), one column
per scenario. :func:`scenario_sensitivity` re-runs one scenario with each main
assumption at a low and a high value (re-routing spare capacity, demand
elasticity, days of stock) and returns the zone's shortfall at each: the bars of
a tornado chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore._core.records import frame_records, plain
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.scenarios.model import Scenario, Stockpile, scenario_minerals
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.run import SPARE_FRACTION, ScenarioResult, run_scenario

__all__ = [
    "ASSUMPTIONS",
    "COMPARE_KEYS",
    "MAX_COMPARED",
    "NOISE",
    "NO_SUPPLY",
    "SENSITIVITY_COLUMNS",
    "ZONE_ROW",
    "Assumption",
    "ScenarioComparison",
    "Sensitivity",
    "check_compared",
    "compare_scenarios",
    "comparison_payload",
    "networks_for",
    "run_many",
    "scenario_sensitivity",
    "sensitivity_payload",
    "side_by_side",
    "with_assumption",
]

#: ``member`` of the zone's total rows.
ZONE_ROW: Final = "zone"
#: Keys of a row of :attr:`ScenarioComparison.table`.
COMPARE_KEYS: Final = ["member", "mineral", "stage"]
#: Losses below this fraction of a member's baseline (at least 1 t) are the propagation's
#: round-off, not losses (the threshold of ``run_scenario``'s response problem).
NOISE: Final = 1e-9
#: Most scenarios one comparison takes (API and CLI alike).
MAX_COMPARED: Final = 12

#: Why a member's shortfall share is not known in a scenario.
NO_SUPPLY: Final = (
    "no supply of this mineral and stage in the member in the scenario's baseline year"
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class ScenarioComparison:
    """Several scenario runs side by side.

    Attributes
    ----------
    zone, spare_fraction
        The inputs shared by every run.
    results
        One :class:`~friendshore.scenarios.run.ScenarioResult` per scenario, in
        the order given, on the layers of the minerals the scenarios touch
        (:func:`run_many`).
    table
        One row per member × mineral × stage where the member loses supply
        (more than :data:`NOISE` of its baseline) in at least one scenario,
        and one ``member = 'zone'`` row per such mineral × stage (the zone's
        total): ``member, mineral, stage``, then for each
        scenario id ``<id>_shortfall_share`` (fraction of the member's baseline
        supply, 0–1) and ``<id>_shortfall_t`` (t/yr). NaN where the member has no
        supply of that mineral and stage in that scenario's baseline year
        (unknown, not zero: a scenario that spares a member gives 0).
    """

    zone: Zone
    spare_fraction: float
    results: tuple[ScenarioResult, ...]
    table: pd.DataFrame

    @property
    def ids(self) -> tuple[str, ...]:
        """The scenario ids, in the order given."""
        return tuple(r.scenario.id for r in self.results)


def networks_for(
    supply: SupplyNetwork, scenarios: Sequence[Scenario]
) -> dict[int, ScenarioNetwork]:
    """One network per baseline year, holding the layers of every mineral the scenarios touch.

    Every year holds the same minerals (the union over all ``scenarios``), so a
    layer hit in one scenario has its figures (0 where spared) in the others.
    Layers are independent (a cascade stays in its mineral × stage), so a run
    on it gives the same figures for those layers as on the whole network.
    """
    touched = sorted({m for s in scenarios for m in scenario_minerals(s)})
    years = sorted({s.year for s in scenarios})
    return {year: ScenarioNetwork.from_supply(supply, year, minerals=touched) for year in years}


def run_many(
    supply: SupplyNetwork,
    scenarios: Sequence[Scenario],
    zone: Zone,
    *,
    spare_fraction: float = SPARE_FRACTION,
    progress: Progress | None = None,
) -> tuple[ScenarioResult, ...]:
    """Run ``scenarios`` on one supply network, each baseline year's network built once.

    Each year's network holds the layers of the minerals the scenarios touch
    (:func:`networks_for`): the runs' records cover those layers, with the same
    figures as :func:`~friendshore.scenarios.run.run_scenario` run one by one.
    ``progress(done, total)`` is called after each run (``total`` = scenarios).
    """
    nets = networks_for(supply, scenarios)
    results = []
    for i, scenario in enumerate(scenarios, start=1):
        results.append(
            run_scenario(
                supply,
                scenario,
                zone,
                spare_fraction=spare_fraction,
                network=nets[scenario.year],
            )
        )
        if progress is not None:
            progress(i, len(scenarios))
    return tuple(results)


def check_compared(ids: Sequence[str]) -> None:
    """Raise :class:`ValidationError` for no scenario, too many (:data:`MAX_COMPARED`), a repeat."""
    if not ids:
        raise ValidationError("give at least one scenario to compare")
    if len(ids) > MAX_COMPARED:
        raise ValidationError(f"at most {MAX_COMPARED} scenarios at once, got {len(ids)}")
    seen: set[str] = set()
    for scenario_id in ids:
        if scenario_id in seen:
            raise ValidationError(f"scenario {scenario_id!r} is given twice")
        seen.add(scenario_id)


def compare_scenarios(
    supply: SupplyNetwork,
    scenarios: Sequence[Scenario],
    zone: Zone,
    *,
    spare_fraction: float = SPARE_FRACTION,
    progress: Progress | None = None,
) -> ScenarioComparison:
    """Run several scenarios and put the members' shortfall shares side by side (fractions 0–1).

    Parameters
    ----------
    supply
        The supply network, loaded once for every run.
    scenarios
        The scenarios (distinct ids, at most :data:`MAX_COMPARED`).
    zone
        The zone whose members respond.
    spare_fraction
        Re-routing spare capacity of every run (see
        :func:`~friendshore.scenarios.run.run_scenario`).
    progress
        Called with ``(done, total)`` as runs finish.

    Returns
    -------
    ScenarioComparison
        The runs and the side-by-side table.

    Raises
    ------
    ValidationError
        For no scenario, more than :data:`MAX_COMPARED` or a repeated id.

    Notes
    -----
    Each cell is the run's own ``shortfall_share = shortfall_t / baseline_t``
    (:func:`~friendshore.scenarios.run.run_scenario`); the zone row is the
    run's zone total (total shortfall / total baseline of the members).
    Scenarios may have different baseline years: a column's baseline is its
    scenario's year (``comparison_payload`` gives it).
    """
    check_compared([s.id for s in scenarios])
    results = run_many(supply, scenarios, zone, spare_fraction=spare_fraction, progress=progress)
    return ScenarioComparison(
        zone=zone,
        spare_fraction=spare_fraction,
        results=results,
        table=side_by_side(results, zone),
    )


def side_by_side(results: Sequence[ScenarioResult], zone: Zone) -> pd.DataFrame:
    """The table of :class:`ScenarioComparison` from finished runs (see there)."""
    hit_layers: set[tuple[str, str]] = set()
    hit_rows: set[tuple[str, str, str]] = set()
    for r in results:
        # losses below the propagation's round-off are not losses (as run_scenario's response)
        noise = NOISE * r.records["baseline_t"].clip(lower=1.0)
        hit = r.records[r.records["lost_t"] > noise]
        hit_layers.update(zip(hit["mineral"], hit["stage"], strict=True))
        hit_rows.update(zip(hit["member"], hit["mineral"], hit["stage"], strict=True))
    keys = pd.DataFrame(sorted(hit_rows), columns=COMPARE_KEYS)
    zone_keys = pd.DataFrame(
        [(ZONE_ROW, m, s) for m, s in sorted(hit_layers)], columns=COMPARE_KEYS
    )
    table = pd.concat([keys, zone_keys], ignore_index=True)
    for r in results:
        sid = r.scenario.id
        rec = r.records[[*COMPARE_KEYS, "shortfall_share", "shortfall_t"]]
        tot = r.zone_totals[["mineral", "stage", "shortfall_share", "shortfall_t"]].assign(
            member=ZONE_ROW
        )
        both = pd.concat([rec, tot[rec.columns]], ignore_index=True).rename(
            columns={
                "shortfall_share": f"{sid}_shortfall_share",
                "shortfall_t": f"{sid}_shortfall_t",
            }
        )
        table = table.merge(both, on=COMPARE_KEYS, how="left")
    order = {m: i for i, m in enumerate([*zone.members, ZONE_ROW])}
    table["_order"] = table["member"].map(order).fillna(len(order))
    table = table.sort_values(["mineral", "stage", "_order", "member"], ignore_index=True)
    return table.drop(columns="_order")


def comparison_payload(comparison: ScenarioComparison) -> dict[str, Any]:
    """The JSON document of a comparison (CLI ``--format json`` and the API).

    Keys: ``zone`` (name), ``spare_fraction``, ``scenarios`` (``id, name,
    baseline_year, months, minerals``), ``units`` and ``rows``: one per
    member × mineral × stage with ``shortfall_share`` and ``shortfall_t``
    objects keyed by scenario id (``null`` where unknown) and ``notes`` giving
    the reason for each ``null``.
    """
    ids = comparison.ids
    rows = []
    for rec in comparison.table.to_dict("records"):
        shares = {sid: plain(rec[f"{sid}_shortfall_share"]) for sid in ids}
        tonnes = {sid: plain(rec[f"{sid}_shortfall_t"]) for sid in ids}
        notes = {sid: NO_SUPPLY for sid, v in shares.items() if v is None}
        rows.append(
            {
                "member": rec["member"],
                "mineral": rec["mineral"],
                "stage": rec["stage"],
                "shortfall_share": shares,
                "shortfall_t": tonnes,
                "notes": notes,
            }
        )
    return {
        "zone": comparison.zone.name,
        "spare_fraction": comparison.spare_fraction,
        "scenarios": [
            {
                "id": r.scenario.id,
                "name": r.scenario.name,
                "baseline_year": r.scenario.year,
                "months": r.months,
                "minerals": list(scenario_minerals(r.scenario)),
            }
            for r in comparison.results
        ],
        "units": {
            "shortfall_share": "fraction of the member's baseline supply (0-1)",
            "shortfall_t": "tonnes a year during the disruption",
        },
        "rows": rows,
    }


# --- sensitivity -------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One assumption of a scenario run varied by :func:`scenario_sensitivity`.

    Attributes
    ----------
    name
        ``spare_fraction``, ``demand_elasticity`` or ``stock_days``.
    label
        Words for tables and charts.
    low, high
        The two values tried (the other assumptions stay at the scenario's own).
    unit
        What the values measure.
    why
        Where the values come from.
    """

    name: str
    label: str
    low: float
    high: float
    unit: str
    why: str


#: The assumptions varied and their low and high values (docs/cli.md).
ASSUMPTIONS: Final[tuple[Assumption, ...]] = (
    Assumption(
        "spare_fraction",
        "re-routing spare capacity",
        0.0,
        0.25,
        "share of outside suppliers' exports to non-members re-routable to members",
        "ASSUMPTION: no published figure; 0 = no spare capacity, 0.25 = a quarter of "
        "their exports to non-members (default of a run: 0.10)",
    ),
    Assumption(
        "demand_elasticity",
        "demand elasticity",
        0.0,
        -0.5,
        "price elasticity of demand",
        "ASSUMPTION: 0 = no demand response; -0.5 = a strong short-run response. With the "
        "derived price rise any elasticity below 0 removes the world's loss share of "
        "each member's consumption (run.demand_reduction), so the high value stands for "
        "'demand responds'",
    ),
    Assumption(
        "stock_days",
        "stockpile days",
        0.0,
        60.0,
        "days of each member's consumption of each mineral the scenario touches",
        "0 = no stocks; 60 days = JOGMEC's stockpiling target for Japan's rare metals "
        "(the scenario's own stockpiles are replaced)",
    ),
)

#: Columns of :attr:`Sensitivity.frame`.
SENSITIVITY_COLUMNS: Final = [
    "mineral",
    "stage",
    "assumption",
    "label",
    "base",
    "low",
    "high",
    "zone_shortfall_base_t",
    "zone_shortfall_low_t",
    "zone_shortfall_high_t",
    "zone_shortfall_share_base",
    "zone_shortfall_share_low",
    "zone_shortfall_share_high",
    "change_t",
    "change_share",
]


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The zone's shortfall of one scenario with each assumption at its low and high value.

    Attributes
    ----------
    scenario, zone, spare_fraction
        The inputs (``spare_fraction``: the base run's).
    assumptions
        The assumptions varied.
    base
        The base run.
    frame
        One row per mineral × stage in which the zone loses supply in the base
        run × assumption (:data:`SENSITIVITY_COLUMNS`): the assumption's
        ``base``, ``low`` and ``high`` values, the zone's shortfall (t/yr and
        share of its baseline) at each, ``change_t = zone_shortfall_high_t −
        zone_shortfall_low_t`` and ``change_share`` (the same for the share).
        Rows of a layer are ordered by ``|change_share|``, largest first (the
        tornado's order).
    """

    scenario: Scenario
    zone: Zone
    spare_fraction: float
    assumptions: tuple[Assumption, ...]
    base: ScenarioResult
    frame: pd.DataFrame


def _base_value(name: str, scenario: Scenario, spare_fraction: float) -> float:
    if name == "spare_fraction":
        return spare_fraction
    if name == "demand_elasticity":
        return float(scenario.response.demand_elasticity)
    days = [s.days for s in scenario.response.stockpiles]
    return float(max(days)) if days else 0.0


def with_assumption(
    scenario: Scenario, zone: Zone, name: str, value: float
) -> tuple[Scenario, float | None]:
    """``scenario`` with one assumption set to ``value``; the spare fraction if that is it.

    ``stock_days`` replaces the scenario's stockpiles by ``value`` days of every
    member's consumption of each mineral the scenario touches (every stage);
    0 removes them.
    """
    if name == "spare_fraction":
        return scenario, value
    response = scenario.response
    if name == "demand_elasticity":
        return scenario.model_copy(
            update={"response": response.model_copy(update={"demand_elasticity": value})}
        ), None
    if name == "stock_days":
        stocks = [
            Stockpile(member=member, mineral=mineral, days=value)
            for member in zone.members
            for mineral in scenario_minerals(scenario)
        ]
        return scenario.model_copy(
            update={"response": response.model_copy(update={"stockpiles": stocks if value else []})}
        ), None
    raise ValidationError(f"unknown assumption {name!r}")


def scenario_sensitivity(
    supply: SupplyNetwork,
    scenario: Scenario,
    zone: Zone,
    *,
    spare_fraction: float = SPARE_FRACTION,
    assumptions: Sequence[Assumption] = ASSUMPTIONS,
    progress: Progress | None = None,
) -> Sensitivity:
    """The zone's shortfall (t/yr and share) with each assumption at its low and high value.

    Parameters
    ----------
    supply
        The supply network.
    scenario
        The scenario; its own settings are the base.
    zone
        The zone whose members respond.
    spare_fraction
        The base run's re-routing spare capacity.
    assumptions
        What to vary (default :data:`ASSUMPTIONS`).
    progress
        Called with ``(done, total)`` after each run (``total`` = 1 + 2 per assumption).

    Returns
    -------
    Sensitivity
        The base run and the tornado frame.

    Notes
    -----
    One assumption moves at a time, the others stay at the base (a one-way
    sensitivity, drawn as a tornado). The zone's shortfall of a mineral × stage
    is the sum of its members' ``shortfall_t``; its share divides by the sum of
    their ``baseline_t`` (``ScenarioResult.zone_totals``).
    """
    net = networks_for(supply, [scenario])[scenario.year]
    total = 1 + 2 * len(assumptions)
    base = run_scenario(supply, scenario, zone, spare_fraction=spare_fraction, network=net)
    if progress is not None:
        progress(1, total)
    totals = base.zone_totals.set_index(["mineral", "stage"])
    hit = totals[totals["lost_t"] > 0]
    rows: list[dict[str, Any]] = []
    done = 1
    for a in assumptions:
        runs: dict[str, pd.DataFrame] = {}
        for end, value in (("low", a.low), ("high", a.high)):
            varied, spare = with_assumption(scenario, zone, a.name, value)
            result = run_scenario(
                supply,
                varied,
                zone,
                spare_fraction=spare if spare is not None else spare_fraction,
                network=net,
            )
            runs[end] = result.zone_totals.set_index(["mineral", "stage"])
            done += 1
            if progress is not None:
                progress(done, total)
        for mineral, stage in hit.index:
            row: dict[str, Any] = {
                "mineral": mineral,
                "stage": stage,
                "assumption": a.name,
                "label": a.label,
                "base": _base_value(a.name, scenario, spare_fraction),
                "low": a.low,
                "high": a.high,
                "zone_shortfall_base_t": hit.at[(mineral, stage), "shortfall_t"],
                "zone_shortfall_share_base": hit.at[(mineral, stage), "shortfall_share"],
            }
            for end, frame in runs.items():
                row[f"zone_shortfall_{end}_t"] = frame.at[(mineral, stage), "shortfall_t"]
                row[f"zone_shortfall_share_{end}"] = frame.at[(mineral, stage), "shortfall_share"]
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS[:-2])
    frame["change_t"] = frame["zone_shortfall_high_t"] - frame["zone_shortfall_low_t"]
    frame["change_share"] = frame["zone_shortfall_share_high"] - frame["zone_shortfall_share_low"]
    frame["_size"] = np.abs(frame["change_share"].to_numpy(dtype=float))
    frame = frame.sort_values(
        ["mineral", "stage", "_size"], ascending=[True, True, False], ignore_index=True
    )
    return Sensitivity(
        scenario=scenario,
        zone=zone,
        spare_fraction=spare_fraction,
        assumptions=tuple(assumptions),
        base=base,
        frame=frame[SENSITIVITY_COLUMNS],
    )


def sensitivity_payload(result: Sensitivity) -> dict[str, Any]:
    """The JSON document of a sensitivity: the scenario, the assumptions and the rows."""
    return {
        "scenario": result.scenario.id,
        "name": result.scenario.name,
        "baseline_year": result.scenario.year,
        "zone": result.zone.name,
        "assumptions": [
            {
                "name": a.name,
                "label": a.label,
                "base": _base_value(a.name, result.scenario, result.spare_fraction),
                "low": a.low,
                "high": a.high,
                "unit": a.unit,
                "why": a.why,
            }
            for a in result.assumptions
        ],
        "units": {
            "zone_shortfall_*_t": "tonnes a year during the disruption",
            "zone_shortfall_share_*": "fraction of the zone's baseline supply (0-1)",
            "change_t": "zone_shortfall_high_t - zone_shortfall_low_t",
            "change_share": "zone_shortfall_share_high - zone_shortfall_share_low",
        },
        "rows": frame_records(result.frame),
    }
