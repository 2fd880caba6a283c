"""Which missing inputs matter: data_gaps and member_interval_widths, by hand and on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore.metrics.balance import material_balance
from friendshore.metrics.gaps import (
    GAP_COLUMNS,
    MEMBER_WIDTH_COLUMNS,
    data_gaps,
    member_interval_widths,
    zone_trade_gaps,
)
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

ZONE2 = Zone(name="two", members={"AAA": frozenset({"AAA"}), "BBB": frozenset({"BBB"})})


def _balance(rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    """A balance of one mineral, stage and year: member, P range, N range (zone row last)."""
    from friendshore.metrics.balance import reliance_bounds  # noqa: PLC0415

    frame = pd.DataFrame(
        rows,
        columns=[
            "member",
            "production_min_t",
            "production_max_t",
            "net_imports_min_t",
            "net_imports_max_t",
        ],
    ).assign(mineral_id="x", stage="mining", year=2023, production_status="not listed")
    low, high = reliance_bounds(
        frame["production_min_t"],
        frame["production_max_t"],
        frame["net_imports_min_t"],
        frame["net_imports_max_t"],
    )
    return frame.assign(
        import_reliance=np.where(np.isclose(low, high), low, np.nan),
        import_reliance_min=low,
        import_reliance_max=high,
    )


NO_TRADE = pd.DataFrame(
    columns=[
        "year",
        "exporter",
        "importer",
        "hs6",
        "mineral_id",
        "stage",
        "value_usd",
        "quantity_t",
        "content_t",
    ]
)


def test_a_member_s_unlisted_production_by_hand() -> None:
    # AAA produced 0-300 t, BBB 100 t; the zone imports 100 t net: IR 100/(100+P).
    balance = _balance(
        [
            ("AAA", 0.0, 300.0, 50.0, 50.0),
            ("BBB", 100.0, 100.0, 50.0, 50.0),
            ("zone", 100.0, 400.0, 100.0, 100.0),
        ]
    )
    (gap,) = data_gaps(balance, NO_TRADE, ZONE2).itertuples()
    assert gap.member == "AAA"
    assert (gap.zone_import_reliance_min, gap.zone_import_reliance_max) == (0.2, 0.5)
    assert (gap.if_low_min, gap.if_low_max) == (0.5, 0.5)  # AAA produced nothing
    assert (gap.if_high_min, gap.if_high_max) == (0.2, 0.2)  # AAA produced 300 t
    assert gap.width_if_known == 0.0
    assert gap.narrowing == pytest.approx(0.3)
    assert "narrows zone import reliance from 20–50% to a point" in gap.description


def test_two_unknowns_each_narrow_part_of_the_way() -> None:
    balance = _balance(
        [
            ("AAA", 0.0, 100.0, 50.0, 50.0),
            ("BBB", 0.0, 300.0, 50.0, 50.0),
            ("zone", 0.0, 400.0, 100.0, 100.0),
        ]
    )
    gaps = data_gaps(balance, NO_TRADE, ZONE2).set_index("member")
    # zone IR in [100/500, 1]; knowing BBB (the wider range) narrows more
    assert list(gaps.index) == ["BBB", "AAA"]
    bbb, aaa = gaps.loc["BBB"], gaps.loc["AAA"]
    assert bbb["width"] == pytest.approx(0.8)
    # BBB = 0: P in [0, 100], IR in [0.5, 1]; BBB = 300: P in [300, 400], IR in [0.2, 0.25]
    assert bbb["width_if_known"] == pytest.approx(0.5)
    # AAA = 0: P in [0, 300], IR in [0.25, 1]; AAA = 100: P in [100, 400], IR in [0.2, 0.5]
    assert aaa["width_if_known"] == pytest.approx(0.75)
    assert aaa["narrowing"] < bbb["narrowing"]


def test_a_cap_on_the_members_together_is_kept() -> None:
    # each member 0-300 t, but together at most 300 t ("Other countries")
    balance = _balance(
        [
            ("AAA", 0.0, 300.0, 100.0, 100.0),
            ("BBB", 0.0, 300.0, 100.0, 100.0),
            ("zone", 0.0, 300.0, 100.0, 100.0),
        ]
    )
    gap = data_gaps(balance, NO_TRADE, ZONE2).iloc[0]
    # AAA = 300: BBB can only add 0 more (cap), so P = 300: IR 0.25, a point
    assert (gap["if_high_min"], gap["if_high_max"]) == (0.25, 0.25)
    # AAA = 0: P in [0, 300]
    assert (gap["if_low_min"], gap["if_low_max"]) == (0.25, 1.0)


def test_an_hs_code_without_a_content_factor() -> None:
    trade = pd.DataFrame(
        {
            "year": [2023, 2023, 2023],
            "exporter": ["CCC", "CCC", "AAA"],
            "importer": ["AAA", "BBB", "CCC"],
            "hs6": ["111111", "111111", "111111"],
            "mineral_id": ["x", "x", "x"],
            "stage": ["mining"] * 3,
            "value_usd": [1.0, 1.0, 1.0],
            "quantity_t": [300.0, 100.0, 100.0],
            "content_t": [np.nan, np.nan, np.nan],
        }
    )
    codes = zone_trade_gaps(trade, ZONE2)
    assert codes["unknown_net_t"].tolist() == [300.0]
    balance = _balance(
        [
            ("AAA", 100.0, 100.0, 0.0, 200.0),
            ("BBB", 0.0, 0.0, 0.0, 100.0),
            ("zone", 100.0, 100.0, 0.0, 300.0),
        ]
    )
    gap = data_gaps(balance, trade, ZONE2).query("kind == 'content factor'").iloc[0]
    assert gap["hs6"] == "111111"
    assert (gap["input_min_t"], gap["input_max_t"]) == (0.0, 300.0)
    assert (gap["zone_import_reliance_min"], gap["zone_import_reliance_max"]) == (0.0, 0.75)
    assert gap["width_if_known"] == 0.0


@pytest.fixture(scope="module")
def real(store_path: Path) -> tuple[SupplyNetwork, pd.DataFrame]:
    network = SupplyNetwork.from_store(store_path)
    return network, material_balance(network, default_zone())


def test_gaps_on_the_bundled_data(real: tuple[SupplyNetwork, pd.DataFrame]) -> None:
    network, balance = real
    gaps = data_gaps(balance, network.trade, default_zone())
    assert list(gaps.columns) == GAP_COLUMNS
    assert len(gaps) > 10
    assert gaps["narrowing"].is_monotonic_decreasing
    assert (gaps["narrowing"] >= 0).all()
    assert (gaps["width_if_known"] <= gaps["width"] + 1e-12).all()
    assert set(gaps["kind"]) == {"production", "content factor"}
    # every production input is a member row of the balance whose range is not a point
    prod = gaps[gaps["kind"] == "production"].merge(
        balance.rename(columns={"mineral_id": "mineral"}),
        on=["mineral", "stage", "year", "member"],
    )
    assert (prod["input_min_t"] == prod["production_min_t"]).all()
    assert (prod["input_max_t"] > prod["input_min_t"]).all()
    # the zone's interval now is the balance's zone row
    zone = balance[balance["member"] == "zone"].rename(columns={"mineral_id": "mineral"})
    now = gaps.merge(zone, on=["mineral", "stage", "year"])
    assert np.allclose(now["zone_import_reliance_max"], now["import_reliance_max"])


def test_member_interval_widths_on_the_bundled_data(
    real: tuple[SupplyNetwork, pd.DataFrame],
) -> None:
    network, balance = real
    critical = set(network.minerals.loc[network.minerals["usgs_critical_2022"], "mineral_id"])
    widths = member_interval_widths(balance, minerals=critical).set_index("member")
    assert list(widths.reset_index().columns) == MEMBER_WIDTH_COLUMNS
    assert set(widths.index) == {*default_zone().members, "zone"}
    assert (widths["with_figure"] <= widths["rows"]).all()
    assert (widths["points"] + widths["intervals"] == widths["with_figure"]).all()
    assert ((widths["median_width"] >= 0) & (widths["median_width"] <= 2)).all()
