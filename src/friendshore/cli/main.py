"""The ``friendshore`` command line: a thin shell over the library.

Bad input (a malformed file, an unknown country, a bad query) exits with code 2
and a message naming the file, line and field; nothing is written.
"""

from __future__ import annotations

from typing import Annotated

import typer

from friendshore._core.types import OutputFormat
from friendshore.cli import comply as comply_cli
from friendshore.cli import data as data_cli
from friendshore.cli import floor as floor_cli
from friendshore.cli import invest as invest_cli
from friendshore.cli import scenario as scenario_cli
from friendshore.cli import stockpile as stockpile_cli
from friendshore.cli import tariff as tariff_cli
from friendshore.cli.assess import assess_command, metrics_app
from friendshore.cli.common import FormatOption, StoreOption, handle_errors, resolve_store
from friendshore.cli.outlook import outlook_command
from friendshore.cli.output import emit_frame
from friendshore.cli.prices import prices_command
from friendshore.cli.scenario_mc import montecarlo_command
from friendshore.cli.scenario_run import run_command
from friendshore.cli.serve import serve_command

app = typer.Typer(
    name="friendshore",
    help="Critical-minerals trade zone analysis on real, traceable data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cli.app, name="data")
app.add_typer(metrics_app, name="metrics")
scenario_cli.app.command("run")(run_command)
scenario_cli.app.command("montecarlo")(montecarlo_command)
app.add_typer(scenario_cli.app, name="scenario")
app.command("assess")(assess_command)
app.add_typer(tariff_cli.app, name="tariff")
app.add_typer(invest_cli.app, name="invest")
app.add_typer(floor_cli.app, name="floor")
app.add_typer(comply_cli.app, name="comply")
app.add_typer(stockpile_cli.app, name="stockpile")
app.command("serve")(serve_command)
app.command("prices")(prices_command)
app.command("outlook")(outlook_command)


@app.command("sql")
@handle_errors
def sql_command(
    query: Annotated[str, typer.Argument(help="A read-only SQL query (DuckDB dialect).")],
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Run a read-only SQL query on the store. JSON output is a list of records."""
    from friendshore.data import store

    emit_frame(store.query(resolve_store(store_path), query), fmt)


@app.command("minerals")
@handle_errors
def minerals_command(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the mineral catalog: id, name, USGS key, stages, unit basis, criticality."""
    from friendshore.data import catalog

    emit_frame(catalog.read_minerals(), fmt, title="Mineral catalog")


if __name__ == "__main__":  # pragma: no cover
    app()
