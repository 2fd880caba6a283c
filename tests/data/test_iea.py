"""IEA Critical Minerals Data Explorer reader: published shares, both editions, broken copies."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import DataError, UnknownCountryError
from friendshore.data.countries import country_resolver
from friendshore.data.readers.iea import read_iea_bundled, read_iea_json, read_iea_workbook
from friendshore.data.resources import bundled_path

WORKBOOK = bundled_path("iea", "CM_Data_Explorer_May_2024.xlsx")
JSON = bundled_path("iea", "iea.json")
LONG_2024 = bundled_path("iea", "iea_cmde_2024_supply_by_country_long.csv")
LONG_2025 = bundled_path("iea", "iea_cmde_2025_supply_by_country_long.csv")
SUPPLY_SHEET = "xl/worksheets/sheet3.xml"  # '2 Total supply for key minerals'

MINERAL_IDS = {
    "Copper": "copper",
    "Cobalt": "cobalt",
    "Lithium": "lithium",
    "Nickel": "nickel",
    "Graphite": "graphite",
    "Magnet rare earth elements": "rare_earths",
    "Rare Earth Elements": "rare_earths",
}
STAGES = {"mining": "mining", "refining": "processing"}


@pytest.fixture(scope="module")
def iea() -> dict[str, pd.DataFrame]:
    return read_iea_bundled()


def _edition(frame: pd.DataFrame, release: str) -> pd.DataFrame:
    return frame[frame["release"] == release]


def _china_share(iea: dict[str, pd.DataFrame], release: str, mineral: str, stage: str) -> float:
    prod = _edition(iea["production"], release)
    agg = _edition(iea["aggregates"], release)
    china = prod[(prod["mineral_id"] == mineral) & (prod["stage"] == stage)]
    china = china[china["country"] == "CHN"]
    world = agg[(agg["mineral_id"] == mineral) & (agg["stage"] == stage) & (agg["kind"] == "world")]
    assert len(china) == 1
    assert len(world) == 1
    return float(china["quantity"].iloc[0] / world["quantity"].iloc[0])


def _world_total(iea: dict[str, pd.DataFrame], release: str, mineral: str, stage: str) -> float:
    agg = _edition(iea["aggregates"], release)
    world = agg[(agg["mineral_id"] == mineral) & (agg["stage"] == stage) & (agg["kind"] == "world")]
    assert len(world) == 1
    return float(world["quantity"].iloc[0])


def _long(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Reader output as one long frame: mineral, stage, label, year, value in kt, line."""
    base = pd.concat([tables["production"], tables["aggregates"]], ignore_index=True)
    # Projection rows carry the country (ISO3) or the row type; take the label from the
    # base-year row of the same country or aggregate.
    keys = ["mineral_id", "stage", "release", "row"]
    labels = pd.concat(
        [
            tables["production"].assign(row=tables["production"]["country"]),
            tables["aggregates"].assign(
                row=tables["aggregates"]["kind"].map({"world": "total", "other": "rest_of_world"})
            ),
        ]
    )[[*keys, "label"]]
    proj = tables["projections"]
    proj = proj[(proj["status"] == "projection") & (proj["row_type"] != "top3_share")]
    proj = (
        proj.assign(row=proj["country"].fillna(proj["row_type"]))
        .merge(labels, on=keys, validate="many_to_one")
        .assign(quantity=lambda f: f["value_t"] / 1000, line=pd.NA)
    )
    cols = ["mineral_id", "stage", "label", "year", "quantity", "line"]
    return pd.concat([base[cols], proj[cols]], ignore_index=True)


def _derived(path: Path) -> pd.DataFrame:
    long = pd.read_csv(path)
    long = long[long["row_type"] != "top3_share"].copy()
    long["mineral_id"] = long["mineral"].map(MINERAL_IDS)
    long["stage"] = long["stage"].map(STAGES)
    return long


