"""Scenario runs on the bundled data: graphite 2023, gallium-germanium, zero shock, CLI."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from friendshore.cli.scenario_run import run_command
from friendshore.data.store import connect
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.model import Response, Stockpile, load_scenario
from friendshore.scenarios.run import JSON_KEYS, RECORD_COLUMNS, ScenarioResult, run_scenario


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def graphite(supply: SupplyNetwork) -> ScenarioResult:
    return run_scenario(supply, load_scenario("cn-graphite-2023"), default_zone())


def _layer(result: ScenarioResult, mineral: str, stage: str) -> pd.DataFrame:
    r = result.records
    return r[(r["mineral"] == mineral) & (r["stage"] == stage)].set_index("member")


def test_graphite_direct_loss_equals_chinas_2022_exports(
    graphite: ScenarioResult, store_path: Path
) -> None:
    zone = default_zone()
    with contextlib.closing(connect(store_path)) as con:
        rows = con.execute(
            "SELECT importer, sum(quantity_t) AS t FROM trade_latest "
            "WHERE exporter = 'CHN' AND hs6 IN ('250410', '250490') AND year = 2022 "
            "AND importer IS NOT NULL GROUP BY importer"
        ).df()
    rows["member"] = rows["importer"].map(zone.country_to_member())
    expected = rows.dropna(subset=["member"]).groupby("member")["t"].sum()
    got = _layer(graphite, "graphite", "mining")["direct_loss_t"]
    assert graphite.scenario.year == 2022
    assert set(expected.index) == {"USA", "MEX", "EU27", "JPN"}
    assert np.allclose(got.reindex(expected.index), expected, rtol=1e-12)
    # EU27 sums its 27 countries' imports from China.
    assert len(rows[rows["member"] == "EU27"]) > 10


def test_graphite_invariants(graphite: ScenarioResult) -> None:
    r = graphite.records
    assert list(r.columns) == RECORD_COLUMNS
    assert (r["recovered_t"] <= r["lost_t"] + 1e-9).all()
    assert (r["shortfall_t"] >= 0).all()
    parts = r["recovered_rerouting_t"] + r["recovered_sharing_t"] + r["recovered_stockpile_t"]
    assert np.allclose(parts, r["recovered_t"], rtol=1e-9, atol=1e-9)
    assert np.allclose(r["shortfall_t"], r["lost_t"] - r["recovered_t"], atol=1e-9)
    g = _layer(graphite, "graphite", "mining")
    # Every member loses graphite; the response recovers part of it; shares equalised.
    hit = g[g["lost_t"] > 0]
    assert {"USA", "EU27", "JPN"} <= set(hit.index)
    assert hit["recovered_t"].sum() > 0
    assert hit["shortfall_share"].max() < 1
    assert graphite.response.status == "Optimal"
    assert not g["estimated"].any()
    # Only graphite is hit.
    assert set(r.loc[r["lost_t"] > 1e-6, "mineral"]) == {"graphite"}
    totals = graphite.zone_totals.set_index(["mineral", "stage"])
    assert totals.loc[("graphite", "mining"), "lost_t"] == pytest.approx(hit["lost_t"].sum())
    # N-1 coverage by hand for Japan (no graphite production): supply without its
    # largest supplier, over demand.
    e = graphite.propagation.edges
    jpn = e[(e["mineral_id"] == "graphite") & (e["stage"] == "mining") & (e["importer"] == "JPN")]
    largest = jpn.groupby("exporter")["quantity_t"].sum().max()
    n1 = (g.loc["JPN", "baseline_t"] - largest) / g.loc["JPN", "demand_t"]
    assert g.loc["JPN", "n1_coverage"] == pytest.approx(n1, rel=1e-12)
    assert g.loc["JPN", "baseline_t"] == pytest.approx(jpn["quantity_t"].sum(), rel=1e-12)


def test_zero_shock_changes_nothing(supply: SupplyNetwork) -> None:
    result = run_scenario(supply, load_scenario("cn-ree-technology-2023"), default_zone())
    r = result.records
    assert len(r) > 100
    for col in ("direct_loss_t", "lost_t", "recovered_t", "shortfall_t"):
        assert (r[col] == 0).all(), col
    assert result.response.status == "Empty"


def test_switches_off(supply: SupplyNetwork) -> None:
    base = load_scenario("cn-graphite-2023")
    off = base.model_copy(update={"response": Response(sharing=False, rerouting=False)})
    result = run_scenario(supply, off, default_zone())
    r = result.records
    assert (r["recovered_sharing_t"] == 0).all()
    assert (r["recovered_rerouting_t"] == 0).all()
    assert (r["recovered_t"] == 0).all()
    assert np.allclose(r["shortfall_t"], r["lost_t"])


def test_stockpile_recovers(supply: SupplyNetwork, graphite: ScenarioResult) -> None:
    base = load_scenario("cn-graphite-2023")
    stocked = base.model_copy(
        update={
            "response": Response(
                sharing=False,
                rerouting=False,
                stockpiles=[Stockpile(member="JPN", mineral="graphite", days=60)],
            )
        }
    )
    result = run_scenario(supply, stocked, default_zone())
    g = _layer(result, "graphite", "mining")
    # 60 days of Japan's consumption, released over the 12-month disruption.
    demand: float = g["demand_t"].to_dict()["JPN"]
    stock = 60 / 365 * demand
    assert g.loc["JPN", "recovered_stockpile_t"] == pytest.approx(stock, rel=1e-6)
    gap: float = g["lost_t"].to_dict()["JPN"]
    assert g.loc["JPN", "months_of_cover"] == pytest.approx(60 / 30.4 * demand / gap, rel=1e-9)
    assert (g.drop(index="JPN")["recovered_stockpile_t"] == 0).all()


def test_gallium_germanium_is_estimated(supply: SupplyNetwork) -> None:
    result = run_scenario(supply, load_scenario("cn-gallium-germanium-2023"), default_zone())
    r = result.records
    hit = r[r["mineral"].isin(["gallium", "germanium"]) & (r["lost_t"] > 0)]
    assert set(hit["mineral"]) == {"gallium", "germanium"}
    assert set(hit["member"]) == {"USA", "MEX", "EU27", "JPN"}
    assert hit["estimated"].all()
    assert (hit["shortfall_t"] >= 0).all()
    totals = result.zone_totals.set_index("mineral")
    assert totals.loc[["gallium", "germanium"], "estimated"].all()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(run_command)
    return app


def test_cli_json_keys(store_path: Path) -> None:
    res = CliRunner().invoke(
        _app(), ["cn-graphite-2023", "--format", "json", "--store", str(store_path)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scenario"] == "cn-graphite-2023"
    assert doc["baseline_year"] == 2022
    assert doc["records"]
    assert doc["zone_totals"]
    assert all(list(rec) == JSON_KEYS for rec in doc["records"])
    assert JSON_KEYS == [
        "member", "mineral", "stage", "baseline_t", "lost_t", "price_change",
        "demand_reduction_t", "recovered_t",
        "recovered_rerouting_t", "recovered_sharing_t", "recovered_stockpile_t",
        "shortfall_t", "shortfall_share", "months_of_cover", "n1_coverage", "estimated",
    ]  # fmt: skip
    graphite = [r for r in doc["records"] if r["mineral"] == "graphite"]
    assert {r["member"] for r in graphite} >= {"USA", "EU27", "JPN"}


def test_cli_unknown_scenario_exits_2(store_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["no-such-scenario", "--store", str(store_path)])
    assert res.exit_code == 2
    assert "unknown scenario" in res.output


def test_cli_table(store_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["cn-graphite-2023", "--store", str(store_path)])
    assert res.exit_code == 0, res.output
    assert "graphite" in res.stdout
    assert "Zone totals" in res.stdout


def _no_routes(elasticity: float, price_change: float | None = None) -> Response:
    return Response(
        sharing=False, rerouting=False, demand_elasticity=elasticity, price_change=price_change
    )


def test_demand_response_with_a_given_price_rise(supply: SupplyNetwork) -> None:
    base = load_scenario("cn-graphite-2023")
    run = run_scenario(
        supply, base.model_copy(update={"response": _no_routes(-0.2, 0.5)}), default_zone()
    )
    g = _layer(run, "graphite", "mining")
    # |ε| × Δp/p = 0.2 × 0.5: consumption falls 10%, counted up to the loss.
    expected = np.minimum(0.1 * g["demand_t"].clip(lower=0.0), g["lost_t"])
    assert np.allclose(g["demand_reduction_t"], expected, rtol=1e-12)
    assert (g["price_change"] == 0.5).all()
    assert g["demand_reduction_t"].sum() > 0
    assert np.allclose(g["shortfall_t"], g["lost_t"] - g["demand_reduction_t"], atol=1e-9)
    totals = run.zone_totals.set_index(["mineral", "stage"])
    assert totals.loc[("graphite", "mining"), "demand_reduction_t"] == pytest.approx(
        g["demand_reduction_t"].sum()
    )


def test_demand_response_derived_from_the_world_loss(
    supply: SupplyNetwork, graphite: ScenarioResult
) -> None:
    base = load_scenario("cn-graphite-2023")
    response = Response(demand_elasticity=-0.25)  # sharing and re-routing on
    run = run_scenario(supply, base.model_copy(update={"response": response}), default_zone())
    nodes = run.propagation.nodes
    layer = nodes[(nodes["mineral_id"] == "graphite") & (nodes["stage"] == "mining")]
    world_share = layer["shortfall_t"].sum() / layer["domestic_use_t"].clip(lower=0.0).sum()
    g = _layer(run, "graphite", "mining")
    assert 0 < world_share < 1
    assert g["price_change"].iloc[0] == pytest.approx(world_share / 0.25, rel=1e-12)
    expected = np.minimum(world_share * g["demand_t"].clip(lower=0.0), g["lost_t"])
    assert np.allclose(g["demand_reduction_t"], expected, rtol=1e-9)
    # The routes cover what is left; shortfalls never exceed those without demand response.
    before = _layer(graphite, "graphite", "mining")["shortfall_t"]
    assert (g["shortfall_t"] <= before.reindex(g.index) + 1e-6).all()
    left = g["lost_t"] - g["demand_reduction_t"]
    assert (g["recovered_t"] <= left + 1e-9).all()
    assert np.allclose(g["shortfall_t"], left - g["recovered_t"], atol=1e-6)


def test_no_demand_response_by_default(graphite: ScenarioResult) -> None:
    r = graphite.records
    assert (r["demand_reduction_t"] == 0).all()
    assert r["price_change"].isna().all()


@pytest.mark.parametrize(
    ("field", "value"),
    [("demand_elasticity", -6.0), ("demand_elasticity", 0.5), ("price_change", -0.1)],
)
def test_impossible_demand_response_is_rejected(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        Response.model_validate({field: value})


def test_a_bloc_country_cannot_cut_its_fellow_members(supply: SupplyNetwork) -> None:
    from friendshore.scenarios.model import ExportRestriction  # noqa: PLC0415

    base = load_scenario("cn-graphite-2023")
    pol = ExportRestriction(country="POL", minerals=["platinum"], share=1.0)
    run = run_scenario(supply, base.model_copy(update={"shocks": [pol]}), default_zone())
    e = run.propagation.edges
    pl = e[(e["exporter"] == "POL") & (e["mineral_id"] == "platinum")]
    eu = default_zone().members["EU27"]
    inside = pl["importer"].isin(eu)
    # Poland's platinum exports to other EU countries flow on; the rest is cut.
    assert inside.any()
    assert (~inside).any()
    assert (pl.loc[inside, "direct_cut_t"] == 0).all()
    cut = pl.loc[~inside, "direct_cut_t"].to_numpy(dtype=float)
    assert np.allclose(cut, pl.loc[~inside, "quantity_t"].fillna(0.0).to_numpy(dtype=float))
    r = run.records
    assert (r["lost_t"] <= r["baseline_t"] + 1e-9).all()
