"""IEA projections in the store: published cells, units, provenance, checks, broken copies."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

import friendshore as fs
from friendshore._core.errors import DataError, ValidationError
from friendshore.cli.main import app
from friendshore.data.queries import read_projections
from friendshore.data.readers import iea
from friendshore.data.readers.iea_projections import (
    read_iea_minerals,
    read_projections_json,
    read_projections_workbook,
)
from friendshore.data.resources import bundled_path, concordance_path

WORKBOOK = bundled_path("iea", "CM_Data_Explorer_May_2024.xlsx")
JSON = bundled_path("iea", "iea.json")
WB_FILE = "iea/CM_Data_Explorer_May_2024.xlsx"
JSON_FILE = "iea/iea.json"
SHEET_1 = "1 Total demand for key minerals"
SHEET_2 = "2 Total supply for key minerals"
SHEET_31 = "3.1 Cleantech demand by tech"
SHEET_32 = "3.2 Cleantech demand by mineral"
#: worksheet XML of each sheet (workbook.xml: rIdN -> sheetN.xml)
XML = {SHEET_1: "xl/worksheets/sheet2.xml", SHEET_32: "xl/worksheets/sheet5.xml"}
XML_EV = "xl/worksheets/sheet8.xml"  # '4.3 EV'

# One published cell each: sheet, cell, and what the row must say about it. Cells
# cover every sheet read, each scenario, base years, an alternative case, the
# share row, a mineral the catalog lacks and a single rare-earth element.
WORKBOOK_CELLS: list[tuple[str, str, dict[str, Any]]] = [
    (SHEET_1, "R66", {"kind": "demand", "mineral_id": "graphite", "scenario": "NZE", "year": 2040,
                      "sector": "Total clean technologies"}),
    (SHEET_1, "B8", {"kind": "demand", "mineral_id": "copper", "scenario": "APS", "year": 2023,
                     "sector": "Solar PV", "status": "observed"}),
    (SHEET_1, "F17", {"kind": "demand", "mineral_id": "copper", "scenario": "STEPS",
                      "year": 2040, "sector": "Total demand"}),
    (SHEET_1, "N59", {"kind": "demand", "mineral_id": "rare_earths", "scenario": "APS",
                      "year": 2050, "sector": "Total demand"}),
    (SHEET_1, "Q37", {"kind": "demand", "mineral_id": "lithium", "scenario": "NZE",
                      "year": 2035, "sector": "Total demand"}),
    (SHEET_1, "H27", {"kind": "demand", "mineral_id": "cobalt", "scenario": "STEPS",
                      "year": 2050, "sector": "Other uses"}),
    (SHEET_1, "L69", {"kind": "demand", "mineral_id": "graphite", "scenario": "APS",
                      "year": 2040, "sector": "Share of clean technologies in total demand",
                      "unit": "fraction"}),
    (SHEET_2, "B7", {"kind": "supply", "mineral_id": "copper", "stage": "mining",
                     "country": "CHL", "year": 2023, "status": "observed"}),
    (SHEET_2, "K14", {"kind": "supply", "mineral_id": "copper", "stage": "processing",
                      "row_type": "total", "year": 2040, "status": "projection"}),
    (SHEET_31, "J21", {"kind": "cleantech_demand", "mineral_id": "copper", "scenario": "APS",
                       "year": 2030, "sector": "Total clean technologies"}),
    (SHEET_31, "E96", {"kind": "cleantech_demand", "element": "Nd", "scenario": "STEPS",
                       "year": 2035, "sector": "Electric vehicles"}),
    (SHEET_31, "S34", {"kind": "cleantech_demand", "iea_mineral": "Battery-grade graphite",
                       "scenario": "NZE", "year": 2045, "sector": "Grid battery storage"}),
    (SHEET_32, "R14", {"kind": "cleantech_demand", "iea_mineral": "Battery-grade graphite",
                       "scenario": "NZE", "year": 2040}),
    (SHEET_32, "B25", {"kind": "cleantech_demand", "iea_mineral": "PGMs (other than iridum)",
                       "mineral_id": None, "scenario": "STEPS", "year": 2023}),
    (SHEET_32, "T45", {"kind": "cleantech_demand", "iea_mineral": "Total", "scenario": "NZE",
                       "year": 2050}),
    (SHEET_32, "M34", {"kind": "cleantech_demand", "mineral_id": "vanadium", "scenario": "APS",
                       "year": 2045}),
    ("4.1 Solar PV", "K48", {"technology": "Solar PV", "mineral_id": "gallium", "year": 2035,
                             "case": "Wider adoption of Ga-As technology", "scenario": "APS"}),
    ("4.2 Wind", "P30", {"technology": "Wind", "element": "Nd", "scenario": "NZE", "year": 2030,
                         "case": "Constrained rare earth elements supply"}),
    ("4.3 EV", "F40", {"technology": "Electric vehicles", "mineral_id": "graphite",
                       "case": "Wider use of silicon-rich anodes", "scenario": "STEPS",
                       "year": 2040}),
    ("4.3 EV", "B85", {"technology": "Electric vehicles", "mineral_id": "graphite",
                       "case": "Limited battery size reduction", "scenario": "NZE",
                       "year": 2023, "status": "observed"}),
    ("4.4 Battery storage", "H15", {"technology": "Grid battery storage", "scenario": "STEPS",
                                    "mineral_id": "vanadium", "year": 2050}),
    ("4.5 Electricity networks", "E12", {"technology": "Electricity networks", "year": 2035,
                                         "case": "Wider direct current (DC) technology "
                                         "development", "scenario": "STEPS"}),
    ("4.6 Hydrogen", "S14", {"technology": "Hydrogen technologies", "element": "Y",
                             "scenario": "NZE", "year": 2045}),
]  # fmt: skip

JSON_CELLS: list[tuple[str, dict[str, Any]]] = [
    ("totalDemand/Graphite/totalClean/NZE/2040", {"kind": "demand", "scenario": "NZE"}),
    ("totalDemand/Graphite/sectors/Electric vehicles/NZE/2040", {"sector": "Electric vehicles"}),
    ("totalDemand/Copper/cleanShare/APS/2030", {"unit": "fraction"}),
    ("cleantechByMineral/Total REE/2024", {"mineral_id": "rare_earths", "scenario": "APS"}),
    ("cleantechByTech/PGMs/sectors/Hydrogen technologies/APS/2035", {"mineral_id": None}),
    (
        "byTechnology/Electric vehicles/minerals/Battery-grade graphite/STEPS/2030",
        {"kind": "technology_demand", "mineral_id": "graphite", "case": "Base case"},
    ),
    ("supply/Lithium/refining/total/2035", {"kind": "supply", "stage": "processing"}),
]


def _address(cell: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 address."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match
    col = 0
    for ch in match[1]:
        col = col * 26 + ord(ch) - 64
    return int(match[2]) - 1, col - 1


@pytest.fixture(scope="module")
def book() -> CalamineWorkbook:
    return CalamineWorkbook.from_path(str(WORKBOOK))


def _raw(book: CalamineWorkbook, sheet: str, cell: str) -> Any:
    """The raw cell, addressed independently of the reader (calamine's own start offset)."""
    data = book.get_sheet_by_name(sheet)
    start = data.start
    assert start is not None
    row, col = _address(cell)
    return data.to_python()[row - start[0]][col - start[1]]


@pytest.fixture(scope="module")
def stored(store_path: Path) -> pd.DataFrame:
    return read_projections(store_path)


@pytest.fixture(scope="module")
def checks(store_path: Path) -> pd.DataFrame:
    return fs.sql("SELECT * FROM checks WHERE source = 'IEA CMDE'", store=store_path)


def _match(frame: pd.DataFrame, want: dict[str, Any]) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in want.items():
        mask &= frame[column].isna() if value is None else frame[column] == value
    return frame[mask]


@pytest.mark.parametrize(("sheet", "cell", "want"), WORKBOOK_CELLS)
def test_workbook_cell_equals_store_row(
    book: CalamineWorkbook, stored: pd.DataFrame, sheet: str, cell: str, want: dict[str, Any]
) -> None:
    raw = _raw(book, sheet, cell)
    rows = _match(stored, {"source_file": WB_FILE, "source_sheet": sheet, **want})
    rows = rows[rows["source_cell"] == cell]
    assert len(rows) == 1, rows
    row = rows.iloc[0]
    assert isinstance(raw, float)
    assert row["value"] == raw
    assert row["line"] == int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert row["edition"] == "IEA CMDE May 2024"


def _json_at(doc: Any, path: str) -> Any:
    node = doc
    for key in path.split("/"):
        node = node[key]
    return node


@pytest.mark.parametrize(("path", "want"), JSON_CELLS)
def test_json_value_equals_store_row(stored: pd.DataFrame, path: str, want: dict[str, Any]) -> None:
    text = JSON.read_text(encoding="utf-8")
    raw = _json_at(json.loads(text), path)
    rows = _match(stored, {"source_file": JSON_FILE, **want})
    rows = rows[rows["source_cell"] == path]
    assert len(rows) == 1, rows
    row = rows.iloc[0]
    assert row["value"] == raw
    # the line holds this key and value
    key, value = text.split("\n")[int(row["line"]) - 1].strip().rstrip(",").split(": ", 1)
    assert (json.loads(key), json.loads(value)) == (path.rsplit("/", 1)[1], raw)
    assert row["edition"] == "IEA CMDE 2025 (iea.json)"


def test_graphite_nze_2040_sums_disagree_and_both_are_kept(
    stored: pd.DataFrame, checks: pd.DataFrame
) -> None:
    rows = _match(
        stored,
        {"edition": "IEA CMDE 2025 (iea.json)", "kind": "demand", "mineral_id": "graphite"},
    )
    rows = rows[(rows["scenario"] == "NZE") & (rows["year"] == 2040)].set_index("sector")
    sectors = rows.loc[["Electric vehicles", "Grid battery storage"], "value"].sum()
    assert round(sectors, 1) == 10_475.8
    assert round(rows.loc["Total clean technologies", "value"], 1) == 11_875.7
    check = checks[
        (checks["check_name"] == "iea_demand_sectors_vs_clean_total")
        & (checks["release"] == "2025 edition")
        & (checks["subject"] == "Graphite NZE 2040")
    ]
    assert len(check) == 1
    assert check["status"].iloc[0] == "mismatch"
    assert check["expected"].iloc[0] == rows.loc["Total clean technologies", "value"]
    assert check["actual"].iloc[0] == pytest.approx(sectors, rel=1e-12)
    assert "10,475.8" in check["detail"].iloc[0]
    assert "11,875.7" in check["detail"].iloc[0]


def test_technology_sheets_fall_short_of_3_2_where_a_sector_has_no_sheet(
    book: CalamineWorkbook, checks: pd.DataFrame
) -> None:
    # Cadmium, STEPS 2030: 4.1 Solar PV (D8) is the only technology sheet; 3.2 (D8) adds
    # other low-emission power generation, which has no sheet and no 3.1 split.
    check = checks[
        (checks["check_name"] == "iea_technology_sheets_vs_cleantech")
        & (checks["release"] == "2024 edition")
        & (checks["subject"] == "Cadmium STEPS 2030")
    ]
    assert len(check) == 1
    assert check["expected"].iloc[0] == _raw(book, SHEET_32, "D8")
    assert check["actual"].iloc[0] == _raw(book, "4.1 Solar PV", "D8")
    assert check["status"].iloc[0] == "incomplete"


def test_the_workbook_sheets_agree_where_they_overlap(checks: pd.DataFrame) -> None:
    wb = checks[(checks["release"] == "2024 edition") & checks["check_name"].str.startswith("iea_")]
    names = set(wb["check_name"])
    assert {
        "iea_demand_sectors_vs_clean_total",
        "iea_demand_clean_plus_other_vs_total",
        "iea_demand_clean_share",
        "iea_cleantech_sectors_vs_total",
        "iea_cleantech_by_tech_vs_by_mineral",
        "iea_cleantech_elements_vs_ree_total",
        "iea_cleantech_minerals_vs_total",
        "iea_technology_minerals_vs_total",
        "iea_technology_vs_cleantech_sector",
        "iea_technology_sheets_vs_cleantech",
    } == names
    # one check per mineral × scenario × year (base year once): 6 × (1 + 3 × 5)
    assert (wb["check_name"] == "iea_demand_sectors_vs_clean_total").sum() == 96
    assert set(wb.loc[wb["check_name"] != "iea_technology_sheets_vs_cleantech", "status"]) == {"ok"}


def test_supply_listed_plus_rest_vs_total_checks_exist(checks: pd.DataFrame) -> None:
    supply = checks[checks["check_name"] == "total_equals_listed_plus_rest"]
    assert set(supply["release"]) == {"2024 edition", "2025 edition"}
    nickel = supply[supply["subject"] == "nickel processing 2023"]
    assert nickel["status"].tolist() == ["mismatch"]


def test_units_kt_to_tonnes(stored: pd.DataFrame) -> None:
    assert set(stored["unit"]) == {"kt", "fraction"}
    kt = stored[stored["unit"] == "kt"]
    assert (kt["value_t"] == kt["value"] * 1000).all()
    assert stored.loc[stored["unit"] == "fraction", "value_t"].isna().all()
    fractions = stored[stored["unit"] == "fraction"]
    assert set(fractions["row_type"]) == {"share", "top3_share"}
    assert fractions["value"].between(0, 1).all()


def test_every_row_has_provenance(stored: pd.DataFrame) -> None:
    for column in ("source_file", "source_sheet", "source_cell", "line", "edition", "release"):
        assert stored[column].notna().all(), column
    assert set(stored["source_file"]) == {WB_FILE, JSON_FILE}
    cells = stored.loc[stored["source_file"] == WB_FILE, "source_cell"]
    assert cells.str.fullmatch(r"[A-Z]+\d+").all()
    assert set(stored["kind"]) == {"demand", "cleantech_demand", "technology_demand", "supply"}


def test_base_year_once_per_scenario_with_the_same_cell(stored: pd.DataFrame) -> None:
    demand = stored[stored["kind"] != "supply"]
    base = demand[demand["status"] == "observed"]
    per_cell = base.groupby(["source_file", "source_sheet", "source_cell"])["scenario"].agg(set)
    assert (per_cell == {"STEPS", "APS", "NZE"}).all()
    assert set(base.loc[base["source_file"] == WB_FILE, "year"]) == {2023}
    assert set(base.loc[base["source_file"] == JSON_FILE, "year"]) == {2024}
    # every base-case demand series has the base year and 2030-2050 in each scenario
    series = demand[demand["case"] == "Base case"].groupby(
        ["edition", "kind", "source_sheet", "iea_mineral", "sector", "technology", "scenario"],
        dropna=False,
    )["year"]
    assert (series.nunique() == 6).all()


def test_concordance_maps_the_group_and_keeps_what_the_catalog_lacks(
    stored: pd.DataFrame,
) -> None:
    minerals = read_iea_minerals()
    assert minerals["magnet rare earth elements"].mineral_id == "rare_earths"
    assert minerals["neodymium"].element == "Nd"
    assert (
        minerals["battery-grade graphite"].mineral_id,
        minerals["battery-grade graphite"].stage,
    ) == (
        "graphite",
        "processing",
    )
    lacking = stored[stored["mineral_id"].isna() & (stored["iea_mineral"] != "Total")]
    assert set(lacking["iea_mineral"]) == {"Hafnium", "Iridium", "PGMs", "PGMs (other than iridum)"}
    magnet = stored[
        stored["iea_mineral"].isin(["Magnet rare earth elements", "Rare Earth Elements"])
    ]
    assert set(magnet["kind"]) == {"demand", "supply"}
    assert magnet["note"].str.contains("group").all()
    elements = stored[stored["element"].notna()]
    assert set(elements["mineral_id"]) == {"rare_earths"}


def test_concordance_agrees_with_the_supply_reader() -> None:
    # the supply reader (readers/iea.py) maps its block titles itself: same ids
    minerals = read_iea_minerals()
    for label, mineral_id in iea.MINERALS.items():
        assert minerals[label].mineral_id == mineral_id, label


def test_query_filters_and_python_api(store_path: Path) -> None:
    frame = fs.projections(kind="demand", mineral="lithium", scenario="NZE", store=store_path)
    assert set(frame["kind"]) == {"demand"}
    assert set(frame["mineral_id"]) == {"lithium"}
    assert set(frame["scenario"]) == {"NZE"}
    both = read_projections(store_path, kind=["supply"], edition="IEA CMDE May 2024")
    assert set(both["release"]) == {"2024 edition"}
    with pytest.raises(ValidationError, match="unknown projection kind"):
        read_projections(store_path, kind="demands")


def test_concordance_with_an_unknown_mineral_fails(tmp_path: Path) -> None:
    path = tmp_path / "iea_minerals.csv"
    text = concordance_path("iea_minerals.csv").read_text(encoding="utf-8")
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("Vanadium,"))
    lines[index] = lines[index].replace("Vanadium,vanadium,", "Vanadium,vanadum,")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match="'vanadum' is not in the mineral catalog") as err:
        read_iea_minerals(path=path)
    assert (err.value.line, err.value.field) == (index + 1, "mineral_id")


