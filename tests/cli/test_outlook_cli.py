"""`friendshore outlook` end to end on the session store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.scenarios.outlook import FRAME_COLUMNS

runner = CliRunner()


def invoke(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["outlook", *args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def test_table_for_lithium_in_2030(store_path: Path) -> None:
    code, out, err = invoke(
        store_path, "--scenario", "aps", "--year", "2030", "--mineral", "lithium"
    )
    assert code == 0, err
    assert "Outlook of the zone (t/yr; base year 2024" in out
    assert "531.5 kt" in out  # IEA world demand, APS 2030 (sheet 1, J37)
    assert "lithium" in out
    assert "processing" in out
    assert "China share" in out
    assert "note: allocation: share of world apparent consumption in 2024" in out
    assert "NZE" not in out.split("note:")[0]


def test_json_is_the_payload(store_path: Path) -> None:
    code, out, err = invoke(
        store_path, "--year", "2035", "--mineral", "copper", "--mineral", "lithium", "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["base_year"] == 2024
    assert doc["years"] == [2035]
    assert doc["scenarios"] == ["STEPS", "APS", "NZE"]
    assert doc["rival_key"] == "china_world_supply_share"
    rows = {(r["mineral"], r["stage"], r["scenario"]): r for r in doc["rows"]}
    assert len(rows) == 2 * 2 * 3
    li = rows["lithium", "processing", "STEPS"]
    assert li["world_demand_t"] == 735_866.0
    assert li["zone_demand_min_t"] == li["world_demand_t"] * li["zone_share_min"]
    assert doc["pipeline"] == []


def test_csv_has_every_row_and_column(store_path: Path) -> None:
    code, out, err = invoke(store_path, "--mineral", "nickel", "-f", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 2 * 3 * 6  # mining and processing × 3 scenarios × 6 years
    assert set(frame["year"]) == {2023, 2030, 2035, 2040, 2045, 2050}


def test_a_pipeline_adds_its_capacity(store_path: Path) -> None:
    code, out, err = invoke(
        store_path,
        "--mineral",
        "lithium",
        "--scenario",
        "APS",
        "--pipeline",
        "example-illustrative",
        "-f",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    by_year = {
        r["year"]: r["pipeline_t"]
        for r in doc["rows"]
        if r["stage"] == "processing" and r["scenario"] == "APS"
    }
    # ILL-LI-DEU-1 (4,000 t, first output 2028) and ILL-LI-USA-1 (6,000 t, 2030)
    assert by_year[2023] == 0.0
    assert by_year[2030] == 10_000.0
    ids = {p["id"]: p for p in doc["pipeline"]}
    assert ids["ILL-LI-DEU-1"]["online_year"] == 2028
    assert ids["ILL-LI-DEU-1"]["used"] is True
    assert ids["ILL-GA-DEU-1"]["used"] is False  # gallium is not in --mineral


def test_bad_scenario_exits_2_naming_the_option(store_path: Path) -> None:
    code, _, err = invoke(store_path, "--scenario", "SDS")
    assert code == 2
    assert "--scenario" in err
    assert "SDS" in err


def test_bad_year_exits_2_naming_the_option(store_path: Path) -> None:
    code, _, err = invoke(store_path, "--year", "2031")
    assert code == 2
    assert "--year" in err
    assert "2031" in err
    assert "2030" in err
    code, _, err = invoke(store_path, "--year", "soon")
    assert code == 2
    assert "--year" in err


def test_bad_allocation_file_names_file_line_and_field(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "alloc.csv"
    bad.write_text("member,share\nUSA,0.2\nEU27,lots\n", encoding="utf-8")
    code, _, err = invoke(store_path, "--allocation", str(bad))
    assert code == 2
    assert "alloc.csv, line 3, field 'share'" in err
    stranger = tmp_path / "stranger.csv"
    stranger.write_text("member,share\nCAN,0.2\n", encoding="utf-8")
    code, _, err = invoke(store_path, "--allocation", str(stranger))
    assert code == 2
    assert "line 2, field 'member'" in err
    assert "CAN" in err


def test_allocation_file_sets_the_shares(store_path: Path, tmp_path: Path) -> None:
    table = tmp_path / "alloc.csv"
    table.write_text("member,share\nUSA,0.1\nEU27,0.1\nJPN,0.05\nMEX,0.05\n", encoding="utf-8")
    code, out, err = invoke(
        store_path,
        "--allocation",
        str(table),
        "--mineral",
        "copper",
        "--year",
        "2030",
        "-f",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["allocation_method"].startswith("user allocation")
    assert {round(r["zone_share"], 12) for r in doc["rows"]} == {0.3}


def test_out_writes_the_files(store_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "report"
    code, _, err = invoke(
        store_path, "--mineral", "lithium", "--scenario", "APS", "--out", str(target)
    )
    assert code == 0, err
    assert (target / "outlook.csv").is_file()
    assert (target / "index.html").is_file()
    frame = pd.read_csv(target / "outlook.csv")
    assert set(frame["mineral"]) == {"lithium"}