def _compare_with_derived(tables: dict[str, pd.DataFrame], path: Path) -> pd.DataFrame:
    derived = _derived(path)
    ours = _long(tables)
    merged = derived.merge(
        ours,
        left_on=["mineral_id", "stage", "row_label", "year"],
        right_on=["mineral_id", "stage", "label", "year"],
        how="outer",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    # Base-year figures are kept in kt exactly; projections are stored in t (x 1000).
    base = merged["line"].notna()
    assert (merged.loc[base, "value"] == merged.loc[base, "quantity"]).all()
    np.testing.assert_allclose(merged["quantity"], merged["value"], rtol=1e-12, atol=0)
    assert len(merged) == len(derived) == len(ours)
    return merged


def _patch_xlsx(dst: Path, member: str, pattern: str, replacement: str) -> Path:
    """Copy the bundled workbook to ``dst`` with one regex substitution in ``member``."""
    with zipfile.ZipFile(WORKBOOK) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                text, n = re.subn(pattern, replacement, data.decode("utf-8"), count=1)
                assert n == 1
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst


def _inline(cell: str, text: str) -> tuple[str, str]:
    """Pattern and replacement that make ``cell`` of the supply sheet hold the text ``text``."""
    return (
        rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)',
        f'<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>',
    )


def _json_edit(text: str, line_no: int, old: str, new: str) -> str:
    lines = text.split("\n")
    assert old in lines[line_no - 1], lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return "\n".join(lines)


def _json_line(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first ``needle`` that follows the first ``after``."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


# --- published figures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("mineral", "share"),
    [("cobalt", 77), ("lithium", 65), ("graphite", 91), ("rare_earths", 92)],
)
def test_china_refining_shares_2023(iea: dict[str, pd.DataFrame], mineral: str, share: int) -> None:
    # IEA Global Critical Minerals Outlook 2024 headline figures (SOURCES.md, section F).
    assert round(100 * _china_share(iea, "2024 edition", mineral, "processing")) == share


def test_2025_edition_totals(iea: dict[str, pd.DataFrame]) -> None:
    assert _world_total(iea, "2025 edition", "copper", "processing") == 26_944
    assert round(_world_total(iea, "2025 edition", "cobalt", "processing")) == 250
    assert round(100 * _china_share(iea, "2025 edition", "cobalt", "processing")) == 78
    assert round(100 * _china_share(iea, "2025 edition", "graphite", "processing")) == 96


def test_2024_edition_totals(iea: dict[str, pd.DataFrame]) -> None:
    assert _world_total(iea, "2024 edition", "copper", "mining") == pytest.approx(22_508.1)
    assert _world_total(iea, "2024 edition", "nickel", "processing") == pytest.approx(3_796.1)
    assert _world_total(iea, "2024 edition", "rare_earths", "mining") == pytest.approx(72.4)


def test_editions_years_and_units(iea: dict[str, pd.DataFrame]) -> None:
    prod = iea["production"]
    assert prod.groupby("release")["year"].unique().map(list).to_dict() == {
        "2024 edition": [2023],
        "2025 edition": [2024],
    }
    proj = iea["projections"]
    assert set(proj.loc[proj["status"] == "projection", "year"]) == {2030, 2035, 2040}
    assert set(proj["scenario"]) == {"base case"}
    assert (prod["unit"] == "kt").all()
    assert (prod["quantity_t"] == prod["quantity"] * 1000).all()
    assert set(prod["mineral_id"]) == {
        "copper",
        "cobalt",
        "lithium",
        "nickel",
        "graphite",
        "rare_earths",
    }
    assert set(prod["stage"]) == {"mining", "processing"}
    assert set(prod["status"]) == {"estimated"}
    assert set(prod["source"]) == {"IEA CMDE"}
    # 12 blocks per edition, each with one rest-of-world and one total row.
    assert iea["aggregates"].groupby(["release", "kind"]).size().to_dict() == {
        ("2024 edition", "other"): 12,
        ("2024 edition", "world"): 12,
        ("2025 edition", "other"): 12,
        ("2025 edition", "world"): 12,
    }


