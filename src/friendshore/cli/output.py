"""One output formatter for every command: table (Rich), JSON (list of records) or CSV."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from friendshore._core.types import OutputFormat

stdout = Console(soft_wrap=True)
if not stdout.is_terminal:  # pipes and files get the whole table, not 80 columns
    stdout = Console(soft_wrap=True, width=200)
stderr = Console(stderr=True, soft_wrap=True)


def _plain(value: Any) -> Any:
    """Return ``value`` as a JSON-serialisable Python object (NaN/NA -> None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return ``frame`` as a list of JSON-ready records."""
    cols = [str(c) for c in frame.columns]
    return [
        {c: _plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _cell(value: Any, column: str = "") -> str:
    value = _plain(value)
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
        sys.stdout.write(json.dumps(records(frame), ensure_ascii=False, indent=2) + "\n")
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