# --- malformed copies -------------------------------------------------------------


def _patch_xlsx(dst: Path, member: str, cell: str, text: str) -> Path:
    """Copy the bundled workbook to ``dst`` with ``cell`` of ``member`` holding ``text``."""
    pattern = rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)'
    replacement = f'<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>'
    with zipfile.ZipFile(WORKBOOK) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                patched, n = re.subn(pattern, replacement, data.decode("utf-8"), count=1)
                assert n == 1
                data = patched.encode("utf-8")
            zout.writestr(info, data)
    return dst


def test_workbook_text_in_a_number_cell(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "text.xlsx", XML[SHEET_1], "D8", "about 1691")
    with pytest.raises(DataError, match="'about 1691' is not a number") as err:
        read_projections_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 8, f"{SHEET_1}!D8")


def test_workbook_drifted_year_header(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "header.xlsx", XML[SHEET_32], "E5", "2035e")
    with pytest.raises(DataError, match="not a year: the header has drifted") as err:
        read_projections_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 5, f"{SHEET_32}!E5")


def test_workbook_unknown_scenario_label(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "scenario.xlsx", XML_EV, "J4", "Current Policies scenario")
    with pytest.raises(
        DataError, match="unknown scenario label 'Current Policies scenario'"
    ) as err:
        read_projections_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 4, "4.3 EV!J4")


