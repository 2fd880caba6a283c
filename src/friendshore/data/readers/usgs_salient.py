"""Read USGS Mineral Commodity Summaries *salient statistics* into the ``salient`` table.

Each MCS edition publishes one CSV per commodity (``mcsYYYY-<key>_salient.csv``)
with the U.S. statistics of the last five years: production (primary,
secondary), imports and exports by form, consumption, stocks, government
shipments, prices, employment and net import reliance. The columns are
``DataSource, Commodity, Year`` followed by value columns named
``<Component>[_<form>]_<unit>`` (``USprod_Primary_kt``, ``Imports_Scrap_t``,
``Consump_Apparent_t``, ``Price_Spot_dlb``, ``NIR_pct``), in some files with a
series prefix (``Bauxite_Imports_kt``, ``Stones_NIR_pct``).

The reader turns every cell into one row of a long table: ``component`` from the
name's prefix, ``form`` from its middle, ``unit`` from its suffix, the number in
that unit (``quantity``), in tonnes where the unit is a mass (``quantity_t``),
and the cell as written (``text``) with its ``status`` and ``bound``.

Cleaning rules (each exercised by the bundled files):

- UTF-8 with or without a byte-order mark; trailing empty columns and blank rows
  are ignored; ``Commodity`` and ``Year`` are required.
- Header drift: a column name that the grammar does not read, or reads wrongly
  (``CASE STATEMENT ERRORkt``, ``NIR_ct``, ``Imports_Metalkg``, ``Employment_um``),
  is read through ``concordances/salient_headers.csv`` (published name → component,
  form, unit, with the reason). Any other name that does not parse, or whose unit
  suffix is unknown (``Imports_zz``), raises :class:`DataError` naming file, line 1
  and the column.
- Files with the layout of a *world* file (``Source, Country, Type, Prod_…``; the
  MCS2024 cobalt, gypsum and kyanite files are world files under the salient name)
  are skipped; the skip is a ``checks`` row (:data:`CHECK_SKIPPED`) with the reason.
- Cells: thousands separators; ``W`` → ``withheld``; ``NA`` and words such as
  "Small" → ``missing``; ``E`` (net import reliance only) → ``net exporter``;
  ``—`` → ``zero``; ``>50``/``<1,000`` keep the number and set ``bound`` (never 0);
  "Less than ½ unit" → 0.5 with bound ``<``; "Less than 50,000 tons" → the number
  in the column's unit with bound ``<``; a leading ``e`` (``e150``) marks an
  estimate; the Unicode minus is a minus; ranges (``500–14,000``) → ``range``
  with a NULL quantity. Any other text raises :class:`DataError` with file, line
  and column. The edition's last year is an estimate (``estimated``).

Overlapping years of the three editions are all kept; the store's
``salient_latest`` view keeps the newest edition per commodity and year.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError, InputError
from friendshore.data.catalog import minerals_for_usgs_key
from friendshore.data.resources import bundled_path, concordance_path
from friendshore.data.schema import columns, conform

SOURCE: Final = "USGS MCS"
#: Bundled editions and where their salient files are (a folder or the released zip).
BUNDLED: Final[dict[str, tuple[str, ...]]] = {
    "MCS2023": ("usgs_mcs2023", "salient"),
    "MCS2024": ("usgs_mcs2024", "salient"),
    "MCS2025": ("usgs_mcs2025", "Salient_Commodity.zip"),
}
#: Check name of a file skipped because it is not a salient-statistics file.
CHECK_SKIPPED: Final = "usgs_salient_file_skipped"

#: Components of the U.S. balance and the other published columns.
COMPONENTS: Final = (
    "production_primary",
    "production_secondary",
    "imports",
    "exports",
    "consumption_apparent",
    "consumption_reported",
    "stocks",
    "shipments",
    "net_import_reliance",
    "price",
    "employment",
    "other",
)

#: Unit suffix of a column name → (unit stored, tonnes per unit or None).
UNITS: Final[dict[str, tuple[str, float | None]]] = {
    "g": ("g", 1e-6),
    "kg": ("kg", 1e-3),
    "t": ("t", 1.0),
    "kt": ("kt", 1e3),
    "mt": ("Mt", 1e6),
    "mmt": ("Mt", 1e6),
    "mct": ("mct", None),  # million carats
    "mcm": ("mcm", None),  # million cubic metres
    "msqft": ("msqft", None),  # million square feet
    "mdol": ("mdol", None),  # million US dollars
    "num": ("num", None),  # a count (employees)
    "pct": ("pct", None),  # percent
    "dt": ("dt", None),  # US dollars per metric ton
    "dst": ("dst", None),  # US dollars per short ton
    "dlb": ("dlb", None),  # US dollars per pound
    "ctslb": ("ctslb", None),  # US cents per pound
    "dkg": ("dkg", None),  # US dollars per kilogram
    "dg": ("dg", None),  # US dollars per gram
    "dto": ("dto", None),  # US dollars per troy ounce
    "dtoz": ("dto", None),
    "dct": ("dct", None),  # US dollars per carat
    "df": ("df", None),  # US dollars per flask (76 pounds, mercury)
    "index": ("index", None),  # a price index
}
#: Units a column of each kind of component may carry (others: any unit).
_PRICE_UNITS: Final = frozenset(
    {"dt", "dst", "dlb", "ctslb", "dkg", "dg", "dto", "dct", "df", "index", "mdol"}
)
_QUANTITY_UNITS: Final = frozenset({"g", "kg", "t", "kt", "Mt", "mct", "mcm", "msqft", "mdol"})
_UNITS_OF: Final[dict[str, frozenset[str]]] = {
    "price": _PRICE_UNITS,
    "net_import_reliance": frozenset({"pct"}),
    "employment": frozenset({"num"}),
    **{
        c: _QUANTITY_UNITS
        for c in (
            "production",
            "imports",
            "exports",
            "consumption",
            "stocks",
            "shipments",
        )
    },
}
#: Tonnes per unit of the mass units (``quantity_t = quantity × factor``).
TONNES: Final[dict[str, float]] = {u: f for u, f in UNITS.values() if f is not None}

#: Component prefix of a column name (lower case) → component (production is split
#: into primary and secondary by the form, consumption into apparent and reported).
_PREFIXES: Final[dict[str, str]] = {
    "usprod": "production",
    "production": "production",
    "prod": "production",
    "imports": "imports",
    "exports": "exports",
    "consump": "consumption",
    "consumption": "consumption",
    "stocks": "stocks",
    "nir": "net_import_reliance",
    "price": "price",
    "employment": "employment",
    "shipments": "shipments",
    "sold": "other",
    "sales": "other",
    "supply": "other",
    "recycled": "other",
    "extracted": "other",
    "withdrawn": "other",
    "products": "other",
    "furnace": "other",
    "continuous": "other",
}
_SECONDARY = re.compile(r"(?i)secondary|scrap|post-consumer|recycl")
_REPORTED = re.compile(r"(?i)report|rprtd|\brpt\b")
_KEY = re.compile(r"(?i)^mcs(?P<edition>\d{4})-?(?P<key>[a-z-]+?)_salient\.csv$")
_RELEASE = re.compile(r"MCS(\d{4})")
#: File keys that differ from the catalog's USGS key.
KEY_ALIASES: Final[dict[str, str]] = {
    "alum": "alumi",
    "lithium": "lithi",
    "quartz": "quart",
    "rareee": "raree",
    "scandi": "scand",
    "stonc": "stonec",
    "thalli": "thall",
    "zirco-hafni": "zirco",
}
_NUMBER = re.compile(
    r"(?P<e>e)?\s*(?P<bound>[<>])?\s*(?P<num>-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
    r"|-?\.[0-9]+)"
)
_ZERO: Final = frozenset({"—", "–", "--"})
_LESS_THAN_HALF = re.compile(r"(?i)less than (?:½|1/2|0\.5|a half|one-half) unit\.?")
_LESS_THAN = re.compile(r"(?i)less than (?P<num>[0-9][0-9,]*)\s*(?P<what>tons|carats)\.?")
_RANGE = re.compile(
    r"(?P<low>[0-9][0-9,]*(?:\.[0-9]+)?)\s*[–-]\s*(?P<high>[0-9][0-9,]*(?:\.[0-9]+)?)"
)
_MISSING_TEXT = re.compile(r"(?i)na|n/a|small|variable, depending on type of product")
#: Quantities named in words in a cell, in tonnes (``tons``) or carats.
_WORD_UNITS: Final[dict[str, tuple[str, float]]] = {"tons": ("t", 1.0), "carats": ("ct", 1.0)}
_CARATS: Final[dict[str, float]] = {"mct": 1e6}


@dataclass(frozen=True)
class SalientColumn:
    """How one published column name is read."""

    index: int
    field: str
    component: str
    form: str
    unit: str
    note: str | None = None


@dataclass(frozen=True)
class _Override:
    release: str
    usgs_key: str
    column: int | None
    component: str
    form: str
    unit: str
    note: str


@cache
def _overrides() -> dict[str, list[_Override]]:
    """Header repairs from ``concordances/salient_headers.csv``, by published name."""
    path = concordance_path("salient_headers.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = ["release", "usgs_key", "column", "published", "component", "form", "unit", "note"]
    if list(frame.columns) != expected:
        raise DataError(f"columns must be {expected}", file=path.name, line=1)
    out: dict[str, list[_Override]] = {}
    for i, row in enumerate(frame.to_dict("records"), start=2):
        unit = row["unit"]
        if row["component"] not in COMPONENTS or (unit and unit.lower() not in UNITS):
            raise DataError(
                f"unknown component {row['component']!r} or unit {unit!r}",
                file=path.name,
                line=i,
            )
        out.setdefault(row["published"], []).append(
            _Override(
                row["release"],
                row["usgs_key"],
                int(row["column"]) if row["column"] else None,
                row["component"],
                row["form"],
                UNITS[unit.lower()][0] if unit else "",
                row["note"],
            )
        )
    return out


def _override(name: str, *, release: str, key: str, index: int) -> _Override | None:
    for rule in _overrides().get(name, []):
        if rule.release and rule.release != release:
            continue
        if rule.usgs_key and rule.usgs_key != key:
            continue
        if rule.column is not None and rule.column != index + 1:
            continue
        return rule
    return None


def parse_salient_header(
    name: str,
    *,
    index: int = 0,
    release: str = "",
    usgs_key: str = "",
    file: str | Path | None = None,
) -> SalientColumn:
    """Read one published column name into component, form and unit.

    Parameters
    ----------
    name
        The column name as published (``USprod_Secondary-old_kt``).
    index
        0-based position of the column (for the error message and overrides).
    release, usgs_key
        Edition and commodity key, to apply the repairs of ``salient_headers.csv``.
    file
        The file, for the error message.

    Returns
    -------
    SalientColumn
        ``component`` (one of :data:`COMPONENTS`), ``form`` (the middle of the
        name, ``''`` if none) and ``unit`` (e.g. ``kt``, ``pct``, ``dlb``).

    Raises
    ------
    DataError
        If the name does not parse or its unit suffix is unknown (line 1, the column).

    Examples
    --------
    >>> c = parse_salient_header("USprod_Secondary-old_kt")
    >>> (c.component, c.form, c.unit)
    ('production_secondary', 'Secondary-old', 'kt')
    >>> parse_salient_header("Bauxite_Imports_kt").form
    'Bauxite'
    """
    field = re.sub(r"\s+", " ", name).strip()
    where = f"{field} (column {index + 1})"
    rule = _override(field, release=release, key=usgs_key, index=index)
    if rule is not None:
        return SalientColumn(index, field, rule.component, rule.form, rule.unit, rule.note)
    tokens = field.split("_")
    start = next(
        (i for i, tok in enumerate(tokens[:2]) if tok.lower() in _PREFIXES),
        None,
    )
    if start is None or len(tokens) < start + 2:
        raise DataError(
            "column name does not parse as <Component>[_<form>]_<unit> (components: "
            "USprod, Imports, Exports, Consump, Stocks, NIR, Price, Employment, Shipments, …); "
            "add a repair to concordances/salient_headers.csv if the publisher changed it",
            file=file,
            line=1,
            field=where,
        )
    suffix = tokens[-1]
    if suffix.lower() not in UNITS:
        raise DataError(
            f"unknown unit suffix {suffix!r} (known: {', '.join(sorted(UNITS))})",
            file=file,
            line=1,
            field=where,
        )
    unit = UNITS[suffix.lower()][0]
    form = "_".join(tokens[:start] + tokens[start + 1 : -1])
    kind = _PREFIXES[tokens[start].lower()]
    allowed = _UNITS_OF.get(kind)
    if allowed is not None and unit not in allowed:
        raise DataError(
            f"unit {suffix!r} does not fit a {kind.replace('_', ' ')} column "
            f"(expected one of {', '.join(sorted(allowed))}); add a repair to "
            "concordances/salient_headers.csv if the publisher mislabelled it",
            file=file,
            line=1,
            field=where,
        )
    if kind == "production":
        component = "production_secondary" if _SECONDARY.search(form) else "production_primary"
    elif kind == "consumption":
        component = "consumption_reported" if _REPORTED.search(form) else "consumption_apparent"
    else:
        component = kind
    return SalientColumn(index, field, component, form, unit)


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class SalientValue:
    """One cleaned salient cell: number in the column's unit, status and bound."""

    quantity: float | None
    status: str
    bound: str | None = None


