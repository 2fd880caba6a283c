"""``friendshore scenario compare`` and ``scenario sensitivity``: scenarios side by side."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.types import OutputFormat
from friendshore.cli.cells import Footnotes, number, percent_digits, quantity_t
from friendshore.cli.common import (
    FormatOption,
    ScenarioArgument,
    StoreOption,
    ZoneOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, emit_table, progress_bar, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.scenarios.compare import ScenarioComparison, Sensitivity

__all__ = ["compare_command", "compare_view", "sensitivity_command", "sensitivity_view"]

SpareOption = Annotated[
    float,
    typer.Option(
        "--spare",
        min=0.0,
        max=1.0,
        help="Re-routing spare capacity: share (0-1) of outside suppliers' exports to "
        "non-members that can be re-routed to members (an assumption).",
    ),
]


def compare_view(comparison: ScenarioComparison) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Cells, legend and footnotes of the ``scenario compare`` table.

    Columns ``(1)``, ``(2)`` … are the scenarios in the order given (the legend
    names them); cells are shortfall shares with one decimal (``<0.1%`` for a
    tiny non-zero); ``—`` with a footnote where the member has no supply of the
    mineral and stage in that scenario's baseline year.
    """
    import pandas as pd

    from friendshore.data.names import mineral_name
    from friendshore.scenarios.compare import NO_SUPPLY, ZONE_ROW

    notes = Footnotes()
    cells: dict[str, list[str]] = {"member": [], "mineral": [], "stage": []}
    heads = [f"({i})" for i in range(1, len(comparison.ids) + 1)]
    for head in heads:
        cells[head] = []
    for row in comparison.table.to_dict("records"):
        cells["member"].append("zone total" if row["member"] == ZONE_ROW else str(row["member"]))
        cells["mineral"].append(mineral_name(str(row["mineral"])))
        cells["stage"].append(str(row["stage"]))
        for head, result in zip(heads, comparison.results, strict=True):
            share = percent_digits(row[f"{result.scenario.id}_shortfall_share"], 1)
            reason = f"{NO_SUPPLY} ({result.scenario.year})"
            cells[head].append(notes.cell(share, reason))
    legend = [
        f"({i}) {r.scenario.id}: {r.scenario.name} (baseline {r.scenario.year}, {r.months} months)"
        for i, r in enumerate(comparison.results, start=1)
    ]
    wrapped = [
        line for text in legend for line in textwrap.wrap(text, width=100, subsequent_indent="    ")
    ]
    return pd.DataFrame(cells), wrapped, notes.lines(width=100)


