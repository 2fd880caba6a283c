"""Read the World Bank Pink Sheet (CMO historical data, monthly) into the ``prices`` table.

The World Bank publishes ``CMO-Historical-Data-Monthly.xlsx``; its sheet
"Monthly Prices" has four title lines (the fourth: ``Updated on December 02,
2025``), then three header rows: the series names (``Copper``), the units in
parentheses (``($/mt)``) and the series codes (``COPPER``); then one row per month
labelled ``1960M01`` in column A. A missing value is written ``…`` or ``...``.

Only the series of ``concordances/price_series.csv`` (rows with source ``wb``) are
kept: aluminium, copper, lead, tin, nickel, zinc, iron ore, gold, silver,
platinum, phosphate rock and potassium chloride. Each cell becomes one
``prices`` row with its Excel row (``line``) and column; ``usd_per_t`` is the
price in US dollars per metric tonne through the units row
(:data:`friendshore.data.price_series.PINK_SHEET_UNITS`).

Errors name the file, the Excel row and the column: a missing sheet or series
code, a unit the code does not know, a month label that is not ``YYYYMmm``, a
cell that is neither a number nor the missing-value mark. The release
(``CMO 2025-12``) is read from the "Updated on" line.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Final

import pandas as pd
from python_calamine import CalamineWorkbook

from friendshore._core.errors import DataError
from friendshore.data.price_series import PINK_SHEET_UNITS, SOURCE_WB, typed_prices, wb_rules
from friendshore.data.resources import bundled_path

SOURCE: Final = SOURCE_WB
SHEET: Final = "Monthly Prices"
#: The bundled file, relative to the bundled data folder.
BUNDLED: Final = ("worldbank_pinksheet", "CMO-Historical-Data-Monthly.xlsx")
#: How the World Bank writes a missing value.
MISSING: Final = frozenset({"…", "...", "..", ""})

_MONTH = re.compile(r"(?P<year>\d{4})M(?P<month>\d{2})")
_UPDATED = re.compile(r"(?i)updated\s+on\s+(?P<date>[A-Za-z]+\s+\d{1,2},\s*\d{4})")
_UNIT = re.compile(r"\(\s*(?P<unit>[^)]*?)\s*\)")


def _letter(col: int) -> str:
    """Spreadsheet column letter of 0-based column ``col``."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _text(value: object) -> str:
    return "" if value is None else re.sub(r"\s+", " ", str(value)).strip()