def parse_salient_value(
    text: str,
    *,
    unit: str,
    component: str,
    estimated: bool = False,
    file: str | Path | None = None,
    line: int | None = None,
    field: str | None = None,
) -> SalientValue:
    """Parse one salient cell (``"1,234"``, ``"W"``, ``">50"``, ``"E"``, ``"NA"``…).

    ``estimated`` gives the status of a plain number (the edition's last year).

    Raises
    ------
    DataError
        If the cell is text USGS does not use for a value (names file, line, column).

    Examples
    --------
    >>> parse_salient_value(">50", unit="pct", component="net_import_reliance")
    SalientValue(quantity=50.0, status='reported', bound='>')
    >>> parse_salient_value("W", unit="t", component="imports")
    SalientValue(quantity=None, status='withheld', bound=None)
    """
    s = re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip().replace("−", "-")
    plain = "estimated" if estimated else "reported"
    if s == "":
        return SalientValue(None, "missing")
    if s.upper() == "W":
        return SalientValue(None, "withheld")
    if s.upper() == "E":
        if component != "net_import_reliance":
            raise DataError(
                "'E' (net exporter) in a column that is not net import reliance",
                file=file,
                line=line,
                field=field,
            )
        return SalientValue(None, "net exporter")
    if _MISSING_TEXT.fullmatch(s):
        return SalientValue(None, "missing")
    if s in _ZERO:
        return SalientValue(0.0, "zero")
    m = _NUMBER.fullmatch(s)
    if m:
        bound = m["bound"]
        status = "estimated" if m["e"] else plain
        return SalientValue(float(m["num"].replace(",", "")), status, bound)
    if _LESS_THAN_HALF.fullmatch(s):
        return SalientValue(0.5, plain, "<")
    m = _LESS_THAN.fullmatch(s)
    if m:
        number = float(m["num"].replace(",", ""))
        what = m["what"].lower()
        if what == "tons" and unit in TONNES:
            return SalientValue(number / TONNES[unit], plain, "<")
        if what == "carats" and unit in _CARATS:
            return SalientValue(number / _CARATS[unit], plain, "<")
        raise DataError(
            f"{s!r}: a quantity in {what} in a column in {unit}", file=file, line=line, field=field
        )
    if _RANGE.fullmatch(s):
        return SalientValue(None, "range")
    raise DataError(
        f"not a number nor a USGS code (W, NA, E, >50, Less than ½ unit): {s!r}",
        file=file,
        line=line,
        field=field,
    )


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class _Member:
    """One salient CSV: its display name, file name and bytes."""

    file: str
    name: str
    data: bytes


