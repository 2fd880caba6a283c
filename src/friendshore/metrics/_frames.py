"""Small frame helpers shared by the metric modules (private)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from friendshore._core.errors import InputError

#: Numeric columns an input frame may carry, cast to float64 on entry.
NUMERIC_COLUMNS: tuple[str, ...] = ("quantity_t", "share", "world_quantity_t")


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], what: str = "input frame"
) -> pd.DataFrame:
    """Check ``frame`` has ``columns``; return it with its :data:`NUMERIC_COLUMNS` as float64.

    Raises
    ------
    InputError
        If a column is missing; the message names ``what`` and the columns.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lacks the column(s) {', '.join(missing)}")
    numeric = [c for c in NUMERIC_COLUMNS if c in frame.columns]
    return frame.astype(dict.fromkeys(numeric, "float64"))


def first_match(
    index: pd.Index, cases: list[tuple[pd.Series, object]], default: object = None
) -> pd.Series:
    """The value of the first case whose condition holds, row by row (like ``np.select``).

    Values may be scalars or Series (strings, numbers or ``None``); rows where no
    condition holds get ``default`` (NULL unless given).
    """
    out = pd.Series(default, index=index, dtype=object)
    for condition, value in reversed(cases):
        out = out.mask(condition.to_numpy(dtype=bool), value)
    return out
