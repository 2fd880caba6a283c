"""Read gravity data sets (gegravity's layout) and coefficient files; store inputs of the panel.

A gravity data set is a delimited text file with one row per exporter ×
importer × year: ``exporter, importer, year, trade`` and any number of numeric
trade-cost variables (``lndist``, ``contiguity``, ``pta`` …), optionally output
``Y`` and expenditure ``E``. That is the layout of the public sample of
``gegravity`` (USITC, ``peter-herman/gegravity``, MIT licence), bundled in
``bundled/gegravity_sample/``. A coefficients file is a CSV with one row per
cost variable: ``variable, coefficient`` and optionally ``std_error`` and one
column per variable holding the covariance matrix.
"""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.resources import bundled_path
from friendshore.data.store import connect

__all__ = [
    "GRAVITY_KEYS",
    "gravity_sample_path",
    "read_coefficients",
    "read_distances",
    "read_gravity_data",
]

#: Key columns of a gravity data set, in order.
GRAVITY_KEYS = ("exporter", "importer", "year", "trade")
_DELIMITERS = ",;\t|"


def gravity_sample_path() -> Path:
    """Path of the bundled gegravity sample (30 countries, 2006, values in USD million)."""
    return bundled_path("gegravity_sample", "sample_data_set.dlm")


def _read_text_table(path: Path) -> pd.DataFrame:
    """All cells as strings, the delimiter sniffed from the header line."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            header = fh.readline()
    except FileNotFoundError:
        raise DataError("file not found", file=path) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=path, line=1) from None
    if not header.strip():
        raise DataError("empty file: expected a header line", file=path, line=1)
    try:
        sep = csv.Sniffer().sniff(header, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True, engine="c"
        )
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=path) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed delimited text: {exc}", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _numeric(frame: pd.DataFrame, col: str, path: Path, *, allow_empty: bool = False) -> pd.Series:
    raw = frame[col].str.strip()
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & ~((raw == "") & allow_empty)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        text = raw.iloc[i]
        what = "empty" if text == "" else f"{text!r} is not a number"
        raise DataError(f"{what}; expected a number", file=path, line=i + 2, field=col)
    bad_inf = ~np.isfinite(values.fillna(0.0).to_numpy(dtype=np.float64))
    if bad_inf.any():
        i = int(np.flatnonzero(bad_inf)[0])
        raise DataError("not a finite number", file=path, line=i + 2, field=col)
    return values.astype(np.float64)


def read_gravity_data(path: Path) -> pd.DataFrame:
    """Read a gravity data set (trade in the file's own unit, e.g. USD million).

    Parameters
    ----------
    path
        Delimited text (``,``, ``;``, tab or ``|``) with a header line holding
        ``exporter, importer, year, trade`` and numeric cost variables.

    Returns
    -------
    pandas.DataFrame
        ``exporter, importer`` (upper-case codes), ``year`` (int), ``trade``
        (float, ≥ 0) and every other column as float, in file order.

    Raises
    ------
    DataError
        Naming file, line and field: a missing key column, an empty code, a
        non-numeric or negative value, a duplicate exporter × importer × year.
    """
    frame = _read_text_table(path)
    for col in GRAVITY_KEYS:
        if col not in frame.columns:
            raise DataError(
                f"missing column {col!r}; expected {', '.join(GRAVITY_KEYS)} and cost variables",
                file=path,
                line=1,
                field=col,
            )
    if frame.empty:
        raise DataError("no data rows", file=path, line=2)
    out = pd.DataFrame(index=frame.index)
    for col in ("exporter", "importer"):
        codes = frame[col].str.strip().str.upper()
        empty = codes == ""
        if empty.any():
            line = int(np.flatnonzero(empty.to_numpy())[0]) + 2
            raise DataError("empty country code", file=path, line=line, field=col)
        out[col] = codes
    year = _numeric(frame, "year", path)
    if (year != year.round()).any():
        i = int(np.flatnonzero((year != year.round()).to_numpy())[0])
        raise DataError("year must be a whole number", file=path, line=i + 2, field="year")
    out["year"] = year.astype(np.int64)
    for col in [c for c in frame.columns if c not in ("exporter", "importer", "year")]:
        out[col] = _numeric(frame, col, path)
    negative = out["trade"] < 0
    if negative.any():
        i = int(np.flatnonzero(negative.to_numpy())[0])
        raise DataError("negative trade value", file=path, line=i + 2, field="trade")
    dup = out.duplicated(["exporter", "importer", "year"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            "duplicate exporter × importer × year "
            f"({out['exporter'].iloc[i]}, {out['importer'].iloc[i]}, {out['year'].iloc[i]})",
            file=path,
            line=i + 2,
            field="exporter",
        )
    return out.reset_index(drop=True)


def read_coefficients(path: Path) -> pd.DataFrame:
    """Read trade-cost coefficients (log points per unit of each variable).

    Parameters
    ----------
    path
        CSV with ``variable, coefficient`` and optionally ``std_error`` and one
        column per variable (the covariance matrix, row by row).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``variable``: ``coefficient``, ``std_error`` (NaN when
        absent) and, when given, one covariance column per variable.

    Raises
    ------
    DataError
        Naming file, line and field.
    """
    frame = _read_text_table(path)
    for col in ("variable", "coefficient"):
        if col not in frame.columns:
            raise DataError(
                f"missing column {col!r}; expected variable, coefficient[, std_error]",
                file=path,
                line=1,
                field=col,
            )
    if frame.empty:
        raise DataError("no coefficients", file=path, line=2)
    names = frame["variable"].str.strip()
    if (names == "").any():
        line = int(np.flatnonzero((names == "").to_numpy())[0]) + 2
        raise DataError("empty variable name", file=path, line=line, field="variable")
    if names.duplicated().any():
        line = int(np.flatnonzero(names.duplicated().to_numpy())[0]) + 2
        raise DataError(f"duplicate variable {names.iloc[line - 2]!r}", file=path, line=line)
    out = pd.DataFrame(index=pd.Index(names.to_list(), name="variable"))
    out["coefficient"] = _numeric(frame, "coefficient", path).to_numpy()
    if "std_error" in frame.columns:
        se = _numeric(frame, "std_error", path, allow_empty=True).to_numpy()
        if (se < 0).any():
            line = int(np.flatnonzero(se < 0)[0]) + 2
            raise DataError("negative standard error", file=path, line=line, field="std_error")
        out["std_error"] = se
    else:
        out["std_error"] = np.nan
    cov_cols = [n for n in names if n in frame.columns]
    if cov_cols:
        if len(cov_cols) != len(names):
            missing = sorted(set(names) - set(cov_cols))
            raise DataError(
                f"incomplete covariance matrix: no column for {', '.join(missing)}",
                file=path,
                line=1,
                field=missing[0],
            )
        for col in cov_cols:
            out[col] = _numeric(frame, col, path).to_numpy()
    return out


def read_distances(store: Path) -> pd.DataFrame:
    """CEPII GeoDist pairs from the store (km): one row per origin × destination.

    Columns: ``exporter, importer, dist_km, distw_km, contiguity,
    common_language`` (0/1, official language), ``source, release``.
    """
    with contextlib.closing(connect(store)) as con:
        return con.execute(
            "SELECT origin AS exporter, destination AS importer, dist_km, distw_km, "
            "CAST(contig AS INTEGER) AS contiguity, "
            "CAST(comlang_off AS INTEGER) AS common_language, source, release "
            "FROM distance ORDER BY origin, destination"
        ).df()
