"""The private frame helpers shared by the metric modules."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from friendshore._core.errors import InputError
from friendshore.metrics._frames import first_match, require_columns


def test_require_columns_names_what_is_missing() -> None:
    frame = pd.DataFrame({"country": ["USA"]})
    with pytest.raises(InputError, match=re.escape("rows lacks the column(s) quantity_t, status")):
        require_columns(frame, ["country", "quantity_t", "status"], "rows")
    with pytest.raises(InputError, match="input frame lacks"):
        require_columns(frame, ["share"])


def test_require_columns_casts_numeric_columns_to_float() -> None:
    frame = pd.DataFrame({"country": ["USA"], "quantity_t": [5], "share": pd.array([1], "Int64")})
    out = require_columns(frame, ["country", "quantity_t"])
    assert out["quantity_t"].dtype == "float64"
    assert out["share"].dtype == "float64"
    assert out["country"].tolist() == ["USA"]


def test_first_match_takes_the_first_condition_that_holds() -> None:
    index = pd.RangeIndex(4)
    a = pd.Series([True, True, False, False], index=index)
    b = pd.Series([False, True, True, False], index=index)
    out = first_match(index, [(a, "a"), (b, "b")])
    assert out[:3].tolist() == ["a", "a", "b"]
    assert pd.isna(out[3])
    labels = pd.Series(["w", "x", "y", "z"], index=index)
    out = first_match(index, [(a, None), (b, labels)], default="none")
    assert out.isna().tolist() == [True, True, False, False]
    assert out[2:].tolist() == ["y", "none"]
