"""``friendshore tariff schedules`` and ``tariff smart`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app

runner = CliRunner()
HEADER = "importer,exporter,hs6,rate_before,rate_after\n"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_schedules_json_lists_the_shipped_schedules() -> None:
    code, out, _ = run("tariff", "schedules", "--format", "json")
    assert code == 0
    ids = [row["id"] for row in json.loads(out)]
    assert ids == ["us-301-critical-minerals", "zone-rival-25"]


def test_smart_json_on_the_section_301_schedule(store_path: Path) -> None:
    code, out, _ = run(
        "tariff", "smart", "us-301-critical-minerals", "--store", str(store_path), "-f", "json"
    )
    assert code == 0, out

    def no_constant(name: str) -> None:
        raise AssertionError(f"not JSON: {name}")

    # strict JSON (what jq and JSON.parse accept): an infinitely elastic supply is null
    payload = json.loads(out, parse_constant=no_constant)
    assert all(r["export_supply_elasticity"] is None for r in payload["flows"])
    assert payload["year"] == 2023
    assert payload["schedule"]["id"] == "us-301-critical-minerals"
    row = next(r for r in payload["flows"] if (r["hs6"], r["exporter"]) == ("250410", "CHN"))
    # BACI 2023: USA imported 109,095,365 USD of HS 250410 from China
    assert row["value_usd"] == 109_095_365.0
    assert row["creation_usd"] == pytest.approx(109_095_365.0 * -1.5 * 0.25)
    assert [m["member"] for m in payload["by_member"]] == ["USA"]
    assert payload["totals"]["creation_usd"] == pytest.approx(
        sum(r["creation_usd"] for r in payload["flows"])
    )
    assert any("default to 0" in a for a in payload["assumptions"])


def test_smart_table_csv_sigma_and_report(store_path: Path, tmp_path: Path) -> None:
    code, out, _ = run("tariff", "smart", "us-301-critical-minerals", "--store", str(store_path))
    assert code == 0
    assert "By mineral" in out
    assert "assumption: baseline rates default to 0" in out
    code, out, err = run(
        "tariff",
        "smart",
        "us-301-critical-minerals",
        "--store",
        str(store_path),
        "--sigma",
        "0",
        "--as-of",
        "2025-01-01",
        "-f",
        "csv",
        "--out",
        str(tmp_path / "rep"),
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("importer,member,exporter,exporter_group,hs6,mineral_id")
    assert not any(",250410," in line for line in lines)  # graphite starts in 2026
    page = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "trade creation" in page
    assert "89 FR 76581" in page


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("USA,CHN,250410,0,-0.25", "rate_after", ">= 0"),
        ("USA,XXX,250410,0,0.25", "exporter", "unknown exporter"),
        ("Narnia,CHN,250410,0,0.25", "importer", "unknown importer"),
        ("USA,CHN,250411,0,0.25", "hs6", "unknown HS6"),
    ],
)
def test_bad_schedule_exits_2_with_file_line_field(
    tmp_path: Path, store_path: Path, row: str, field: str, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "USA,CHN,250490,0,0.25\n" + row + "\n", encoding="utf-8")
    code, _, err = run("tariff", "smart", str(path), "--store", str(store_path))
    assert code == 2
    assert "bad.csv" in err
    assert "line 3" in err
    assert f"field {field!r}" in err
    assert words in err


def test_missing_column_exits_2(tmp_path: Path, store_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("importer,exporter,hs6,rate_after\nUSA,CHN,250410,0.25\n", encoding="utf-8")
    code, _, err = run("tariff", "smart", str(path), "--store", str(store_path))
    assert code == 2
    assert "short.csv, line 1, field 'rate_before'" in err


def test_bad_options_exit_2(store_path: Path) -> None:
    for extra in (["--sigma", "-1"], ["--year", "1990"], ["--as-of", "soon"]):
        code, _, err = run("tariff", "smart", "zone-rival-25", "--store", str(store_path), *extra)
        assert code == 2, extra
        assert err.startswith("error:")
