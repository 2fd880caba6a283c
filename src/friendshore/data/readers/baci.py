"""CEPII BACI bilateral trade: stream a release file into the store's ``trade`` table.

BACI release files (``BACI_HS92_Y2022_V202401b.csv``) have the columns
``t,i,j,k,v,q``: year, exporter and importer (BACI country codes, ISO 3166
numeric with a few of CEPII's own such as 251 France, 699 India, 842 USA),
HS6 product, value in **thousand USD** and quantity in **metric tonnes**
(empty or ``NA`` where BACI has none). A year is about ten million rows and a
gigabyte of text, so this is the one reader that writes to DuckDB directly:
DuckDB's parallel CSV scanner reads the file twice (once to validate, once to
insert), holding only aggregates in memory; the one structure that grows with
the file is DuckDB's hash table for the duplicate-key check, which DuckDB can
spill to disk. Measured on a 2-core machine: 10 million rows in about 5 s,
peak RSS about 1 GiB (``benchmarks/bench_baci_import.py``).

Country codes map to ISO3 through the release's own code list
(``country_codes_V202401b.csv``) and :func:`friendshore.data.countries.country_resolver`
applied to its ``country_iso3`` column. 490 "Other Asia, nes" (``S19``) is
Taiwan's trade by UN Comtrade convention (BACI has no Taiwan code) and maps to
TWN through the alias table; its rows keep the published code 490. Codes that
do not name a country (697 "Europe EFTA, nes", ``R20``; ``ZA1`` …) are not
guessed: their rows are kept with a NULL ISO3 and listed in the ``unmapped``
table with their row count and trade value.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import pandas as pd

from friendshore._core.errors import DataError, StoreError, UnknownCountryError
from friendshore.data import schema
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.countries import country_resolver, normalise_label
from friendshore.data.resources import bundled_path

__all__ = [
    "BACI_COLUMNS",
    "BUNDLED_RELEASE",
    "HS17_FROM_HS92",
    "MAX_QUANTITY_T",
    "MAX_VALUE_USD",
    "SOURCE",
    "BaciLoadReport",
    "Hs17SupplementReport",
    "Progress",
    "check_year_coverage",
    "infer_nomenclature",
    "load_baci",
    "load_baci_bundled",
    "load_baci_hs17_supplement",
    "read_baci_country_codes",
]

SOURCE = "CEPII BACI"
"""Value of the ``source`` column for every BACI row."""

BUNDLED_RELEASE = "V202401b"
"""BACI release of the bundled HS92 2015–2024 subset."""

BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
"""Header of a BACI release file, in order."""

DEFAULT_NOMENCLATURE = "HS92"
"""Nomenclature of a BACI file whose name does not say (the bundled subset's)."""

HS17 = "HS17"
HS17_RELEASE = "V202601"
"""BACI release of the bundled HS17 supplement (2024 only)."""

HS17_SUPPLEMENT_YEAR = 2024

CHECK_HS17 = "baci_hs17_supplement"
"""``check_name`` of the rows saying which supplement codes were loaded or skipped."""

HS17_FROM_HS92: dict[str, tuple[str, ...]] = {
    "252800": ("252810", "252890"),  # natural borates: HS92 splits sodium borates off
    "810194": ("810191",),  # unwrought tungsten: HS92 810191 also held waste and scrap
    "810320": ("810310",),  # unwrought tantalum, powders: part of HS92 810310
    "811212": ("811211",),  # unwrought beryllium, powders: part of HS92 811211
    "811292": ("811291",),  # unwrought Ga, Hf, In, Nb, Re, Tl: HS92 811291
    "810820": ("810810",),  # unwrought titanium, powders: part of HS92 810810
    "811010": ("811000",),  # unwrought antimony, powders: part of HS92 811000
}
"""HS 2017 codes of the supplement that were split from other HS 1992 codes (WCO
correlation tables HS 2002/2007 and 2017/2022); a code is skipped when the HS92
subset carries its HS92 parent, so the flows are not counted twice."""

FIRST_YEAR = 1988
"""Earliest plausible year (the Harmonized System came into force in 1988)."""

MAX_VALUE_USD = 1e14
"""Largest plausible value of one flow (year, exporter, importer, HS6) in USD, checked
after the ×1000 from BACI's thousand USD: about 4 times a year of world merchandise
trade (USD 24 trillion) and 850 times the largest flow of the bundled data (iron ore,
Australia to China, USD 118 billion). A larger value (``1e306`` becomes ``inf`` after
the ×1000) is refused with its file, line and field."""

MAX_QUANTITY_T = 1e12
"""Largest plausible quantity of one flow in metric tonnes: 1,300 times the largest
flow of the bundled data (755 million tonnes of iron ore), so that sums stay finite."""

Progress = Callable[[int, int], None]
"""Progress callback: ``(bytes_read, total_bytes)``; see :func:`load_baci`."""

_BUNDLED_TRADE = ("baci", "baci_HS92_V202401b_trade_2015_2024.csv.gz")
_BUNDLED_HS17 = ("baci", "baci_hs17_v202601_2024_30codes.parquet")
_BUNDLED_CODES = ("baci", "baci_country_codes_V202401b.csv")

# Column names used by BACI's country code lists: V202401 and later, and the
# older layout (V202301 and before).
_CODE_COLUMNS = {
    "country_code": "code",
    "country_name": "name",
    "country_name_abbreviation": "name",
    "country_iso2": "iso2",
    "iso_2digit_alpha": "iso2",
    "country_iso3": "published_iso3",
    "iso_3digit_alpha": "published_iso3",
}

_CSV_TYPES = (
    "{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR', "
    "'v': 'DOUBLE', 'q': 'VARCHAR'}"
)
_CSV_TEXT_TYPES = (
    "{'t': 'VARCHAR', 'i': 'VARCHAR', 'j': 'VARCHAR', 'k': 'VARCHAR', "
    "'v': 'DOUBLE', 'q': 'VARCHAR'}"
)
# t, i, j and k must be plain digits (DuckDB's integer casts accept "4.4" and "0x10").
_CODES_RE = " *[0-9]+ *, *[0-9]+ *, *[0-9]+ *, *[0-9]{5,6} *"
_POLL_S = 0.1
_MAX_DUPLICATE_KEYS = 100_000

_NOMENCLATURE_IN_NAME = re.compile(r"(?i)(?:^|[_-])(HS\d{2})(?:[_-]|$)")
_LINE_RE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT_RE = re.compile(
    r'converting column "([^"]*)"\. Could not convert string "(.*?)" to \'([A-Z]+)\''
)
_COLUMNS_RE = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclass(frozen=True)
class BaciLoadReport:
    """What :func:`load_baci` wrote to the store.

    Attributes
    ----------
    file
        The file imported.
    release
        BACI release (``V202401b`` …), stored in the ``release`` column.
    rows
        Rows inserted into ``trade`` (every data row of the file).
    value_usd
        Total trade value inserted, in USD (BACI thousand USD × 1000).
    years
        Years in the file, ascending; rows of this release for these years
        that were already in the store were replaced.
    hs6
        Number of distinct HS6 products in the file.
    unmapped
        BACI country codes in the file (either side) that map to no ISO3
        code, ascending; their rows are kept with a NULL ISO3.
    seconds
        Wall-clock seconds the import took.
    nomenclature
        HS nomenclature of the codes (``HS92``, ``HS17`` …), stored in ``nomenclature``.
    """

    file: Path
    release: str
    rows: int
    value_usd: float
    years: tuple[int, ...]
    hs6: int
    unmapped: tuple[int, ...]
    seconds: float
    nomenclature: str = "HS92"


@dataclass(frozen=True)
class Hs17SupplementReport:
    """What :func:`load_baci_hs17_supplement` wrote: rows, value (USD), loaded and skipped codes."""

    file: Path
    release: str
    rows: int
    value_usd: float
    loaded: tuple[str, ...]
    skipped: tuple[str, ...]


# --------------------------------------------------------------------------- codes


def read_baci_country_codes(path: Path) -> pd.DataFrame:
    """Read a BACI country code list and map each code to ISO3.

    Parameters
    ----------
    path
        ``country_codes_V202401b.csv`` of a BACI release (columns
        ``country_code, country_name, country_iso2, country_iso3``; the older
        ``country_name_abbreviation … iso_3digit_alpha`` layout is accepted).

    Returns
    -------
    pandas.DataFrame
        One row per code with columns ``code`` (int), ``name``, ``iso2``,
        ``published_iso3`` (as in the file) and ``iso3``: the ISO 3166 alpha-3
        code from :func:`~friendshore.data.countries.country_resolver` applied to
        ``published_iso3`` only (aliases such as ``SCG`` → ``SRB`` apply), or
        missing (NA) where it names no country (``R20`` "Europe EFTA, nes" …).
        Names that were stored as doubly encoded UTF-8 (``CÃ´te d'Ivoire``) are
        repaired.

    Raises
    ------
    DataError
        If a column is missing, a code is not a non-negative integer or a code
        is listed twice.
    """
    raw = _read_text(path)
    rows = list(csv.reader(io.StringIO(raw)))
    if not rows:
        raise DataError("empty country code list", file=path, line=1)
    header = [h.strip() for h in rows[0]]
    renamed = [_CODE_COLUMNS.get(h) for h in header]
    for needed, name in (
        ("code", "country_code"),
        ("name", "country_name"),
        ("published_iso3", "country_iso3"),
    ):
        if needed not in renamed:
            raise DataError(
                f"country code list has no {name!r} column (header: {','.join(header)})",
                file=path,
                line=1,
                field=name,
            )
    resolver = country_resolver()
    records: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(
                f"expected {len(header)} fields, found {len(row)}",
                file=path,
                line=line,
                field=header[min(len(row), len(header) - 1)],
            )
        rec = {col: cell.strip() for col, cell in zip(renamed, row, strict=True) if col}
        text = rec["code"]
        if not text.isdigit():
            raise DataError(
                f"country code {text!r} is not a non-negative integer",
                file=path,
                line=line,
                field=header[renamed.index("code")],
            )
        code = int(text)
        if code in seen:
            raise DataError(
                f"country code {code} is listed twice (first on line {seen[code]})",
                file=path,
                line=line,
                field=header[renamed.index("code")],
            )
        seen[code] = line
        published = rec["published_iso3"]
        iso3 = resolver.resolve(published) if published else None
        records.append(
            {
                "code": code,
                "name": normalise_label(_repair_mojibake(rec["name"])),
                "iso2": rec.get("iso2") or None,
                "published_iso3": published or None,
                "iso3": iso3,
            }
        )
    frame = pd.DataFrame.from_records(
        records, columns=["code", "name", "iso2", "published_iso3", "iso3"]
    )
    return frame.astype({"code": "int64"})


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as Latin-1 (``CuraÃ§ao`` → ``Curaçao``)."""
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _read_text(path: Path) -> str:
    """Return a small text file decoded as UTF-8 (with or without BOM) or raise DataError."""
    data = path.read_bytes()
    _check_not_utf16(data[:4], path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"file is not UTF-8 text (byte {data[exc.start]:#04x})",
            file=path,
            line=line,
            field=None,
        ) from exc


def _check_not_utf16(head: bytes, path: Path) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 2 and 0 in head[:2]):
        raise DataError(
            "file is UTF-16 encoded; BACI files are ASCII/UTF-8: re-save it as UTF-8",
            file=path,
            line=1,
            field=BACI_COLUMNS[0],
        )


# --------------------------------------------------------------------------- load


def load_baci(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    release: str,
    country_codes: Path | None = None,
    progress: Progress | None = None,
    nomenclature: str | None = None,
    replace_year: bool = False,
) -> BaciLoadReport:
    """Stream a BACI release file into the store's ``trade`` table (value in USD).

    A first scan of the file (plain CSV or gzip) checks every row and collects
    the years and codes; a second scan inserts it in one transaction, which
    also checks that no (t, i, j, k) key repeats before it commits. A malformed
    file therefore writes nothing, and importing the same release again
    replaces that release's rows for the years in the file (idempotent).
    Rows whose country code maps to no ISO3 code are kept with a NULL
    ``exporter``/``importer`` and summarised in the ``unmapped`` table
    (recomputed for the whole release).

    Parameters
    ----------
    con
        Open read-write connection to a store that has the ``trade`` and
        ``unmapped`` tables; it must not be inside a transaction.
    path
        BACI file with the header ``t,i,j,k,v,q`` (``.csv`` or ``.csv.gz``).
    release
        BACI release, e.g. ``"V202401b"``.
    country_codes
        The release's country code list. Default: ``country_codes_{release}.csv``
        next to ``path`` if it exists, else the bundled V202401b list (BACI
        codes are stable across releases; a code not in the list is an error).
    progress
        Called as ``progress(bytes_read, total_bytes)`` from the calling
        thread about ten times a second while DuckDB works. The file is
        scanned twice (validation, then insert), so ``total_bytes`` is twice
        its size on disk (compressed size for ``.gz``); the last call is
        ``(total_bytes, total_bytes)`` after the commit.
    nomenclature
        HS nomenclature of the file's codes (``HS92``, ``HS17`` …); default: from
        the file name (``BACI_HS17_Y2022_…``), else ``HS92``.
    replace_year
        Allow the file to supersede more rows of a year than it brings. Without
        it, a file with fewer rows for a year than the store holds for that
        source, nomenclature and year (in the release the file would replace)
        is refused before anything is written: a partial file would otherwise
        silently replace a full year.

    Returns
    -------
    BaciLoadReport
        Rows, value (USD), years, HS6 count, unmapped codes and seconds.

    Raises
    ------
    DataError
        Naming file, 1-based line (header = line 1) and column, if the header is
        not ``t,i,j,k,v,q``, the file is not UTF-8, a row has the wrong number
        of fields, a value is not numeric, a required value is empty, a year is
        implausible, an HS6 code is not 5–6 digits, a value or quantity is
        negative or not finite, a value is above :data:`MAX_VALUE_USD` after the
        ×1000 (or not finite then), a quantity is above :data:`MAX_QUANTITY_T`, a
        (t, i, j, k) key repeats, or the file is truncated; or if
        the file covers fewer rows of a year than the store holds and
        ``replace_year`` is not set (nothing is written).
    UnknownCountryError
        If a country code is not in the code list (naming the code and its
        first line).
    StoreError
        If the store lacks the ``trade`` or ``unmapped`` table or ``con`` is
        already inside a transaction.

    Notes
    -----
    ``value_usd = v × 1000``; ``quantity_t = q`` (NULL where empty or ``NA``);
    ``hs6`` is ``k`` left-padded with zeros to six digits (BACI files written
    as numbers lose the leading zero of chapters 01–09).
    """
    start = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise DataError("no such file", file=path)
    compression = _check_head(path)
    codes_path = country_codes or _default_country_codes(path, release)
    if not codes_path.is_file():
        raise DataError("no such country code list", file=codes_path)
    codes = read_baci_country_codes(codes_path)
    _check_tables(con)
    nomenclature = nomenclature or infer_nomenclature(path)

    size = path.stat().st_size
    total = 2 * size
    runner = _Runner(con, progress, total)
    csv_sql = (
        "read_csv($path, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"auto_detect = false, nullstr = '', compression = '{compression}', "
        f"columns = {_CSV_TYPES})"
    )
    with runner.settings():
        stats = _validate(runner, path, csv_sql, codes, size=size)
        if not replace_year:
            check_year_coverage(
                con, path, release=release, nomenclature=nomenclature, year_rows=stats.year_rows
            )
        unmapped_codes = tuple(sorted(set(stats.exporters + stats.importers) - set(_mapped(codes))))
        _insert(
            runner,
            path,
            csv_sql=csv_sql,
            codes=codes,
            release=release,
            nomenclature=nomenclature,
            years=stats.years,
            size=size,
        )
    if progress is not None:
        progress(total, total)
    return BaciLoadReport(
        file=path,
        release=release,
        rows=stats.rows,
        value_usd=stats.value_kusd * 1000.0,
        years=stats.years,
        hs6=stats.hs6,
        unmapped=unmapped_codes,
        seconds=time.perf_counter() - start,
        nomenclature=nomenclature,
    )


def load_baci_bundled(con: duckdb.DuckDBPyConnection) -> BaciLoadReport:
    """Load the bundled BACI HS92 2015–2024 subset (72 HS6 codes), release V202401b.

    See :func:`load_baci`; values are in USD.
    """
    return load_baci(
        con,
        bundled_path(*_BUNDLED_TRADE),
        release=BUNDLED_RELEASE,
        country_codes=bundled_path(*_BUNDLED_CODES),
    )


def infer_nomenclature(path: Path) -> str:
    """The HS nomenclature a BACI file name states (``BACI_HS17_Y2022_…`` → ``HS17``), else HS92."""
    match = _NOMENCLATURE_IN_NAME.search(path.name)
    return match.group(1).upper() if match else DEFAULT_NOMENCLATURE


def check_year_coverage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    release: str,
    nomenclature: str,
    year_rows: Mapping[int, int],
) -> None:
    """Refuse a BACI file that covers fewer rows of a year than it would replace.

    For each year of the file, the rows it would supersede are those of the same
    source and nomenclature in the release it replaces (its own release, whose
    rows for the year are deleted) or, when the file's release is at least as
    new, in the release the ``trade_latest`` view shows for the year.

    Raises
    ------
    DataError
        Naming the file, the year and both row counts, if a year of the file
        has fewer rows than the rows it would supersede (pass ``replace_year``
        / ``--replace-year`` to import it anyway).
    """
    for year, rows in sorted(year_rows.items()):
        held = con.execute(
            """
            SELECT release, count(*) FROM trade
            WHERE source = $source AND nomenclature = $nomenclature AND year = $year
            GROUP BY release ORDER BY release DESC
            """,
            {"source": SOURCE, "nomenclature": nomenclature, "year": year},
        ).fetchall()
        if not held:
            continue
        latest_release, latest_rows = str(held[0][0]), int(held[0][1])
        own = next((int(n) for r, n in held if r == release), 0)
        superseded, which = own, release
        if release >= latest_release and latest_rows > own:
            superseded, which = latest_rows, latest_release
        if rows < superseded:
            raise DataError(
                f"the file has {rows:,} rows for {year} but the store holds {superseded:,} "
                f"rows of {SOURCE} {nomenclature} {year} (release {which}) that it would "
                "replace; is the file partial? Nothing was imported. Pass --replace-year "
                "to replace the year anyway",
                file=path,
                field="t",
            )


def load_baci_hs17_supplement(con: duckdb.DuckDBPyConnection) -> Hs17SupplementReport:
    """Load the bundled BACI HS17 2024 supplement: codes the HS92 subset lacks.

    The supplement (CEPII BACI V202601, HS 2017, year 2024, 30 HS6 codes; ISO3
    country columns) adds the flows the HS92 subset does not carry (unwrought
    nickel 750210, magnesium 810411, titanium 810820, tungsten 810194, antimony
    811010, silicon 280469, permanent magnets 850511 …). A code is **skipped**
    when the HS92 subset carries it for 2024, or carries the HS92 code it was
    split from (:data:`HS17_FROM_HS92`: tantalum 810320 is part of HS92 810310),
    so no flow is counted twice. Every code gets a ``checks`` row
    (``baci_hs17_supplement``: ``ok`` loaded, ``skipped`` with the reason).

    Rows go to ``trade`` with ``nomenclature = 'HS17'`` and release
    ``V202601``; countries are mapped from the ISO3 columns (the names carry
    mojibake and are not used) to BACI's numeric codes and ISO3 as for the HS92
    subset: ``S19`` "Other Asia, nes" keeps code 490 and maps to TWN through
    the alias table (see the module docstring); a code that maps to no country
    keeps a NULL ISO3 and is listed in ``unmapped``.

    Raises
    ------
    DataError
        If the file lacks a column, holds another year, a negative value, a
        duplicate (exporter, importer, hs6) key, or a loaded code has no HS17
        row in the concordance.
    UnknownCountryError
        If an ISO3 code is not in BACI's country list.
    """
    path = bundled_path(*_BUNDLED_HS17)
    frame = pd.read_parquet(path)
    needed = ("year", "exporter", "importer", "hs6", "value_kusd", "qty_t")
    for name in needed:
        if name not in frame.columns:
            raise DataError(f"missing column {name!r}", file=path, field=name)
    frame["hs6"] = frame["hs6"].astype(str).str.zfill(6)
    if set(frame["year"].astype(int)) != {HS17_SUPPLEMENT_YEAR}:
        raise DataError(f"expected year {HS17_SUPPLEMENT_YEAR} only", file=path, field="year")
    if (frame["value_kusd"] < 0).any() or (frame["qty_t"] < 0).any():
        raise DataError("negative value or quantity", file=path, field="value_kusd")
    dup = frame.duplicated(["exporter", "importer", "hs6"])
    if dup.any():
        row = frame[dup].iloc[0]
        raise DataError(
            f"duplicate flow {row['exporter']} → {row['importer']} {row['hs6']}",
            file=path,
            field="hs6",
        )
    codes = read_baci_country_codes(bundled_path(*_BUNDLED_CODES))
    by_iso3 = {
        str(p): int(c)
        for p, c in zip(codes["published_iso3"], codes["code"], strict=True)
        if isinstance(p, str)
    }
    iso_of = {
        int(c): (None if pd.isna(i) else str(i))
        for c, i in zip(codes["code"], codes["iso3"], strict=True)
    }
    for side in ("exporter", "importer"):
        unknown = sorted(set(frame[side]) - set(by_iso3))
        if unknown:
            raise UnknownCountryError(
                f"ISO3 code {unknown[0]!r} is not in BACI's country list", file=path, field=side
            )
    carried = {
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT hs6 FROM trade WHERE source = $source AND nomenclature = 'HS92' "
            "AND year = $year",
            {"source": SOURCE, "year": HS17_SUPPLEMENT_YEAR},
        ).fetchall()
    }
    hs = read_hs_concordance()
    hs92 = set(hs.loc[hs["nomenclature"] == "HS92", "hs6"]) | carried
    hs17 = set(hs.loc[hs["nomenclature"] == HS17, "hs6"])
    checks: list[dict[str, object]] = []
    keep: list[str] = []
    for hs6, part in frame.groupby("hs6", sort=True):
        code = str(hs6)
        value = float(part["value_kusd"].sum()) * 1000.0
        overlap = sorted(({code} | set(HS17_FROM_HS92.get(code, ()))) & hs92)
        subject = f"HS17 {code} {HS17_SUPPLEMENT_YEAR}"
        if overlap:
            hs92_value = con.execute(
                "SELECT sum(value_usd) FROM trade WHERE source = $source AND nomenclature = "
                "'HS92' AND year = $year AND list_contains($codes::VARCHAR[], hs6)",
                {"source": SOURCE, "year": HS17_SUPPLEMENT_YEAR, "codes": overlap},
            ).fetchone()
            checks.append(
                {
                    "check_name": CHECK_HS17,
                    "source": SOURCE,
                    "release": HS17_RELEASE,
                    "subject": subject,
                    "expected": value,
                    "actual": None if hs92_value is None else hs92_value[0],
                    "status": "skipped",
                    "detail": f"skipped {len(part):,} flows: the HS92 subset carries "
                    f"{', '.join(overlap)} for {HS17_SUPPLEMENT_YEAR} (expected: HS17 value, "
                    "actual: HS92 value, USD)",
                }
            )
            continue
        if code not in hs17:
            raise DataError(
                f"HS17 code {code} has no row in concordances/hs_concordance.csv",
                file=path,
                field="hs6",
            )
        keep.append(code)
        checks.append(
            {
                "check_name": CHECK_HS17,
                "source": SOURCE,
                "release": HS17_RELEASE,
                "subject": subject,
                "expected": value,
                "actual": value,
                "status": "ok",
                "detail": f"loaded {len(part):,} flows: the HS92 subset lacks the code",
            }
        )
    rows = frame[frame["hs6"].isin(keep)]
    exporter_code = rows["exporter"].map(by_iso3).astype("int64")
    importer_code = rows["importer"].map(by_iso3).astype("int64")
    trade = pd.DataFrame(
        {
            "year": rows["year"].astype("int64"),
            "exporter": exporter_code.map(iso_of).astype(object),
            "importer": importer_code.map(iso_of).astype(object),
            "exporter_code": exporter_code,
            "importer_code": importer_code,
            "hs6": rows["hs6"],
            "nomenclature": HS17,
            "value_usd": rows["value_kusd"].astype("float64") * 1000.0,
            "quantity_t": rows["qty_t"].astype("float64"),
            "source": SOURCE,
            "release": HS17_RELEASE,
        }
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM trade WHERE source = $source AND release = $release",
            {"source": SOURCE, "release": HS17_RELEASE},
        )
        con.execute(
            "DELETE FROM checks WHERE check_name = $name AND release = $release",
            {"name": CHECK_HS17, "release": HS17_RELEASE},
        )
        for table, data in (("trade", trade), ("checks", pd.DataFrame(checks))):
            con.register("_hs17", schema.conform(table, data))
            try:
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _hs17')
            finally:
                con.unregister("_hs17")
        _rebuild_unmapped(con, codes, HS17_RELEASE)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Hs17SupplementReport(
        file=path,
        release=HS17_RELEASE,
        rows=len(trade),
        value_usd=float(trade["value_usd"].sum()),
        loaded=tuple(keep),
        skipped=tuple(sorted(set(frame["hs6"]) - set(keep))),
    )


def _default_country_codes(path: Path, release: str) -> Path:
    for name in (f"country_codes_{release}.csv", f"baci_country_codes_{release}.csv"):
        candidate = path.parent / name
        if candidate.is_file():
            return candidate
    return bundled_path(*_BUNDLED_CODES)


def _mapped(codes: pd.DataFrame) -> list[int]:
    return [int(c) for c in codes.loc[codes["iso3"].notna(), "code"]]


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema()"
        ).fetchall()
    }
    for table in ("trade", "unmapped"):
        if table not in present:
            raise StoreError(f"the store has no {table!r} table: build the store first")


def _open_text(path: Path) -> IO[str]:
    """Open ``path`` (plain or gzip) as UTF-8 text, replacing undecodable bytes."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return path.open("r", encoding="utf-8-sig", errors="replace", newline="")


def _check_head(path: Path) -> str:
    """Check encoding and header (line 1) and return DuckDB's ``compression`` value."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK\x03\x04"):
        raise DataError(
            "this is a zip archive: extract the BACI_*.csv files and import those",
            file=path,
            line=1,
            field=BACI_COLUMNS[0],
        )
    compression = "gzip" if magic.startswith(b"\x1f\x8b") else "none"
    try:
        if compression == "gzip":
            with gzip.open(path, "rb") as gz:
                head = gz.readline(1 << 16)
        else:
            with path.open("rb") as fh:
                head = fh.readline(1 << 16)
    except (OSError, EOFError) as exc:
        raise DataError(
            f"cannot read the file: {exc}", file=path, line=1, field=BACI_COLUMNS[0]
        ) from exc
    _check_not_utf16(head[:4], path)
    try:
        text = head.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(
            "header is not UTF-8 text", file=path, line=1, field=BACI_COLUMNS[0]
        ) from exc
    names = [n.strip().strip('"').strip() for n in text.split(",")]
    if names == list(BACI_COLUMNS):
        return compression
    for delim, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if delim in text and "," not in text:
            raise DataError(
                f"wrong delimiter: the header {text!r} is {label}-separated; "
                "BACI files are comma-separated (t,i,j,k,v,q)",
                file=path,
                line=1,
                field=BACI_COLUMNS[0],
            )
    for pos, expected in enumerate(BACI_COLUMNS):
        if pos >= len(names):
            raise DataError(
                f"missing column {expected!r}: header is {text!r}, expected t,i,j,k,v,q",
                file=path,
                line=1,
                field=expected,
            )
        if names[pos] != expected:
            what = "missing" if expected not in names else "out of order"
            raise DataError(
                f"column {expected!r} is {what} (found {names[pos]!r} in position {pos + 1}); "
                "expected the header t,i,j,k,v,q",
                file=path,
                line=1,
                field=expected,
            )
    raise DataError(
        f"unexpected extra column {names[len(BACI_COLUMNS)]!r}: expected the header t,i,j,k,v,q",
        file=path,
        line=1,
        field=names[len(BACI_COLUMNS)],
    )


# --------------------------------------------------------------------------- running


class _Runner:
    """Run DuckDB statements, reporting scan progress and translating CSV errors."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, progress: Progress | None, total: int
    ) -> None:
        self.con = con
        self.progress = progress
        self.total = total

    def settings(self) -> _Settings:
        return _Settings(self.con, enable=self.progress is not None)

    def run(
        self, sql: str, params: dict[str, Any], *, path: Path, offset: int = 0, size: int = 0
    ) -> list[tuple[Any, ...]]:
        """Execute ``sql`` and fetch all rows; report progress over ``[offset, offset+size]``."""
        try:
            if self.progress is None:
                return self.con.execute(sql, params).fetchall()
            return self._run_polled(sql, params, offset, size)
        except duckdb.Error as exc:
            raise _translate(exc, path) from exc

    def _run_polled(
        self, sql: str, params: dict[str, Any], offset: int, size: int
    ) -> list[tuple[Any, ...]]:
        assert self.progress is not None
        result: list[list[tuple[Any, ...]]] = []
        error: list[BaseException] = []

        def work() -> None:
            try:
                result.append(self.con.execute(sql, params).fetchall())
            except BaseException as exc:
                error.append(exc)

        worker = threading.Thread(target=work, name="friendshore-baci-load", daemon=True)
        worker.start()
        last = -1
        try:
            while worker.is_alive():
                worker.join(_POLL_S)
                pct = self.con.query_progress()
                if pct >= 0:
                    done = offset + int(size * min(pct, 100.0) / 100.0)
                    if done != last:
                        self.progress(done, self.total)
                        last = done
        except BaseException:
            self.con.interrupt()
            worker.join()
            raise
        if error:
            raise error[0]
        self.progress(offset + size, self.total)
        return result[0]


