"""Read the World Bank Worldwide Governance Indicators (WGI) into the ``governance`` table.

The World Bank publishes WGI as one long-format sheet (``wgidataset.xlsx``), one
row per economy, year and indicator, with the columns ``codeindyr, code,
countryname, year, indicator, estimate, stddev, nsource, pctrank, pctranklower,
pctrankupper``. Missing values are written ``..``. :func:`read_wgi` reads that
workbook (with the ``calamine`` engine) or a CSV with the same columns, which is
how users bring a newer release.

Economy codes are the World Bank's. Most are ISO 3166 alpha-3; a few are legacy
codes (``ROM`` Romania, ``ZAR`` DR Congo, ``ADO`` Andorra, ``TMP`` Timor-Leste,
``WBG`` West Bank and Gaza, ``KSV`` Kosovo) that resolve through
``concordances/country_aliases.csv``. A code that does not resolve is not an
error: its rows are left out of ``governance`` and listed, with their count, in
the ``unmapped`` table, so nothing disappears silently.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.countries import country_resolver
from friendshore.data.schema import conform

SOURCE: Final = "World Bank WGI"
DEFAULT_RELEASE: Final = "2024 update"

#: The six WGI dimensions, by the World Bank's short code.
INDICATORS: Final[dict[str, str]] = {
    "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "ge": "Government Effectiveness",
    "rq": "Regulatory Quality",
    "rl": "Rule of Law",
    "cc": "Control of Corruption",
}

#: Columns a WGI file must have (others, such as ``codeindyr`` or the
#: percentile-rank bounds, are allowed and ignored).
REQUIRED_COLUMNS: Final = (
    "code",
    "countryname",
    "year",
    "indicator",
    "estimate",
    "stddev",
    "nsource",
    "pctrank",
)

#: How the World Bank writes a missing value.
MISSING: Final = ".."

_EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_wgi(path: Path, *, release: str = DEFAULT_RELEASE) -> dict[str, pd.DataFrame]:
    """Read a WGI release into the ``governance`` and ``unmapped`` tables.

    Parameters
    ----------
    path
        The World Bank's ``wgidataset.xlsx`` (first sheet with the WGI columns)
        or a comma-separated file (``.csv`` or ``.csv.gz``, UTF-8) with the
        same columns.
    release
        Release label stored with every row, e.g. ``"2024 update"``.

    Returns
    -------
    dict of str to DataFrame
        ``governance``: one row per country, year and indicator; ``estimate``
        in standard-normal units (about -2.5 to 2.5), ``stddev`` its standard
        error, ``pctrank`` in percent (0-100); ``..`` becomes NULL, never 0.
        ``unmapped``: codes that do not resolve to ISO3, with the number of
        rows each carries (those rows are not in ``governance``).

    Raises
    ------
    DataError
        If the file cannot be read or decoded, a required column is missing,
        an indicator is not one of va/pv/ge/rq/rl/cc, a numeric field holds
        text, a value is out of range, or a (code, year, indicator) key
        repeats. The message names the file, the line (the sheet row for a
        workbook; the header is line 1) and the field.
    """
    path = Path(path)
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        frame, lines = _read_workbook(path)
    else:
        frame, lines = _read_csv(path)
    return normalise_wgi(frame, lines, file=path, release=release)


def normalise_wgi(
    frame: pd.DataFrame,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    release: str = DEFAULT_RELEASE,
) -> dict[str, pd.DataFrame]:
    """Map raw WGI rows (as read, text or cell values) into the store schema.

    Parameters
    ----------
    frame
        One row per record with at least :data:`REQUIRED_COLUMNS`.
    lines
        Physical line (sheet row) of each record, for error messages.
    file
        File the records come from, for error messages.
    release
        Release label.

    Returns
    -------
    dict of str to DataFrame
        ``governance`` and ``unmapped`` (see :func:`read_wgi`).
    """
    frame = frame.reset_index(drop=True)
    code = _text(frame["code"])
    empty = code == ""
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataError("empty economy code", file=file, line=int(lines[first]), field="code")

    indicator = _text(frame["indicator"]).str.lower()
    bad = ~indicator.isin(list(INDICATORS))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"unknown indicator {indicator.iloc[first]!r}; expected one of {', '.join(INDICATORS)}",
            file=file,
            line=int(lines[first]),
            field="indicator",
        )

    year = _numeric(frame["year"], lines, file=file, field="year", integer=True, required=True)
    estimate = _numeric(frame["estimate"], lines, file=file, field="estimate")
    stddev = _numeric(frame["stddev"], lines, file=file, field="stddev", low=0.0)
    nsource = _numeric(frame["nsource"], lines, file=file, field="nsource", integer=True, low=0.0)
    pctrank = _numeric(frame["pctrank"], lines, file=file, field="pctrank", low=0.0, high=100.0)

    keys = pd.DataFrame({"code": code, "year": year, "indicator": indicator})
    _check_unique(keys, lines, file=file, field="code", what="(code, year, indicator)")

    resolver = country_resolver()
    mapping = {c: resolver.resolve(c) for c in code.unique()}
    country = code.map(mapping)
    mapped = country.notna()

    resolved_keys = pd.DataFrame({"country": country, "year": year, "indicator": indicator})
    _check_unique(
        resolved_keys[mapped],
        lines[mapped.to_numpy()],
        file=file,
        field="code",
        what="(country, year, indicator) after resolving codes to ISO3",
    )

    governance = pd.DataFrame(
        {
            "country": country,
            "code": code,
            "year": year.astype("int64"),
            "indicator": indicator,
            "estimate": estimate,
            "stddev": stddev,
            "nsource": nsource.astype("Int64"),
            "pctrank": pctrank,
            "source": SOURCE,
            "release": release,
        }
    )[mapped.to_numpy()].reset_index(drop=True)

    names = _text(frame["countryname"])
    unmapped_rows = pd.DataFrame({"code": code, "name": names})[~mapped.to_numpy()]
    unmapped = (
        unmapped_rows.groupby("code", sort=True)
        .agg(name=("name", "first"), rows=("name", "size"))
        .reset_index()
    )
    unmapped = pd.DataFrame(
        {
            "source": SOURCE,
            "release": release,
            "field": "code",
            "code": unmapped["code"].astype(str),
            "name": unmapped["name"].astype(str),
            "rows": unmapped["rows"].astype("int64"),
            "value_usd": np.nan,
        },
        index=range(len(unmapped)),
    )
    return {
        "governance": conform("governance", governance, source=str(file)),
        "unmapped": conform("unmapped", unmapped, source=str(file)),
    }


# --- reading -----------------------------------------------------------------


def _read_workbook(path: Path) -> tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]:
    """Return the first sheet holding the WGI columns, and the sheet row of each record."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except FileNotFoundError as exc:
        raise DataError("no such file", file=path) from exc
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise DataError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); is it a complete .xlsx file?",
            file=path,
        ) from exc
    for grid in sheets.values():
        if grid.empty:
            continue
        header = [str(v).strip() if isinstance(v, str) else "" for v in grid.iloc[0]]
        if all(c in header for c in REQUIRED_COLUMNS):
            frame = grid.iloc[1:].copy()
            frame.columns = pd.Index(header)
            frame = frame.loc[:, [h != "" for h in header]]
            blank = frame.isna().all(axis=1).to_numpy()
            # Sheet rows are 1-based and the header is row 1: grid index i is row i + 1.
            lines = (np.arange(1, len(grid)) + 1).astype(np.int64)
            return frame[~blank], lines[~blank]
    first = next(iter(sheets.values()), pd.DataFrame())
    header = [str(v).strip() for v in first.iloc[0]] if not first.empty else []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    raise DataError(
        f"no sheet has the WGI columns (missing {', '.join(missing)} in sheet "
        f"{next(iter(sheets), '?')!r}; sheets: {', '.join(map(str, sheets))})",
        file=path,
        line=1,
        field=missing[0] if missing else None,
    )


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]:
    """Return the records of a comma-separated WGI file and the line of each record."""
    data = _read_bytes(path)
    text = _decode(data, path, delimiter=",", columns=REQUIRED_COLUMNS)
    return _parse_delimited(text, path, delimiter=",", required=REQUIRED_COLUMNS)