def _decode(member: _Member) -> str:
    try:
        return member.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = member.data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not UTF-8 (byte {member.data[exc.start]:#04x}); save the file as UTF-8",
            file=member.file,
            line=line,
        ) from None


def _rows(member: _Member) -> list[tuple[int, list[str]]]:
    text = _decode(member)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc})", file=member.file, line=start) from None
    if not out:
        raise DataError("empty file", file=member.file, line=1)
    return out


def _usgs_key(name: str, file: str) -> str:
    m = _KEY.fullmatch(name)
    if m is None:
        raise DataError(
            "cannot tell the commodity from the file name (expected mcsYYYY-<key>_salient.csv)",
            file=file,
        )
    key = m["key"].lower()
    return KEY_ALIASES.get(key, key)


def _infer_release(name: str, file: str) -> str:
    m = _KEY.fullmatch(name)
    if m is None:
        raise DataError(
            "cannot tell the MCS edition from the file name; pass release (e.g. MCS2025)",
            file=file,
        )
    return f"MCS{m['edition']}"


def _mineral_id(key: str) -> str | None:
    found = minerals_for_usgs_key(key)
    return found[0] if len(found) == 1 else None


def _is_world_layout(header: Sequence[str]) -> bool:
    names = {h.strip().lower() for h in header}
    return "country" in names and "year" not in names


