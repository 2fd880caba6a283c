"""`friendshore scenario list` and `friendshore scenario show` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from friendshore.cli.scenario import app

runner = CliRunner()

DATES = {
    "cn-gallium-germanium-2023": "2023-08-01",
    "cn-graphite-2023": "2023-12-01",
    "cn-ree-technology-2023": "2023-12-21",
    "cn-antimony-2024": "2024-09-15",
    "cn-heavy-ree-2025": "2025-04-04",
    "id-nickel-ore-2020": "2020-01-01",
}


def test_list_json_gives_the_six_scenarios_with_their_dates() -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert {r["id"]: r["date"] for r in records} == DATES
    assert all(r["source"] and r["measure"] and r["name"] for r in records)


def test_list_table_shows_every_id() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.stderr
    for scenario_id in DATES:
        assert scenario_id in result.stdout


def test_show_a_shipped_scenario() -> None:
    result = runner.invoke(app, ["show", "cn-graphite-2023"])
    assert result.exit_code == 0, result.stderr
    assert "Announcement No. 39 of 2023" in result.stdout
    assert "HS 250410" in result.stdout
    assert "baseline year: 2022" in result.stdout


def test_show_json_is_the_validated_scenario() -> None:
    result = runner.invoke(app, ["show", "cn-graphite-2023", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["baseline_year"] == 2022
    assert body["shocks"][0]["hs6"] == ["250410", "250490"]
    assert body["shocks"][0]["start"] == "2023-12-01"


def test_show_an_unknown_name_exits_2_listing_the_known_ids() -> None:
    result = runner.invoke(app, ["show", "cn-unobtainium-2030"])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    for scenario_id in DATES:
        assert scenario_id in message


def test_show_a_bad_file_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\nname: bad\ndate: 2024-01-01\nsource: test\nshocks:\n"
        "  - type: export_restriction\n    country: ATL\n    minerals: [graphite]\n    share: 1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "bad.yaml" in message
    assert "line 7" in message
    assert "shocks[0].country" in message
