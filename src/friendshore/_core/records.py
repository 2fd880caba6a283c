"""JSON-ready records of frames: what every payload builder (CLI and API alike) returns."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["frame_records", "plain"]


def plain(value: Any) -> Any:
    """Return ``value`` as a JSON-ready Python object (NaN, NA and NaT → ``None``).

    numpy scalars become Python scalars, dates and timestamps ISO 8601 strings,
    lists and tuples lists of plain values. Infinite floats are kept: the
    interfaces decide how to write them (the CLI as ``Infinity``, the API as
    ``null``).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return ``frame`` as JSON-ready records (column names as keys, missing → ``None``)."""
    cols = [str(c) for c in frame.columns]
    return [
        {c: plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
