"""`friendshore assess` and `friendshore metrics …` through the CLI runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app

runner = CliRunner()


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def test_assess_prints_the_ranked_summary_and_writes_the_report(
    store_path: Path, tmp_path: Path
) -> None:
    code, out, err = run(store_path, "assess", "--out", str(tmp_path / "report"))
    assert code == 0, err
    assert "ranked by China's share of world output" in out
    first = next(line for line in out.splitlines() if "│" in line)
    assert "Gallium" in first  # China refines 98% of the world's gallium (MCS 2024)
    assert (tmp_path / "report" / "index.html").is_file()


def _critical_records(store: Path) -> int:
    """Critical mineral × stage records of the assessment (from its JSON and the catalog)."""
    code, out, _ = run(store, "assess", "--format", "json", "--no-report")
    assert code == 0
    minerals = runner.invoke(app, ["minerals", "--format", "json"])
    critical = {m["mineral_id"] for m in json.loads(minerals.stdout) if m["usgs_critical_2022"]}
    return sum(r["mineral"] in critical for r in json.loads(out))


def test_assess_table_fits_100_columns_and_explains_every_blank(store_path: Path) -> None:
    result = runner.invoke(
        app, ["assess", "--no-report", "--store", str(store_path)], env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    total = _critical_records(store_path)
    assert f"20 of {total} critical mineral × stage records" in " ".join(result.stdout.split())
    header = "".join(line for line in lines if "┃" in line)
    for column in ("mineral", "stage", "China", "output", "reliance", "from China", "risk"):
        assert column in header
    assert "e+" not in result.stdout  # no scientific notation
    # every blank has a footnote marker, and every marker its reason under the table
    rows = [line for line in lines if line.startswith("│")]
    markers = set(re.findall(r"—([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", "".join(rows)))
    assert not re.search(r"—(?![⁰¹²³⁴⁵⁶⁷⁸⁹])", "".join(rows))
    notes = {m for line in lines if (m := re.match(r"—([⁰¹²³⁴⁵⁶⁷⁸⁹]+) \S", line))}
    assert markers == {m.group(1) for m in notes}


def test_assess_table_all_rows_wide_and_added_member_in_title(store_path: Path) -> None:
    code, out, err = run(
        store_path, "assess", "--no-report", "--top", "0", "--wide", "--add-member", "AUS"
    )
    assert code == 0, err
    total = _critical_records(store_path)
    text = " ".join(out.split())
    assert f"{total} of {total} critical" in text
    assert "with AUS added by --add-member" in text
    assert "HHI" in out
    assert "GeoPol" in out
    assert "more records" not in out


def test_assess_json_matches_the_cli_of_the_same_query(store_path: Path, tmp_path: Path) -> None:
    code, out, err = run(store_path, "assess", "--format", "json", "--no-report")
    assert code == 0, err
    records = json.loads(out)
    ree = next(r for r in records if r["mineral"] == "rare_earths" and r["stage"] == "mining")
    code, out, _ = run(
        store_path,
        "metrics",
        "concentration",
        "--mineral",
        "rare_earths",
        "--stage",
        "mining",
        "--format",
        "json",
    )
    assert code == 0
    shares = {r["country"]: r["share"] for r in json.loads(out)}
    # USGS MCS 2025 world data, at the default year 2024: China 270,000 t REO (est.) of listed
    # rows summing to 393,950 t, above the rounded world total of 390,000 t by less than its
    # rounding, so the listed sum is the denominator (metrics.shares.ROUNDED_BELOW)
    assert ree["year"] == 2024
    assert shares["CHN"] == ree["china_share"] == 270_000 / 393_950


def test_add_member_what_if(store_path: Path) -> None:
    code, out, _ = run(
        store_path, "assess", "--add-member", "AUS", "--format", "json", "--no-report"
    )
    assert code == 0
    lithium = next(
        r for r in json.loads(out) if r["mineral"] == "lithium" and r["stage"] == "mining"
    )
    assert lithium["zone_production_share"] is None  # US output is withheld
    # USGS MCS 2025 world data, 2024 (est.): Australia 88,000 t and Portugal (EU27) 380 t of
    # a world total of 240,000 t that excludes the withheld U.S. output, so nothing bounds
    # the U.S. figure (docs/assessment.md, "Material balance and bounds"): up to 100%
    assert lithium["year"] == 2024
    assert lithium["zone_production_share_min"] == pytest.approx((88_000 + 380) / 240_000)
    assert lithium["zone_production_share_max"] == 1.0
    assert "AUS" in [m["member"] for m in lithium["members"]]


def test_unknown_member_and_bad_zone_file_exit_2(store_path: Path, tmp_path: Path) -> None:
    code, _, err = run(store_path, "assess", "--add-member", "XXX", "--no-report")
    assert code == 2
    assert "XXX" in err
    bad = tmp_path / "zone.toml"
    bad.write_text('name = "z"\nmembers = ["USA", "Atlantis"]\n', encoding="utf-8")
    code, _, err = run(store_path, "assess", "--zone", str(bad), "--no-report")
    assert code == 2
    assert "zone.toml" in err
    assert "members[1]" in err
    bad.write_text('name = "z"\nmembers = [USA]\n', encoding="utf-8")
    code, _, err = run(store_path, "assess", "--zone", str(bad), "--no-report")
    assert code == 2
    assert "line 2" in err


def test_metrics_dependence_and_supply_risk(store_path: Path) -> None:
    code, out, err = run(
        store_path,
        "metrics",
        "dependence",
        "--member",
        "EU27",
        "--mineral",
        "graphite",
        "--year",
        "2023",
        "--format",
        "json",
    )
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["member"] == "EU27"
    assert 0.3 < row["china_import_share_value"] <= 1
    code, out, err = run(
        store_path, "metrics", "supply-risk", "--mineral", "graphite", "--format", "csv"
    )
    assert code == 0, err
    assert out.startswith("source,mineral_id,mineral_name,stage")


def test_metrics_membership(store_path: Path) -> None:
    code, out, err = run(
        store_path, "metrics", "membership", "--candidate", "CAN", "--format", "json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert {r["candidate"] for r in rows} == {"CAN"}
    nickel = [
        r
        for r in rows
        if r["mineral"] == "nickel"
        and r["stage"] == "mining"
        and r["metric"] == "zone_production_share"
    ]
    assert nickel[0]["change"] > 0


def test_metrics_bad_input_exits_2(store_path: Path) -> None:
    code, _, err = run(store_path, "metrics", "concentration", "--mineral", "unobtainium")
    assert code == 2
    assert "unobtainium" in err
    code, _, err = run(
        store_path, "metrics", "dependence", "--member", "CHN", "--mineral", "graphite"
    )
    assert code == 2
    assert "not a member" in err


def test_years_outside_the_data_exit_2(store_path: Path) -> None:
    for args in (
        ("assess", "--year", "2050", "--no-report"),
        ("assess", "--year", "1990", "--no-report"),
        ("metrics", "dependence", "--member", "USA", "--mineral", "graphite", "--year", "1990"),
        ("metrics", "supply-risk", "--mineral", "graphite", "--year", "1990"),
    ):
        code, _, err = run(store_path, *args)
        assert code == 2, args
        assert "the data cover" in err, args


def test_out_pointing_at_a_file_exits_2_before_any_work(store_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("kept", encoding="utf-8")
    code, _, err = run(store_path, "assess", "--out", str(target))
    assert code == 2
    assert "exists and is not a folder" in err
    assert "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "kept"
