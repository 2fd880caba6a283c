"""``friendshore data …``: build the store, describe it, import newer releases."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from friendshore._core.types import OutputFormat
from friendshore.cli.common import (
    FormatOption,
    MineralsOption,
    StoreOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, stderr

app = typer.Typer(help="Build, describe and extend the data store.", no_args_is_help=True)


class ImportKind(StrEnum):
    """Sources a user can import in the publisher's own format."""

    BACI = "baci"
    USGS_MCS = "usgs-mcs"
    SALIENT = "salient"
    WGI = "wgi"
    PINKSHEET = "pinksheet"


@app.command("build")
@handle_errors
def build_command(
    store_path: StoreOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even if the store is up to date.")
    ] = False,
) -> None:
    """Build the store from the data bundled in the package (atomic, idempotent)."""
    from friendshore.data import store

    path = resolve_store(store_path)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task("building", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        report = store.build_store(path, force=force, progress=progress)
    if report.built:
        stderr.print(f"built {report.path} in {report.seconds:.1f} s")
        _emit_tables(path, OutputFormat.TABLE, title=f"Built {path}: tables, rows, releases")
    else:
        stderr.print(f"{report.path}: {report.reason} (use --force to rebuild)")


@app.command("status")
@handle_errors
def status_command(store_path: StoreOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show every table with its rows, sources, releases and years."""
    _emit_tables(resolve_store(store_path), fmt, title=None)


def _emit_tables(path: Path, fmt: OutputFormat, *, title: str | None) -> None:
    """Print every table of the store with its rows, releases and years."""
    import pandas as pd

    from friendshore.data import store

    tables = store.store_status(path)
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "store": str(path),
                "tables": [
                    {
                        "table": t.table,
                        "rows": t.rows,
                        "sources": t.sources,
                        "releases": t.releases,
                        "years": list(t.years) if t.years else None,
                    }
                    for t in tables
                ],
            }
        )
        return
    frame = pd.DataFrame(
        {
            "table": [t.table for t in tables],
            "rows": [t.rows for t in tables],
            "releases": [t.releases_by_source() for t in tables],
            "years": [f"{t.years[0]}-{t.years[1]}" if t.years else "" for t in tables],
        }
    )
    emit_frame(frame, fmt, title=title or f"Store {path}")


@app.command("import")
@handle_errors
def import_command(
    kind: Annotated[ImportKind, typer.Argument(help="Source format.", case_sensitive=False)],
    path: Annotated[
        Path, typer.Argument(help="File (or folder for usgs-mcs and salient) to import.")
    ],
    store_path: StoreOption = None,
    release: Annotated[
        str | None,
        typer.Option(
            "--release",
            help="Release label; inferred from the file name (Pink Sheet: from its "
            "'Updated on' line) if omitted.",
        ),
    ] = None,
    replace_year: Annotated[
        bool,
        typer.Option(
            "--replace-year",
            help="BACI: replace a year even if the file has fewer rows for it than the store.",
        ),
    ] = False,
) -> None:
    """Import a newer or fuller release of a source in the publisher's own format.

    A full BACI year (~10 million rows) is streamed with a progress bar. The
    import runs in one transaction: a rejected file changes nothing. A BACI
    file with fewer rows for a year than the store holds for that year is
    refused (exit code 2) unless --replace-year is given.
    """
    from friendshore.data import imports

    target = resolve_store(store_path)
    if kind is ImportKind.BACI:
        with Progress(
            TextColumn("[bold]importing {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
        ) as bar:
            task = bar.add_task(path.name, total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = imports.import_baci(
                target, path, release=release, progress=progress, replace_year=replace_year
            )
        stderr.print(
            f"imported {report.rows:,} rows of BACI {report.release} from {path} "
            f"in {report.seconds:.1f} s"
        )
        return
    if kind is ImportKind.USGS_MCS:
        counts = imports.import_usgs_mcs(target, path, release=release)
    elif kind is ImportKind.SALIENT:
        counts = imports.import_salient(target, path, release=release)
    elif kind is ImportKind.PINKSHEET:
        counts = imports.import_pinksheet(target, path, release=release)
    else:
        counts = imports.import_wgi(target, path, release=release)
    stderr.print(
        "imported " + ", ".join(f"{n:,} rows into {t}" for t, n in counts.items()) + f" from {path}"
    )


@app.command("gaps")
@handle_errors
def gaps_command(
    zone_file: Annotated[
        Path | None,
        typer.Option(
            "--zone",
            help="Zone file (TOML). Default: the bundled zone (USA, MEX, EU27, JPN).",
            show_default=False,
        ),
    ] = None,
    mineral: MineralsOption = None,
    all_minerals: Annotated[
        bool,
        typer.Option("--all-minerals", help="Every mineral, not only the critical ones."),
    ] = False,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Latest year; each mineral and stage uses its latest year up to it.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Inputs listed (0: all).")] = 10,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Rank missing inputs by how much knowing each would narrow the zone's import reliance.

    For every input that leaves an interval (a member's production unlisted or
    withheld in a USGS table, an HS code without a content factor …), the zone's
    net import reliance (and so its self-sufficiency, 1 − reliance) is
    recomputed with the input set to each end of its range; the narrowing is
    the guaranteed reduction of the interval's width. Also the median width of
    each member's import-reliance intervals. Bring the missing figures with
    `friendshore data import`. JSON: {gaps, member_widths}; CSV: the gaps.
    """
    from friendshore._core.records import frame_records
    from friendshore.cli.assess import load_zone
    from friendshore.cli.cells import interval, quantity_t
    from friendshore.cli.output import emit_table
    from friendshore.metrics.balance import material_balance
    from friendshore.metrics.gaps import data_gaps, member_interval_widths
    from friendshore.model.supply import SupplyNetwork

    zone = load_zone(zone_file, None)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    catalog = network.minerals
    minerals: list[str] | None = None
    if mineral:
        minerals = list(mineral)
    elif not all_minerals:
        minerals = list(catalog.loc[catalog["usgs_critical_2022"], "mineral_id"])
    balance = material_balance(network, zone)
    gaps = data_gaps(balance, network.trade, zone, year=year, minerals=minerals)
    widths = member_interval_widths(balance, minerals=minerals, year=year)
    shown = gaps if top == 0 else gaps.head(top)
    if fmt is OutputFormat.JSON:
        emit_json({"gaps": frame_records(shown), "member_widths": frame_records(widths)})
        return
    if fmt is OutputFormat.CSV:
        emit_frame(shown, fmt)
        return
    import pandas as pd

    def span(lo: float, hi: float) -> str:
        return interval(None, lo, hi) or "—"

    cells = pd.DataFrame(
        {
            "#": [str(i + 1) for i in range(len(shown))],
            "missing input": [f"{r.input} ({r.year})" for r in shown.itertuples()],
            "status": shown["status"].astype(str),
            "range": [
                f"{quantity_t(lo, scaled=True)} to {quantity_t(hi, scaled=True)}"
                for lo, hi in zip(shown["input_min_t"], shown["input_max_t"], strict=True)
            ],
            "zone import\nreliance": [
                span(a, b)
                for a, b in zip(
                    shown["zone_import_reliance_min"],
                    shown["zone_import_reliance_max"],
                    strict=True,
                )
            ],
            "if known\n(widest)": [
                "a point"
                if w == 0
                else span(lo_a, hi_a)
                if (hi_a - lo_a) >= (hi_b - lo_b)
                else span(lo_b, hi_b)
                for w, lo_a, hi_a, lo_b, hi_b in zip(
                    shown["width_if_known"],
                    shown["if_low_min"],
                    shown["if_low_max"],
                    shown["if_high_min"],
                    shown["if_high_max"],
                    strict=True,
                )
            ],
            "narrows\nby": [f"{100 * v:.0f} pp" for v in shown["narrowing"]],
        }
    )
    scope = (
        ", ".join(mineral) if mineral else "every mineral" if all_minerals else "critical minerals"
    )
    emit_table(
        cells,
        title=f"{zone.name}: {len(shown)} of {len(gaps)} missing inputs ({scope}), ranked by how "
        "much knowing each narrows the zone's net import reliance (self-sufficiency is 1 − it)",
        right=frozenset({"#", "zone import\nreliance", "if known\n(widest)", "narrows\nby"}),
        max_width={"missing input": 26, "status": 10, "range": 13},
    )
    width_cells = pd.DataFrame(
        {
            "member": widths["member"],
            "rows": widths["rows"].astype(str),
            "with a figure": widths["with_figure"].astype(str),
            "points": widths["points"].astype(str),
            "intervals": widths["intervals"].astype(str),
            "median width": [
                "—" if pd.isna(v) else f"{100 * v:.0f} pp" for v in widths["median_width"]
            ],
        }
    )
    emit_table(
        width_cells,
        title="Import reliance per member (mineral × stage, latest year with production and "
        "trade): intervals and their median width",
        right=frozenset(width_cells.columns[1:]),
    )


class ProjectionKind(StrEnum):
    """``kind`` of the ``projections`` table."""

    DEMAND = "demand"
    CLEANTECH_DEMAND = "cleantech_demand"
    TECHNOLOGY_DEMAND = "technology_demand"
    SUPPLY = "supply"


@app.command("projections")
@handle_errors
def projections_command(
    kind: Annotated[
        list[ProjectionKind] | None,
        typer.Option(
            "--kind",
            help="demand, cleantech_demand, technology_demand or supply (repeatable).",
            show_default=False,
        ),
    ] = None,
    mineral: MineralsOption = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="STEPS, APS, NZE (demand) or 'base case' (supply); repeatable.",
            show_default=False,
        ),
    ] = None,
    edition: Annotated[
        str | None,
        typer.Option(
            "--edition",
            help="'IEA CMDE May 2024' or 'IEA CMDE 2025 (iea.json)'.",
            show_default=False,
        ),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Only this year.", show_default=False)
    ] = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show the IEA projections (kt as published and t) with the cell each came from.

    One row per published cell of the IEA Critical Minerals Data Explorer:
    world demand by sector, clean-technology and technology demand (STEPS, APS,
    NZE, base year and 2030-2050) and supply by country (base case). The table
    shows the main columns; JSON and CSV carry every column of the
    ``projections`` table.
    """
    from friendshore.data.queries import read_projections

    frame = read_projections(
        resolve_store(store_path),
        kind=[k.value for k in kind] if kind else None,
        mineral=list(mineral) if mineral else None,
        scenario=list(scenario) if scenario else None,
        edition=edition,
    )
    if year is not None:
        frame = frame[frame["year"] == year]
    if fmt is OutputFormat.TABLE:
        shown = frame[
            [
                "release",
                "kind",
                "iea_mineral",
                "sector",
                "case",
                "country",
                "scenario",
                "year",
                "value",
                "unit",
                "source_sheet",
                "source_cell",
            ]
        ].fillna("")
        emit_frame(shown, fmt, title=f"IEA projections: {len(frame)} rows")
        return
    emit_frame(frame, fmt)
