"""``friendshore scenario run``: propagate a scenario and solve the zone's response."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.types import OutputFormat
from friendshore.cli.cells import percent_digits
from friendshore.cli.common import (
    FormatOption,
    ScenarioArgument,
    StoreOption,
    ZoneOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["run_command"]


def _table(frame: pd.DataFrame) -> pd.DataFrame:

    out = frame.copy()
    for col in [c for c in ("shortfall_share", "n1_coverage") if c in out.columns]:
        out[col] = out[col].map(lambda v: percent_digits(v, 0) or "—")
    for col in [c for c in out.columns if c.endswith("_t")]:
        out[col] = out[col].round(1)
    return out


@handle_errors
def run_command(
    scenario: ScenarioArgument,
    zone_file: ZoneOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the self-contained HTML report to DIR/index.html "
            "(its path goes to stderr). Default: no report.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a scenario: each member's loss, recovery by route and shortfall.

    Propagates the scenario's shocks through the trade network of its baseline
    year, then solves the zone's response (re-routing, sharing among members,
    stockpiles) to minimise the largest shortfall share among members, then the
    total shortfall. JSON: {scenario, baseline_year, records, zone_totals}.
    """
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.report.scenario import write_scenario_report
    from friendshore.scenarios.model import load_scenario
    from friendshore.scenarios.run import run_scenario, scenario_payload

    loaded = load_scenario(scenario)
    zone = Zone.load(zone_file)
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    result = run_scenario(supply, loaded, zone)
    if out_dir is not None:
        path = write_scenario_report(result, out_dir)
        stderr.print(f"report written to {path}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(scenario_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.records, fmt)
        return
    hit = result.records[result.records["lost_t"] > 0]
    if hit.empty:
        stdout.print(
            f"{loaded.id} ({result.scenario.year} baseline): "
            f"no member of {zone.name} loses supply.",
            highlight=False,
        )
        return
    cols = [
        "member",
        "mineral",
        "stage",
        "baseline_t",
        "lost_t",
        "demand_reduction_t",
        "recovered_rerouting_t",
        "recovered_sharing_t",
        "recovered_stockpile_t",
        "shortfall_t",
        "shortfall_share",
        "n1_coverage",
        "estimated",
    ]
    emit_frame(
        _table(hit[cols]),
        fmt,
        title=f"{loaded.name}: {zone.name} members' losses and recovery "
        f"(t/yr, {result.scenario.year} baseline)",
    )
    totals = result.zone_totals[result.zone_totals["lost_t"] > 0]
    emit_frame(_table(totals.drop(columns=["max_shortfall_share"])), fmt, title="Zone totals")
    spared = [m for m in zone.members if m not in set(hit["member"])]
    if spared:
        layers = ", ".join(sorted({f"{r.mineral} {r.stage}" for r in hit.itertuples()}))
        stdout.print(
            f"No loss for {', '.join(spared)} (in {layers}): no supply cut reaches "
            f"{'them' if len(spared) > 1 else 'it'} through the trade network.",
            highlight=False,
        )
