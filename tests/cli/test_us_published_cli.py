"""U.S. net import reliance beside USGS's published figure in `assess` and `metrics dependence`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.data.queries import read_salient
from friendshore.metrics.published import us_balance

runner = CliRunner()


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--store", str(store)], env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def balance(store_path: Path) -> pd.DataFrame:
    return us_balance(read_salient(store_path))


def _section(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("USA: net import reliance"))
    return lines[start:]


def test_assess_table_has_the_us_section_within_100_columns(store_path: Path) -> None:
    code, out, err = run(store_path, "assess", "--no-report", "--year", "2023")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 100
    section = _section(out)
    assert "computed from USGS salient components beside USGS's published figure" in " ".join(
        section[:2]
    )
    aluminum = next(line for line in section if line.startswith("│ aluminum "))
    cells = [c.strip() for c in aluminum.strip("│").split("│")]
    assert cells == ["aluminum", "2023", "44%", "44%", "+0.3", "agrees"]
    lithium = next(line for line in section if line.startswith("│ lithium "))
    for text in ("0–100%", ">50%", "overlaps bound"):
        assert text in lithium
    # the reason of every miss is a footnote
    assert any("lithium: production" in line and "withheld (W)" in line for line in section)


def test_assess_json_carries_us_figures_equal_to_us_balance(
    store_path: Path, balance: pd.DataFrame
) -> None:
    code, out, err = run(store_path, "assess", "--no-report", "--format", "json", "--year", "2023")
    assert code == 0, err
    records = json.loads(out)
    assert all("us_net_import_reliance" in r for r in records)
    rows = next(r for r in records if r["mineral"] == "aluminum")["us_net_import_reliance"]
    (row,) = rows
    expected = balance[(balance["usgs_key"] == "alumi") & (balance["year"] == 2023)].iloc[0]
    assert row["year"] == 2023
    assert row["net_import_reliance"] == pytest.approx(expected["net_import_reliance"])
    assert round(100 * row["net_import_reliance"]) == 44
    assert row["published"] == pytest.approx(expected["nir_published"]) == pytest.approx(0.44)
    assert row["published_text"] == "44"
    assert row["difference_pp"] == pytest.approx(expected["difference_pp"])
    assert (row["agreement"], row["reason"]) == ("within 5 pp", None)
    assert (row["source"], row["release"]) == ("USGS MCS salient statistics", expected["release"])
    # a mineral without a salient balance gets an empty list, not a missing key
    assert any(r["us_net_import_reliance"] == [] for r in records)


def test_a_zone_without_the_usa_has_no_us_section(store_path: Path, tmp_path: Path) -> None:
    zone = tmp_path / "eu.toml"
    zone.write_text('name = "EU alone"\nmembers = ["EU27"]\nrivals = ["CHN"]\n')
    code, out, err = run(store_path, "assess", "--no-report", "--zone", str(zone))
    assert code == 0, err
    assert "USA: net import reliance" not in out


def test_dependence_of_the_usa_shows_usgs_beside_its_rows(
    store_path: Path, balance: pd.DataFrame
) -> None:
    args = ("metrics", "dependence", "--member", "USA", "--mineral", "aluminum")
    code, out, err = run(store_path, *args, "--format", "json", "--year", "2023")
    assert code == 0, err
    rows = [r for r in json.loads(out) if r["mineral_id"] == "aluminum"]
    assert rows
    assert all(r["usgs_published_text"] == "44" for r in rows)
    expected = balance[(balance["usgs_key"] == "alumi") & (balance["year"] == 2023)].iloc[0]
    assert rows[0]["salient_import_reliance"] == pytest.approx(expected["net_import_reliance"])
    assert rows[0]["usgs_agreement"] == "within 5 pp"
    code, out, err = run(store_path, *args)
    assert code == 0, err
    section = _section(out)
    years = [line.split("│")[2].strip() for line in section if line.startswith("│ aluminum")]
    assert years == sorted(years)
    assert {"2019", "2024"} <= set(years)
    # other members: no USGS columns
    code, out, err = run(
        store_path,
        "metrics",
        "dependence",
        "--member",
        "JPN",
        "--mineral",
        "aluminum",
        "--format",
        "json",
    )
    assert code == 0, err
    assert "usgs_published_text" not in json.loads(out)[0]
