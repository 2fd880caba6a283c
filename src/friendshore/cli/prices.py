"""``friendshore prices``: price series of the store (USGS MCS salient, World Bank Pink Sheet)."""

from __future__ import annotations

from typing import Annotated

import typer

from friendshore._core.types import OutputFormat
from friendshore.cli.common import (
    FormatOption,
    OptionalMineralOption,
    StoreOption,
    handle_errors,
    named_minerals,
    resolve_store,
)
from friendshore.cli.output import emit_frame

#: Columns of the table format (JSON and CSV carry every column, with file and line).
TABLE_COLUMNS = (
    "series",
    "mineral_id",
    "stage",
    "product",
    "market",
    "year",
    "month",
    "months",
    "value",
    "unit",
    "usd_per_t",
    "basis",
    "release",
)


@handle_errors
def prices_command(
    mineral: OptionalMineralOption = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="mining, processing or components.")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="usgs (USGS MCS salient) or wb (World Bank Pink Sheet)."),
    ] = None,
    series: Annotated[
        str | None,
        typer.Option("--series", help="One series id, e.g. usgs:tungs:WO3:dt or wb:NICKEL."),
    ] = None,
    from_year: Annotated[
        int | None, typer.Option("--from-year", help="First year shown.", show_default=False)
    ] = None,
    monthly: Annotated[
        bool,
        typer.Option(
            "--monthly", help="Monthly rows of the Pink Sheet instead of annual averages."
        ),
    ] = False,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show price series: as published (value, unit) and in US$ per tonne of their basis.

    One row per series and year (the Pink Sheet's months averaged; `months`
    counts them), the newest edition of each source per year. USGS prices are
    annual U.S. market or trade unit values; the Pink Sheet's are monthly world
    market prices (LME …). JSON and CSV carry every column, with the file, line
    and column each value was read from. An unknown mineral, stage or source
    exits with code 2.
    """
    from friendshore.data import queries

    reader = queries.read_prices if monthly else queries.annual_prices
    frame = reader(
        resolve_store(store_path),
        mineral=mineral,
        stage=stage,
        source=source,
        series=series,
        from_year=from_year,
    )
    if fmt is OutputFormat.TABLE:
        frame = frame[[c for c in TABLE_COLUMNS if c in frame.columns]]
        if "usd_per_t" in frame:
            frame = frame.assign(usd_per_t=frame["usd_per_t"].round(2))
    shown = {"mineral": mineral, "stage": stage, "source": source, "series": series}
    shown["from year"] = None if from_year is None else str(from_year)
    what = ", ".join(f"{k} {v}" for k, v in shown.items() if v is not None)
    emit_frame(named_minerals(frame, fmt), fmt, title="Prices" + (f" ({what})" if what else ""))
