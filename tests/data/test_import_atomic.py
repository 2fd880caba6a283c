"""Imports write into a copy of the store and swap it in only on success.

A rejected import leaves the store byte-identical (the same size: a rolled-back
transaction alone kept the blocks it had allocated) and no temporary file behind.
BACI values are checked after the ×1000 to USD: finite and at most
:data:`~friendshore.data.readers.baci.MAX_VALUE_USD`.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from friendshore._core.errors import DataError, StoreError
from friendshore.cli.main import app
from friendshore.data import imports
from friendshore.data.readers import pinksheet
from friendshore.data.readers.baci import MAX_QUANTITY_T, MAX_VALUE_USD, load_baci
from friendshore.data.resources import bundled_path
from friendshore.data.schema import create_table_sql
from friendshore.data.store import importing, query

runner = CliRunner()
TRADE_GZ = bundled_path("baci", "baci_HS92_V202401b_trade_2015_2024.csv.gz")
CODES = bundled_path("baci", "baci_country_codes_V202401b.csv")
ALUMINUM = bundled_path("usgs_mcs2023", "salient", "mcs2023-alumi_salient.csv")
PINK = bundled_path(*pinksheet.BUNDLED)
PINK_SHEET_XML = "xl/worksheets/sheet2.xml"  # "Monthly Prices"


@pytest.fixture
def store(store_path: Path, tmp_path: Path) -> Path:
    """A copy of the session store, alone in its folder."""
    folder = tmp_path / "store"
    folder.mkdir()
    target = folder / "friendshore.duckdb"
    shutil.copyfile(store_path, target)
    return target


def others(store: Path) -> list[str]:
    """Files beside the store (temporary copies, WAL files)."""
    return sorted(p.name for p in store.parent.iterdir() if p != store)


def baci_lines(rows: int) -> list[str]:
    """The header and the first ``rows`` real rows of the bundled BACI file."""
    with gzip.open(TRADE_GZ, "rt", encoding="utf-8", newline="") as fh:
        return [next(fh) for _ in range(rows + 1)]


def with_field(line: str, index: int, value: str) -> str:
    fields = line.rstrip("\n").split(",")
    fields[index] = value
    return ",".join(fields) + "\n"


def baci_duplicate(tmp: Path) -> tuple[Path, list[str], str]:
    # 120,000 rows inserted before the repeated key is found: enough for a rolled-back
    # transaction to grow the store file (16.8 to 18.4 MB when it was written in place)
    lines = baci_lines(120_000)
    path = tmp / "BACI_HS92_Y2015_V209901.csv"
    path.write_text("".join([*lines, lines[5]]), encoding="utf-8")
    return path, ["--replace-year"], "line 120002, field 'k'"


def baci_infinite(tmp: Path) -> tuple[Path, list[str], str]:
    lines = baci_lines(300)
    lines[250] = with_field(lines[250], 4, "1e306")
    path = tmp / "BACI_HS92_Y2015_V209901.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.writelines(lines)
    return path, ["--replace-year"], "line 251, field 'v'"


def salient_bad_unit(tmp: Path) -> tuple[Path, list[str], str]:
    lines = ALUMINUM.read_bytes().decode("utf-8-sig").splitlines()
    lines[0] = lines[0].replace("Imports_Crude_kt", "Imports_zz", 1)
    path = tmp / "mcs2026-alumi_salient.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [], "Imports_zz (column 7)"


def pinksheet_bad_cell(tmp: Path) -> tuple[Path, list[str], str]:
    path = tmp / "CMO-Historical-Data-Monthly.xlsx"
    with zipfile.ZipFile(PINK) as src:
        xml = src.read(PINK_SHEET_XML).decode("utf-8")
        cell = '<c r="BP764" t="inlineStr"><is><t>n.q.</t></is></c>'
        xml, n = re.subn(r'<c r="BP764"[^>]*?(?:/>|>.*?</c>)', cell, xml, count=1)
        assert n == 1
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = xml.encode("utf-8") if info.filename == PINK_SHEET_XML else src.read(info)
                out.writestr(info, data)
    return path, [], "line 764"


Maker = Callable[[Path], tuple[Path, list[str], str]]
BAD_IMPORTS: list[tuple[str, str, Maker]] = [
    ("baci duplicate key (found after the insert)", "baci", baci_duplicate),
    ("baci value 1e306 (inf after x1000)", "baci", baci_infinite),
    ("salient unknown unit", "salient", salient_bad_unit),
    ("pinksheet text in a price", "pinksheet", pinksheet_bad_cell),
]


@pytest.mark.parametrize(
    ("kind", "make"), [pytest.param(kind, make, id=name) for name, kind, make in BAD_IMPORTS]
)
def test_a_rejected_import_leaves_the_store_byte_identical(
    store: Path, tmp_path: Path, kind: str, make: Maker
) -> None:
    bad, options, where = make(tmp_path)
    before = store.read_bytes()
    inode = store.stat().st_ino
    result = runner.invoke(app, ["data", "import", kind, str(bad), *options, "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert bad.name in result.stderr
    assert where in result.stderr
    assert "Traceback" not in result.output
    assert store.stat().st_size == len(before)
    assert store.read_bytes() == before
    assert store.stat().st_ino == inode  # not even replaced by a copy
    assert others(store) == []


def _fill_then_fail(store: Path) -> None:
    with importing(store) as con:
        con.execute(
            "CREATE TABLE filler AS SELECT range AS n, repeat('x', 100) AS s FROM range(200000)"
        )
        assert [p for p in others(store) if p.startswith(".friendshore.duckdb.importing-")]
        raise RuntimeError("refused")


def test_a_failing_block_leaves_the_store_and_no_copy(store: Path) -> None:
    before = store.read_bytes()
    with pytest.raises(RuntimeError, match="refused"):
        _fill_then_fail(store)
    assert store.read_bytes() == before
    assert others(store) == []


def test_a_successful_import_swaps_in_the_copy(store: Path, tmp_path: Path) -> None:
    lines = baci_lines(2000)
    sample = tmp_path / "BACI_HS92_Y2015_V209901.csv"
    sample.write_text("".join(lines), encoding="utf-8")
    inode = store.stat().st_ino
    report = imports.import_baci(store, sample, replace_year=True)
    assert report.rows == 2000
    assert store.stat().st_ino != inode  # the copy took the store's place
    assert others(store) == []
    added = query(store, "SELECT count(*) AS n FROM trade WHERE release = 'V209901'")
    assert int(added["n"].iloc[0]) == 2000
    sources = query(store, "SELECT files FROM sources WHERE release = 'V209901'")
    assert sources["files"].tolist() == [f"[import] {sample.name}"]


def test_a_store_held_by_another_process_is_refused(store: Path, tmp_path: Path) -> None:
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
        "sys.stdin.read()"
    )
    sample = tmp_path / "BACI_HS92_Y2015_V209901.csv"
    sample.write_text("".join(baci_lines(10)), encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-c", script, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "ready"
            with pytest.raises(StoreError, match="in use by another process"):
                imports.import_baci(store, sample, replace_year=True)
        finally:
            holder.stdin.close()
    assert others(store) == []


# --- BACI values after the unit conversion ----------------------------------------------------


def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(create_table_sql("trade"))
    con.execute(create_table_sql("unmapped"))
    return con


@pytest.mark.parametrize(
    ("column", "value", "field", "fragment"),
    [
        (4, "1e306", "v", "is not finite after ×1000"),
        (4, "1.5e11", "v", "is 1.5e+14 USD after ×1000: above 1e+14 USD"),
        (4, "inf", "v", "negative or not finite"),
        (5, "2e12", "q", "above 1e+12 t"),
    ],
)
def test_implausible_baci_values_name_file_line_and_field(
    tmp_path: Path, column: int, value: str, field: str, fragment: str
) -> None:
    lines = baci_lines(120)
    lines[100] = with_field(lines[100], column, value)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    con = fresh()
    with pytest.raises(DataError) as info:
        load_baci(con, bad, release="V209901", country_codes=CODES)
    assert (info.value.file, info.value.line, info.value.field) == (str(bad), 101, field)
    assert fragment in str(info.value)
    assert con.execute("SELECT count(*) FROM trade").fetchone() == (0,)


def test_values_at_the_bounds_are_accepted(tmp_path: Path) -> None:
    assert (MAX_VALUE_USD, MAX_QUANTITY_T) == (1e14, 1e12)
    lines = baci_lines(120)
    lines[100] = with_field(with_field(lines[100], 4, "1e11"), 5, "1e12")
    good = tmp_path / "bounds.csv"
    good.write_text("".join(lines), encoding="utf-8")
    con = fresh()
    load_baci(con, good, release="V209901", country_codes=CODES)
    top = con.execute("SELECT max(value_usd), max(quantity_t) FROM trade").fetchone()
    assert top == (MAX_VALUE_USD, MAX_QUANTITY_T)
    with contextlib.suppress(duckdb.Error):
        con.close()