def _read_bytes(path: Path) -> bytes:
    """Return the bytes of ``path``, gunzipped if it ends in ``.gz``."""
    try:
        if path.suffix.lower() != ".gz":
            return path.read_bytes()
        chunks: list[bytes] = []
        with gzip.open(path, "rb") as handle:
            try:
                while chunk := handle.read(1 << 20):
                    chunks.append(chunk)
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                done = b"".join(chunks)
                raise DataError(
                    f"the compressed file is truncated or corrupt ({exc}); download it again",
                    file=path,
                    line=done.count(b"\n") + 1,
                ) from exc
        return b"".join(chunks)
    except FileNotFoundError as exc:
        raise DataError("no such file", file=path) from exc
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc}", file=path) from exc


def _field_at(data: bytes, pos: int, delimiter: str, columns: tuple[str, ...]) -> str | None:
    """Name the column that byte ``pos`` of ``data`` falls in (from the header line)."""
    start = data.rfind(b"\n", 0, pos) + 1
    index = data.count(delimiter.encode(), start, pos)
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)]
    names = [
        h.strip()
        for h in header.decode("utf-8", errors="replace").lstrip("\ufeff").split(delimiter)
    ]
    if index < len(names) and names[index] in columns:
        return names[index]
    return columns[index] if index < len(columns) else None


