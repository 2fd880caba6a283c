"""USGS Mineral Commodity Summaries reader, on the bundled 2022-2024 data releases.

Published figures checked here (MCS2024 PDF tables agree with the data release):
China's 2023 rare-earth mine production 240,000 t REO (estimate), world 350,000 t;
Chile's 2022 copper mine production 5,330 kt; South Africa's 2022 platinum
mine production 124,000 kg; Japan's gallium 3,000 kg.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from friendshore._core.errors import DataError, UnknownCountryError
from friendshore.data.countries import read_countries
from friendshore.data.readers.usgs_mcs import (
    CHECK_UNIT_FROM_NOTE,
    SOURCE,
    UNIT_FIXES,
    UNITS,
    Measure,
    parse_note_unit,
    parse_usgs_label,
    parse_usgs_value,
    read_import_sources,
    read_net_import_reliance,
    read_usgs_mcs_bundled,
    read_usgs_mcs_dir,
    read_usgs_world,
)
from friendshore.data.resources import bundled_path
from friendshore.data.schema import columns

RAREE_2024 = bundled_path("usgs_mcs2024", "world", "mcs2024-raree_world.csv")
MANGA_2022 = bundled_path("usgs_mcs2022", "manganese_mcs2022-manga_world.csv")
CHROM_2023 = bundled_path("usgs_mcs2023", "world", "mcs2023-chrom_world.csv")
CHROM_2024 = bundled_path("usgs_mcs2024", "world", "mcs2024-chrom_world.csv")
CHROM_2023_FILE = "usgs_mcs2023/world/mcs2023-chrom_world.csv"
SELEN_2024_FILE = "usgs_mcs2024/world/mcs2024-selen_world.csv"
TALC_2024_FILE = "usgs_mcs2024/world/mcs2024-talc_world.csv"
#: The unit token of a value column name (Prod_t_est_2022 -> t, Reserves_ore_kt -> kt).
HEADER_UNIT = re.compile(
    r"(?i)(?:prod|cap|reserves)_(?:\w+?_)?(kg|t|kt|mt|mmt|mct|kct|mcm)(?:_est)?(?:_\d{4})?"
)
VALUE_COLUMN = re.compile(r"(?i)(prod|cap|reserves)_(?!notes?$)")
MEASURE_TABLES = ("production", "reserves", "capacity", "aggregates")


@pytest.fixture(scope="module")
def mcs() -> dict[str, pd.DataFrame]:
    return read_usgs_mcs_bundled()


def world_files() -> list[Path]:
    root = bundled_path()
    return sorted(root.glob("usgs_mcs2022/*_world.csv")) + sorted(
        root.glob("usgs_mcs202[34]/world/*_world.csv")
    )


def raw_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and non-blank data rows (with their line) read with the csv module alone."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [(i, r) for i, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, value in where.items():
        mask &= frame[col] == value
    rows = frame[mask]
    assert len(rows) == 1, f"{len(rows)} rows for {where}"
    return rows.iloc[0]


# --------------------------------------------------------------------------- published figures


def test_china_rare_earths_2023_is_the_published_estimate(mcs: dict[str, pd.DataFrame]) -> None:
    row = one(mcs["production"], mineral_id="rare_earths", country="CHN", year=2023)
    assert row.quantity == 240_000
    assert row.unit == "t"
    assert row.quantity_t == 240_000
    assert row.status == "estimated"
    assert row.stage == "mining"
    assert "rare-earth-oxide" in row.basis
    assert row.release == "MCS2024"
    assert row.source == SOURCE
    assert row.file == "usgs_mcs2024/world/mcs2024-raree_world.csv"
    assert row.line == 7
    assert row.label == "China"


def test_earlier_year_is_reported_whatever_the_column_name(mcs: dict[str, pd.DataFrame]) -> None:
    # MCS2024 names the 2022 column Prod_t_est_2022, but 2022 is the reported year there;
    # MCS2023 had 2022 as its estimate. Both editions are kept.
    prod = mcs["production"]
    header, _ = raw_rows(RAREE_2024)
    assert "Prod_t_est_2022" in header
    new = one(prod, mineral_id="rare_earths", country="CHN", year=2022, release="MCS2024")
    old = one(prod, mineral_id="rare_earths", country="CHN", year=2022, release="MCS2023")
    assert (new.status, old.status) == ("reported", "estimated")
    assert new.quantity_t == old.quantity_t == 210_000


def test_kilotonnes_convert_to_tonnes(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    mine = one(
        prod, mineral_id="copper", country="CHL", year=2022, stage="mining", release="MCS2024"
    )
    assert (mine.quantity, mine.unit, mine.quantity_t) == (5330, "kt", 5_330_000)
    refinery = one(prod, mineral_id="copper", country="USA", year=2023, stage="processing")
    assert (refinery.quantity, refinery.quantity_t) == (890, 890_000)
    world = one(
        mcs["aggregates"],
        measure="production",
        mineral_id="copper",
        kind="world",
        stage="mining",
        year=2023,
    )
    assert world.quantity_t == 22_000_000


def test_kilograms_convert_to_tonnes_and_japane_is_japan(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    rows = prod[
        (prod.file == "usgs_mcs2024/world/mcs2024-galli_world.csv") & (prod.country == "JPN")
    ]
    assert set(rows.label) == {"Japan"}  # "Japane" in the file: the e is the status
    assert list(rows.sort_values("year").quantity_t) == [3.0, 3.0]
    # the "e" on the label marks the country's figures as estimates, 2022 included
    assert set(rows.status) == {"estimated"}
    assert parse_usgs_label("Japane").iso3 == "JPN"
    assert parse_usgs_label("Japane").estimated
    assert parse_usgs_label("Japane").display == "Japan"
    assert parse_usgs_label("Korea, Republic ofe").display == "Korea, Republic of"
    assert parse_usgs_label("Belgium8").display == "Belgium"
    assert parse_usgs_label("Kazakhstan, concentrate").display == "Kazakhstan, concentrate"
    assert parse_usgs_label("Other countriese").display == "Other countries"
    assert not parse_usgs_label("Greece").estimated


def test_withheld_cells_are_null_never_zero(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    germanium_us = prod[(prod.mineral_id == "germanium") & (prod.country == "USA")]
    assert set(germanium_us.release) == {"MCS2022", "MCS2023", "MCS2024"}
    assert set(germanium_us.status) == {"withheld"}
    assert germanium_us.quantity.isna().all()
    assert germanium_us.quantity_t.isna().all()
    lithium_us = prod[(prod.mineral_id == "lithium") & (prod.country == "USA")]
    assert set(lithium_us.status) == {"withheld"}
    assert len(lithium_us) == 6  # two years in each of three editions


def test_every_w_cell_becomes_one_withheld_row(mcs: dict[str, pd.DataFrame]) -> None:
    cells = 0
    for path in world_files():
        header, rows = raw_rows(path)
        for _line, row in rows:
            cells += sum(
                1
                for name, cell in zip(header, row, strict=False)
                if VALUE_COLUMN.match(name) and cell.strip() == "W"
            )
    withheld = sum(int((mcs[t].status == "withheld").sum()) for t in MEASURE_TABLES)
    assert cells == withheld == 65


def test_platinum_and_palladium_are_split(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    pgm = prod[prod.file == "usgs_mcs2024/world/mcs2024-plati_world.csv"]
    assert set(pgm.mineral_id) == {"platinum", "palladium"}
    assert one(pgm, mineral_id="platinum", country="ZAF", year=2022).quantity == 124_000
    russia = one(pgm, mineral_id="palladium", country="RUS", year=2023)
    assert (russia.quantity, russia.unit, russia.label) == (92_000, "kg", "Russia")
    agg = mcs["aggregates"]
    worlds = agg[
        (agg.file == "usgs_mcs2024/world/mcs2024-plati_world.csv")
        & (agg.kind == "world")
        & (agg.measure == "production")
        & (agg.year == 2023)
    ]
    assert dict(zip(worlds.mineral_id, worlds.quantity, strict=True)) == {
        "palladium": 210_000,
        "platinum": 180_000,
    }


def test_titanium_products_and_stages(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    ti = prod[(prod.mineral_id == "titanium") & (prod.release == "MCS2023")]
    assert set(ti["product"]) == {"ilmenite", "rutile", "sponge"}
    assert set(ti[ti["product"] == "sponge"].stage) == {"processing"}
    assert set(ti[ti["product"] != "sponge"].stage) == {"mining"}
    us = one(ti, country="USA", year=2021, product="ilmenite")
    assert us.quantity_t == 100_000
    assert "ilmenite and rutile" in us.note


def test_non_mass_units_keep_the_unit(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    diamonds = prod[prod.mineral_id == "industrial_diamond"]
    assert set(diamonds.unit) == {"mct"}
    assert diamonds.quantity.notna().any()
    assert diamonds.quantity_t.isna().all()


def test_bounds_and_estimate_markers_in_cells(mcs: dict[str, pd.DataFrame]) -> None:
    prod = mcs["production"]
    zircon_us = one(prod, mineral_id="zirconium", country="USA", year=2021)
    assert (zircon_us.quantity, zircon_us.bound) == (100, "<")
    sand = one(
        prod, mineral_id="industrial_sand_and_gravel", country="AUS", year=2022, release="MCS2024"
    )
    assert (sand.quantity, sand.status) == (5000, "estimated")  # written "e5,000"


def test_combined_country_rows_are_aggregates(mcs: dict[str, pd.DataFrame]) -> None:
    agg = mcs["aggregates"]
    combined = agg[agg.label.str.contains("United\xa0States and Canada|United States and Canada")]
    assert not combined.empty
    assert set(combined.kind) == {"other"}
    cap = mcs["capacity"]
    assert not cap.label.str.contains("and Canada").any()


# --------------------------------------------------------------------------- completeness


def test_every_label_resolves_or_is_an_aggregate() -> None:
    known = set(read_countries().iso3)
    labels = 0
    for path in world_files():
        _, rows = raw_rows(path)
        for line, row in rows:
            parsed = parse_usgs_label(row[1], file=path.name, line=line)
            labels += 1
            if parsed.kind == "country":
                assert parsed.iso3 in known, (path.name, line, row[1])
            else:
                assert parsed.iso3 is None
    assert labels > 2500


def test_nothing_is_dropped(mcs: dict[str, pd.DataFrame]) -> None:
    """Every data row with a figure (not empty, not XX) appears in a table, at its line."""
    root = bundled_path()
    expected: set[tuple[str, int]] = set()
    for path in world_files():
        header, rows = raw_rows(path)
        for line, row in rows:
            cells = [c for n, c in zip(header, row, strict=False) if VALUE_COLUMN.match(n)]
            if any(c.strip() and c.strip().upper() != "XX" for c in cells):
                expected.add((path.relative_to(root).as_posix(), line))
    got: set[tuple[str, int]] = set()
    for table in MEASURE_TABLES:
        got |= set(zip(mcs[table].file, mcs[table].line, strict=True))
    assert got == expected


def test_frames_conform_and_countries_are_iso3(mcs: dict[str, pd.DataFrame]) -> None:
    known = set(read_countries().iso3)
    for table, frame in mcs.items():
        assert list(frame.columns) == [c.name for c in columns(table)], table
        assert not frame.empty, table
    for table in ("production", "reserves", "capacity"):
        assert set(mcs[table].country) <= known
        assert set(mcs[table].status) <= {"reported", "estimated", "withheld", "missing"}
        missing = mcs[table][mcs[table].status.isin(["withheld", "missing"])]
        assert missing.quantity.isna().all()
    assert set(mcs["production"].release) == {"MCS2022", "MCS2023", "MCS2024"}


# --------------------------------------------------------------------------- checks


def test_check_rare_earths_2023_is_ok(mcs: dict[str, pd.DataFrame]) -> None:
    checks = mcs["checks"]
    row = one(
        checks,
        subject="production rare_earths mining 2023, usgs_mcs2024/world/mcs2024-raree_world.csv",
    )
    assert row.status == "ok"
    assert row.expected == 350_000
    # US 43,000 + Australia 18,000 + ... + Vietnam 600 (no "Other countries" row)
    assert row.actual == 353_320


def test_checks_flag_withheld_and_mismatches(mcs: dict[str, pd.DataFrame]) -> None:
    checks = mcs["checks"]
    lithium = one(
        checks,
        subject="production lithium mining 2020, usgs_mcs2022/lithium_mcs2022-lithi_world.csv",
    )
    assert lithium.status == "incomplete"
    assert "1 withheld" in lithium.detail
    tantalum = one(
        checks,
        subject="production tantalum mining 2022, usgs_mcs2024/world/mcs2024-tanta_world.csv",
    )
    assert (tantalum.status, tantalum.expected, tantalum.actual) == ("mismatch", 1990, 2051)
    assert set(checks.status) == {"ok", "incomplete", "mismatch"}
    assert (checks.status == "ok").sum() > (checks.status == "mismatch").sum() * 20


def test_check_leaves_out_the_us_when_the_total_excludes_it(mcs: dict[str, pd.DataFrame]) -> None:
    checks = mcs["checks"]
    row = one(
        checks, subject="production lithium mining 2022, usgs_mcs2023/world/mcs2023-lithi_world.csv"
    )
    assert row.status == "ok"
    assert "excludes the United States" in row.detail


# --------------------------------------------------------------------------- units stated in notes


def test_chromium_2023_unit_comes_from_the_note(mcs: dict[str, pd.DataFrame]) -> None:
    # MCS2023 heads chromite production Prod_t_* while every Prod_notes cell says
    # "Units are thousand metric tons"; MCS2024 (Prod_kt_*) prints India 2022 as
    # 4,000 kt and MCS2023 India 2021 as 4,250: thousand tonnes, not tonnes.
    prod = mcs["production"]
    india = one(prod, mineral_id="chromium", country="IND", year=2021, release="MCS2023")
    assert (india.quantity, india.unit, india.quantity_t) == (4250, "kt", 4_250_000)
    assert india.status == "reported"
    assert "unit kt per the file's note; column header says t" in india.note
    world = one(
        mcs["aggregates"],
        measure="production",
        mineral_id="chromium",
        kind="world",
        year=2021,
        release="MCS2023",
    )
    assert (world.unit, world.quantity_t) == ("kt", 42_200_000)
    # the MCS2024 file's header and note agree: read as before, no added note
    new = one(prod, mineral_id="chromium", country="IND", year=2022, release="MCS2024")
    assert (new.quantity, new.unit, new.quantity_t) == (4000, "kt", 4_000_000)
    assert "column header says" not in new.note
    # the two editions now agree on Finland's order of magnitude (2,200 kt e / 2,000 kt)
    fin_2023 = one(prod, mineral_id="chromium", country="FIN", year=2022, release="MCS2023")
    fin_2024 = one(prod, mineral_id="chromium", country="FIN", year=2022, release="MCS2024")
    assert (fin_2023.quantity_t, fin_2024.quantity_t) == (2_200_000, 2_000_000)
    # reserves were already kt in the header and the note: unchanged
    res = one(mcs["reserves"], mineral_id="chromium", country="IND", release="MCS2023")
    assert (res.unit, res.quantity_t) == ("kt", 100_000_000)
    assert "column header says" not in res.note


def test_unit_corrections_are_checks_rows(mcs: dict[str, pd.DataFrame]) -> None:
    checks = mcs["checks"]
    fixed = checks[checks.check_name == CHECK_UNIT_FROM_NOTE]
    assert set(fixed.subject) == {
        f"production chromium Prod_t_2021, {CHROM_2023_FILE}",
        f"production chromium Prod_t_est_2022, {CHROM_2023_FILE}",
        # UNIT_FIXES, no note (test_mcs2024_selenium_and_talc_reserves_units_are_fixed)
        f"reserves selenium Reserves_kt, {SELEN_2024_FILE}",
        f"reserves talc Reserves_t, {TALC_2024_FILE}",
    }
    assert set(fixed.status) == {"mismatch"}
    assert set(fixed.release) == {"MCS2023", "MCS2024"}
    row = one(fixed, subject=f"production chromium Prod_t_2021, {CHROM_2023_FILE}")
    assert row.detail == (
        "column Prod_t_2021 says t, the notes of 8 rows (lines 2-9) say kt: read as kt"
    )
    # with the unit fixed, the world total adds up in kt
    total = one(checks, subject=f"production chromium mining 2021, {CHROM_2023_FILE}")
    assert (total.status, total.expected, total.actual) == ("ok", 42_200, 42_200)


def test_exactly_the_chromium_2023_production_columns_are_corrected(
    mcs: dict[str, pd.DataFrame],
) -> None:
    corrected = {
        (file, table)
        for table in MEASURE_TABLES
        for file, note in zip(mcs[table].file, mcs[table].note, strict=True)
        if isinstance(note, str) and "column header says" in note
    }
    assert corrected == {
        (CHROM_2023_FILE, "production"),
        (CHROM_2023_FILE, "aggregates"),
        # UNIT_FIXES: MCS2024 selenium and talc reserves
        (SELEN_2024_FILE, "reserves"),
        (SELEN_2024_FILE, "aggregates"),
        (TALC_2024_FILE, "reserves"),
        (TALC_2024_FILE, "aggregates"),
    }
    agg = mcs["aggregates"]
    assert set(agg[agg.file == CHROM_2023_FILE].unit) == {"kt"}


@pytest.mark.parametrize(
    ("mineral", "key", "header", "unit"),
    [("selenium", "selen", "kt", "t"), ("talc", "talc", "t", "kt")],
)
def test_mcs2024_selenium_and_talc_reserves_units_are_fixed(
    mcs: dict[str, pd.DataFrame], mineral: str, key: str, header: str, unit: str
) -> None:
    # MCS2024 heads selenium reserves Reserves_kt and talc reserves Reserves_t with no
    # note to say otherwise, but its figures are those of MCS2023 and MCS2025 in the
    # other unit: UNIT_FIXES reads the whole column in the other editions' unit.
    assert UNIT_FIXES[("MCS2024", key, f"Reserves_{header}")][0] == unit
    file = f"usgs_mcs2024/world/mcs2024-{key}_world.csv"
    res = mcs["reserves"]
    for country in ("USA", "IND"):
        new = one(res, mineral_id=mineral, country=country, year=2023, release="MCS2024")
        old = one(res, mineral_id=mineral, country=country, year=2022, release="MCS2023")
        assert new.unit == old.unit == unit
        assert f"column header says {header}" in new.note
        # same order of magnitude as the edition before (reserves barely move in a year)
        assert 0.5 < new.quantity_t / old.quantity_t < 2
    # the MCS2025 world file states the unit of each commodity (UNIT_MEAS)
    world_2025 = bundled_path("usgs_mcs2025", "World_Data.zip")
    with zipfile.ZipFile(world_2025) as zf, zf.open("MCS2025_World_Data.csv") as fh:
        rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")))
    us_2025 = {
        r["COMMODITY"].strip().lower(): (r["UNIT_MEAS"], r["RESERVES_2024"])
        for r in rows
        if r["COUNTRY"].strip().startswith("United States")
    }
    unit_2025, us_reserves_2025 = us_2025[
        "selenium" if mineral == "selenium" else "talc and pyrophyllite"
    ]
    assert {"metric tons": "t", "thousand metric tons": "kt"}[unit_2025] == unit
    us = one(res, mineral_id=mineral, country="USA", year=2023, release="MCS2024")
    assert 0.5 < us.quantity / float(us_reserves_2025) < 2
    # the United States: selenium 11,000 t (MCS2023 10,000 t); talc 140,000 kt (= MCS2023)
    assert us.quantity_t == {"selenium": 11_000, "talc": 140_000_000}[mineral]
    world = one(
        mcs["aggregates"], measure="reserves", mineral_id=mineral, kind="world", release="MCS2024"
    )
    assert world.unit == unit
    # one mismatch row in checks names the column and gives the evidence
    checks = mcs["checks"]
    (detail,) = checks.loc[
        (checks.check_name == CHECK_UNIT_FROM_NOTE)
        & (checks.subject == f"reserves {mineral} Reserves_{header}, {file}"),
        "detail",
    ]
    assert detail.startswith(f"column Reserves_{header} says {header}, read as {unit} for all")
    assert "MCS2023" in detail
    assert "MCS2025" in detail


def test_unit_fix_does_not_touch_a_corrected_header(tmp_path: Path) -> None:
    # a copy of the MCS2024 selenium file whose header says Reserves_t, as the figures
    # are: read as it stands, no note, no checks row
    path = tmp_path / "mcs2024-selen_world.csv"
    path.write_text(
        "Source,Country,Type,Prod_t_est_2022,Prod_t_est_2023,Reserves_t\n"
        "MCS2024,Japan,Refinery production,710,780,0\n"
        "MCS2024,Peru,Refinery production,57,57,19000\n",
        encoding="utf-8",
    )
    out = read_usgs_world(path, release="MCS2024")
    peru = one(out["reserves"], country="PER")
    assert (peru.unit, peru.quantity_t, peru.note) == ("t", 19_000, None)
    assert not (out["checks"].check_name == CHECK_UNIT_FROM_NOTE).any()
    # the file as USGS released it (Reserves_kt) gets the fix
    path.write_text(path.read_text(encoding="utf-8").replace("Reserves_t", "Reserves_kt"))
    fixed = one(read_usgs_world(path, release="MCS2024")["reserves"], country="PER")
    assert (fixed.unit, fixed.quantity_t) == ("t", 19_000)
    # another edition's Reserves_kt is not touched
    other = one(read_usgs_world(path, release="MCS2023")["reserves"], country="PER")
    assert (other.unit, other.quantity_t) == ("kt", 19_000_000)


def note_units() -> set[tuple[str, str, str, str]]:
    """(file, notes column, unit the notes state, unit of the measure's columns)."""
    root = bundled_path()
    found: set[tuple[str, str, str, str]] = set()
    for path in world_files():
        header, rows = raw_rows(path)
        header = [h.strip() for h in header]
        for i, name in enumerate(header):
            m = re.fullmatch(r"(?i)(prod|cap|reserves)_notes?", name)
            if not m:
                continue
            measures: dict[str, Measure] = {"prod": "production", "cap": "capacity"}
            measure = measures.get(m[1].lower(), "reserves")
            units = {
                UNITS[u[1].lower()]
                for h in header
                if (u := HEADER_UNIT.fullmatch(h)) and u[0].lower().startswith(m[1].lower())
            }
            for _line, row in rows:
                unit = parse_note_unit(row[i], measure=measure)
                if unit is not None:
                    for header_unit in units:
                        found.add((path.relative_to(root).as_posix(), name, unit, header_unit))
    return found


def test_survey_of_units_stated_in_notes() -> None:
    # Every notes cell of the 2022-2024 world files that states its unit in words.
    # Only MCS2023 chromium production disagrees with its header; quantities
    # ("reserves were 22,000 tons", "more than 11,000,000 thousand metric tons",
    # "rounded to the nearest hundred thousand tons") are not unit statements.
    w23, w24 = "usgs_mcs2023/world/mcs2023-", "usgs_mcs2024/world/mcs2024-"
    assert note_units() == {
        (f"{w23}arsen_world.csv", "Prod_notes", "t", "t"),
        (f"{w23}beryl_world.csv", "Prod_notes", "t", "t"),
        (f"{w23}chrom_world.csv", "Prod_notes", "kt", "t"),
        (f"{w23}chrom_world.csv", "Reserves_notes", "kt", "kt"),
        (f"{w23}feore_world.csv", "Reserves_notes", "Mt", "Mt"),
        (f"{w23}zirco-hafni_world.csv", "Reserves_notes", "kt", "kt"),
        (f"{w24}arsen_world.csv", "Prod_note", "t", "t"),
        (f"{w24}beryl_world.csv", "Prod_note", "t", "t"),
        (f"{w24}chrom_world.csv", "Prod_note", "kt", "kt"),
        (f"{w24}chrom_world.csv", "Reserves_notes", "kt", "kt"),
        (f"{w24}feore_world.csv", "Reserves_notes", "Mt", "Mt"),
    }


def test_file_whose_note_agrees_with_its_header_is_untouched() -> None:
    out = read_usgs_world(CHROM_2024, release="MCS2024")
    assert not (out["checks"].check_name == CHECK_UNIT_FROM_NOTE).any()
    for table in ("production", "reserves", "aggregates"):
        assert set(out[table].unit) == {"kt"}
        assert not out[table].note.str.contains("column header says").any()


def chrom_2023_rows() -> list[list[str]]:
    with CHROM_2023.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_reserves_note_does_not_set_the_production_unit(tmp_path: Path) -> None:
    rows = chrom_2023_rows()
    i_prod = rows[0].index("Prod_notes")
    for row in rows[1:]:
        row[i_prod] = ""  # only "Units are thousand metric tons of …" on reserves left
    # and a production note that speaks of reserves only
    rows[3][i_prod] = "Units are thousand metric tons for reserves."
    path = write_rows(tmp_path / "mcs2023-chrom_world.csv", rows)
    out = read_usgs_world(path, release="MCS2023", file=path.name)
    india = one(out["production"], country="IND", year=2021)
    assert (india.unit, india.quantity_t) == ("t", 4250)  # the header, nothing to override it
    assert not (out["checks"].check_name == CHECK_UNIT_FROM_NOTE).any()
    assert set(out["reserves"].unit) == {"kt"}


def test_rows_without_the_note_keep_the_header_unit_and_show_up(tmp_path: Path) -> None:
    rows = chrom_2023_rows()
    i_prod = rows[0].index("Prod_notes")
    assert rows[7][1] == "Other countries"
    rows[7][i_prod] = ""
    path = write_rows(tmp_path / "mcs2023-chrom_world.csv", rows)
    out = read_usgs_world(path, release="MCS2023", file=path.name)
    other = one(out["aggregates"], measure="production", kind="other", year=2021)
    assert (other.unit, other.quantity_t) == ("t", 3620)
    checks = out["checks"]
    fixed = one(checks, subject=f"production chromium Prod_t_2021, {path.name}")
    assert fixed.status == "mismatch"
    assert fixed.detail.endswith("1 row without that note (lines 8) keep t")
    # the mixed units no longer add up to the published total
    total = one(checks, subject=f"production chromium mining 2021, {path.name}")
    assert total.status == "mismatch"


def test_note_stating_two_units_is_an_error(tmp_path: Path) -> None:
    rows = chrom_2023_rows()
    i_prod = rows[0].index("Prod_notes")
    rows[3][i_prod] += " Metric tons, gross weight."
    path = write_rows(tmp_path / "mcs2023-chrom_world.csv", rows)
    with pytest.raises(DataError) as info:
        read_usgs_world(path, release="MCS2023", file=path.name)
    assert (info.value.file, info.value.line, info.value.field) == (path.name, 4, "Prod_notes")
    assert "more than one unit" in str(info.value)


@pytest.mark.parametrize(
    ("note", "measure", "unit"),
    [
        (
            "Units are thousand metric tons, gross weight, of marketable chromite ore.",
            "production",
            "kt",
        ),
        ("Units are kilograms.", "production", "kg"),
        ("Metric tons, gross weight. Production was reported in 2021.", "production", "t"),
        (
            "Production in 2021 is also estimated. Metric tons contained beryllium based on a "
            "beryllium content of 4% from bertrandite and beryl sources.",
            "production",
            "t",
        ),
        ("Thousand metric tons, ZrO2 content.  Calculated ZrO2 content as 65%.", "reserves", "kt"),
        (
            "For Ukraine, reserves consist of the A and B categories of the Soviet reserves "
            "classification system. Crude ore, million metric tons.",
            "reserves",
            "Mt",
        ),
        ("Mine production, thousand carats of gem-quality diamond", "production", "kct"),
        ("Units are thousand metric tons of reserves.", "production", None),
        ("Units are thousand metric tons of production.", "reserves", None),
        (
            "For Australia, Joint Ore Reserves Committee-compliant or equivalent reserves "
            "were 22,000 tons.",
            "reserves",
            None,
        ),
        (
            "Recoverable ore reserves are more than 11,000,000 thousand metric tons. K2O "
            "equivalent reserves are more than 3,300,000 thousand metric tons",
            "reserves",
            None,
        ),
        (
            "Concentrate sold or used by producers. Data are rounded to the nearest hundred "
            "thousand tons to avoid disclosing company proprietary data.",
            "production",
            None,
        ),
        (
            "Only countries that produced 1 million tons of lime or more are listed.",
            "production",
            None,
        ),
        ("Mine production, bauxite, dry tons", "production", None),
        ("", "production", None),
    ],
)
def test_parse_note_unit(note: str, measure: Measure, unit: str | None) -> None:
    assert parse_note_unit(note, measure=measure) == unit


# --------------------------------------------------------------------------- critical tables


def test_critical_tables(mcs: dict[str, pd.DataFrame]) -> None:
    crit = mcs["critical_minerals"]
    assert len(crit[crit.release == "MCS2024"]) == 50
    assert set(crit.list_year) == {2022}
    assert one(crit, name="Dysprosium", release="MCS2024").mineral_id == "rare_earths"
    assert pd.isna(one(crit, name="Cesium", release="MCS2024").mineral_id)
    nir = mcs["net_import_reliance"]
    lithium = one(nir, mineral_id="lithium", year=2023)
    assert (lithium.share, lithium.bound, lithium.text) == (0.25, ">", ">25")
    gallium = one(nir, commodity="GALLIUM", year=2023)
    assert gallium.share == 1.0
    sal = mcs["critical_salient"]
    gal = one(sal, name="Gallium", field="Leading_source_precent_world")
    assert (gal.value, gal.status) == (98, "estimated")
    assert one(sal, name="Lithium", field="Primary_prod").status == "withheld"
    src = mcs["import_sources"]
    assert one(src, label="China", release="MCS2024").commodities == 24
    assert one(src, label="South Korea", release="MCS2024").country == "KOR"
    assert pd.isna(one(src, label="Europe").country)


# --------------------------------------------------------------------------- user folders


def test_read_dir_infers_release_from_file_names(tmp_path: Path) -> None:
    shutil.copy(RAREE_2024, tmp_path / "mcs2025-raree_world.csv")
    frames = read_usgs_mcs_dir(tmp_path)
    prod = frames["production"]
    assert set(prod.release) == {"MCS2025"}
    assert set(prod.file) == {"mcs2025-raree_world.csv"}
    # for MCS2025 both years of this file are before the estimate year
    assert set(prod.status) == {"reported"}
    single = read_usgs_mcs_dir(tmp_path / "mcs2025-raree_world.csv", release="MCS2024")
    pd.testing.assert_frame_equal(
        single["production"].drop(columns=["file"]),
        read_usgs_world(RAREE_2024, release="MCS2024")["production"].drop(columns=["file"]),
    )


def test_byte_order_mark_is_optional(tmp_path: Path) -> None:
    data = RAREE_2024.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    path = tmp_path / "mcs2024-raree_world.csv"
    path.write_bytes(data[3:])
    plain = read_usgs_world(path, release="MCS2024", file="x")["production"]
    bom = read_usgs_world(RAREE_2024, release="MCS2024", file="x")["production"]
    pd.testing.assert_frame_equal(plain, bom)


def test_read_dir_without_world_files_or_release(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no USGS world files"):
        read_usgs_mcs_dir(tmp_path)
    shutil.copy(RAREE_2024, tmp_path / "raree_world.csv")
    with pytest.raises(DataError, match="MCS edition"):
        read_usgs_mcs_dir(tmp_path)


# --------------------------------------------------------------------------- broken copies


def broken_copy(tmp_path: Path, lines: list[str], name: str = "mcs2024-raree_world.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def raree_lines() -> list[str]:
    return RAREE_2024.read_text(encoding="utf-8-sig").splitlines()


def raises(path: Path, *, line: int, field: str, error: type[DataError] = DataError) -> str:
    with pytest.raises(error) as info:
        read_usgs_world(path, release="MCS2024", file=path.name)
    exc = info.value
    assert (exc.file, exc.line, exc.field) == (path.name, line, field)
    message = str(exc)
    assert path.name in message
    assert f"line {line}" in message
    assert repr(field) in message
    return message


def test_wrong_delimiter(tmp_path: Path) -> None:
    rows = list(csv.reader(raree_lines()))
    path = tmp_path / "mcs2024-raree_world.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    message = raises(path, line=1, field="Source")
    assert "comma" in message


def test_missing_column(tmp_path: Path) -> None:
    rows = [r[:1] + r[2:] for r in csv.reader(raree_lines())]
    path = tmp_path / "mcs2024-raree_world.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    raises(path, line=1, field="Country")
    rows = [r[:2] + r[3:] for r in csv.reader(raree_lines())]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    raises(path, line=1, field="Type")


def test_text_in_a_numeric_field(tmp_path: Path) -> None:
    lines = raree_lines()
    assert lines[6].startswith("MCS2024,China,")
    lines[6] = lines[6].replace(",240000,", ",about 240000,")
    message = raises(broken_copy(tmp_path, lines), line=7, field="Prod_t_est_2023")
    assert "not a number" in message


def test_unknown_country(tmp_path: Path) -> None:
    lines = raree_lines()
    lines[6] = lines[6].replace("MCS2024,China,", "MCS2024,Atlantis,")
    raises(broken_copy(tmp_path, lines), line=7, field="Country", error=UnknownCountryError)


def test_duplicate_rows(tmp_path: Path) -> None:
    lines = raree_lines()
    lines.insert(7, lines[6])
    message = raises(broken_copy(tmp_path, lines), line=8, field="Prod_t_est_2022")
    assert "duplicate" in message
    assert "first on line 7" in message


def test_truncated_file(tmp_path: Path) -> None:
    data = RAREE_2024.read_bytes()
    cut = data.index(b"MCS2024,China,") + len(b"MCS2024,China,")
    path = tmp_path / "mcs2024-raree_world.csv"
    path.write_bytes(data[:cut])
    message = raises(path, line=7, field="Prod_t_est_2022")  # first column missing
    assert "truncated" in message
    # cut inside the quoted Type text
    path.write_bytes(data[: cut + 10])
    raises(path, line=7, field="Type")


def test_wrong_encoding(tmp_path: Path) -> None:
    text = MANGA_2022.read_text(encoding="utf-8-sig")
    assert "Côte d’Ivoire" in text
    path = tmp_path / "mcs2022-manga_world.csv"
    path.write_bytes(text.encode("cp1252"))
    line = text.splitlines().index(next(x for x in text.splitlines() if "Côte" in x)) + 1
    message = raises(path, line=line, field="Country")
    assert "UTF-8" in message


def test_unnamed_column_with_other_numbers(tmp_path: Path) -> None:
    lines = raree_lines()
    cells = next(csv.reader([lines[6]]))[:8]
    lines[6] = ",".join(f'"{c}"' for c in [*cells, "12345"])
    message = raises(broken_copy(tmp_path, lines), line=7, field="column 9")
    assert "without a header" in message


def test_unknown_unit_in_column_name(tmp_path: Path) -> None:
    lines = raree_lines()
    lines[0] = lines[0].replace("Prod_t_est_2023", "Prod_lb_est_2023")
    raises(broken_copy(tmp_path, lines), line=1, field="Prod_lb_est_2023")


def test_broken_critical_tables(tmp_path: Path) -> None:
    fig3 = bundled_path("usgs_mcs2024", "critical", "MCS2024_Fig3_Major_Import_Sources.csv")
    lines = fig3.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("Austria", "Atlantis")
    path = broken_copy(tmp_path, lines, name=fig3.name)
    with pytest.raises(UnknownCountryError) as info:
        read_import_sources(path, release="MCS2024", file=path.name)
    assert (info.value.line, info.value.field) == (3, "Country")
    fig2 = bundled_path("usgs_mcs2024", "critical", "MCS2024_Fig2_Net_Import_Reliance.csv")
    lines = fig2.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace(",100,", ",120,", 1)
    path = broken_copy(tmp_path, lines, name=fig2.name)
    with pytest.raises(DataError) as err:
        read_net_import_reliance(path, release="MCS2024", file=path.name)
    assert (err.value.line, err.value.field) == (2, "Net_Import_Reliance_pct_2023")


# --------------------------------------------------------------------------- value parser


def thousands(n: int) -> str:
    return f"{n:,}"


padding = st.sampled_from(["", " ", "  ", "\xa0", "\xa0\xa0\xa0\xa0 "])


@given(st.integers(min_value=0, max_value=10**13), padding, padding)
def test_value_parser_reads_thousands_separators(n: int, left: str, right: str) -> None:
    for text in (thousands(n), str(n)):
        value = parse_usgs_value(left + text + right)
        assert (value.quantity, value.kind, value.bound, value.estimated) == (
            float(n),
            "number",
            None,
            False,
        )


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from([">", "<"]), st.booleans())
def test_value_parser_keeps_bounds_and_estimates(n: int, bound: str, estimate: bool) -> None:
    text = ("e" if estimate else "") + bound + thousands(n)
    value = parse_usgs_value(text)
    assert value.quantity == n
    assert value.bound == bound
    assert value.estimated is estimate


@given(padding, padding)
def test_value_parser_withheld_and_missing(left: str, right: str) -> None:
    assert parse_usgs_value(left + "W" + right).kind == "withheld"
    assert parse_usgs_value(left + "W" + right).quantity is None
    assert parse_usgs_value(left + "NA" + right).kind == "missing"
    assert parse_usgs_value(left + "—" + right).quantity == 0


@given(st.text(max_size=20))
def test_value_parser_never_invents_a_number(text: str) -> None:
    error: DataError | None = None
    try:
        value = parse_usgs_value(text, file="f.csv", line=3, field="Prod_t_2022")
    except DataError as exc:
        error = exc
    if error is not None:
        assert (error.line, error.field) == (3, "Prod_t_2022")
        return
    assert (value.quantity is None) == (value.kind != "number")
    if value.kind == "number":
        digits = re.sub(r"\D", "", text)
        # without a digit only a dash (zero) or "Less than ½ unit" (0.5, bound "<") is a number
        assert digits or value.quantity == 0 or (value.quantity, value.bound) == (0.5, "<")


def test_value_parser_examples() -> None:
    assert parse_usgs_value("1,234").quantity == 1234
    assert parse_usgs_value("W").kind == "withheld"
    assert (parse_usgs_value(">25").quantity, parse_usgs_value(">25").bound) == (25, ">")
    assert parse_usgs_value("Less than ½ unit.").bound == "<"
    assert parse_usgs_value("Included with ilmenite").kind == "missing"
    for bad in ("1,23", "twelve", "12 t", "1.2.3"):
        with pytest.raises(DataError):
            parse_usgs_value(bad)