def read_salient_file(
    member: _Member, *, release: str | None = None
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Read one salient CSV into ``salient`` rows and ``checks`` rows (skips)."""
    rel = release or _infer_release(member.name, member.file)
    m = _RELEASE.fullmatch(rel)
    if m is None:
        raise InputError(f"release {rel!r} is not of the form MCS2025")
    edition = int(m[1])
    key = _usgs_key(member.name, member.file)
    rows = _rows(member)
    header = [h for h in rows[0][1]]
    while header and not header[-1].strip():
        header.pop()
    # An unnamed column after the last name is read only through a repair.
    width = max((len(row) for _, row in rows[1:]), default=0)
    while len(header) < width and _override("", release=rel, key=key, index=len(header)):
        header.append("")
    if _is_world_layout(header):
        return [], [
            {
                "check_name": CHECK_SKIPPED,
                "source": SOURCE,
                "release": rel,
                "subject": member.file,
                "expected": None,
                "actual": None,
                "status": "skipped",
                "detail": "the file has the layout of a world file (Country, Type, Prod_…), "
                "not salient statistics: USGS published the wrong file under this name",
            }
        ]
    lower = [h.strip().lower() for h in header]
    for required in ("commodity", "year"):
        if required not in lower:
            raise DataError(
                f"missing column {required.capitalize()!r} (header drift?)",
                file=member.file,
                line=1,
                field=required.capitalize(),
            )
    i_com, i_year = lower.index("commodity"), lower.index("year")
    skip = {i_com, i_year} | {i for i, h in enumerate(lower) if h in ("datasource", "source")}
    cols: list[SalientColumn] = []
    for i, name in enumerate(header):
        if i in skip:
            continue
        if not name.strip() and _override("", release=rel, key=key, index=i) is None:
            raise DataError(
                "a column without a name between named columns",
                file=member.file,
                line=1,
                field=f"column {i + 1}",
            )
        cols.append(
            parse_salient_header(name, index=i, release=rel, usgs_key=key, file=member.file)
        )
    data = [(line, row) for line, row in rows[1:] if any(c.strip() for c in row)]
    years: list[int] = []
    for line, row in data:
        text = row[i_year].strip() if i_year < len(row) else ""
        if not re.fullmatch(r"(19|20)\d{2}", text):
            raise DataError(
                f"not a year: {text!r}",
                file=member.file,
                line=line,
                field=f"Year (column {i_year + 1})",
            )
        years.append(int(text))
    last = max(years, default=0)
    mineral = _mineral_id(key)
    out: list[dict[str, object]] = []
    for (line, row), year in zip(data, years, strict=True):
        used = max((i + 1 for i, c in enumerate(row) if c.strip()), default=0)
        if used > len(header):
            raise DataError(
                f"{used} fields but the header names {len(header)} columns",
                file=member.file,
                line=line,
                field=f"column {used}",
            )
        commodity = re.sub(r"\s+", " ", row[i_com]).strip()
        for col in cols:
            text = row[col.index] if col.index < len(row) else ""
            where = f"{col.field} (column {col.index + 1})"
            value = parse_salient_value(
                text,
                unit=col.unit,
                component=col.component,
                estimated=year == last and year == edition - 1,
                file=member.file,
                line=line,
                field=where,
            )
            factor = TONNES.get(col.unit)
            out.append(
                {
                    "usgs_key": key,
                    "mineral_id": mineral,
                    "commodity": commodity,
                    "year": year,
                    "field": col.field,
                    "component": col.component,
                    "form": col.form or None,
                    "unit": col.unit or None,
                    "quantity": value.quantity,
                    "quantity_t": None
                    if value.quantity is None or factor is None
                    else value.quantity * factor,
                    "text": re.sub(r"\s+", " ", text).strip() or None,
                    "status": value.status,
                    "bound": value.bound,
                    "note": col.note or None,
                    "source": SOURCE,
                    "release": rel,
                    "file": member.file,
                    "line": line,
                    "column": col.index + 1,
                }
            )
    return out, []


def _typed(table: str, records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in columns(table)])
    for c in columns(table):
        if c.type in ("INTEGER", "BIGINT"):
            frame[c.name] = frame[c.name].astype("Int64")
        elif c.type == "DOUBLE":
            frame[c.name] = frame[c.name].astype("float64")
        else:
            frame[c.name] = frame[c.name].astype(object)
    return conform(table, frame)


def _members_of(path: Path, *, root: Path) -> Iterable[_Member]:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    name = Path(info.filename).name
                    if name.lower().endswith("_salient.csv"):
                        yield _Member(f"{rel}:{info.filename}", name, archive.read(info))
        except zipfile.BadZipFile as exc:
            raise DataError(f"not a zip archive ({exc})", file=rel) from None
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=rel) from None
    yield _Member(rel, path.name, data)


def _read(paths: Sequence[Path], *, root: Path, release: str | None) -> dict[str, pd.DataFrame]:
    rows: list[dict[str, object]] = []
    checks: list[dict[str, object]] = []
    files = 0
    for path in paths:
        for member in _members_of(path, root=root):
            got, skipped = read_salient_file(member, release=release)
            rows += got
            checks += skipped
            files += bool(got)
    if not files:
        raise DataError("no USGS salient statistics files (*_salient.csv) found", file=root)
    return {"salient": _typed("salient", rows), "checks": _typed("checks", checks)}


def read_salient_dir(path: Path, *, release: str | None = None) -> dict[str, pd.DataFrame]:
    """Read a folder, a zip or one file of USGS salient statistics CSVs.

    Parameters
    ----------
    path
        A folder (searched recursively for ``*_salient.csv`` and ``*.zip``), a
        zip as USGS releases it (``Salient_Commodity.zip``) or one CSV.
    release
        Edition such as ``"MCS2025"``; inferred from each file name when not given.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``salient`` (one row per commodity × year × published column) and
        ``checks`` (files skipped, with the reason).

    Raises
    ------
    DataError
        If any file is malformed (file, line, column), or none is a salient file;
        nothing is returned then.
    """
    if path.is_file():
        return _read([path], root=path.parent, release=release)
    if not path.is_dir():
        raise DataError("no such file or folder", file=path)
    found = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and (p.name.lower().endswith("_salient.csv") or p.suffix.lower() == ".zip")
    )
    return _read(found, root=path, release=release)


def read_salient_bundled() -> dict[str, pd.DataFrame]:
    """Read the bundled salient statistics of MCS 2023, 2024 and 2025.

    ``file`` is relative to the bundled data folder
    (``usgs_mcs2025/Salient_Commodity.zip:mcs2025-alumi_salient.csv``).
    """
    root = bundled_path()
    paths: list[Path] = []
    for release, parts in BUNDLED.items():
        where = bundled_path(*parts)
        found = [where] if where.suffix == ".zip" else sorted(where.glob("*_salient.csv"))
        if not found or not found[0].exists():
            raise DataError(f"no bundled salient files for {release}", file=where)
        paths += found
    return _read(paths, root=root, release=None)


#: Columns of ``concordances/salient_balance.csv``.
BALANCE_COLUMNS: Final = (
    "usgs_key",
    "series",
    "mineral_id",
    "fig2_commodity",
    "production",
    "imports",
    "exports",
    "stocks",
    "consumption",
    "nir",
    "reason",
)


@cache
def read_balance_concordance() -> pd.DataFrame:
    """Read ``concordances/salient_balance.csv``: which published columns make up
    the U.S. balance of each commodity (see the concordances README).

    Returns
    -------
    pandas.DataFrame
        One row per USGS file key and series with the columns of
        :data:`BALANCE_COLUMNS` (text, ``''`` for an empty cell).

    Raises
    ------
    DataError
        If the header differs or a key and series repeat.
    """
    path = concordance_path("salient_balance.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(frame.columns) != BALANCE_COLUMNS:
        raise DataError(f"columns must be {list(BALANCE_COLUMNS)}", file=path.name, line=1)
    dup = frame.duplicated(["usgs_key", "series"])
    if dup.any():
        line = int(dup.to_numpy().nonzero()[0][0]) + 2
        raise DataError("usgs_key and series repeat", file=path.name, line=line, field="series")
    return frame
