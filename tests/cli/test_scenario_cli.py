"""`friendshore scenario list`, `show`, and `run`/`montecarlo` with broken files, through the
CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app as main_app
from friendshore.cli.scenario import app

runner = CliRunner()

DATES = {
    "cn-gallium-germanium-2023": "2023-08-01",
    "cn-graphite-2023": "2023-12-01",
    "cn-ree-technology-2023": "2023-12-21",
    "cn-antimony-2024": "2024-09-15",
    "cn-us-ga-ge-sb-2024": "2024-12-03",
    "cn-heavy-ree-2025": "2025-04-04",
    "cn-ree-october-2025": "2025-11-08",
    "id-nickel-ore-2020": "2020-01-01",
}


def test_list_json_gives_the_shipped_scenarios_with_their_dates() -> None:
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


def test_list_by_mineral_gives_the_measures_that_touch_it() -> None:
    result = runner.invoke(app, ["list", "--mineral", "gallium", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["cn-gallium-germanium-2023", "cn-us-ga-ge-sb-2024"]
    assert all("gallium" in r["minerals"].split(", ") for r in records)
    # HS codes map to their mineral through the concordance: the rare-earth codes
    result = runner.invoke(app, ["list", "--mineral", "rare_earths", "--format", "json"])
    ids = [r["id"] for r in json.loads(result.stdout)]
    assert {"cn-heavy-ree-2025", "cn-ree-october-2025"} <= set(ids)
    assert "cn-graphite-2023" not in ids


def test_list_by_a_mineral_name_and_a_typo() -> None:
    by_name = runner.invoke(app, ["list", "--mineral", "Rare earths", "--format", "json"])
    assert by_name.exit_code == 0, by_name.stderr
    assert {r["id"] for r in json.loads(by_name.stdout)} >= {"cn-heavy-ree-2025"}
    result = runner.invoke(app, ["list", "--mineral", "galium"])
    assert result.exit_code == 2
    assert "unknown mineral 'galium'" in result.stderr
    assert "did you mean gallium" in " ".join(result.stderr.split()).lower()


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


# --- `scenario run` and `scenario montecarlo` with a broken file ---------------------------

#: A scenario file with one export restriction; line 7 is the country, 8 the
#: minerals, 9 the share (each test breaks one of them).
SCENARIO = (
    "id: broken\n"
    "name: broken\n"
    "date: 2024-01-01\n"
    "source: test\n"
    "shocks:\n"
    "  - type: export_restriction\n"
    "    country: {country}\n"
    "    minerals: [{mineral}]\n"
    "    share: {share}\n"
)


def run_cli(*args: str) -> tuple[int, str]:
    """Run ``friendshore ARGS`` (the whole CLI); return the exit code and stderr, one line."""
    result = runner.invoke(main_app, list(args))
    return result.exit_code, " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"country": "CHN", "mineral": "graphite", "share": "1.5"},
            ("line 9, field 'shocks[0].share'", "less than or equal to 1"),
        ),
        (
            {"country": "ATL", "mineral": "graphite", "share": "1"},
            ("line 7, field 'shocks[0].country'", "unknown country 'ATL'"),
        ),
        (
            {"country": "CHN", "mineral": "unobtainium", "share": "1"},
            ("line 8, field 'shocks[0].minerals[0]'", "unknown mineral 'unobtainium'"),
        ),
    ],
    ids=["share-1.5", "unknown-country", "unknown-mineral"],
)
def test_run_a_broken_file_exits_2_naming_file_line_and_field(
    tmp_path: Path, store_path: Path, values: dict[str, str], expected: tuple[str, str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(SCENARIO.format(**values), encoding="utf-8")
    code, message = run_cli("scenario", "run", str(path), "--store", str(store_path))
    assert code == 2
    where, problem = expected
    assert f"broken.yaml, {where}:" in message
    assert problem in message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "p.yaml",
            "probabilities:\n  CHN: 0.3\n  'CHN:graphite': 1.5\n",
            ("line 3, field 'probabilities.CHN:graphite'", "probability must be in 0–1, got 1.5"),
        ),
        (
            "p.toml",
            '"*" = 0.01\nCHN = "high"\n',
            ("line 2, field 'CHN'", "probability must be a number, got 'high'"),
        ),
    ],
    ids=["yaml-out-of-range", "toml-not-a-number"],
)
def test_montecarlo_bad_probabilities_file_names_its_line(
    tmp_path: Path, store_path: Path, name: str, text: str, expected: tuple[str, str]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, message = run_cli(
        "scenario",
        "montecarlo",
        "cn-graphite-2023",
        "--draws",
        "10",
        "--probabilities",
        str(path),
        "--store",
        str(store_path),
    )
    assert code == 2
    where, problem = expected
    assert f"{name}, {where}:" in message
    assert problem in message


def test_run_table_names_the_members_without_a_loss(store_path: Path) -> None:
    result = runner.invoke(
        main_app, ["scenario", "run", "cn-graphite-2023", "--store", str(store_path)]
    )
    assert result.exit_code == 0, result.stderr
    # Mexico imports no Chinese natural graphite in the 2022 baseline: it is named, not left out
    assert "No loss for MEX (in graphite mining)" in " ".join(result.stdout.split())
    assert "│ MEX" not in result.stdout
