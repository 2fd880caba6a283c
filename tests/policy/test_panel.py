"""The minerals estimation panel built from the real store: flows, domestic flows, dropped rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from friendshore.data.gravity_files import read_distances
from friendshore.data.queries import read_mineral_trade, read_production
from friendshore.model.zone import default_zone
from friendshore.policy.panel import (
    DROPPED_COLUMNS,
    PANEL_COLUMNS,
    PANEL_NOMENCLATURE,
    EstimationPanel,
    build_panel,
    panel_from_store,
)

#: The mineral trade of the panel's nomenclature (HS92), joined on its own concordance rows.
HS92_MINERAL_TRADE = (
    "FROM trade_latest t JOIN hs_concordance h USING (hs6, nomenclature) "
    "WHERE h.mineral_id IS NOT NULL AND t.nomenclature = 'HS92' "
)


@pytest.fixture(scope="module")
def panel(store_path: Path) -> EstimationPanel:
    return panel_from_store(store_path, default_zone().countries)


def test_columns_and_years(panel: EstimationPanel) -> None:
    assert list(panel.panel.columns) == PANEL_COLUMNS
    assert list(panel.dropped.columns) == DROPPED_COLUMNS
    assert panel.panel.attrs["trade_unit"] == "USD"
    # years with both BACI trade and USGS production in the store: MCS2022–MCS2025
    # production 2020–2024 (MCS2025 adds 2024e) and BACI HS92 2015–2024 (the HS17 2024
    # supplement is not in the panel: one nomenclature for every year)
    assert set(panel.panel["year"]) == {2020, 2021, 2022, 2023, 2024}
    assert not panel.panel.duplicated(["exporter", "importer", "year"]).any()
    assert (panel.panel["trade"] >= 0).all()


def test_international_flow_is_the_sum_of_baci_mineral_codes(
    panel: EstimationPanel, con: duckdb.DuckDBPyConnection
) -> None:
    (expected,) = con.execute(
        f"SELECT sum(t.value_usd) {HS92_MINERAL_TRADE} AND t.year = 2022 "
        "AND t.exporter = 'CHL' AND t.importer = 'CHN'"
    ).fetchone()
    p = panel.panel.set_index(["exporter", "importer", "year"])
    assert p.loc[("CHL", "CHN", 2022), "trade"] == pytest.approx(expected, rel=1e-12)
    assert p.loc[("CHL", "CHN", 2022), "international"] == 1
    assert p.loc[("USA", "JPN", 2022), "zone_pair"] == 1
    assert p.loc[("CHL", "CHN", 2022), "zone_pair"] == 0


def test_domestic_flow_is_production_value_minus_exports(
    panel: EstimationPanel, con: duckdb.DuckDBPyConnection
) -> None:
    dom = panel.domestic
    row = dom[(dom["country"] == "AUS") & (dom["mineral_id"] == "aluminum")].iloc[0]
    year, stage = int(row["year"]), str(row["stage"])
    value, content = con.execute(
        "SELECT sum(t.value_usd), sum(t.quantity_t * h.content_factor) "
        f"{HS92_MINERAL_TRADE} AND h.mineral_id = 'aluminum' AND h.stage = ? "
        "AND t.year = ? AND t.quantity_t * h.content_factor > 0",
        [stage, year],
    ).fetchone()
    (exports,) = con.execute(
        f"SELECT coalesce(sum(t.value_usd), 0) {HS92_MINERAL_TRADE} "
        "AND h.mineral_id = 'aluminum' AND h.stage = ? AND t.year = ? "
        "AND t.exporter = 'AUS' AND t.importer <> 'AUS'",
        [stage, year],
    ).fetchone()
    assert row["unit_value_usd_per_t"] == pytest.approx(value / content, rel=1e-12)
    expected = row["production_t"] * value / content - exports
    assert row["domestic_usd"] == pytest.approx(expected, rel=1e-9)
    # the panel's AUS→AUS flow sums every kept mineral × stage of that year
    own = dom[(dom["country"] == "AUS") & (dom["year"] == year)]["domestic_usd"].sum()
    p = panel.panel.set_index(["exporter", "importer", "year"])
    assert p.loc[("AUS", "AUS", year), "trade"] == pytest.approx(own, rel=1e-12)
    assert p.loc[("AUS", "AUS", year), "international"] == 0


def test_every_dropped_row_has_a_reason(
    panel: EstimationPanel, con: duckdb.DuckDBPyConnection
) -> None:
    dropped = panel.dropped
    assert dropped["reason"].notna().all()
    assert set(dropped["step"]) >= {"production", "domestic", "pair"}
    (withheld,) = con.execute(
        "SELECT count(*) FROM production_latest WHERE source = 'USGS MCS' "
        "AND status = 'withheld' AND quantity_t IS NULL AND year BETWEEN 2020 AND 2024"
    ).fetchone()
    assert (dropped["reason"] == "production withheld").sum() == withheld
    # a country with exports above its derived production value is reported, not kept
    neg = dropped[dropped["step"] == "domestic"]
    assert (neg["value_usd"] < 0).all()
    kept = panel.domestic.set_index(["country", "year", "mineral_id", "stage"]).index
    for r in neg.itertuples():
        assert (r.exporter, r.year, r.mineral_id, r.stage) not in kept


def test_square_year_for_ge(panel: EstimationPanel) -> None:
    square, left = panel.square(2022)
    n = square["exporter"].nunique()
    assert len(square) == n * n
    assert (square.loc[square["international"] == 0, "trade"] > 0).all()
    assert (left["step"] == "ge").all()
    assert np.isin(["USA", "CHN"], square["exporter"].unique()).all()


def test_the_panel_is_on_one_nomenclature_hs92(
    panel: EstimationPanel, con: duckdb.DuckDBPyConnection
) -> None:
    assert panel.nomenclature == PANEL_NOMENCLATURE == "HS92"
    assert panel.panel.attrs["nomenclature"] == "HS92"
    # Chile → China 2024: HS92 mineral codes only; the HS17 supplement's copper cathodes
    # (740311, BACI HS17 V202601 2024) are not added on top
    (hs92,) = con.execute(
        f"SELECT sum(t.value_usd) {HS92_MINERAL_TRADE} AND t.year = 2024 "
        "AND t.exporter = 'CHL' AND t.importer = 'CHN'"
    ).fetchone()
    (cathodes,) = con.execute(
        "SELECT sum(value_usd) FROM trade_latest WHERE nomenclature = 'HS17' AND hs6 = '740311' "
        "AND year = 2024 AND exporter = 'CHL' AND importer = 'CHN'"
    ).fetchone()
    assert cathodes > 1e9  # billions of US$ of Chilean cathodes, 2024 only
    p = panel.panel.set_index(["exporter", "importer", "year"])
    assert p.loc[("CHL", "CHN", 2024), "trade"] == pytest.approx(hs92, rel=1e-12)
    # every HS17 row of the minerals is in `dropped` (step trade) with its reason, none kept
    n, value = con.execute(
        "SELECT count(*), sum(t.value_usd) FROM trade_latest t JOIN hs_concordance h "
        "USING (hs6, nomenclature) WHERE h.mineral_id IS NOT NULL AND t.nomenclature = 'HS17'"
    ).fetchone()
    hs17 = panel.dropped[panel.dropped["reason"].str.startswith("HS17 trade")]
    assert set(hs17["step"]) == {"trade"}
    assert set(hs17["year"]) == {2024}
    assert len(hs17) == n
    assert hs17["value_usd"].sum() == pytest.approx(value, rel=1e-12)


def test_2024_compares_with_2023_on_one_nomenclature(
    panel: EstimationPanel, store_path: Path
) -> None:
    def square_total(p: EstimationPanel, year: int) -> float:
        return float(p.square(year)[0]["trade"].sum())

    # HS92 only: the GE square of 2024 (US$603 bn on the bundled data) is of the order
    # of 2023's (US$599 bn): the same codes in both years
    ratio = square_total(panel, 2024) / square_total(panel, 2023)
    assert 0.75 < ratio < 1.33
    # with the HS17 2024 supplement's codes added (a frame without a nomenclature
    # column is taken as one nomenclature), 2024 jumps to US$904 bn: codes, not trade
    trade = read_mineral_trade(store_path, with_nomenclature=True)
    mixed = build_panel(
        trade.drop(columns="nomenclature"),
        read_production(store_path),
        read_distances(store_path),
        default_zone().countries,
    )
    assert square_total(mixed, 2023) == pytest.approx(square_total(panel, 2023), rel=1e-9)
    assert square_total(mixed, 2024) / square_total(mixed, 2023) > 1.4
