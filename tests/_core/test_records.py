"""JSON-ready records of frames (friendshore._core.records)."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd

from friendshore._core.records import frame_records, plain


def test_missing_values_become_none() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.5, np.nan],
            "n": pd.array([1, None], dtype="Int64"),
            "when": [pd.Timestamp("2024-01-02"), pd.NaT],
        }
    )
    assert frame_records(frame) == [
        {"x": 1.5, "n": 1, "when": "2024-01-02T00:00:00"},
        {"x": None, "n": None, "when": None},
    ]


def test_numpy_scalars_become_python_values() -> None:
    rows = frame_records(pd.DataFrame({"i": np.array([3], dtype=np.int64), "b": [np.True_]}))
    assert rows == [{"i": 3, "b": True}]
    assert type(rows[0]["i"]) is int
    assert type(rows[0]["b"]) is bool
    json.dumps(rows)  # serialisable without a default


def test_infinity_is_kept_and_containers_are_plain() -> None:
    assert math.isinf(plain(np.float64("inf")))
    assert plain((np.int64(1), float("nan"), dt.date(2024, 5, 1))) == [1, None, "2024-05-01"]
