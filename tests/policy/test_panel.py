"""The minerals estimation panel built from the real store: flows, domestic flows, dropped rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from friendshore.model.zone import default_zone
from friendshore.policy.panel import (
    DROPPED_COLUMNS,
    PANEL_COLUMNS,
    EstimationPanel,
    panel_from_store,
)


@pytest.fixture(scope="module")
def panel(store_path: Path) -> EstimationPanel:
    return panel_from_store(store_path, default_zone().countries)


def test_columns_and_years(panel: EstimationPanel) -> None:
    assert list(panel.panel.columns) == PANEL_COLUMNS
    assert list(panel.dropped.columns) == DROPPED_COLUMNS
    assert panel.panel.attrs["trade_unit"] == "USD"
    # years with both BACI trade and USGS production in the store
    assert set(panel.panel["year"]) == {2020, 2021, 2022, 2023}
    assert not panel.panel.duplicated(["exporter", "importer", "year"]).any()
    assert (panel.panel["trade"] >= 0).all()


def test_international_flow_is_the_sum_of_baci_mineral_codes(
    panel: EstimationPanel, con: duckdb.DuckDBPyConnection
) -> None:
    (expected,) = con.execute(
        "SELECT sum(t.value_usd) FROM trade_latest t JOIN hs_concordance h USING (hs6) "
        "WHERE h.mineral_id IS NOT NULL AND t.year = 2022 "
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
        "SELECT sum(t.value_usd), sum(t.quantity_t * h.content_factor) FROM trade_latest t "
        "JOIN hs_concordance h USING (hs6) WHERE h.mineral_id = 'aluminum' AND h.stage = ? "
        "AND t.year = ? AND t.quantity_t * h.content_factor > 0",
        [stage, year],
    ).fetchone()
    (exports,) = con.execute(
        "SELECT coalesce(sum(t.value_usd), 0) FROM trade_latest t JOIN hs_concordance h "
        "USING (hs6) WHERE h.mineral_id = 'aluminum' AND h.stage = ? AND t.year = ? "
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
        "AND status = 'withheld' AND quantity_t IS NULL AND year BETWEEN 2020 AND 2023"
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
