"""World denominators on the real data: coverage never above 1, bounds as intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore.metrics.concentration import concentration, country_shares
from friendshore.metrics.shares import (
    IN_SOURCE_UNIT,
    INCONSISTENT,
    LISTED_ABOVE_TOTAL,
    LOWER_BOUND_TOTAL,
    PUBLISHED,
    ROUNDED_BELOW,
    SERIES_KEYS,
    production_shares,
    rounding_tolerance,
    world_denominator,
)
from friendshore.model.supply import SupplyNetwork

USGS = "USGS MCS"
IEA = "IEA CMDE"


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def den(network: SupplyNetwork) -> pd.DataFrame:
    return world_denominator(network.production, network.production_totals)


def _series(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    rows = frame[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_coverage_never_exceeds_one(network: SupplyNetwork) -> None:
    conc = concentration(network.production, network.production_totals)
    assert (conc["coverage"].dropna() <= 1.0 + 1e-12).all()
    assert (conc["top3_share"].dropna() <= 1.0 + 1e-12).all()
    assert (conc["china_share"].dropna() <= 1.0 + 1e-12).all()


def test_rare_earth_cumulative_share_stays_below_one(network: SupplyNetwork) -> None:
    # MCS2025: the listed countries and "other" add up to 393,950 t against a
    # rounded world total of 390,000 t (2023 in MCS2024: 353,320 t against 350,000 t,
    # a cumulative share of 100.95%).
    for year, listed, published in ((2024, 393_950, 390_000), (2023, 376_090, 376_000)):
        shares = country_shares(
            network.production,
            network.production_totals,
            series={"source": USGS, "mineral_id": "rare_earths", "stage": "mining", "year": year},
        )
        assert shares["cumulative_share"].max() <= 1.0
        den = world_denominator(
            network.production[network.production["mineral_id"] == "rare_earths"],
            network.production_totals,
        )
        row = _series(den, source=USGS, mineral_id="rare_earths", year=year)
        assert row["published_t"] == published
        assert row["listed_t"] == listed
        assert row["denominator"] == ROUNDED_BELOW
        assert row["world_quantity_t"] == listed


def test_a_world_total_far_below_the_listed_figures_is_an_inconsistency(
    den: pd.DataFrame,
) -> None:
    # MCS2025 prints the 2024 kaolin world total as 4,400 kt; the rows add up to 44,240 kt.
    row = _series(den, source=USGS, mineral_id="clays", product="kaolin", year=2024)
    assert row["denominator"] == INCONSISTENT
    assert np.isnan(row["world_quantity_t"])
    assert row["published_t"] == 4_400_000
    assert row["listed_t"] == 44_240_000
    assert (
        row["listed_t"] - row["published_t"]
        > rounding_tolerance(pd.Series([row["published_t"]])).iloc[0]
    )


def test_pumice_shares_use_one_edition(den: pd.DataFrame) -> None:
    # Before: MCS2024's 2022 countries (16,105 kt) over MCS2023's total (15,000 kt).
    row = _series(den, source=USGS, mineral_id="pumice", year=2022)
    assert row["denominator"] != PUBLISHED
    assert np.isnan(row["published_t"])
    assert row["known_t"] / row["world_quantity_t"] <= 1.0


def test_a_bound_is_an_interval_not_a_value(network: SupplyNetwork) -> None:
    # MCS2023: U.S. zircon mine production "<100" thousand tons in 2021.
    shares = production_shares(network.production, network.production_totals)
    usa = _series(
        shares, source=USGS, mineral_id="zirconium", stage="mining", country="USA", year=2021
    )
    assert usa["bound"] == "<"
    assert usa["quantity_t"] == 100_000
    assert np.isnan(usa["share"])
    assert usa["share_low"] == 0.0
    assert usa["share_high"] == pytest.approx(100_000 / usa["world_quantity_t"])
    # Point figures: the interval is the point.
    point = shares[shares["share"].notna()]
    assert (point["share_low"] == point["share"]).all()
    assert (point["share_high"] == point["share"].clip(upper=1.0)).all()
    # The bound is left out of the known figures and of HHI.
    den = world_denominator(network.production, network.production_totals)
    row = den.set_index(SERIES_KEYS).loc[(USGS, "zirconium", "mining", "", 2021)]
    assert row["n_bounded"] == 1


def test_rounding_tolerance() -> None:
    got = rounding_tolerance(pd.Series([350_000.0, 1_140_000.0, 4_400_000.0, np.nan]))
    assert got.iloc[:3].tolist() == [5_000.0, 50_000.0, 50_000.0]
    assert np.isnan(got.iloc[3])


def test_iea_rows_above_its_printed_total_use_the_listed_sum(
    network: SupplyNetwork, den: pd.DataFrame, con: object
) -> None:
    # IEA 2025 edition, refined nickel 2024: listed rows and rest of world add up to
    # 3,596.8 kt against a printed total of 3,483.7 kt (SOURCES.md section F).
    row = _series(den, source=IEA, mineral_id="nickel", stage="processing", year=2024)
    assert row["denominator"] == LISTED_ABOVE_TOTAL
    assert row["published_t"] == pytest.approx(3_483_697.0)
    assert row["world_quantity_t"] == row["listed_t"] == pytest.approx(3_596_797.0)
    # the reader records the same mismatch in the store's checks
    check = con.execute(  # type: ignore[attr-defined]
        "SELECT status, expected, actual FROM checks WHERE source = 'IEA CMDE' AND "
        "check_name = 'total_equals_listed_plus_rest' AND subject = 'nickel processing 2024'"
    ).fetchone()
    assert check[0] == "mismatch"
    assert check[2] == pytest.approx(row["listed_t"] / 1000.0)
    shares = production_shares(network.production, network.production_totals)
    nickel = shares[
        (shares["source"] == IEA)
        & (shares["mineral_id"] == "nickel")
        & (shares["stage"] == "processing")
        & (shares["year"] == 2024)
    ]
    assert nickel["share"].notna().all()
    rest = network.production_totals[
        (network.production_totals["source"] == IEA)
        & (network.production_totals["mineral_id"] == "nickel")
        & (network.production_totals["stage"] == "processing")
        & (network.production_totals["year"] == 2024)
        & (network.production_totals["kind"] == "other")
    ]["quantity_t"].sum()
    assert nickel["share"].sum() + rest / row["world_quantity_t"] == pytest.approx(1.0)
    # a USGS total far below its rows stays an inconsistency (kaolin, above)


def test_a_lower_bound_world_total_makes_every_share_an_upper_bound(
    network: SupplyNetwork,
) -> None:
    # MCS2025 reserves 2024: nickel ">130,000,000" t; China 4,400,000 t.
    res = network.reserves.assign(stage="")
    totals = network.reserves_totals.assign(stage="")
    assert "bound" in totals.columns
    den = world_denominator(res, totals)
    for mineral in ("nickel", "antimony", "niobium", "rare_earths", "chromium"):
        row = _series(den, source=USGS, mineral_id=mineral, year=2024, product="")
        # antimony, niobium and rare earths: the rows exceed ">X", which is no inconsistency
        assert row["denominator"] == LOWER_BOUND_TOTAL, mineral
        assert np.isnan(row["world_quantity_t"])
        assert row["world_min_t"] == max(row["published_t"], row["listed_t"])
        assert np.isnan(row["world_max_t"])
    shares = production_shares(res, totals)
    china = _series(shares, source=USGS, mineral_id="nickel", country="CHN", year=2024)
    assert china["quantity_t"] == 4_400_000
    assert np.isnan(china["share"])  # was 0.0335 shown as exact
    assert china["share_low"] == 0.0
    listed = den.set_index(SERIES_KEYS).loc[(USGS, "nickel", "", "", 2024), "listed_t"]
    assert china["share_high"] == pytest.approx(4_400_000 / max(130_000_000, listed))
    assert china["share_high"] == pytest.approx(0.033534, abs=1e-6)


def test_withheld_figures_are_bounded_by_the_table(network: SupplyNetwork) -> None:
    shares = production_shares(network.production, network.production_totals)
    withheld = shares[shares["quantity_t"].isna() & shares["world_quantity_t"].notna()]
    assert len(withheld) > 10
    assert (withheld["share_low"] == 0.0).all()
    assert (withheld["share_high"] <= 1.0).all()
    # boron 2024 (MCS2025): U.S. withheld, no world total, one basis: the world is at
    # least the listed rows, so each share lies in [0, q / listed]
    boron = shares[
        (shares["mineral_id"] == "boron") & (shares["stage"] == "mining") & (shares["year"] == 2024)
    ]
    tur = boron[boron["country"] == "TUR"].iloc[0]
    listed = boron["quantity_t"].sum()
    assert np.isnan(tur["share"])
    assert tur["share_low"] == 0.0
    assert tur["share_high"] == pytest.approx(3_000_000 / listed)
    usa = boron[boron["country"] == "USA"].iloc[0]
    assert (usa["share_low"], usa["share_high"]) == (0.0, 1.0)


def test_helium_shares_in_the_source_unit(network: SupplyNetwork) -> None:
    # USGS counts helium in million cubic metres (no tonnes): shares are still ratios
    # of one unit. MCS2025 2024: Qatar 64 mcm; the world total 180 is below the listed
    # rows, 185 (South Africa "<0.5" counted 0), within its rounding: they divide.
    shares = production_shares(network.production, network.production_totals)
    he = shares[(shares["mineral_id"] == "helium") & (shares["year"] == 2024)]
    qat = he[he["country"] == "QAT"].iloc[0]
    assert np.isnan(qat["quantity_t"])
    assert np.isnan(qat["world_quantity_t"])
    assert qat["denominator"].endswith(IN_SOURCE_UNIT)
    assert qat["share"] == pytest.approx(64 / 185)
