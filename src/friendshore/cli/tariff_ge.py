"""``friendshore tariff ge``: structural gravity GE of a zone preference, tariff, join or leave."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.errors import InputError, ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.common import (
    Backend,
    FormatOption,
    SchedulerOption,
    StoreOption,
    WorkersOption,
    dask_client,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, progress_bar, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

#: Columns of the table output, in order.
TABLE_COLUMNS = [
    "country",
    "member",
    "exports_change_pct",
    "imports_change_pct",
    "intra_zone_exports_change_pct",
    "factory_gate_price_change_pct",
    "terms_of_trade_change_pct",
    "real_gdp_change_pct",
    "welfare_change_pct",
]


class Formulation(StrEnum):
    """How output and expenditure respond in the counterfactual."""

    GEGRAVITY = "gegravity"
    ENDOGENOUS = "endogenous"


@handle_errors
def ge_command(
    zone_file: Annotated[
        Path,
        typer.Option("--zone", help="Zone file (TOML): its members get the preference."),
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Gravity data set (gegravity layout: exporter, importer, year, trade, cost "
            "variables). Default: the minerals panel built from the store.",
            show_default=False,
        ),
    ] = None,
    coefficients: Annotated[
        Path | None,
        typer.Option(
            "--coefficients",
            help="CSV of cost coefficients: variable, coefficient[, std_error]. "
            "Default: PPML estimates on the data.",
            show_default=False,
        ),
    ] = None,
    sigma: Annotated[
        float, typer.Option("--sigma", help="Elasticity of substitution (> 1).")
    ] = 5.0,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Year of the data. Default: the latest.", show_default=False),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="Reference importer (inward MR = 1). Default: DEU, else the first country.",
            show_default=False,
        ),
    ] = None,
    variable: Annotated[
        str | None,
        typer.Option(
            "--variable",
            help="Cost variable set to 1 between members. Default: pta if the data has it, "
            "else zone.",
            show_default=False,
        ),
    ] = None,
    preference: Annotated[
        float | None,
        typer.Option(
            "--preference",
            help="Coefficient of that variable (log points). Default: estimated or given, "
            "else 0.471 (the pta estimate on gegravity's sample).",
            show_default=False,
        ),
    ] = None,
    join: Annotated[
        str | None,
        typer.Option("--join", help="A country joining the zone in force.", show_default=False),
    ] = None,
    leave: Annotated[
        str | None,
        typer.Option("--leave", help="A member leaving the zone in force.", show_default=False),
    ] = None,
    tariff: Annotated[
        float | None,
        typer.Option(
            "--tariff",
            help="Tariff (0.25 = 25%) put by zone countries on imports from --tariff-on.",
            show_default=False,
        ),
    ] = None,
    tariff_on: Annotated[
        list[str] | None,
        typer.Option(
            "--tariff-on",
            help="Exporter hit by --tariff (repeat). Default: every non-member.",
            show_default=False,
        ),
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="A tariff schedule in place of --tariff: a shipped id (`friendshore tariff "
            "schedules`) or a CSV/YAML file, as `tariff smart` reads it. Each pair's cost moves "
            "by its trade-weighted mean tariff factor over the panel's HS6 codes.",
            metavar="FILE_OR_ID",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="With --schedule: apply only the rows in force on this date (YYYY-MM-DD). "
            "Default: all rows.",
            show_default=False,
        ),
    ] = None,
    formulation: Annotated[
        Formulation,
        typer.Option(
            "--formulation",
            help="gegravity: MRs on baseline output shares (gegravity 0.3); endogenous: "
            "output and expenditure follow prices.",
            case_sensitive=False,
        ),
    ] = Formulation.GEGRAVITY,
    draws: Annotated[
        int,
        typer.Option("--draws", help="Coefficient draws from their covariance (0: none).", min=0),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the draws.", min=0)] = 0,
    backend: Annotated[
        Backend,
        typer.Option("--backend", help="Draws on local numpy or dask.", case_sensitive=False),
    ] = Backend.LOCAL,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    figure: Annotated[
        Path | None,
        typer.Option(
            "--figure",
            help="Also write the welfare figure as self-contained HTML to FILE.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
) -> None:
    """Structural gravity GE: welfare, real GDP and trade by country after a zone preference.

    Estimates trade costs by PPML with exporter and importer fixed effects (or
    reads them with --coefficients), solves the baseline multilateral
    resistances and simulates the zone's preference (its members' pair cost
    variable set to 1), optionally with a member joining or leaving and a
    tariff on outsiders, or a tariff schedule (--schedule: the rates of each
    importer × exporter pair averaged over the panel's HS6 codes, weighted by
    the pair's BACI trade in the GE year). Changes are in percent of the
    baseline. Without --data, the minerals panel of the store (BACI trade in
    HS92 codes, so that years compare, plus domestic flows from USGS
    production value) of the chosen year, restricted to countries with a
    domestic flow. JSON: {data, year, …, coefficients, countries, dropped,
    schedule}.
    """
    import pandas as pd

    from friendshore.data.gravity_files import read_coefficients, read_gravity_data
    from friendshore.model.zone import Zone
    from friendshore.policy.ge import ge_payload, run_zone, schedule_weights
    from friendshore.policy.panel import panel_from_store
    from friendshore.policy.schedule import load_schedule
    from friendshore.report.tariff_ge import ge_welfare_figure, write_ge_figure

    if schedule is not None and (tariff is not None or tariff_on):
        raise ValidationError("give either --schedule or --tariff/--tariff-on, not both")
    date: dt.date | None = None
    if as_of is not None:
        if schedule is None:
            raise ValidationError("--as-of selects a schedule's rows: give --schedule with it")
        try:
            date = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValidationError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    loaded = load_schedule(schedule) if schedule is not None else None
    zone = Zone.load(zone_file)
    dropped: pd.DataFrame | None = None
    if data is not None:
        frame = read_gravity_data(data)
        source = str(data)
    else:
        panel = panel_from_store(resolve_store(store_path), zone.countries)
        domestic_years = panel.panel.loc[panel.panel["international"] == 0, "year"]
        if domestic_years.empty:
            raise InputError("the store has no year with domestic flows for the minerals panel")
        use_year = year if year is not None else int(domestic_years.max())
        frame, left = panel.square(use_year)
        dropped = pd.concat([panel.dropped, left], ignore_index=True)
        source = f"minerals panel of the store ({use_year}, USD, BACI {panel.nomenclature})"
        stderr.print(
            f"minerals panel {use_year}: {frame['exporter'].nunique()} countries with a "
            f"domestic flow; {len(dropped):,} rows left out (JSON: dropped)",
            highlight=False,
        )
    weights: pd.DataFrame | None = None
    if loaded is not None:
        ge_year = year if year is not None else int(frame["year"].max())
        weights = schedule_weights(resolve_store(store_path), ge_year)
        used = int(weights["year"].iloc[0])
        if used != ge_year:
            stderr.print(
                f"schedule weights: no BACI trade for {ge_year} in the store; "
                f"the nearest year, {used}, weights the HS6 codes",
                highlight=False,
            )
    coef = read_coefficients(coefficients) if coefficients is not None else None
    members = {m: set(cs) for m, cs in zone.members.items()}
    with (
        dask_client(
            enabled=backend is Backend.DASK and draws > 0, scheduler=scheduler, workers=workers
        ) as client,
        progress_bar("draws", disable=draws == 0) as bar,
    ):
        task = bar.add_task("draws", total=max(draws, 1))
        run = run_zone(
            frame,
            members,
            coefficients=coef,
            sigma=sigma,
            year=year,
            reference=reference,
            variable=variable,
            preference=preference,
            join=join,
            leave=leave,
            tariff=tariff,
            tariff_on=tariff_on,
            schedule=loaded,
            as_of=date,
            weights=weights,
            rivals=zone.rivals,
            formulation=formulation.value,
            draws=draws,
            seed=seed,
            backend=backend.value,
            client=client,
            progress=lambda n: bar.advance(task, n),
        )
    if run.schedule is not None and run.schedule.codes_outside:
        stderr.print(
            f"schedule codes outside the panel's HS6 codes (they move no pair): "
            f"{', '.join(run.schedule.codes_outside)}",
            highlight=False,
        )
    if figure is not None:
        fig = ge_welfare_figure(run.result.countries, title=f"{run.experiment} ({source})")
        write_ge_figure(fig, figure)
        stderr.print(f"figure written to {figure}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(ge_payload(run, source=source, dropped=dropped))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(run.country_table(), fmt)
        return
    origin = run.coefficients.set_index("variable")["origin"].get(run.variable, "")
    stdout.print(
        f"{run.experiment}; {source}, {run.result.baseline.year}, sigma {sigma:g}, "
        f"{run.variable} coefficient {run.preference:.4f}"
        f"{' (ASSUMED, see the notes)' if origin == 'assumed' else ''}. Changes in %.",
        highlight=False,
    )
    table = run.country_table()
    cols = TABLE_COLUMNS + [
        c for c in ("welfare_change_pct_p05", "welfare_change_pct_p95") if c in table.columns
    ]
    out = table[cols].sort_values("welfare_change_pct", ascending=False)
    num = out.select_dtypes("number").columns
    out[num] = out[num].round(4)
    emit_frame(out, fmt, title="Change from baseline by country (%)")
    for i, note in enumerate(run.notes(), start=1):
        stdout.print(f"({i}) {note}", highlight=False)
