"""Monte Carlo of random export restrictions (issue 4, item 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from friendshore._core.errors import DataError, ValidationError
from friendshore._core.types import ISO3
from friendshore.cli.scenario_mc import montecarlo_command
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone
from friendshore.scenarios import montecarlo as mc
from friendshore.scenarios.cuts import ExportCut
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.propagate import propagate

DRAWS = 60


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def network(supply: SupplyNetwork) -> ScenarioNetwork:
    return ScenarioNetwork.from_supply(supply, 2022)


@pytest.fixture(scope="module")
def probs(network: ScenarioNetwork, supply: SupplyNetwork) -> pd.DataFrame:
    return mc.disruption_probabilities(network, supply.governance)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def local(supply: SupplyNetwork, zone: Zone) -> mc.MonteCarloResult:
    return mc.run_montecarlo(supply, load_scenario("cn-graphite-2023"), zone, DRAWS, seed=7)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    cluster = mc.local_cluster(2, processes=False)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_probabilities_from_governance_and_history(probs: pd.DataFrame) -> None:
    assert probs["p"].between(0.0, 1.0).all()
    chn = probs[(probs["exporter"] == "CHN")].set_index("mineral_id")
    chn_p = chn["p"].astype("float64")
    # China restricted graphite (shipped scenario): uplift 3 against 1.5 for its other minerals
    assert chn.loc["graphite", "history"]
    assert not chn.loc["copper", "history"]
    assert chn_p["graphite"] == pytest.approx(2 * chn_p["copper"])
    # the linear map of pv_normalised, before uplift, lies in [P_MIN, P_MAX]
    plain = probs[~probs["history"] & ~probs["exporter"].isin(["CHN", "IDN"])]
    assert plain["p"].between(mc.P_MIN, mc.P_MAX).all()


def test_overrides_most_specific_wins(network: ScenarioNetwork, supply: SupplyNetwork) -> None:
    p = mc.disruption_probabilities(
        network, supply.governance, overrides={"*": 0.0, "CHN": 0.2, "CHN:graphite": 0.9}
    )
    chn = p[p["exporter"] == "CHN"].set_index("mineral_id")["p"]
    assert chn["graphite"] == 0.9
    assert chn["copper"] == 0.2
    assert (p.loc[p["exporter"] != "CHN", "p"] == 0.0).all()
    with pytest.raises(ValidationError, match="between 0 and 1"):
        mc.disruption_probabilities(network, supply.governance, overrides={"CHN": 1.5})


def test_override_file(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("probabilities:\n  CHN: 0.3\n  'CHN:graphite': 0.6\n", encoding="utf-8")
    assert mc.load_probability_overrides(f) == {"CHN": 0.3, "CHN:graphite": 0.6}
    t = tmp_path / "p.toml"
    t.write_text('"*" = 0.01\n', encoding="utf-8")
    assert mc.load_probability_overrides(t) == {"*": 0.01}
    t.write_text("CHN = 2\n", encoding="utf-8")
    with pytest.raises(DataError, match="0–1"):
        mc.load_probability_overrides(t)


def test_one_draw_equals_propagate_exactly(network: ScenarioNetwork, probs: pd.DataFrame) -> None:
    """Level-wide convergence reproduces propagate bit for bit, per draw."""
    fixed = [ExportCut(ISO3("CHN"), 1.0, hs6=("250410", "250490"))]
    model = mc.prepare_model(network, fixed, probs, cut_share=0.5, per_layer=False)
    rng = np.random.default_rng(3)
    events = rng.random((3, len(probs))) < probs["p"].to_numpy()[None, :]
    out = mc.simulate(model, events)
    for b in range(len(events)):
        cuts = fixed + [
            ExportCut(ISO3(probs["exporter"][i]), 0.5, minerals=(probs["mineral_id"][i],))
            for i in np.flatnonzero(events[b])
        ]
        ref = propagate(network, cuts).nodes["shortfall_t"].to_numpy()
        np.testing.assert_array_equal(out[b], ref)
    # per-layer convergence (the fast default) agrees within the cascade tolerance
    fast = mc.simulate(mc.prepare_model(network, fixed, probs, cut_share=0.5), events)
    np.testing.assert_allclose(fast, out, rtol=0, atol=1e-6 * float(out.max()))


def test_probability_one_share_one_equals_deterministic_cut(
    network: ScenarioNetwork, probs: pd.DataFrame
) -> None:
    one = probs.assign(p=np.where(probs["exporter"] == "CHN", 1.0, 0.0))
    model = mc.prepare_model(network, [], one, cut_share=1.0, per_layer=False)
    rows, n_events = mc.run_chunk(model, np.random.SeedSequence(0), 4)
    minerals = tuple(one.loc[one["exporter"] == "CHN", "mineral_id"])
    ref = propagate(network, [ExportCut(ISO3("CHN"), 1.0, minerals=minerals)])
    for b in range(4):
        np.testing.assert_array_equal(rows[b], ref.nodes["shortfall_t"].to_numpy())
    assert (n_events == len(minerals)).all()


def test_zero_probability_gives_zero_shortfall(supply: SupplyNetwork, zone: Zone) -> None:
    zero = load_scenario("cn-graphite-2023").model_copy(update={"shocks": []})
    res = mc.run_montecarlo(supply, zero, zone, 30, seed=1, overrides={"*": 0.0})
    assert (res.samples == 0.0).all()
    assert (res.summary["p_exceed"].fillna(0.0) == 0.0).all()


def test_summary_ordered_and_bounded(local: mc.MonteCarloResult) -> None:
    s = local.summary
    assert list(s.columns) == mc.SUMMARY_COLUMNS
    assert local.samples.shape == (DRAWS, len(local.rows))
    assert (local.samples >= 0).all()
    assert (s["shortfall_t_p50"] <= s["shortfall_t_p95"]).all()
    assert (s["shortfall_t_p95"] <= s["shortfall_t_p99"]).all()
    share = s.dropna(subset=["shortfall_share_p50"])
    assert (share["shortfall_share_p50"] <= share["shortfall_share_p95"]).all()
    assert (share["shortfall_share_p95"] <= share["shortfall_share_p99"]).all()
    assert s["p_exceed"].dropna().between(0.0, 1.0).all()
    # a member never loses more than its baseline (trade inside a bloc is not cut)
    assert (share["shortfall_share_p99"] <= 1.0 + 1e-9).all()
    assert (local.samples <= local.rows["baseline_t"].to_numpy()[None, :] * (1 + 1e-9)).all()
    # the scenario's own cut (China's graphite ban) applies in every draw
    jpn = s[(s["member"] == "JPN") & (s["mineral"] == "graphite") & (s["stage"] == "mining")]
    assert float(jpn["shortfall_t_p50"].iloc[0]) > 0
    assert local.shortfall_basis == "pre-response"


def test_same_seed_same_numbers_and_seeds_differ(
    supply: SupplyNetwork, zone: Zone, local: mc.MonteCarloResult
) -> None:
    scenario = load_scenario("cn-graphite-2023")
    again = mc.run_montecarlo(supply, scenario, zone, DRAWS, seed=7)
    np.testing.assert_array_equal(again.samples, local.samples)
    other = mc.run_montecarlo(supply, scenario, zone, DRAWS, seed=8)
    assert not np.array_equal(other.samples, local.samples)


def test_dask_backend_equals_local(
    supply: SupplyNetwork, zone: Zone, local: mc.MonteCarloResult, client: object
) -> None:
    seen: list[int] = []
    res = mc.run_montecarlo(
        supply,
        load_scenario("cn-graphite-2023"),
        zone,
        DRAWS,
        seed=7,
        backend="dask",
        client=client,
        progress=seen.append,
    )
    np.testing.assert_array_equal(res.samples, local.samples)
    pd.testing.assert_frame_equal(res.summary, local.summary)
    assert sum(seen) == DRAWS


def test_chunk_seeds() -> None:
    chunks = mc.chunk_seeds(0, 60, 25)
    assert [n for _, n in chunks] == [25, 25, 10]
    with pytest.raises(ValidationError):
        mc.chunk_seeds(0, 0)


def test_cli_json(store_path: Path) -> None:
    app = typer.Typer()
    app.command()(montecarlo_command)
    result = CliRunner().invoke(
        app,
        [
            *("cn-graphite-2023", "--draws", "30", "--seed", "2"),
            *("--store", str(store_path), "--format", "json"),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["shortfall_basis"] == "pre-response"
    assert payload["draws"] == 30
    assert set(mc.SUMMARY_COLUMNS) == set(payload["records"][0])
    bad = CliRunner().invoke(app, ["nope", "--store", str(store_path)])
    assert bad.exit_code == 2