def test_products_say_what_the_iea_measures(iea: dict[str, pd.DataFrame]) -> None:
    prod = iea["production"]
    product = prod.groupby(["mineral_id", "stage"])["product"].first()
    assert product["lithium", "processing"] == "chemicals"
    assert product["graphite", "processing"] == "battery grade (natural and synthetic)"
    assert product["graphite", "mining"] == "natural graphite"
    assert product["rare_earths", "processing"] == "magnet REE (Nd, Pr, Tb, Dy)"
    assert product["rare_earths", "mining"] == "magnet REE (Nd, Pr, Tb, Dy)"
    assert pd.isna(product["copper", "mining"])
    basis = prod.groupby("mineral_id")["basis"].first()
    assert basis["lithium"].startswith("Li content")


def test_every_label_resolves(iea: dict[str, pd.DataFrame]) -> None:
    resolver = country_resolver()
    prod = iea["production"]
    assert prod["country"].notna().all()
    assert all(resolver.resolve(label) == iso3 for label, iso3 in prod[["label", "country"]].values)
    labels = set()
    for path in (LONG_2024, LONG_2025):
        long = pd.read_csv(path)
        labels |= set(long.loc[long["row_type"] == "country", "row_label"])
    assert labels
    assert all(resolver.resolve(label) is not None for label in labels)
    assert prod.loc[prod["label"] == "Democratic Republic of Congo", "country"].eq("COD").all()


def test_cobalt_total_is_mislabelled_but_kept(iea: dict[str, pd.DataFrame]) -> None:
    agg = _edition(iea["aggregates"], "2024 edition")
    row = agg[
        (agg["mineral_id"] == "cobalt") & (agg["stage"] == "processing") & (agg["kind"] == "world")
    ]
    assert row["label"].tolist() == ["Total clean technologies"]
    assert row["quantity"].tolist() == [223.8]
    assert "block total" in row["note"].iloc[0]


# --- the workbook against the derived CSVs ---------------------------------------


def test_workbook_equals_derived_csv(iea: dict[str, pd.DataFrame]) -> None:
    tables = {k: _edition(v, "2024 edition") for k, v in iea.items()}
    merged = _compare_with_derived(tables, LONG_2024)
    base = merged[merged["year"] == 2023]
    rows = base["source_cell"].str.extract(r"(\d+)$")[0].astype(int)
    assert (base["line"].astype(int) == rows).all()


def test_workbook_top3_shares_equal_derived_csv(iea: dict[str, pd.DataFrame]) -> None:
    long = pd.read_csv(LONG_2024)
    top3 = long[long["row_type"] == "top3_share"].copy()
    top3["subject"] = (
        top3["mineral"].map(MINERAL_IDS)
        + " "
        + top3["stage"].map(STAGES)
        + " "
        + top3["year"].astype(str)
    )
    checks = _edition(iea["checks"], "2024 edition")
    checks = checks[checks["check_name"] == "top3_share"].set_index("subject")
    assert len(checks) == len(top3) == 48
    assert (checks.loc[top3["subject"], "expected"].to_numpy() == top3["value"].to_numpy()).all()


def test_json_equals_derived_csv(iea: dict[str, pd.DataFrame]) -> None:
    tables = {k: _edition(v, "2025 edition") for k, v in iea.items()}
    _compare_with_derived(tables, LONG_2025)


def test_json_lines_point_at_the_value(iea: dict[str, pd.DataFrame]) -> None:
    prod = _edition(iea["production"], "2025 edition")
    chile = prod[
        (prod["mineral_id"] == "copper") & (prod["stage"] == "mining") & (prod["country"] == "CHL")
    ]
    line = int(chile["line"].iloc[0])
    text = JSON.read_text(encoding="utf-8").split("\n")
    assert text[line - 1].strip() == '"2024": 5476.0,'
    assert text[line - 2].strip() == '"Chile": {'
    assert set(prod["file"]) == {"iea/iea.json"}


# --- checks ----------------------------------------------------------------------


