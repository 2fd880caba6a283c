"""Read USGS Mineral Commodity Summaries (MCS) data releases into the store schema.

World files (``mcsYYYY-<key>_world.csv``) have one row per country plus
"Other countries" and "World total" rows, and the columns ``Source, Country,
Type`` followed by value columns named ``<Measure>[_<qualifier>]_<unit>[_est]
[_<year>]`` (``Prod_kt_2022``, ``Prod_t_est_2023``, ``Reserves_t``,
``Cap_Sponge_t_2023``, ``Reserves_ore_K2O_equiv_kt``) and notes columns
(``Prod_notes`` or ``Prod_note``, ``Cap_notes``, ``Reserves_notes``).

Cleaning rules (every one is exercised by the bundled files):

- The ``Source`` column is not used (some files leave it empty or write
  ``MCS 2024``): the release comes from the caller or the file name.
- UTF-8 with or without a byte-order mark; trailing empty columns and blank rows
  are ignored. A column without a header is accepted when it repeats a value
  column (MCS2024 barite) or holds only text, read as a note (MCS2024
  vermiculite). An empty cell and ``XX`` (USGS: "not applicable", e.g. reserves
  on refinery rows, boron's world total) are not figures and give no row.
- Values: thousands separators; ``W`` → status ``withheld`` (quantity NULL, never
  0); ``NA`` → ``missing``; words such as "Large" or "Included with ilmenite" →
  ``missing`` with the text in ``note``; ``—``/``-`` → 0; ``>25``/``<100`` keep
  the number and set ``bound``; a leading ``e`` (``e5,000``) marks an estimate;
  "Less than ½ unit" → 0.5 with bound ``<``.
- Years and status: the later of the two production years of an edition is the
  USGS estimate (``estimated``), the earlier ``reported``, whatever the column
  name says (MCS2024 writes ``Prod_t_est_2022`` for a reported 2022). A figure is
  also ``estimated`` when its country label carries the USGS ``e`` footnote
  (``Japane``), the value does (``e5,000``), the Type says so ("Cement
  production, estimated"), or the row's notes say the earlier year was also
  estimated ("Production in 2022 is also estimated."). Reserves refer to the year
  before the edition (MCS2024 → 2023) unless the column names a year.
- Units come from the column name: ``kg``, ``t``, ``kt`` and ``Mt`` (also written
  ``mt`` and ``mmt``) convert to tonnes; ``mct`` (million carats), ``kct``
  (thousand carats) and ``mcm`` (million cubic metres) are kept with
  ``quantity_t`` NULL. Where a row's notes for the measure state the unit in
  words ("Units are thousand metric tons, gross weight…", "Metric tons, gross
  weight.", "Crude ore, million metric tons.") and that contradicts the column
  name, the note wins: MCS2023 chromium heads its production ``Prod_t_*`` while
  every note says thousand metric tons (MCS2024 writes ``Prod_kt_*`` for the
  same series). The row's ``note`` says so and a ``checks`` row
  (:data:`CHECK_UNIT_FROM_NOTE`, ``mismatch``) names file and column. Only the
  notes column of the row's own measure counts, a sentence naming another
  measure ("reserves were 22,000 tons") is not a unit statement, and neither is
  a quantity ("more than 11,000,000 thousand metric tons").
  Where a column name is wrong with no note to say so, :data:`UNIT_FIXES`
  gives the unit, with the other editions' figures as evidence (MCS2024 heads
  selenium reserves ``Reserves_kt`` over figures in tonnes, talc reserves
  ``Reserves_t`` over figures in thousand tonnes); rows and ``checks`` record it
  the same way.
- Stacked series: the PGM file's platinum and palladium rows become minerals
  ``platinum`` and ``palladium``; other files stack products (ilmenite / rutile,
  bauxite / alumina, usable ore / iron content …) recorded in ``product``. The
  Type text gives ``basis`` and ``stage`` (mine production → mining; refinery,
  smelter, plant or primary production → processing; otherwise the catalog's
  first stage); a Type naming capacity without production ("Clinker capacity")
  sends the row to ``capacity``.
- Country labels: non-breaking spaces; trailing footnote digits (``Belgium8``);
  the trailing ``e`` estimate marker, used only when the label without it
  resolves and the full label does not; qualifiers in parentheses or after a
  comma (``Brazil (beneficiated)``, ``Kazakhstan, concentrate``) go to ``note``.
  "Other countries…", "World total…" and rows that combine countries ("United
  States and Canada") go to ``aggregates``. A label that resolves to nothing
  raises :class:`UnknownCountryError` naming file and line. The stored ``label`` is
  the label without its footnote markers (``Japane`` → ``Japan``; the estimate is
  in ``status``): file, line and column still point at the cell as published.
- For every series and year with a world total, a ``checks`` row compares the
  total with the sum of the countries and "other" rows (``ok`` within the
  rounding of the published total, ``incomplete`` when withheld or missing cells
  prevent the check, else ``mismatch``).

Overlapping years of different editions are all kept; the store decides which
release wins. The critical-minerals tables (T4 end uses, T5 salient statistics,
Fig. 2 net import reliance, Fig. 3 major import sources) are read too.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pandas as pd
from pandas.api.extensions import ExtensionDtype

from friendshore._core.errors import DataError, InputError, UnknownCountryError
from friendshore._core.types import ISO3, Stage, Status
from friendshore._core.units import TO_TONNES
from friendshore.data.catalog import (
    default_stage,
    mineral_for_name,
    minerals_for_usgs_key,
    read_minerals,
)
from friendshore.data.countries import classify_aggregate, country_resolver, normalise_label
from friendshore.data.resources import bundled_path
from friendshore.data.schema import columns, conform

SOURCE: Final = "USGS MCS"
#: Bundled editions and the folders that hold their world files.
BUNDLED: Final[dict[str, tuple[str, ...]]] = {
    "MCS2022": ("usgs_mcs2022",),
    "MCS2023": ("usgs_mcs2023", "world"),
    "MCS2024": ("usgs_mcs2024", "world"),
}
#: Folders with the critical-minerals tables.
BUNDLED_CRITICAL: Final[tuple[tuple[str, ...], ...]] = (
    ("usgs_mcs2023", "critical"),
    ("usgs_mcs2024", "critical"),
)
#: Years in which USGS published a list of critical minerals.
CRITICAL_LIST_YEARS: Final = (2018, 2022, 2025)
#: Check name of the world-total reconciliation in ``checks``.
CHECK_WORLD_TOTAL: Final = "usgs_world_total"
#: Check name of a unit corrected against its column name: taken from a row's
#: notes, or from :data:`UNIT_FIXES` (the same name as the MCS2025 reader's fixes).
CHECK_UNIT_FROM_NOTE: Final = "usgs_unit_from_note"

#: Value columns whose name states the wrong unit, per (release, USGS key, column
#: name): (unit token of the figures, evidence from the other editions' figures for
#: the same series). The whole column is read in that unit; each row's ``note``
#: and a ``checks`` row (:data:`CHECK_UNIT_FROM_NOTE`, ``mismatch``) say so.
UNIT_FIXES: Final[dict[tuple[str, str, str], tuple[str, str]]] = {
    ("MCS2024", "selen", "Reserves_kt"): (
        "t",
        "the figures are metric tons: United States 11,000 and world 95,000 here, against "
        "10,000 and 81,000 in MCS2023 (Reserves_t) and 10,000 and 92,000 in MCS2025 "
        "(metric tons); read as kt they would be 1,000 times the other editions'",
    ),
    ("MCS2024", "talc", "Reserves_t"): (
        "kt",
        "the figures are thousand metric tons: United States 140,000, India 110,000 and "
        "Japan 100,000 here, the same figures as in MCS2023 (Reserves_kt) and MCS2025 "
        "(thousand metric tons); read as t they would be 1/1,000 of the other editions'",
    ),
}

Measure = Literal["production", "capacity", "reserves"]
Kind = Literal["country", "world", "other"]

#: Unit token in a column name → unit stored in ``unit``.
UNITS: Final[dict[str, str]] = {
    "kg": "kg",
    "t": "t",
    "kt": "kt",
    "mt": "Mt",
    "mmt": "Mt",
    "mct": "mct",
    "kct": "kct",
    "mcm": "mcm",
}
_MEASURES: Final[dict[str, Measure]] = {
    "prod": "production",
    "cap": "capacity",
    "reserves": "reserves",
}
_VALUE_COLUMN = re.compile(
    r"(?P<measure>prod|cap|reserves)_(?:(?P<qual>[a-z0-9_]+?)_)?"
    r"(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")"
    r"(?:_(?P<est>est))?(?:_(?P<year>\d{4}))?",
    re.IGNORECASE,
)
#: Units named in words in a notes cell, longest phrases first.
_NOTE_UNIT_PHRASES: Final[tuple[tuple[str, str], ...]] = (
    (r"thousand\s+(?:metric\s+tons?|tonnes)", "kt"),
    (r"million\s+(?:metric\s+tons?|tonnes)", "Mt"),
    (r"metric\s+tons?|tonnes", "t"),
    (r"kilograms?", "kg"),
    (r"thousand\s+carats", "kct"),
    (r"million\s+carats", "mct"),
    (r"million\s+cubic\s+met(?:er|re)s", "mcm"),
)
_NOTE_UNIT = "(?P<phrase>" + "|".join(p for p, _ in _NOTE_UNIT_PHRASES) + ")"
#: A sentence of a notes cell that states the unit of the row's figures:
#: "Units are thousand metric tons, gross weight, of marketable chromite ore",
#: "Metric tons contained beryllium…", "Thousand metric tons, ZrO2 content",
#: "Crude iron ore, million metric tons". A number before the unit makes it a
#: quantity ("reserves were 1.7 million tons"), not a unit statement.
_UNIT_STATEMENT = re.compile(
    r"(?:(?:units?\s+(?:are|is)|data\s+are\s+in|in)\s+)?" + _NOTE_UNIT + r"(?:[\s,;(].*)?"
    r"|[a-z][^\d,.;]*,\s*" + _NOTE_UNIT.replace("phrase", "phrase2") + r"(?:[\s,;(].*)?",
    re.IGNORECASE | re.DOTALL,
)
#: Words that show a sentence is about another measure than the one read.
_OTHER_MEASURE: Final[dict[Measure, re.Pattern[str]]] = {
    "production": re.compile(r"(?i)\breserves?\b|\bcapacit(?:y|ies)\b"),
    "capacity": re.compile(r"(?i)\breserves?\b"),
    "reserves": re.compile(r"(?i)\bproduc(?:tion|ed)\b|\bcapacit(?:y|ies)\b"),
}
_SENTENCE_END = re.compile(r"\.(?:\s+(?=[A-Z0-9\"“])|\s*$)")
_NOTES_COLUMN = re.compile(r"(?P<measure>prod|cap|reserves)_notes?", re.IGNORECASE)
#: Product named by a column qualifier (``Reserves_ore_K2O_equiv_kt``).
_QUALIFIER_PRODUCTS: Final[dict[str, str]] = {
    "sponge": "sponge",
    "pigment": "pigment",
    "ore": "ore",
    "ore_k2o_equiv": "K2O equivalent",
}

#: Per USGS key, patterns on the Type text (lower case) that name the product of a
#: stacked file; the first match wins, no match means no product.
PRODUCTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "abras": (
        ("fused aluminum oxide", "fused aluminum oxide"),
        ("silicon carbide", "silicon carbide"),
    ),
    "bauxi": (("alumina", "alumina"), ("bauxite", "bauxite")),
    "cemen": (("clinker", "clinker"), ("cement", "cement")),
    "clays": (("bentonite", "bentonite"), ("fuller", "fuller's earth"), ("kaolin", "kaolin")),
    "feore": (("usable ore", "usable ore"), ("iron content", "iron content")),
    "feste": (("pig iron", "pig iron"), ("raw steel", "raw steel")),
    "mica": (("scrap and flake", "scrap and flake"), ("sheet", "sheet")),
    "simet": (
        ("silicon metal$", "silicon metal"),
        ("of ferrosilicon$", "ferrosilicon"),
        ("production, ferrosilicon\\b", "ferrosilicon"),  # MCS2025
    ),
    "sodaa": (
        ("natural and synthetic", "natural and synthetic"),
        ("synthetic", "synthetic"),
        ("natural", "natural"),
    ),
    # MCS2025 stacks sponge and pigment rows (earlier files name them in the columns).
    "titan": (("pigment", "pigment"), ("sponge", "sponge")),
    "timin": (
        ("ilmen\\w* and rutile", "ilmenite and rutile"),
        ("rutile", "rutile"),
        ("ilmenite", "ilmenite"),
    ),
}
#: Products that are the sum of others; their world total is checked against the
#: constituents' world totals. A country row given for a combined product is
#: counted under the first constituent (USGS includes U.S. rutile with ilmenite).
COMBINED: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("timin", "ilmenite and rutile"): ("ilmenite", "rutile"),
    ("sodaa", "natural and synthetic"): ("natural", "synthetic"),
}
#: Files that stack several catalog minerals: patterns on the Type text.
MINERAL_SPLIT: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "plati": (("palladium", "palladium"), ("platinum", "platinum")),
}

_MINING = re.compile(r"\bmi?ne? p\w*duction\b|\bmining\b|\bmine\b")
_PROCESSING = re.compile(
    r"refinery|refined|smelter|plant production|plant capacity|primary production|sponge"
    r"|compounds|synthetic|pig iron|raw steel|cement|clinker"
)
_CAPACITY = re.compile(r"\bcapacity\b")
_PRODUCTION = re.compile(r"\bproduction\b")
_ESTIMATED = re.compile(r"\bestimated\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_EXCLUDES_US = re.compile(
    r"exclud\w*\s+(?:the\s+)?(?:U\.\s?S\.|United States)(?P<prod>\s+production)?(?P<of>\s+of\b)?",
    re.IGNORECASE,
)
_FOOTNOTE = re.compile(r"(?<=[^\d\s])\d{1,2}$")
_RELEASE_IN_NAME = re.compile(r"mcs[\s_-]?(\d{4})", re.IGNORECASE)
_RELEASE = re.compile(r"MCS(\d{4})")
_NUMBER = re.compile(
    r"(?P<e1>e)?\s*(?P<bound>[<>])?\s*(?P<e2>e)?\s*"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
)
_ZERO: Final = frozenset({"—", "–", "-", "--", "−"})
_TEXT_MISSING = re.compile(
    r"(?i)(included (in|with)\b.*|categori[sz]ed as\b.*|(very )?(large|small)|moderate( to large)?"
    r"|not available|not applicable)\.?"
)
#: A cell that says its figure is counted in another row ("Included with ilmenite").
_INCLUDED_ELSEWHERE = re.compile(r"(?i)(.*; )?included with\b")
_LESS_THAN_HALF = re.compile(r"(?i)less than (½|1/2|0\.5) unit\.?")
#: Labels in the import-sources figure that are regions, not countries.
_REGIONS: Final = frozenset({"europe"})


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class UsgsValue:
    """One cleaned USGS cell.

    Attributes
    ----------
    quantity
        The number in the unit of its column; ``None`` when withheld or missing.
    kind
        ``"number"``, ``"withheld"`` (``W``) or ``"missing"`` (``NA``, ``XX``, text).
    bound
        ``">"`` or ``"<"`` when the source gives a bound only.
    estimated
        The cell carries the USGS estimate marker (``e5,000``).
    note
        Text the cell carried instead of, or besides, a number.
    """

    quantity: float | None
    kind: Literal["number", "withheld", "missing"]
    bound: Literal[">", "<"] | None = None
    estimated: bool = False
    note: str | None = None


def parse_usgs_value(
    text: str,
    *,
    file: str | Path | None = None,
    line: int | None = None,
    field: str | None = None,
) -> UsgsValue:
    """Parse one USGS value cell (``"1,234"``, ``"W"``, ``">25"``, ``"NA"``…).

    Raises
    ------
    DataError
        If the cell is text USGS does not use for a value (names file, line, field).
    """
    s = re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()
    upper = s.upper()
    if upper == "W":
        return UsgsValue(None, "withheld")
    if upper in ("NA", "N/A", ""):
        return UsgsValue(None, "missing", note=None if upper else "empty cell")
    if upper == "XX":
        return UsgsValue(None, "missing", note="not applicable (XX)")
    if s in _ZERO:
        return UsgsValue(0.0, "number")
    m = _NUMBER.fullmatch(s)
    if m:
        bound = m["bound"]
        return UsgsValue(
            float(m["num"].replace(",", "")),
            "number",
            bound=">" if bound == ">" else "<" if bound == "<" else None,
            estimated=bool(m["e1"] or m["e2"]),
        )
    if _LESS_THAN_HALF.fullmatch(s):
        return UsgsValue(0.5, "number", bound="<", note=s)
    if _TEXT_MISSING.fullmatch(s):
        return UsgsValue(None, "missing", note=s)
    raise DataError(f"not a number: {s!r}", file=file, line=line, field=field)


def parse_note_unit(
    note: str,
    *,
    measure: Measure,
    file: str | Path | None = None,
    line: int | None = None,
    field: str | None = None,
) -> str | None:
    """The unit that a notes cell states in words for the row's figures, if any.

    Each sentence is tried on its own; one that starts with a unit ("Metric tons,
    gross weight."), says "Units are …" or is a short label followed by a unit
    ("Crude ore, million metric tons.") states the unit. A sentence that names
    another measure than ``measure`` ("Joint Ore Reserves Committee-compliant
    reserves were 22,000 tons" in a production note) or gives a quantity is
    ignored.

    Parameters
    ----------
    note
        The notes cell(s) of the row for this measure.
    measure
        ``"production"``, ``"capacity"`` or ``"reserves"``: the measure the
        figures are read for.
    file, line, field
        Where the note is, for the error message.

    Returns
    -------
    str or None
        A unit of :data:`UNITS` (``"kt"``, ``"t"``, ``"Mt"``, ``"kg"``, ``"kct"``,
        ``"mct"``, ``"mcm"``), or ``None`` when the note states none.

    Raises
    ------
    DataError
        If the note states two different units for the same figures.
    """
    found: dict[str, str] = {}
    for part in _SENTENCE_END.split(_clean(note)):
        sentence = part.strip()
        m = _UNIT_STATEMENT.fullmatch(sentence)
        if m is None or _OTHER_MEASURE[measure].search(sentence):
            continue
        phrase = re.sub(r"\s+", " ", (m["phrase"] or m["phrase2"]).lower())
        unit = next(u for p, u in _NOTE_UNIT_PHRASES if re.fullmatch(p, phrase))
        found.setdefault(unit, phrase)
    if len(found) > 1:
        raise DataError(
            "the notes state more than one unit (" + ", ".join(found.values()) + ")",
            file=file,
            line=line,
            field=field,
        )
    return next(iter(found), None)


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class UsgsLabel:
    """A USGS row label resolved to a country or recognised as an aggregate."""

    kind: Kind
    iso3: ISO3 | None
    qualifier: str | None
    estimated: bool
    #: The label for display: as written, without USGS footnote markers (trailing
    #: footnote digits, the estimate letter ``e`` glued to the name: ``Japane`` → ``Japan``).
    display: str = ""


def _split_qualifier(text: str) -> tuple[str, str | None]:
    """Split ``"Brazil (beneficiated)"`` or ``"Kazakhstan, concentrate"`` into base, qualifier."""
    quals: list[str] = []
    base = text
    m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*(.*)", text)
    if m:
        base = m[1]
        quals.append(m[2].strip())
        rest = m[3].lstrip(",").strip()
        if rest:
            quals.append(rest)
    if ", " in base:
        base, tail = base.split(", ", 1)
        quals.insert(0, tail.strip())
    return base.strip(), "; ".join(q for q in quals if q) or None


def parse_usgs_label(
    label: str,
    *,
    file: str | Path | None = None,
    line: int | None = None,
    field: str = "Country",
) -> UsgsLabel:
    """Resolve a USGS country label to ISO3, or recognise it as an aggregate.

    Raises
    ------
    UnknownCountryError
        If the label is neither an aggregate nor a known country.
    """
    resolver = country_resolver()
    text = _FOOTNOTE.sub("", normalise_label(label)).strip()
    if not text:
        raise DataError("empty country label", file=file, line=line, field=field)
    kind = classify_aggregate(text)
    if kind is not None:
        base, qualifier = _split_qualifier(text)
        estimated = base.casefold() == "other countriese"
        display = text.replace(base, base[:-1], 1) if estimated else text
        if kind == "world":
            return UsgsLabel("world", None, qualifier, estimated, display)
        return UsgsLabel("other", None, qualifier, estimated, display)
    candidates = [(text, None), _split_qualifier(text)]
    for name, qualifier in candidates:
        code = resolver.resolve(name)
        if code is not None:
            return UsgsLabel("country", code, qualifier, False, text)
        # USGS footnote "e" glued to the name ("Japane"): only when the rest resolves.
        code = resolver.resolve(name[:-1]) if name.endswith("e") else None
        if code is not None:
            return UsgsLabel("country", code, qualifier, True, text.replace(name, name[:-1], 1))
    parts = [p for p in re.split(r"\s*,\s*|\s+and\s+", text) if p]
    if len(parts) >= 2 and all(resolver.resolve(p) is not None for p in parts):
        return UsgsLabel("other", None, "combined: " + " + ".join(parts), False, text)
    raise UnknownCountryError(
        f"unknown country {label!r}: add it to concordances/country_aliases.csv "
        "if it is a real country under another name",
        file=file,
        line=line,
        field=field,
    )


# --------------------------------------------------------------------------- CSV input


@dataclass(frozen=True)
class _Table:
    """A decoded CSV: header and data rows with their 1-based physical line."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        prefix = data[start : exc.start].decode("utf-8", errors="replace")
        cells = next(csv.reader([prefix]), [""])
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
        col = len(cells) - 1
        name = header[col].lstrip("\ufeff") if 0 <= col < len(header) else None
        raise DataError(
            f"not UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8",
            file=file,
            line=line,
            field=name,
        ) from None


#: A file on disk or a member of a zip archive (the MCS2025 release ships zips).
Readable = Path | zipfile.Path


def _read_table(path: Readable, file: str, *, allow_unnamed: bool = False) -> _Table:
    """Read a USGS CSV: BOM, strict quoting, trailing empty columns and blank rows dropped.

    Cells beyond the last named column are an error unless ``allow_unnamed``; then
    the columns are kept with an empty name for the caller to judge.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=file) from None
    text = _decode(data, file)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    raw: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            raw.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        rest = text.splitlines()[start - 1 :]
        partial = next(csv.reader(["\n".join(rest)]), [])
        header = raw[0][1] if raw else []
        col = len(partial) - 1
        raise DataError(
            f"malformed CSV ({exc}); is the file truncated?",
            file=file,
            line=start,
            field=header[col].strip() if 0 <= col < len(header) else None,
        ) from None
    if not raw:
        raise DataError("empty file", file=file, line=1)
    header = [h.strip() for h in raw[0][1]]
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    data_rows = [(line, row) for line, row in raw[1:] if any(cell.strip() for cell in row)]
    full = width
    for line, row in data_rows:
        if len(row) < width:
            raise DataError(
                f"{len(row)} fields, the header has {width}; is the file truncated?",
                file=file,
                line=line,
                field=header[len(row)],
            )
        used = max((i + 1 for i, c in enumerate(row) if c.strip()), default=0)
        if used > width and not allow_unnamed:
            raise DataError(
                f"{used} fields but the header names {width} columns",
                file=file,
                line=line,
                field=f"column {used}",
            )
        full = max(full, used)
    names = (header + [""] * full)[:full]
    rows = [(line, (row + [""] * full)[:full]) for line, row in data_rows]
    return _Table(file, names, rows)


def _edition(release: str) -> int:
    m = _RELEASE.fullmatch(release)
    if m is None:
        raise InputError(f"release {release!r} is not of the form MCS2024")
    return int(m[1])


def _infer_release(path: Path) -> str:
    m = _RELEASE_IN_NAME.search(path.name)
    if m is None:
        raise DataError(
            "cannot tell the MCS edition from the file name; pass release (e.g. MCS2025)",
            file=path,
        )
    return f"MCS{m[1]}"


def _usgs_key(path: Path, file: str) -> str:
    m = re.search(r"mcs\d{4}-([a-z]+)", path.name, re.IGNORECASE)
    if m is None:
        raise DataError(
            "cannot tell the commodity from the file name (expected mcsYYYY-<key>_world.csv)",
            file=file,
        )
    return m[1].lower()


# --------------------------------------------------------------------------- world files


@dataclass(frozen=True)
class _ValueColumn:
    index: int
    name: str
    measure: Measure
    product: str | None
    unit: str
    year: int | None


@dataclass
class _Record:
    measure: Measure
    mineral_id: str
    stage: str | None
    product: str | None
    kind: Kind
    country: str | None
    label: str
    base_label: str
    year: int
    quantity: float | None
    unit: str
    basis: str | None
    status: str
    bound: str | None
    note: str | None
    line: int
    field: str
    world_note: str = ""
    qualifier: str | None = None
    #: The column name's unit when the row's note or :data:`UNIT_FIXES` overrode it.
    header_unit: str | None = None
    #: The evidence of the :data:`UNIT_FIXES` entry that set ``unit``, if any.
    unit_fix: str | None = None

    @property
    def quantity_t(self) -> float | None:
        if self.quantity is None or self.unit not in TO_TONNES:
            return None
        return self.quantity * TO_TONNES[self.unit]


def _parse_header(
    table: _Table,
) -> tuple[list[_ValueColumn], dict[Measure, int], list[int]]:
    """Return the value columns, the notes column per measure and the unnamed columns."""
    header = table.header
    if header and any(d in header[0] for d in ";\t|"):
        raise DataError(
            f"the header {header[0][:40]!r}… is not comma-separated (USGS files use commas)",
            file=table.file,
            line=1,
            field="Source",
        )
    for i, expected in enumerate(("Source", "Country", "Type")):
        found = header[i] if i < len(header) else ""
        looks_like_data = _VALUE_COLUMN.fullmatch(found) or _NOTES_COLUMN.fullmatch(found)
        if (i < 2 and found.casefold() != expected.casefold()) or not found or looks_like_data:
            # The third column is the Type whatever its header says (MCS2024 fluorspar
            # writes "Mine production, fluorspar" there).
            raise DataError(
                f"missing column {expected!r}: the first three columns must be "
                f"Source, Country, Type (found {found!r})",
                file=table.file,
                line=1,
                field=expected,
            )
    if len(header) < 4:
        raise DataError("no value columns (Prod_*, Cap_*, Reserves_*)", file=table.file, line=1)
    values: list[_ValueColumn] = []
    notes: dict[Measure, int] = {}
    unnamed: list[int] = []
    for i, name in enumerate(header[3:], start=3):
        if not name:
            unnamed.append(i)
            continue
        m = _VALUE_COLUMN.fullmatch(name)
        if m:
            qual = (m["qual"] or "").lower()
            product = _QUALIFIER_PRODUCTS.get(qual, qual.replace("_", " ")) if qual else None
            year = int(m["year"]) if m["year"] else None
            measure = _MEASURES[m["measure"].lower()]
            if year is None and measure != "reserves":
                raise DataError("value column without a year", file=table.file, line=1, field=name)
            values.append(_ValueColumn(i, name, measure, product, UNITS[m["unit"].lower()], year))
            continue
        n = _NOTES_COLUMN.fullmatch(name)
        if n:
            notes[_MEASURES[n["measure"].lower()]] = i
            continue
        raise DataError(
            "unexpected column: expected Prod_/Cap_/Reserves_<unit>[_est]_<year> or *_notes",
            file=table.file,
            line=1,
            field=name or f"column {i + 1}",
        )
    if not values:
        raise DataError("no value columns (Prod_*, Cap_*, Reserves_*)", file=table.file, line=1)
    return values, notes, unnamed


def _judge_unnamed(
    table: _Table, values: Sequence[_ValueColumn], notes: dict[Measure, int], index: int
) -> tuple[str, int | None]:
    """Decide what a column without a header holds.

    Returns ``("copy", None)`` when every value repeats a named value column of
    the same row (MCS2024 barite repeats its reserves), ``("note", i)`` when it
    holds text only, to be read with the notes column ``i`` before it (MCS2024
    vermiculite), and raises otherwise.
    """
    cells = [(line, row[index]) for line, row in table.rows if row[index].strip()]
    keys = {line: _cell_key(cell) for line, cell in cells}
    rows = dict(table.rows)
    for col in values:
        if all(_cell_key(rows[line][col.index]) == key for line, key in keys.items()):
            return "copy", None
    before = [i for i in notes.values() if i < index]
    if before and all(key[0] == "text" for key in keys.values()):
        return "note", max(before)
    raise DataError(
        "values in a column without a header",
        file=table.file,
        line=cells[0][0],
        field=f"column {index + 1}",
    )


def _cell_key(cell: str) -> tuple[str, float | str | None]:
    """What a cell says, for comparing two cells: kind and number, or the text."""
    try:
        value = parse_usgs_value(cell)
    except DataError:
        return "text", _clean(cell)
    return value.kind, value.quantity


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _match(rules: Sequence[tuple[str, str]], text: str) -> str | None:
    for pattern, value in rules:
        if re.search(pattern, text):
            return value
    return None


def _stage(type_text: str, mineral_id: str) -> str:
    if _MINING.search(type_text):
        return Stage.MINING.value
    if _PROCESSING.search(type_text):
        return Stage.PROCESSING.value
    return default_stage(mineral_id).value


def _note_years(note: str) -> set[int]:
    """Years a notes cell says were also estimated ("Production in 2022 is also estimated.")."""
    if not (_ESTIMATED.search(note) and re.search(r"\balso\b", note, re.IGNORECASE)):
        return set()
    return {int(y) for y in _YEAR.findall(note)}


def _join(*parts: str | None) -> str | None:
    kept = [p for p in (_clean(p) if p else "" for p in parts) if p]
    return "; ".join(dict.fromkeys(kept)) or None


def read_usgs_world(
    path: Path, *, release: str, file: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read one USGS MCS world file into ``production``, ``reserves``, ``capacity``,
    ``aggregates`` and ``checks``.

    Parameters
    ----------
    path
        A ``mcsYYYY-<key>_world.csv`` file in USGS's format.
    release
        The edition, e.g. ``"MCS2024"``.
    file
        Name recorded in the ``file`` column and in error messages; defaults to the
        path relative to the bundled data folder, or the path as given.

    Returns
    -------
    dict of str to pandas.DataFrame
        Frames conforming to the store tables. Quantities are in the source unit
        (``quantity``, ``unit``) and in metric tonnes (``quantity_t``, NULL for
        carats and cubic metres).

    Raises
    ------
    DataError
        On a malformed file, naming file, line and field; nothing is returned.
    UnknownCountryError
        If a country label resolves to nothing.
    """
    name = file if file is not None else _display_name(path)
    edition = _edition(release)
    key = _usgs_key(path, name)
    table = _read_table(path, name, allow_unnamed=True)
    fixes = {col: fix for (rel, k, col), fix in UNIT_FIXES.items() if (rel, k) == (release, key)}
    records = _world_records(table, key=key, edition=edition, unit_fixes=fixes)
    return _frames(records, release=release, file=name)


def _display_name(path: Readable) -> str:
    if isinstance(path, zipfile.Path):
        return str(path)
    try:
        return path.resolve().relative_to(bundled_path().resolve()).as_posix()
    except ValueError:
        return str(path)


def _world_records(
    table: _Table,
    *,
    key: str,
    edition: int,
    unit_fixes: Mapping[str, tuple[str, str]] | None = None,
) -> list[_Record]:
    """The file's figures; ``unit_fixes`` maps a column name to (unit token, evidence).

    A fix whose column the file does not have does nothing: a copy whose header
    USGS has corrected is read as it stands.
    """
    values, notes, unnamed = _parse_header(table)
    fixes = dict(unit_fixes or {})
    extra_notes: dict[int, list[int]] = defaultdict(list)
    for index in unnamed:
        what, target = _judge_unnamed(table, values, notes, index)
        if what == "note" and target is not None:
            extra_notes[target].append(index)
    minerals = minerals_for_usgs_key(key)
    if not minerals:
        raise DataError(
            f"USGS commodity {key!r} is not in the mineral catalog; add it to "
            "concordances/minerals.csv",
            file=table.file,
        )
    catalog = read_minerals().set_index("mineral_id")
    has_production = any(v.measure == "production" for v in values)
    records: list[_Record] = []
    for line, row in table.rows:
        raw_label = row[1]
        type_raw = _clean(row[2])
        type_text = type_raw.lower()
        label = parse_usgs_label(raw_label, file=table.file, line=line)
        if key in MINERAL_SPLIT:
            mineral = _match(MINERAL_SPLIT[key], type_text)
            if mineral is None:
                raise DataError(
                    f"cannot tell which mineral the Type {type_raw!r} is about",
                    file=table.file,
                    line=line,
                    field=table.header[2],
                )
        elif len(minerals) == 1:
            mineral = minerals[0]
        else:
            raise DataError(
                f"USGS key {key!r} maps to several minerals {list(minerals)}; "
                "add a rule to MINERAL_SPLIT",
                file=table.file,
            )
        type_product = _match(PRODUCTS.get(key, ()), type_text)
        type_capacity = bool(_CAPACITY.search(type_text)) and not _PRODUCTION.search(type_text)
        type_estimated = bool(_ESTIMATED.search(type_text))
        basis = type_raw if type_raw and type_raw.upper() not in ("XX", "NA") else None
        basis = basis or str(catalog.loc[mineral, "unit_basis"])
        base_label = _split_qualifier(_FOOTNOTE.sub("", normalise_label(raw_label)))[0]
        for col in values:
            cell = row[col.index]
            if not cell.strip() or cell.strip().upper() == "XX":
                continue  # empty or "not applicable": no figure exists
            value = parse_usgs_value(cell, file=table.file, line=line, field=col.name)
            measure: Measure = col.measure
            if measure == "production" and type_capacity:
                measure = "capacity"
            notes_measure: Measure = measure
            if measure == "capacity" and "capacity" not in notes and not has_production:
                notes_measure = "production"
            measure_note = ""
            unit = col.unit
            header_unit: str | None = None
            unit_note: str | None = None
            unit_fix: str | None = None
            if col.name in fixes and UNITS[fixes[col.name][0]] != col.unit:
                unit, header_unit = UNITS[fixes[col.name][0]], col.unit
                unit_fix = fixes[col.name][1]
                unit_note = (
                    f"unit {unit} per the other editions' figures; column header says {col.unit}"
                )
            if notes_measure in notes:
                at = notes[notes_measure]
                measure_note = " ".join([row[at], *(row[i] for i in extra_notes[at])])
                stated = parse_note_unit(
                    measure_note,
                    measure=measure,
                    file=table.file,
                    line=line,
                    field=table.header[at],
                )
                if stated is not None and unit_fix is not None and stated != unit:
                    raise DataError(
                        f"the note says {stated} but UNIT_FIXES reads the column as {unit}",
                        file=table.file,
                        line=line,
                        field=table.header[at],
                    )
                if stated is not None and stated != unit:
                    unit, header_unit = stated, col.unit
                    unit_note = f"unit {stated} per the file's note; column header says {col.unit}"
            product = col.product or type_product
            combined_note = None
            combined = COMBINED.get((key, product or ""))
            if combined and label.kind != "world":
                combined_note = f"reported as {product}; counted under {combined[0]}"
                product = combined[0]
            year = col.year if col.year is not None else edition - 1
            if value.kind == "withheld":
                status = Status.WITHHELD.value
            elif value.kind == "missing":
                status = Status.MISSING.value
            else:
                estimated = (
                    value.estimated
                    or label.estimated
                    or type_estimated
                    or (measure != "reserves" and year == edition - 1)
                    or year in _note_years(measure_note)
                    or (
                        measure != "production"
                        and _clean(measure_note).lower().startswith("estimated")
                    )
                )
                status = Status.ESTIMATED.value if estimated else Status.REPORTED.value
            records.append(
                _Record(
                    measure=measure,
                    mineral_id=mineral,
                    stage=_stage(type_text, mineral) if measure == "production" else None,
                    product=product,
                    kind=label.kind,
                    country=label.iso3,
                    label=label.display,
                    base_label=base_label.casefold(),
                    year=year,
                    quantity=value.quantity,
                    unit=unit,
                    basis=basis,
                    status=status,
                    bound=value.bound,
                    note=_join(label.qualifier, combined_note, value.note, unit_note, measure_note),
                    line=line,
                    field=col.name,
                    world_note=f"{raw_label} {measure_note}",
                    qualifier=label.qualifier,
                    header_unit=header_unit,
                    unit_fix=unit_fix,
                )
            )
    _check_duplicates(records, table.file)
    return records


def _check_duplicates(records: Iterable[_Record], file: str) -> None:
    seen: dict[tuple[object, ...], int] = {}
    for r in records:
        who = r.country if r.kind == "country" else f"{r.kind}:{r.base_label}"
        key = (r.measure, r.mineral_id, r.stage, r.product, who, r.qualifier, r.year)
        if key in seen:
            raise DataError(
                f"duplicate {r.measure} figure for {r.label.strip()!r} in {r.year} "
                f"(first on line {seen[key]})",
                file=file,
                line=r.line,
                field=r.field,
            )
        seen[key] = r.line


# --------------------------------------------------------------------------- checks


def _excludes_us(text: str, measure: str) -> bool:
    """Whether a world total's label or note says it leaves out the United States.

    "Excludes U.S. production of pyrophyllite" is a partial exclusion (no), and
    "excluding U.S. production" does not apply to reserves.
    """
    for m in _EXCLUDES_US.finditer(text):
        if m["of"]:
            continue
        if m["prod"] and measure == "reserves":
            continue
        return True
    return False


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def _tolerance(expected: float) -> float:
    """Half a unit in the second significant digit of a published (rounded) total."""
    if expected == 0:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - 1)


def _world_checks(records: list[_Record], *, release: str, file: str) -> list[dict[str, object]]:
    groups: dict[tuple[object, ...], list[_Record]] = defaultdict(list)
    for r in records:
        groups[(r.measure, r.mineral_id, r.stage, r.product, r.year)].append(r)
    worlds_by_product: dict[tuple[object, ...], list[_Record]] = defaultdict(list)
    for r in records:
        if r.kind == "world":
            worlds_by_product[(r.measure, r.mineral_id, r.product, r.year)].append(r)
    out: list[dict[str, object]] = []
    for (measure, mineral, stage, product, year), rows in groups.items():
        subject = f"{measure} {mineral}" + (f" {stage}" if stage else "")
        subject += (f" ({product})" if product else "") + f" {year}, {file}"
        worlds = [r for r in rows if r.kind == "world"]
        parts = [r for r in rows if r.kind != "world"]
        if not worlds:
            out.append(
                _check(
                    release,
                    subject,
                    expected=None,
                    actual=None,
                    status="incomplete",
                    detail="no world total in the file",
                )
            )
            continue
        for world in worlds:
            key = next((k for k in COMBINED if k[1] == product and world.product == product), None)
            if key is not None:
                parts = [
                    w
                    for c in COMBINED[key]
                    for w in worlds_by_product.get((measure, mineral, c, year), [])
                ]
            detail: list[str] = []
            if _excludes_us(world.world_note, str(measure)):
                parts = [p for p in parts if p.country != "USA"]
                detail.append("world total excludes the United States")
            units = {p.unit for p in parts} | {world.unit}
            in_tonnes = len(units) > 1
            unit = "t" if in_tonnes else world.unit
            expected = world.quantity_t if in_tonnes else world.quantity
            known = [(p.quantity_t if in_tonnes else p.quantity) for p in parts]
            actual = sum(q for q in known if q is not None) if parts else None
            unknown = [p for p, q in zip(parts, known, strict=True) if q is None]
            elsewhere = [p for p in unknown if _INCLUDED_ELSEWHERE.match(p.note or "")]
            if elsewhere:
                unknown = [p for p in unknown if p not in elsewhere]
                detail.append(f"{len(elsewhere)} included with another row")
            if expected is None:
                out.append(
                    _check(
                        release,
                        subject,
                        expected=None,
                        actual=actual,
                        status="incomplete",
                        detail=f"world total is {world.status} ({_clean(world.label)})",
                    )
                )
                continue
            if not parts:
                out.append(
                    _check(
                        release,
                        subject,
                        expected=expected,
                        actual=None,
                        status="incomplete",
                        detail="no country figures to add up",
                    )
                )
                continue
            if unknown:
                counts: dict[str, int] = defaultdict(int)
                for p in unknown:
                    counts[p.status] += 1
                what = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                detail.append(f"{what} of {len(parts)} figures")
                out.append(
                    _check(
                        release,
                        subject,
                        expected=expected,
                        actual=actual,
                        status="incomplete",
                        detail="; ".join(detail),
                    )
                )
                continue
            assert actual is not None
            diff = actual - expected
            tol = _tolerance(expected)
            detail.append(
                f"sum {_fmt(actual)} vs published {_fmt(expected)} {unit} "
                f"(difference {'+' if diff >= 0 else '-'}{_fmt(abs(diff))}, "
                f"rounding tolerance {_fmt(tol)})"
            )
            bounded = any(p.bound for p in parts)
            if abs(diff) <= tol:
                status = "ok"
            elif bounded:
                status = "incomplete"
                detail.append("some figures are bounds only")
            else:
                status = "mismatch"
            out.append(
                _check(
                    release,
                    subject,
                    expected=expected,
                    actual=actual,
                    status=status,
                    detail="; ".join(detail),
                )
            )
    return out


def _lines(numbers: Iterable[int]) -> str:
    """``2-9, 12`` for the lines 2, 3, …, 9 and 12."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _unit_checks(records: list[_Record], *, release: str, file: str) -> list[dict[str, object]]:
    """One ``mismatch`` row per value column whose unit a row's note or UNIT_FIXES overrode."""
    by_column: dict[tuple[str, str, str], list[_Record]] = defaultdict(list)
    for r in records:
        by_column[(r.field, r.measure, r.mineral_id)].append(r)
    out: list[dict[str, object]] = []
    for (field, measure, mineral), rows in by_column.items():
        fixed = [r for r in rows if r.header_unit is not None]
        if not fixed:
            continue
        header = fixed[0].header_unit
        units = sorted({r.unit for r in fixed})
        stated = ", ".join(units)
        evidence = fixed[0].unit_fix
        if evidence is not None:
            detail = (
                f"column {field} says {header}, read as {stated} for all "
                f"{_rows(len(fixed))} (lines {_lines(r.line for r in fixed)}): {evidence}"
            )
        else:
            detail = (
                f"column {field} says {header}, the notes of {_rows(len(fixed))} "
                f"(lines {_lines(r.line for r in fixed)}) say {stated}: read as {stated}"
            )
        kept = [r for r in rows if r.header_unit is None]
        if kept:
            detail += (
                f"; {_rows(len(kept))} without that note (lines "
                f"{_lines(r.line for r in kept)}) keep {header}"
            )
        out.append(
            _check(
                release,
                f"{measure} {mineral} {field}, {file}",
                expected=None,
                actual=None,
                status="mismatch",
                detail=detail,
                name=CHECK_UNIT_FROM_NOTE,
            )
        )
    return out


def _check(
    release: str,
    subject: str,
    *,
    expected: float | None,
    actual: float | None,
    status: str,
    detail: str,
    name: str = CHECK_WORLD_TOTAL,
) -> dict[str, object]:
    return {
        "check_name": name,
        "source": SOURCE,
        "release": release,
        "subject": subject,
        "expected": expected,
        "actual": actual,
        "status": status,
        "detail": detail,
    }


# --------------------------------------------------------------------------- frames


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.type)) for c in columns(table)})


