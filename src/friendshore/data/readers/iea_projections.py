"""Read the IEA's demand projections (CMDE workbook and ``iea.json``) for the ``projections`` table.

The IEA Critical Minerals Data Explorer publishes world mineral demand, in kt,
for the base year and 2030-2050 under three scenarios: Stated Policies
(``STEPS``), Announced Pledges (``APS``) and Net Zero Emissions by 2050
(``NZE``). This module reads every demand sheet of the May 2024 workbook and
the demand blocks of the 2025 edition's JSON conversion:

- sheet ``1 Total demand for key minerals`` / block ``totalDemand``: ``kind``
  ``demand``, six minerals by sector, clean technologies, other uses, total
  demand and the clean-technology share;
- sheet ``3.1 Cleantech demand by tech`` / ``cleantechByTech``: ``kind``
  ``cleantech_demand``, minerals by sector;
- sheet ``3.2 Cleantech demand by mineral`` / ``cleantechByMineral``: ``kind``
  ``cleantech_demand``, 37 minerals;
- sheets ``4.1 Solar PV`` ... ``4.6 Hydrogen`` / ``byTechnology``: ``kind``
  ``technology_demand``, minerals per technology, base case and (workbook
  only) alternative cases.

The supply sheet (``2 Total supply for key minerals`` and the JSON ``supply``
block) is read by :mod:`friendshore.data.readers.iea`, which writes its rows
into the same table (``kind`` ``supply``).

Rows and provenance
-------------------
One row per published cell: the value as printed (``value``, ``unit`` ``kt`` or
``fraction`` for the printed clean-technology share), in tonnes (``value_t``),
with the sheet (or JSON block), the cell (or JSON path) and the row (or JSON
line) it came from. The base year (2023 in the workbook, 2024 in the JSON) is
printed once per sheet; it is stored once per scenario, with the same cell, so
that every scenario has a full series (``status`` ``observed``; later years
``projection``). Blank cells (e.g. the 4.3 case "Limited battery size
reduction", which gives only the base year) are not rows.

Minerals
--------
IEA labels map to catalog minerals through ``concordances/iea_minerals.csv``
(:func:`read_iea_minerals`): the stage of demand is ``processing`` (demand for
refined material); magnet rare earths and the single rare-earth elements map
to the group-level ``rare_earths``, the elements with their symbol in
``element`` (never add those to a group total); labels the catalog lacks
(hafnium, iridium, PGMs) keep ``mineral_id`` NULL and stay in the table.

Checks
------
The IEA's own sums do not always agree. Nothing is corrected; each sum is
recomputed and written to ``checks`` (``ok`` or ``mismatch`` with a detail):
sectors vs "Total clean technologies", clean technologies + other uses vs
"Total demand" and the printed share (sheet 1, ``totalDemand``); sectors vs
the mineral total (3.1); 3.1 totals vs 3.2; the minerals of a technology vs
its printed total, and the sum over the technology sheets vs 3.2 (4.x); the
rare-earth elements and all minerals vs the 3.2 totals. In the 2025 JSON,
graphite NZE 2040 sectors add up to 10,475.8 kt against a printed clean-
technology total of 11,875.7 kt.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import pandas as pd
from python_calamine import CalamineWorkbook

from friendshore._core.errors import DataError
from friendshore._core.units import TO_TONNES
from friendshore.data import catalog
from friendshore.data.countries import normalise_label
from friendshore.data.readers import iea
from friendshore.data.resources import bundled_path, concordance_path
from friendshore.data.schema import columns, conform

SOURCE: Final = iea.SOURCE

#: Scenario labels as the workbook prints them (case-insensitive) -> scenario id.
SCENARIO_LABELS: Final[dict[str, str]] = {
    "stated policies scenario": "STEPS",
    "announced pledges scenario": "APS",
    "net zero emissions by 2050 scenario": "NZE",
}
SCENARIOS: Final = ("STEPS", "APS", "NZE")
BASE_CASE: Final = "Base case"
TOTAL: Final = "Total"
CLEAN_TOTAL: Final = "Total clean technologies"
TOTAL_DEMAND: Final = "Total demand"
OTHER_USES: Final = "Other uses"
SHARE: Final = "Share of clean technologies in total demand"

#: Technology sheets (name after the number) and JSON ``byTechnology`` keys -> the
#: sector label the other sheets use for the technology.
TECHNOLOGIES: Final[dict[str, str]] = {
    "solar pv": "Solar PV",
    "wind": "Wind",
    "ev": "Electric vehicles",
    "electric vehicles": "Electric vehicles",
    "battery storage": "Grid battery storage",
    "grid battery storage": "Grid battery storage",
    "electricity networks": "Electricity networks",
    "hydrogen": "Hydrogen technologies",
    "hydrogen technologies": "Hydrogen technologies",
}

#: Relative tolerance of the sum checks (the 3.x and 4.x sheets print six
#: significant digits), and an absolute floor in kt.
REL_TOLERANCE: Final = 1e-4
ABS_TOLERANCE: Final = 1e-6
#: Tolerance of the printed clean-technology share (0-1).
SHARE_TOLERANCE: Final = 1e-4

_UNIT = re.compile(r"\((?P<unit>kt|Mt|t)\)\s*$")
_STAGES: Final = frozenset({"mining", "processing"})


@dataclass(frozen=True)
class _Layout:
    """How one workbook sheet is laid out."""

    pattern: re.Pattern[str]
    kind: str
    #: ``mineral_blocks``: a mineral title row, then sectors; ``mineral_rows``: one
    #: mineral per row; ``case_blocks``: a case title row, then minerals.
    layout: str


SHEETS: Final = (
    _Layout(re.compile(r"^1\s+total demand", re.I), "demand", "mineral_blocks"),
    _Layout(re.compile(r"^3\.1\s", re.I), "cleantech_demand", "mineral_blocks"),
    _Layout(re.compile(r"^3\.2\s", re.I), "cleantech_demand", "mineral_rows"),
    _Layout(re.compile(r"^4\.\d+\s", re.I), "technology_demand", "case_blocks"),
)


# --- the mineral concordance ---------------------------------------------------


@dataclass(frozen=True)
class IeaMineral:
    """One IEA mineral label and what it is in the catalog."""

    label: str
    mineral_id: str | None
    stage: str
    element: str | None
    basis: str | None
    note: str | None


def read_iea_minerals(*, path: Path | None = None) -> dict[str, IeaMineral]:
    """Read the IEA label -> catalog mineral concordance, keyed by the folded label.

    Parameters
    ----------
    path
        A CSV with columns ``iea_label, mineral_id, stage, element, basis,
        note``; defaults to the bundled ``concordances/iea_minerals.csv``.

    Returns
    -------
    dict of str to IeaMineral
        Keyed by the label folded to lower case with spaces collapsed.

    Raises
    ------
    DataError
        If the file is malformed, a label repeats, a mineral is not in the
        catalog or a stage is not ``mining``/``processing`` (file, line, field).
    """
    return _read_iea_minerals(path or concordance_path("iea_minerals.csv"))


@cache
def _read_iea_minerals(path: Path) -> dict[str, IeaMineral]:
    shown = (
        f"concordances/{path.name}" if path == concordance_path("iea_minerals.csv") else str(path)
    )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"malformed CSV: {exc}", file=shown) from None
    expected = ["iea_label", "mineral_id", "stage", "element", "basis", "note"]
    if list(frame.columns) != expected:
        raise DataError(f"columns must be {expected}", file=shown, line=1)
    known = set(catalog.read_minerals()["mineral_id"])
    out: dict[str, IeaMineral] = {}
    for line, row in enumerate(frame.to_dict("records"), start=2):
        label = normalise_label(row["iea_label"])
        key = label.casefold()
        if not label:
            raise DataError("required", file=shown, line=line, field="iea_label")
        if key in out:
            raise DataError(f"label {label!r} repeats", file=shown, line=line, field="iea_label")
        if row["mineral_id"] and row["mineral_id"] not in known:
            raise DataError(
                f"{row['mineral_id']!r} is not in the mineral catalog (concordances/minerals.csv)",
                file=shown,
                line=line,
                field="mineral_id",
            )
        if row["stage"] not in _STAGES:
            raise DataError(
                f"stage must be one of {sorted(_STAGES)}", file=shown, line=line, field="stage"
            )
        out[key] = IeaMineral(
            label,
            row["mineral_id"] or None,
            row["stage"],
            row["element"] or None,
            row["basis"] or None,
            row["note"] or None,
        )
    return out


# --- public readers ------------------------------------------------------------


def read_projections_bundled() -> dict[str, pd.DataFrame]:
    """Read the demand projections of both bundled editions.

    Returns
    -------
    dict of str to DataFrame
        ``projections`` (release ``2024 edition``: the May 2024 workbook, base
        year 2023; ``2025 edition``: ``iea.json``, base year 2024) and ``checks``.
    """
    editions = [
        read_projections_workbook(
            bundled_path(*iea.BUNDLED_WORKBOOK),
            release="2024 edition",
            edition=iea.EDITION_WORKBOOK,
        ),
        read_projections_json(
            bundled_path(*iea.BUNDLED_JSON), release="2025 edition", edition=iea.EDITION_JSON
        ),
    ]
    return {
        table: pd.concat([e[table] for e in editions], ignore_index=True) for table in editions[0]
    }


def read_projections_workbook(
    path: Path, *, release: str | None = None, edition: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the demand sheets (1, 3.1, 3.2, 4.x) of an IEA CMDE workbook (kt).

    Parameters
    ----------
    path
        The workbook (``.xlsx``).
    release
        Release label; by default ``"<base year + 1> edition"``.
    edition
        Edition label; by default ``"IEA CMDE <release>"``.

    Returns
    -------
    dict of str to DataFrame
        ``projections`` (one row per published cell, ``value`` in kt as printed
        and ``value_t`` in t) and ``checks`` (the IEA's sums recomputed).

    Raises
    ------
    DataError
        If the workbook cannot be read, a sheet is missing, the year or scenario
        header has drifted, a scenario label or mineral label is unknown, a
        cell holds text where a number belongs, or a row repeats. ``file`` is
        the workbook, ``line`` the sheet row and ``field`` ``<sheet>!<cell>``.
    """
    path = Path(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = [str(n) for n in book.sheet_names]
    except FileNotFoundError as exc:
        raise DataError("no such file", file=path) from exc
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise DataError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); is it a complete .xlsx file?",
            file=path,
        ) from exc
    cells: list[_Value] = []
    base_years: set[int] = set()
    for layout in SHEETS:
        matching = [n for n in names if layout.pattern.search(n)]
        if not matching:
            raise DataError(
                f"no sheet named like {layout.pattern.pattern!r} (sheets: {', '.join(names)})",
                file=path,
            )
        for name in matching:
            try:
                # row 0 is sheet row 1 even when the sheet's first rows are empty
                grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise DataError(
                    f"cannot read sheet {name!r} ({type(exc).__name__}: {exc})", file=path
                ) from exc
            base_year, parsed = _parse_sheet(grid, name, layout, path)
            base_years.add(base_year)
            cells.extend(parsed)
    if len(base_years) != 1:
        raise DataError(
            f"the demand sheets have different base years: {sorted(base_years)}", file=path
        )
    (base_year,) = base_years
    release = release or f"{base_year + 1} edition"
    return _normalise(
        cells,
        release=release,
        edition=edition or f"{SOURCE} {release}",
        path=path,
        base_year=base_year,
    )