def test_totals_that_do_not_add_up_are_recorded(iea: dict[str, pd.DataFrame]) -> None:
    checks = iea["checks"]
    sums = checks[checks["check_name"] == "total_equals_listed_plus_rest"]
    assert len(sums) == 2 * 12 * 4
    nickel = sums[(sums["release"] == "2024 edition") & (sums["subject"] == "nickel mining 2023")]
    assert nickel["status"].tolist() == ["mismatch"]
    assert nickel["expected"].iloc[0] == pytest.approx(3450.5)
    assert nickel["actual"].iloc[0] == pytest.approx(3561.9)
    assert "Australia" in nickel["detail"].iloc[0]
    graphite = sums[
        (sums["release"] == "2024 edition") & (sums["subject"] == "graphite processing 2023")
    ]
    assert graphite["actual"].iloc[0] == pytest.approx(2065.4)
    assert graphite["status"].iloc[0] == "mismatch"
    mismatched = {s.rsplit(" ", 1)[0] for s in sums.loc[sums["status"] == "mismatch", "subject"]}
    assert mismatched == {
        "nickel mining",
        "nickel processing",
        "graphite mining",
        "graphite processing",
    }
    ok = sums[sums["subject"].str.startswith(("copper", "cobalt", "lithium", "rare_earths"))]
    assert (ok["status"] == "ok").all()


def test_graphite_top3_share_uses_first_three_listed(iea: dict[str, pd.DataFrame]) -> None:
    checks = _edition(iea["checks"], "2024 edition")
    row = checks[
        (checks["check_name"] == "top3_share") & (checks["subject"] == "graphite processing 2023")
    ]
    assert row["status"].tolist() == ["mismatch"]
    assert "first three listed (China, Japan, United States)" in row["detail"].iloc[0]
    top3 = checks[checks["check_name"] == "top3_share"]
    assert (top3["status"] == "ok").sum() == 47


def test_footnote_rows_are_counted_not_read_as_countries(iea: dict[str, pd.DataFrame]) -> None:
    skipped = iea["checks"][iea["checks"]["check_name"] == "label_only_rows_skipped"]
    assert skipped[["release", "subject", "actual"]].to_dict("records") == [
        {"release": "2024 edition", "subject": "rare_earths mining", "actual": 2.0},
        {"release": "2025 edition", "subject": "rare_earths mining", "actual": 2.0},
    ]


# --- broken copies: workbook -----------------------------------------------------


def test_workbook_text_in_numeric_cell(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "cmde.xlsx", SUPPLY_SHEET, *_inline("B7", "5,311.3 kt"))
    with pytest.raises(DataError, match="is not a number") as err:
        read_iea_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 7, "B7")


def test_workbook_unknown_country(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "cmde.xlsx", SUPPLY_SHEET, *_inline("G9", "Chilee"))
    with pytest.raises(UnknownCountryError, match="Chilee") as err:
        read_iea_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 9, "G9")


def test_workbook_duplicate_row(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "cmde.xlsx", SUPPLY_SHEET, *_inline("A8", "Chile"))
    with pytest.raises(DataError, match=r"repeats.*first on line 7") as err:
        read_iea_workbook(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 8, "A8")


def test_workbook_unknown_mineral(tmp_path: Path) -> None:
    path = _patch_xlsx(tmp_path / "cmde.xlsx", SUPPLY_SHEET, *_inline("A6", "Coper - Mining"))
    with pytest.raises(DataError, match="unknown mineral 'Coper'") as err:
        read_iea_workbook(path)
    assert (err.value.line, err.value.field) == (6, "A6")


def test_workbook_without_supply_sheet(tmp_path: Path) -> None:
    path = _patch_xlsx(
        tmp_path / "cmde.xlsx",
        "xl/workbook.xml",
        r'name="2 Total supply for key minerals"',
        'name="2 Supply"',
    )
    with pytest.raises(DataError, match="no sheet named like") as err:
        read_iea_workbook(path)
    assert err.value.file == str(path)


def test_workbook_truncated(tmp_path: Path) -> None:
    data = WORKBOOK.read_bytes()
    path = tmp_path / "cmde.xlsx"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match="cannot read the workbook") as err:
        read_iea_workbook(path)
    assert err.value.file == str(path)


