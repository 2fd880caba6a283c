"""Read the IEA Critical Minerals Data Explorer (CMDE) supply sheet by country.

The IEA publishes, for six minerals, production by country at the mining and
the refining/processing stage for one observed base year, plus base-case
projections for 2030, 2035 and 2040 (sheet ``2 Total supply for key minerals``
of the CMDE workbook, in kt). Each block lists the top 4-7 countries, a
``Rest of world`` row, a ``Total`` row and a ``Top 3 share`` row.

Two readers share one normalisation:

- :func:`read_iea_workbook` reads the IEA's own workbook (the May 2024 edition,
  base year 2023, is bundled);
- :func:`read_iea_json` reads the JSON conversion of the supply sheet made by
  ``barrytho/uk-critical-minerals-dashboard`` (the 2025 edition, base year 2024,
  is bundled); it keeps neither the stage labels nor the unit (the sheet it
  converts is in kt).

What each figure means (IEA's definitions, kept in ``product`` and ``basis``):

- ``Magnet rare earth elements`` (renamed ``Rare Earth Elements`` in the JSON)
  are Nd, Pr, Tb and Dy together, not total rare-earth oxide and not magnets;
- graphite ``Mining (natural)`` is natural graphite; ``Battery grade`` is the
  processing stage (natural and synthetic anode-grade material);
- lithium ``Chemicals`` is the processing stage, presumably in Li content (the
  IEA states Li content, not LCE, for demand; the supply sheet does not say);
- nickel ``Refining`` mixes all refined and intermediate products.

Status of base-year figures
---------------------------
Base-year figures get status ``estimated``, not ``reported``. They are not
statistics reported by producers or governments, but the IEA's own compilation
(from company reports, national statistics and commercial databases) made for
its outlook model: the IEA does not mark them as reported, the 2025 edition
carries unrounded model values (e.g. DR Congo cobalt 181.796... kt), and the
blocks are not internally consistent (nickel and graphite totals do not add
up). ``estimated`` keeps them apart from the USGS figures USGS itself reports.

Projections
-----------
Every printed cell of a block (countries, rest of world, total and top-3 share,
base year and projections) is also a row of the ``projections`` table (``kind``
``supply``, ``scenario`` ``base case``), in the layout the demand reader
:mod:`friendshore.data.readers.iea_projections` shares: value as published,
``value_t`` in t, sheet and cell (or JSON path) and line.

Aggregates and checks
---------------------
``Rest of world`` and ``Total`` rows go to ``aggregates`` (kind ``other`` and
``world``), never into ``production``. For every block and year, ``checks``
compares the listed countries plus rest of world with the printed total, and
recomputes the printed top-3 share; disagreements are recorded as
``mismatch`` with a detail, not corrected. In both bundled editions the nickel
and graphite totals leave out the last listed country, and the graphite
battery-grade top-3 share of 2023 is that of the first three listed countries
(China, Japan, United States) rather than of the three largest (Germany, not
the United States, is third).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from friendshore._core.errors import DataError, UnknownCountryError
from friendshore._core.units import TO_TONNES
from friendshore.data.countries import classify_aggregate, country_resolver, normalise_label
from friendshore.data.resources import bundled_path, package_data_dir
from friendshore.data.schema import columns, conform

SOURCE: Final = "IEA CMDE"
SCENARIO: Final = "base case"
SHEET_PATTERN: Final = re.compile(r"total supply", re.IGNORECASE)

#: Mineral names as the IEA (or the JSON) writes them -> friendshore mineral ids.
MINERALS: Final[dict[str, str]] = {
    "copper": "copper",
    "cobalt": "cobalt",
    "lithium": "lithium",
    "nickel": "nickel",
    "graphite": "graphite",
    "magnet rare earth elements": "rare_earths",
    "rare earth elements": "rare_earths",
}

#: Stage labels as the IEA writes them -> friendshore stage.
STAGES: Final[dict[str, str]] = {
    "mining": "mining",
    "mining (natural)": "mining",
    "refining": "processing",
    "processing": "processing",
    "chemicals": "processing",
    "battery grade": "processing",
}

MAGNET_REE: Final = "magnet REE (Nd, Pr, Tb, Dy)"

#: What the IEA measures where it differs from plain mine or refinery output.
PRODUCTS: Final[dict[tuple[str, str], str]] = {
    ("graphite", "mining"): "natural graphite",
    ("graphite", "processing"): "battery grade (natural and synthetic)",
    ("lithium", "processing"): "chemicals",
    ("nickel", "processing"): "all refined and intermediate products",
    ("rare_earths", "mining"): MAGNET_REE,
    ("rare_earths", "processing"): MAGNET_REE,
}

#: Basis of the quantities; the supply sheet states none, so these are marked.
BASIS: Final[dict[str, str]] = {
    "copper": "Cu content (presumed; not stated by the IEA)",
    "cobalt": "Co content (presumed; not stated by the IEA)",
    "lithium": "Li content (presumed; the IEA states Li content for demand)",
    "nickel": "Ni content (presumed; not stated by the IEA)",
    "graphite": "graphite (basis not stated by the IEA)",
    "rare_earths": "Nd + Pr + Tb + Dy (oxide or metal not stated by the IEA)",
}

#: Caveats carried by every row of a block.
NOTES: Final[dict[tuple[str, str], str]] = {
    ("graphite", "processing"): "IEA 'Battery grade': anode-grade natural and synthetic "
    "graphite; not spherical graphite as such",
}

#: Tolerance of the total check, per summed figure, in source units (half of
#: the 0.1 kt to which the workbook rounds).
SUM_TOLERANCE: Final = 0.05
#: Tolerance of the top-3 share check (share, 0-1).
SHARE_TOLERANCE: Final = 5e-4

_TITLE = re.compile(r"^(?P<mineral>.+?)\s+[-\u2013\u2014]\s+(?P<stage>.+)$")
_TOP_SHARE = re.compile(r"^top\s*3\s*share\b", re.IGNORECASE)
_UNIT = re.compile(r"\((?P<unit>kt|Mt|t|kg)\)\s*$")
_MISSING_TEXT: Final = frozenset({"", "..", "n/a", "na"})

BUNDLED_WORKBOOK: Final = ("iea", "CM_Data_Explorer_May_2024.xlsx")
BUNDLED_JSON: Final = ("iea", "iea.json")
#: ``edition`` of the bundled files in the ``projections`` table.
EDITION_WORKBOOK: Final = "IEA CMDE May 2024"
EDITION_JSON: Final = "IEA CMDE 2025 (iea.json)"


@dataclass(frozen=True)
class _Cell:
    """One figure with where it came from."""

    value: float | None
    line: int | None
    field: str


@dataclass(frozen=True)
class _Row:
    """One labelled row of a block: a country, rest of world, total or top-3 share."""

    label: str
    kind: str
    line: int | None
    field: str
    values: dict[int, _Cell]


@dataclass
class _Block:
    """One ``<Mineral> - <Stage>`` block of the supply sheet."""

    mineral_label: str
    mineral_id: str
    stage_label: str
    stage: str
    line: int | None
    rows: list[_Row] = field(default_factory=list)


# --- public readers ------------------------------------------------------------


def read_iea_bundled() -> dict[str, pd.DataFrame]:
    """Read both bundled editions: the May 2024 workbook and the 2025 JSON.

    Returns
    -------
    dict of str to DataFrame
        ``production`` (base-year country figures, kt and t), ``aggregates``
        (rest of world and totals), ``projections`` (every printed cell of the
        supply blocks, base year and 2030-2040, in the layout of the
        ``projections`` table, ``kind`` ``supply``) and ``checks``, each
        holding release ``2024 edition`` (base year 2023) and ``2025 edition``
        (base year 2024).
    """
    editions = [
        read_iea_workbook(
            bundled_path(*BUNDLED_WORKBOOK), release="2024 edition", edition=EDITION_WORKBOOK
        ),
        read_iea_json(bundled_path(*BUNDLED_JSON), release="2025 edition", edition=EDITION_JSON),
    ]
    return {
        table: pd.concat([e[table] for e in editions], ignore_index=True) for table in editions[0]
    }


def read_iea_workbook(
    path: Path, *, release: str | None = None, edition: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the supply sheet of an IEA CMDE workbook.

    Parameters
    ----------
    path
        The workbook (``.xlsx``) as downloaded from the IEA; the sheet whose
        name contains "Total supply" is read.
    release
        Release label; by default ``"<base year + 1> edition"`` (the IEA
        publishes each edition in the year after its base year).
    edition
        ``edition`` of its ``projections`` rows; by default ``"IEA CMDE <release>"``.

    Returns
    -------
    dict of str to DataFrame
        ``production``, ``aggregates``, ``projections`` and ``checks`` (see
        the module docstring). ``line`` is the sheet row (1-based).

    Raises
    ------
    DataError
        If the workbook or sheet cannot be read, the year header or unit is
        missing, a block title names an unknown mineral or stage, a cell holds
        text where a number belongs, a block or row repeats, or values stand
        outside a block. :class:`UnknownCountryError` if a row label is
        neither a known country nor an aggregate. Messages name the file, the
        sheet row as ``line`` and the cell as ``field``.
    """
    path = Path(path)
    grid, sheet = _read_supply_sheet(path)
    blocks, base_year, unit = _parse_grid(grid, path)
    return _normalise(
        blocks,
        base_year=base_year,
        unit=unit,
        release=release,
        path=path,
        edition=edition or f"{SOURCE} {release or f'{base_year + 1} edition'}",
        sheet=sheet,
    )