class _Settings:
    """Enable DuckDB's query progress (without printing) and restore it afterwards."""

    _NAMES = ("enable_progress_bar", "enable_progress_bar_print")

    def __init__(self, con: duckdb.DuckDBPyConnection, *, enable: bool) -> None:
        self.con = con
        self.enable = enable
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        if not self.enable:
            return
        for name in self._NAMES:
            row = self.con.execute(f"SELECT current_setting('{name}')").fetchone()
            self.saved[name] = bool(row[0]) if row else False
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute("SET enable_progress_bar = true")

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved.items():
            self.con.execute(f"SET {name} = {'true' if value else 'false'}")


def _translate(exc: duckdb.Error, path: Path) -> DataError:
    """Turn a DuckDB CSV error into a DataError naming file, line and column."""
    text = str(exc)
    line_match = _LINE_RE.search(text)
    line = int(line_match.group(1)) if line_match else None
    conv = _CONVERT_RE.search(text)
    if conv:
        column, value, target = conv.groups()
        kind = "an integer" if target in {"INTEGER", "BIGINT"} else "a number"
        return DataError(
            f"value {value.strip()!r} is not {kind}", file=path, line=line, field=column
        )
    cols = _COLUMNS_RE.search(text)
    if cols:
        expected, found = int(cols.group(1)), int(cols.group(2))
        field = BACI_COLUMNS[found] if found < len(BACI_COLUMNS) else BACI_COLUMNS[-1]
        if found > expected:
            hint = " (an extra value at the end of the row)"
        elif _ends_without_newline(path) and line == _last_line(path):
            hint = " (the file ends in the middle of this row: is it truncated?)"
        else:
            hint = f" (missing value for column {field!r}, or a wrong delimiter)"
        return DataError(
            f"expected {expected} comma-separated values, found {found}{hint}",
            file=path,
            line=line,
            field=field,
        )
    if line is not None and ("unicode" in text.lower() or "utf-8" in text.lower()):
        return DataError(
            "invalid UTF-8 bytes (wrong encoding?): BACI files are ASCII/UTF-8",
            file=path,
            line=line,
            field=_field_of_bad_bytes(path, line),
        )
    if "gzip" in text.lower():
        return _truncated_gzip(path, text)
    first = text.splitlines()[0] if text else type(exc).__name__
    return DataError(f"cannot read the CSV: {first}", file=path, line=line, field=None)