def test_workbook_release_defaults_to_base_year_plus_one(iea: dict[str, pd.DataFrame]) -> None:
    tables = read_iea_workbook(WORKBOOK)
    assert set(tables["production"]["release"]) == {"2024 edition"}
    pd.testing.assert_frame_equal(
        tables["production"], _edition(iea["production"], "2024 edition").reset_index(drop=True)
    )


# --- broken copies: JSON ---------------------------------------------------------


@pytest.fixture(scope="module")
def json_text() -> str:
    return JSON.read_text(encoding="utf-8")


def _write_json(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "iea.json"
    path.write_bytes(text.encode(encoding))
    return path


def test_json_text_in_numeric_field(json_text: str, tmp_path: Path) -> None:
    line = _json_line(json_text, '"2024": 5476.0', after='"supply"')
    path = _write_json(tmp_path, _json_edit(json_text, line, "5476.0", '"5476 kt"'))
    with pytest.raises(DataError, match="is not a number") as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "supply/Copper/mining/countries/Chile/2024",
    )


def test_json_unknown_country(json_text: str, tmp_path: Path) -> None:
    line = _json_line(json_text, '"Chile": {', after='"supply"')
    path = _write_json(tmp_path, _json_edit(json_text, line, '"Chile"', '"Chilee"'))
    with pytest.raises(UnknownCountryError, match="Chilee") as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "supply/Copper/mining/countries/Chilee",
    )


def test_json_duplicate_key(json_text: str, tmp_path: Path) -> None:
    first = _json_line(json_text, '"Peru": {', after='"supply"')
    line = _json_line(json_text, '"China": {', after='"supply"')
    path = _write_json(tmp_path, _json_edit(json_text, line, '"China"', '"Peru"'))
    with pytest.raises(DataError, match=f"duplicate key 'Peru' \\(first on line {first}\\)") as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "supply/Copper/mining/countries/Peru",
    )


def test_json_truncated(json_text: str, tmp_path: Path) -> None:
    cut = json_text.index('"Nickel"', json_text.index('"supply"'))
    path = _write_json(tmp_path, json_text[:cut])
    with pytest.raises(DataError, match="malformed JSON") as err:
        read_iea_json(path)
    assert err.value.file == str(path)
    assert err.value.line == json_text.count("\n", 0, cut) + 1
    assert err.value.field == "supply"


def test_json_wrong_encoding(json_text: str, tmp_path: Path) -> None:
    path = _write_json(tmp_path, json_text, encoding="utf-16")
    with pytest.raises(DataError, match="not UTF-8") as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line) == (str(path), 1)


def test_json_missing_supply(json_text: str, tmp_path: Path) -> None:
    line = _json_line(json_text, '"supply": {')
    path = _write_json(tmp_path, _json_edit(json_text, line, '"supply"', '"supplies"'))
    with pytest.raises(DataError, match="no 'supply' object") as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "supply")


def test_json_unknown_stage(json_text: str, tmp_path: Path) -> None:
    line = _json_line(json_text, '"refining": {', after='"supply"')
    path = _write_json(tmp_path, _json_edit(json_text, line, '"refining"', '"smelting"'))
    with pytest.raises(DataError, match="unknown stage 'smelting'") as err:
        read_iea_json(path)
    assert (err.value.line, err.value.field) == (line, "supply/Copper/smelting")


def test_two_labels_for_one_country(json_text: str, tmp_path: Path) -> None:
    chile = _json_line(json_text, '"Chile": {', after='"supply"')
    line = _json_line(json_text, '"Peru": {', after='"supply"')
    path = _write_json(tmp_path, _json_edit(json_text, line, '"Peru"', '"CHL"'))
    with pytest.raises(
        DataError, match=f"'CHL' and 'Chile' \\(line {chile}\\) are both CHL"
    ) as err:
        read_iea_json(path)
    assert (err.value.file, err.value.line, err.value.field) == (
        str(path),
        line,
        "supply/Copper/mining/countries/CHL",
    )
