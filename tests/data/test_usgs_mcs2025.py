"""The USGS MCS 2025 release: one-file world data, Fig. 2 and T5, on the real bundled zips."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from friendshore._core.errors import DataError
from friendshore.data.readers.usgs_mcs2025 import (
    WORLD_MEMBER,
    WORLD_ZIP,
    read_mcs2025_world,
    read_usgs_mcs2025_bundled,
)
from friendshore.data.resources import bundled_path


@pytest.fixture(scope="module")
def mcs25() -> dict[str, pd.DataFrame]:
    return read_usgs_mcs2025_bundled()


def _world_text() -> str:
    with zipfile.ZipFile(bundled_path(*WORLD_ZIP)) as zf:
        return zf.read(WORLD_MEMBER).decode("utf-8-sig")


def _one(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    rows = frame[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


# Figures as printed in MCS2025_World_Data.csv (tonnes unless the file says kg).
@pytest.mark.parametrize(
    ("mineral", "stage", "country", "year", "tonnes", "status"),
    [
        ("lithium", "mining", "AUS", 2024, 88_000, "estimated"),
        ("lithium", "mining", "CHL", 2023, 41_400, "reported"),
        ("lithium", "mining", "CHN", 2023, 35_700, "estimated"),  # "estimated 2023"
        ("cobalt", "mining", "COD", 2024, 220_000, "estimated"),
        ("cobalt", "mining", "IDN", 2023, 19_000, "estimated"),  # Type says estimated
        ("rare_earths", "mining", "CHN", 2024, 270_000, "estimated"),
        ("rare_earths", "mining", "USA", 2023, 41_600, "reported"),
        ("gallium", "processing", "CHN", 2024, 750, "estimated"),  # 750,000 kg
        ("titanium", "mining", "AUS", 2024, 400_000, "estimated"),  # file says t, is kt
    ],
)
def test_production_spot_checks(  # noqa: PLR0917 (one argument per parameter)
    mcs25: dict[str, pd.DataFrame],
    mineral: str,
    stage: str,
    country: str,
    year: int,
    tonnes: float,
    status: str,
) -> None:
    prod = mcs25["production"]
    row = _one(
        prod[prod["product"].isna() | (prod["product"] == "ilmenite")],
        mineral_id=mineral,
        stage=stage,
        country=country,
        year=year,
    )
    assert row["quantity_t"] == pytest.approx(tonnes)
    assert row["status"] == status
    assert row["release"] == "MCS2025"


@pytest.mark.parametrize(
    ("mineral", "country", "tonnes"),
    [
        ("lithium", "CHL", 9_300_000),
        ("lithium", "USA", 1_800_000),
        ("cobalt", "COD", 6_000_000),
        ("rare_earths", "CHN", 44_000_000),
        ("molybdenum", "USA", 3_500_000),  # "(Reserve data is thousand metric tons)."
    ],
)
def test_reserves_2024_spot_checks(
    mcs25: dict[str, pd.DataFrame], mineral: str, country: str, tonnes: float
) -> None:
    row = _one(mcs25["reserves"], mineral_id=mineral, country=country)
    assert row["year"] == 2024
    assert row["quantity_t"] == tonnes


def test_withheld_from_notes_and_bounds(mcs25: dict[str, pd.DataFrame]) -> None:
    text = _world_text()
    assert 'United States,"Mine production, lithium content",metric tons,,,W for 23-24' in text
    us = mcs25["production"].query("mineral_id == 'lithium' and country == 'USA'")
    assert sorted(us["year"]) == [2023, 2024]
    assert set(us["status"]) == {"withheld"}
    assert us["quantity_t"].isna().all()
    world = _one(
        mcs25["aggregates"], measure="reserves", mineral_id="rare_earths", kind="world", year=2024
    )
    assert world["bound"] == ">"
    assert world["quantity_t"] == 90_000_000


def test_magnesium_metal_has_no_reserves_and_unit_fixes_are_checked(
    mcs25: dict[str, pd.DataFrame],
) -> None:
    assert "magnesium_metal" not in set(mcs25["reserves"]["mineral_id"])
    checks = mcs25["checks"]
    fixes = checks[checks["check_name"] == "usgs_unit_from_note"]
    subjects = " ".join(fixes["subject"])
    for key in ("mgmet", "molyb", "vanad", "timin", "sandi"):
        assert key in subjects


def test_world_total_checks_flag_the_kaolin_typo(mcs25: dict[str, pd.DataFrame]) -> None:
    checks = mcs25["checks"]
    world = checks[checks["check_name"] == "usgs_world_total"]
    assert (world["status"] == "ok").sum() > 150
    kaolin = world[world["subject"].str.startswith("production clays mining (kaolin) 2024")]
    assert kaolin["status"].tolist() == ["mismatch"]
    assert kaolin["expected"].tolist() == [4_400]  # kt as published (44,000 meant)


def test_fig2_t5_and_t4(mcs25: dict[str, pd.DataFrame]) -> None:
    nir = mcs25["net_import_reliance"]
    assert set(nir["year"]) == {2024}
    assert set(nir["release"]) == {"MCS2025"}
    assert len(nir) == 64
    gallium = nir[nir["mineral_id"] == "gallium"]
    assert gallium["share"].tolist() == [1.0]
    salient = mcs25["critical_salient"]
    antimony = _one(salient, mineral_id="antimony", field="Net_Import_Reliance")
    assert antimony["value"] == 85
    exporter = salient[(salient["field"] == "Net_Import_Reliance") & (salient["text"] == "E")]
    assert len(exporter) > 0
    assert exporter["value"].isna().all()
    assert len(mcs25["critical_minerals"]) == 50


def test_latest_edition_wins_and_nothing_double_counts(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT release, quantity_t FROM production_latest WHERE source = 'USGS MCS' "
        "AND mineral_id = 'lithium' "
        "AND country = 'AUS' AND year = 2023"
    ).fetchall()
    assert rows == [("MCS2025", 91_700.0)]  # MCS2024 estimated 86,000 t
    several = con.execute(
        "SELECT count(*) FROM (SELECT source, mineral_id, stage, year FROM production_latest "
        "GROUP BY ALL HAVING count(DISTINCT release) > 1)"
    ).fetchone()
    assert several == (0,)
    # Country rows and world totals of a series always come from the same edition.
    mixed = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT source, mineral_id, stage, year, release "
        "FROM production_latest) p JOIN (SELECT DISTINCT source, mineral_id, stage, year, "
        "release FROM aggregates_latest WHERE measure = 'production') a "
        "USING (source, mineral_id, stage, year) WHERE p.release <> a.release"
    ).fetchone()
    assert mixed == (0,)
    # Germanium is not in the 2025 world data: MCS2024's 2023 figures stay.
    germanium = con.execute(
        "SELECT DISTINCT release FROM production_latest WHERE mineral_id = 'germanium' "
        "AND year = 2023"
    ).fetchall()
    assert germanium == [("MCS2024",)]


def test_pumice_2022_uses_its_own_edition_total(con: duckdb.DuckDBPyConnection) -> None:
    # MCS2024 lists pumice 2022 without a world total; MCS2023's total (15,000 kt)
    # must not be the denominator of MCS2024's country figures (coverage was 107%).
    aggregates = con.execute(
        "SELECT count(*) FROM aggregates_latest WHERE mineral_id = 'pumice' AND year = 2022 "
        "AND measure = 'production'"
    ).fetchone()
    assert aggregates == (0,)
    releases = con.execute(
        "SELECT DISTINCT release FROM production_latest WHERE mineral_id = 'pumice' AND year = 2022"
    ).fetchall()
    assert releases == [("MCS2024",)]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_copies_name_file_line_and_field(tmp_path: Path) -> None:
    text = _world_text()
    lines = text.splitlines(keepends=True)
    cases = [
        (
            "".join([*lines[:10], lines[10].replace("Abrasives", "Unobtainium", 1)]),
            "line 11, field 'COMMODITY'",
        ),
        (text.replace("UNIT_MEAS", "UNITS", 1), "field 'UNIT_MEAS'"),
        (
            "".join([*lines[:3], lines[3].replace("metric tons", "metric furlongs", 1)]),
            "line 4, field 'UNIT_MEAS'",
        ),
        (
            "".join([*lines[:628], lines[628].replace("8630", "863O", 1)]),
            "line 629, field 'PROD_2023'",
        ),
        (
            "".join([*lines[:628], lines[628].replace("18000", "18OOO", 1)]),
            "line 629, field 'PROD_EST_ 2024'",
        ),
    ]
    for broken, where in cases:
        with pytest.raises(DataError) as info:
            read_mcs2025_world(_write(tmp_path, broken))
        assert where in str(info.value), str(info.value)
        assert "MCS2025_World_Data.csv" in str(info.value)


def test_read_from_the_zip_and_from_a_plain_copy_agree(tmp_path: Path) -> None:
    plain = read_mcs2025_world(_write(tmp_path, _world_text()), file="x")
    zipped = read_mcs2025_world(
        zipfile.Path(str(bundled_path(*WORLD_ZIP)), at=WORLD_MEMBER), file="x"
    )
    for table in ("production", "reserves", "capacity", "aggregates"):
        pd.testing.assert_frame_equal(plain[table], zipped[table])
    assert not math.isnan(plain["production"]["quantity_t"].sum())