def _dtype(sql_type: str) -> ExtensionDtype | str:
    """The pandas dtype of a store column type (nullable integers, floats, booleans)."""
    dtypes: dict[str, ExtensionDtype] = {
        "INTEGER": pd.Int64Dtype(),
        "BIGINT": pd.Int64Dtype(),
        "DOUBLE": pd.Float64Dtype(),
        "BOOLEAN": pd.BooleanDtype(),
    }
    return dtypes.get(sql_type, "object")


def _typed(table: str, records: list[dict[str, object]]) -> pd.DataFrame:
    if not records:
        return _empty(table)
    frame = pd.DataFrame.from_records(records)
    for c in columns(table):
        if c.name not in frame.columns:
            continue
        dtype = _dtype(c.type)
        if isinstance(dtype, str):
            frame[c.name] = frame[c.name].astype(object).where(frame[c.name].notna(), None)
        else:
            frame[c.name] = frame[c.name].astype(dtype)
    return conform(table, frame)


def _frames(records: list[_Record], *, release: str, file: str) -> dict[str, pd.DataFrame]:
    tables: dict[str, list[dict[str, object]]] = {
        "production": [],
        "reserves": [],
        "capacity": [],
        "aggregates": [],
    }
    for r in records:
        row: dict[str, object] = {
            "mineral_id": r.mineral_id,
            "product": r.product,
            "label": r.label,
            "year": r.year,
            "quantity": r.quantity,
            "unit": r.unit,
            "quantity_t": r.quantity_t,
            "basis": r.basis,
            "status": r.status,
            "bound": r.bound,
            "note": r.note,
            "source": SOURCE,
            "release": release,
            "file": file,
            "line": r.line,
        }
        if r.kind == "country":
            row["country"] = r.country
            if r.measure == "production":
                row["stage"] = r.stage
            tables[r.measure].append(row)
        else:
            row.update(measure=r.measure, stage=r.stage, kind=r.kind)
            tables["aggregates"].append(row)
    out = {name: _typed(name, rows) for name, rows in tables.items()}
    checks = _unit_checks(records, release=release, file=file)
    checks += _world_checks(records, release=release, file=file)
    out["checks"] = _typed("checks", checks)
    return out


