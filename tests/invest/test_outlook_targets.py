"""The planner's targets from the zone's outlook (``invest optimize --targets outlook:…``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore._core.errors import ValidationError
from friendshore.cli.main import app
from friendshore.invest.pipeline import load_pipeline
from friendshore.invest.results import plan_portfolio
from friendshore.invest.targets import outlook_targets, parse_targets
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone
from friendshore.scenarios.outlook import OutlookOptions, OutlookResult, run_outlook

runner = CliRunner()


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def outlook(store_path: Path, zone: Zone) -> OutlookResult:
    return run_outlook(store_path, zone, options=OutlookOptions(scenarios=("APS",), years=(2030,)))


def test_parse_targets() -> None:
    assert parse_targets("outlook:APS:2030") == ("APS", 2030)
    assert parse_targets(" outlook:nze:2035 ") == ("NZE", 2035)
    with pytest.raises(ValidationError, match="use outlook:SCENARIO:YEAR"):
        parse_targets("APS:2030")
    with pytest.raises(ValidationError, match="unknown scenario 'SDS'"):
        parse_targets("outlook:SDS:2030")


def test_targets_are_the_certain_gaps(outlook: OutlookResult) -> None:
    targets, cap, inputs = outlook_targets(outlook, "APS", 2030)
    f = outlook.frame
    assert len(inputs) == len(f)  # every mineral × stage of the outlook, entered or not
    entered = inputs[inputs["included"]]
    assert set(targets["mineral"] + "/" + targets["stage"]) == set(
        entered["mineral"] + "/" + entered["stage"]
    )
    assert {"lithium/processing", "graphite/mining"} <= set(
        targets["mineral"] + "/" + targets["stage"]
    )
    row = f[(f["mineral"] == "lithium") & (f["stage"] == "processing")].iloc[0]
    li = targets.set_index(["mineral", "stage"]).loc[("lithium", "processing")]
    assert li["target_t"] == pytest.approx(row["zone_demand_min_t"] - row["zone_supply_max_t"])
    assert li["weight"] == pytest.approx(1.0 / row["zone_demand_min_t"])
    assert (targets["target_t"] > 0).all()
    assert li.name == ("lithium", "processing")
    capped = cap.set_index(["mineral", "stage"]).loc[("lithium", "processing"), "max_new_t"]
    assert capped == pytest.approx(row["zone_demand_max_t"] - row["zone_supply_min_t"])
    notes = inputs.set_index(["mineral", "stage"])["note"]
    assert notes["lithium", "processing"].startswith("entered: gap at least")
    assert notes["zinc", "mining"].startswith("left out: no gap")
    assert notes["copper", "processing"].startswith("left out: the gap may be zero")
    assert notes["lithium", "mining"].startswith("left out: zone demand unknown")
    with pytest.raises(ValidationError, match="no row for APS 2040"):
        outlook_targets(outlook, "APS", 2040)


def test_the_planner_closes_the_outlook_gaps(
    store_path: Path, zone: Zone, outlook: OutlookResult
) -> None:
    pipeline = load_pipeline("example-illustrative")
    network = SupplyNetwork.from_store(store_path)
    given = outlook_targets(outlook, "APS", 2030)
    result = plan_portfolio(
        network, pipeline, zone, year=2030, objective="outlook", outlook=given, budget_usd=3e9
    )
    targets = given[0]
    before = float((targets["target_t"] * targets["weight"]).sum())
    assert result.solution.objective_before == pytest.approx(before)
    assert result.solution.objective < before
    assert result.objective == "outlook"
    chosen = set(result.chosen["mineral"])
    assert chosen <= set(targets["mineral"])
    assert result.chosen["capex_usd"].sum() <= 3e9
    assert (result.chosen["online_year"] <= 2030).all()
    assert isinstance(result.inputs, pd.DataFrame)
    assert result.inputs["included"].sum() == len(targets)


def test_invest_optimize_with_outlook_targets(store_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "invest",
            "optimize",
            "example-illustrative",
            "--targets",
            "outlook:APS:2030",
            "--budget",
            "3e9",
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "outlook objective, target year 2030" in out
    assert "Minerals in the outlook objective:" in out
    assert "entered: gap at least" in out
    bad = runner.invoke(
        app,
        ["invest", "optimize", "example-illustrative", "--targets", "outlook:SDS:2030"],
    )
    assert bad.exit_code == 2
    assert "--targets" in bad.stderr
    clash = runner.invoke(
        app,
        [
            "invest",
            "optimize",
            "example-illustrative",
            "--targets",
            "outlook:APS:2035",
            "--year",
            "2040",
            "--store",
            str(store_path),
        ],
    )
    assert clash.exit_code == 2
    assert "--year 2040 differs from the --targets year 2035" in clash.stderr
