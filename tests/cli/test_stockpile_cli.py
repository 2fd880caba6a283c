"""`friendshore stockpile size`: bad options exit 2 naming the option; JSON; written scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.run import run_scenario

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--budget", "-5"], "--budget"),
        (["--carrying-rate", "1.5"], "--carrying-rate"),
        (["--scenario", "no-such-scenario"], "--scenario"),
        (["--scenario", "cn-graphite-2023:1.5"], "--scenario"),
        (["--scenario", "cn-graphite-2023:-0.1"], "--scenario"),
        (["--shortfall-multiple", "0"], "--shortfall-multiple"),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    args: list[str], option: str, store_path: Path
) -> None:
    result = runner.invoke(app, ["stockpile", "size", *args, "--store", str(store_path)])
    assert result.exit_code == 2, result.output
    assert option in result.stderr


def test_json_and_written_scenario_recovers_the_promise(store_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "stocked.yaml"
    result = runner.invoke(
        app,
        [
            "stockpile",
            "size",
            "--scenario",
            "cn-graphite-2023:0.5",
            "--budget",
            "5e8",
            "--method",
            "saa",
            "--write-scenario",
            str(target),
            "--format",
            "json",
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["method"] == "saa"
    assert doc["reserve"] == "zone"
    assert doc["totals"]["purchase_cost_usd"] <= 5e8
    rec = {(r["mineral"], r["stage"]): r for r in doc["records"]}
    graphite = rec[("graphite", "mining")]
    assert graphite["tonnes"] > 0
    assert {b["mineral"] for b in doc["scenario_block"]} == {"graphite"}
    # the written file is a valid scenario; `scenario run` on it recovers the promised tonnes
    stocked = load_scenario(target)
    assert stocked.id == "cn-graphite-2023-stockpile"
    supply = SupplyNetwork.from_store(store_path)
    zone = default_zone()
    before = run_scenario(supply, load_scenario("cn-graphite-2023"), zone).zone_totals
    after = run_scenario(supply, stocked, zone).zone_totals

    def short(t: pd.DataFrame) -> float:
        sel = (t["mineral"] == "graphite") & (t["stage"] == "mining")
        return float(t.loc[sel, "shortfall_t"].sum())

    promised = min(graphite["tonnes"], graphite["expected_shortfall_t"] / 0.5)
    assert short(before) - short(after) >= promised * (1 - 1e-6)


def test_table_says_the_method_and_the_references(store_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "stockpile",
            "size",
            "--scenario",
            "cn-gallium-germanium-2023",
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "Method: newsvendor" in result.stdout
    assert "gallium" in result.stdout
    assert "US$245 m of antimony" in result.stdout
    assert "Budget frontier" in result.stdout
