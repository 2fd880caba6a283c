"""`friendshore tariff ge` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.tariff import app
from friendshore.data.gravity_files import gravity_sample_path

runner = CliRunner()
REFERENCE = Path(__file__).parents[1] / "policy" / "data" / "gegravity_reference_tol1e-12.json"


@pytest.fixture
def can_jpn(tmp_path: Path) -> Path:
    path = tmp_path / "can_jpn.toml"
    path.write_text('name = "Canada-Japan PTA"\nmembers = ["CAN", "JPN"]\n', encoding="utf-8")
    return path


def test_gegravity_example_with_published_coefficients(can_jpn: Path, tmp_path: Path) -> None:
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    coef = tmp_path / "coef.csv"
    coef.write_text(
        "variable,coefficient,std_error\n"
        + "".join(f"{n},{b},{s}\n" for n, b, s in ref["estimates"]),
        encoding="utf-8",
    )
    args = ["ge", "--zone", str(can_jpn), "--data", str(gravity_sample_path())]
    result = runner.invoke(app, [*args, "--coefficients", str(coef), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["year"] == 2006
    assert doc["reference_importer"] == "DEU"
    assert doc["variable"] == "pta"
    by = {r["country"]: r for r in doc["countries"]}
    for country in ("CAN", "JPN", "USA"):
        ours = by[country]["real_gdp_change_pct"]
        theirs = ref["countries"][country]["real_gdp_change_pct"]
        assert abs(ours - theirs) / abs(theirs) < 1e-6
    assert by["CAN"]["member"]
    assert not by["USA"]["member"]


def test_estimates_by_default_and_draws(can_jpn: Path) -> None:
    args = ["ge", "--zone", str(can_jpn), "--data", str(gravity_sample_path())]
    result = runner.invoke(app, [*args, "--draws", "25", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    coef = {r["variable"]: r for r in doc["coefficients"]}
    assert round(coef["pta"]["coefficient"], 3) == 0.471
    assert coef["pta"]["origin"] == "estimated"
    assert doc["draws"] == 25
    can = next(r for r in doc["countries"] if r["country"] == "CAN")
    assert can["welfare_change_pct_p05"] < can["welfare_change_pct"] < can["welfare_change_pct_p95"]


def test_table_and_figure(can_jpn: Path, tmp_path: Path) -> None:
    fig = tmp_path / "welfare.html"
    args = ["ge", "--zone", str(can_jpn), "--data", str(gravity_sample_path())]
    result = runner.invoke(app, [*args, "--join", "KOR", "--figure", str(fig)])
    assert result.exit_code == 0, result.stderr
    assert "KOR joins the zone" in result.stdout
    assert "welfare_change_pct" in result.stdout
    html = fig.read_text(encoding="utf-8")
    assert "<script" in html
    assert '<script src="http' not in html  # plotly.js inlined: works offline


def test_bad_data_file_exits_2_naming_file_line_field(can_jpn: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = gravity_sample_path().read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",2006,", ",two thousand six,")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["ge", "--zone", str(can_jpn), "--data", str(bad)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert str(bad.name) in message
    assert "line 6" in message
    assert "field 'year'" in message


def test_minerals_panel_from_the_store(store_path: Path) -> None:
    zone = Path(__file__).parents[2] / "src" / "friendshore" / "data" / "zones" / "default.toml"
    args = ["ge", "--zone", str(zone), "--store", str(store_path), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # the latest year with domestic flows: USGS MCS 2025 production (2024 estimates)
    # and CEPII BACI 2024, HS92 codes only (the HS17 supplement would make 2024 a wider
    # product base than earlier years; its rows are counted in `dropped`)
    assert doc["year"] == 2024
    assert doc["data"] == "minerals panel of the store (2024, USD, BACI HS92)"
    assert doc["variable"] == "zone"
    coef = {r["variable"]: r for r in doc["coefficients"]}
    assert coef["zone"]["origin"] == "assumed"
    assert coef["lndist"]["origin"] == "estimated"
    reasons = {r["reason"] for r in doc["dropped"]}
    assert "production withheld" in reasons
    assert any(
        r["step"] == "trade" and r["reason"].startswith("HS17 trade") for r in doc["dropped"]
    )
    assert any(r["step"] == "ge" for r in doc["dropped"])
    by = {r["country"]: r for r in doc["countries"]}
    assert by["USA"]["member"]
    assert by["USA"]["intra_zone_exports_change_pct"] > 0
    assert not by["CHN"]["member"]
    # what a reader must know: the borrowed coefficient, who is left out and why, and why
    # three measures print the same numbers
    notes = " ".join(doc["notes"])
    assert "zone coefficient 0.4711 is ASSUMED" in notes
    assert doc["absent_zone_countries"]
    assert f"Zone countries not in the data ({len(doc['absent_zone_countries'])})" in notes
    assert ", ".join(doc["absent_zone_countries"]) in notes
    assert "domestic flow" in notes
    for country in doc["countries"]:
        assert country["welfare_change_pct"] == pytest.approx(
            country["real_gdp_change_pct"], abs=1e-9
        )
    assert "same percentage" in notes


def test_estimated_preference_is_not_called_assumed(can_jpn: Path) -> None:
    args = ["ge", "--zone", str(can_jpn), "--data", str(gravity_sample_path())]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    notes = " ".join(json.loads(result.stdout)["notes"])
    assert "ASSUMED" not in notes
    assert "not in the data" not in notes
