"""Mineral catalog, HS6 concordance and recycling rates, checked against the bundled data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from friendshore._core.errors import DataError
from friendshore.data.catalog import (
    RECYCLING_SOURCE,
    mineral_for_name,
    minerals_for_usgs_key,
    read_hs_concordance,
    read_minerals,
    read_recycling,
)
from friendshore.data.readers.usgs_mcs import read_usgs_mcs_bundled
from friendshore.data.resources import bundled_path, concordance_path
from friendshore.data.schema import columns

FIXED_IDS = {
    "copper", "cobalt", "lithium", "nickel", "graphite", "rare_earths", "gallium", "germanium",
    "manganese", "platinum", "palladium", "titanium", "tungsten", "antimony", "aluminum",
}  # fmt: skip
#: IUPAC standard atomic weights (g/mol) used for the stoichiometric factors.
LI, C, OX, H, AS = 6.941, 12.011, 15.999, 1.008, 74.9216


@pytest.fixture(scope="module")
def mcs() -> dict[str, pd.DataFrame]:
    return read_usgs_mcs_bundled()


# --------------------------------------------------------------------------- minerals


def test_minerals_conform_and_keep_the_fixed_ids() -> None:
    minerals = read_minerals()
    assert list(minerals.columns) == [c.name for c in columns("minerals")]
    assert minerals.mineral_id.is_unique
    assert set(minerals.mineral_id) >= FIXED_IDS
    assert minerals.usgs_critical_2022.dtype == bool
    assert len(minerals) == 77


def test_every_usgs_world_file_has_a_mineral_and_back() -> None:
    root = bundled_path()
    files = list(root.glob("usgs_mcs2022/*_world.csv")) + list(
        root.glob("usgs_mcs202[34]/world/*_world.csv")
    )
    keys = {re.search(r"(?i)mcs\d{4}-([a-z]+)", p.name)[1].lower() for p in files}  # type: ignore[index]
    assert len(keys) == 77
    catalog_keys = {k for value in read_minerals().usgs_key.dropna() for k in str(value).split(";")}
    assert keys == catalog_keys
    assert minerals_for_usgs_key("plati") == ("palladium", "platinum")
    assert minerals_for_usgs_key("titan") == minerals_for_usgs_key("timin") == ("titanium",)


def test_stages_match_the_data(mcs: dict[str, pd.DataFrame]) -> None:
    observed: dict[str, set[str]] = {}
    for table in ("production", "aggregates"):
        frame = mcs[table].dropna(subset=["stage"])
        for mineral, stage in zip(frame.mineral_id, frame.stage, strict=True):
            observed.setdefault(mineral, set()).add(stage)
    capacity_only = set(mcs["capacity"].mineral_id) - set(observed)
    assert capacity_only == {"abrasives"}
    for row in read_minerals().itertuples(index=False):
        stages = set(str(row.stages).split(";"))
        expected = observed.get(str(row.mineral_id), {"processing"})
        assert stages == expected, row.mineral_id


def test_critical_flag_is_the_2022_list(mcs: dict[str, pd.DataFrame]) -> None:
    crit = mcs["critical_minerals"]
    listed = set(crit[crit.release == "MCS2024"].mineral_id.dropna())
    minerals = read_minerals()
    flagged = set(minerals[minerals.usgs_critical_2022].mineral_id)
    assert flagged == listed
    assert {"gallium", "germanium", "graphite", "rare_earths", "cobalt", "lithium"} <= flagged
    assert "copper" not in flagged  # added to the USGS list only in 2025


def test_mineral_for_name() -> None:
    assert mineral_for_name("COPPER, refined") == "copper"
    assert mineral_for_name("GRAPHITE (NATURAL)") == "graphite"
    assert mineral_for_name("MICA (NATURAL), sheet") == "mica"
    assert mineral_for_name("TITANIUM, sponge") == "titanium"
    assert mineral_for_name("ALUMINA") == "bauxite"
    assert mineral_for_name("Ytterbium ") is None
    assert mineral_for_name("CESIUM") is None


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def rows_of(name: str) -> list[list[str]]:
    with concordance_path(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_broken_minerals_file(tmp_path: Path) -> None:
    rows = rows_of("minerals.csv")
    dup = write_rows(tmp_path / "minerals.csv", [*rows, rows[5]])
    with pytest.raises(DataError) as info:
        read_minerals(path=dup)
    assert (info.value.line, info.value.field) == (len(rows) + 1, "mineral_id")
    bad = [list(r) for r in rows]
    bad[3][3] = "mining;smelting"
    with pytest.raises(DataError) as info:
        read_minerals(path=write_rows(tmp_path / "m2.csv", bad))
    assert (info.value.line, info.value.field) == (4, "stages")
    assert "m2.csv" in str(info.value)
    with pytest.raises(DataError, match="differ from the schema"):
        read_minerals(path=write_rows(tmp_path / "m3.csv", [r[:-1] for r in rows]))


# --------------------------------------------------------------------------- HS concordance


def test_hs_concordance_covers_every_baci_code() -> None:
    hs = read_hs_concordance()
    assert list(hs.columns) == [c.name for c in columns("hs_concordance")]
    baci = pd.read_csv(
        bundled_path("baci", "baci_product_codes_HS92_V202401b_subset.csv"), dtype=str
    )
    assert len(baci) == 72
    hs92 = hs[hs.nomenclature == "HS92"]
    assert dict(zip(hs92.hs6, hs92.description, strict=True)) == dict(
        zip(baci.code, baci.description, strict=True)
    )
    # HS17 rows: the codes of the 2024 supplement that the HS92 subset lacks
    hs17 = hs[hs.nomenclature == "HS17"]
    supplement = pd.read_parquet(bundled_path("baci", "baci_hs17_v202601_2024_30codes.parquet"))
    assert set(hs17.hs6) < set(supplement.hs6)
    assert not set(hs17.hs6) & set(hs92.hs6)
    assert hs.hs6.is_unique
    assert set(hs.mineral_id.dropna()) <= set(read_minerals().mineral_id)


def test_hs_stages_follow_the_rules() -> None:
    hs = read_hs_concordance().set_index("hs6")
    ores = hs[hs.description.str.contains("ores and concentrates", case=False)]
    assert set(ores.stage.dropna()) == {"mining"}
    expected = {
        "260300": ("copper", "mining"),
        "282200": ("cobalt", "processing"),
        "810510": ("cobalt", "processing"),
        "283691": ("lithium", "processing"),
        "282520": ("lithium", "processing"),
        "250410": ("graphite", "mining"),
        "284690": ("rare_earths", "processing"),
        "280530": ("rare_earths", "processing"),
        "811230": ("germanium", "processing"),
        "260200": ("manganese", "mining"),
        "711011": ("platinum", "processing"),
        "711021": ("palladium", "processing"),
        "760110": ("aluminum", "processing"),
        "261400": ("titanium", "mining"),
        "261100": ("tungsten", "mining"),
        "261710": ("antimony", "mining"),
    }
    for code, (mineral, stage) in expected.items():
        assert (hs.loc[code, "mineral_id"], hs.loc[code, "stage"]) == (mineral, stage), code
    for code in ("270900", "261210", "711031", "261690"):  # crude oil, uranium, rhodium, mixed
        assert hs.mineral_id.isna()[code], code


def test_content_factors_are_stoichiometric() -> None:
    hs = read_hs_concordance().set_index("hs6")
    li2co3 = 2 * LI / (2 * LI + C + 3 * OX)
    lioh = LI / (LI + OX + H)
    as2o3_per_as = (2 * AS + 3 * OX) / (2 * AS)
    assert hs.loc["283691", "content_factor"] == pytest.approx(li2co3, abs=5e-5)
    assert hs.loc["282520", "content_factor"] == pytest.approx(lioh, abs=5e-5)
    assert "anhydrous" in str(hs.loc["282520", "content_source"])
    assert hs.loc["280480", "content_factor"] == pytest.approx(as2o3_per_as, abs=5e-5)
    # no factor where grades vary or compounds mix
    for code in ("260300", "260400", "282200", "284690", "810510"):
        assert hs.content_factor.isna()[code], code
        assert hs.loc[code, "content_source"], code
    with_factor = hs[hs.content_factor.notna()]
    assert with_factor.content_source.notna().all()
    assert ((with_factor.content_factor > 0) & (with_factor.content_factor <= 2)).all()


def test_broken_hs_concordance(tmp_path: Path) -> None:
    rows = rows_of("hs_concordance.csv")
    bad = [list(r) for r in rows]
    at = next(i for i, r in enumerate(bad) if r[0] == "260300")
    bad[at][3] = "kryptonite"
    with pytest.raises(DataError) as info:
        read_hs_concordance(path=write_rows(tmp_path / "hs.csv", bad))
    assert (info.value.line, info.value.field) == (at + 1, "mineral_id")
    bad = [list(r) for r in rows]
    bad[at][5], bad[at][6] = "0.3", ""
    with pytest.raises(DataError) as info:
        read_hs_concordance(path=write_rows(tmp_path / "hs.csv", bad))
    assert (info.value.line, info.value.field) == (at + 1, "content_factor")
    bad = [list(r) for r in rows]
    bad[at][0] = "2603"
    with pytest.raises(DataError) as info:
        read_hs_concordance(path=write_rows(tmp_path / "hs.csv", bad))
    assert (info.value.line, info.value.field) == (at + 1, "hs6")
    bad = [list(r) for r in rows]
    bad[at][1] = "HS2017"
    with pytest.raises(DataError) as info:
        read_hs_concordance(path=write_rows(tmp_path / "hs.csv", bad))
    assert (info.value.line, info.value.field) == (at + 1, "nomenclature")


# --------------------------------------------------------------------------- recycling


def test_recycling_rates_from_scrreen() -> None:
    rec = read_recycling()
    assert list(rec.columns) == [c.name for c in columns("recycling")]
    assert rec.mineral_id.is_unique
    assert set(rec.mineral_id) <= set(read_minerals().mineral_id)
    rates = dict(zip(rec.mineral_id, rec.eol_rir, strict=True))
    # SCRREEN2 factsheets (2023): copper 55%, cobalt 22%, rare earths 1%, PGMs 12%
    assert rates["copper"] == 0.55
    assert rates["cobalt"] == 0.22
    assert rates["rare_earths"] == 0.01
    assert rates["platinum"] == rates["palladium"] == 0.12
    assert set(rec.year) == {2023}
    assert set(rec.source) == {RECYCLING_SOURCE}
    assert set(rec.release) == {"2023"}
    cobalt = rec.set_index("mineral_id").loc["cobalt", "reference"]
    assert str(cobalt).startswith("https://scrreen.eu/")
    assert rec.set_index("mineral_id").reference.isna()["gallium"]


def test_broken_recycling_map(tmp_path: Path) -> None:
    source = bundled_path("scrreen", "world_mining_data_hs_code_map.csv")
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    bad = [list(r) for r in rows]
    bad[4][0] = "Unobtainium"
    with pytest.raises(DataError) as info:
        read_recycling(path=write_rows(tmp_path / "map.csv", bad))
    assert (info.value.file, info.value.line, info.value.field) == ("map.csv", 5, "Sheet_name")
    bad = [list(r) for r in rows]
    bad[2][6] = "twenty percent"
    with pytest.raises(DataError) as info:
        read_recycling(path=write_rows(tmp_path / "map.csv", bad))
    assert (info.value.line, info.value.field) == (3, "EoL-RIR (2023)")
