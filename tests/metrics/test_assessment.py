"""The assessment: every metric together, its JSON schema, membership what-ifs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import friendshore as fs
from friendshore.metrics.assessment import (
    MEMBERSHIP_METRICS,
    SUMMARY_COLUMNS,
    Assessment,
    assess,
    membership_change,
    summary_records,
)
from friendshore.metrics.concentration import concentration
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

REQUIRED_KEYS = {
    "mineral",
    "stage",
    "year",
    "world_quantity_t",
    "china_share",
    "top3_share",
    "hhi",
    "zone_production_share",
    "zone_reserves_share",
    "zone_self_sufficiency",
    "supply_risk",
    "geopolrisk",
    "coverage",
    "members",
}


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def result(network: SupplyNetwork) -> Assessment:
    return assess(network, default_zone())


def test_summary_has_one_row_per_series_in_the_documented_columns(result: Assessment) -> None:
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    keys = result.summary[["mineral", "stage", "product"]]
    assert not keys.duplicated().any()
    assert result.year == 2024  # the IEA 2025 edition's base year
    assert set(result.summary["stage"]) == {"mining", "processing"}


def test_summary_reuses_the_concentration_metric(
    result: Assessment, network: SupplyNetwork
) -> None:
    rows, totals = network.default_production()
    conc = concentration(rows, totals).rename(columns={"mineral_id": "mineral"})
    merged = result.summary.merge(conc, on=["mineral", "stage", "product", "year", "source"])
    assert len(merged) == len(result.summary)
    pd.testing.assert_series_equal(
        merged["china_share_x"], merged["china_share_y"], check_names=False
    )


def test_rare_earth_mining_record(result: Assessment) -> None:
    records = {(r["mineral"], r["stage"], r["product"]): r for r in summary_records(result)}
    ree = records[("rare_earths", "mining", None)]
    assert ree["year"] == 2023
    assert ree["china_share"] == pytest.approx(240_000 / 350_000)
    assert ree["world_quantity_t"] == 350_000
    assert ree["zone_production_share"] == pytest.approx(43_000 / 350_000)  # only the US mines
    assert ree["zone_reserves_share"] == pytest.approx(1_800_000 / 110_000_000)
    assert ree["hhi_band"] == "highly concentrated"
    assert [m["member"] for m in ree["members"]] == ["USA", "MEX", "EU27", "JPN"]
    magnets = records[("rare_earths", "processing", "magnet REE (Nd, Pr, Tb, Dy)")]
    assert magnets["source"] == "IEA CMDE"
    assert magnets["china_share"] == pytest.approx(0.91, abs=0.005)  # IEA 2025 edition


def test_json_records_follow_the_schema(result: Assessment) -> None:
    records = summary_records(result)
    json.dumps(records)  # serialisable: no NaN, no numpy scalars
    assert len(records) == len(result.summary)
    for rec in records:
        assert set(rec) >= REQUIRED_KEYS, rec["mineral"]
        for key in ("china_share", "top3_share", "zone_production_share", "zone_reserves_share"):
            assert rec[key] is None or 0.0 <= rec[key] <= 1.0, (rec["mineral"], key)
        assert rec["hhi"] is None or 0.0 <= rec["hhi"] <= 10_000
        assert set(rec["coverage"]) == {
            "production_share_known",
            "countries",
            "withheld",
            "missing",
            "trade_content_coverage",
        }
        for member in rec["members"]:
            assert set(member) == {
                "member",
                "import_reliance",
                "china_import_share",
                "intra_zone_share",
                "import_hhi",
                "geopolrisk",
            }
            share = member["china_import_share"]
            assert share is None or 0.0 <= share <= 1.0


def test_graphite_members_use_real_trade(result: Assessment) -> None:
    records = {(r["mineral"], r["stage"], r["product"]): r for r in summary_records(result)}
    graphite = {m["member"]: m for m in records[("graphite", "mining", None)]["members"]}
    # the EU imports natural graphite mostly from China (BACI 2023, HS 2504)
    assert graphite["EU27"]["china_import_share"] > 0.3
    assert graphite["EU27"]["import_reliance"] == pytest.approx(0.9927, abs=0.001)


def test_an_empty_zone_has_no_zone_share(network: SupplyNetwork) -> None:
    empty = Zone(name="nobody", members={})
    summary = assess(network, empty).summary
    assert (summary["zone_production_share"].dropna() == 0).all()
    assert summary["zone_production_share"].notna().any()


def test_membership_of_australia_raises_zone_shares(network: SupplyNetwork) -> None:
    change = membership_change(network, default_zone(), candidate="AUS")
    assert set(change["metric"]) <= set(MEMBERSHIP_METRICS)
    # US lithium output is withheld: the zone share is unknown, its lower bound is not
    lithium = change[
        (change["metric"] == "zone_production_share_min")
        & (change["mineral"] == "lithium")
        & (change["stage"] == "mining")
    ].iloc[0]
    # Australia mined 86,000 t of the world's 180,000 t of lithium in 2023 (MCS 2024)
    assert lithium["change"] == pytest.approx(86_000 / 180_000, abs=0.01)
    for metric in ("zone_production_share", "zone_production_share_min"):
        assert (change.loc[change["metric"] == metric, "change"].dropna() >= 0).all()


def test_library_entry_point_matches(store_path: Path, result: Assessment) -> None:
    again = fs.assess(store=store_path)
    pd.testing.assert_frame_equal(again.summary, result.summary)


def test_usgs_and_iea_are_both_shown_where_they_overlap(result: Assessment) -> None:
    comp = result.source_comparison
    copper = comp[(comp["mineral"] == "copper") & (comp["stage"] == "processing")]
    copper = copper[copper["year"] == 2023].set_index("source")
    assert set(copper.index) == {"USGS MCS", "IEA CMDE"}
    assert copper.loc["USGS MCS", "default"]
    assert not copper.loc["IEA CMDE", "default"]
    # USGS MCS 2024: 27 Mt of refined copper; IEA 2024 edition: 26,336 kt
    assert copper.loc["USGS MCS", "world_quantity_t"] == 27_000_000
    assert copper.loc["IEA CMDE", "world_quantity_t"] == pytest.approx(26_336_200)
    # the IEA lists only top producers: China absent from cobalt mining is unknown, not 0
    cobalt = comp[(comp["mineral"] == "cobalt") & (comp["stage"] == "mining")]
    iea = cobalt[(cobalt["source"] == "IEA CMDE") & (cobalt["year"] == 2023)]
    assert iea["china_share"].isna().all()
