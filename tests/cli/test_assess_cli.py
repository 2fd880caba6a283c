"""`friendshore assess` and `friendshore metrics …` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert "where the zone depends most on China" in out
    first = next(line for line in out.splitlines() if "│" in line)
    assert "gallium" in first  # China refines 98% of the world's gallium (MCS 2024)
    assert (tmp_path / "report" / "index.html").is_file()


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
    assert shares["CHN"] == ree["china_share"] == 240_000 / 350_000


def test_add_member_what_if(store_path: Path) -> None:
    code, out, _ = run(
        store_path, "assess", "--add-member", "AUS", "--format", "json", "--no-report"
    )
    assert code == 0
    lithium = next(
        r for r in json.loads(out) if r["mineral"] == "lithium" and r["stage"] == "mining"
    )
    assert lithium["zone_production_share"] is None  # US output is withheld
    assert lithium["zone_production_share_min"] > 0.45  # Australia: 86,000 of 180,000 t
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
    assert out.startswith("source,mineral_id,stage")


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
