"""The assessment: every metric together, its JSON schema, membership what-ifs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import friendshore as fs
from friendshore.data.catalog import read_eu_crm_2023
from friendshore.metrics.assessment import (
    MEMBERSHIP_METRICS,
    SUMMARY_COLUMNS,
    Assessment,
    assess,
    membership_change,
    summary_records,
)
from friendshore.metrics.concentration import concentration
from friendshore.metrics.shares import production_shares
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
    # MCS2025 gives 2024 (estimates): China 270,000 t, United States 45,000 t; the
    # listed rows sum to 393,950 t, above the rounded total of 390,000 t, so the
    # sum is the denominator (MCS2024's 2023: 240,000 / 43,000 / 350,000 t)
    assert ree["year"] == 2024
    assert ree["china_share"] == pytest.approx(270_000 / 393_950)
    assert ree["world_quantity_t"] == 393_950
    assert ree["zone_production_share"] == pytest.approx(45_000 / 393_950)  # only the US mines
    assert ree["zone_non_rival_supply_share"] == pytest.approx(45_000 / (393_950 - 270_000))
    # MCS2025 reserves 2024: the listed countries exceed the published 90 Mt beyond
    # its rounding, a source inconsistency: no share (MCS2024's 2023: 1.8 / 110 Mt)
    assert ree["zone_reserves_share"] is None
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
                "import_reliance_min",
                "import_reliance_max",
                "import_reliance_status",
                "import_reliance_basis",
                "import_reliance_note",
                "import_reliance_interval",
                "china_import_share",
                "intra_zone_share",
                "import_hhi",
                "geopolrisk",
            }
            shape = member["import_reliance_interval"]
            assert set(shape) == {"value", "low", "high", "width", "basis", "note"}
            # a NULL is never silent: a point, a bound, or a reason
            assert shape["low"] is not None or shape["note"], (rec["mineral"], member)
            share = member["china_import_share"]
            assert share is None or 0.0 <= share <= 1.0


def test_graphite_members_use_real_trade(result: Assessment) -> None:
    records = {(r["mineral"], r["stage"], r["product"]): r for r in summary_records(result)}
    graphite = {m["member"]: m for m in records[("graphite", "mining", None)]["members"]}
    # the EU imports natural graphite mostly from China (BACI 2024, HS 2504); its
    # mines (Austria, Germany) cover under 1% of its consumption
    assert graphite["EU27"]["china_import_share"] > 0.3
    assert graphite["EU27"]["import_reliance"] == pytest.approx(0.9939, abs=0.001)


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
    # Australia mined 88,000 t of the world's 240,000 t of lithium in 2024 (MCS 2025)
    assert lithium["change"] == pytest.approx(88_000 / 240_000, abs=0.01)
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


def test_the_rival_is_the_zones_rival(network: SupplyNetwork, result: Assessment) -> None:
    # issue 12: zone_non_rival_supply_share used China whatever the zone's rival
    # (0.007162 against 0.001673 from the second implementation). With rivals =
    # ["RUS"] every rival figure is Russia's: palladium mining 2024 (MCS2025).
    zone = Zone.from_mapping(
        {"name": "rival RUS", "members": ["USA", "MEX", "EU27", "JPN"], "rivals": ["RUS"]}
    )
    rus = assess(network, zone).summary.set_index(["mineral", "stage", "product"])
    chn = result.summary.set_index(["mineral", "stage", "product"])
    shares = production_shares(*network.default_production())
    key = ("palladium", "mining", "")
    row = rus.loc[key]
    sel = shares[
        (shares["mineral_id"] == "palladium")
        & (shares["stage"] == "mining")
        & (shares["year"] == row["year"])
    ].set_index("country")
    world = float(sel["world_quantity_t"].iloc[0])
    zone_t = float(sel.loc[sel.index.isin(list(zone.countries)), "quantity_t"].sum())
    assert row["china_share"] == pytest.approx(sel.loc["RUS", "share"])  # Russia's share
    assert row["zone_non_rival_supply_share"] == pytest.approx(
        zone_t / (world - sel.loc["RUS", "quantity_t"])
    )
    chn_t = float(sel["quantity_t"].get("CHN", 0.0))  # USGS lists every producer
    assert chn.loc[key, "zone_non_rival_supply_share"] == pytest.approx(zone_t / (world - chn_t))
    assert row["zone_non_rival_supply_share"] != chn.loc[key, "zone_non_rival_supply_share"]
    # concentration() takes the zone's rivals (several at once)
    both = concentration(*network.default_production(), rival=["CHN", "RUS"])
    both = both[(both["mineral_id"] == "palladium") & (both["year"] == row["year"])].iloc[0]
    assert both["rival"] == "CHN+RUS"
    assert both["china_share"] == pytest.approx(
        sel.loc["RUS", "share"] + float(sel["share"].get("CHN", 0.0))
    )


def _member_coverage(result: Assessment, critical: set[str]) -> pd.DataFrame:
    """Member × critical mineral × stage rows of the summary: a figure or not, and its width."""
    summary = result.summary[result.summary["mineral"].isin(critical)]
    keys = summary[["mineral", "stage", "year"]].drop_duplicates()
    members = pd.DataFrame({"member": list(result.zone.members)})
    grid = keys.merge(members, how="cross").merge(
        result.members, on=["mineral", "stage", "year", "member"], how="left"
    )
    grid["has_figure"] = grid["import_reliance"].notna() | grid["import_reliance_min"].notna()
    width = grid["import_reliance_max"] - grid["import_reliance_min"]
    grid["width"] = width.where(grid["import_reliance"].isna(), 0.0)
    return grid


#: Share of member × critical-mineral × stage rows with an import reliance (value or
#: interval) on the bundled data, per member (issue 12: at least 80% each; measured
#: 31, 29, 28 and 28 of 35, docs/assessment.md). The rows without one have no HS
#: code (ores of beryllium, cobalt, lithium, niobium, rare earths; battery graphite)
#: and a production not certainly zero, or inconsistent sources.
MEMBER_COVERAGE_FLOOR = {"USA": 0.85, "EU27": 0.80, "MEX": 0.80, "JPN": 0.80}


def test_member_import_reliance_coverage(network: SupplyNetwork, result: Assessment) -> None:
    critical = set(network.minerals.loc[network.minerals["usgs_critical_2022"], "mineral_id"])
    grid = _member_coverage(result, critical)
    share = grid.groupby("member")["has_figure"].mean()
    for member, floor in MEMBER_COVERAGE_FLOOR.items():
        assert share[member] >= floor, (member, share[member])
    # every row without a figure says why: its own note, or (a stage without trade
    # data and without a bound) the record's, which the JSON gives each member
    records = {(r["mineral"], r["stage"], r["year"]): r for r in summary_records(result)}
    for row in grid[~grid["has_figure"]].itertuples():
        member = next(
            m
            for m in records[(row.mineral, row.stage, row.year)]["members"]
            if m["member"] == row.member
        )
        assert member["import_reliance_note"], (row.mineral, row.stage, row.member)


def test_eu_critical_raw_materials_for_an_eu_zone(network: SupplyNetwork) -> None:
    # Regulation (EU) 2024/1252, Annex II, Section 2: 34 critical raw materials, 30 of
    # them in the catalog (not coking coal, hafnium, phosphorus, scandium).
    crm = read_eu_crm_2023()
    assert len(crm) == 34
    covered = crm[crm["mineral_id"] != ""]
    assert len(covered) == 30
    eu = Zone.from_mapping({"name": "EU27 alone", "members": ["EU27"], "rivals": ["CHN"]})
    summary = assess(network, eu).summary
    merged = covered.merge(
        summary, left_on=["mineral_id", "stage"], right_on=["mineral", "stage"], how="left"
    )
    merged["has_sr"] = merged["supply_risk"].notna() | merged["supply_risk_min"].notna()
    reached = merged.groupby("material")["has_sr"].any()
    # issue 12 asks for 30 of the 30 covered; the bundled data give 29. Before (20), ten
    # had none: ores without an HS code (cobalt, lithium, niobium, rare earths twice,
    # strontium) now take the global supply mix for the unknown EU sourcing (JRC 2017);
    # boron's world is bounded (U.S. withheld, no total); helium's shares are taken in
    # the source's unit (mcm); refined nickel's IEA rows exceed the IEA's own total
    # (their sum divides). Germanium remains: every 2023 figure and the world total NA
    # (MCS2024), so not even a bound on the global mix.
    assert reached.sum() >= 29
    assert set(reached[~reached].index) == {"Germanium"}
    germanium = merged[merged["material"] == "Germanium"].iloc[0]
    assert germanium["supply_risk_note"].startswith("no production shares with a WGI score")
    # ores without trade data: SR from the global supply mix, a point where the
    # recycling rate is referenced (cobalt 2024)
    cobalt = merged[merged["material"] == "Cobalt"].iloc[0]
    assert cobalt["supply_risk"] > 0
    assert "global supply mix stands in" in cobalt["supply_risk_note"]
    # refined nickel (IEA 2025 edition, 2024): an interval through IR 19–73%
    nickel = merged[merged["material"] == "Nickel – battery grade"].iloc[0]
    assert 0 < nickel["supply_risk_min"] < nickel["supply_risk_max"]
    without = merged[~merged["has_sr"]]
    assert without["supply_risk_note"].notna().all()
    # the EU's own figures where the data fix them: natural graphite (BACI 2024, HS 2504)
    graphite = merged[merged["material"] == "Natural graphite"].iloc[0]
    assert graphite["zone_import_reliance"] == pytest.approx(0.9939, abs=0.001)


def test_an_older_product_less_series_does_not_show_beside_newer_products(
    result: Assessment,
) -> None:
    # USGS silicon: MCS2023 gives one series to 2021; MCS2024/2025 split ferrosilicon
    # and silicon metal to 2024. Before, the 2021 record stood among the 2024 results.
    silicon = result.summary[result.summary["mineral"] == "silicon"]
    assert set(silicon["product"]) == {"ferrosilicon", "silicon metal"}
    assert (silicon["year"] == 2024).all()
    # every source × mineral × stage reports one year
    years = result.summary.groupby(["source", "mineral", "stage"])["year"].nunique()
    assert (years == 1).all()