def test_workbook_unknown_mineral_label(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "mineral.xlsx", XML[SHEET_32], "A20", "Unobtainium")
    with pytest.raises(DataError, match="unknown IEA mineral 'Unobtainium'") as err:
        read_projections_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 20, f"{SHEET_32}!A20")


@pytest.fixture(scope="module")
def json_text() -> str:
    return JSON.read_text(encoding="utf-8")


def _json_copy(tmp_path: Path, text: str, line: int, old: str, new: str) -> Path:
    lines = text.split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / "iea.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _line_of(text: str, needle: str, *, after: str) -> int:
    start = text.index(after)
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_json_unknown_scenario_label(json_text: str, tmp_path: Path) -> None:
    line = _line_of(json_text, '"STEPS": {', after='"totalDemand"')
    path = _json_copy(tmp_path, json_text, line, '"STEPS"', '"CPS"')
    with pytest.raises(DataError, match="unknown scenario label 'CPS'") as err:
        read_projections_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "totalDemand/Copper/sectors/Solar PV/CPS",
    )


def test_json_text_in_a_number_field(json_text: str, tmp_path: Path) -> None:
    line = _line_of(json_text, '"2030": 2373.69', after='"totalDemand"')
    path = _json_copy(tmp_path, json_text, line, "2373.69", '"2,373.69 kt"')
    with pytest.raises(DataError, match="is not a number") as err:
        read_projections_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "totalDemand/Copper/sectors/Solar PV/STEPS/2030",
    )


def test_json_missing_block(json_text: str, tmp_path: Path) -> None:
    line = _line_of(json_text, '"byTechnology"', after='"source"')
    path = _json_copy(tmp_path, json_text, line, '"byTechnology"', '"byTech"')
    with pytest.raises(DataError, match="no 'byTechnology' object") as err:
        read_projections_json(path)
    assert (err.value.file, err.value.field) == (str(path), "byTechnology")


def test_cli_data_projections(store_path: Path) -> None:
    runner = CliRunner()
    args = ["data", "projections", "--kind", "demand", "--mineral", "graphite"]
    result = runner.invoke(
        app,
        [*args, "--scenario", "NZE", "--year", "2040", "--store", str(store_path), "-f", "json"],
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 12  # six rows of sheet 1 and six of totalDemand
    total = next(
        r
        for r in rows
        if r["release"] == "2025 edition" and r["sector"] == "Total clean technologies"
    )
    assert total["source_cell"] == "totalDemand/Graphite/totalClean/NZE/2040"
    assert total["value_t"] == total["value"] * 1000
    bad = runner.invoke(
        app, ["data", "projections", "--kind", "demands", "--store", str(store_path)]
    )
    assert bad.exit_code == 2
