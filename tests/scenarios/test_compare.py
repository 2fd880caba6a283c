"""Scenarios side by side and the sensitivity of a scenario to its assumptions (bundled data).

The side-by-side table must hold exactly what each scenario gives when run on its own
(`run_scenario` on the whole network, the network rebuilt for each run); the tornado's
ends must move the zone's shortfall the way the model says they do.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import ValidationError
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.compare import (
    ASSUMPTIONS,
    MAX_COMPARED,
    ZONE_ROW,
    ScenarioComparison,
    Sensitivity,
    compare_scenarios,
    comparison_payload,
    scenario_sensitivity,
    sensitivity_payload,
    with_assumption,
)
from friendshore.scenarios.model import load_scenario, scenario_ids, scenario_minerals
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.run import ScenarioResult, run_scenario

GA_GE = "cn-gallium-germanium-2023"
US_BAN = "cn-us-ga-ge-sb-2024"
GRAPHITE = "cn-graphite-2023"
NICKEL = "id-nickel-ore-2020"
COMPARED = [GA_GE, US_BAN, GRAPHITE, NICKEL]


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def comparison(supply: SupplyNetwork) -> ScenarioComparison:
    scenarios = [load_scenario(i) for i in COMPARED]
    return compare_scenarios(supply, scenarios, default_zone())


@pytest.fixture(scope="module")
def alone(supply: SupplyNetwork) -> dict[str, ScenarioResult]:
    """Each scenario run by itself on the whole network (rebuilt for each run)."""
    return {i: run_scenario(supply, load_scenario(i), default_zone()) for i in COMPARED}


def test_side_by_side_equals_each_run_alone(
    comparison: ScenarioComparison, alone: dict[str, ScenarioResult]
) -> None:
    table = comparison.table.set_index(["member", "mineral", "stage"])
    assert comparison.ids == tuple(COMPARED)
    for sid, result in alone.items():
        members = table.drop(index=ZONE_ROW, level="member")
        own = result.records.set_index(["member", "mineral", "stage"])
        for col in ("shortfall_share", "shortfall_t"):
            shown = members[f"{sid}_{col}"]
            expected = own[col].reindex(shown.index)
            # unknown (no supply in the scenario's year) exactly where the lone run has no row
            assert shown.isna().equals(expected.isna()), (sid, col)
            np.testing.assert_allclose(shown.dropna(), expected.dropna(), rtol=1e-9, atol=1e-9)
        zone = table.xs(ZONE_ROW, level="member")[f"{sid}_shortfall_share"]
        totals = result.zone_totals.set_index(["mineral", "stage"])["shortfall_share"]
        np.testing.assert_allclose(zone, totals.reindex(zone.index), rtol=1e-9, atol=1e-9)


def test_rows_are_the_layers_some_scenario_hits(
    comparison: ScenarioComparison, alone: dict[str, ScenarioResult]
) -> None:
    hit = set()
    for result in alone.values():
        rec = result.records
        lost = rec[rec["lost_t"] > 1e-9 * rec["baseline_t"].clip(lower=1.0)]
        hit |= set(zip(lost["member"], lost["mineral"], lost["stage"], strict=True))
    members = comparison.table[comparison.table["member"] != ZONE_ROW]
    assert set(zip(members["member"], members["mineral"], members["stage"], strict=True)) == hit
    layers = {(m, s) for _, m, s in hit}
    zone = comparison.table[comparison.table["member"] == ZONE_ROW]
    assert set(zip(zone["mineral"], zone["stage"], strict=True)) == layers
    # gallium, germanium, graphite and nickel are hit; the gallium ban on the USA hits the USA
    assert {("gallium", "processing"), ("graphite", "mining"), ("nickel", "mining")} <= layers
    ga = comparison.table.set_index(["member", "mineral", "stage"])
    assert float(ga.loc[("USA", "gallium", "processing"), f"{US_BAN}_shortfall_share"]) > 0.5
    # the 2024 ban on exports to the United States spares Japan's gallium: a known 0, not unknown
    assert ga.loc[("JPN", "gallium", "processing"), f"{US_BAN}_shortfall_share"] == 0.0


def test_unknown_is_not_zero(comparison: ScenarioComparison) -> None:
    """Nickel's 2019 network has no gallium supply for the members: unknown, with its reason."""
    payload = comparison_payload(comparison)
    rows = [
        r
        for r in payload["rows"]
        if r["mineral"] == "gallium" and r["member"] == "USA" and r["stage"] == "processing"
    ]
    (row,) = rows
    assert row["shortfall_share"][NICKEL] is None
    assert "no supply" in row["notes"][NICKEL]
    assert row["shortfall_share"][GRAPHITE] == 0.0
    assert GRAPHITE not in row["notes"]
    assert [s["id"] for s in payload["scenarios"]] == COMPARED
    assert payload["scenarios"][3]["baseline_year"] == 2019


