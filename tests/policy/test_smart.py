"""SMART partial equilibrium: hand-computed examples, invariants, the real BACI flows."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from friendshore._core.errors import DataError, ValidationError
from friendshore.policy.schedule import TariffRate, TariffSchedule, load_schedule
from friendshore.policy.smart import load_elasticities, run_smart, smart_effects


def market(
    values: list[float],
    before: list[float],
    after: list[float],
    *,
    eps: float = -1.5,
    eps_x: float = math.inf,
    sigma: float = 1.5,
) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "importer": ["AAA"] * n,
            "hs6": ["250410"] * n,
            "exporter": [f"X{i}" for i in range(n)],
            "value_usd": values,
            "rate_before": before,
            "rate_after": after,
            "import_demand_elasticity": [eps] * n,
            "export_supply_elasticity": [eps_x] * n,
            "substitution_elasticity": [sigma] * n,
        }
    )


def test_hand_computed_market() -> None:
    # a partner (100), the rival (300, taxed 0 -> 25%) and the rest (600)
    out = smart_effects(market([100.0, 300.0, 600.0], [0, 0, 0], [0, 0.25, 0]))
    # creation: M * eps * dt / (1 + t0) = 300 * -1.5 * 0.25
    assert out["creation_usd"].tolist() == pytest.approx([0.0, -112.5, 0.0])
    # diversion: CES shares with the rival's price up 25%, sigma 1.5
    factor = 1.25**-1.5
    denominator = 100 + 300 * factor + 600
    expected = [
        1000 * 100 / denominator - 100,
        1000 * 300 * factor / denominator - 300,
        1000 * 600 / denominator - 600,
    ]
    assert out["diversion_usd"].tolist() == pytest.approx(expected, rel=1e-12)
    assert expected[0] == pytest.approx(9.3299, abs=1e-4)  # 1000*100/914.6625 - 100
    new_rival = 300 - 112.5 + expected[1]
    assert out["new_value_usd"].iloc[1] == pytest.approx(new_rival)
    assert out["revenue_change_usd"].tolist() == pytest.approx([0.0, 0.25 * new_rival, 0.0])
    # welfare: 1/2 * |dt| * creation = 0.5 * 0.25 * -112.5
    assert out["welfare_usd"].tolist() == pytest.approx([0.0, -14.0625, 0.0])
    assert not out["bounded"].any()


def test_finite_export_supply_and_a_tariff_cut() -> None:
    # finite export supply: denominator (1 + t0)(1 - eps/eps_x) = 1.1 * (1 + 1.5/3)
    out = smart_effects(market([200.0, 50.0], [0.1, 0.1], [0.0, 0.1], eps_x=3.0))
    creation = 200 * -1.5 * -0.1 / (1.1 * 1.5)
    assert out["creation_usd"].iloc[0] == pytest.approx(creation)
    assert creation == pytest.approx(18.1818, abs=1e-4)
    # a cut gains welfare: 0.5 * 0.1 * creation
    assert out["welfare_usd"].iloc[0] == pytest.approx(0.05 * creation)
    # revenue: 0 on the freed flow minus 10% of the old one
    assert out["revenue_change_usd"].iloc[0] == pytest.approx(-20.0)


def test_ces_diversion_agrees_with_the_wits_formula_for_small_changes() -> None:
    # preferred P (cut 2% -> 1%) against the rest R: WITS TD = MP MR x / (MP + MR + MP x)
    mp, mr, sigma = 400.0, 1600.0, 1.5
    out = smart_effects(market([mp, mr], [0.02, 0.02], [0.01, 0.02], sigma=sigma))
    change = (1.01 / 1.02) - 1  # relative price of P against R
    x = -sigma * change
    wits = mp * mr * x / (mp + mr + mp * x)
    # they differ at second order, by about (1 + sigma)/2 * |change| = 1.2% here
    assert out["diversion_usd"].iloc[0] == pytest.approx(wits, rel=0.015)
    assert out["diversion_usd"].iloc[0] != pytest.approx(wits, rel=0.01)


def test_large_increase_is_bounded_by_existing_trade() -> None:
    out = smart_effects(market([100.0, 100.0], [0, 0], [5.0, 0]))
    assert out["bounded"].tolist() == [True, False]
    assert out["new_value_usd"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert out["diversion_usd"].iloc[0] >= -100.0


def test_zero_tariff_change_gives_zero_effects(store_path: Path) -> None:
    rates = [
        TariffRate(importer="zone", exporter="all", hs6="all", rate_before=0.1, rate_after=0.1)
    ]
    schedule = TariffSchedule(id="flat", name="flat", rates=rates)
    result = run_smart(schedule, store_path, year=2022)
    assert result.flows.empty
    assert result.totals()["creation_usd"] == 0.0
    # the same on every flow of a year, through the model itself
    flows = pd.DataFrame(
        duckdb.connect(str(store_path), read_only=True)
        .execute(
            "SELECT importer, hs6, exporter, value_usd FROM trade_latest WHERE year = 2022 "
            "AND importer IS NOT NULL AND exporter IS NOT NULL"
        )
        .df()
    )
    rng = np.random.default_rng(1)
    rate = rng.uniform(0, 0.3, len(flows))
    flows = flows.assign(
        rate_before=rate,
        rate_after=rate,
        import_demand_elasticity=-1.5,
        export_supply_elasticity=math.inf,
        substitution_elasticity=1.5,
    )
    out = smart_effects(flows)
    for col in ("creation_usd", "diversion_usd", "revenue_change_usd", "welfare_usd"):
        assert (out[col] == 0).all(), col


@given(
    values=st.lists(st.floats(0, 1e9), min_size=2, max_size=8),
    data=st.data(),
    sigma=st.floats(0, 20),
)
def test_diversion_never_exceeds_existing_trade(
    values: list[float], data: st.DataObject, sigma: float
) -> None:
    n = len(values)
    before = data.draw(st.lists(st.floats(0, 2), min_size=n, max_size=n))
    after = data.draw(st.lists(st.floats(0, 2), min_size=n, max_size=n))
    out = smart_effects(market(values, before, after, sigma=sigma))
    div = out["diversion_usd"].to_numpy()
    m = np.asarray(values)
    tol = 1e-6 * max(1.0, m.sum())
    assert abs(div.sum()) <= tol  # diversion moves trade, it does not create it
    assert (div >= -m - tol).all()  # no supplier loses more than it sold
    # what the gainers gain is at most what the losers (the rest of the world) sold
    assert div[div > 0].sum() <= m[div < 0].sum() + tol
    assert (out["new_value_usd"] >= -tol).all()


def test_us_graphite_from_china_2023_against_the_store(store_path: Path) -> None:
    con = duckdb.connect(str(store_path), read_only=True)
    rows = con.execute(
        "SELECT exporter, value_usd FROM trade_latest WHERE year = 2023 AND importer = 'USA' "
        "AND hs6 = '250410' AND exporter IS NOT NULL"
    ).fetchall()
    con.close()
    m = dict(rows)
    china, total = m["CHN"], sum(m.values())
    assert china == pytest.approx(109_095_365.0)  # BACI V202401b, thousand USD x 1000
    result = run_smart(load_schedule("us-301-critical-minerals"), store_path)
    assert result.year == 2023
    flows = result.flows[(result.flows["importer"] == "USA") & (result.flows["hs6"] == "250410")]
    row = flows.set_index("exporter").loc["CHN"]
    assert row["creation_usd"] == pytest.approx(china * -1.5 * 0.25)
    factor = 1.25**-1.5
    diversion = total * china * factor / (total - china + china * factor) - china
    assert row["diversion_usd"] == pytest.approx(diversion, rel=1e-9)
    assert row["welfare_usd"] == pytest.approx(0.5 * 0.25 * china * -1.5 * 0.25)
    assert set(flows["exporter"]) == set(m)
    assert flows.loc[flows["exporter"] != "CHN", "creation_usd"].eq(0).all()
    graphite = result.by_mineral.set_index("mineral_id").loc["graphite"]
    sums = result.flows[result.flows["mineral_id"] == "graphite"]
    assert graphite["creation_usd"] == pytest.approx(sums["creation_usd"].sum())
    assert graphite["diversion_to_rival_usd"] == pytest.approx(
        sums.loc[sums["exporter"] == "CHN", "diversion_usd"].sum()
    )
    assert list(result.by_member["member"]) == ["USA"]
    assert any("default to 0" in a for a in result.assumptions)


def test_as_of_leaves_out_rows_not_yet_in_force(store_path: Path) -> None:
    schedule = load_schedule("us-301-critical-minerals")
    result = run_smart(schedule, store_path, as_of=dt.date(2025, 1, 1))
    assert "graphite" not in set(result.flows["mineral_id"])
    assert "tantalum" in set(result.flows["mineral_id"])


def test_elasticities_file_overrides_by_code(tmp_path: Path, store_path: Path) -> None:
    path = tmp_path / "el.csv"
    path.write_text(
        "importer,hs6,import_demand_elasticity,export_supply_elasticity,"
        "substitution_elasticity,source\n"
        "*,*,-1.5,inf,,default\nUSA,250410,-0.5,inf,3,test\n",
        encoding="utf-8",
    )
    result = run_smart(load_schedule("us-301-critical-minerals"), store_path, elasticities=path)
    flows = result.flows.set_index(["hs6", "exporter"])
    assert flows.loc[("250410", "CHN"), "import_demand_elasticity"] == -0.5
    assert flows.loc[("250410", "CHN"), "substitution_elasticity"] == 3.0
    assert math.isnan(flows.loc[("250490", "CHN"), "substitution_elasticity"])
    assert flows.loc[("250410", "CHN"), "creation_usd"] == pytest.approx(
        flows.loc[("250410", "CHN"), "value_usd"] * -0.5 * 0.25
    )
    # --sigma overrides the file
    again = run_smart(result.schedule, store_path, elasticities=path, sigma=0.0)
    assert (again.flows["diversion_usd"].abs() < 1e-6).all()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("*,*,1.5,inf,1.5,x", "import_demand_elasticity"),
        ("*,*,-1.5,0,1.5,x", "export_supply_elasticity"),
        ("*,*,-1.5,inf,-2,x", "substitution_elasticity"),
        ("*,123456,-1.5,inf,1.5,x", "hs6"),
        ("XYZ,*,-1.5,inf,1.5,x", "importer"),
        ("*,*,-1.5,inf,1.5,", "source"),
    ],
)
def test_bad_elasticities_name_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "el.csv"
    path.write_text(
        "importer,hs6,import_demand_elasticity,export_supply_elasticity,"
        f"substitution_elasticity,source\n{row}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        load_elasticities(path)
    assert (info.value.line, info.value.field) == (2, field)


def test_shipped_elasticities_are_the_documented_defaults() -> None:
    table = load_elasticities()
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["import_demand_elasticity"], row["substitution_elasticity"]) == (-1.5, 1.5)
    assert math.isinf(row["export_supply_elasticity"])
    assert "WITS" in row["source"]


def test_year_without_trade_is_an_error(store_path: Path) -> None:
    with pytest.raises(ValidationError, match="2015"):
        run_smart(load_schedule("zone-rival-25"), store_path, year=1999)