def read_iea_json(
    path: Path, *, release: str | None = None, edition: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the ``supply`` block of a CMDE JSON conversion (``iea.json``).

    The JSON maps mineral -> ``mining``/``refining`` -> ``countries`` (label ->
    year -> value), ``total`` (year -> value) and ``top3Share``. Values are
    taken to be kt, the unit of the sheet it converts. Label-only rows with no
    values (footnote text the converter kept as "countries") are skipped and
    counted in ``checks``.

    Parameters
    ----------
    path
        The JSON file (UTF-8).
    release
        Release label; by default ``"<base year + 1> edition"``.
    edition
        ``edition`` of its ``projections`` rows; by default
        ``"IEA CMDE <release> (JSON)"``.

    Returns
    -------
    dict of str to DataFrame
        As :func:`read_iea_workbook`; ``line`` is the line of the year key.

    Raises
    ------
    DataError
        If the file is not UTF-8 JSON, repeats a key, lacks ``supply``, names
        an unknown mineral or stage, or holds text where a number belongs;
        :class:`UnknownCountryError` for a label that is neither a country nor
        an aggregate. ``field`` is the JSON path, e.g.
        ``supply/Copper/mining/countries/Chile/2024``.
    """
    path = Path(path)
    doc = _load_json(path)
    blocks, base_year = _parse_json(doc, path)
    return _normalise(
        blocks,
        base_year=base_year,
        unit="kt",
        release=release,
        path=path,
        edition=edition or f"{SOURCE} {release or f'{base_year + 1} edition'} (JSON)",
        sheet="supply",
    )


# --- workbook ----------------------------------------------------------------


def _read_supply_sheet(path: Path) -> tuple[list[list[object]], str]:
    """Return the cells of the supply sheet (row 0 being sheet row 1) and its name."""
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            names = [str(n) for n in book.sheet_names]
            sheet = next((n for n in names if SHEET_PATTERN.search(n)), None)
            if sheet is None:
                raise DataError(
                    f"no sheet named like 'Total supply for key minerals' (sheets: "
                    f"{', '.join(names)})",
                    file=path,
                )
            grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError("no such file", file=path) from exc
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise DataError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); is it a complete .xlsx file?",
            file=path,
        ) from exc
    return [list(row) for row in grid.itertuples(index=False, name=None)], sheet


def _letter(col: int) -> str:
    """Spreadsheet column letter of 0-based column ``col``."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_year(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not _is_blank(value) and float(value).is_integer():
        year = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        year = int(value.strip())
    else:
        return None
    return year if 1990 <= year <= 2100 else None


def _number(value: object, *, file: Path, line: int | None, field: str) -> float | None:
    """Return a cell or JSON value as a float (None when empty); raise on text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("\u00a0", "")
        if text.casefold() in _MISSING_TEXT:
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        raise DataError(f"{value!r} is not a number", file=file, line=line, field=field)
    return number


def _parse_grid(grid: list[list[object]], path: Path) -> tuple[list[_Block], int, str]:
    """Find the year header, the unit and the blocks of the supply sheet."""
    header_row = None
    years: dict[int, int] = {}
    for r, row in enumerate(grid):
        found = {j: y for j, v in enumerate(row) if (y := _as_year(v)) is not None}
        if len(found) >= 2:
            header_row, years = r, found
            break
    if header_row is None:
        raise DataError("no header row with years (e.g. 2023, 2030, ...)", file=path, line=1)

    unit = None
    for row in grid[:header_row]:
        for v in row:
            if isinstance(v, str) and (m := _UNIT.search(v.strip())):
                unit = m["unit"]
    if unit is None:
        raise DataError(
            "no unit such as '(kt)' in the sheet title above the year header",
            file=path,
            line=header_row + 1,
        )

    runs: list[list[int]] = []
    for j in sorted(years):
        if runs and runs[-1][-1] == j - 1:
            runs[-1].append(j)
        else:
            runs.append([j])
    base_year = min(years.values())
    for run in runs:
        run_years = [years[j] for j in run]
        if run[0] == 0 or run_years != sorted(run_years) or run_years[0] != base_year:
            raise DataError(
                f"year columns {', '.join(map(str, run_years))} do not start with the base year "
                f"{base_year} next to a label column",
                file=path,
                line=header_row + 1,
                field=_letter(run[0]),
            )

    blocks: list[_Block] = []
    seen: dict[tuple[str, str], int] = {}
    for run in runs:
        label_col = run[0] - 1
        current: _Block | None = None
        for r in range(header_row + 1, len(grid)):
            row = grid[r]
            line = r + 1
            raw_label = row[label_col] if label_col < len(row) else None
            label = "" if _is_blank(raw_label) else normalise_label(str(raw_label))
            cells = {
                years[j]: (row[j] if j < len(row) else None, f"{_letter(j)}{line}") for j in run
            }
            has_values = any(not _is_blank(v) for v, _ in cells.values())
            if not label:
                if has_values:
                    cell = next(f for v, f in cells.values() if not _is_blank(v))
                    raise DataError("value without a row label", file=path, line=line, field=cell)
                continue  # blank rows pad shorter blocks; a block ends at the next title
            title = _TITLE.match(label)
            if title and not has_values:
                current = _new_block(
                    title["mineral"],
                    title["stage"],
                    path=path,
                    line=line,
                    field=f"{_letter(label_col)}{line}",
                )
                key = (current.mineral_id, current.stage)
                if key in seen:
                    raise DataError(
                        f"block {label!r} repeats the block on line {seen[key]}",
                        file=path,
                        line=line,
                        field=f"{_letter(label_col)}{line}",
                    )
                seen[key] = line
                blocks.append(current)
                continue
            if current is None:
                if has_values:
                    raise DataError(
                        f"row {label!r} has values but no '<Mineral> - <Stage>' title above it",
                        file=path,
                        line=line,
                        field=f"{_letter(label_col)}{line}",
                    )
                continue  # notes and other text outside the blocks
            values = {
                year: _Cell(_number(v, file=path, line=line, field=f), line, f)
                for year, (v, f) in cells.items()
            }
            _add_row(
                current,
                _Row(label, _row_kind(label), line, f"{_letter(label_col)}{line}", values),
                path=path,
            )
    if not blocks:
        raise DataError("no '<Mineral> - <Stage>' blocks found", file=path, line=header_row + 1)
    return blocks, base_year, unit


def _new_block(mineral: str, stage: str, *, path: Path, line: int | None, field: str) -> _Block:
    mineral_label = normalise_label(mineral)
    stage_label = normalise_label(stage)
    mineral_id = MINERALS.get(mineral_label.casefold())
    if mineral_id is None:
        raise DataError(
            f"unknown mineral {mineral_label!r}; known: {', '.join(MINERALS)}",
            file=path,
            line=line,
            field=field,
        )
    stage_id = STAGES.get(stage_label.casefold())
    if stage_id is None:
        raise DataError(
            f"unknown stage {stage_label!r}; known: {', '.join(STAGES)}",
            file=path,
            line=line,
            field=field,
        )
    return _Block(mineral_label, mineral_id, stage_label, stage_id, line)


def _row_kind(label: str) -> str:
    if _TOP_SHARE.match(label):
        return "top3_share"
    aggregate = classify_aggregate(label)
    if aggregate == "world":
        return "total"
    if aggregate == "other":
        return "rest_of_world"
    return "country"


def _add_row(block: _Block, row: _Row, *, path: Path) -> None:
    for other in block.rows:
        if other.label.casefold() == row.label.casefold():
            raise DataError(
                f"row {row.label!r} repeats in block {block.mineral_label} - "
                f"{block.stage_label} (first on line {other.line})",
                file=path,
                line=row.line,
                field=row.field,
            )
    block.rows.append(row)


# --- JSON --------------------------------------------------------------------


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers the line of each of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


_WS = re.compile(r"[ \t\n\r]*")


def _join(where: str, key: str) -> str:
    """JSON path of ``key`` inside the object at ``where`` (``supply/Copper/...``)."""
    return f"{where}/{key}" if where else key


_SCALARS = json.JSONDecoder()


def _load_json(path: Path) -> Any:
    """Parse JSON keeping the line of every object key (for provenance and errors)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError("no such file", file=path) from exc
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc}", file=path) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte {data[exc.start : exc.start + 1]!r}); save the file as UTF-8",
            file=path,
            line=data.count(b"\n", 0, exc.start) + 1,
            field=None,
        ) from exc
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def skip(pos: int) -> int:
        match = _WS.match(text, pos)
        return match.end() if match else pos

    def fail(pos: int, message: str, where: str) -> DataError:
        return DataError(
            f"malformed JSON: {message}", file=path, line=line_at(pos), field=where or None
        )

    def parse(pos: int, where: str) -> tuple[Any, int]:
        pos = skip(pos)
        if text.startswith("{", pos):
            obj = _JsonObject(line_at(pos))
            pos = skip(pos + 1)
            if text.startswith("}", pos):
                return obj, pos + 1
            while True:
                if not text.startswith('"', pos):
                    raise fail(pos, "expected a key in double quotes", where)
                key_line = line_at(pos)
                key, pos = parse(pos, where)
                pos = skip(pos)
                if not text.startswith(":", pos):
                    raise fail(pos, "expected ':' after a key", _join(where, key))
                value, pos = parse(pos + 1, _join(where, key))
                if key in obj:
                    raise DataError(
                        f"duplicate key {key!r} (first on line {obj.key_lines[key]})",
                        file=path,
                        line=key_line,
                        field=_join(where, key),
                    )
                obj[key] = value
                obj.key_lines[key] = key_line
                pos = skip(pos)
                if text.startswith(",", pos):
                    pos = skip(pos + 1)
                elif text.startswith("}", pos):
                    return obj, pos + 1
                else:
                    raise fail(pos, "expected ',' or '}'", where)
        if text.startswith("[", pos):
            items: list[Any] = []
            pos = skip(pos + 1)
            if text.startswith("]", pos):
                return items, pos + 1
            while True:
                value, pos = parse(pos, _join(where, str(len(items))))
                items.append(value)
                pos = skip(pos)
                if text.startswith(",", pos):
                    pos += 1
                elif text.startswith("]", pos):
                    return items, pos + 1
                else:
                    raise fail(pos, "expected ',' or ']'", where)
        try:
            return _SCALARS.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise fail(pos, exc.msg if pos < len(text) else "the file ends early", where) from exc

    doc, end = parse(0, "")
    if skip(end) != len(text):
        raise fail(skip(end), "extra data after the document", "")
    return doc


