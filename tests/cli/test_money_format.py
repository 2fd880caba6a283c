"""Money, plain numbers and unknowns in the CLI: one formatter (``cli/cells.py``), checked alone
and through Typer's runner on the bundled data.

Money prints as ``-US$77.5 m``, never ``US$-77.5 m`` or ``7.76703e+07``; a
number in a table never in scientific notation; a share known only by its bounds
as a range (lithium chemicals: the IEA lists no member, so the zone's share is
0–2.1%, not 0%), a known zero as 0%.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from friendshore.cli.cells import money_usd, percent_digits, plain, table_cell
from friendshore.cli.main import app

runner = CliRunner()

#: IEA CMDE 2025 edition (iea.json lines 1450 and 1457), lithium chemicals 2024, kt Li:
#: rest of world 5.1497 of a world total 241.612 (China, Chile, Argentina, Australia listed).
LITHIUM_REST_OF_WORLD_T = 5_149.7


def run(*args: str, columns: int = 100) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-77_500_000, "-US$77.5 m"),
        (-7.75e7, "-US$77.5 m"),
        (77_670_300.0, "US$77.7 m"),
        (2.1e9, "US$2.1 bn"),
        (-2.1e9, "-US$2.1 bn"),
        (1.5e15, "US$1,500,000.0 bn"),
        (5_400, "US$5,400"),
        (-5_400.4, "-US$5,400"),
        (0, "US$0"),
        (0.0, "US$0"),
        (-0.4, "US$0"),  # rounds to zero: no sign
        (999_999.0, "US$999,999"),
        (1e6, "US$1.0 m"),
        (float("inf"), "unbounded"),
        (float("-inf"), "-unbounded"),
    ],
)
def test_money_usd(value: float, text: str) -> None:
    assert money_usd(value) == text


@pytest.mark.parametrize("value", [None, float("nan"), "n/a", True])
def test_money_usd_of_a_missing_amount_is_none(value: Any) -> None:
    assert money_usd(value) is None


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18))
def test_money_never_puts_the_sign_after_the_currency_nor_an_exponent(value: float) -> None:
    text = money_usd(value)
    assert text is not None
    assert "US$-" not in text
    assert "e+" not in text
    assert "e-" not in text
    assert text.startswith("-US$") == (value < 0 and text != "US$0")
    # the figure read back from the text is the value to its printed precision
    number = float(re.sub(r"[^0-9.]", "", text))
    scale = 1e9 if text.endswith(" bn") else 1e6 if text.endswith(" m") else 1.0
    step = 0.05 * scale if scale > 1 else 0.5
    assert abs(abs(value) - number * scale) <= step + 1e-9 * abs(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2_500_000.0, "2,500,000"),
        (7.76703e7, "77,670,300"),
        (0.546, "0.546"),
        (12_345.678, "12,345.7"),
        (-0.00001234, "-0.00001234"),
        (0.0, "0"),
        (1e20, "100,000,000,000,000,000,000"),
        (1e-15, "<0.000000000001"),
        (-1e-15, "-<0.000000000001"),
        (7, "7"),
        (float("inf"), "∞"),
    ],
)
def test_plain_numbers_never_use_scientific_notation(value: float, text: str) -> None:
    assert plain(value) == text


@pytest.mark.parametrize(
    ("value", "column", "text"),
    [
        (-77_500_000.0, "creation_usd", "-US$77.5 m"),
        (-77_500_000, "welfare_usd", "-US$77.5 m"),
        (7.76703e7, "quantity_t", "77,670,300"),
        (None, "welfare_usd", "—"),
        (float("nan"), "share", "—"),
        (2024, "year", "2024"),
        (2030.0, "online_year", "2030"),
        (True, "estimated", "True"),
        ("EU27", "member", "EU27"),
    ],
)
def test_table_cell(value: Any, column: str, text: str) -> None:
    assert table_cell(value, column) == text


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.0, 1, "0.0%"),
        (0.0002, 1, "<0.1%"),
        (-0.0002, 1, ">-0.1%"),
        (0.3849, 1, "38.5%"),
        (0.004, 0, "<1%"),
        (1.0, 0, "100%"),
        (None, 1, None),
        (float("nan"), 1, None),
    ],
)
def test_percent_digits_never_prints_a_non_zero_as_zero(
    value: float | None, digits: int, text: str | None
) -> None:
    assert percent_digits(value, digits) == text


def test_tariff_smart_prints_money_with_the_sign_first(store_path: Path) -> None:
    # SMART of the Section 301 schedule on BACI 2023: the USA's trade creation is negative
    args = ("tariff", "smart", "us-301-critical-minerals", "--year", "2023")
    code, out, err = run(*args, "--store", str(store_path), "--format", "json", columns=200)
    assert code == 0, err
    usa = next(r for r in json.loads(out)["by_member"] if r["member"] == "USA")
    assert usa["creation_usd"] < -1e6
    code, table, err = run(*args, "--store", str(store_path), columns=200)
    assert code == 0, err
    row = next(line for line in table.splitlines() if line.startswith("│ USA"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    header = next(line for line in table.splitlines() if "creation_usd" in line)
    names = [c.strip() for c in header.strip("┃").split("┃")]
    assert cells[names.index("creation_usd")] == money_usd(usa["creation_usd"])
    assert cells[names.index("creation_usd")].startswith("-US$")
    assert cells[names.index("creation_usd")].endswith(" m")
    assert "US$-" not in table
    assert not re.search(r"\de[+-]\d", table)


def test_invest_optimize_table_has_no_scientific_notation(store_path: Path) -> None:
    args = ("invest", "optimize", "example-illustrative", "--budget", "5e9", "--year", "2030")
    code, out, err = run(*args, "--store", str(store_path), columns=200)
    assert code == 0, err
    assert not re.search(r"\de[+-]\d", out)
    assert "US$-" not in out
    # the pipeline's new phosphate rock capacity (t) prints with separators (was 2.5e+06)
    code, doc, err = run(*args, "--store", str(store_path), "--format", "json")
    assert code == 0, err
    capacity = {(m["mineral"], m["stage"]): m["new_capacity_t"] for m in json.loads(doc)["metrics"]}
    phosphate = capacity[("phosphate_rock", "mining")]
    assert phosphate >= 1e6
    assert plain(phosphate) in out


def _lithium_chemicals(records: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in records if r["mineral"] == "lithium" and r["stage"] == "processing")


def test_assess_shows_an_unknown_zone_share_as_its_range(store_path: Path) -> None:
    code, out, err = run("assess", "--format", "json", "--no-report", "--store", str(store_path))
    assert code == 0, err
    records = json.loads(out)
    li = _lithium_chemicals(records)
    # the IEA lists China, Chile, Argentina and Australia and a rest of the world: no member
    assert li["source"] == "IEA CMDE"
    assert li["zone_production_share"] is None  # unknown, not 0
    assert li["zone_production_share_min"] == 0.0
    assert li["zone_production_share_max"] == pytest.approx(
        LITHIUM_REST_OF_WORLD_T / li["world_quantity_t"],
        rel=2e-5,  # 5.1497 kt as printed
    )
    assert li["zone_production_share_max"] == pytest.approx(
        1 - li["coverage"]["production_share_known"], rel=1e-12
    )
    assert "lists top producers only" in li["zone_production_share_note"]
    assert "2.1%" in li["zone_production_share_note"]
    # a known zero stays a zero: USGS lists every magnesium metal producer, none a member
    mg = next(r for r in records if (r["mineral"], r["stage"]) == ("magnesium_metal", "processing"))
    assert mg["zone_production_share"] == 0.0
    assert mg["zone_production_share_note"] is None
    # a share is unknown exactly when the record says why
    for r in records:
        assert (r["zone_production_share"] is None) == (r["zone_production_share_note"] is not None)
        if r["zone_production_share"] is not None and r["zone_production_share_max"] is not None:
            assert r["zone_production_share_min"] <= r["zone_production_share"]
            assert r["zone_production_share"] <= r["zone_production_share_max"] + 1e-12

    # the table: a range with what a range means under it; the known zero as 0%
    code, table, err = run("assess", "--no-report", "--store", str(store_path))
    assert code == 0, err
    rows = {
        cells[0].lower(): cells
        for line in table.splitlines()
        if line.startswith("│") and (cells := [c.strip() for c in line.strip("│").split("│")])[0]
    }
    li_row = next(v for k, v in rows.items() if k.startswith("lithium (chemicals)"))
    assert li_row[3] == "0–2%"
    mg_row = next(v for k, v in rows.items() if k.startswith("magnesium"))
    assert mg_row[3] == "0%"
    flat = " ".join(table.split())
    assert "a–b: not known exactly, only its bounds" in flat
    assert "0% is a known zero" in flat

    # CSV: the blank point beside its bounds and its reason
    code, text, err = run("assess", "--format", "csv", "--no-report", "--store", str(store_path))
    assert code == 0, err
    rows_csv = list(csv.DictReader(io.StringIO(text)))
    li_csv = next(r for r in rows_csv if r["mineral"] == "lithium" and r["stage"] == "processing")
    assert li_csv["zone_production_share"] == ""
    assert float(li_csv["zone_production_share_min"]) == 0.0
    assert math.isclose(
        float(li_csv["zone_production_share_max"]), li["zone_production_share_max"], rel_tol=1e-9
    )
    assert li_csv["zone_production_share_note"] == li["zone_production_share_note"]


def test_the_report_shows_the_range(store_path: Path, tmp_path: Path) -> None:
    code, _, err = run("assess", "--out", str(tmp_path / "report"), "--store", str(store_path))
    assert code == 0, err
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "0.0–2.1%" in html  # lithium chemicals: the zone's share of world output
    assert "a range (0.0–2.1%) means only its bounds are known" in html
