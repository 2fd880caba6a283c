"""The material balance: interval arithmetic by hand, inconsistent sources, the zone's rival."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore.metrics.balance import (
    CERTAINLY_ZERO,
    INCONSISTENT,
    NO_TRADE_CODE,
    POINT,
    ZONE,
    balance_frame,
    half_unit,
    interval_fields,
    material_balance,
    reliance_bounds,
    us_salient_rows,
)
from friendshore.metrics.dependence import bargaining_power
from friendshore.metrics.shares import production_shares
from friendshore.metrics.us_published import us_balance_of
from friendshore.metrics.zone_supply import non_rival_supply
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

YEAR = 2023


def test_reliance_bounds_by_hand() -> None:
    # P in [100, 300], N in [100, 200]: IR = N / (P + N)
    # max at N=200, P=100: 200/300; min at N=100, P=300: 100/400
    low, high = reliance_bounds([100.0], [300.0], [100.0], [200.0])
    assert low[0] == pytest.approx(0.25)
    assert high[0] == pytest.approx(2.0 / 3.0)
    # net exporter: N in [-50, -10], P in [200, 400]: min at N=-50, P=200: -50/150
    low, high = reliance_bounds([200.0], [400.0], [-50.0], [-10.0])
    assert low[0] == pytest.approx(-50.0 / 150.0)
    assert high[0] == pytest.approx(-10.0 / 390.0)
    # unbounded production: IR falls to 0; certainly no production: IR = 1
    low, high = reliance_bounds([0.0, 0.0], [np.nan, 0.0], [10.0, 5.0], [20.0, 9.0])
    assert (low[0], high[0]) == (0.0, 1.0)
    assert (low[1], high[1]) == (1.0, 1.0)
    # no positive consumption anywhere in the box: no bound
    low, high = reliance_bounds([0.0], [0.0], [-5.0], [0.0])
    assert math.isnan(low[0])
    assert math.isnan(high[0])


def test_reliance_bounds_enclose_every_point_of_the_box() -> None:
    rng = np.random.default_rng(12)
    p = np.sort(rng.uniform(0, 1000, size=(200, 2)), axis=1)
    n = np.sort(rng.uniform(-300, 1000, size=(200, 2)), axis=1)
    low, high = reliance_bounds(p[:, 0], p[:, 1], n[:, 0], n[:, 1])
    for t in np.linspace(0, 1, 5):
        for u in np.linspace(0, 1, 5):
            pp = p[:, 0] + t * (p[:, 1] - p[:, 0])
            nn = n[:, 0] + u * (n[:, 1] - n[:, 0])
            ac = pp + nn
            ir = np.where(ac > 0, nn / np.where(ac > 0, ac, 1.0), np.nan)
            ok = ~np.isnan(ir)
            assert np.all(ir[ok] >= low[ok] - 1e-12)
            assert np.all(ir[ok] <= high[ok] + 1e-12)


def _toy_zone(rivals: list[str]) -> Zone:
    return Zone.from_mapping({"name": "toy", "members": ["USA", "MEX"], "rivals": rivals})


def _toy_trade(rows: list[tuple[str, str, str, float, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": YEAR,
            "exporter": [r[0] for r in rows],
            "importer": [r[1] for r in rows],
            "hs6": [r[2] for r in rows],
            "mineral_id": "x",
            "stage": "mining",
            "value_usd": 1000.0,
            "quantity_t": [r[3] for r in rows],
            "content_t": [r[4] for r in rows],
        }
    )


def _toy_rows(quantities: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.DataFrame(
        {
            "source": "USGS MCS",
            "mineral_id": "x",
            "stage": "mining",
            "product": "",
            "year": YEAR,
            "country": list(quantities),
            "quantity_t": list(quantities.values()),
            "status": "reported",
        }
    )
    totals = pd.DataFrame(
        {
            "source": ["USGS MCS", "USGS MCS"],
            "mineral_id": "x",
            "stage": "mining",
            "product": "",
            "year": YEAR,
            "kind": ["world", "other"],
            "quantity_t": [sum(quantities.values()) + 50.0, 50.0],
        }
    )
    return rows, totals


def test_balance_by_hand_with_a_flow_without_content_factor() -> None:
    zone = _toy_zone(["CHN"])
    # USA produces 100 t; imports 200 t contained (code A) and 40 t gross of code B
    # (no factor); exports 10 t gross of code B. MEX is not listed: [0, 50] (other countries).
    trade = _toy_trade(
        [
            ("CHN", "USA", "A", 200.0, 200.0),
            ("AUS", "USA", "B", 40.0, None),
            ("USA", "AUS", "B", 10.0, None),
        ]
    )
    rows, totals = _toy_rows({"USA": 100.0, "CHN": 500.0})
    bal = balance_frame(trade, rows, zone, totals=totals).set_index("member")
    usa = bal.loc["USA"]
    assert (usa["imports_min_t"], usa["imports_max_t"]) == (200.0, 240.0)
    assert (usa["exports_min_t"], usa["exports_max_t"]) == (0.0, 10.0)
    # code B's net imports lie in [0, 40 - 10]
    assert (usa["net_imports_min_t"], usa["net_imports_max_t"]) == (200.0, 230.0)
    assert usa["import_reliance_min"] == pytest.approx(200.0 / 300.0)
    assert usa["import_reliance_max"] == pytest.approx(230.0 / 330.0)
    assert np.isnan(usa["import_reliance"])
    assert usa["status"] == "interval"
    mex = bal.loc["MEX"]
    assert (mex["production_min_t"], mex["production_max_t"]) == (0.0, 50.0)
    shape = interval_fields(
        usa["import_reliance"],
        usa["import_reliance_min"],
        usa["import_reliance_max"],
        basis=usa["basis"],
        note=usa["import_reliance_note"],
    )
    assert shape["value"] is None
    assert shape["width"] == pytest.approx(230.0 / 330.0 - 200.0 / 300.0)


def test_a_net_exporter_beyond_minus_100_percent_is_inconsistent() -> None:
    zone = _toy_zone(["CHN"])
    # USA produces 100 t and exports 95 t: AC = 5 t, IR = -95/5 = -1,900 %
    trade = _toy_trade([("USA", "AUS", "A", 95.0, 95.0)])
    rows, totals = _toy_rows({"USA": 100.0})
    usa = balance_frame(trade, rows, zone, totals=totals).set_index("member").loc["USA"]
    assert usa["status"] == INCONSISTENT
    assert np.isnan(usa["import_reliance"])
    assert np.isnan(usa["import_reliance_min"])
    assert usa["apparent_consumption_t"] == pytest.approx(5.0)  # the components stay
    assert usa["note"].startswith("inconsistent sources")


def test_the_rival_is_the_zones_rival() -> None:
    rows, totals = _toy_rows({"USA": 100.0, "CHN": 500.0, "RUS": 250.0})
    shares = production_shares(rows, totals)
    trade = _toy_trade([("CHN", "USA", "A", 10.0, 10.0)])
    for rivals, rival_t in ((["CHN"], 500.0), (["RUS"], 250.0)):
        zone = _toy_zone(rivals)
        world = 900.0
        one = non_rival_supply(shares, zone).iloc[0]
        power = bargaining_power(trade, shares, zone).iloc[0]
        assert one["rival_quantity_t"] == rival_t
        assert one["zone_non_rival_share"] == pytest.approx(100.0 / (world - rival_t))
        assert power["zone_non_rival_supply_share"] == one["zone_non_rival_share"]


# --- the real bundled data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def balance(network: SupplyNetwork) -> pd.DataFrame:
    return material_balance(network, default_zone())


def _row(balance: pd.DataFrame, mineral: str, member: str) -> pd.Series:
    sel = balance[
        (balance["mineral_id"] == mineral)
        & (balance["member"] == member)
        & (balance["year"] == YEAR)
    ]
    assert len(sel) == 1
    return sel.iloc[0]


def test_japan_selenium_and_mexico_barite_are_flagged(balance: pd.DataFrame) -> None:
    # issue 12: -2,903 % (AC 26 t) and -187 % were printed as results. With MCS2025's
    # revised 2023 (Japan refined 680 t of selenium, Mexico mined 320,000 t of
    # barite) and BACI 2023, Japan's apparent consumption is negative and Mexico's
    # net exports are several times its consumption: both flagged, components kept.
    jpn = _row(balance, "selenium", "JPN")
    assert jpn["status"] == INCONSISTENT
    assert jpn["production_t"] == 680.0
    ac = jpn["production_t"] + jpn["imports_t"] - jpn["exports_t"]
    assert jpn["apparent_consumption_t"] == pytest.approx(ac, rel=1e-12)
    assert jpn["apparent_consumption_t"] < 0
    assert np.isnan(jpn["import_reliance"])
    assert jpn["note"].startswith("inconsistent sources: apparent consumption not positive")
    mex = _row(balance, "barite", "MEX")
    assert mex["status"] == INCONSISTENT
    assert mex["production_t"] == 320_000.0
    net = mex["imports_t"] - mex["exports_t"]
    assert mex["apparent_consumption_t"] == pytest.approx(320_000.0 + net, rel=1e-12)
    assert net / mex["apparent_consumption_t"] < -1.0  # the figure that was printed
    assert np.isnan(mex["import_reliance"])
    assert "below -100%" in mex["note"]


def test_a_withheld_us_figure_left_out_of_the_world_total_is_unbounded(
    balance: pd.DataFrame,
) -> None:
    # MCS2025 barite 2023: U.S. "W", world total "rounded; excludes U.S. production".
    # The total then says nothing about the U.S. figure (before: bound to 0, and a
    # U.S. import reliance of 100%).
    usa = _row(balance, "barite", "USA")
    assert usa["production_status"] == "withheld"
    assert usa["production_min_t"] == 0.0
    assert np.isnan(usa["production_max_t"])
    assert (usa["import_reliance_min"], usa["import_reliance_max"]) == (0.0, 1.0)


def test_half_unit_of_a_rounded_total() -> None:
    totals = pd.Series([8_080_000.0, 376_000.0, 3_530.0, 390_000.0, np.nan])
    assert half_unit(totals).tolist() == [5_000.0, 500.0, 5.0, 5_000.0, 0.0]


def test_production_certainly_zero_gives_full_reliance_without_trade(
    balance: pd.DataFrame,
) -> None:
    # Tantalum mining has no HS code in the BACI subset. MCS2025 lists no EU
    # producer and no "other countries" for 2024: EU production is certainly 0, so
    # any positive consumption is imported (100%). Finland mines cobalt (USGS), so
    # the EU's cobalt mining has no bound, with the reason.
    sel = balance[(balance["member"] == "EU27") & (balance["year"] == 2024)].set_index(
        ["mineral_id", "stage"]
    )
    tantalum = sel.loc[("tantalum", "mining")]
    assert tantalum["production_max_t"] == 0.0
    assert tantalum["import_reliance"] == 1.0
    assert tantalum["status"] == POINT
    assert tantalum["basis"] == f"{NO_TRADE_CODE}; {CERTAINLY_ZERO}"
    assert np.isnan(tantalum["imports_t"])
    cobalt = sel.loc[("cobalt", "mining")]
    assert cobalt["production_max_t"] > 0
    assert np.isnan(cobalt["import_reliance_min"])
    assert cobalt["note"] == NO_TRADE_CODE
    # germanium refining: HS92 811230 has flows only up to 2016 (since HS 2007
    # germanium shares HS 8112.92 with six other metals, in BACI's HS17 layer for
    # 2024 only), so 2023 has none, and the reason names the codes
    ge = balance[
        (balance["member"] == "EU27")
        & (balance["mineral_id"] == "germanium")
        & (balance["year"] == YEAR)
    ].iloc[0]
    assert ge["note"] == "no BACI flows in the year in its HS codes (HS92 811230, HS17 811292)"


@pytest.fixture(scope="module")
def us(network: SupplyNetwork) -> pd.DataFrame:
    return us_balance_of(network.salient)


@pytest.fixture(scope="module")
def balance_us(network: SupplyNetwork, us: pd.DataFrame) -> pd.DataFrame:
    return material_balance(network, default_zone(), us=us)


def test_the_us_row_is_usgs_salient_balance(balance_us: pd.DataFrame) -> None:
    # MCS2025 aluminum 2023: primary 750 kt + old scrap 1,560 kt, apparent
    # consumption 4,150 kt: 1 - 2,310 / 4,150 = 44% (USGS publishes 44%; from one HS
    # code and primary production the balance gave 75%)
    alu = _row(balance_us[balance_us["stage"] == "processing"], "aluminum", "USA")
    assert alu["production_t"] == 2_310_000.0
    assert alu["apparent_consumption_t"] == 4_150_000.0
    assert alu["import_reliance"] == pytest.approx(1 - 2_310 / 4_150)
    assert alu["production_source"] == "USGS MCS salient"
    assert alu["trade_source"] == "USGS MCS salient"
    assert "all forms" in alu["basis"]
    # the zone row keeps BACI: the zone's trade with the world is not in U.S. statistics
    zone = _row(balance_us[balance_us["stage"] == "processing"], "aluminum", ZONE)
    assert zone["trade_source"] == "CEPII BACI"


def test_the_us_salient_balance_fills_a_stage_without_trade_code(
    balance_us: pd.DataFrame, us: pd.DataFrame
) -> None:
    # BACI has no lithium-ore code; USGS's salient statistics give the U.S. balance of
    # lithium in all forms, with U.S. production withheld: an interval, not a blank
    usa = _row(balance_us[balance_us["stage"] == "mining"], "lithium", "USA")
    src = us[(us["usgs_key"] == "lithi") & (us["year"] == YEAR)].iloc[0]
    assert usa["import_reliance_min"] == src["net_import_reliance_min"]
    assert usa["import_reliance_max"] == src["net_import_reliance_max"]
    assert usa["basis"].startswith("USGS salient statistics, U.S. balance of all forms")
    assert usa["status"] in (POINT, "interval")
    # the other members and the zone: no trade code, no production-zero proof
    eu = _row(balance_us[balance_us["stage"] == "mining"], "lithium", "EU27")
    assert np.isnan(eu["import_reliance_min"])
    assert eu["note"] == NO_TRADE_CODE
    # refined lead, tin and zinc are not mapped onto the catalog's mine stage
    stages = us_salient_rows(us)
    assert not stages["mineral_id"].isin(["lead", "tin", "zinc"]).any()
    assert set(stages.loc[stages["mineral_id"] == "rare_earths", "stage"]) == {"processing"}


def test_every_row_has_a_bound_or_a_reason(balance: pd.DataFrame) -> None:
    no_bound = balance["import_reliance_min"].isna()
    assert balance.loc[no_bound, "note"].notna().all()
    point = balance["status"] == POINT
    assert balance.loc[point, "import_reliance"].notna().all()
    inside = balance.loc[~no_bound]
    assert (inside["import_reliance_min"] >= -1.0).all()
    assert (inside["import_reliance_max"] <= 1.0).all()
    assert (inside["import_reliance_min"] <= inside["import_reliance_max"] + 1e-12).all()


def test_zone_row_is_computed_for_every_traded_series(balance: pd.DataFrame) -> None:
    # without the U.S. salient balance the frame is a grid: every member and the
    # zone for every mineral, stage and year with trade or a production series
    zone_rows = balance[balance["member"] == ZONE]
    assert len(zone_rows) == len(balance) // (len(default_zone().members) + 1)
    per_key = balance.groupby(["mineral_id", "stage", "year"])["member"].nunique()
    assert (per_key == len(default_zone().members) + 1).all()


def test_a_code_of_several_minerals_bounds_each_from_above(
    balance: pd.DataFrame, network: SupplyNetwork
) -> None:
    # HS17 811292 (2024 only) carries unwrought gallium, germanium, indium and four
    # other metals; HS92 261690 gold and platinum-group metal ores. Neither measures
    # one mineral, but each flow contains between 0 and its gross weight of it.
    bound = network.bound_trade
    assert {"811292", "261690"} <= set(bound["hs6"])
    eu = default_zone().members["EU27"]
    ga = bound[
        (bound["mineral_id"] == "gallium")
        & (bound["year"] == 2024)
        & bound["importer"].isin(eu)
        & ~bound["exporter"].isin(eu)
    ]
    row = balance[
        (balance["member"] == "EU27")
        & (balance["mineral_id"] == "gallium")
        & (balance["year"] == 2024)
    ].iloc[0]
    assert row["imports_min_t"] == 0.0
    assert row["imports_max_t"] == pytest.approx(ga["quantity_t"].sum(), rel=1e-12)
    assert row["imports_value_usd"] == 0.0  # values count the mineral's own codes only
    assert "HS 811292 carries several minerals" in row["basis"]
    # the EU refines no gallium (MCS2025 lists none, no "other countries"): any
    # consumption is imported
    assert row["production_max_t"] == 0.0
    assert row["import_reliance"] == 1.0
    # platinum mining: the ores bound the zone's net imports on both sides
    zone = balance[
        (balance["member"] == ZONE)
        & (balance["mineral_id"] == "platinum")
        & (balance["stage"] == "mining")
        & (balance["year"] == 2024)
    ].iloc[0]
    assert zone["net_imports_min_t"] == -zone["exports_max_t"]
    assert zone["net_imports_max_t"] == zone["imports_max_t"]
    assert zone["import_reliance_min"] >= -1.0
    assert zone["import_reliance_max"] == pytest.approx(1.0, abs=1e-4)  # tonnes of ore vs metal
