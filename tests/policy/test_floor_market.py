"""The floor's market model and the contract for differences: hand-computed cases, real balance."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import DataError, ValidationError
from friendshore.metrics.balance import material_balance
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.policy.floor_market import (
    ELASTICITY_COLUMNS,
    attach_floor_elasticities,
    cfd_effects,
    load_floor_elasticities,
    market_effects,
    market_inputs,
    pipeline_unit_costs,
)


def _el(
    demand: float = -0.5,
    member: float = 0.0,
    rival: float = 1.0,
    other: float = 1.0,
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "mineral_id": "*",
                "stage": "*",
                "demand_elasticity": demand,
                "supply_elasticity_member": member,
                "supply_elasticity_rival": rival,
                "supply_elasticity_other": other,
                "source": "test",
            }
        ]
    )


def _row(**over: Any) -> pd.DataFrame:
    row: dict[str, Any] = {
        "mineral_id": "nickel",
        "stage": "mining",
        "year": 2022,
        "reference_usd_per_t": 120.0,
        "market_usd_per_t": 100.0,
        "zone_demand_t": 10.0,
        "zone_production_t": 4.0,
        "imports_member_t": 1.0,
        "imports_rival_t": 3.0,
        "imports_other_t": 3.0,
        "levy_rival_usd_per_t": 20.0,
        "levy_other_usd_per_t": 20.0,
        "pipeline_viable_t": 0.0,
    }
    row.update(over)
    return pd.DataFrame([row])


# --- the floor ----------------------------------------------------------------------------


def test_zero_elasticities_change_no_quantity() -> None:
    out = market_effects(_row(), elasticities=_el(demand=0.0, member=0.0)).iloc[0]
    assert bool(out["binding"])
    assert out["zone_price_usd_per_t"] == pytest.approx(120.0)
    assert out["demand_after_t"] == pytest.approx(10.0)
    assert out["production_after_t"] == pytest.approx(4.0)
    assert out["imports_rival_after_t"] == pytest.approx(3.0)
    assert out["imports_other_after_t"] == pytest.approx(3.0)
    # a vertical demand curve: the whole price rise on every tonne
    assert out["consumer_cost_usd"] == pytest.approx(20.0 * 10.0)
    assert out["tariff_revenue_usd"] == pytest.approx(20.0 * 6.0)
    assert out["producer_revenue_gain_usd"] == pytest.approx(20.0 * 4.0)
    assert out["china_share_before"] == pytest.approx(3.0 / 10.0)
    assert out["china_share_after"] == pytest.approx(3.0 / 10.0)


def test_known_elasticities_closed_form() -> None:
    # ε_d = -1, ε_s = 1, r = 1.2: D1 = 10/1.2, S1 = 4·1.2, M1 = 6 + (D1 - 10) - 0.8
    out = market_effects(_row(), elasticities=_el(demand=-1.0, member=1.0)).iloc[0]
    d1, s1 = 10.0 / 1.2, 4.0 * 1.2
    m1 = 6.0 + (d1 - 10.0) - (s1 - 4.0)
    assert out["demand_after_t"] == pytest.approx(d1)
    assert out["production_after_t"] == pytest.approx(s1)
    assert out["imports_rival_after_t"] == pytest.approx(m1 / 2)
    assert out["imports_other_after_t"] == pytest.approx(m1 / 2)
    assert out["imports_displaced_rival_t"] == pytest.approx(3.0 - m1 / 2)
    # ∫_100^120 10·100/p dp = 1000 ln 1.2
    assert out["consumer_cost_usd"] == pytest.approx(1000.0 * math.log(1.2))
    assert out["tariff_revenue_usd"] == pytest.approx(20.0 * m1)
    assert out["producer_revenue_gain_usd"] == pytest.approx(120.0 * s1 - 100.0 * 4.0)
    assert out["china_share_after"] == pytest.approx((m1 / 2) / (s1 + m1))


def test_consumer_cost_is_the_area_under_the_demand_curve() -> None:
    out = market_effects(_row(), elasticities=_el(demand=-0.5)).iloc[0]
    # ∫_100^120 10 (p/100)^-0.5 dp = 10·100·(1.2^0.5 − 1)/0.5
    assert out["consumer_cost_usd"] == pytest.approx(2000.0 * (math.sqrt(1.2) - 1.0))
    d1 = 10.0 * 1.2**-0.5
    assert out["demand_after_t"] == pytest.approx(d1)
    # more than the price rise on the tonnes still bought, less than on the tonnes before
    assert 20.0 * d1 < out["consumer_cost_usd"] < 20.0 * 10.0


def test_floor_below_the_market_changes_nothing() -> None:
    rows = _row(reference_usd_per_t=80.0, levy_rival_usd_per_t=0.0, levy_other_usd_per_t=0.0)
    out = market_effects(rows, elasticities=_el(demand=-1.0, member=2.0)).iloc[0]
    assert not bool(out["binding"])
    assert out["zone_price_usd_per_t"] == 100.0
    assert out["demand_after_t"] == 10.0
    assert out["production_after_t"] == 4.0
    assert out["imports_rival_after_t"] == 3.0
    assert out["imports_other_after_t"] == 3.0
    assert out["consumer_cost_usd"] == 0.0
    assert out["tariff_revenue_usd"] == 0.0
    assert out["producer_revenue_gain_usd"] == 0.0
    assert out["china_share_after"] == out["china_share_before"]


def test_levies_above_the_gap_raise_the_zone_price() -> None:
    # per-origin levies averaging 30 on offers averaging 100: the zone pays 130 > reference 120
    out = market_effects(
        _row(levy_rival_usd_per_t=40.0, levy_other_usd_per_t=20.0), elasticities=_el(0.0)
    ).iloc[0]
    assert out["zone_price_usd_per_t"] == pytest.approx(130.0)
    assert out["consumer_cost_usd"] == pytest.approx(30.0 * 10.0)


def test_displacement_follows_export_supply_elasticities() -> None:
    # rivals elastic, others not: every displaced tonne is a rival's
    out = market_effects(_row(), elasticities=_el(demand=-1.0, rival=2.0, other=0.0)).iloc[0]
    moved = 10.0 - 10.0 / 1.2
    assert out["imports_displaced_rival_t"] == pytest.approx(moved)
    assert out["imports_displaced_other_t"] == pytest.approx(0.0)
    # a rival never loses more than it sold: the rest falls on the others
    small = _row(imports_rival_t=0.5, imports_other_t=5.5)
    out = market_effects(small, elasticities=_el(demand=-1.0, rival=2.0, other=0.0)).iloc[0]
    assert out["imports_rival_after_t"] == pytest.approx(0.0)
    assert out["imports_other_after_t"] == pytest.approx(5.5 - (moved - 0.5))


def test_pipeline_counts_only_what_the_floor_makes_viable() -> None:
    rows = _row(pipeline_viable_t=3.0, pipeline_viable_market_t=1.0)
    out = market_effects(rows, elasticities=_el(demand=-1.0)).iloc[0]
    assert out["pipeline_added_t"] == pytest.approx(2.0)
    assert out["production_after_t"] == pytest.approx(6.0)
    # supply beyond what the zone takes at the floor is sold outside at the market price
    big = _row(pipeline_viable_t=10.0)
    out = market_effects(big, elasticities=_el(demand=-1.0)).iloc[0]
    d1 = 10.0 / 1.2
    assert out["imports_rival_after_t"] + out["imports_other_after_t"] == pytest.approx(0.0)
    surplus = 14.0 - d1
    assert out["surplus_t"] == pytest.approx(surplus)
    assert out["producer_revenue_gain_usd"] == pytest.approx(
        120.0 * (14.0 - surplus) + 100.0 * surplus - 400.0
    )
    # a floor that does not bind calls forth no pipeline
    low = _row(reference_usd_per_t=90.0, pipeline_viable_t=3.0, levy_rival_usd_per_t=0.0)
    low = low.assign(levy_other_usd_per_t=0.0)
    assert market_effects(low, elasticities=_el()).iloc[0]["pipeline_added_t"] == 0.0


def test_rows_without_a_market_price_are_flagged() -> None:
    rows = pd.concat([_row(), _row(market_usd_per_t=np.nan, year=2023)], ignore_index=True)
    out = market_effects(rows, elasticities=_el())
    assert out["consumer_cost_usd"].notna().tolist() == [True, False]
    assert "no market price" in str(out["note"].iloc[1])


def test_inputs_must_have_every_column() -> None:
    with pytest.raises(ValidationError, match="zone_demand_t"):
        market_effects(_row().drop(columns="zone_demand_t"), elasticities=_el())


# --- the contract for differences ---------------------------------------------------------

_NDPR = {"mineral_id": "rare_earths", "stage": "processing", "zone_production_t": 1000.0}


def test_cfd_ndpr_pays_the_gap_on_volume() -> None:
    # US$110/kg against an index of US$63/kg: US$47/kg = 47,000 USD/t on 1,000 t
    rows = _row(**_NDPR, reference_usd_per_t=110_000.0, market_usd_per_t=63_000.0)
    out = cfd_effects(rows, elasticities=_el(member=0.0)).iloc[0]
    assert out["fiscal_cost_usd"] == pytest.approx(47_000.0 * 1000.0)
    assert out["consumer_cost_usd"] == 0.0
    assert out["tariff_revenue_usd"] == 0.0
    assert out["demand_after_t"] == pytest.approx(10.0)
    assert out["zone_price_usd_per_t"] == 63_000.0
    assert out["producer_price_usd_per_t"] == 110_000.0
    # with a supply response, the gap is paid on the volume produced
    out = cfd_effects(rows, elasticities=_el(member=0.3)).iloc[0]
    volume = 1000.0 * (110.0 / 63.0) ** 0.3
    assert out["production_after_t"] == pytest.approx(volume)
    assert out["fiscal_cost_usd"] == pytest.approx(47_000.0 * volume)


def test_cfd_same_supply_response_as_the_floor() -> None:
    rows = _row(levy_rival_usd_per_t=20.0, levy_other_usd_per_t=20.0)
    floor = market_effects(rows, elasticities=_el(member=0.7)).iloc[0]
    cfd = cfd_effects(rows, elasticities=_el(member=0.7)).iloc[0]
    assert cfd["production_after_t"] == pytest.approx(floor["production_after_t"])
    assert cfd["demand_after_t"] == pytest.approx(10.0)  # consumers still pay the index


def test_cfd_zero_above_the_floor_and_upside_share() -> None:
    above = _row(**_NDPR, reference_usd_per_t=110_000.0, market_usd_per_t=120_000.0)
    out = cfd_effects(above, elasticities=_el(member=0.5)).iloc[0]
    assert out["fiscal_cost_usd"] == 0.0
    assert out["production_after_t"] == 1000.0
    upside = _row(**_NDPR, reference_usd_per_t=110_000.0, market_usd_per_t=130_000.0)
    out = cfd_effects(upside, elasticities=_el(member=0.5), upside_share=0.5).iloc[0]
    # the treasury receives 0.5 × 20,000 USD/t × 1,000 t
    assert out["fiscal_cost_usd"] == pytest.approx(-0.5 * 20_000.0 * 1000.0)
    with pytest.raises(ValidationError, match="upside share"):
        cfd_effects(upside, elasticities=_el(), upside_share=1.5)


# --- elasticities -------------------------------------------------------------------------


def test_default_elasticities_have_sources() -> None:
    el = load_floor_elasticities()
    assert list(el.columns[: len(ELASTICITY_COLUMNS)]) == list(ELASTICITY_COLUMNS)
    star = el[(el["mineral_id"] == "*") & (el["stage"] == "*")].iloc[0]
    assert star["demand_elasticity"] == -0.3
    assert (el["demand_elasticity"] < 0).all()
    assert el["source"].str.len().gt(20).all()
    assert "ASSUMPTION" in star["source"]


def test_most_specific_elasticity_wins() -> None:
    el = load_floor_elasticities()
    rows = pd.concat([_row(mineral_id="copper"), _row(mineral_id="nickel")], ignore_index=True)
    out = attach_floor_elasticities(rows, el)
    assert out["demand_elasticity"].tolist() == [-0.5, -0.3]
    assert out["supply_elasticity_member"].tolist() == [1.5, 0.3]


_HEADER = ",".join(ELASTICITY_COLUMNS)
_STAR = "*,*,-0.3,0.3,1,1,assumption"


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        (f"{_STAR}\nnickel,*,0.2,0.3,1,1,x", 3, "demand_elasticity"),
        (f"{_STAR}\nnickel,*,-0.2,-0.3,1,1,x", 3, "supply_elasticity_member"),
        (f"{_STAR}\nnickel,*,-0.2,0.3,1,-1,x", 3, "supply_elasticity_other"),
        (f"{_STAR}\nnickel,*,-0.2,abc,1,1,x", 3, "supply_elasticity_member"),
        (f"{_STAR}\nunobtainium,*,-0.2,0.3,1,1,x", 3, "mineral_id"),
        (f"{_STAR}\nnickel,smelting,-0.2,0.3,1,1,x", 3, "stage"),
        (f"{_STAR}\nnickel,*,-0.2,0.3,1,1,", 3, "source"),
        (f"{_STAR}\n{_STAR}", 3, "stage"),
        ("nickel,*,-0.2,0.3,1,1,x", 2, "mineral_id"),
    ],
)
def test_elasticity_errors_name_file_line_field(
    tmp_path: Path, body: str, line: int, field: str
) -> None:
    path = tmp_path / "el.csv"
    path.write_text(f"{_HEADER}\n{body}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_floor_elasticities(path)
    assert info.value.file == str(path)
    assert info.value.line == line
    assert info.value.field == field


def test_elasticity_file_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "el.csv"
    path.write_text("mineral_id,stage,demand_elasticity,source\n*,*,-0.3,x\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_floor_elasticities(path)
    assert (info.value.line, info.value.field) == (1, "supply_elasticity_member")


# --- inputs from the real store -----------------------------------------------------------


def _levies(mineral: str, stage: str) -> pd.DataFrame:
    base = {"mineral_id": mineral, "stage": stage, "product": "x", "year": 2022}
    rows = [
        ("USA", "CHN", "rival", 1000.0, 800.0, 200.0, 10.0),
        ("USA", "AUS", "other", 1000.0, 900.0, 100.0, 30.0),
        ("EU27", "CHN", "rival", 1000.0, 850.0, 150.0, 30.0),
        ("JPN", "USA", "member", 1000.0, 950.0, 0.0, 5.0),
        ("USA", "CHN", "rival", 1000.0, 700.0, 300.0, 0.0),  # no tonnes: no weight
    ]
    return pd.DataFrame(
        [
            {
                **base,
                "member": member,
                "origin": origin,
                "origin_group": group,
                "reference_usd_per_t": ref,
                "landed_usd_per_t": landed,
                "levy_usd_per_t": levy,
                "ad_valorem": levy / landed,
                "import_t": tonnes,
                "import_usd": landed * tonnes,
            }
            for member, origin, group, ref, landed, levy, tonnes in rows
        ]
    )


@pytest.fixture(scope="module")
def balance_2022(store_path: Path) -> pd.DataFrame:
    network = SupplyNetwork.from_store(store_path)
    out = material_balance(network, default_zone(), us=us_balance_of(network.salient))
    return out[(out["year"] == 2022) & (out["member"] != "zone")]


@pytest.mark.parametrize("mineral", ["graphite", "nickel"])
def test_market_inputs_on_the_store(
    store_path: Path, balance_2022: pd.DataFrame, mineral: str
) -> None:
    inputs = market_inputs(_levies(mineral, "mining"), store_path, default_zone(), years=[2022])
    assert len(inputs) == 1
    row = inputs.iloc[0]
    members = balance_2022[
        (balance_2022["mineral_id"] == mineral) & (balance_2022["stage"] == "mining")
    ]
    assert len(members) == 4
    # the point value, else the midpoint of the bounds; a negative figure counts as 0
    mid = (members["apparent_consumption_min_t"] + members["apparent_consumption_max_t"]) / 2
    value = members["apparent_consumption_t"].fillna(mid).clip(lower=0.0)
    assert row["zone_demand_t"] == pytest.approx(float(value.sum()))
    assert row["zone_demand_t"] > 0
    production = members["production_t"].fillna(
        (members["production_min_t"] + members["production_max_t"]) / 2
    )
    assert row["zone_production_t"] == pytest.approx(float(production.sum()))
    assert row["imports_rival_t"] == 40.0
    assert row["imports_other_t"] == 30.0
    assert row["imports_member_t"] == 5.0
    assert row["levy_rival_usd_per_t"] == pytest.approx((200 * 10 + 150 * 30) / 40)
    assert row["levy_other_usd_per_t"] == 100.0
    assert row["market_usd_per_t"] == pytest.approx((800 * 10 + 900 * 30 + 850 * 30) / 70)
    assert row["reference_usd_per_t"] == 1000.0
    assert row["pipeline_viable_t"] == 0.0
    if mineral == "nickel":  # the balance bounds nickel ore consumption without fixing it
        assert "midpoint" in str(row["demand_basis"])
    effects = market_effects(inputs, elasticities=load_floor_elasticities())
    assert effects["consumer_cost_usd"].iloc[0] > 0
    assert effects["demand_after_t"].iloc[0] < row["zone_demand_t"]


def test_market_inputs_pipeline(store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "pipe.csv"
    path.write_text(
        "id,name,country,mineral,stage,capacity_t_per_year,capex_usd,opex_usd_per_year\n"
        "A,cheap,USA,graphite,mining,100,1000,50000\n"  # 500 USD/t + tiny capex
        "B,dear,MEX,graphite,mining,100,0,200000\n"  # 2,000 USD/t
        "C,outside,AUS,graphite,mining,100,0,100\n"  # not in the zone
        "D,plant,DEU,graphite,processing,100,0,100\n",  # another stage
        encoding="utf-8",
    )
    costs = pipeline_unit_costs(path, default_zone(), discount_rate=0.08, lifetime_years=20)
    assert costs["id"].tolist() == ["A", "B", "D"]
    crf = 0.08 / (1 - 1.08**-20)
    assert costs["unit_cost_usd_per_t"].iloc[0] == pytest.approx((1000 * crf + 50000) / 100)
    inputs = market_inputs(
        _levies("graphite", "mining"), store_path, default_zone(), years=[2022], pipeline=path
    )
    row = inputs.iloc[0]
    assert row["pipeline_viable_t"] == 100.0  # A at ~501 USD/t <= 1,000; B at 2,000 is not
    assert row["pipeline_viable_market_t"] == 100.0  # A is viable at the market price already
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,country,mineral,stage,capacity_t_per_year,capex_usd,opex_usd_per_year\n"
        "A,USA,graphite,mining,lots,0,0\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        pipeline_unit_costs(bad, default_zone())
    assert (info.value.line, info.value.field) == (2, "capacity_t_per_year")


def test_market_inputs_rejects_bad_levies(store_path: Path) -> None:
    levies = _levies("graphite", "mining")
    with pytest.raises(ValidationError, match="levy_usd_per_t"):
        market_inputs(
            levies.drop(columns="levy_usd_per_t"), store_path, default_zone(), years=[2022]
        )
    with pytest.raises(ValidationError, match="origin group"):
        market_inputs(
            levies.assign(origin_group="friend"), store_path, default_zone(), years=[2022]
        )


def test_market_inputs_put_the_balance_on_the_traded_products_basis(
    store_path: Path, balance_2022: pd.DataFrame
) -> None:
    """Lithium carbonate (HS 283691) holds 18.79% Li: the balance's tonnes of contained
    lithium are divided by 0.1879 to be set against tonnes of carbonate; prices and imports
    stay per tonne of the traded product, as the levies."""
    factor = 0.1879
    levies = _levies("lithium", "processing")
    converted = levies.assign(import_content_t=levies["import_t"] * factor)
    row = market_inputs(converted, store_path, default_zone(), years=[2022]).iloc[0]
    plain = market_inputs(levies, store_path, default_zone(), years=[2022]).iloc[0]
    members = balance_2022[
        (balance_2022["mineral_id"] == "lithium") & (balance_2022["stage"] == "processing")
    ]
    production = members["production_t"].fillna(
        (members["production_min_t"] + members["production_max_t"]) / 2
    )
    assert plain["zone_production_t"] == pytest.approx(float(production.sum()))
    assert row["zone_production_t"] == pytest.approx(float(production.sum()) / factor)
    assert row["imports_rival_t"] == plain["imports_rival_t"] == 40.0
    assert row["reference_usd_per_t"] == plain["reference_usd_per_t"] == 1000.0
    assert row["market_usd_per_t"] == pytest.approx((800 * 10 + 900 * 30 + 850 * 30) / 70)
    assert "content factor" not in str(row["note"])
    assert "content factor" in str(plain["note"])
