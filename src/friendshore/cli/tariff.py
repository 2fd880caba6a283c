"""``friendshore tariff …``: tariff and preference simulation (SMART PE, structural gravity GE)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.common import FormatOption, StoreOption, handle_errors, resolve_store
from friendshore.cli.output import emit_frame, emit_json, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Tariff and preference simulation: SMART partial equilibrium, structural gravity GE.",
    no_args_is_help=True,
)


@app.command("schedules")
@handle_errors
def schedules_command(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the tariff schedules shipped with the package: id, name, rows, source."""
    from friendshore.policy.schedule import list_schedules

    emit_frame(list_schedules(), fmt, title="Shipped tariff schedules")


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_usd")]:
        out[col] = out[col].round(0).astype("Int64")
    return out


@app.command("smart")
@handle_errors
def smart_command(
    schedule: Annotated[
        str,
        typer.Argument(
            help="A shipped schedule id (see `friendshore tariff schedules`) or a CSV/YAML file.",
            metavar="SCHEDULE",
        ),
    ],
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="BACI year of the flows. Default: the schedule's baseline year, else the "
            "latest year in the store.",
            show_default=False,
        ),
    ] = None,
    elasticities: Annotated[
        Path | None,
        typer.Option(
            "--elasticities",
            help="Elasticities CSV. Default: the shipped tariffs/elasticities.csv.",
            show_default=False,
        ),
    ] = None,
    sigma: Annotated[
        float | None,
        typer.Option(
            "--sigma",
            help="Substitution elasticity between suppliers for every market "
            "(overrides the file; WITS default 1.5).",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Apply only the rows in force on this date (YYYY-MM-DD). Default: all rows.",
            show_default=False,
        ),
    ] = None,
    zone_file: Annotated[
        Path | None,
        typer.Option(
            "--zone",
            help="Zone file (TOML) for the groups zone/rival/rest_of_world. Default: the "
            "bundled zone.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the HTML report to DIR/index.html (its path goes to stderr).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """SMART partial equilibrium of a tariff schedule on one year of BACI flows (USD).

    Trade creation, trade diversion between suppliers, tariff revenue and
    welfare per importer × HS6 × exporter, summed by importing member, mineral
    and exporter. Table: the summaries and the assumptions; JSON: {schedule,
    year, assumptions, totals, by_member, by_mineral, by_exporter, flows}; CSV:
    the flows.
    """
    from friendshore.model.zone import Zone
    from friendshore.policy.schedule import load_schedule
    from friendshore.policy.smart import FLOW_COLUMNS, run_smart, smart_payload
    from friendshore.report.tariff import write_smart_report

    date: dt.date | None = None
    if as_of is not None:
        try:
            date = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValidationError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    loaded = load_schedule(schedule)
    zone = Zone.load(zone_file)
    result = run_smart(
        loaded,
        resolve_store(store_path),
        year=year,
        elasticities=elasticities,
        sigma=sigma,
        zone=zone,
        as_of=date,
    )
    if out_dir is not None:
        path = write_smart_report(result, out_dir)
        stderr.print(f"report written to {path}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(smart_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.flows[FLOW_COLUMNS], fmt)
        return
    tag = " (illustrative)" if loaded.illustrative and "illustrative" not in loaded.name else ""
    if result.flows.empty:
        stdout.print(f"{loaded.id}: no rate changes on any {result.year} flow.", highlight=False)
    else:
        emit_frame(
            _rounded(result.by_member),
            fmt,
            title=f"{loaded.name}{tag}: SMART by importing member (USD, BACI {result.year})",
        )
        emit_frame(_rounded(result.by_mineral), fmt, title="By mineral (USD)")
        emit_frame(_rounded(result.by_exporter.head(10)), fmt, title="Top exporters (USD)")
    for text in result.assumptions:
        stdout.print(f"assumption: {text}", highlight=False, markup=False)


from friendshore.cli.tariff_ge import ge_command  # noqa: E402

app.command("ge")(ge_command)
