"""Stockpile sizing: newsvendor optimum by hand, the LP, budget, days of cover, scenario run."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore.data.queries import annual_prices
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.model import Stockpile, load_scenario
from friendshore.scenarios.run import run_scenario
from friendshore.scenarios.stockpile import (
    OptionError,
    StockpileOptions,
    StockpileResult,
    parse_scenario_weight,
    plan_stockpile,
    scenario_distribution,
    size_stockpile,
    solve_newsvendor,
    solve_saa,
    stock_prices,
    stocked_scenario,
    zone_balance,
)

GRAPHITE = "cn-graphite-2023"


def _cost(  # noqa: PLR0917 (the terms of the formula)
    stock: np.ndarray, losses: np.ndarray, w: np.ndarray, p: np.ndarray, c: np.ndarray, r: float
) -> float:
    return float(r * (p * stock).sum() + (w @ np.maximum(losses - stock, 0.0)) @ c)


# --- the solvers, by hand -----------------------------------------------------------------


def test_one_mineral_two_outcomes_hand_computed_newsvendor() -> None:
    # L = 50 t with p 0.5, 200 t with p 0.03 (else none); price 10, shortfall cost 1.5 x price,
    # carrying 0.06: critical fractile 1 - 0.06 / 1.5 = 0.96; F(0-) = 0.47, F(50) = 0.97 >= 0.96,
    # so S* = 50 t. Cost: 0.06*10*50 + 0.03*15*150 = 30 + 67.5 = 97.5 (S=0: 465, S=200: 120).
    losses = np.array([[50.0], [200.0]])
    w, p, c = np.array([0.5, 0.03]), np.array([10.0]), np.array([15.0])
    sol = solve_newsvendor(losses, w, p, c, rate=0.06, budget=1e9)
    assert sol.stock[0] == pytest.approx(50.0)
    assert sol.marginal_value == 0.0
    assert _cost(sol.stock, losses, w, p, c, 0.06) == pytest.approx(97.5)
    # a budget of US$300 buys 30 t; its value is k P(L > S) - r = 1.5 * 0.53 - 0.06 = 0.735
    tight = solve_newsvendor(losses, w, p, c, rate=0.06, budget=300.0)
    assert tight.stock[0] == pytest.approx(30.0)
    assert tight.marginal_value == pytest.approx(0.735)
    # at k = 3 the fractile 0.98 exceeds F(50) = 0.97: the whole 200 t is stocked
    assert solve_newsvendor(losses, w, p, 2 * c, rate=0.06, budget=1e9).stock[0] == pytest.approx(
        200.0
    )


def test_saa_lp_and_closed_form_agree() -> None:
    rng = np.random.default_rng(3)
    losses = np.where(rng.random((60, 4)) < 0.3, rng.gamma(2.0, 100.0, (60, 4)), 0.0)
    w = np.full(60, 0.9 / 60)
    p = np.array([10.0, 2_000.0, 35_000.0, 400.0])
    c = p * np.array([5.0, 3.0, 8.0, 1.2])
    for budget in (1e9, 2e5):  # slack, then binding
        closed = solve_newsvendor(losses, w, p, c, rate=0.06, budget=budget)
        lp = solve_saa(losses, w, p, c, rate=0.06, budget=budget)
        assert _cost(lp.stock, losses, w, p, c, 0.06) == pytest.approx(
            _cost(closed.stock, losses, w, p, c, 0.06), rel=1e-7
        )
        np.testing.assert_allclose(lp.stock, closed.stock, rtol=1e-6, atol=1e-6)
        assert lp.marginal_value == pytest.approx(closed.marginal_value, abs=1e-7)
        assert (p * closed.stock).sum() <= budget * (1 + 1e-9)
    assert closed.marginal_value > 0  # the second budget binds


outcomes = st.integers(min_value=1, max_value=8)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=outcomes,
    m=st.integers(min_value=1, max_value=4),
    budget=st.floats(min_value=0.0, max_value=1e6),
)
def test_budget_and_doubling_the_shortfall_cost(
    data: st.DataObject, n: int, m: int, budget: float
) -> None:
    losses = np.array(
        data.draw(
            st.lists(st.lists(st.floats(0, 1e4), min_size=m, max_size=m), min_size=n, max_size=n)
        )
    )
    raw = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    w = raw / max(1.0, raw.sum())
    p = np.array(data.draw(st.lists(st.floats(1.0, 1e5), min_size=m, max_size=m)))
    k = np.array(data.draw(st.lists(st.floats(0.1, 20.0), min_size=m, max_size=m)))
    once = solve_newsvendor(losses, w, p, k * p, rate=0.06, budget=budget)
    twice = solve_newsvendor(losses, w, p, 2 * k * p, rate=0.06, budget=budget)
    # stock never exceeds what the budget buys, nor the largest shortfall
    assert (p * once.stock).sum() <= budget * (1 + 1e-9) + 1e-9
    assert (once.stock <= losses.max(axis=0) * (1 + 1e-12) + 1e-12).all()
    # doubling the shortfall cost never lowers the stock
    assert (twice.stock >= once.stock * (1 - 1e-9) - 1e-9).all()


def test_options_name_the_bad_field() -> None:
    for kwargs, name in (
        ({"budget_usd": -1.0}, "budget"),
        ({"carrying_rate": 1.5}, "carrying-rate"),
        ({"scenarios": ((GRAPHITE, 1.2),)}, "scenario"),
        ({"shortfall_cost_multiple": 0.0}, "shortfall-multiple"),
    ):
        with pytest.raises(OptionError) as err:
            StockpileOptions(**kwargs)
        assert err.value.field == name
    assert parse_scenario_weight("cn-graphite-2023:0.25") == (GRAPHITE, 0.25)
    assert parse_scenario_weight(GRAPHITE) == (GRAPHITE, 0.1)
    with pytest.raises(OptionError):
        parse_scenario_weight("cn-graphite-2023:1.5")


# --- the bundled data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def balance(supply: SupplyNetwork) -> pd.DataFrame:
    return zone_balance(supply, default_zone())


@pytest.fixture(scope="module")
def prices(store_path: Path) -> pd.DataFrame:
    return annual_prices(store_path)


@pytest.fixture(scope="module")
def graphite(supply: SupplyNetwork, prices: pd.DataFrame, balance: pd.DataFrame) -> StockpileResult:
    opts = StockpileOptions(scenarios=((GRAPHITE, 0.3),))
    return plan_stockpile(supply, default_zone(), prices, options=opts, balance=balance)


def test_graphite_stock_covers_the_scenario_shortfall_and_days_match_the_balance(
    graphite: StockpileResult, balance: pd.DataFrame, prices: pd.DataFrame
) -> None:
    f = graphite.frame
    rows = f[(f["mineral"] == "graphite") & (f["stage"] == "mining") & (f["member"] == "zone")]
    row = rows.to_dict("records")[0]
    # one outcome with p 0.3 > r / k = 0.012: the stock is the whole shortfall of the run
    promise = graphite.promises[graphite.promises["mineral"] == "graphite"].to_dict("records")[0]
    assert row["tonnes"] == pytest.approx(promise["shortfall_t"])
    assert row["expected_shortfall_avoided_t"] == pytest.approx(0.3 * promise["shortfall_t"])
    # price: USGS MCS graphite series of the latest year, their median
    g = prices[(prices["mineral_id"] == "graphite") & (prices["stage"] == "mining")].dropna(
        subset=["usd_per_t"]
    )
    latest = g[g["year"] == g["year"].max()]
    assert row["price_usd_t"] == pytest.approx(latest["usd_per_t"].median())
    assert row["purchase_cost_usd"] == pytest.approx(row["tonnes"] * row["price_usd_t"])
    # days of cover = tonnes / (apparent consumption / 365), the zone row of the store's balance
    z = balance[
        (balance["member"] == "zone")
        & (balance["mineral_id"] == "graphite")
        & (balance["stage"] == "mining")
        & (balance["year"] == graphite.distribution.year)
    ]
    consumption = float(z["apparent_consumption_t"].iloc[0])
    assert row["consumption_year"] == graphite.distribution.year
    assert row["days_of_cover"] == pytest.approx(row["tonnes"] / (consumption / 365.0))
    assert row["jogmec_60d_t"] == pytest.approx(60.0 / 365.0 * consumption)
    # stock never exceeds what the budget buys
    assert graphite.frame["purchase_cost_usd"].sum() <= graphite.options.budget_usd
    # the DoD references: tonnes = budget / price, days of U.S. consumption from the balance
    ref = {r["mineral"]: r for r in graphite.references.to_dict("records")}
    assert ref["cobalt"]["tonnes"] == pytest.approx(500e6 / ref["cobalt"]["price_usd_t"])
    sb = ref["antimony"]
    assert sb["days_of_consumption"] == pytest.approx(
        sb["tonnes"] * 365.0 / sb["apparent_consumption_t"]
    )


def test_zero_probability_gives_zero_stock(
    supply: SupplyNetwork, prices: pd.DataFrame, balance: pd.DataFrame
) -> None:
    run = run_scenario(supply, load_scenario(GRAPHITE), default_zone())
    dist = scenario_distribution([(run, 0.0)])
    net_layers = pd.DataFrame(
        {"mineral_id": ["graphite"], "stage": ["mining"], "basis": ["contained"]}
    )
    result = size_stockpile(dist, stock_prices(prices, layers=net_layers), balance)
    assert (result.frame["tonnes"] == 0).all()
    assert result.frame["expected_shortfall_t"].sum() == 0
    assert result.scenario_block() == []


@pytest.mark.parametrize("reserve", ["zone", "member"])
def test_scenario_run_with_the_block_recovers_the_promised_shortfall(
    supply: SupplyNetwork, prices: pd.DataFrame, balance: pd.DataFrame, reserve: str
) -> None:
    zone = default_zone()
    scenario = load_scenario(GRAPHITE)
    opts = StockpileOptions(
        scenarios=((GRAPHITE, 0.3),), reserve="zone" if reserve == "zone" else "member"
    )
    result = plan_stockpile(supply, zone, prices, options=opts, balance=balance)
    stocked = stocked_scenario(scenario, result)
    assert all(
        isinstance(s, Stockpile) and s.stage == "mining" for s in stocked.response.stockpiles
    )
    before = run_scenario(supply, scenario, zone).records
    after = run_scenario(supply, stocked, zone).records
    assert len(result.promises) > 0
    for p in result.promises.to_dict("records"):

        def short(rec: pd.DataFrame, p: dict[Hashable, Any] = p) -> float:
            sel = (rec["mineral"] == p["mineral"]) & (rec["stage"] == p["stage"])
            if p["member"] != "zone":
                sel &= rec["member"] == p["member"]
            return float(rec.loc[sel, "shortfall_t"].sum()) * float(str(p["months"])) / 12.0

        avoided = short(before) - short(after)
        assert float(p["promised_avoided_t"]) > 0
        assert avoided >= float(p["promised_avoided_t"]) * (1 - 1e-6)