def _parse_json(doc: Any, path: Path) -> tuple[list[_Block], int]:
    """Turn the ``supply`` part of the JSON into blocks; return them and the base year."""
    if not isinstance(doc, _JsonObject) or not isinstance(doc.get("supply"), _JsonObject):
        raise DataError("no 'supply' object at the top level", file=path, line=1, field="supply")
    supply: _JsonObject = doc["supply"]
    blocks: list[_Block] = []
    years_seen: set[int] = set()
    for mineral, stages in supply.items():
        where = f"supply/{mineral}"
        if not isinstance(stages, _JsonObject):
            raise DataError(
                "expected an object of stages",
                file=path,
                line=supply.key_lines[mineral],
                field=where,
            )
        for stage, content in stages.items():
            here = f"{where}/{stage}"
            line = stages.key_lines[stage]
            if not isinstance(content, _JsonObject) or not isinstance(
                content.get("countries"), _JsonObject
            ):
                raise DataError(
                    "expected an object with 'countries'", file=path, line=line, field=here
                )
            block = _new_block(mineral, stage, path=path, line=line, field=here)
            countries: _JsonObject = content["countries"]
            series: list[tuple[str, str, str, int, Any]] = [
                (
                    label,
                    _row_kind(normalise_label(label)),
                    f"{here}/countries/{label}",
                    countries.key_lines[label],
                    values,
                )
                for label, values in countries.items()
            ]
            # The JSON has no labels for its total and top-3 rows: the key is the label.
            for key, kind in (("total", "total"), ("top3Share", "top3_share")):
                if key in content:
                    series.append(
                        (key, kind, f"{here}/{key}", content.key_lines[key], content[key])
                    )
            for label, kind, where_row, row_line, values in series:
                if not isinstance(values, _JsonObject):
                    raise DataError(
                        "expected an object of year -> value",
                        file=path,
                        line=row_line,
                        field=where_row,
                    )
                cells: dict[int, _Cell] = {}
                for year_key, value in values.items():
                    year = _as_year(year_key)
                    value_line = values.key_lines[year_key]
                    if year is None:
                        raise DataError(
                            f"{year_key!r} is not a year",
                            file=path,
                            line=value_line,
                            field=f"{where_row}/{year_key}",
                        )
                    f = f"{where_row}/{year_key}"
                    cells[year] = _Cell(
                        _number(value, file=path, line=value_line, field=f), value_line, f
                    )
                    years_seen.add(year)
                _add_row(
                    block,
                    _Row(normalise_label(label), kind, row_line, where_row, cells),
                    path=path,
                )
            if any((b.mineral_id, b.stage) == (block.mineral_id, block.stage) for b in blocks):
                raise DataError(
                    f"a second {block.mineral_id} {block.stage} block",
                    file=path,
                    line=line,
                    field=here,
                )
            blocks.append(block)
    if not blocks or not years_seen:
        raise DataError(
            "the 'supply' object holds no blocks", file=path, line=supply.line, field="supply"
        )
    return blocks, min(years_seen)