def read_projections_json(
    path: Path, *, release: str | None = None, edition: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the demand blocks of a CMDE JSON conversion (``iea.json``, kt).

    The blocks are ``totalDemand``, ``cleantechByTech``, ``cleantechByMineral``
    and ``byTechnology``; each series is ``{"<base year>": v, "STEPS": {year:
    v}, "APS": {...}, "NZE": {...}}``.

    Parameters
    ----------
    path
        The JSON file (UTF-8).
    release
        Release label; by default ``"<base year + 1> edition"``.
    edition
        Edition label; by default ``"IEA CMDE <release> (JSON)"``.

    Returns
    -------
    dict of str to DataFrame
        As :func:`read_projections_workbook`; ``source_sheet`` is the block,
        ``source_cell`` the JSON path and ``line`` the line of the value.

    Raises
    ------
    DataError
        If the file is not UTF-8 JSON, a block is missing or not shaped as
        above, a scenario key or mineral label is unknown, or a value is not
        a number (``field``: the JSON path).
    """
    path = Path(path)
    doc = iea._load_json(path)
    cells = list(_parse_json(doc, path))
    base_years = {c.year for c in cells if c.scenario is None}
    if len(base_years) != 1:
        raise DataError(
            f"the series have different base years: {sorted(base_years)}", file=path, line=1
        )
    (base_year,) = base_years
    release = release or f"{base_year + 1} edition"
    return _normalise(
        cells,
        release=release,
        edition=edition or f"{SOURCE} {release} (JSON)",
        path=path,
        base_year=base_year,
    )


# --- parsing -------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    """One published value with its place in the table and in the file."""

    kind: str
    mineral: IeaMineral | None  # None for all-mineral totals
    iea_mineral: str
    sector: str | None
    technology: str | None
    case: str
    row_type: str
    scenario: str | None  # None: the base year, repeated for every scenario
    year: int
    value: float
    unit: str
    sheet: str
    cell: str
    line: int


def _lookup(label: str, *, file: Path, line: int | None, field: str) -> IeaMineral:
    found = read_iea_minerals().get(normalise_label(label).casefold())
    if found is None:
        raise DataError(
            f"unknown IEA mineral {label!r}: add it to concordances/iea_minerals.csv "
            "(mineral_id empty if the catalog lacks it)",
            file=file,
            line=line,
            field=field,
        )
    return found


def _columns(
    grid: list[list[Any]], sheet: str, path: Path
) -> tuple[int, int, dict[int, tuple[str | None, int]]]:
    """Find the header: return its row index, the base year and column -> (scenario, year)."""
    header = next(
        (r for r, row in enumerate(grid) if sum(iea._as_year(v) is not None for v in row[1:]) >= 2),
        None,
    )
    if header is None or header == 0:
        raise DataError(
            "no header row with years (2023, 2030, ...) below a row of scenario names",
            file=path,
            line=1,
            field=f"{sheet}!A1",
        )
    years_row, names_row = grid[header], grid[header - 1]
    line = header + 1
    out: dict[int, tuple[str | None, int]] = {}
    scenario: str | None = None
    previous_year = False
    for j in range(1, len(years_row)):
        value = years_row[j]
        name = names_row[j] if j < len(names_row) else None
        here = f"{sheet}!{iea._letter(j)}{line}"
        year = iea._as_year(value)
        if not iea._is_blank(name):
            text = normalise_label(str(name))
            found = SCENARIO_LABELS.get(text.casefold())
            if found is None:
                raise DataError(
                    f"unknown scenario label {text!r}; known: "
                    + ", ".join(f"{k!r}" for k in SCENARIO_LABELS),
                    file=path,
                    line=line - 1,
                    field=f"{sheet}!{iea._letter(j)}{line - 1}",
                )
            if year is None:
                raise DataError(
                    f"scenario {text!r} stands over {value!r}, not a year: the header has drifted",
                    file=path,
                    line=line,
                    field=here,
                )
            scenario = found
        elif year is not None and not previous_year:
            scenario = None  # a group of years with no scenario: the base year
        if year is None:
            if not iea._is_blank(value):
                raise DataError(
                    f"{value!r} in the year header is not a year: the header has drifted",
                    file=path,
                    line=line,
                    field=here,
                )
            previous_year = False
            continue
        out[j] = (scenario, year)
        previous_year = True
    base = [(j, y) for j, (s, y) in out.items() if s is None]
    if len(base) != 1:
        raise DataError(
            f"expected one base-year column without a scenario, found {len(base)} "
            f"({', '.join(str(y) for _, y in base) or 'none'}): the header has drifted",
            file=path,
            line=line,
            field=f"{sheet}!A{line}",
        )
    base_col, base_year = base[0]
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for j, (s, y) in out.items():
        if s is not None:
            groups[s].append((j, y))
    missing = [s for s in SCENARIOS if s not in groups]
    if missing:
        raise DataError(
            f"no columns for scenario(s) {', '.join(missing)}: the header has drifted",
            file=path,
            line=line - 1,
            field=f"{sheet}!A{line - 1}",
        )
    reference = [y for _, y in groups[SCENARIOS[0]]]
    for s, cols in groups.items():
        years = [y for _, y in cols]
        bad = next(
            (
                (j, y)
                for (j, y), prev in zip(cols, [base_year, *years], strict=False)
                if y <= prev or j < base_col
            ),
            None,
        )
        if bad is not None or years != reference:
            j = bad[0] if bad else cols[0][0]
            raise DataError(
                f"{s} years {years} are not increasing after the base year {base_year} "
                f"or differ from {SCENARIOS[0]} {reference}: the header has drifted",
                file=path,
                line=line,
                field=f"{sheet}!{iea._letter(j)}{line}",
            )
    return header, base_year, out


def _parse_sheet(
    grid: list[list[Any]], sheet: str, layout: _Layout, path: Path
) -> tuple[int, list[_Value]]:
    """Parse one demand sheet into values."""
    header, base_year, cols = _columns(grid, sheet, path)
    title_line, title = next(
        (
            (r + 1, str(v))
            for r, row in enumerate(grid[:header])
            for v in row
            if not iea._is_blank(v)
        ),
        (1, ""),
    )
    unit_match = _UNIT.search(title.strip())
    if unit_match is None:
        raise DataError(
            f"no unit such as '(kt)' at the end of the title {title!r}",
            file=path,
            line=title_line,
            field=f"{sheet}!A{title_line}",
        )
    unit = unit_match["unit"]
    last = max(cols)
    technology = None
    if layout.layout == "case_blocks":
        name = normalise_label(re.sub(r"^\d+(\.\d+)?\s+", "", sheet))
        technology = TECHNOLOGIES.get(name.casefold())
        if technology is None:
            raise DataError(
                f"unknown technology sheet {sheet!r}; known: {', '.join(TECHNOLOGIES)}",
                file=path,
                field=f"{sheet}!A1",
            )
    out: list[_Value] = []
    block: str | IeaMineral | None = None
    seen: dict[tuple[object, ...], int] = {}
    for r in range(header + 1, len(grid)):
        row = grid[r]
        line = r + 1
        raw = row[0] if row else None
        label = "" if iea._is_blank(raw) else normalise_label(str(raw))
        values: dict[int, object] = {}
        for j in range(1, min(len(row), last + 1)):
            if iea._is_blank(row[j]):
                continue
            if j not in cols:
                raise DataError(
                    f"value {row[j]!r} in a column without a year",
                    file=path,
                    line=line,
                    field=f"{sheet}!{iea._letter(j)}{line}",
                )
            values[j] = row[j]
        if not label:
            if values:
                j = min(values)
                raise DataError(
                    "value without a row label",
                    file=path,
                    line=line,
                    field=f"{sheet}!{iea._letter(j)}{line}",
                )
            continue
        here = f"{sheet}!A{line}"
        if not values:
            if label.casefold().startswith("note"):
                continue  # the notes under the last block
            if layout.layout == "mineral_blocks":
                block = _lookup(label, file=path, line=line, field=here)
            elif layout.layout == "case_blocks":
                block = label
            else:
                raise DataError("row without values", file=path, line=line, field=here)
            continue
        mineral, iea_mineral, sector, case, row_type = _classify(
            label, layout, block, path=path, line=line, field=here
        )
        unit_here = "fraction" if row_type == "share" else unit
        key = (iea_mineral.casefold(), (sector or "").casefold(), case)
        if key in seen:
            raise DataError(
                f"row {label!r} repeats (first on line {seen[key]})",
                file=path,
                line=line,
                field=here,
            )
        seen[key] = line
        for j, raw_value in values.items():
            scenario, year = cols[j]
            cell = f"{iea._letter(j)}{line}"
            number = iea._number(raw_value, file=path, line=line, field=f"{sheet}!{cell}")
            if number is None:
                continue
            out.append(
                _Value(
                    layout.kind,
                    mineral,
                    iea_mineral,
                    sector,
                    technology,
                    case,
                    row_type,
                    scenario,
                    year,
                    number,
                    unit_here,
                    sheet,
                    cell,
                    line,
                )
            )
    if not out:
        raise DataError("no values below the header", file=path, field=f"{sheet}!A{header + 2}")
    return base_year, out


def _classify(
    label: str,
    layout: _Layout,
    block: str | IeaMineral | None,
    *,
    path: Path,
    line: int,
    field: str,
) -> tuple[IeaMineral | None, str, str | None, str, str]:
    """Return mineral, IEA mineral label, sector, case and row type of a data row."""
    folded = label.casefold()
    if layout.layout == "mineral_blocks":
        if not isinstance(block, IeaMineral):
            raise DataError(
                f"row {label!r} has values but no mineral title above it",
                file=path,
                line=line,
                field=field,
            )
        if folded == TOTAL_DEMAND.casefold():
            return block, block.label, TOTAL_DEMAND, BASE_CASE, "total"
        if folded == CLEAN_TOTAL.casefold():
            return block, block.label, CLEAN_TOTAL, BASE_CASE, "total"
        if folded.startswith("share of clean technologies"):
            return block, block.label, SHARE, BASE_CASE, "share"
        if folded.startswith("total"):
            if folded != f"total {block.label}".casefold():
                raise DataError(
                    f"total row {label!r} in the block of {block.label!r}",
                    file=path,
                    line=line,
                    field=field,
                )
            return block, block.label, CLEAN_TOTAL, BASE_CASE, "total"
        return block, block.label, label, BASE_CASE, "sector"
    if layout.layout == "mineral_rows":
        if folded == TOTAL.casefold():
            return None, TOTAL, CLEAN_TOTAL, BASE_CASE, "total"
        mineral = _lookup(label, file=path, line=line, field=field)
        return mineral, label, CLEAN_TOTAL, BASE_CASE, "total"
    if not isinstance(block, str):
        raise DataError(
            f"row {label!r} has values but no case title above it",
            file=path,
            line=line,
            field=field,
        )
    if folded.startswith("total"):
        return None, TOTAL, None, block, "total"
    mineral = _lookup(label, file=path, line=line, field=field)
    return mineral, label, None, block, "sector"


def _series(
    node: Any,
    where: str,
    line: int,
    path: Path,
) -> Iterator[tuple[str | None, int, float, str, int]]:
    """Yield (scenario, year, value, JSON path, line) of one JSON series."""
    if not isinstance(node, iea._JsonObject):
        raise DataError(
            "expected an object {base year: value, STEPS: {...}, ...}",
            file=path,
            line=line,
            field=where,
        )
    base = 0
    for key, value in node.items():
        here = f"{where}/{key}"
        key_line = node.key_lines[key]
        year = iea._as_year(key)
        if year is not None:
            number = iea._number(value, file=path, line=key_line, field=here)
            base += 1
            if number is not None:
                yield None, year, number, here, key_line
            continue
        if key not in SCENARIOS:
            raise DataError(
                f"unknown scenario label {key!r}; known: {', '.join(SCENARIOS)}",
                file=path,
                line=key_line,
                field=here,
            )
        if not isinstance(value, iea._JsonObject):
            raise DataError(
                "expected an object of year -> value", file=path, line=key_line, field=here
            )
        for year_key, inner in value.items():
            at = f"{here}/{year_key}"
            inner_line = value.key_lines[year_key]
            y = iea._as_year(year_key)
            if y is None:
                raise DataError(f"{year_key!r} is not a year", file=path, line=inner_line, field=at)
            number = iea._number(inner, file=path, line=inner_line, field=at)
            if number is not None:
                yield key, y, number, at, inner_line
    if base != 1:
        raise DataError(
            f"expected one base-year value, found {base}", file=path, line=line, field=where
        )
    missing = [s for s in SCENARIOS if s not in node]
    if missing:
        raise DataError(
            f"no {', '.join(missing)} series (each series has STEPS, APS and NZE)",
            file=path,
            line=line,
            field=where,
        )


def _obj(node: Any, key: str, where: str, line: int, path: Path) -> Any:
    if not isinstance(node, iea._JsonObject) or key not in node:
        raise DataError(
            f"no {key!r} object", file=path, line=line, field=f"{where}/{key}".lstrip("/")
        )
    return node[key]


def _parse_json(doc: Any, path: Path) -> Iterator[_Value]:
    """Yield the values of the four demand blocks of the JSON."""
    blocks = ("totalDemand", "cleantechByTech", "cleantechByMineral", "byTechnology")
    for block in blocks:
        node = _obj(doc, block, "", 1, path)
        if not isinstance(node, iea._JsonObject):
            raise DataError("expected an object", file=path, line=1, field=block)
    # totalDemand: mineral -> sectors, totalClean, otherUses, totalDemand, cleanShare
    node = doc["totalDemand"]
    for label, content in node.items():
        where, line = f"totalDemand/{label}", node.key_lines[label]
        mineral = _lookup(label, file=path, line=line, field=where)
        sectors = _obj(content, "sectors", where, line, path)
        parts: list[tuple[str, str, Any, str, int]] = [
            (
                sector,
                "sector",
                sectors[sector],
                f"{where}/sectors/{sector}",
                sectors.key_lines[sector],
            )
            for sector in sectors
        ]
        for key, sector, row_type in (
            ("totalClean", CLEAN_TOTAL, "total"),
            ("otherUses", OTHER_USES, "sector"),
            ("totalDemand", TOTAL_DEMAND, "total"),
            ("cleanShare", SHARE, "share"),
        ):
            parts.append(
                (
                    sector,
                    row_type,
                    _obj(content, key, where, line, path),
                    f"{where}/{key}",
                    content.key_lines[key],
                )
            )
        for sector, row_type, series, at, at_line in parts:
            yield from _values(
                _series(series, at, at_line, path),
                kind="demand",
                mineral=mineral,
                iea_mineral=label,
                sector=sector,
                technology=None,
                case=BASE_CASE,
                row_type=row_type,
                unit="fraction" if row_type == "share" else "kt",
                sheet="totalDemand",
            )
    node = doc["cleantechByTech"]
    for label, content in node.items():
        where, line = f"cleantechByTech/{label}", node.key_lines[label]
        mineral = _lookup(label, file=path, line=line, field=where)
        sectors = _obj(content, "sectors", where, line, path)
        for sector in sectors:
            yield from _values(
                _series(
                    sectors[sector], f"{where}/sectors/{sector}", sectors.key_lines[sector], path
                ),
                kind="cleantech_demand",
                mineral=mineral,
                iea_mineral=label,
                sector=sector,
                technology=None,
                case=BASE_CASE,
                row_type="sector",
                unit="kt",
                sheet="cleantechByTech",
            )
        yield from _values(
            _series(
                _obj(content, "total", where, line, path),
                f"{where}/total",
                content.key_lines["total"],
                path,
            ),
            kind="cleantech_demand",
            mineral=mineral,
            iea_mineral=label,
            sector=CLEAN_TOTAL,
            technology=None,
            case=BASE_CASE,
            row_type="total",
            unit="kt",
            sheet="cleantechByTech",
        )
    node = doc["cleantechByMineral"]
    for label, series in node.items():
        where, line = f"cleantechByMineral/{label}", node.key_lines[label]
        mineral = _lookup(label, file=path, line=line, field=where)
        yield from _values(
            _series(series, where, line, path),
            kind="cleantech_demand",
            mineral=mineral,
            iea_mineral=label,
            sector=CLEAN_TOTAL,
            technology=None,
            case=BASE_CASE,
            row_type="total",
            unit="kt",
            sheet="cleantechByMineral",
        )
    node = doc["byTechnology"]
    for tech_label, content in node.items():
        where, line = f"byTechnology/{tech_label}", node.key_lines[tech_label]
        technology = TECHNOLOGIES.get(normalise_label(tech_label).casefold())
        if technology is None:
            raise DataError(
                f"unknown technology {tech_label!r}; known: {', '.join(TECHNOLOGIES)}",
                file=path,
                line=line,
                field=where,
            )
        minerals = _obj(content, "minerals", where, line, path)
        for label in minerals:
            at, at_line = f"{where}/minerals/{label}", minerals.key_lines[label]
            total = label.casefold().startswith("total")
            yield from _values(
                _series(minerals[label], at, at_line, path),
                kind="technology_demand",
                mineral=None if total else _lookup(label, file=path, line=at_line, field=at),
                iea_mineral=TOTAL if total else label,
                sector=None,
                technology=technology,
                case=BASE_CASE,
                row_type="total" if total else "sector",
                unit="kt",
                sheet="byTechnology",
            )


def _values(
    series: Iterable[tuple[str | None, int, float, str, int]],
    *,
    kind: str,
    mineral: IeaMineral | None,
    iea_mineral: str,
    sector: str | None,
    technology: str | None,
    case: str,
    row_type: str,
    unit: str,
    sheet: str,
) -> Iterator[_Value]:
    for scenario, year, value, at, line in series:
        yield _Value(
            kind,
            mineral,
            iea_mineral,
            sector,
            technology,
            case,
            row_type,
            scenario,
            year,
            value,
            unit,
            sheet,
            at,
            line,
        )


# --- normalisation and checks ----------------------------------------------------


def _normalise(
    cells: list[_Value], *, release: str, edition: str, path: Path, base_year: int
) -> dict[str, pd.DataFrame]:
    file = iea._display_path(path)
    rows: list[dict[str, Any]] = []
    for c in cells:
        if c.scenario is None and c.year != base_year:
            raise DataError(
                f"base-year column {c.year} differs from the base year {base_year}",
                file=path,
                line=c.line,
                field=c.cell,
            )
        m = c.mineral
        sector = c.technology if c.sector is None else c.sector
        common = {
            "edition": edition,
            "source": SOURCE,
            "release": release,
            "kind": c.kind,
            "iea_mineral": c.iea_mineral,
            "mineral_id": m.mineral_id if m else None,
            "element": m.element if m else None,
            "stage": m.stage if m else "processing",
            "sector": sector,
            "technology": c.technology,
            "case": c.case,
            "country": None,
            "row_type": c.row_type,
            "year": c.year,
            "value": c.value,
            "unit": c.unit,
            "value_t": None if c.unit == "fraction" else c.value * TO_TONNES[c.unit],
            "basis": None if c.unit == "fraction" or m is None else m.basis,
            "source_file": file,
            "source_sheet": c.sheet,
            "source_cell": c.cell,
            "line": c.line,
            "note": m.note if m else None,
        }
        for scenario in SCENARIOS if c.scenario is None else (c.scenario,):
            rows.append(
                {
                    **common,
                    "scenario": scenario,
                    "status": "observed" if c.scenario is None else "projection",
                }
            )
    frame = _frame("projections", rows, path)
    return {"projections": frame, "checks": _frame("checks", _check_rows(rows, release), path)}


def _frame(table: str, rows: list[dict[str, Any]], path: Path) -> pd.DataFrame:
    names = [c.name for c in columns(table)]
    frame = pd.DataFrame(rows, columns=names)
    for c in columns(table):
        if c.type == "DOUBLE":
            frame[c.name] = frame[c.name].astype("float64")
        elif c.type == "INTEGER":
            frame[c.name] = frame[c.name].astype("Int64" if c.nullable else "int64")
    return conform(table, frame, source=str(path))


def _fmt(value: float) -> str:
    """A kt figure with four significant digits at least (0.51 kt, 10,475.8 kt)."""
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.4g}"


def _check(
    name: str,
    subject: str,
    expected: float,
    actual: float,
    *,
    release: str,
    what: str,
    printed: str,
    unit: str = "kt",
    short_status: str = "mismatch",
    extra: str = "",
) -> dict[str, Any]:
    """One ``checks`` row: ``expected`` is the printed figure, ``actual`` the recomputed one."""
    diff = actual - expected
    if unit == "fraction":
        ok = abs(diff) <= SHARE_TOLERANCE
    else:
        ok = abs(diff) <= max(ABS_TOLERANCE, REL_TOLERANCE * max(abs(expected), abs(actual)))
    detail = None
    if not ok:
        if unit == "fraction":
            detail = f"{what} = {actual:.4f}, printed {printed} {expected:.4f} ({diff:+.4f})"
        else:
            rel = f", {diff / expected:+.1%}" if expected else ""
            detail = (
                f"{what} = {_fmt(actual)} kt, printed {printed} {_fmt(expected)} kt "
                f"(difference {diff:+,.4g} kt{rel}); both kept"
            )
        detail += extra
    return {
        "check_name": name,
        "source": SOURCE,
        "release": release,
        "subject": subject,
        "expected": expected,
        "actual": actual,
        "status": "ok" if ok else short_status,
        "detail": detail,
    }


_Key = tuple[Any, ...]


def _mineral_key(row: dict[str, Any]) -> _Key:
    """Names one IEA mineral across sheets that spell it differently (PGMs …)."""
    if row["iea_mineral"] == TOTAL:
        return (TOTAL,)
    if row["mineral_id"] is None:
        return (None, row["basis"])
    return (row["mineral_id"], row["element"], row["basis"])


def _by_sector(sheet: str) -> bool:
    """Whether a clean-technology sheet or block splits minerals by sector (3.1)."""
    return sheet == "cleantechByTech" or sheet.startswith("3.1")


def check_projections(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Recompute the IEA's sums in one edition's demand rows; return ``checks`` rows.

    Parameters
    ----------
    frame
        ``projections`` rows of one release (kinds ``demand``, ``cleantech_demand``,
        ``technology_demand``).

    Returns
    -------
    list of dict
        One ``checks`` row per sum, mineral (or technology and case), scenario
        and year (the base year once, scenario ``base year``): ``expected`` the
        printed figure (kt, or the printed share), ``actual`` the recomputed one,
        ``status`` ``ok`` within a relative tolerance of 1e-4 (an absolute 1e-4
        for shares), else ``mismatch`` (or ``incomplete``, see below) with both
        figures in ``detail``.

    Notes
    -----
    Sums checked, by ``check_name``:

    - ``iea_demand_sectors_vs_clean_total``: sectors other than "Other uses"
      = "Total clean technologies" (sheet 1, ``totalDemand``);
    - ``iea_demand_clean_plus_other_vs_total``: clean + other uses = "Total demand";
    - ``iea_demand_clean_share``: clean / total = the printed share;
    - ``iea_cleantech_sectors_vs_total``: sectors = the mineral's total (3.1);
    - ``iea_cleantech_by_tech_vs_by_mineral``: 3.1 total = the 3.2 row;
    - ``iea_cleantech_elements_vs_ree_total``: rare-earth elements = "Total rare
      earth elements" (3.2);
    - ``iea_cleantech_minerals_vs_total``: every mineral row = "Total" (3.2);
    - ``iea_technology_minerals_vs_total``: minerals of a technology and case
      = its printed total (4.x);
    - ``iea_technology_vs_cleantech_sector``: a technology sheet's base case =
      the 3.1 row of the same mineral and sector;
    - ``iea_technology_sheets_vs_cleantech``: the sum over technology sheets
      (base case) plus the 3.1 sectors that have no technology sheet ("Other
      low emissions power generation") = the 3.2 row. Where 3.1 has no sector
      split for the mineral and the technology sheets fall short, the status is
      ``incomplete``: the rest may be demand of sectors without a sheet.
    """
    if frame.empty:
        return []
    rows = [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
    return _check_rows(rows, str(frame["release"].iloc[0]))


def _check_rows(rows: list[dict[str, Any]], release: str) -> list[dict[str, Any]]:
    """:func:`check_projections` on rows as dicts (NULL as None)."""
    records: list[dict[str, Any]] = []
    for row in rows:
        if row["status"] != "observed":
            records.append(row)
        elif row["scenario"] == SCENARIOS[0]:  # one printed cell, repeated per scenario
            records.append({**row, "scenario": "base year"})
    out: list[dict[str, Any]] = []
    demand: dict[_Key, dict[str, float]] = defaultdict(dict)
    by_tech: dict[_Key, dict[str, float]] = defaultdict(dict)  # (mineral, scen, year)
    by_tech_total: dict[_Key, tuple[float, str, str]] = {}
    by_mineral: dict[_Key, tuple[float, str, str]] = {}  # (key, scen, year) -> value
    sector_of: dict[_Key, float] = {}  # (key, sector, scen, year)
    sectors_of: dict[_Key, dict[str, float]] = defaultdict(dict)  # (key, scen, year)
    tech: dict[_Key, dict[str, list[float]]] = defaultdict(lambda: {"parts": [], "total": []})
    tech_base: dict[_Key, dict[str, float]] = defaultdict(dict)  # (key, scen, year) -> tech
    tech_label: dict[_Key, str] = {}
    elements: dict[_Key, list[float]] = defaultdict(list)
    minerals_3_2: dict[_Key, list[float]] = defaultdict(list)
    for r in records:
        key = _mineral_key(r)
        when = (r["scenario"], r["year"])
        if r["kind"] == "demand":
            demand[(r["iea_mineral"], *when)][r["sector"]] = r["value"]
        elif r["kind"] == "cleantech_demand" and _by_sector(r["source_sheet"]):
            if r["row_type"] == "total":
                by_tech_total[(key, *when)] = (r["value"], r["iea_mineral"], r["source_sheet"])
            else:
                by_tech[(r["iea_mineral"], *when)][r["sector"]] = r["value"]
                sector_of[(key, r["sector"], *when)] = r["value"]
                sectors_of[(key, *when)][r["sector"]] = r["value"]
        elif r["kind"] == "cleantech_demand":
            by_mineral[(key, *when)] = (r["value"], r["iea_mineral"], r["source_sheet"])
            if r["element"] is not None:
                elements[when].append(r["value"])
            if key != (TOTAL,) and not (r["mineral_id"] == "rare_earths" and r["element"] is None):
                minerals_3_2[when].append(r["value"])
        elif r["kind"] == "technology_demand":
            group = tech[(r["technology"], r["case"], *when)]
            group["total" if r["row_type"] == "total" else "parts"].append(r["value"])
            if r["case"] == BASE_CASE and r["row_type"] != "total":
                tech_base[(key, *when)][r["technology"]] = r["value"]
                tech_label[key] = r["iea_mineral"]

    for (mineral, scenario, year), by in sorted(demand.items(), key=str):
        subject = f"{mineral} {scenario} {year}"
        sectors = [
            v for s, v in by.items() if s not in (OTHER_USES, CLEAN_TOTAL, TOTAL_DEMAND, SHARE)
        ]
        if CLEAN_TOTAL in by and sectors:
            out.append(
                _check(
                    "iea_demand_sectors_vs_clean_total",
                    subject,
                    by[CLEAN_TOTAL],
                    math.fsum(sectors),
                    release=release,
                    what=f"sum of {len(sectors)} sectors",
                    printed=f"'{CLEAN_TOTAL}'",
                )
            )
        if {CLEAN_TOTAL, OTHER_USES, TOTAL_DEMAND} <= by.keys():
            out.append(
                _check(
                    "iea_demand_clean_plus_other_vs_total",
                    subject,
                    by[TOTAL_DEMAND],
                    by[CLEAN_TOTAL] + by[OTHER_USES],
                    release=release,
                    what="clean technologies + other uses",
                    printed=f"'{TOTAL_DEMAND}'",
                )
            )
        if {CLEAN_TOTAL, TOTAL_DEMAND, SHARE} <= by.keys() and by[TOTAL_DEMAND]:
            out.append(
                _check(
                    "iea_demand_clean_share",
                    subject,
                    by[SHARE],
                    by[CLEAN_TOTAL] / by[TOTAL_DEMAND],
                    release=release,
                    what="clean technologies / total demand",
                    printed="share",
                    unit="fraction",
                )
            )
    for (key, scenario, year), (total, label, sheet) in sorted(by_tech_total.items(), key=str):
        parts = by_tech.get((label, scenario, year), {})
        if parts:
            out.append(
                _check(
                    "iea_cleantech_sectors_vs_total",
                    f"{label} {scenario} {year} ({sheet})",
                    total,
                    math.fsum(parts.values()),
                    release=release,
                    what=f"sum of {len(parts)} sectors",
                    printed="total",
                )
            )
        if (key, scenario, year) in by_mineral:
            other, _, other_sheet = by_mineral[(key, scenario, year)]
            out.append(
                _check(
                    "iea_cleantech_by_tech_vs_by_mineral",
                    f"{label} {scenario} {year}",
                    other,
                    total,
                    release=release,
                    what=f"total by sector ({sheet})",
                    printed=f"by mineral ({other_sheet})",
                )
            )
    for (scenario, year), values in sorted(elements.items(), key=str):
        ree = next(
            (
                v
                for (k, s, y), v in by_mineral.items()
                if (s, y) == (scenario, year) and k[0] == "rare_earths" and k[1] is None
            ),
            None,
        )
        if ree is not None:
            out.append(
                _check(
                    "iea_cleantech_elements_vs_ree_total",
                    f"rare earths {scenario} {year}",
                    ree[0],
                    math.fsum(values),
                    release=release,
                    what=f"sum of {len(values)} rare-earth elements",
                    printed=f"{ree[1]!r} ({ree[2]})",
                )
            )
    for (scenario, year), values in sorted(minerals_3_2.items(), key=str):
        found = by_mineral.get(((TOTAL,), scenario, year))
        if found is not None:
            out.append(
                _check(
                    "iea_cleantech_minerals_vs_total",
                    f"all minerals {scenario} {year}",
                    found[0],
                    math.fsum(values),
                    release=release,
                    what=f"sum of {len(values)} minerals",
                    printed=f"'Total' ({found[2]})",
                )
            )
    for (technology, case, scenario, year), group in sorted(tech.items(), key=str):
        if len(group["total"]) == 1 and group["parts"]:
            out.append(
                _check(
                    "iea_technology_minerals_vs_total",
                    f"{technology} ({case}) {scenario} {year}",
                    group["total"][0],
                    math.fsum(group["parts"]),
                    release=release,
                    what=f"sum of {len(group['parts'])} minerals",
                    printed="total",
                )
            )
    sheet_sectors = set(TECHNOLOGIES.values())
    for (key, scenario, year), by_technology in sorted(tech_base.items(), key=str):
        label = tech_label[key]
        for technology, value in sorted(by_technology.items()):
            sector = sector_of.get((key, technology, scenario, year))
            if sector is not None:
                out.append(
                    _check(
                        "iea_technology_vs_cleantech_sector",
                        f"{label} {technology} {scenario} {year}",
                        sector,
                        value,
                        release=release,
                        what="technology sheet (base case)",
                        printed="by sector",
                    )
                )
        if (key, scenario, year) not in by_mineral:
            continue
        expected, _, sheet = by_mineral[(key, scenario, year)]
        split = sectors_of.get((key, scenario, year), {})
        others = {s: v for s, v in split.items() if s not in sheet_sectors}
        has_split = bool(split)
        actual = math.fsum([*by_technology.values(), *others.values()])
        what = f"sum over {len(by_technology)} technology sheets (base case)"
        if others:
            what += " + " + ", ".join(f"'{s}'" for s in sorted(others)) + " (by sector)"
        out.append(
            _check(
                "iea_technology_sheets_vs_cleantech",
                f"{label} {scenario} {year}",
                expected,
                actual,
                release=release,
                what=what,
                printed=f"by mineral ({sheet})",
                short_status="incomplete" if not has_split and actual < expected else "mismatch",
                extra=""
                if has_split
                else "; no sector split of this mineral: the rest may be sectors without a "
                "technology sheet (other low-emission power generation)",
            )
        )
    return out
