"""One output formatter for every command: table (Rich), JSON (list of records) or CSV."""

from __future__ import annotations

import json
import sys
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from friendshore._core.records import frame_records, plain
from friendshore._core.types import OutputFormat

stdout = Console(soft_wrap=True)
if not stdout.is_terminal:  # pipes and files get the whole table, not 80 columns
    stdout = Console(soft_wrap=True, width=200)
stderr = Console(stderr=True, soft_wrap=True)


def _cell(value: Any, column: str = "") -> str:
    value = plain(value)
    if column == "year" or column.endswith("_year"):
        return "—" if value is None else str(value)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6e}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def emit_frame(frame: pd.DataFrame, fmt: OutputFormat, *, title: str | None = None) -> None:
    """Write ``frame`` to standard output in ``fmt``."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(frame_records(frame), ensure_ascii=False, indent=2) + "\n")
    elif fmt is OutputFormat.CSV:
        frame.to_csv(sys.stdout, index=False)
    else:
        table = Table(title=title, show_lines=False)
        for col in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
                frame[col]
            )
            table.add_column(str(col), justify="right" if numeric else "left")
        for row in frame.itertuples(index=False, name=None):
            table.add_row(*(_cell(v, str(c)) for v, c in zip(row, frame.columns, strict=True)))
        stdout.print(table)


def emit_json(payload: Any) -> None:
    """Write ``payload`` as JSON to standard output."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def progress_bar(label: str, *, disable: bool = False) -> Progress:
    """A transient progress bar on standard error: ``label``, bar, done/total, time elapsed."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=disable,
    )
