"""Zone shares of world production, reserves and non-rival supply: published figures, properties."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore._core.errors import InputError
from friendshore._core.types import ISO3
from friendshore.metrics.concentration import concentration
from friendshore.metrics.shares import (
    SERIES_KEYS,
    UNKNOWN_BASES,
    UNKNOWN_WITHHELD,
    production_shares,
)
from friendshore.metrics.zone_supply import (
    NON_RIVAL_COLUMNS,
    ZONE_PRODUCTION_COLUMNS,
    ZONE_RESERVES_COLUMNS,
    non_rival_supply,
    zone_production_share,
    zone_reserves_share,
)
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

USGS = "USGS MCS"
IEA = "IEA CMDE"


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def shares(network: SupplyNetwork) -> pd.DataFrame:
    return production_shares(network.production, network.production_totals)


@pytest.fixture(scope="module")
def production(shares: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    return zone_production_share(shares, zone)


@pytest.fixture(scope="module")
def reserves(network: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    return zone_reserves_share(network.reserves, network.reserves_totals, zone)


def _one(frame: pd.DataFrame, **key: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, value in key.items():
        mask &= frame[name] == value
    picked = frame[mask]
    assert len(picked) == 1, f"{key}: {len(picked)} rows"
    return picked.iloc[0]


# ---------------------------------------------------------------------------
# Real data (USGS MCS 2024, IEA 2024 edition)
# ---------------------------------------------------------------------------


def test_rare_earth_mining_2023(production: pd.DataFrame) -> None:
    # MCS2025 revised 2023 (the newest edition wins per year; MCS2024 had 43,000 /
    # 240,000 / 350,000 t): United States 41,600 t, China 255,000 t, other countries
    # 1,440 t; the listed rows sum to 376,090 t, above the rounded total of 376,000 t,
    # so the sum is the denominator. No other zone country mines rare earths.
    row = _one(production, source=USGS, mineral_id="rare_earths", stage="mining", year=2023)
    assert row["world_quantity_t"] == 376_090
    assert row["zone_quantity_t"] == 41_600
    assert row["zone_share"] == 41_600 / 376_090
    assert row["zone_share_upper"] == row["zone_share"]  # complete listing, nothing withheld
    assert row["rival_share"] == 255_000 / 376_090
    assert row["complete_listing"]
    assert row["n_members_withheld"] == row["n_members_missing"] == 0


def test_rare_earth_mining_share_outside_china(shares: pd.DataFrame, zone: Zone) -> None:
    out = non_rival_supply(shares, zone)
    assert list(out.columns) == NON_RIVAL_COLUMNS
    # MCS2025's 2023: 376,090 t in all, 255,000 t from China (see above)
    row = _one(out, source=USGS, mineral_id="rare_earths", stage="mining", year=2023)
    assert row["non_rival_quantity_t"] == 376_090 - 255_000
    assert row["zone_non_rival_share"] == 41_600 / (376_090 - 255_000)
    # China's cobalt mining is not listed by the IEA: non-China supply is unknown.
    iea = _one(out, source=IEA, mineral_id="cobalt", stage="mining", year=2023)
    assert math.isnan(iea["zone_non_rival_share"])


def test_rare_earth_reserves_2022(reserves: pd.DataFrame) -> None:
    # MCS2023 rare-earth reserves (2022): United States 2.3 Mt, China 44 Mt, world
    # 130 Mt (published, rounded: the denominator). Greenland is not in the EU.
    assert list(reserves.columns) == ZONE_RESERVES_COLUMNS
    row = _one(reserves, source=USGS, mineral_id="rare_earths", year=2022)
    assert row["world_reserves_t"] == 130_000_000
    assert row["denominator"] == "published world total"
    assert row["zone_reserves_t"] == 2_300_000
    assert row["zone_reserves_share"] == 2_300_000 / 130_000_000
    assert row["rival_reserves_share"] == 44_000_000 / 130_000_000
    # MCS2024 (2023): the listed reserves (China 44, Vietnam 22, Brazil 21 Mt …)
    # sum to about 115 Mt, above the published 110 Mt beyond its rounding: a source
    # inconsistency, so no share (before: 1.8 / 110 with shares summing above 1).
    row = _one(reserves, source=USGS, mineral_id="rare_earths", year=2023)
    assert str(row["denominator"]).startswith("unknown: source inconsistency")
    assert math.isnan(row["zone_reserves_share"])


def test_iea_battery_graphite_zone_share_is_bounded(production: pd.DataFrame) -> None:
    # IEA 2024 edition, battery-grade graphite 2023: Japan 123.5 kt, Germany 28.2 kt,
    # United States 16.5 kt, Sweden 0, China 1,851.9 kt, Canada 0.4 kt; rest of world
    # 44.9 kt. The rows sum to 2,065.4 kt, above the printed total of 2,037.2 kt, so
    # the sum is the denominator. The IEA lists top producers only, so a member may
    # hide in the rest of the world.
    # hide in the rest of the world: the zone's share is unknown, between the listed
    # members' share and that plus the rest of the world (never the lower bound as a point).
    row = _one(production, source=IEA, mineral_id="graphite", stage="processing", year=2023)
    assert row["zone_quantity_min_t"] == pytest.approx(123_500 + 28_200 + 16_500)
    assert math.isnan(row["zone_quantity_t"])
    assert math.isnan(row["zone_share"])
    assert row["zone_share_min"] == pytest.approx(168_200 / 2_065_400)
    assert not row["complete_listing"]
    assert row["zone_share_upper"] == pytest.approx(row["zone_share_min"] + 1 - row["coverage"])
    assert row["zone_share_upper"] > row["zone_share_min"]
    assert "lists top producers only" in row["zone_share_note"]
    assert row["n_members_listed"] == 4


def test_withheld_member_makes_the_share_unknown_with_bounds(production: pd.DataFrame) -> None:
    # MCS2025 barite 2023 (revised): U.S. output withheld (W), Mexico 320,000 t, world
    # 8,080,000 t (MCS2024 had 260,000 of 8,500,000). Before the fix zone_share was
    # Mexico / world (the U.S. counted as 0).
    row = _one(production, source=USGS, mineral_id="barite", stage="mining", year=2023)
    assert row["n_members_withheld"] == 1
    assert math.isnan(row["zone_share"])
    assert math.isnan(row["zone_quantity_t"])
    assert row["zone_quantity_min_t"] == 320_000
    assert row["zone_share_min"] == 320_000 / 8_080_000
    assert row["zone_share_upper"] > row["zone_share_min"]
    # the world total "excludes U.S. production": nothing bounds the withheld U.S. figure
    # (as in metrics.balance), so the zone's share may be anything up to 1
    assert row["zone_share_upper"] == 1.0


def test_boron_zone_share_is_unknown_not_zero(production: pd.DataFrame) -> None:
    # MCS2024 boron 2022: U.S. output withheld, country figures on six bases (ulexite,
    # crude ore, B2O3 equivalent ...) and "World totals cannot be calculated".
    # Before the fix: zone_share 0.0 against a summed total.
    row = _one(production, source=USGS, mineral_id="boron", stage="mining", year=2022)
    assert math.isnan(row["world_quantity_t"])
    assert row["denominator"] == UNKNOWN_BASES
    for col in ("zone_share", "zone_share_min", "zone_share_upper", "rival_share"):
        assert math.isnan(row[col]), col
    # MCS2025 gives 2023 on one basis ("boron all types") but withholds the U.S.
    # figure and prints no world total: still unknown, for another reason.
    row = _one(production, source=USGS, mineral_id="boron", stage="mining", year=2023)
    assert math.isnan(row["world_quantity_t"])
    assert row["denominator"] == "unknown: withheld or missing figures and no published total"
    assert math.isnan(row["zone_share"])


def test_a_member_given_as_a_bound_gives_an_interval(production: pd.DataFrame) -> None:
    # MCS2024 vermiculite 2022: Mexico "<500" t, United States 100,000 t, world 516,000 t.
    # Before: zone_share counted Mexico's bound as 500 t and showed an exact share.
    row = _one(production, source=USGS, mineral_id="vermiculite", stage="mining", year=2022)
    assert math.isnan(row["zone_share"])
    known = row["zone_quantity_min_t"]  # Mexico counted 0
    assert row["zone_share_min"] == pytest.approx(known / 516_000, rel=1e-12)
    assert row["zone_share_upper"] == pytest.approx((known + 500) / 516_000, rel=1e-12)
    # MCS2023 zirconium 2021: United States "<100" kt, the only member listed
    row = _one(production, source=USGS, mineral_id="zirconium", stage="mining", year=2021)
    assert math.isnan(row["zone_share"])
    assert row["zone_share_min"] == 0.0
    assert row["zone_share_upper"] == pytest.approx(100_000 / row["world_quantity_t"])


def test_reserves_against_a_lower_bound_total_are_upper_bounds(reserves: pd.DataFrame) -> None:
    # MCS2025 nickel reserves 2024: world ">130,000,000" t; China 4,400,000 t. Before,
    # China's 0.0335 and the zone's share were shown as exact.
    row = _one(reserves, source=USGS, mineral_id="nickel", year=2024)
    assert math.isnan(row["world_reserves_t"])
    assert math.isnan(row["zone_reserves_share"])
    assert math.isnan(row["rival_reserves_share"])
    assert row["zone_reserves_share_min"] == 0.0
    assert 0.0 < row["zone_reserves_share_upper"] < 0.01


def test_missing_member_reserves_make_the_reserves_share_unknown(reserves: pd.DataFrame) -> None:
    # MCS2024 barite reserves: United States and Mexico "NA", no world total.
    # Before the fix: zone_reserves_share 0.0 against a sum of the known countries.
    row = _one(reserves, source=USGS, mineral_id="barite", year=2023)
    assert row["n_members_missing"] == 2
    assert math.isnan(row["world_reserves_t"])
    assert row["denominator"] == UNKNOWN_WITHHELD
    assert math.isnan(row["zone_reserves_share"])
    # nothing bounds the two NA figures nor the world: the interval is all of [0, 1]
    assert row["zone_reserves_share_min"] == 0.0
    assert row["zone_reserves_share_upper"] == 1.0


def test_rival_share_agrees_with_concentration(
    network: SupplyNetwork, production: pd.DataFrame
) -> None:
    conc = concentration(network.production, network.production_totals)
    merged = production.merge(conc, on=SERIES_KEYS, validate="one_to_one")
    pd.testing.assert_series_equal(merged["rival_share"], merged["china_share"], check_names=False)
    assert list(production.columns) == ZONE_PRODUCTION_COLUMNS


def test_real_data_bounds(production: pd.DataFrame, reserves: pd.DataFrame) -> None:
    for frame, share, low, upper, members_unknown in (
        (
            production,
            "zone_share",
            "zone_share_min",
            "zone_share_upper",
            production["n_members_withheld"] + production["n_members_missing"],
        ),
        (
            reserves,
            "zone_reserves_share",
            "zone_reserves_share_min",
            "zone_reserves_share_upper",
            reserves["n_members_withheld"] + reserves["n_members_missing"],
        ),
    ):
        known = frame.dropna(subset=[share])
        assert len(known) > 40
        assert (known[share] >= 0).all()
        # the share is known exactly when no member figure is withheld or missing
        assert (members_unknown[known.index] == 0).all()
        assert (known[share] == known[low]).all()
        assert frame.loc[members_unknown > 0, share].isna().all()
        bounded = frame.dropna(subset=[low, upper])
        assert (bounded[upper] >= bounded[low]).all()
        assert (bounded[upper] <= bounded[low].clip(lower=1.0)).all()


def test_missing_columns_are_an_input_error(shares: pd.DataFrame, zone: Zone) -> None:
    with pytest.raises(InputError, match="share"):
        zone_production_share(shares.drop(columns="share"), zone)


# ---------------------------------------------------------------------------
# Properties on synthetic frames
# ---------------------------------------------------------------------------

POOL = ["CHN", "USA", "AUS", "COD", "IDN", "CHL", "DEU", "JPN", "MEX", "ZAF"]
NOT_RIVALS = [c for c in POOL if c != "CHN"]


@st.composite
def share_frames(draw: st.DrawFn) -> pd.DataFrame:
    """production_shares output for one to three synthetic series."""
    rows: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    for i in range(draw(st.integers(1, 3))):
        key = {
            "source": draw(st.sampled_from([USGS, IEA])),
            "mineral_id": f"m{i}",
            "stage": "mining",
            "product": "",
            "year": 2023,
        }
        known = 0.0
        for country in draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True)):
            withheld = draw(st.booleans()) and draw(st.booleans())
            q = None if withheld else draw(st.floats(0, 1e6, allow_nan=False))
            known += q or 0.0
            status = "withheld" if withheld else "reported"
            rows.append({**key, "country": country, "quantity_t": q, "status": status})
        if draw(st.booleans()):
            world = known + draw(st.floats(1.0, 1e6))
            totals.append({**key, "kind": "world", "quantity_t": world})
    row_frame = pd.DataFrame(rows).astype({"quantity_t": "float64"})
    total_frame = pd.DataFrame(totals, columns=[*SERIES_KEYS, "kind", "quantity_t"]).astype(
        {"quantity_t": "float64"}
    )
    return production_shares(row_frame, total_frame)


def _zone(countries: set[str]) -> Zone:
    return Zone(name="test", members={c: frozenset({ISO3(c)}) for c in sorted(countries)})


@settings(max_examples=50, deadline=None)
@given(share_frames())
def test_a_zone_with_no_members_has_zero_share(frame: pd.DataFrame) -> None:
    out = zone_production_share(frame, Zone(name="empty", members={}))
    positive = out[out["world_quantity_t"] > 0]
    assert (positive["zone_share"] == 0.0).all()
    assert (positive["zone_share_upper"] == 0.0).all()
    assert (positive["zone_quantity_t"] == 0.0).all()
    assert (positive["n_members_listed"] == 0).all()


@settings(max_examples=50, deadline=None)
@given(share_frames(), st.sets(st.sampled_from(NOT_RIVALS)), st.sampled_from(NOT_RIVALS))
def test_adding_a_member_never_lowers_the_zone_share(
    frame: pd.DataFrame, members: set[str], newcomer: str
) -> None:
    before = zone_production_share(frame, _zone(members))
    after = zone_production_share(frame, _zone(members | {newcomer}))
    # a newcomer with a withheld figure makes a known share unknown, never the reverse
    assert (before["zone_share"].notna() | after["zone_share"].isna()).all()
    both = before["zone_share"].notna() & after["zone_share"].notna()
    assert (after["zone_share"][both] >= before["zone_share"][both] - 1e-12).all()
    low = before["zone_share_min"].notna()
    assert (after["zone_share_min"].notna() == low).all()
    assert (after["zone_share_min"][low] >= before["zone_share_min"][low] - 1e-12).all()
    assert (after["zone_quantity_min_t"][low] >= before["zone_quantity_min_t"][low] - 1e-9).all()
    pd.testing.assert_series_equal(before["rival_share"], after["rival_share"])
    bounded = after.dropna(subset=["zone_share_upper"])
    assert (bounded["zone_share_upper"] >= bounded["zone_share_min"]).all()


@settings(max_examples=50, deadline=None)
@given(share_frames(), st.sets(st.sampled_from(NOT_RIVALS), min_size=1))
def test_zone_share_is_null_exactly_when_a_member_figure_is_unknown(
    frame: pd.DataFrame, members: set[str]
) -> None:
    out = zone_production_share(frame, _zone(members)).set_index(SERIES_KEYS)
    inside = frame[frame["country"].isin(members)]
    gap = inside["quantity_t"].isna().groupby([inside[k] for k in SERIES_KEYS]).any()
    gap = gap.reindex(out.index, fill_value=False)
    # or when a top-producers listing (IEA) leaves room for members in its rest of the world
    hidden = ~out["complete_listing"] & (out["zone_share_upper"] > out["zone_share_min"] + 1e-12)
    unknown = gap | hidden
    world = out["world_quantity_t"] > 0
    assert out.loc[unknown, "zone_share"].isna().all()
    assert out.loc[unknown & world, "zone_share_note"].notna().all()
    assert out.loc[~unknown & world, "zone_share"].notna().all()
    assert out.loc[~unknown & world, "zone_share_note"].isna().all()
    # where the world quantity is unknown but bounded, the share is an interval
    pd.testing.assert_series_equal(
        out.loc[~unknown & world, "zone_share"],
        out.loc[~unknown & world, "zone_share_min"],
        check_names=False,
    )


@settings(max_examples=50, deadline=None)
@given(share_frames(), st.sets(st.sampled_from(NOT_RIVALS)), st.integers(0, 2**31 - 1))
def test_zone_results_do_not_depend_on_row_order(
    frame: pd.DataFrame, members: set[str], seed: int
) -> None:
    zone = _zone(members)
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for fn in (zone_production_share, non_rival_supply):
        pd.testing.assert_frame_equal(
            fn(frame, zone), fn(shuffled, zone), check_exact=False, rtol=1e-12
        )


@settings(max_examples=50, deadline=None)
@given(share_frames(), st.sets(st.sampled_from(NOT_RIVALS)))
def test_zone_rivals_and_rest_never_exceed_the_world(
    frame: pd.DataFrame, members: set[str]
) -> None:
    out = non_rival_supply(frame, _zone(members))
    known = out.dropna(subset=["zone_non_rival_share"])
    assert (known["zone_non_rival_share"] >= 0).all()
    # members are outside the rivals, so their output is part of non-rival supply
    # (the synthetic world totals are at least the sum of the countries)
    assert (known["zone_non_rival_share"] <= 1 + 1e-9).all()
