"""`friendshore prices` and `friendshore data import pinksheet` end to end."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.data.store import query
from pinksheet_helpers import patched_pinksheet

runner = CliRunner()


def invoke(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store_copy(store_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, target)
    return target


def test_prices_json_for_nickel(store_path: Path) -> None:
    code, out, err = invoke(store_path, "prices", "--mineral", "nickel", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    wb = {r["year"]: r for r in rows if r["series"] == "wb:NICKEL"}
    assert round(wb[2023]["value"]) == 21521
    assert wb[2023]["months"] == 12
    assert wb[2023]["file"].endswith("CMO-Historical-Data-Monthly.xlsx:Monthly Prices")
    usgs = {r["year"]: r for r in rows if r["series"] == "usgs:nicke:LME:dt"}
    assert usgs[2023]["value"] == 21495.0
    assert usgs[2023]["months"] is None


def test_prices_csv_with_series_and_from_year(store_path: Path) -> None:
    code, out, err = invoke(
        store_path, "prices", "--series", "wb:COPPER", "--from-year", "2023", "-f", "csv"
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["year"]) == [2023, 2024, 2025]
    assert {"file", "line", "column", "usd_per_t", "basis"} <= set(frame.columns)
    assert round(frame.loc[0, "usd_per_t"]) == 8490


def test_prices_monthly_and_source(store_path: Path) -> None:
    code, out, err = invoke(
        store_path, "prices", "--source", "wb", "--mineral", "copper", "--monthly",
        "--from-year", "2025", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert [r["month"] for r in rows] == list(range(1, 12))
    assert {r["source"] for r in rows} == {"World Bank Pink Sheet"}


def test_prices_table(store_path: Path) -> None:
    code, out, err = invoke(store_path, "prices", "--mineral", "tungsten", "--stage", "mining")
    assert code == 0, err
    assert "usgs:tungs:WO3:dt" in out
    assert "contained W" in out


def test_unknown_mineral_exits_2(store_path: Path) -> None:
    code, _, err = invoke(store_path, "prices", "--mineral", "unobtainium")
    assert code == 2
    assert "unknown mineral 'unobtainium'" in err
    code, _, err = invoke(store_path, "prices", "--source", "imf")
    assert code == 2
    assert "unknown price source" in err


def test_import_pinksheet(store_copy: Path, tmp_path: Path) -> None:
    newer = patched_pinksheet(
        tmp_path / "CMO-Historical-Data-Monthly.xlsx",
        {"A4": "Updated on January 06, 2026", "BP764": 30000.0},
    )
    code, _, err = invoke(store_copy, "data", "import", "pinksheet", str(newer))
    assert code == 0, err
    assert "rows into prices" in err
    code, out, err = invoke(
        store_copy, "prices", "--series", "wb:NICKEL", "--from-year", "2023", "--monthly",
        "-f", "json",
    )  # fmt: skip
    first = json.loads(out)[0]
    assert (first["value"], first["release"]) == (30000.0, "CMO 2026-01")


def test_rejected_pinksheet_exits_2_and_changes_nothing(store_copy: Path, tmp_path: Path) -> None:
    before = query(store_copy, "SELECT count(*) AS n FROM prices")
    bad = patched_pinksheet(tmp_path / "CMO-bad.xlsx", {"BP6": "($/zz)"})
    code, _, err = invoke(store_copy, "data", "import", "pinksheet", str(bad))
    assert code == 2
    assert "CMO-bad.xlsx:Monthly Prices, line 6" in err
    assert "column BP" in err
    pd.testing.assert_frame_equal(query(store_copy, "SELECT count(*) AS n FROM prices"), before)
