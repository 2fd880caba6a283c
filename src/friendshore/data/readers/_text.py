"""Shared helpers for readers of delimited text files: decode, split, check.

Every helper raises :class:`DataError` naming the file, the physical line and
the field, so each reader reports malformed input the same way.
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

DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

#: Physical line numbers of the records of a parsed file (header = line 1).
Lines = np.ndarray[Any, np.dtype[np.int64]]


def read_bytes(path: Path) -> bytes:
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


def field_at(data: bytes, pos: int, delimiter: str, columns: tuple[str, ...]) -> str | None:
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


def decode_text(
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
            field=field_at(data, exc.start, delimiter, columns),
        ) from exc


def parse_delimited(
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
            for sep, name in DELIMITER_NAMES.items():
                if sep != delimiter and sep in header[0]:
                    hint = (
                        f"; the file looks {name}-separated but must be "
                        f"{DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated"
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


def text_column(series: pd.Series) -> pd.Series:
    """Return ``series`` as stripped text ('' for empty cells)."""
    return series.map(lambda v: "" if is_blank(v) else str(v).strip()).astype(str)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def parse_numeric(
    series: pd.Series,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    field: str,
    integer: bool = False,
    required: bool = False,
    low: float | None = None,
    high: float | None = None,
    missing_values: tuple[str, ...] = ("",),
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


def check_unique(
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
