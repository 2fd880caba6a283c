"""``friendshore data …``: build the store, describe it, import newer releases."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
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
from friendshore.cli.common import FormatOption, StoreOption, handle_errors, resolve_store
from friendshore.cli.output import emit_frame, emit_json, stderr
from friendshore.data import imports, store

app = typer.Typer(help="Build, describe and extend the data store.", no_args_is_help=True)


class ImportKind(StrEnum):
    """Sources a user can import in the publisher's own format."""

    BACI = "baci"
    USGS_MCS = "usgs-mcs"
    WGI = "wgi"


@app.command("build")
@handle_errors
def build_command(
    store_path: StoreOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even if the store is up to date.")
    ] = False,
) -> None:
    """Build the store from the data bundled in the package (atomic, idempotent)."""
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
    else:
        stderr.print(f"{report.path}: {report.reason} (use --force to rebuild)")


@app.command("status")
@handle_errors
def status_command(store_path: StoreOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show every table with its rows, sources, releases and years."""
    path = resolve_store(store_path)
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
    emit_frame(frame, fmt, title=f"Store {path}")


@app.command("import")
@handle_errors
def import_command(
    kind: Annotated[ImportKind, typer.Argument(help="Source format.", case_sensitive=False)],
    path: Annotated[Path, typer.Argument(help="File (or folder for usgs-mcs) to import.")],
    store_path: StoreOption = None,
    release: Annotated[
        str | None,
        typer.Option("--release", help="Release label; inferred from the file name if omitted."),
    ] = None,
) -> None:
    """Import a newer or fuller release of a source in the publisher's own format.

    A full BACI year (~10 million rows) is streamed with a progress bar. The
    import runs in one transaction: a rejected file changes nothing.
    """
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

            report = imports.import_baci(target, path, release=release, progress=progress)
        stderr.print(
            f"imported {report.rows:,} rows of BACI {report.release} from {path} "
            f"in {report.seconds:.1f} s"
        )
        return
    if kind is ImportKind.USGS_MCS:
        counts = imports.import_usgs_mcs(target, path, release=release)
    else:
        counts = imports.import_wgi(target, path, release=release)
    stderr.print(
        "imported " + ", ".join(f"{n:,} rows into {t}" for t, n in counts.items()) + f" from {path}"
    )