# --- normalisation -------------------------------------------------------------


def _display_path(path: Path) -> str:
    """The file as stored in ``file`` columns: relative to the bundled data if bundled."""
    try:
        return path.resolve().relative_to((package_data_dir() / "bundled").resolve()).as_posix()
    except ValueError:
        return str(path)


def _normalise(
    blocks: list[_Block],
    *,
    base_year: int,
    unit: str,
    release: str | None,
    path: Path,
    edition: str,
    sheet: str,
) -> dict[str, pd.DataFrame]:
    """Map parsed blocks into ``production``, ``aggregates``, ``projections``, ``checks``."""
    release = release or f"{base_year + 1} edition"
    file = _display_path(path)
    factor = TO_TONNES[unit]
    resolver = country_resolver()
    production: list[dict[str, Any]] = []
    aggregates: list[dict[str, Any]] = []
    projections: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []

    for block in blocks:
        key = (block.mineral_id, block.stage)
        product = PRODUCTS.get(key)
        basis = BASIS[block.mineral_id]
        note = NOTES.get(key)
        countries: list[tuple[_Row, str]] = []
        footnotes: list[_Row] = []
        for row in block.rows:
            if row.kind != "country":
                continue
            iso3 = resolver.resolve(row.label)
            if iso3 is None:
                if all(c.value is None for c in row.values.values()):
                    footnotes.append(row)
                    continue
                raise UnknownCountryError(
                    f"unknown country {row.label!r}: add it to concordances/country_aliases.csv "
                    "if it is a real country under another name",
                    file=path,
                    line=row.line,
                    field=row.field,
                )
            twin = next((r for r, c in countries if c == iso3), None)
            if twin is not None:
                raise DataError(
                    f"{row.label!r} and {twin.label!r} (line {twin.line}) are both {iso3}",
                    file=path,
                    line=row.line,
                    field=row.field,
                )
            countries.append((row, iso3))
        iso3_of = {id(r): c for r, c in countries}
        for row in block.rows:
            if row.kind == "top3_share" or (row.kind == "country" and id(row) not in iso3_of):
                continue
            base = row.values.get(base_year)
            value = base.value if base is not None else None
            common = {
                "mineral_id": block.mineral_id,
                "stage": block.stage,
                "product": product,
                "label": row.label,
                "year": base_year,
                "quantity": value,
                "unit": unit,
                "quantity_t": None if value is None else value * factor,
                "basis": basis,
                "status": "estimated" if value is not None else "missing",
                "bound": None,
                "source": SOURCE,
                "release": release,
                "file": file,
                "line": base.line if base is not None else row.line,
            }
            if row.kind == "country":
                production.append({**common, "country": iso3_of[id(row)], "note": note})
            else:
                row_note = note
                if row.kind == "total" and row.label.casefold() != "total":
                    mislabel = f"labelled {row.label!r} in the source; it is the block total"
                    row_note = f"{mislabel}; {note}" if note else mislabel
                aggregates.append(
                    {
                        **common,
                        "measure": "production",
                        "kind": "world" if row.kind == "total" else "other",
                        "note": row_note,
                    }
                )
        group = (
            "a part of the catalog's group-level rare_earths (REO)"
            if block.mineral_id == "rare_earths"
            else None
        )
        projection_note = "; ".join(
            n for n in (f"IEA measures {product}" if product else None, group, note) if n
        )
        for row in block.rows:
            if row.kind == "country" and id(row) not in iso3_of:
                continue
            share = row.kind == "top3_share"
            for year, cell in sorted(row.values.items()):
                if cell.value is None:
                    continue
                projections.append(
                    {
                        "edition": edition,
                        "source": SOURCE,
                        "release": release,
                        "kind": "supply",
                        "iea_mineral": block.mineral_label,
                        "mineral_id": block.mineral_id,
                        "element": None,
                        "stage": block.stage,
                        "sector": None,
                        "technology": None,
                        "case": "Base case",
                        "scenario": SCENARIO,
                        "country": iso3_of.get(id(row)),
                        "row_type": row.kind,
                        "year": year,
                        "value": cell.value,
                        "unit": "fraction" if share else unit,
                        "value_t": None if share else cell.value * factor,
                        "basis": None if share else basis,
                        "status": "observed" if year == base_year else "projection",
                        "source_file": file,
                        "source_sheet": sheet,
                        "source_cell": cell.field,
                        "line": cell.line,
                        "note": projection_note or None,
                    }
                )
        checks.extend(_check_block(block, [r for r, _ in countries], unit=unit, release=release))
        if footnotes:
            checks.append(
                {
                    "check_name": "label_only_rows_skipped",
                    "source": SOURCE,
                    "release": release,
                    "subject": f"{block.mineral_id} {block.stage}",
                    "expected": None,
                    "actual": float(len(footnotes)),
                    "status": "ok",
                    "detail": f"{len(footnotes)} row(s) with a text label and no values "
                    "(footnotes, not countries) skipped: "
                    + "; ".join(repr(r.label[:60]) for r in footnotes),
                }
            )

    return {
        "production": _frame("production", production, path),
        "aggregates": _frame("aggregates", aggregates, path),
        "projections": _frame("projections", projections, path),
        "checks": _frame("checks", checks, path),
    }