def test_compare_refuses_repeats_and_too_many(supply: SupplyNetwork) -> None:
    one = load_scenario(GRAPHITE)
    with pytest.raises(ValidationError, match="twice"):
        compare_scenarios(supply, [one, one], default_zone())
    with pytest.raises(ValidationError, match=f"at most {MAX_COMPARED}"):
        compare_scenarios(
            supply, [one.model_copy(update={"id": f"s{i}"}) for i in range(13)], default_zone()
        )
    with pytest.raises(ValidationError, match="at least one"):
        compare_scenarios(supply, [], default_zone())


def test_network_restricted_to_touched_minerals_gives_the_same_run(supply: SupplyNetwork) -> None:
    scenario = load_scenario(GRAPHITE)
    small = ScenarioNetwork.from_supply(supply, scenario.year, minerals=["graphite"])
    assert set(small.layers["mineral_id"]) == {"graphite"}
    part = run_scenario(supply, scenario, default_zone(), network=small)
    whole = run_scenario(supply, scenario, default_zone())
    keys = ["member", "mineral", "stage"]
    got = part.records.set_index(keys)
    want = whole.records.set_index(keys).loc[got.index]
    for col in ("lost_t", "recovered_t", "shortfall_t"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-9, atol=1e-6)
    with pytest.raises(ValidationError, match="network of 2021"):
        run_scenario(
            supply,
            scenario,
            default_zone(),
            network=ScenarioNetwork.from_supply(supply, 2021, minerals=["graphite"]),
        )


@pytest.fixture(scope="module")
def sensitivity(supply: SupplyNetwork) -> Sensitivity:
    return scenario_sensitivity(supply, load_scenario(US_BAN), default_zone())


def test_sensitivity_rows_and_ends(sensitivity: Sensitivity) -> None:
    frame = sensitivity.frame
    base = sensitivity.base.zone_totals
    hit = base[base["lost_t"] > 0]
    assert len(frame) == len(hit) * len(ASSUMPTIONS)
    assert set(frame["assumption"]) == {a.name for a in ASSUMPTIONS}
    spare = frame[frame["assumption"] == "spare_fraction"]
    assert (spare["low"] == 0.0).all()
    assert (spare["high"] == 0.25).all()
    assert (spare["base"] == 0.10).all()
    np.testing.assert_allclose(
        frame["change_t"], frame["zone_shortfall_high_t"] - frame["zone_shortfall_low_t"]
    )
    # the base column is the base run's zone total
    by_layer = base.set_index(["mineral", "stage"])["shortfall_t"]
    expected = by_layer.reindex(pd.MultiIndex.from_frame(frame[["mineral", "stage"]]))
    np.testing.assert_allclose(frame["zone_shortfall_base_t"], expected.to_numpy())
    # tornado order: largest |change| first within each layer
    for _, layer in frame.groupby(["mineral", "stage"]):
        size = layer["change_share"].abs().to_numpy()
        assert (np.diff(size) <= 1e-15).all()
    payload = sensitivity_payload(sensitivity)
    assert [a["name"] for a in payload["assumptions"]] == [a.name for a in ASSUMPTIONS]
    assert len(payload["rows"]) == len(frame)


def test_sensitivity_ends_equal_runs_with_the_assumption_set(
    supply: SupplyNetwork, sensitivity: Sensitivity
) -> None:
    """The 'high stock days' end is the scenario run with 60 days for every member."""
    scenario = load_scenario(US_BAN)
    varied, spare = with_assumption(scenario, default_zone(), "stock_days", 60.0)
    assert spare is None
    assert {s.days for s in varied.response.stockpiles} == {60.0}
    run = run_scenario(supply, varied, default_zone())
    totals = run.zone_totals.set_index(["mineral", "stage"])
    rows = sensitivity.frame[sensitivity.frame["assumption"] == "stock_days"]
    for r in rows.itertuples():
        assert math.isclose(
            float(r.zone_shortfall_high_t),
            float(totals.at[(r.mineral, r.stage), "shortfall_t"]),
            rel_tol=1e-9,
            abs_tol=1e-9,
        )


@pytest.mark.parametrize("scenario_id", scenario_ids())
def test_more_help_never_means_more_shortfall(supply: SupplyNetwork, scenario_id: str) -> None:
    """Spare 0 never gives less shortfall than spare 0.1; no stocks and no demand response
    never less than with them (every shipped scenario, every layer, zone totals)."""
    scenario = load_scenario(scenario_id)
    zone = default_zone()
    net = ScenarioNetwork.from_supply(supply, scenario.year, minerals=scenario_minerals(scenario))

    def totals(s: object, spare: float) -> pd.Series:
        run = run_scenario(supply, s, zone, spare_fraction=spare, network=net)  # type: ignore[arg-type]
        return run.zone_totals.set_index(["mineral", "stage"])["shortfall_t"]

    base = totals(scenario, 0.10)
    no_spare = totals(scenario, 0.0)
    assert (no_spare >= base - 1e-6 * base.abs().clip(lower=1.0)).all()
    stocked, _ = with_assumption(scenario, zone, "stock_days", 60.0)
    assert (base >= totals(stocked, 0.10) - 1e-6 * base.abs().clip(lower=1.0)).all()
    elastic, _ = with_assumption(scenario, zone, "demand_elasticity", -0.5)
    assert (base >= totals(elastic, 0.10) - 1e-6 * base.abs().clip(lower=1.0)).all()
