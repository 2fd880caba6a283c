"""The ``prices`` table: USGS MCS salient prices and the World Bank Pink Sheet, as published."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from friendshore._core.errors import DataError, ValidationError
from friendshore.data import imports, queries
from friendshore.data.price_series import (
    USD_PER_T,
    prices_from_salient,
    read_price_series,
    wb_rules,
)
from friendshore.data.readers import pinksheet
from friendshore.data.readers.usgs_salient import read_salient_dir
from friendshore.data.resources import bundled_path
from friendshore.data.store import query
from pinksheet_helpers import PINK, patched_pinksheet


@pytest.fixture
def store_copy(store_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, target)
    return target


# --------------------------------------------------------------------------- Pink Sheet


def test_pink_sheet_annual_averages_match_the_world_banks_2023_figures(store_path: Path) -> None:
    annual = queries.annual_prices(store_path, source="wb", from_year=2023)
    got = annual[annual["year"] == 2023].set_index("series")
    # World Bank, CMO annual averages 2023 (US$/t): copper 8,490, nickel 21,521, aluminium 2,256
    assert round(got.loc["wb:COPPER", "value"]) == 8490
    assert round(got.loc["wb:NICKEL", "value"]) == 21521
    assert round(got.loc["wb:ALUMINUM", "value"]) == 2256
    assert got.loc["wb:COPPER", "value"] == pytest.approx(8490.290833, rel=1e-9)
    assert (got.loc[["wb:COPPER", "wb:NICKEL", "wb:ALUMINUM"], "months"] == 12).all()
    assert got.loc["wb:PHOSROCK", "months"] == 11  # one month is "…" in the sheet
    assert got.loc["wb:NICKEL", "usd_per_t"] == got.loc["wb:NICKEL", "value"]  # $/mt
    assert got.loc["wb:NICKEL", "release"] == "CMO 2025-12"
    # 2025 runs to November in this release
    assert int(annual.set_index(["series", "year"]).loc[("wb:COPPER", 2025), "months"]) == 11


def test_pink_sheet_reader_keeps_the_concordance_series_with_units() -> None:
    frame = pinksheet.read_pinksheet_bundled()["prices"]
    assert set(frame["series"]) == {r.series for r in wb_rules().values()}
    units = frame.groupby("series")["unit"].agg(set)
    assert units["wb:GOLD"] == {"$/troy oz"}
    assert units["wb:IRON_ORE"] == {"$/dmtu"}
    assert units["wb:COPPER"] == {"$/mt"}
    first = frame[(frame["series"] == "wb:NICKEL")].iloc[0]
    assert (first["year"], first["month"], first["value"]) == (1960, 1, 1631.0)
    assert (first["line"], first["column"]) == (8, 68)  # Excel row 8, column BP
    gold = frame[(frame["series"] == "wb:GOLD") & (frame["year"] == 2023) & (frame["month"] == 1)]
    assert gold["usd_per_t"].iloc[0] == pytest.approx(gold["value"].iloc[0] * 32150.747)


def test_iron_ore_contract_prices_before_2006_have_no_tonne_price() -> None:
    frame = pinksheet.read_pinksheet_bundled()["prices"]
    ore = frame[frame["series"] == "wb:IRON_ORE"]
    assert ore.loc[ore["year"] < 2006, "usd_per_t"].isna().all()
    spot = ore[ore["year"] >= 2006]
    assert spot["usd_per_t"].notna().all()
    assert (spot["usd_per_t"] == spot["value"]).all()


def test_release_is_read_from_the_updated_on_line() -> None:
    grid = [["World Bank Commodity Price Data"], ["Updated on January 06, 2026"]]
    assert pinksheet.infer_release(grid, file="x.xlsx") == "CMO 2026-01"
    with pytest.raises(DataError, match="Updated on"):
        pinksheet.infer_release([["no date"]], file="x.xlsx")


def test_unknown_pink_sheet_unit_names_file_line_and_column(tmp_path: Path) -> None:
    bad = patched_pinksheet(tmp_path / "CMO-bad-unit.xlsx", {"BP6": "($/zz)"})
    with pytest.raises(DataError, match=r"unknown unit '\(\$/zz\)'") as err:
        pinksheet.read_pinksheet(bad)
    assert err.value.file == "CMO-bad-unit.xlsx:Monthly Prices"
    assert err.value.line == 6
    assert err.value.field == "NICKEL (column BP)"


def test_a_cell_that_is_not_a_number_names_file_line_and_column(tmp_path: Path) -> None:
    bad = patched_pinksheet(tmp_path / "CMO-bad-cell.xlsx", {"BP764": "n.q."})
    with pytest.raises(DataError, match="not a number") as err:
        pinksheet.read_pinksheet(bad)
    assert (err.value.line, err.value.field) == (764, "NICKEL (column BP)")


def test_a_missing_series_code_is_header_drift(tmp_path: Path) -> None:
    bad = patched_pinksheet(tmp_path / "CMO-drift.xlsx", {"BP7": "NICKEL_LME"})
    with pytest.raises(DataError, match="NICKEL not in the codes row") as err:
        pinksheet.read_pinksheet(bad)
    assert err.value.line == 7


def test_a_broken_pink_sheet_import_leaves_the_store_unchanged(
    store_copy: Path, tmp_path: Path
) -> None:
    before = query(store_copy, "SELECT count(*) AS n, sum(value) AS s FROM prices")
    sources = query(store_copy, "SELECT count(*) AS n FROM sources")
    bad = patched_pinksheet(
        tmp_path / "CMO-Historical-Data-Monthly.xlsx",
        {"A4": "Updated on January 06, 2026", "BP764": "n.q."},
    )
    with pytest.raises(DataError, match="line 764"):
        imports.import_pinksheet(store_copy, bad)
    pd.testing.assert_frame_equal(
        query(store_copy, "SELECT count(*) AS n, sum(value) AS s FROM prices"), before
    )
    pd.testing.assert_frame_equal(query(store_copy, "SELECT count(*) AS n FROM sources"), sources)
    assert (
        query(store_copy, "SELECT count(*) AS n FROM prices WHERE release = 'CMO 2026-01'")[
            "n"
        ].iloc[0]
        == 0
    )


def test_a_newer_pink_sheet_wins_per_month(store_copy: Path, tmp_path: Path) -> None:
    newer = patched_pinksheet(
        tmp_path / "CMO-Historical-Data-Monthly.xlsx",
        {"A4": "Updated on January 06, 2026", "BP764": 30000.0},
    )
    counts = imports.import_pinksheet(store_copy, newer)
    assert counts["prices"] > 8000
    nickel = queries.read_prices(store_copy, series="wb:NICKEL", from_year=2023)
    jan = nickel[(nickel["year"] == 2023) & (nickel["month"] == 1)]
    assert len(jan) == 1
    assert (jan["value"].iloc[0], jan["release"].iloc[0]) == (30000.0, "CMO 2026-01")
    assert jan["file"].iloc[0] == "[import] CMO-Historical-Data-Monthly.xlsx:Monthly Prices"
    files = query(store_copy, "SELECT files FROM sources WHERE release = 'CMO 2026-01'")
    assert files["files"].iloc[0] == "[import] CMO-Historical-Data-Monthly.xlsx"


# --------------------------------------------------------------------------- USGS salient


def _usgs(store: Path, series: str) -> pd.DataFrame:
    return queries.read_prices(store, series=series).set_index("year")


def test_usgs_mcs2025_prices_as_published(store_path: Path) -> None:
    cobalt = _usgs(store_path, "usgs:cobal:Spot:dlb")
    lithium = _usgs(store_path, "usgs:lithi:dt")
    gallium = _usgs(store_path, "usgs:galli:High-purity:dkg")
    # MCS2025 salient files (mcs2025-cobal, -lithium, -galli): 2023 and 2024 (estimated)
    assert list(cobalt.loc[[2023, 2024], "value"]) == [17.2, 17.0]
    assert list(lithium.loc[[2023, 2024], "value"]) == [41300.0, 14000.0]
    assert list(gallium.loc[[2023, 2024], "value"]) == [450.0, 500.0]
    for frame in (cobalt, lithium, gallium):
        assert set(frame.loc[[2023, 2024], "release"]) == {"MCS2025"}
        assert frame.loc[2024, "status"] == "estimated"
    assert lithium.loc[2024, "basis"] == "Li2CO3 (product)"
    assert lithium.loc[2024, "mineral_id"] == "lithium"
    assert gallium.loc[2023, "stage"] == "processing"


def test_unit_conversions_to_usd_per_tonne(store_path: Path) -> None:
    cobalt = _usgs(store_path, "usgs:cobal:Spot:dlb")  # US$ per pound
    assert cobalt.loc[2023, "usd_per_t"] == pytest.approx(17.2 * 2204.6226)
    copper = _usgs(store_path, "usgs:coppe:LME:ctslb")  # US cents per pound
    assert copper.loc[2023, "usd_per_t"] == pytest.approx(copper.loc[2023, "value"] * 22.046226)
    assert copper.loc[2023, "usd_per_t"] == pytest.approx(8484, abs=1)  # 384.8 ¢/lb
    gallium = _usgs(store_path, "usgs:galli:High-purity:dkg")  # US$ per kilogram
    assert gallium.loc[2023, "usd_per_t"] == pytest.approx(450_000)
    platinum = _usgs(store_path, "usgs:plati:Platinum:dto")
    assert platinum.loc[2023, "usd_per_t"] == pytest.approx(973.0 * 32150.747)
    nitrogen = _usgs(store_path, "usgs:nitro:-:dst")
    assert (nitrogen["usd_per_t"] == nitrogen["value"] * 1.102311).all()
    steel = queries.read_prices(store_path, mineral="iron_and_steel")
    assert set(steel["unit"]) == {"index"}
    assert steel["usd_per_t"].isna().all()
    assert USD_PER_T["df"] == pytest.approx(29.00821)  # a 76-lb flask is 34.473 kg


def test_units_corrected_by_the_concordance(store_path: Path) -> None:
    tungsten = _usgs(store_path, "usgs:tungs:WO3:dt")  # US$ per mtu of WO3 (7.93 kg W)
    assert tungsten.loc[2024, "value"] == 250.0
    assert tungsten.loc[2024, "usd_per_t"] == pytest.approx(250 / 0.00793)
    assert tungsten.loc[2024, "basis"] == "contained W"
    assert "metric ton unit" in tungsten.loc[2024, "note"]
    manganese = _usgs(store_path, "usgs:manga:CN_CIF:dt")  # US$ per mtu of Mn
    assert manganese.loc[2024, "usd_per_t"] == pytest.approx(580.0)
    every = query(
        store_path,
        "SELECT release, year, value, unit, usd_per_t FROM prices "
        "WHERE series = 'usgs:selen:US' ORDER BY year, release",
    )
    mcs2024 = every[(every["release"] == "MCS2024") & (every["year"] == 2022)].iloc[0]
    assert (mcs2024["unit"], mcs2024["value"]) == ("dlb", 23.0)
    assert mcs2024["usd_per_t"] == pytest.approx(23_000)  # its "dlb" is $/kg
    mcs2023 = every[(every["release"] == "MCS2023") & (every["year"] == 2020)].iloc[0]
    assert mcs2023["usd_per_t"] == pytest.approx(6.61 * 2204.6226)


def test_newest_edition_wins_and_every_edition_is_stored(store_path: Path) -> None:
    every = query(
        store_path,
        "SELECT release, value FROM prices WHERE series = 'usgs:lithi:dt' AND year = 2022",
    ).set_index("release")["value"]
    assert every.to_dict() == {"MCS2023": 37000.0, "MCS2024": 68100.0, "MCS2025": 71100.0}
    assert _usgs(store_path, "usgs:lithi:dt").loc[2022, "value"] == 71100.0
    latest = queries.read_prices(store_path)
    assert not latest.duplicated(["series", "year", "month"]).any()
    # the nickel price in $/lb repeats the $/t column: dropped by the concordance
    assert not latest["series"].str.contains("nicke").any() or set(
        latest.loc[latest["series"].str.startswith("usgs:nicke"), "unit"]
    ) == {"dt"}


def test_unknown_salient_price_suffix_fails_with_file_line_column(tmp_path: Path) -> None:
    folder = tmp_path / "mcs"
    folder.mkdir()
    (folder / "mcs2025-cobal_salient.csv").write_text(
        "DataSource,Commodity,Year,Price_Spot_zz\nMCS2025,Cobalt,2024,17\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="unknown unit suffix 'zz'") as err:
        read_salient_dir(folder)
    assert err.value.file == "mcs2025-cobal_salient.csv"
    assert (err.value.line, err.value.field) == (1, "Price_Spot_zz (column 4)")


def test_a_price_row_with_an_unknown_unit_fails_with_file_line_column() -> None:
    row = {
        "usgs_key": "cobal",
        "mineral_id": "cobalt",
        "commodity": "Cobalt",
        "year": 2024,
        "field": "Price_Spot_mt",
        "component": "price",
        "form": "Spot",
        "unit": "Mt",
        "quantity": 17.0,
        "note": None,
        "status": "estimated",
        "release": "MCS2025",
        "file": "mcs2025-cobal_salient.csv",
        "line": 6,
        "column": 10,
    }
    with pytest.raises(DataError, match="unknown price unit 'Mt'") as err:
        prices_from_salient(pd.DataFrame([row]))
    assert (err.value.file, err.value.line) == ("mcs2025-cobal_salient.csv", 6)
    assert err.value.field == "Price_Spot_mt (column 10)"


def test_concordance_rules_are_unique_and_valid() -> None:
    rules = read_price_series()
    assert len({(r.source, r.key, r.form, r.unit, r.release) for r in rules}) == len(rules)
    wb = {r.series for r in rules if r.source == "wb"}
    assert wb == {
        f"wb:{c}"
        for c in (
            "ALUMINUM",
            "COPPER",
            "LEAD",
            "TIN",
            "NICKEL",
            "ZINC",
            "IRON_ORE",
            "GOLD",
            "SILVER",
            "PLATINUM",
            "PHOSROCK",
            "POTASH",
        )
    }


# --------------------------------------------------------------------------- provenance


def test_every_price_row_traces_to_its_cell(store_path: Path) -> None:
    frame = query(store_path, 'SELECT source, file, line, "column", value FROM prices')
    assert frame[["file", "line", "column"]].notna().all().all()
    assert (frame["line"] > 0).all()
    # a Pink Sheet row: the workbook cell at (line, column) holds the value
    wb = frame[frame["source"] == "World Bank Pink Sheet"].sample(20, random_state=1)
    rows = (
        CalamineWorkbook.from_path(str(PINK))
        .get_sheet_by_name("Monthly Prices")
        .to_python(skip_empty_area=False)
    )
    for rec in wb.itertuples():
        assert rows[rec.line - 1][rec.column - 1] == rec.value
    # a USGS row: the CSV cell at (line, column) holds the value as written
    usgs = frame[frame["file"] == "usgs_mcs2024/salient/mcs2024-lithi_salient.csv"]
    text = bundled_path("usgs_mcs2024", "salient", "mcs2024-lithi_salient.csv").read_text(
        encoding="utf-8-sig"
    )
    lines = list(csv.reader(io.StringIO(text)))
    for rec in usgs.itertuples():
        assert float(lines[rec.line - 1][rec.column - 1].replace(",", "")) == rec.value


def test_sources_table_names_the_pink_sheet(store_path: Path) -> None:
    row = query(store_path, "SELECT * FROM sources WHERE source = 'World Bank Pink Sheet'")
    assert list(row["release"]) == ["CMO 2025-12"]
    assert row["licence"].iloc[0] == "CC BY 4.0"


# --------------------------------------------------------------------------- filters


def test_filters_and_unknown_mineral(store_path: Path) -> None:
    nickel = queries.annual_prices(store_path, mineral="nickel", stage="processing")
    assert set(nickel["series"]) == {"usgs:nicke:LME:dt", "wb:NICKEL"}
    assert nickel.loc[nickel["series"] == "usgs:nicke:LME:dt", "months"].isna().all()
    assert "month" not in nickel.columns
    assert list(queries.read_prices(store_path, source="usgs")["source"].unique()) == ["USGS MCS"]
    with pytest.raises(ValidationError, match="unknown mineral 'unobtainium'"):
        queries.read_prices(store_path, mineral="unobtainium")
    with pytest.raises(ValidationError, match="unknown stage"):
        queries.annual_prices(store_path, stage="smelting")
    assert queries.read_prices(store_path, mineral="helium").empty


# --------------------------------------------------------------------------- unit values


def test_unit_values_and_their_coverage_for_lithium_carbonate(store_path: Path) -> None:
    flows = queries.read_unit_values(store_path, hs6=["283691"], years=[2023])
    assert flows[["exporter", "importer"]].notna().all().all()
    with_q = flows["quantity_t"] > 0
    assert (
        flows.loc[with_q, "unit_value_usd_per_t"]
        == flows.loc[with_q, "value_usd"] / flows.loc[with_q, "quantity_t"]
    ).all()
    assert flows.loc[~with_q | flows["quantity_t"].isna(), "unit_value_usd_per_t"].isna().all()
    cover = queries.unit_value_coverage(store_path, hs6=["283691"], years=[2023]).iloc[0]
    assert (cover["rows"], cover["rows_without_quantity"]) == (724, 33)
    assert cover["rows"] == len(flows)
    assert cover["rows_without_quantity"] == flows["unit_value_usd_per_t"].isna().sum()
    assert cover["share_without_quantity"] == pytest.approx(33 / 724)
    assert cover["value_usd"] == pytest.approx(flows["value_usd"].sum())
    assert cover["value_without_quantity_usd"] == pytest.approx(6886.0)