def _grid(path: Path, file: str) -> list[list[object]]:
    """Return the cells of the "Monthly Prices" sheet, index 0 being Excel row 1."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except FileNotFoundError:
        raise DataError("no such file", file=file) from None
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise DataError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); is it a complete .xlsx file?",
            file=file,
        ) from None
    if SHEET not in book.sheet_names:
        raise DataError(
            f"no sheet {SHEET!r} (sheets: {', '.join(book.sheet_names)})", file=file, line=None
        )
    try:
        rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except Exception as exc:  # pragma: no cover - a sheet calamine lists but cannot read
        raise DataError(f"cannot read sheet {SHEET!r} ({exc})", file=file) from None
    return [list(r) for r in rows]


def infer_release(grid: list[list[object]], *, file: str) -> str:
    """Return the release (``CMO 2025-12``) from the sheet's "Updated on …" line.

    Raises
    ------
    DataError
        If none of the title lines states the date (pass ``release`` then).
    """
    for row in grid[:10]:
        for cell in row[:3]:
            m = _UPDATED.search(_text(cell))
            if m is None:
                continue
            date = re.sub(r"\s+", " ", m["date"].replace(",", ", ")).replace(" ,", ",")
            try:
                when = datetime.strptime(date, "%B %d, %Y")
            except ValueError:
                continue
            return f"CMO {when:%Y-%m}"
    raise DataError(
        f"no 'Updated on <Month> <day>, <year>' line at the top of sheet {SHEET!r}; "
        "pass --release (e.g. 'CMO 2025-12')",
        file=file,
        line=1,
    )


def read_pinksheet(
    path: Path, *, release: str | None = None, file: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read a Pink Sheet workbook (the World Bank's layout) into the ``prices`` table.

    Parameters
    ----------
    path
        ``CMO-Historical-Data-Monthly.xlsx`` or a newer file of the same layout.
    release
        Release label; read from the "Updated on" line when not given.
    file
        The name the rows carry in ``file`` (default: the file name); the
        sheet name follows after a colon.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{"prices": frame}``, one row per kept series and month with a value.

    Raises
    ------
    DataError
        Naming file, Excel row and column, if the layout, a unit, a month
        label or a cell is not as the World Bank writes them.
    """
    name = file or path.name
    grid = _grid(path, name)
    rel = release or infer_release(grid, file=name)
    where = f"{name}:{SHEET}"
    first = next((i for i, row in enumerate(grid) if row and _MONTH.fullmatch(_text(row[0]))), None)
    if first is None or first < 3:
        raise DataError(
            "no month rows (column A like 1960M01) below three header rows (names, units, codes)",
            file=where,
        )
    names, units, codes = grid[first - 3], grid[first - 2], grid[first - 1]
    rules = wb_rules()
    found: dict[str, int] = {}
    for j, code in enumerate(codes):
        key = _text(code).upper()
        if key in rules:
            if key in found:
                raise DataError(
                    f"series code {key!r} appears twice (columns {_letter(found[key])} and "
                    f"{_letter(j)})",
                    file=where,
                    line=first,
                    field=f"{_text(code)} (column {_letter(j)})",
                )
            found[key] = j
    missing = [k for k in rules if k not in found]
    if missing:
        raise DataError(
            f"series code(s) {', '.join(missing)} not in the codes row (header drift? "
            "update concordances/price_series.csv)",
            file=where,
            line=first,
        )
    kept: list[tuple[str, int, str, float | None]] = []
    for key, j in found.items():
        text = _text(units[j] if j < len(units) else "")
        m = _UNIT.fullmatch(text) or _UNIT.search(text)
        unit = m["unit"] if m else text
        if unit.lower() not in PINK_SHEET_UNITS:
            raise DataError(
                f"unknown unit {text!r} for {_text(names[j])!r} "
                f"(known: {', '.join(PINK_SHEET_UNITS)})",
                file=where,
                line=first - 1,
                field=f"{_text(codes[j])} (column {_letter(j)})",
            )
        kept.append((key, j, unit, PINK_SHEET_UNITS[unit.lower()]))
    records: list[dict[str, object]] = []
    for i in range(first, len(grid)):
        row = grid[i]
        label = _text(row[0]) if row else ""
        line = i + 1
        m = _MONTH.fullmatch(label)
        if m is None or not 1 <= int(m["month"]) <= 12:
            if not any(_text(c) for c in row):
                continue
            raise DataError(
                f"not a month label like 1960M01: {label!r}",
                file=where,
                line=line,
                field="column A",
            )
        year, month = int(m["year"]), int(m["month"])
        for key, j, unit, tonnes in kept:
            cell = row[j] if j < len(row) else None
            if isinstance(cell, bool):
                cell = str(cell)
            if isinstance(cell, int | float):
                value = float(cell)
            elif _text(cell) in MISSING:
                continue
            else:
                raise DataError(
                    f"not a number nor the missing-value mark '…': {_text(cell)!r}",
                    file=where,
                    line=line,
                    field=f"{_text(codes[j])} (column {_letter(j)})",
                )
            rule = rules[key]
            convertible = tonnes is not None and (
                rule.valid_from is None or (year, month) >= rule.valid_from
            )
            records.append(
                {
                    "series": rule.series,
                    "source": SOURCE,
                    "release": rel,
                    "mineral_id": rule.mineral_id,
                    "stage": rule.stage,
                    "product": rule.product,
                    "market": rule.market,
                    "frequency": "monthly",
                    "year": year,
                    "month": month,
                    "value": value,
                    "unit": unit,
                    "usd_per_t": value * tonnes * rule.factor
                    if convertible and tonnes is not None
                    else None,
                    "basis": rule.basis,
                    "status": "reported",
                    "note": rule.note,
                    "file": where,
                    "line": line,
                    "column": j + 1,
                }
            )
    return {"prices": typed_prices(records)}


def read_pinksheet_bundled() -> dict[str, pd.DataFrame]:
    """Read the bundled Pink Sheet; ``file`` is relative to the bundled data folder."""
    return read_pinksheet(bundled_path(*BUNDLED), file="/".join(BUNDLED))
