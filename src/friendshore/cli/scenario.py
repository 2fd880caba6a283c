"""``friendshore scenario …``: the library of disruption scenarios."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from friendshore._core.types import OutputFormat
from friendshore.cli.common import FormatOption, OptionalMineralOption, handle_errors
from friendshore.cli.output import emit_frame, emit_json, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.scenarios.model import Scenario

app = typer.Typer(
    help="Disruption scenarios: export restrictions, production losses, the zone's response.",
    no_args_is_help=True,
)

ScenarioArgument = Annotated[
    str,
    typer.Argument(
        help="A shipped scenario id (see `friendshore scenario list`) or a YAML file.",
        metavar="NAME|FILE",
    ),
]


@app.command("list")
@handle_errors
def list_command(
    fmt: FormatOption = OutputFormat.TABLE,
    mineral: OptionalMineralOption = None,
) -> None:
    """List the shipped scenarios: id, name, date, minerals, measure, source.

    `--mineral` keeps the measures whose shocks touch that mineral.
    """
    from friendshore.scenarios.model import list_scenarios

    title = "Shipped scenarios" + (f" touching {mineral}" if mineral else "")
    emit_frame(list_scenarios(mineral=mineral), fmt, title=title)


def _shocks_frame(scenario: Scenario) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {"shock": i, "type": shock.type, "measure": shock.summary()}
        for i, shock in enumerate(scenario.shocks)
    ]
    return pd.DataFrame(rows, columns=["shock", "type", "measure"])


@app.command("show")
@handle_errors
def show_command(
    scenario: ScenarioArgument,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Validate a scenario and print it (JSON: the validated scenario as the API takes it)."""
    from friendshore.scenarios.model import load_scenario

    loaded = load_scenario(scenario)
    if fmt is OutputFormat.JSON:
        emit_json(loaded.model_dump(mode="json"))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(_shocks_frame(loaded), fmt)
        return
    response = loaded.response
    stockpiles = (
        ", ".join(
            f"{s.member} {s.mineral} {s.days:g} days ({s.release})" for s in response.stockpiles
        )
        or "none"
    )
    for label, value in (
        ("id", loaded.id),
        ("name", loaded.name),
        ("date", loaded.date.isoformat()),
        ("baseline year", str(loaded.year)),
        ("source", loaded.source),
        ("description", loaded.description or "—"),
        (
            "response",
            f"sharing {'on' if response.sharing else 'off'}, "
            f"re-routing {'on' if response.rerouting else 'off'}, "
            f"demand elasticity {response.demand_elasticity:g}, stockpiles: {stockpiles}",
        ),
    ):
        stdout.print(f"[bold]{label}:[/] {escape(value)}", highlight=False)
    emit_frame(_shocks_frame(loaded), fmt, title="Shocks")


def _register_compare() -> None:
    """``scenario compare`` and ``scenario sensitivity`` (cli/scenario_compare.py)."""
    from friendshore.cli.scenario_compare import compare_command, sensitivity_command

    app.command("compare")(compare_command)
    app.command("sensitivity")(sensitivity_command)


_register_compare()
