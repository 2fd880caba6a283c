"""The store: one DuckDB file holding every table friendshore analyses read.

The store is built from the data bundled in the package (:func:`build_store`)
and extended with users' own releases of the same sources (``import_*``). A
build writes a new file beside the old one and renames it into place, so a
killed build leaves the previous store intact. An import does the same
(:func:`importing`): it writes into a copy of the store and renames the copy
into place only when it succeeds, so a rejected or killed import leaves the
store byte-identical (a rolled-back transaction alone would keep the blocks
it had allocated: a refused 1 GB import grew a 15 MB store to 40 MB).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import platformdirs

from friendshore._core.errors import DataError, InputError, StoreError
from friendshore.data import catalog, price_series, schema
from friendshore.data.countries import read_blocs, read_countries, read_country_aliases
from friendshore.data.readers import (
    baci,
    geodist,
    iea,
    iea_projections,
    pinksheet,
    usgs_mcs,
    usgs_mcs2025,
    usgs_salient,
    wgi,
)
from friendshore.data.resources import bundled_path, package_data_dir
from friendshore.data.sources import source_info

#: Bump when the table layout changes; a store of another version is rebuilt.
SCHEMA_VERSION = "4"

#: Fact tables that hold several releases; a ``<table>_latest`` view keeps, per
#: partition, only the rows of the newest release (the latest edition wins).
LATEST_VIEWS: Mapping[str, tuple[str, ...]] = {
    "production": ("source", "mineral_id", "stage", "year"),
    "reserves": ("source", "mineral_id", "year"),
    "capacity": ("source", "mineral_id", "year"),
    "aggregates": ("source", "measure", "mineral_id", "stage", "year"),
    "trade": ("source", "nomenclature", "year"),
    "governance": ("source", "year"),
    "salient": ("source", "usgs_key", "year"),
}

#: Called as ``progress(step, done, total)`` while a build runs.
Progress = Callable[[str, int, int], None]


def default_store_path() -> Path:
    """Return the default store location in the user's data directory."""
    return Path(platformdirs.user_data_dir("friendshore")) / "friendshore.duckdb"


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_store` did."""

    path: Path
    built: bool
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    reason: str = ""


@dataclass
class LoadedReleases:
    """Releases loaded during one build or import, for the ``sources`` table."""

    files: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, source: str, release: str, files: set[str]) -> None:
        self.files.setdefault((source, release), set()).update(files)


def fingerprint() -> str:
    """Return a hash of the package version, schema version and every bundled data file."""
    digest = hashlib.sha256(f"{version('friendshore')}|{SCHEMA_VERSION}".encode())
    root = package_data_dir()
    for sub in ("bundled", "concordances", "schema"):
        for path in sorted((root / sub).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con`` without DuckDB's own terminal progress bar (drawn for queries over 2 s).

    The interfaces draw their own bars, or none: a library call prints nothing.
    """
    con.execute("SET enable_progress_bar = false")
    return con


def connect(path: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path``.

    A read-only connection also has external access disabled, so a query cannot
    read or write files outside the store.

    Raises
    ------
    StoreError
        If there is no store at ``path`` or another process holds it.
    DataError
        If ``path`` is not a DuckDB file (bad input: exit code 2).
    """
    if not path.exists():
        raise StoreError(f"no store at {path}: run `friendshore data build` first")
    config: dict[str, Any] = {"enable_external_access": False} if read_only else {}
    try:
        return _quiet(duckdb.connect(str(path), read_only=read_only, config=config))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(f"the store at {path} is in use by another process: {exc}") from exc
        raise DataError(f"not a friendshore store (DuckDB file): {exc}", file=path) from exc
    except duckdb.Error as exc:
        raise DataError(f"not a friendshore store (DuckDB file): {exc}", file=path) from exc


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def insert_frames(
    con: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pd.DataFrame],
    *,
    loaded: LoadedReleases | None = None,
) -> dict[str, int]:
    """Insert reader output (table name -> frame) into the store; return rows per table."""
    counts: dict[str, int] = {}
    for table, frame in frames.items():
        conformed = schema.conform(table, frame)
        if conformed.empty:
            continue
        con.register("_frame", conformed)
        try:
            con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _frame')
        finally:
            con.unregister("_frame")
        counts[table] = counts.get(table, 0) + len(conformed)
        if loaded is not None and {"source", "release"} <= set(conformed.columns):
            keys = conformed[["source", "release"]].drop_duplicates()
            for src, rel in keys.itertuples(index=False):
                mask = (conformed["source"] == src) & (conformed["release"] == rel)
                files = set(conformed.loc[mask, "file"]) if "file" in conformed else set()
                loaded.add(str(src), str(rel), {str(f) for f in files})
    return counts


def write_sources(con: duckdb.DuckDBPyConnection, loaded: LoadedReleases) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for (src, rel), files in sorted(loaded.files.items()):
        info = source_info(src)
        con.execute("DELETE FROM sources WHERE source = ? AND release = ?", [src, rel])
        rows.append(
            {
                "source": src,
                "release": rel,
                "publisher": info.publisher,
                "licence": info.licence,
                "citation": info.citation,
                "url": info.url,
                "files": ";".join(sorted(files)),
                "loaded_at": now,
            }
        )
    if rows:
        insert_frames(con, {"sources": pd.DataFrame(rows)})


#: Country tables whose world totals and "other countries" rows sit in
#: ``aggregates`` (under ``measure``): their ``*_latest`` views and
#: ``aggregates_latest`` take one edition per partition, the newest that has
#: either country rows or aggregates, so a share never divides one edition's
#: country figures by another edition's world total.
SAME_EDITION: Mapping[str, tuple[str, ...]] = {
    "production": ("source", "mineral_id", "stage", "year"),
    "reserves": ("source", "mineral_id", "year"),
    "capacity": ("source", "mineral_id", "year"),
}


def _edition_winners_sql(measure: str) -> str:
    """``source, mineral_id, [stage,] year, release`` of the edition that wins each partition."""
    keys = ", ".join(SAME_EDITION[measure])
    return (
        f"SELECT {keys}, max(release) AS release FROM ("
        f"SELECT {keys}, release FROM {measure} UNION ALL "
        f"SELECT {keys}, release FROM aggregates WHERE measure = '{measure}') GROUP BY ALL"
    )


def _same_edition(alias: str, measure: str) -> str:
    conditions = " AND ".join(
        f"{alias}.{k} IS NOT DISTINCT FROM w.{k}" for k in (*SAME_EDITION[measure], "release")
    )
    return f"EXISTS (SELECT 1 FROM ({_edition_winners_sql(measure)}) w WHERE {conditions})"


def _create_views(con: duckdb.DuckDBPyConnection) -> None:
    for table, keys in LATEST_VIEWS.items():
        part = ", ".join(keys)
        con.execute(
            f"CREATE OR REPLACE VIEW {table}_latest AS "
            f"SELECT * EXCLUDE (_rank) FROM (SELECT *, dense_rank() OVER "
            f"(PARTITION BY {part} ORDER BY release DESC) AS _rank FROM {table}) "
            "WHERE _rank = 1"
        )
    for measure in SAME_EDITION:
        con.execute(
            f"CREATE OR REPLACE VIEW {measure}_latest AS "
            f"SELECT * FROM {measure} t WHERE {_same_edition('t', measure)}"
        )
    con.execute(
        "CREATE OR REPLACE VIEW aggregates_latest AS SELECT * FROM aggregates a WHERE "
        + " OR ".join(f"(a.measure = '{m}' AND {_same_edition('a', m)})" for m in SAME_EDITION)
    )


def _bundled_steps() -> list[
    tuple[str, Callable[[duckdb.DuckDBPyConnection, LoadedReleases], None]]
]:
    def frames(
        reader: Callable[[], Mapping[str, pd.DataFrame]],
    ) -> Callable[[duckdb.DuckDBPyConnection, LoadedReleases], None]:
        def step(con: duckdb.DuckDBPyConnection, loaded: LoadedReleases) -> None:
            insert_frames(con, reader(), loaded=loaded)

        return step

    def concordances() -> dict[str, pd.DataFrame]:
        return {
            "countries": read_countries(),
            "country_aliases": read_country_aliases(),
            "blocs": _empty_as_null(read_blocs(), ["valid_from", "valid_to"]),
            "minerals": catalog.read_minerals(),
            "hs_concordance": catalog.read_hs_concordance(),
            "recycling": catalog.read_recycling(),
        }

    def trade(con: duckdb.DuckDBPyConnection, loaded: LoadedReleases) -> None:
        report = baci.load_baci_bundled(con)
        loaded.add("CEPII BACI", report.release, {_relative(report.file)})

    def trade_hs17(con: duckdb.DuckDBPyConnection, loaded: LoadedReleases) -> None:
        report = baci.load_baci_hs17_supplement(con)
        loaded.add("CEPII BACI", report.release, {_relative(report.file)})

    def prices(con: duckdb.DuckDBPyConnection, loaded: LoadedReleases) -> None:
        # every edition's salient price cells (the queries pick the newest per series and year)
        salient = con.execute("SELECT * FROM salient WHERE component = 'price'").df()
        insert_frames(con, {"prices": price_series.prices_from_salient(salient)}, loaded=loaded)
        insert_frames(con, pinksheet.read_pinksheet_bundled(), loaded=loaded)

    return [
        ("concordances", frames(concordances)),
        ("USGS MCS 2022-2024", frames(usgs_mcs.read_usgs_mcs_bundled)),
        ("USGS MCS 2025", frames(usgs_mcs2025.read_usgs_mcs2025_bundled)),
        ("USGS MCS salient statistics 2023-2025", frames(usgs_salient.read_salient_bundled)),
        ("Prices: USGS salient, World Bank Pink Sheet", prices),
        ("IEA Critical Minerals Data Explorer", frames(iea.read_iea_bundled)),
        ("IEA CMDE demand projections", frames(iea_projections.read_projections_bundled)),
        ("World Bank WGI", frames(lambda: wgi.read_wgi(bundled_path("wgi", "wgidataset.xlsx")))),
        (
            "CEPII GeoDist",
            frames(
                lambda: geodist.read_geodist(
                    bundled_path("geodist", "dist_cepii.csv.gz"),
                    bundled_path("geodist", "geo_cepii.csv"),
                )
            ),
        ),
        ("CEPII BACI HS92 2015-2024", trade),
        ("CEPII BACI HS17 2024 supplement", trade_hs17),
    ]


def _empty_as_null(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in cols:
        out[col] = out[col].where(out[col] != "", None)
    return out


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(package_data_dir() / "bundled"))
    except ValueError:
        return str(path)


def _user_releases(path: Path) -> list[str]:
    """Releases in the store at ``path`` that were imported by a user, not bundled."""
    with contextlib.closing(connect(path)) as con:
        try:
            rows = con.execute(
                "SELECT source || ' ' || release FROM sources WHERE files LIKE '%[import]%'"
            ).fetchall()
        except duckdb.Error:
            return []
    return [r[0] for r in rows]


def _stored_fingerprint(path: Path) -> str | None:
    try:
        with contextlib.closing(connect(path)) as con:
            row = con.execute("SELECT value FROM store_meta WHERE key = 'fingerprint'").fetchone()
    except (StoreError, duckdb.Error):
        return None
    return None if row is None else str(row[0])


def build_store(
    path: Path | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the store at ``path`` from the data bundled in the package.

    The build is idempotent: if the store already holds exactly this bundled
    data (same fingerprint) nothing is done unless ``force``. It is atomic: the
    new store is written to a temporary file in the same directory and renamed
    over the old one only when complete.

    Raises
    ------
    StoreError
        If the existing store holds releases a user imported and ``force`` is
        not set (a rebuild would discard them).
    """
    path = path or default_store_path()
    start = time.perf_counter()
    current = fingerprint()
    if path.exists() and not force:
        if _stored_fingerprint(path) == current:
            return BuildReport(path, built=False, seconds=0.0, reason="store is up to date")
        imported = _user_releases(path)
        if imported:
            raise StoreError(
                f"the store at {path} holds imported releases ({', '.join(imported)}) and "
                "the bundled data changed; rebuilding would discard them. "
                "Use --force to rebuild anyway, then re-import."
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        rows = _build_into(tmp, current, progress)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return BuildReport(path, built=True, seconds=time.perf_counter() - start, rows=rows)


def _build_into(tmp: Path, current: str, progress: Progress | None) -> dict[str, int]:
    steps = _bundled_steps()
    loaded = LoadedReleases()
    with contextlib.closing(_quiet(duckdb.connect(str(tmp)))) as con:
        for table in schema.table_names():
            con.execute(schema.create_table_sql(table))
        for i, (name, step) in enumerate(steps):
            if progress is not None:
                progress(name, i, len(steps))
            step(con, loaded)
        loaded.add("friendshore", version("friendshore"), {"concordances/*.csv"})
        write_sources(con, loaded)
        _create_views(con)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "package_version": version("friendshore"),
            "fingerprint": current,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        insert_frames(con, {"store_meta": pd.DataFrame(meta.items(), columns=["key", "value"])})
        if progress is not None:
            progress("done", len(steps), len(steps))
        con.execute("CHECKPOINT")
        return {
            t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # type: ignore[index]
            for t in schema.table_names()
        }


@contextlib.contextmanager
def importing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a read-write connection to a copy of the store; swap it in if the block succeeds.

    The store is held open for writing throughout (so another writer, or a
    process reading it, is refused as before with :class:`StoreError`), its
    pending changes are checkpointed, and it is copied to a hidden temporary
    file beside it (``.<name>.importing-<pid>``). The block writes into the copy;
    when it returns, the copy is checkpointed, closed and renamed over the store
    (atomic on one file system). If the block raises, or the process is killed,
    the store is untouched: byte for byte the same file, the same size. The copy
    is always removed; the import needs free disk space for one more store.

    Raises
    ------
    StoreError
        If there is no store at ``path``, another process holds it, or it cannot be
        copied (no space left on the device…).
    DataError
        If ``path`` is not a DuckDB file.
    """
    tmp = path.with_name(f".{path.name}.importing-{os.getpid()}")
    wal = Path(f"{tmp}.wal")
    with contextlib.closing(connect(path, read_only=False)) as held:
        try:
            held.execute("CHECKPOINT")  # the file alone holds the whole store
            tmp.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)
            try:
                shutil.copyfile(path, tmp)
            except OSError as exc:
                raise StoreError(f"cannot copy the store for the import: {exc}") from exc
            with contextlib.closing(connect(tmp, read_only=False)) as con:
                yield con
                con.execute("CHECKPOINT")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)


def import_frames(
    path: Path,
    frames: Mapping[str, pd.DataFrame],
    *,
    label: str,
) -> dict[str, int]:
    """Add a user's release (reader output) to the store in one transaction.

    Rows of the same source and release already in the store are replaced, so
    importing a file twice gives the same store. The import writes into a copy
    of the store that replaces it only on success (:func:`importing`).
    """
    loaded = LoadedReleases()
    with importing(path) as con, _transaction(con):
        for table, frame in frames.items():
            if {"source", "release"} <= set(frame.columns) and not frame.empty:
                for src, rel in (
                    frame[["source", "release"]].drop_duplicates().itertuples(index=False)
                ):
                    con.execute(
                        f'DELETE FROM "{table}" WHERE source = ? AND release = ?', [src, rel]
                    )
        counts = insert_frames(con, frames, loaded=loaded)
        for key in loaded.files:
            loaded.files[key] = {f"[import] {label}"}
        write_sources(con, loaded)
    return counts


@dataclass(frozen=True)
class TableStatus:
    """Rows, sources, releases and years of one store table."""

    table: str
    rows: int
    sources: list[str]
    releases: list[str]
    years: tuple[int, int] | None

    def releases_by_source(self) -> str:
        """Return the releases grouped by source, e.g. ``USGS MCS: MCS2023, MCS2024``."""
        grouped: dict[str, list[str]] = {}
        for entry in self.releases:
            src = next(s for s in self.sources if entry.startswith(f"{s} "))
            grouped.setdefault(src, []).append(entry[len(src) + 1 :])
        return "; ".join(f"{src}: {', '.join(rels)}" for src, rels in grouped.items())


def store_status(path: Path) -> list[TableStatus]:
    """Describe every table of the store: row count, sources, releases and year span."""
    out: list[TableStatus] = []
    with contextlib.closing(connect(path)) as con:
        for table in schema.table_names():
            names = {c.name for c in schema.columns(table)}
            count = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            sources: list[str] = []
            releases: list[str] = []
            if {"source", "release"} <= names:
                pairs = con.execute(
                    f'SELECT DISTINCT source, release FROM "{table}" ORDER BY 1, 2'
                ).fetchall()
                sources = sorted({str(p[0]) for p in pairs})
                releases = [f"{p[0]} {p[1]}" for p in pairs]
            years: tuple[int, int] | None = None
            if "year" in names:
                span = con.execute(f'SELECT min(year), max(year) FROM "{table}"').fetchone()
                if span is not None and span[0] is not None:
                    years = (int(span[0]), int(span[1]))
            out.append(TableStatus(table, int(count[0]) if count else 0, sources, releases, years))
    return out


def query(path: Path, sql: str) -> pd.DataFrame:
    """Run a read-only SQL query on the store and return the result.

    Raises
    ------
    InputError
        If the query is invalid or tries to write.
    """
    with contextlib.closing(connect(path)) as con:
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise InputError(f"query failed: {exc}") from exc
