"""One output formatter for every command: table (Rich), JSON (list of records) or CSV."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from friendshore._core.types import OutputFormat

if TYPE_CHECKING:
    import pandas as pd

stdout = Console(soft_wrap=True, emoji=False)
if not stdout.is_terminal:  # pipes and files get the whole table, not 80 columns
    stdout = Console(soft_wrap=True, emoji=False, width=200)
stderr = Console(stderr=True, soft_wrap=True, emoji=False)


def _cell(value: Any, column: str = "") -> str:
    from friendshore._core.records import plain
    from friendshore.cli.cells import table_cell

    return table_cell(plain(value), column)


def emit_frame(frame: pd.DataFrame, fmt: OutputFormat, *, title: str | None = None) -> None:
    """Write ``frame`` to standard output in ``fmt``."""
    import pandas as pd

    from friendshore._core.records import frame_records

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


def emit_table(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    right: Collection[str] = (),
    notes: Collection[str] = (),
    max_width: Mapping[str, int] | None = None,
    width: int = 100,
) -> None:
    """Print a frame of ready-made cells (strings) as a table, then ``notes`` line by line.

    The title is wrapped to ``width`` columns; columns named in ``right`` are
    right-aligned (numbers), those in ``max_width`` wrap at that width; a header
    may span lines (``"zone\\noutput"``). Notes are printed as given (already
    wrapped).
    """
    if title:
        for line in textwrap.wrap(title, width=width, break_on_hyphens=False):
            stdout.print(line, highlight=False, markup=False)
    table = Table(show_lines=False)
    limits = max_width or {}
    for col in frame.columns:
        table.add_column(
            str(col),
            justify="right" if col in right else "left",
            max_width=limits.get(str(col)),
            overflow="fold",
        )
    for row in frame.itertuples(index=False, name=None):
        table.add_row(*(str(v) for v in row))
    stdout.print(table)
    for line in notes:
        stdout.print(line, highlight=False, markup=False)


def emit_json(payload: Any) -> None:
    """Write ``payload`` as strict JSON to standard output (non-finite numbers as ``null``)."""
    from friendshore._core.records import finite  # pandas: imported late, keeps --help fast

    text = json.dumps(finite(payload), ensure_ascii=False, indent=2, default=str, allow_nan=False)
    sys.stdout.write(text + "\n")


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
