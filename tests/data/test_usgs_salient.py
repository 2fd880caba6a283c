"""USGS MCS salient statistics: the real bundled files, and broken copies of them."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore._core.errors import DataError
from friendshore.cli.main import app
from friendshore.data.queries import read_salient
from friendshore.data.readers.usgs_salient import (
    CHECK_SKIPPED,
    parse_salient_header,
    parse_salient_value,
    read_salient_bundled,
    read_salient_dir,
)
from friendshore.data.resources import bundled_path
from friendshore.data.store import query

ALUMINUM_2023 = bundled_path("usgs_mcs2023", "salient", "mcs2023-alumi_salient.csv")
runner = CliRunner()


@pytest.fixture(scope="module")
def bundled() -> dict[str, pd.DataFrame]:
    return read_salient_bundled()


def _cell(frame: pd.DataFrame, release: str, key: str, year: int, field: str) -> pd.Series:
    rows = frame[
        (frame["release"] == release)
        & (frame["usgs_key"] == key)
        & (frame["year"] == year)
        & (frame["field"] == field)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_three_editions_are_read(bundled: dict[str, pd.DataFrame]) -> None:
    salient = bundled["salient"]
    assert set(salient["release"]) == {"MCS2023", "MCS2024", "MCS2025"}
    per_edition = salient.groupby("release")["usgs_key"].nunique().to_dict()
    # 83 files in 2023; 85 in 2024 less the three world files under a salient name; 85 in 2025
    assert per_edition == {"MCS2023": 83, "MCS2024": 82, "MCS2025": 85}


def test_world_files_under_the_salient_name_are_skipped_with_a_reason(
    bundled: dict[str, pd.DataFrame],
) -> None:
    checks = bundled["checks"]
    assert set(checks["check_name"]) == {CHECK_SKIPPED}
    assert sorted(checks["subject"]) == [
        "usgs_mcs2024/salient/mcs2024-cobal_salient.csv",
        "usgs_mcs2024/salient/mcs2024-gypsu_salient.csv",
        "usgs_mcs2024/salient/mcs2024-kyani_salient.csv",
    ]
    assert checks["detail"].str.contains("world file").all()


def test_aluminum_2023_as_published(bundled: dict[str, pd.DataFrame]) -> None:
    s = bundled["salient"]
    primary = _cell(s, "MCS2025", "alumi", 2023, "USprod_Primary_kt")
    assert (primary["component"], primary["form"], primary["unit"]) == (
        "production_primary",
        "Primary",
        "kt",
    )
    assert primary["quantity"] == 750
    assert primary["quantity_t"] == 750_000
    old = _cell(s, "MCS2025", "alumi", 2023, "USprod_Secondary-old_kt")
    assert old["component"] == "production_secondary"
    assert old["quantity"] == 1560
    nir = _cell(s, "MCS2025", "alumi", 2023, "NIR_pct")
    assert nir["quantity"] == 44
    assert nir["status"] == "reported"
    # the edition's last year is USGS's estimate
    assert _cell(s, "MCS2025", "alumi", 2024, "NIR_pct")["status"] == "estimated"
    # MCS2024 names the aluminium file `alum` and heads a column 'CASE STATEMENT ERRORkt'
    supply = _cell(s, "MCS2024", "alumi", 2023, "CASE STATEMENT ERRORkt")
    assert supply["component"] == "other"
    assert supply["form"] == "Supply"
    assert "Supply_kt" in supply["note"]


def test_codes_are_kept_apart_from_zero(bundled: dict[str, pd.DataFrame]) -> None:
    s = bundled["salient"]
    w = _cell(s, "MCS2024", "lithi", 2023, "USprod_t")
    assert w["status"] == "withheld"
    assert pd.isna(w["quantity"])
    e = _cell(s, "MCS2024", "heliu", 2023, "NIR_pct")
    assert e["status"] == "net exporter"
    assert e["text"] == "E"
    assert pd.isna(e["quantity"])
    bound = _cell(s, "MCS2024", "germa", 2023, "NIR_pct")
    assert (bound["quantity"], bound["bound"]) == (50.0, ">")
    half = _cell(s, "MCS2024", "nicke", 2022, "Imports_Ores_t")
    assert (half["quantity"], half["bound"]) == (0.5, "<")
    tons = _cell(s, "MCS2023", "fesla", 2022, "Exports_mmt")
    assert tons["bound"] == "<"
    assert tons["quantity_t"] == pytest.approx(50_000)
    zr = _cell(s, "MCS2024", "zirco", 2023, "USprod_ZrO2_t")
    assert (zr["quantity_t"], zr["bound"]) == (100_000.0, "<")
    # never a silent zero: every non-numeric cell keeps its text
    coded = s[s["status"].isin(["withheld", "missing", "net exporter", "range"])]
    assert coded["quantity"].isna().all()


def test_drifted_headers_are_read_through_the_repairs(bundled: dict[str, pd.DataFrame]) -> None:
    s = bundled["salient"]
    glued = _cell(s, "MCS2024", "tungs", 2023, "Imports_Concentratet")
    assert (glued["component"], glued["form"], glued["unit"]) == ("imports", "Concentrate", "t")
    # MCS2024 feldspar: one header name short, values one place to the right
    neph = _cell(s, "MCS2024", "felds", 2023, "NIR_Nepheline_syenite_pct")
    assert neph["component"] == "net_import_reliance"
    assert neph["form"] == "Feldspar"
    assert neph["quantity"] == 12
    # MCS2024 fluorspar: apparent consumption is under 'Price_Acid_dt'
    fl = _cell(s, "MCS2024", "fluor", 2023, "Price_Acid_dt")
    assert fl["component"] == "consumption_apparent"
    assert fl["quantity"] == 370


def test_latest_edition_wins_in_the_store(con: duckdb.DuckDBPyConnection) -> None:
    latest = read_salient(con)
    assert set(latest.loc[latest["year"] == 2023, "release"]) == {"MCS2025"}
    y2019 = latest[latest["year"] == 2019]
    # the three MCS2024 files that are world files leave 2019 to MCS2023
    assert set(y2019.loc[y2019["release"] == "MCS2023", "usgs_key"]) == {"cobal", "gypsu", "kyani"}
    assert set(y2019["release"]) == {"MCS2023", "MCS2024"}
    assert set(latest.loc[latest["year"] == 2018, "release"]) == {"MCS2023"}
    one = read_salient(con, release="MCS2024")
    assert set(one["release"]) == {"MCS2024"}


# --------------------------------------------------------------------------- bad input


def _broken_copy(tmp_path: Path, old: str, new: str, *, line: int | None = None) -> Path:
    lines = ALUMINUM_2023.read_bytes().decode("utf-8-sig").splitlines()
    index = 0 if line is None else line - 1
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    path = tmp_path / "mcs2026-alumi_salient.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_unknown_unit_suffix_names_file_line_and_column(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "Imports_Crude_kt", "Imports_zz")
    with pytest.raises(DataError, match="unknown unit suffix 'zz'") as err:
        read_salient_dir(path)
    assert (err.value.line, err.value.field) == (1, "Imports_zz (column 7)")
    assert err.value.file == "mcs2026-alumi_salient.csv"


def test_a_drifted_header_fails(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "Year", "Yr")
    with pytest.raises(DataError, match="missing column 'Year'"):
        read_salient_dir(path)
    path = _broken_copy(tmp_path, "Exports_Crude_kt", "Exprts_Crude_kt")
    with pytest.raises(DataError, match="does not parse") as err:
        read_salient_dir(path)
    assert err.value.field == "Exprts_Crude_kt (column 9)"


def test_a_bound_in_a_quantity_column_is_a_bound_not_zero(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, ",5900,", ",>50,", line=6)
    s = read_salient_dir(path, release="MCS2026")["salient"]
    cell = s[(s["year"] == 2022) & (s["field"] == "Imports_Crude_kt")].iloc[0]
    assert (cell["quantity"], cell["quantity_t"], cell["bound"]) == (50.0, 50_000.0, ">")


def test_a_garbage_cell_names_file_line_and_column(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, ",5900,", ",about 5900,", line=6)
    with pytest.raises(DataError, match="about 5900") as err:
        read_salient_dir(path)
    assert (err.value.line, err.value.field) == (6, "Imports_Crude_kt (column 7)")


def test_e_outside_net_import_reliance_fails() -> None:
    with pytest.raises(DataError, match="net exporter"):
        parse_salient_value("E", unit="kt", component="imports")
    assert parse_salient_header("Stones_NIR_pct").form == "Stones"


def test_the_released_zip_is_read_whole(tmp_path: Path) -> None:
    with zipfile.ZipFile(bundled_path("usgs_mcs2025", "Salient_Commodity.zip")) as z:
        names = [n for n in z.namelist() if n.endswith("_salient.csv")]
    assert len(names) == 85


def _rows(store: Path) -> int:
    return int(query(store, "SELECT count(*) AS n FROM salient")["n"].iloc[0])


def test_cli_import_rejects_a_bad_file_and_writes_nothing(store_path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, store)
    before = _rows(store)
    folder = tmp_path / "mcs2026"
    folder.mkdir()
    shutil.copyfile(
        bundled_path("usgs_mcs2024", "salient", "mcs2024-zinc_salient.csv"),
        folder / "mcs2026-zinc_salient.csv",
    )
    bad = _broken_copy(tmp_path, "Imports_Crude_kt", "Imports_zz")
    shutil.move(bad, folder / bad.name)
    result = runner.invoke(app, ["data", "import", "salient", str(folder), "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert "mcs2026-alumi_salient.csv" in result.stderr
    assert "line 1" in result.stderr
    assert "Imports_zz (column 7)" in result.stderr
    assert _rows(store) == before
    (folder / bad.name).unlink()
    result = runner.invoke(app, ["data", "import", "salient", str(folder), "--store", str(store)])
    assert result.exit_code == 0, result.output
    added = query(store, "SELECT count(*) AS n FROM salient WHERE release = 'MCS2026'")
    assert int(added["n"].iloc[0]) > 0
