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

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.countries import country_resolver
from friendshore.data.readers._text import (
    check_unique,
    decode_text,
    parse_delimited,
    parse_numeric,
    read_bytes,
    text_column,
)
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
DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
    code = text_column(frame["code"])
    empty = code == ""
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataError("empty economy code", file=file, line=int(lines[first]), field="code")

    indicator = text_column(frame["indicator"]).str.lower()
    bad = ~indicator.isin(list(INDICATORS))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"unknown indicator {indicator.iloc[first]!r}; expected one of {', '.join(INDICATORS)}",
            file=file,
            line=int(lines[first]),
            field="indicator",
        )

    def number(field: str, **bounds: Any) -> pd.Series:
        return parse_numeric(
            frame[field], lines, file=file, field=field, missing_values=(MISSING, ""), **bounds
        )

    year = number("year", integer=True, required=True)
    estimate = number("estimate")
    stddev = number("stddev", low=0.0)
    nsource = number("nsource", integer=True, low=0.0)
    pctrank = number("pctrank", low=0.0, high=100.0)

    keys = pd.DataFrame({"code": code, "year": year, "indicator": indicator})
    check_unique(keys, lines, file=file, field="code", what="(code, year, indicator)")

    resolver = country_resolver()
    mapping = {c: resolver.resolve(c) for c in code.unique()}
    country = code.map(mapping)
    mapped = country.notna()

    resolved_keys = pd.DataFrame({"country": country, "year": year, "indicator": indicator})
    check_unique(
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

    names = text_column(frame["countryname"])
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
    data = read_bytes(path)
    text = decode_text(data, path, delimiter=",", columns=REQUIRED_COLUMNS)
    return parse_delimited(text, path, delimiter=",", required=REQUIRED_COLUMNS)
