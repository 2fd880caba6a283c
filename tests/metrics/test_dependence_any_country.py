"""Dependence of any country (CAN, a candidate; DEU, a member state of EU27) on the real data.

Every figure is checked against a hand computation in SQL over the session
store's production (``production_latest``, ``aggregates_latest``) and BACI trade
(``trade_latest`` joined to ``hs_concordance``) for graphite at the mining stage
in 2023, where both countries' net import reliance is a point (HS 250410/250490
carry a content factor of 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from friendshore._core.errors import ValidationError
from friendshore.data.store import connect
from friendshore.metrics.assessment import MEMBER_COLUMNS, dependence_table
from friendshore.metrics.balance import balance_frame
from friendshore.metrics.country_dependence import (
    COUNTRY_TABLE_COLUMNS,
    alone_zone,
    country_dependence,
    country_member_rows,
    country_standing,
    dependence_rows,
)
from friendshore.metrics.dependence import import_dependence, member_flows
from friendshore.metrics.risk import geopolrisk
from friendshore.metrics.shares import production_shares
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

YEAR = 2023
MINERAL = "graphite"
STAGE = "mining"


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def sql(store_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(store_path)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def eu(sql: duckdb.DuckDBPyConnection) -> list[str]:
    rows = sql.execute("SELECT iso3 FROM blocs WHERE bloc = 'EU27' AND valid_to IS NULL").fetchall()
    return sorted(r[0] for r in rows)


_FLOWS = (
    "SELECT t.exporter, t.importer, t.value_usd, t.quantity_t * h.content_factor AS content_t "
    "FROM trade_latest t JOIN hs_concordance h USING (hs6, nomenclature) "
    "WHERE h.mineral_id = ? AND h.stage = ? AND t.year = ?"
)


def _flows(sql: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.execute(_FLOWS, [MINERAL, STAGE, YEAR]).df()


def _hand(sql: duckdb.DuckDBPyConnection, code: str, zone_countries: set[str]) -> dict[str, float]:
    """The dependence of ``code`` computed by hand from the store (USD, t, fractions)."""
    flows = _flows(sql)
    imports = flows[(flows["importer"] == code) & (flows["exporter"] != code)]
    exports = flows[(flows["exporter"] == code) & (flows["importer"] != code)]
    (production,) = sql.execute(
        "SELECT quantity_t FROM production_latest WHERE source = 'USGS MCS' AND mineral_id = ? "
        "AND stage = ? AND year = ? AND country = ?",
        [MINERAL, STAGE, YEAR, code],
    ).fetchone()
    m, x = imports["content_t"].sum(), exports["content_t"].sum()
    value = imports["value_usd"].sum()
    by_partner = imports.groupby(imports["exporter"].fillna("?"))["value_usd"].sum() / value
    from_zone = imports.loc[imports["exporter"].isin(zone_countries - {code}), "value_usd"].sum()
    return {
        "production_t": production,
        "imports_t": m,
        "exports_t": x,
        "import_reliance": (m - x) / (production + m - x),
        "imports_value_usd": value,
        "china_import_share_value": imports.loc[imports["exporter"] == "CHN", "value_usd"].sum()
        / value,
        "import_hhi": float(((100 * by_partner) ** 2).sum()),
        "intra_zone_share": from_zone / value,
    }


def _row(frame: pd.DataFrame, mineral: str = MINERAL) -> pd.Series:
    hit = frame[
        (frame["mineral_id"] == mineral) & (frame["stage"] == STAGE) & (frame["year"] == YEAR)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.mark.parametrize("code", ["CAN", "DEU"])
def test_dependence_equals_a_hand_computation_from_the_store(
    network: SupplyNetwork, zone: Zone, sql: duckdb.DuckDBPyConnection, code: str
) -> None:
    row = _row(country_dependence(network, zone, code, minerals=[MINERAL]))
    hand = _hand(sql, code, set(zone.countries))
    assert row["member"] == code
    assert row["production_source"] == "USGS MCS"
    assert row["import_reliance_status"] == "point"
    for key, value in hand.items():
        assert row[key] == pytest.approx(value, rel=1e-9), key
    assert row["import_reliance_min"] == pytest.approx(hand["import_reliance"], abs=5e-4)
    assert row["import_reliance_max"] == pytest.approx(hand["import_reliance"], abs=5e-4)
    # Canada exports graphite on net (IR < 0); Germany imports nearly all it uses
    assert (row["import_reliance"] < 0) == (code == "CAN")


def test_a_member_state_counts_imports_its_bloc_counts_as_domestic(
    network: SupplyNetwork, zone: Zone, sql: duckdb.DuckDBPyConnection, eu: list[str]
) -> None:
    deu = _row(country_dependence(network, zone, "DEU", minerals=[MINERAL]))
    flows = _flows(sql)
    into_deu = flows[(flows["importer"] == "DEU") & (flows["exporter"] != "DEU")]
    from_eu = into_deu.loc[into_deu["exporter"].isin(eu), "value_usd"].sum()
    assert from_eu > 0
    assert deu["imports_value_usd"] == pytest.approx(into_deu["value_usd"].sum(), rel=1e-9)
    # EU27 as one member: Germany's imports from other EU states are domestic
    trade = network.trade[
        (network.trade["mineral_id"] == MINERAL)
        & (network.trade["stage"] == STAGE)
        & (network.trade["year"] == YEAR)
    ]
    bloc_flows = member_flows(trade, zone)
    bloc_into_deu = bloc_flows.loc[bloc_flows["importer"] == "DEU", "value_usd"].sum()
    assert bloc_into_deu == pytest.approx(into_deu["value_usd"].sum() - from_eu, rel=1e-9)
    # and the EU27 row counts only imports from outside the EU
    eu27 = dependence_table(network, zone, member="EU27", mineral=MINERAL, year=YEAR)
    eu27 = eu27[eu27["stage"] == STAGE].iloc[0]
    outside = flows[flows["importer"].isin(eu) & ~flows["exporter"].isin(eu)]
    assert eu27["imports_value_usd"] == pytest.approx(outside["value_usd"].sum(), rel=1e-9)
    # Germany's share from zone countries counts its EU partners, EU27's cannot
    assert deu["intra_zone_share"] > eu27["intra_zone_share"]


def test_a_country_usgs_does_not_list_is_bounded_by_other_countries(
    network: SupplyNetwork, zone: Zone, sql: duckdb.DuckDBPyConnection
) -> None:
    row = _row(country_dependence(network, zone, "CAN", minerals=["barite"]), "barite")
    listed = sql.execute(
        "SELECT count(*) FROM production_latest WHERE mineral_id = 'barite' AND year = ? "
        "AND country = 'CAN'",
        [YEAR],
    ).fetchone()
    (other,) = sql.execute(
        "SELECT quantity_t FROM aggregates_latest WHERE measure = 'production' "
        "AND mineral_id = 'barite' AND stage = 'mining' AND year = ? AND kind = 'other' "
        "AND source = 'USGS MCS'",
        [YEAR],
    ).fetchone()
    assert listed == (0,)
    assert row["production_status"] == "not listed"
    assert row["production_min_t"] == 0.0
    assert row["production_max_t"] == pytest.approx(other)
    assert pd.isna(row["import_reliance"])
    assert 0.0 < row["import_reliance_min"] < row["import_reliance_max"] <= 1.0
    assert "production not listed" in row["import_reliance_note"]


@pytest.mark.parametrize("code", ["CAN", "DEU"])
def test_the_reduced_trade_gives_the_whole_frames_figures(
    network: SupplyNetwork, zone: Zone, code: str
) -> None:
    minerals = ["graphite", "cobalt", "gallium", "barite", "platinum", "rare_earths"]
    fast = country_dependence(network, zone, code, minerals=minerals, with_geopolrisk=True)
    rows, totals = network.default_production()
    rows = rows[rows["mineral_id"].isin(minerals)]
    trade = network.trade[network.trade["mineral_id"].isin(minerals)]
    bound = network.bound_trade[network.bound_trade["mineral_id"].isin(minerals)]
    alone = alone_zone(zone, code)
    balance = balance_frame(trade, rows, alone, totals=totals, bound_trade=bound)
    whole = import_dependence(trade, rows, alone, totals=totals, balance=balance)
    keys = ["mineral_id", "stage", "year"]
    shares = production_shares(rows, totals)
    gpr = geopolrisk(shares, trade, network.governance, alone, totals=totals)
    whole = whole[whole["member"] == code].merge(
        gpr.loc[gpr["member"] == code, [*keys, "geopolrisk"]], on=keys, how="left"
    )
    same = [c for c in whole.columns if not c.startswith("intra_zone")]
    pd.testing.assert_frame_equal(
        fast[same].sort_values(keys).reset_index(drop=True),
        whole[same].sort_values(keys).reset_index(drop=True),
    )
    assert len(fast) > 0


def test_standing_in_the_zone(zone: Zone) -> None:
    assert country_standing(zone, "EU27").is_member
    assert country_standing(zone, "zone").is_member
    can = country_standing(zone, "CAN")
    assert (can.is_member, can.member_of, can.countries) == (False, None, ("CAN",))
    assert can.note is not None
    assert can.note.startswith("CAN is a candidate, not a member of the zone")
    assert "CHN" in can.note
    deu = country_standing(zone, "DEU")
    assert (deu.is_member, deu.member_of) == (False, "EU27")
    assert deu.note is not None
    assert "member state of EU27" in deu.note
    ind = country_standing(zone, "IND")
    assert ind.note is not None
    assert ind.note.startswith("IND is not a member of the zone")
    for bad in ("CHN", "XYZ"):
        with pytest.raises(ValidationError, match=bad):
            country_standing(zone, bad)


def test_table_and_member_rows_carry_the_same_figures(network: SupplyNetwork, zone: Zone) -> None:
    table = dependence_rows(network, zone, member="CAN", mineral=MINERAL, year=YEAR)
    assert list(table.columns) == COUNTRY_TABLE_COLUMNS
    assert set(table["member"]) == {"CAN"}
    profile = country_member_rows(network, zone, "CAN")
    assert list(profile.columns) == MEMBER_COLUMNS
    hit = profile[
        (profile["mineral"] == MINERAL) & (profile["stage"] == STAGE) & (profile["year"] == YEAR)
    ].iloc[0]
    row = table[table["stage"] == STAGE].iloc[0]
    for a, b in [
        ("import_reliance", "import_reliance"),
        ("china_import_share", "china_import_share_value"),
        ("intra_zone_share", "intra_zone_share"),
        ("import_hhi", "import_hhi"),
        ("imports_value_usd", "imports_value_usd"),
    ]:
        assert hit[a] == pytest.approx(row[b], rel=1e-12), a
    assert profile["mineral"].nunique() > 30
    # a member's table has the same columns, bounds included
    eu27 = dependence_rows(network, zone, member="EU27", mineral=MINERAL, year=YEAR)
    assert list(eu27.columns) == COUNTRY_TABLE_COLUMNS


def test_the_usa_outside_a_zone_keeps_usgs_salient_balance(
    network: SupplyNetwork, zone: Zone
) -> None:
    members = {m: c for m, c in zone.members.items() if m != "USA"}
    without = Zone(name="without the USA", members=members, rivals=zone.rivals)
    outside = dependence_rows(network, without, member="USA", mineral="aluminum")
    inside = dependence_rows(network, zone, member="USA", mineral="aluminum")
    cols = ["stage", "year", "import_reliance", "import_reliance_min", "import_reliance_max"]
    pd.testing.assert_frame_equal(outside[cols], inside[cols])
    assert outside["import_reliance"].notna().any()