def _last_line(path: Path) -> int:
    """Number of the last physical line of a plain text file."""
    count = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            count += block.count(b"\n")
    return count + 1


def _ends_without_newline(path: Path) -> bool:
    """Whether a plain text file's last byte is not a newline (False for gzip)."""
    with path.open("rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            return False
        fh.seek(0, io.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, io.SEEK_END)
        return fh.read(1) not in (b"\n", b"\r")


def _field_of_bad_bytes(path: Path, line: int | None) -> str | None:
    if line is None:
        return None
    for number, row in _rows(path):
        if number == line:
            for name, cell in zip(BACI_COLUMNS, row, strict=False):
                if "\ufffd" in cell:
                    return name
            return None
        if number > line:
            break
    return None


def _truncated_gzip(path: Path, text: str) -> DataError:
    """Locate where a truncated gzip stream ends: the line and column being written."""
    inflater = zlib.decompressobj(wbits=31)
    complete = 0
    tail = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            out = inflater.decompress(chunk)
            complete += out.count(b"\n")
            cut = out.rfind(b"\n")
            tail = out[cut + 1 :] if cut >= 0 else tail + out
            if inflater.eof:
                break
    field = BACI_COLUMNS[min(tail.count(b","), len(BACI_COLUMNS) - 1)]
    return DataError(
        f"file is truncated: the gzip stream ends in the middle of this line "
        f"({text.splitlines()[0]})",
        file=path,
        line=complete + 1,
        field=field,
    )


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for every data row (1-based physical line numbers)."""
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if row:
                yield reader.line_num, row


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Stats:
    rows: int
    value_kusd: float
    years: tuple[int, ...]
    hs6: int
    exporters: tuple[int, ...]
    importers: tuple[int, ...]
    #: Data rows per year.
    year_rows: dict[int, int]


def _bits(text: str | None, low: int = 0) -> tuple[int, ...]:
    """Positions of the set bits of a DuckDB ``BIT`` value (as text), offset by ``low``."""
    if not text:
        return ()
    return tuple(low + pos for pos, bit in enumerate(str(text)) if bit == "1")


def _validate(
    runner: _Runner, path: Path, csv_sql: str, codes: pd.DataFrame, *, size: int
) -> _Stats:
    """First scan: checks and small aggregates over the whole file in one pass.

    Only non-distinct aggregates are used (``bitstring_agg`` for the sets of
    years and codes), so DuckDB streams the file and holds nothing else in
    memory. If any check fails, :func:`_locate` finds the first bad line.
    """
    this_year = dt.date.today().year
    top = _code_span(codes)
    text_csv = csv_sql.replace(_CSV_TYPES, _CSV_TEXT_TYPES)
    sql = f"""
        SELECT
            count(*),
            sum(v),
            count(*) FILTER (t IS NULL OR i IS NULL OR j IS NULL OR k IS NULL OR v IS NULL),
            count(*) FILTER (NOT regexp_full_match(concat_ws(',', t, i, j, k), '{_CODES_RE}')),
            count(*) FILTER (qd IS NULL AND q IS NOT NULL AND trim(q) NOT IN ('', 'NA')),
            count(*) FILTER (v < 0 OR NOT isfinite(v) OR qd < 0 OR NOT isfinite(qd)
                             OR NOT isfinite(v * 1000.0) OR v * 1000.0 > {MAX_VALUE_USD}
                             OR qd > {MAX_QUANTITY_T}),
            count(*) FILTER (ti < {FIRST_YEAR} OR ti > {this_year + 1}),
            count(*) FILTER (ii < 0 OR ii >= {top} OR ji < 0 OR ji >= {top}),
            bitstring_agg(CASE WHEN ti BETWEEN {FIRST_YEAR} AND {this_year + 1} THEN ti END,
                          {FIRST_YEAR}, {this_year + 1})::VARCHAR,
            bitstring_agg(CASE WHEN ii >= 0 AND ii < {top} THEN ii END, 0, {top - 1})::VARCHAR,
            bitstring_agg(CASE WHEN ji >= 0 AND ji < {top} THEN ji END, 0, {top - 1})::VARCHAR,
            bit_count(bitstring_agg(CASE WHEN kk BETWEEN 0 AND 999999 THEN kk END, 0, 999999)),
            histogram(CASE WHEN ti BETWEEN {FIRST_YEAR} AND {this_year + 1} THEN ti END)
        FROM (
            SELECT t, i, j, k, v, q,
                   TRY_CAST(t AS INTEGER) AS ti, TRY_CAST(i AS INTEGER) AS ii,
                   TRY_CAST(j AS INTEGER) AS ji, TRY_CAST(k AS INTEGER) AS kk,
                   TRY_CAST(q AS DOUBLE) AS qd
            FROM {text_csv}
        )
    """
    row = runner.run(sql, {"path": str(path)}, path=path, offset=0, size=size)[0]
    (n, v_sum, n_null, n_format, n_bad_q, n_negative, n_bad_year, n_out_of_range,
     year_bits, exporter_bits, importer_bits, hs6, year_hist) = row  # fmt: skip
    if not n:
        raise DataError(
            "the file has a header but no data rows (truncated?)",
            file=path, line=2, field=BACI_COLUMNS[0],
        )  # fmt: skip
    known = frozenset(int(c) for c in codes["code"])
    exporters = _bits(exporter_bits)
    importers = _bits(importer_bits)
    unknown = (set(exporters) | set(importers)) - known
    if n_null or n_format or n_bad_q or n_negative or n_bad_year or n_out_of_range or unknown:
        raise _locate(path, known=known, duplicates=frozenset(), this_year=this_year)
    return _Stats(
        rows=int(n),
        value_kusd=float(v_sum or 0.0),
        years=_bits(year_bits, FIRST_YEAR),
        year_rows={int(y): int(c) for y, c in dict(year_hist or {}).items()},
        hs6=int(hs6 or 0),
        exporters=exporters,
        importers=importers,
    )


def _code_span(codes: pd.DataFrame) -> int:
    """A power of two above every code in the list (1024 for BACI's ISO numeric codes)."""
    top = 1024
    largest = int(codes["code"].max()) if len(codes) else 0
    while top <= largest:
        top *= 2
    return top


_Key = tuple[int, int, int, int]


def _locate(
    path: Path, *, known: frozenset[int], duplicates: frozenset[_Key], this_year: int
) -> DataError:
    """Scan the file in Python, only after a check failed, for the first bad line."""
    seen: dict[_Key, int] = {}
    for line, row in _rows(path):
        if len(row) != len(BACI_COLUMNS):
            continue  # DuckDB has already rejected rows of the wrong width
        found = _check_row(path, line, [c.strip() for c in row], known, this_year)
        if found is not None:
            return found
        if duplicates:
            key = (int(row[0]), int(row[1]), int(row[2]), int(row[3]))
            if key in duplicates:
                if key in seen:
                    t, i, j, k = key
                    return DataError(
                        f"duplicate key t={t}, i={i}, j={j}, k={k:06d} "
                        f"(first on line {seen[key]})",
                        file=path, line=line, field="k",
                    )  # fmt: skip
                seen[key] = line
    return DataError("the file failed validation but the bad line was not found", file=path)


def _check_row(
    path: Path, line: int, cells: list[str], known: frozenset[int], this_year: int
) -> DataError | None:
    """Return the error for one row, or ``None`` if it passes the checks of :func:`_validate`."""
    t, i, j, k, v, q = cells
    for name, cell in zip(BACI_COLUMNS[:5], cells[:5], strict=True):
        if cell == "":
            return DataError(
                f"empty value in required column {name!r}", file=path, line=line, field=name
            )
    for name, cell in (("t", t), ("i", i), ("j", j)):
        if not (cell.isascii() and cell.isdigit()):
            return DataError(f"value {cell!r} is not an integer", file=path, line=line, field=name)
    if not FIRST_YEAR <= int(t) <= this_year + 1:
        return DataError(
            f"implausible year {t!r} (expected {FIRST_YEAR}–{this_year + 1})",
            file=path, line=line, field="t",
        )  # fmt: skip
    if not (k.isascii() and k.isdigit() and 5 <= len(k) <= 6):
        return DataError(f"HS6 code {k!r} is not 5–6 digits", file=path, line=line, field="k")
    if not _non_negative(v):
        return DataError(
            f"trade value {v!r} is negative or not finite", file=path, line=line, field="v"
        )
    usd = _number(v) * 1000.0
    if not usd <= MAX_VALUE_USD:  # also inf: 1e306 thousand USD overflows
        shown = f"{usd:.3g} USD" if usd < float("inf") else "not finite"
        return DataError(
            f"trade value {v!r} (thousand USD) is {shown} after ×1000: above "
            f"{MAX_VALUE_USD:.0e} USD, the largest plausible value of one flow",
            file=path, line=line, field="v",
        )  # fmt: skip
    if q not in ("", "NA"):
        try:
            float(q)
        except ValueError:
            return DataError(f"value {q!r} is not a number", file=path, line=line, field="q")
        if not _non_negative(q):
            return DataError(
                f"quantity {q!r} is negative or not finite", file=path, line=line, field="q"
            )
        if float(q) > MAX_QUANTITY_T:
            return DataError(
                f"quantity {q!r} tonnes is above {MAX_QUANTITY_T:.0e} t, the largest "
                "plausible quantity of one flow",
                file=path, line=line, field="q",
            )  # fmt: skip
    for name, cell in (("i", i), ("j", j)):
        if int(cell) not in known:
            return UnknownCountryError(
                f"unknown BACI country code {cell}: not in the release's country code list "
                "(import with the release's country_codes file)",
                file=path, line=line, field=name,
            )  # fmt: skip
    return None


def _number(cell: str) -> float:
    """The cell as a number; 0 if it is not one (DuckDB's conversion reports that)."""
    try:
        return float(cell)
    except ValueError:
        return 0.0


def _non_negative(cell: str) -> bool:
    try:
        value = float(cell)
    except ValueError:
        return True  # not a number: DuckDB's conversion reports it, with its line
    return 0.0 <= value < float("inf")


# --------------------------------------------------------------------------- insert


def _insert(
    runner: _Runner,
    path: Path,
    *,
    csv_sql: str,
    codes: pd.DataFrame,
    release: str,
    nomenclature: str,
    years: tuple[int, ...],
    size: int,
) -> None:
    """Second scan, in one transaction: replace the release's years, check keys, rebuild
    ``unmapped``; roll back on any error."""
    con = runner.con
    top = _code_span(codes)
    lookup: list[str | None] = [None] * top
    for code, iso3 in zip(codes["code"], codes["iso3"], strict=True):
        lookup[int(code)] = None if pd.isna(iso3) else str(iso3)
    scope = {
        "source": SOURCE,
        "release": release,
        "nomenclature": nomenclature,
        "years": list(years),
    }
    in_scope = (
        "source = $source AND release = $release AND nomenclature = $nomenclature "
        "AND list_contains($years::INTEGER[], year)"
    )
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.Error as exc:
        raise StoreError(f"cannot start the BACI import transaction: {exc}") from exc
    try:
        con.execute(f"DELETE FROM trade WHERE {in_scope}", scope)
        runner.run(
            f"""
            INSERT INTO trade (year, exporter, importer, exporter_code, importer_code, hs6,
                               nomenclature, value_usd, quantity_t, source, release)
            SELECT t, list_extract($lookup::VARCHAR[], i + 1),
                   list_extract($lookup::VARCHAR[], j + 1), i, j,
                   lpad(trim(k), 6, '0'), $nomenclature, v * 1000.0,
                   TRY_CAST(q AS DOUBLE), $source, $release
            FROM {csv_sql}
            """,
            {
                "path": str(path),
                "lookup": lookup,
                "source": SOURCE,
                "release": release,
                "nomenclature": nomenclature,
            },
            path=path,
            offset=size,
            size=size,
        )
        # Duplicate (t, i, j, k) keys, found on the typed rows just inserted (the
        # release's rows for these years were deleted above, so these are all new).
        packed = f"((year::BIGINT * {top} + exporter_code) * {top} + importer_code) * 1000000"
        dup_rows = con.execute(
            f"""
            SELECT key FROM (SELECT {packed} + hs6::INTEGER AS key FROM trade WHERE {in_scope})
            GROUP BY key HAVING count(*) > 1 LIMIT {_MAX_DUPLICATE_KEYS}
            """,
            scope,
        ).fetchall()
        if dup_rows:
            keys = frozenset(_unpack(int(r[0]), top) for r in dup_rows)
            known = frozenset(int(c) for c in codes["code"])
            raise _locate(path, known=known, duplicates=keys, this_year=dt.date.today().year)
        _rebuild_unmapped(con, codes, release)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _unpack(key: int, top: int) -> _Key:
    rest, k = divmod(key, 1_000_000)
    rest, j = divmod(rest, top)
    t, i = divmod(rest, top)
    return (t, i, j, k)


def _rebuild_unmapped(con: duckdb.DuckDBPyConnection, codes: pd.DataFrame, release: str) -> None:
    """Replace the release's rows in ``unmapped``: one per code without ISO3 and side."""
    con.execute(
        "DELETE FROM unmapped WHERE source = $source AND release = $release",
        {"source": SOURCE, "release": release},
    )
    con.execute(
        """
        INSERT INTO unmapped (source, release, field, code, name, rows, value_usd)
        SELECT $source, $release, u.field, CAST(u.code AS VARCHAR), n.name, u.rows, u.value
        FROM (
            SELECT 'exporter' AS field, exporter_code AS code, count(*) AS rows,
                   sum(value_usd) AS value
            FROM trade WHERE source = $source AND release = $release AND exporter IS NULL
            GROUP BY exporter_code
            UNION ALL
            SELECT 'importer', importer_code, count(*), sum(value_usd)
            FROM trade WHERE source = $source AND release = $release AND importer IS NULL
            GROUP BY importer_code
        ) AS u
        LEFT JOIN (SELECT unnest($codes::INTEGER[]) AS code,
                          unnest($names::VARCHAR[]) AS name) AS n USING (code)
        ORDER BY u.field, u.code
        """,
        {
            "source": SOURCE,
            "release": release,
            "codes": [int(c) for c in codes["code"]],
            "names": [str(n) for n in codes["name"]],
        },
    )