@handle_errors
def compare_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Shipped scenario ids (see `friendshore scenario list`) or YAML files.",
            metavar="NAME_OR_FILE",
            show_default=False,
        ),
    ],
    zone_file: ZoneOption = None,
    spare: SpareOption = 0.10,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
) -> None:
    """Run several scenarios and put members' shortfall shares side by side.

    One row per member × mineral × stage where a member loses supply in some
    scenario (and the zone's total), one column per scenario: shortfall as a
    share of the member's baseline supply. The supply network is loaded once and
    each baseline year's trade network built once. JSON: {zone, spare_fraction,
    scenarios, units, rows}; CSV: member, mineral, stage and
    <id>_shortfall_share, <id>_shortfall_t per scenario.
    """
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.compare import (
        check_compared,
        compare_scenarios,
        comparison_payload,
    )
    from friendshore.scenarios.model import load_scenario

    loaded = [load_scenario(s) for s in scenarios]
    check_compared([s.id for s in loaded])
    zone = Zone.load(zone_file)
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    with progress_bar("scenarios", disable=fmt is not OutputFormat.TABLE) as bar:
        task = bar.add_task("scenarios", total=len(loaded))
        comparison = compare_scenarios(
            supply,
            loaded,
            zone,
            spare_fraction=spare,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    if fmt is OutputFormat.JSON:
        emit_json(comparison_payload(comparison))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(comparison.table, fmt)
        return
    if comparison.table.empty:
        stdout.print(f"No member of {zone.name} loses supply in these scenarios.", highlight=False)
        return
    frame, legend, notes = compare_view(comparison)
    emit_table(
        frame,
        title=f"{zone.name}: members' shortfall as a share of their baseline supply, "
        f"by scenario (re-routing spare capacity {spare:.0%})",
        right=frozenset(c for c in frame.columns if c.startswith("(")),
        notes=[*legend, *notes],
        max_width={"mineral": 18},
    )


def _tonnes_change(value: float) -> str:
    """A change in t/yr, scaled (``-57.1 kt``); a non-zero never prints as 0."""
    v = number(value)
    if v is None:
        return "—"
    if v != 0 and abs(v) < 0.005:
        return "<+0.01 t" if v > 0 else ">-0.01 t"
    return quantity_t(v, scaled=True) or "—"


def sensitivity_view(result: Sensitivity) -> pd.DataFrame:
    """Cells of the ``scenario sensitivity`` table: one row per layer × assumption."""
    import pandas as pd

    from friendshore.cli.assess_compare import change_text
    from friendshore.data.names import mineral_name

    def value(name: str, v: float) -> str:
        if name == "spare_fraction":
            return f"{v:.0%}"
        if name == "stock_days":
            return f"{v:g} d"
        return f"{v:g}"

    rows = []
    for r in result.frame.to_dict("records"):
        rows.append(
            {
                "mineral": mineral_name(str(r["mineral"])),
                "stage": str(r["stage"]),
                "assumption": str(r["label"]),
                "low → high": f"{value(r['assumption'], r['low'])} → "
                f"{value(r['assumption'], r['high'])}",
                "shortfall\nat low": percent_digits(r["zone_shortfall_share_low"], 1) or "—",
                "shortfall\nat high": percent_digits(r["zone_shortfall_share_high"], 1) or "—",
                "change\npp": change_text(r["change_share"]) or "—",
                "change\nt/yr": _tonnes_change(r["change_t"]),
            }
        )
    return pd.DataFrame(rows)


@handle_errors
def sensitivity_command(
    scenario: ScenarioArgument,
    zone_file: ZoneOption = None,
    spare: SpareOption = 0.10,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
) -> None:
    """How the zone's shortfall in a scenario moves with its main assumptions (a tornado).

    Re-runs the scenario with one assumption at a time at a low and a high
    value, the others at the scenario's own: re-routing spare capacity 0 and
    25% (a run's default 10%), demand elasticity 0 and -0.5, stockpiles of 0
    and 60 days of every member's consumption of the minerals it touches. One
    row per mineral × stage where the zone loses supply × assumption, largest
    change first. JSON: {scenario, assumptions, units, rows}; CSV: the rows.
    """
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.compare import (
        ASSUMPTIONS,
        scenario_sensitivity,
        sensitivity_payload,
    )
    from friendshore.scenarios.model import load_scenario

    loaded = load_scenario(scenario)
    zone = Zone.load(zone_file)
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    with progress_bar("runs", disable=fmt is not OutputFormat.TABLE) as bar:
        task = bar.add_task("runs", total=1 + 2 * len(ASSUMPTIONS))
        result = scenario_sensitivity(
            supply,
            loaded,
            zone,
            spare_fraction=spare,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    if fmt is OutputFormat.JSON:
        emit_json(sensitivity_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.frame, fmt)
        return
    if result.frame.empty:
        stdout.print(
            f"{loaded.id} ({loaded.year} baseline): no member of {zone.name} loses supply; "
            "nothing to vary.",
            highlight=False,
        )
        return
    notes = [
        line
        for a in result.assumptions
        for line in textwrap.wrap(
            f"{a.label} ({a.low:g} / {a.high:g}): {a.why}.", width=100, subsequent_indent="  "
        )
    ]
    emit_table(
        sensitivity_view(result),
        title=f"{loaded.name}: the zone's shortfall (share of its baseline supply) with each "
        f"assumption at its low and high value ({loaded.year} baseline)",
        right=frozenset({"shortfall\nat low", "shortfall\nat high", "change\npp", "change\nt/yr"}),
        notes=notes,
        max_width={"mineral": 12, "assumption": 14},
    )