def _frame(table: str, rows: list[dict[str, Any]], path: Path) -> pd.DataFrame:
    names = [c.name for c in columns(table)]
    frame = pd.DataFrame(rows, columns=names)
    for c in columns(table):
        if c.type == "DOUBLE":
            frame[c.name] = frame[c.name].astype("float64")
        elif c.type == "INTEGER":
            frame[c.name] = frame[c.name].astype("Int64" if c.nullable else "int64")
    return conform(table, frame, source=str(path))


def _check_block(
    block: _Block, countries: list[_Row], *, unit: str, release: str
) -> list[dict[str, Any]]:
    """Check listed countries + rest of world against the total, and the top-3 share."""
    rest = [r for r in block.rows if r.kind == "rest_of_world"]
    total = next((r for r in block.rows if r.kind == "total"), None)
    top3 = next((r for r in block.rows if r.kind == "top3_share"), None)
    years = sorted({y for r in block.rows for y in r.values})
    out: list[dict[str, Any]] = []
    for year in years:
        subject = f"{block.mineral_id} {block.stage} {year}"
        parts = [
            (r.label, r.values[year].value if year in r.values else None)
            for r in [*countries, *rest]
        ]
        printed = total.values[year].value if total and year in total.values else None
        base = {"source": SOURCE, "release": release, "subject": subject}
        if printed is None or not rest or any(v is None for _, v in parts):
            missing = [label for label, v in parts if v is None]
            out.append(
                {
                    **base,
                    "check_name": "total_equals_listed_plus_rest",
                    "expected": printed,
                    "actual": None,
                    "status": "incomplete",
                    "detail": "cannot add up: "
                    + ("no printed total" if printed is None else "")
                    + (" no rest-of-world row" if not rest else "")
                    + (f" missing values for {', '.join(missing)}" if missing else ""),
                }
            )
        else:
            actual = sum(v for _, v in parts if v is not None)
            diff = actual - printed
            tolerance = SUM_TOLERANCE * (len(parts) + 1)
            if abs(diff) <= tolerance:
                status, detail = "ok", None
            else:
                status = "mismatch"
                detail = (
                    f"{len(countries)} listed countries + rest of world = {actual:,.1f} {unit}, "
                    f"printed total {printed:,.1f} {unit} (difference {diff:+,.1f} {unit}, "
                    f"{diff / printed:+.1%}); shares of the printed total do not add up to 1"
                )
                last = countries[-1].values.get(year) if countries else None
                if (
                    last is not None
                    and last.value is not None
                    and abs(diff - last.value) <= (tolerance)
                ):
                    detail += (
                        f"; the difference equals the last listed country "
                        f"({countries[-1].label}, {last.value:,.1f} {unit}), which the printed "
                        "total appears to leave out"
                    )
            out.append(
                {
                    **base,
                    "check_name": "total_equals_listed_plus_rest",
                    "expected": printed,
                    "actual": actual,
                    "status": status,
                    "detail": detail,
                }
            )
        if top3 is None or year not in top3.values:
            continue
        share = top3.values[year].value
        values = [(r.label, r.values[year].value if year in r.values else None) for r in countries]
        if share is None or printed is None or printed == 0 or any(v is None for _, v in values):
            out.append(
                {
                    **base,
                    "check_name": "top3_share",
                    "expected": share,
                    "actual": None,
                    "status": "incomplete",
                    "detail": "printed share, total or a country value is missing",
                }
            )
            continue
        known = [(label, v) for label, v in values if v is not None]
        largest = sorted(known, key=lambda lv: -lv[1])[:3]
        recomputed = sum(v for _, v in largest) / printed
        if abs(recomputed - share) <= SHARE_TOLERANCE:
            status, detail = "ok", None
        else:
            status = "mismatch"
            detail = (
                f"printed top-3 share {share:.4f}; the three largest listed countries "
                f"({', '.join(lb for lb, _ in largest)}) give {recomputed:.4f} of the printed total"
            )
            first = known[:3]
            first_share = sum(v for _, v in first) / printed
            if abs(first_share - share) <= SHARE_TOLERANCE:
                detail += (
                    f"; the printed share is that of the first three listed "
                    f"({', '.join(lb for lb, _ in first)})"
                )
        out.append(
            {
                **base,
                "check_name": "top3_share",
                "expected": share,
                "actual": recomputed,
                "status": status,
                "detail": detail,
            }
        )
    return out
