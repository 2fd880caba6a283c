"""`import friendshore as fs`: the library finds the store as the CLI does ($FRIENDSHORE_STORE)."""

from __future__ import annotations

from pathlib import Path

import pytest

import friendshore as fs
from friendshore._core.errors import FriendshoreError


def test_sql_and_assess_honour_the_store_variable(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRIENDSHORE_STORE", str(store_path))
    rows = fs.sql("SELECT count(*) AS n FROM trade")
    expected = fs.sql("SELECT count(*) AS n FROM trade", store=store_path)
    assert int(rows["n"].iloc[0]) == int(expected["n"].iloc[0]) > 0
    assert not fs.assess(year=2023).summary.empty


def test_a_missing_store_named_by_the_variable_is_a_clear_error(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.duckdb"
    monkeypatch.setenv("FRIENDSHORE_STORE", str(missing))
    with pytest.raises(FriendshoreError, match=r"nowhere\.duckdb"):
        fs.sql("SELECT 1")
    # an explicit store wins over the variable
    assert int(fs.sql("SELECT 1 AS one", store=store_path)["one"].iloc[0]) == 1