def _decode(
    data: bytes,
    path: Path,
    *,
    delimiter: str,
    columns: tuple[str, ...],
    fallback: str | None = None,
) -> str:
    """Decode UTF-8 text (with or without BOM); raise naming line and field if it is not.

    ``fallback`` names a single-byte encoding (such as ``"latin-1"``, in which
    CEPII publishes ``geo_cepii.csv``) tried when the bytes are not UTF-8.
    """
    nul = data.find(b"\x00")
    if nul >= 0 or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        pos = max(nul, 0)
        raise DataError(
            "the file holds NUL bytes: it looks UTF-16 encoded; save it as UTF-8 text",
            file=path,
            line=data.count(b"\n", 0, pos) + 1,
            field=columns[0] if columns else None,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback is not None:
            return data.decode(fallback)
        raise DataError(
            f"not UTF-8 text (byte {data[exc.start : exc.start + 1]!r}); save the file as UTF-8",
            file=path,
            line=data.count(b"\n", 0, exc.start) + 1,
            field=_field_at(data, exc.start, delimiter, columns),
        ) from exc


def _parse_delimited(
    text: str, path: Path, *, delimiter: str, required: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]:
    """Split delimited text into a frame of strings plus the physical line of each record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError("the file is empty", file=path, line=1) from None
    except csv.Error as exc:
        raise DataError(f"malformed header: {exc}", file=path, line=1) from exc
    while header and header[-1] == "":
        header.pop()
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        if len(header) == 1:
            for sep, name in _DELIMITER_NAMES.items():
                if sep != delimiter and sep in header[0]:
                    hint = (
                        f"; the file looks {name}-separated but must be "
                        f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated"
                    )
                    break
        raise DataError(
            f"missing column(s) {', '.join(missing)}{hint}",
            file=path,
            line=1,
            field=missing[0],
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise DataError("column name repeated", file=path, line=1, field=repeated[0])
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for fields in reader:
            if not any(fields):
                continue
            record = fields
            if len(record) != width:
                if len(record) > width and not any(f.strip() for f in record[width:]):
                    record = record[:width]
                elif len(record) < width:
                    raise DataError(
                        f"{len(record)} fields where the header has {width}: the line is cut "
                        "short (truncated file or wrong delimiter?)",
                        file=path,
                        line=reader.line_num,
                        field=header[len(record)],
                    )
                else:
                    raise DataError(
                        f"{len(record)} fields where the header has {width}",
                        file=path,
                        line=reader.line_num,
                        field=f"field {width + 1} (no header)",
                    )
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            f"malformed line: {exc}", file=path, line=reader.line_num, field=None
        ) from exc
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return frame.loc[:, [h != "" for h in header]], np.asarray(lines, dtype=np.int64)


# --- checking ----------------------------------------------------------------


def _text(series: pd.Series) -> pd.Series:
    """Return ``series`` as stripped text ('' for empty cells)."""
    return series.map(lambda v: "" if _is_blank(v) else str(v).strip()).astype(str)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _numeric(
    series: pd.Series,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    field: str,
    integer: bool = False,
    required: bool = False,
    low: float | None = None,
    high: float | None = None,
    missing_values: tuple[str, ...] = (MISSING, ""),
) -> pd.Series:
    """Parse a numeric column: ``missing_values`` and empty cells become NaN; text raises."""
    stripped = series.map(lambda v: v.strip() if isinstance(v, str) else v)
    missing = stripped.isna() | stripped.isin(list(missing_values))
    values = pd.to_numeric(stripped.where(~missing), errors="coerce").astype("float64")
    bad = (values.isna() | ~np.isfinite(values.fillna(0.0))) & ~missing
    if required:
        bad |= missing
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raw = series.iloc[first]
        what = "an integer" if integer else "a number"
        message = f"{raw!r} is not {what} (write {missing_values[0]!r} for a missing value)"
        if bool(missing.iloc[first]):
            message = "a value is required here"
        raise DataError(
            message,
            file=file,
            line=int(lines[first]),
            field=field,
        )
    out_of_range = pd.Series(False, index=values.index)
    if low is not None:
        out_of_range |= values < low
    if high is not None:
        out_of_range |= values > high
    if out_of_range.any():
        first = int(np.flatnonzero(out_of_range.to_numpy())[0])
        raise DataError(
            f"{values.iloc[first]} is outside the valid range [{low}, {high}]",
            file=file,
            line=int(lines[first]),
            field=field,
        )
    return values.reset_index(drop=True)


def _check_unique(
    keys: pd.DataFrame,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    field: str,
    what: str,
) -> None:
    """Raise DataError at the second occurrence of a repeated key."""
    dup = keys.duplicated(keep="first").to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        key = tuple(keys.iloc[first])
        twin = next(i for i, row in enumerate(keys.itertuples(index=False)) if tuple(row) == key)
        earlier = int(lines[twin])
        raise DataError(
            f"duplicate key {what} = {key} (first on line {earlier})",
            file=file,
            line=int(lines[first]),
            field=field,
        )