def _concat(parts: Sequence[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    names = dict.fromkeys(name for part in parts for name in part)
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        frames = [p[name] for p in parts if name in p and not p[name].empty]
        out[name] = conform(name, pd.concat(frames, ignore_index=True)) if frames else _empty(name)
    return out


# --------------------------------------------------------------------------- critical tables


def _list_year(edition: int) -> int:
    years = [y for y in CRITICAL_LIST_YEARS if y < edition]
    if not years:
        raise InputError(f"no USGS critical minerals list before MCS{edition}")
    return years[-1]


def _column(table: _Table, pattern: str) -> int:
    for i, name in enumerate(table.header):
        if re.fullmatch(pattern, name, re.IGNORECASE):
            return i
    raise DataError(f"missing column matching {pattern!r}", file=table.file, line=1, field=pattern)


def read_critical_minerals(
    path: Readable, *, release: str, file: str | None = None
) -> pd.DataFrame:
    """Read table 4 (critical minerals and their end uses) into ``critical_minerals``.

    Lanthanides that USGS covers in its Rare Earths chapter map to ``rare_earths``;
    minerals outside the catalog (cesium, scandium…) keep a NULL ``mineral_id``.
    """
    name = file if file is not None else _display_name(path)
    table = _read_table(path, name)
    i_name = _column(table, r"critical[ _]mineral")
    i_use = _column(table, r"primary[ _]applications")
    i_note = next((i for i, h in enumerate(table.header) if h.lower() == "category_note"), None)
    list_year = _list_year(_edition(release))
    rows: list[dict[str, object]] = []
    for _line, row in table.rows:
        mineral = _clean(row[i_name])
        note = row[i_note] if i_note is not None else ""
        mineral_id = mineral_for_name(mineral)
        if mineral_id is None and re.search(r"rare earths chapter", note, re.IGNORECASE):
            mineral_id = "rare_earths"
        rows.append(
            {
                "mineral_id": mineral_id,
                "name": mineral,
                "list_year": list_year,
                "end_use": _clean(row[i_use]) or None,
                "source": SOURCE,
                "release": release,
            }
        )
    return _typed("critical_minerals", rows)


_T5_NUMERIC = re.compile(
    r"(?i)primary_prod|secondary_prod|apparent_cons\w*|net_import_reliance"
    r"|leading_country_prod|world_total_prod|leading_source_p\w*"
)


def read_critical_salient(path: Readable, *, release: str, file: str | None = None) -> pd.DataFrame:
    """Read table 5 (salient statistics of critical minerals) into ``critical_salient``.

    One row per mineral and column; numeric columns (production, consumption,
    net import reliance in percent, leading producer's production and share) are
    parsed like world-file values, text columns keep their text. Empty cells give
    no row.
    """
    name = file if file is not None else _display_name(path)
    table = _read_table(path, name)
    i_name = _column(table, r"critical_mineral")
    i_year = next((i for i, h in enumerate(table.header) if h.lower() == "year"), None)
    skip = {i_name, i_year, 0}
    rows: list[dict[str, object]] = []
    for line, row in table.rows:
        mineral = _clean(row[i_name])
        year_text = row[i_year] if i_year is not None else ""
        estimated = "estimated" in year_text.lower()  # "2023_estimated"
        for i, col in enumerate(table.header):
            if i in skip or not row[i].strip():
                continue
            text = _clean(row[i])
            value: float | None = None
            bound: str | None = None
            if _T5_NUMERIC.fullmatch(col) and text.upper() == "E":
                kind = "number"  # net exporter (MCS2025): no share, the text says E
            elif _T5_NUMERIC.fullmatch(col):
                parsed = parse_usgs_value(text, file=name, line=line, field=col)
                kind = parsed.kind
                value, bound = parsed.quantity, parsed.bound
            else:
                kind = (
                    "missing" if text.upper() == "NA" else "withheld" if text == "W" else "number"
                )
            status = {
                "withheld": Status.WITHHELD.value,
                "missing": Status.MISSING.value,
            }.get(kind, Status.ESTIMATED.value if estimated else Status.REPORTED.value)
            rows.append(
                {
                    "name": mineral,
                    "mineral_id": mineral_for_name(mineral),
                    "field": col,
                    "value": value,
                    "text": text,
                    "status": status,
                    "bound": bound,
                    "source": SOURCE,
                    "release": release,
                }
            )
    return _typed("critical_salient", rows)


def read_net_import_reliance(
    path: Readable, *, release: str, file: str | None = None
) -> pd.DataFrame:
    """Read figure 2 (U.S. net import reliance, share 0-1) into ``net_import_reliance``.

    ``E`` (net exporter) keeps a NULL share with the text ``E``. The year comes
    from the column name (``Net_Import_Reliance_pct_2023``); the edition's last
    year is a USGS estimate.
    """
    name = file if file is not None else _display_name(path)
    table = _read_table(path, name)
    i_com = _column(table, r"commodity")
    i_nir = _column(table, r"net_import_reliance_pct_\d{4}")
    i_src = _column(table, r"major_import_sources(_\d{4}_\d{4})?")
    col = table.header[i_nir]
    year = int(col[-4:])
    edition = _edition(release)
    rows: list[dict[str, object]] = []
    for line, row in table.rows:
        text = _clean(row[i_nir])
        share: float | None = None
        bound: str | None = None
        if text.upper() == "E":
            status = Status.ESTIMATED.value if year == edition - 1 else Status.REPORTED.value
        else:
            parsed = parse_usgs_value(text, file=name, line=line, field=col)
            if parsed.kind == "withheld":
                status = Status.WITHHELD.value
            elif parsed.kind == "missing":
                status = Status.MISSING.value
            else:
                if parsed.quantity is not None and not 0 <= parsed.quantity <= 100:
                    raise DataError(
                        f"percentage {text!r} outside 0-100", file=name, line=line, field=col
                    )
                share = None if parsed.quantity is None else parsed.quantity / 100
                bound = parsed.bound
                est = parsed.estimated or year == edition - 1
                status = Status.ESTIMATED.value if est else Status.REPORTED.value
        commodity = _clean(row[i_com])
        rows.append(
            {
                "commodity": commodity,
                "mineral_id": mineral_for_name(commodity),
                "year": year,
                "share": share,
                "text": text,
                "status": status,
                "bound": bound,
                "major_import_sources": _clean(row[i_src]) or None,
                "source": SOURCE,
                "release": release,
            }
        )
    return _typed("net_import_reliance", rows)


def read_import_sources(path: Path, *, release: str, file: str | None = None) -> pd.DataFrame:
    """Read figure 3 (countries that are major U.S. import sources) into ``import_sources``.

    Region labels ("Europe") get a NULL ``country``; any other label must resolve.
    """
    name = file if file is not None else _display_name(path)
    table = _read_table(path, name)
    i_country = _column(table, r"country")
    i_count = _column(table, r"commodity_count")
    resolver = country_resolver()
    rows: list[dict[str, object]] = []
    for line, row in table.rows:
        label = _clean(row[i_country])
        country = None
        if label.casefold() not in _REGIONS:
            country = resolver.resolve_or_raise(
                label, file=name, line=line, field=table.header[i_country]
            )
        count = row[i_count].strip()
        if not re.fullmatch(r"\d+", count):
            raise DataError(
                f"not a whole number: {count!r}", file=name, line=line, field=table.header[i_count]
            )
        rows.append(
            {
                "country": country,
                "label": label,
                "commodities": int(count),
                "source": SOURCE,
                "release": release,
            }
        )
    return _typed("import_sources", rows)


_CRITICAL_READERS: Final = (
    (re.compile(r"(?i)MCS\d{4}_T4_Critical_Minerals_End_Use\.csv"), "critical_minerals"),
    (re.compile(r"(?i)MCS\d{4}_T5_Critical_Minerals_Salient\.csv"), "critical_salient"),
    (re.compile(r"(?i)MCS\d{4}_Fig2_Net_Import_Reliance\.csv"), "net_import_reliance"),
    (re.compile(r"(?i)MCS\d{4}_Fig3_Major_Import_Sources\.csv"), "import_sources"),
)


def _read_critical(path: Path, table: str, *, release: str, file: str) -> pd.DataFrame:
    if table == "critical_minerals":
        return read_critical_minerals(path, release=release, file=file)
    if table == "critical_salient":
        return read_critical_salient(path, release=release, file=file)
    if table == "net_import_reliance":
        return read_net_import_reliance(path, release=release, file=file)
    return read_import_sources(path, release=release, file=file)


# --------------------------------------------------------------------------- folders


def _read_files(
    paths: Sequence[Path], *, root: Path, release: str | None
) -> dict[str, pd.DataFrame]:
    parts: list[dict[str, pd.DataFrame]] = []
    worlds = 0
    for path in paths:
        try:
            file = path.relative_to(root).as_posix()
        except ValueError:
            file = path.name
        rel = release or _infer_release(path)
        if path.name.lower().endswith("_world.csv"):
            parts.append(read_usgs_world(path, release=rel, file=file))
            worlds += 1
            continue
        for pattern, table in _CRITICAL_READERS:
            if pattern.fullmatch(path.name):
                parts.append({table: _read_critical(path, table, release=rel, file=file)})
    if not worlds:
        raise DataError("no USGS world files (*_world.csv) found", file=root)
    out = _concat(parts)
    for table in ("critical_minerals", "critical_salient", "net_import_reliance", "import_sources"):
        out.setdefault(table, _empty(table))
    return out


def read_usgs_mcs_dir(path: Path, *, release: str | None = None) -> dict[str, pd.DataFrame]:
    """Read a folder (or one file) of USGS MCS CSVs in USGS's own format.

    World files are found recursively (``*_world.csv``); critical-minerals tables
    (``MCSYYYY_T4_…``, ``_T5_…``, ``_Fig2_…``, ``_Fig3_…``) are read when present.

    Parameters
    ----------
    path
        Folder of a data release, or a single world file.
    release
        Edition such as ``"MCS2025"``; inferred from each file name
        (``mcs2025-coppe_world.csv``) when not given.

    Returns
    -------
    dict of str to pandas.DataFrame
        Tables ``production``, ``reserves``, ``capacity``, ``aggregates``,
        ``checks``, ``critical_minerals``, ``critical_salient``,
        ``net_import_reliance``, ``import_sources``. ``file`` is relative to
        ``path``.

    Raises
    ------
    DataError
        If no world file is found, a release cannot be inferred, or any file is
        malformed (nothing is returned then).
    """
    if path.is_file():
        return _read_files([path], root=path.parent, release=release)
    if not path.is_dir():
        raise DataError("no such file or folder", file=path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    return _read_files(files, root=path, release=release)


def read_usgs_mcs_bundled() -> dict[str, pd.DataFrame]:
    """Read every bundled USGS MCS world file (2022-2024 editions) and critical table.

    Returns
    -------
    dict of str to pandas.DataFrame
        As :func:`read_usgs_mcs_dir`; ``file`` is relative to the bundled data
        folder (``usgs_mcs2024/world/mcs2024-raree_world.csv``).
    """
    root = bundled_path()
    files: list[Path] = []
    for release, folder in BUNDLED.items():
        found = sorted(bundled_path(*folder).glob("*_world.csv"))
        files += found
        if not found:
            raise DataError(f"no bundled world files for {release}", file=bundled_path(*folder))
    for folder in BUNDLED_CRITICAL:
        files += sorted(bundled_path(*folder).glob("*.csv"))
    return _read_files(files, root=root, release=None)
