"""The store: built from the bundled data, idempotent, atomic, read-only queries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from friendshore._core.errors import InputError, StoreError
from friendshore.data import schema
from friendshore.data.store import (
    BuildReport,
    build_store,
    connect,
    fingerprint,
    query,
    store_status,
)


def test_every_schema_table_exists_with_its_columns(con: duckdb.DuckDBPyConnection) -> None:
    for table in schema.table_names():
        cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
        assert cols == [c.name for c in schema.columns(table)], table


def test_fact_tables_are_filled_and_carry_provenance(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("production", "reserves", "trade", "governance", "distance", "aggregates"):
        n, bad = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE source IS NULL OR release IS NULL) "
            f'FROM "{table}"'
        ).fetchone()  # type: ignore[misc]
        assert n > 0, table
        assert bad == 0, table


def test_sources_table_names_every_loaded_release(con: duckdb.DuckDBPyConnection) -> None:
    loaded = set(
        con.execute(
            "SELECT DISTINCT source, release FROM production UNION "
            "SELECT DISTINCT source, release FROM trade UNION "
            "SELECT DISTINCT source, release FROM governance UNION "
            "SELECT DISTINCT source, release FROM distance"
        ).fetchall()
    )
    listed = set(con.execute("SELECT source, release FROM sources").fetchall())
    assert loaded <= listed
    licences = dict(con.execute("SELECT source, licence FROM sources").fetchall())
    assert licences["USGS MCS"].startswith("Public domain")
    assert licences["World Bank WGI"] == "CC BY 4.0"
    assert licences["IEA CMDE"] == "CC BY 4.0"
    assert "Etalab" in licences["CEPII BACI"]


def test_latest_view_keeps_the_newest_edition_per_year(con: duckdb.DuckDBPyConnection) -> None:
    # 2022 appears in MCS2023 (estimate) and MCS2024 (reported): MCS2024 wins.
    releases = con.execute(
        "SELECT DISTINCT release FROM production_latest "
        "WHERE source = 'USGS MCS' AND mineral_id = 'rare_earths' AND year = 2022"
    ).fetchall()
    assert releases == [("MCS2024",)]
    # The earlier edition stays queryable by release.
    older = con.execute(
        "SELECT quantity_t FROM production WHERE release = 'MCS2023' AND country = 'CHN' "
        "AND mineral_id = 'rare_earths' AND year = 2022 AND stage = 'mining'"
    ).fetchall()
    assert older == [(210000.0,)]


def test_china_2023_rare_earth_mine_production(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT quantity_t, basis, status FROM production_latest WHERE source = 'USGS MCS' "
        "AND mineral_id = 'rare_earths' AND country = 'CHN' AND year = 2023 AND stage = 'mining'"
    ).fetchall()
    assert len(row) == 1
    # MCS2025 reports 255,000 t for 2023 and wins over MCS2024's estimate of 240,000 t
    assert row[0][0] == 255_000.0
    assert row[0][2] == "reported"


def test_second_build_is_a_no_op(built_store: BuildReport) -> None:
    again = build_store(built_store.path)
    assert not again.built
    assert again.reason == "store is up to date"


def test_status_reports_every_table(store_path: Path) -> None:
    status = {t.table: t for t in store_status(store_path)}
    assert set(status) == set(schema.table_names())
    assert status["trade"].years == (2015, 2024)
    # the HS92 subset and the HS17 2024 supplement
    assert status["trade"].releases == ["CEPII BACI V202401b", "CEPII BACI V202601"]
    assert status["production"].rows > 1000


def test_query_is_read_only(store_path: Path) -> None:
    with pytest.raises(InputError, match="read-only"):
        query(store_path, "DELETE FROM trade")
    with pytest.raises(InputError):
        query(store_path, "COPY trade TO '/tmp/friendshore-leak.csv'")
    assert not Path("/tmp/friendshore-leak.csv").exists()


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="friendshore data build"):
        connect(tmp_path / "absent.duckdb")


def test_killed_build_leaves_previous_store_intact(
    built_store: BuildReport, tmp_path: Path
) -> None:
    target = tmp_path / "store.duckdb"
    target.write_bytes(built_store.path.read_bytes())
    before = query(target, "SELECT count(*) AS n FROM trade")["n"].iloc[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "friendshore.cli.main", "data", "build", "--force"],
        env={**os.environ, "FRIENDSHORE_STORE": str(target)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    temp = target.with_name(f".{target.name}.building-{proc.pid}")
    for _ in range(600):  # wait for the build to start writing its temporary file
        if temp.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert temp.exists(), "the build never started writing a temporary store"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert query(target, "SELECT count(*) AS n FROM trade")["n"].iloc[0] == before
    meta = query(target, "SELECT value FROM store_meta WHERE key = 'fingerprint'")
    assert meta["value"].iloc[0] == fingerprint()
