"""`friendshore assess --compare YEAR` through the CLI runner (bundled data).

The change columns must equal the difference of two `assess` runs computed
independently (`--year 2021` and the latest year); unknown stays unknown.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from friendshore.cli import assess_compare
from friendshore.cli.main import app
from friendshore.metrics import compare

runner = CliRunner()
THEN = 2021


def test_doctests() -> None:
    for module in (assess_compare, compare):
        failed, tried = doctest.testmod(module)
        assert tried > 0, module
        assert failed == 0, module


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, [*args, "--no-report", "--store", str(store)], env={"COLUMNS": "100"}
    )
    return result.exit_code, result.stdout, result.stderr


def _key(rec: dict[str, Any]) -> tuple[str, str, str]:
    return rec["mineral"], rec["stage"], rec["product"] or ""


@pytest.fixture(scope="module")
def compared(store_path: Path) -> list[dict[str, Any]]:
    code, out, err = run(store_path, "assess", "--compare", str(THEN), "--format", "json")
    assert code == 0, err
    records: list[dict[str, Any]] = json.loads(out)
    return records


@pytest.fixture(scope="module")
def apart(store_path: Path) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Two assess runs computed independently: --year THEN and the latest year."""
    code, out, err = run(store_path, "assess", "--year", str(THEN), "--format", "json")
    assert code == 0, err
    then = {_key(r): r for r in json.loads(out)}
    code, out, err = run(store_path, "assess", "--format", "json")
    assert code == 0, err
    now = {_key(r): r for r in json.loads(out)}
    return then, now


def test_change_equals_the_difference_of_two_assess_runs(
    compared: list[dict[str, Any]], apart: tuple[dict[Any, Any], dict[Any, Any]]
) -> None:
    then, now = apart
    assert {_key(r) for r in compared} == set(now)
    checked = 0
    for rec in compared:
        block = rec["compare"]
        before = then.get(_key(rec))
        assert block["year"] == (before["year"] if before else None)
        for metric in ("china_share", "hhi", "zone_import_reliance", "supply_risk"):
            fig = block[metric]
            assert fig["now"] == now[_key(rec)][metric]
            if before is None:
                assert fig["change"] is None
                assert "no figure" in fig["note"]
                continue
            assert fig["then"] == before[metric]
            if fig["then"] is None or fig["now"] is None or before["year"] == rec["year"]:
                assert fig["change"] is None  # unknown, never 0
                assert fig["note"]
            else:
                assert fig["change"] == pytest.approx(fig["now"] - fig["then"], abs=1e-12)
                assert fig["note"] is None
                checked += 1
    assert checked > 50
    gallium = next(r for r in compared if _key(r) == ("gallium", "processing", ""))
    change = gallium["compare"]["china_share"]["change"]
    assert change == pytest.approx(
        now[("gallium", "processing", "")]["china_share"]
        - then[("gallium", "processing", "")]["china_share"]
    )


def _ends(interval: dict[str, Any]) -> tuple[float | None, float | None]:
    if interval.get("value") is not None:
        return interval["value"], interval["value"]
    return interval.get("low"), interval.get("high")


def test_a_range_gives_a_range_of_changes(
    compared: list[dict[str, Any]], apart: tuple[dict[Any, Any], dict[Any, Any]]
) -> None:
    """Where the zone's import reliance is only bounded, its change is the interval of the
    differences the bounds allow: [now_low - then_high, now_high - then_low]."""
    then, now = apart
    ranged = [
        r
        for r in compared
        if r["compare"]["zone_import_reliance"]["change"] is None
        and r["compare"]["zone_import_reliance"]["change_low"] is not None
    ]
    assert ranged
    for rec in ranged:
        fig = rec["compare"]["zone_import_reliance"]
        lo0, hi0 = _ends(then[_key(rec)]["intervals"]["zone_import_reliance"])
        lo1, hi1 = _ends(now[_key(rec)]["intervals"]["zone_import_reliance"])
        assert "range" in fig["note"]
        assert fig["change_low"] == pytest.approx(lo1 - hi0, abs=1e-12)
        if hi1 is None or lo0 is None:
            assert fig["change_high"] is None  # an open side stays open
        else:
            assert fig["change_high"] == pytest.approx(hi1 - lo0, abs=1e-12)
            assert fig["change_low"] <= fig["change_high"]


def test_table_fits_100_columns_and_explains_every_blank(store_path: Path) -> None:
    code, out, err = run(store_path, "assess", "--compare", str(THEN))
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    header = "".join(line for line in lines if "┃" in line)
    for word in (f"China  {THEN}", "Δ pp", "risk Δ"):
        assert word.split()[0] in header
    assert str(THEN) in header
    assert not re.search(r"\d[eE][+-]\d", out)
    rows = [line for line in lines if line.startswith("│")]
    markers = set(re.findall(r"—([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", "".join(rows)))
    assert markers  # the IEA series start in 2023: nothing to compare with in 2021
    assert not re.search(r"—(?![⁰¹²³⁴⁵⁶⁷⁸⁹])", "".join(rows))
    notes = {m.group(1) for line in lines if (m := re.match(r"—([⁰¹²³⁴⁵⁶⁷⁸⁹]+) \S", line))}
    assert markers == notes
    assert f"no figure for this record in or before {THEN}" in out


def test_csv_carries_then_and_change_columns(store_path: Path) -> None:
    code, out, err = run(store_path, "assess", "--compare", str(THEN), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    for col in ("china_share", "china_share_then", "china_share_change", "year_then"):
        assert col in rows[0]
    gallium = next(r for r in rows if (r["mineral"], r["stage"]) == ("gallium", "processing"))
    assert float(gallium["china_share_change"]) == pytest.approx(
        float(gallium["china_share"]) - float(gallium["china_share_then"])
    )


@pytest.mark.parametrize("year", ["2015", "2024", "2030"])
def test_a_year_without_data_exits_2_naming_compare(store_path: Path, year: str) -> None:
    code, _, err = run(store_path, "assess", "--compare", year)
    assert code == 2
    text = " ".join(err.split())
    assert f"--compare {year}" in text
    assert "2020, 2021, 2022, 2023" in text
