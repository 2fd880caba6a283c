"""Read the USGS MCS 2025 data release: one long world file and the critical-minerals tables.

From MCS2025 on, USGS publishes every commodity's world production, capacity and
reserves in **one** CSV (``MCS2025_World_Data.csv`` inside ``World_Data.zip``)
with the columns ``SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_2023,
PROD_EST_ 2024`` (with a space), ``PROD_NOTES, CAP_2023, CAP_EST_ 2024,
CAP_NOTES, RESERVES_2024, RESERVE_NOTES``. This module maps each commodity's
rows onto the per-commodity layout of the 2022–2024 files
(``Source, Country, Type, Prod_<unit>_2023, Prod_<unit>_est_2024, …``) and reads
them with the same code (:mod:`friendshore.data.readers.usgs_mcs`): the same
country resolution, ``W``/``NA``/bound handling, products, stages, unit checks
and world-total checks. What is new in 2025:

- The commodity comes from ``COMMODITY`` (misspellings such as "Gemanium" and
  trailing spaces included: :data:`COMMODITY_KEYS`), the unit from ``UNIT_MEAS``
  ("thousand metric dry tons" → kt; an empty cell takes the commodity's unit).
- A value cell left empty whose notes cell holds the value code moves the code
  into the cell: ``W for 23-24`` → both production years withheld (the 2022–2024
  files wrote ``W`` in the cells), ``NA``/``na`` → missing, ``na for 2023`` →
  2023 missing, ``XX`` → not applicable, "Less than 1/2 unit", and reserves notes
  such as "Large" or "Included with Other countries" → missing with that note.
- "estimated 2023" / "estimated for 2023" in the production notes marks the 2023
  figure as a USGS estimate (the 2024 column is an estimate by definition).
- Where the file's unit is contradicted by the release itself, the unit of
  :data:`UNIT_FIXES` is used and a ``checks`` row (``usgs_unit_from_note``,
  ``mismatch``) records it; a reserves note "(Reserve data is thousand metric
  tons)." sets the reserves unit of the whole commodity.
- Magnesium metal's ``RESERVES_2024`` column repeats its 2024 capacity ("Moved to
  capacity column not a reserve"): those cells are not read as reserves, and a
  ``checks`` row says so.
- For world and "other countries" rows the product named in the label
  ("World total (ilmenite and rutile, rounded)") wins over the TYPE text, which
  2025 copies from the ilmenite rows.

Production years are 2023 (reported) and 2024 (estimated), reserves 2024; the
release is ``MCS2025``. The store's ``*_latest`` views let this edition win for
2023 over MCS2024 (:mod:`friendshore.data.store`).
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.readers import usgs_mcs
from friendshore.data.readers.usgs_mcs import (
    PRODUCTS,
    SOURCE,
    Readable,
    _check,
    _concat,
    _empty,
    _frames,
    _read_table,
    _Record,
    _Table,
    _typed,
    _world_records,
    read_critical_minerals,
    read_critical_salient,
    read_net_import_reliance,
)
from friendshore.data.resources import bundled_path

__all__ = [
    "BUNDLED_RELEASE",
    "COMMODITY_KEYS",
    "SOURCE",
    "UNIT_FIXES",
    "commodity_key",
    "read_mcs2025_critical",
    "read_mcs2025_world",
    "read_usgs_mcs2025_bundled",
]

BUNDLED_RELEASE: Final = "MCS2025"
#: Bundled zips (as released by USGS) and the members read from them.
WORLD_ZIP: Final = ("usgs_mcs2025", "World_Data.zip")
WORLD_MEMBER: Final = "MCS2025_World_Data.csv"
TRENDS_ZIP: Final = ("usgs_mcs2025", "Industry_Trends.zip")
#: Critical-minerals tables read from ``Industry_Trends.zip`` and their store tables.
CRITICAL_MEMBERS: Final[dict[str, str]] = {
    "MCS2025_T4_Critical_Minerals_End_Use.csv": "critical_minerals",
    "MCS2025_T5_Critical_Minerals_Salient.csv": "critical_salient",
    "MCS2025_Fig2_Net_Import_Reliance.csv": "net_import_reliance",
}

#: ``COMMODITY`` as written in the 2025 file (case-folded, spaces collapsed) →
#: the USGS commodity key of the 2022–2024 file names (``mcs2024-<key>_world.csv``).
COMMODITY_KEYS: Final[dict[str, str]] = {
    "abrasives": "abras",
    "aluminum": "alumi",
    "antimony": "antim",
    "arsenic": "arsen",
    "asbestos": "asbes",
    "barite": "barit",
    "bauxite": "bauxi",
    "beryllium": "beryl",
    "bismuth": "bismu",
    "boron": "boron",
    "bromine": "bromi",
    "cadmium": "cadmi",
    "cement": "cemen",
    "chromium": "chrom",
    "clays": "clays",
    "cobalt": "cobal",
    "copper": "coppe",
    "diamond (industrial)": "diamo",
    "diatomite": "diato",
    "feldspar": "felds",
    "fluorspar": "fluor",
    "gallium": "galli",
    "garnet (industrial)": "garne",
    "gemanium": "germa",  # sic
    "germanium": "germa",
    "gemstones": "gemst",
    "gold": "gold",
    "graphite": "graph",
    "gypsum": "gypsu",
    "helium": "heliu",
    "indium": "indiu",
    "iodine": "iodin",
    "iron ore": "feore",
    "iron and steel": "feste",
    "iron oxide pigments": "fepig",
    "kyanite and related minerals": "kyani",
    "lead": "lead",
    "lime": "lime",
    "lithium": "lithi",
    "magnesium compounds": "mgcomp",
    "magnesium metal": "mgmet",
    "manganese": "manga",
    "mercury": "mercu",
    "mica (natural)": "mica",
    "molybdenum": "molyb",
    "nickel": "nicke",
    "niobium": "niobi",
    "nitrogen(fixed) - ammonia": "nitro",
    "peat": "peat",
    "perlite": "perli",
    "phosphate rock": "phosp",
    "platinum-group metals": "plati",
    "potash": "potas",
    "pumice & pumicite": "pumic",
    "rare earths": "raree",
    "rhenium": "rheni",
    "salt": "salt",
    "sand and gravel (industrial)": "sandi",
    "selenium": "selen",
    "silicon": "simet",
    "silver": "silve",
    "soda ash": "sodaa",
    "stone (dimension)": "stond",
    "strontium": "stron",
    "sulfur": "sulfu",
    "talc and pyrophyllite": "talc",
    "talc, crude": "talc",
    "tantalum": "tanta",
    "tellurium": "tellu",
    "tin": "tin",
    "titanium & titanium dioxide": "titan",
    "titanium mineral concentrates": "timin",
    "tungsten": "tungs",
    "vanadium": "vanad",
    "vermiculite": "vermi",
    "wollastonite": "wolla",
    "zeolites (natural)": "zeoli",
    "zinc": "zinc",
    "zirconium and hafnium": "zirco",
}

#: ``UNIT_MEAS`` text → unit token of a 2022–2024 column name (:data:`usgs_mcs.UNITS`).
UNIT_TOKENS: Final[dict[str, str]] = {
    "kilograms": "kg",
    "metric tons": "t",
    "thousand metric tons": "kt",
    "thousand metric dry tons": "kt",
    "million metric tons": "mt",
    "thousand carats": "kct",
    "million carats": "mct",
    "million cubic meters": "mcm",
}

#: Units the 2025 file states wrongly, per commodity key and measure:
#: (unit token to use, why). Each is confirmed by the edition's own figures.
UNIT_FIXES: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("sandi", "production"): (
        "kt",
        "UNIT_MEAS says metric tons, but the figures are thousand metric tons (United States "
        "133,000 in 2023 = 133 Mt; MCS2024 Prod_kt_*; world total 446,000)",
    ),
    ("timin", "production"): (
        "kt",
        "UNIT_MEAS says metric tons, but the figures are thousand metric tons of TiO2 "
        "(world total 9,400 in 2024; MCS2025 Titanium Mineral Concentrates chapter and "
        "MCS2024 Prod_kt_* agree)",
    ),
    ("timin", "reserves"): (
        "kt",
        "UNIT_MEAS says metric tons, but reserves are thousand metric tons of TiO2 "
        "(world 560,000 = 560 Mt; MCS2024 Reserves_kt)",
    ),
}

#: Commodities whose RESERVES column holds something that is not reserves.
NOT_RESERVES: Final[dict[str, str]] = {
    "mgmet": "RESERVES_2024 repeats the 2024 smelter capacity (the U.S. row notes "
    "'Moved to capacity column not a reserve'); magnesium metal has no reserves",
}

#: Commodities that stack a second block of rows holding only reserves of another
#: product (TYPE "Reserves, recoverable ore"): column qualifiers of the reserves of
#: the stacked rows and of the production rows, as in the 2024 file's
#: ``Reserves_ore_kt`` and ``Reserves_ore_K2O_equiv_kt``.
STACKED_RESERVES: Final[dict[str, tuple[str, str]]] = {"potas": ("ore", "ore_K2O_equiv")}

#: Misspellings in the 2025 TYPE column, corrected before products and stages are
#: read from it ("Mine poduction, Kaolin", "Plant production, Ferosilicon").
TYPE_TYPOS: Final[dict[str, str]] = {
    "ilmentite": "ilmenite",
    "ferosilicon": "ferrosilicon",
    "poduction": "production",
    "grosss": "gross",
}

#: Product named by a world / other-countries label, tried before the TYPE text.
_LABEL_PRODUCT = re.compile(r"\(([^()]*)\)")
_HEADER = re.compile(r"(?P<measure>PROD|CAP|RESERVES?)_(?P<est>EST_)?(?P<year>\d{4})")
_NOTES_HEADER = re.compile(r"(?P<measure>PROD|CAP|RESERVES?)_NOTES?")
_W_FOR = re.compile(r"(?i)w\s+for\s+(?P<a>\d{2})\s*-\s*(?P<b>\d{2})")
_NA_FOR = re.compile(r"(?i)(?P<code>na|w)\s+for\s+(?P<year>\d{4})")
_ESTIMATED_FOR = re.compile(r"(?i)^estimated\s+(?:for\s+)?(?P<year>\d{4})\.?$")
_RESERVE_UNIT = re.compile(
    r"(?i)reserve data is (?P<unit>thousand metric tons|million metric tons|metric tons)"
)
#: Notes cells that stand for the value of an empty cell.
_CELL_CODES = re.compile(
    r"(?i)(?:w|na|xx|less than 1/2 unit|less than ½ unit|large|small|very small|moderate"
    r"|moderate to large|included (?:with|in) .+)\.?"
)
_MEASURES: Final = {"PROD": "production", "CAP": "capacity", "RESERVE": "reserves"}
_COLUMN_PREFIX: Final = {"production": "Prod", "capacity": "Cap", "reserves": "Reserves"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def commodity_key(commodity: str, *, file: str, line: int) -> str:
    """The USGS commodity key of a ``COMMODITY`` cell ("Gemanium " → ``germa``).

    Raises
    ------
    DataError
        If the commodity is not one USGS publishes in MCS (names file, line, field).
    """
    key = COMMODITY_KEYS.get(_norm(commodity).casefold())
    if key is None:
        raise DataError(
            f"unknown commodity {commodity.strip()!r}: add it to COMMODITY_KEYS",
            file=file,
            line=line,
            field="COMMODITY",
        )
    return key


class _Columns:
    """Positions of the 2025 columns, found by name (spaces inside names ignored)."""

    def __init__(self, table: _Table) -> None:
        names = [re.sub(r"\s+", "", h).upper() for h in table.header]
        self.values: list[tuple[int, str, int, bool]] = []  # index, measure, year, est
        self.notes: dict[str, int] = {}
        fixed: dict[str, int] = {}
        for i, name in enumerate(names):
            m = _HEADER.fullmatch(name)
            n = _NOTES_HEADER.fullmatch(name)
            if m:
                measure = _MEASURES[m["measure"].rstrip("S")]
                self.values.append((i, measure, int(m["year"]), bool(m["est"])))
            elif n:
                self.notes[_MEASURES[n["measure"].rstrip("S")]] = i
            elif name:
                fixed[name] = i
        for needed in ("SOURCE", "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"):
            if needed not in fixed:
                raise DataError(
                    f"missing column {needed!r} (the MCS2025 world file has SOURCE, "
                    "COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_*, CAP_*, RESERVES_*)",
                    file=table.file,
                    line=1,
                    field=needed,
                )
        if not any(v[1] == "production" for v in self.values):
            raise DataError(
                "no production columns (PROD_<year>)", file=table.file, line=1, field="PROD_"
            )
        self.commodity = fixed["COMMODITY"]
        self.country = fixed["COUNTRY"]
        self.type = fixed["TYPE"]
        self.unit = fixed["UNIT_MEAS"]


def _unit_token(text: str, *, file: str, line: int) -> str | None:
    clean = _norm(text).casefold()
    if not clean:
        return None
    token = UNIT_TOKENS.get(clean)
    if token is None:
        raise DataError(
            f"unknown unit {text.strip()!r} (expected one of {', '.join(UNIT_TOKENS)})",
            file=file,
            line=line,
            field="UNIT_MEAS",
        )
    return token


def _commodity_unit(rows: list[tuple[int, list[str]]], cols: _Columns, file: str) -> str:
    units = {
        line: u
        for line, row in rows
        if (u := _unit_token(row[cols.unit], file=file, line=line)) is not None
    }
    distinct = sorted(set(units.values()))
    if len(distinct) != 1:
        line = next(iter(units), rows[0][0])
        raise DataError(
            f"the commodity's rows give {len(distinct)} units ({', '.join(distinct) or 'none'})",
            file=file,
            line=line,
            field="UNIT_MEAS",
        )
    return distinct[0]


def _cells_from_notes(
    row: list[str], cols: _Columns, edition: int
) -> tuple[dict[int, str], set[int]]:
    """Value cells filled from the notes (``W for 23-24`` …) and the estimated 2023 columns."""
    filled: dict[int, str] = {}
    estimated: set[int] = set()
    for measure, at in cols.notes.items():
        note = _norm(row[at])
        if not note:
            continue
        mine = [(i, y) for i, m, y, _ in cols.values if m == measure]
        w_for = _W_FOR.fullmatch(note)
        one_year = _NA_FOR.fullmatch(note)
        est = _ESTIMATED_FOR.fullmatch(note)
        if w_for:
            years = {2000 + int(w_for["a"]), 2000 + int(w_for["b"])}
            filled.update({i: "W" for i, y in mine if y in years and not row[i].strip()})
        elif one_year:
            code = one_year["code"].upper()
            year = int(one_year["year"])
            filled.update({i: code for i, y in mine if y == year and not row[i].strip()})
        elif est and measure == "production":
            estimated |= {i for i, y in mine if y == int(est["year"]) and y < edition - 1}
        elif _CELL_CODES.fullmatch(note) and measure != "capacity":
            # Capacity notes say "NA" on rows of commodities without capacity data.
            filled.update({i: note for i, _ in mine if not row[i].strip()})
    return filled, estimated


def _to_table(
    name: str,
    key: str,
    rows: list[tuple[int, list[str]]],
    cols: _Columns,
    *,
    edition: int,
) -> tuple[_Table, list[str]]:
    """The commodity's rows in the 2022–2024 layout, and the unit notes for ``checks``."""
    unit = _commodity_unit(rows, cols, name)
    units: dict[str, str] = {m: unit for m in ("production", "capacity", "reserves")}
    fixes: list[str] = []
    for measure, stated_unit in list(units.items()):
        fix = UNIT_FIXES.get((key, measure))
        if fix is not None and fix[0] != stated_unit:
            fixes.append(
                f"{measure}: read as {usgs_mcs.UNITS[fix[0]]}, file says "
                f"{usgs_mcs.UNITS[stated_unit]}: {fix[1]}"
            )
            units[measure] = fix[0]
    at = cols.notes.get("reserves")
    stated = {
        m["unit"].lower()
        for _, row in rows
        if at is not None and (m := _RESERVE_UNIT.search(row[at]))
    }
    if len(stated) == 1:
        token = UNIT_TOKENS[stated.pop()]
        if token != units["reserves"]:
            fixes.append(
                f"reserves: read as {usgs_mcs.UNITS[token]} for every row, as the notes say "
                f"('Reserve data is …'); UNIT_MEAS says {usgs_mcs.UNITS[units['reserves']]}"
            )
            units["reserves"] = token
    skip_reserves = key in NOT_RESERVES
    stacked = STACKED_RESERVES.get(key)
    header = ["Source", "Country", "Type"]
    # Source cell, then (column index, which rows: None = all, True = reserves-only rows).
    picks: list[tuple[int, bool | None] | None] = [None, (cols.country, None), (cols.type, None)]
    for measure in ("production", "capacity", "reserves"):
        if measure == "reserves" and skip_reserves:
            continue
        for i, column_measure, year, est in cols.values:
            if column_measure != measure:
                continue
            variants: list[tuple[str | None, bool | None]] = [(None, None)]
            if measure == "reserves" and stacked is not None:
                variants = [(stacked[0], True), (stacked[1], False)]
            for qualifier, which in variants:
                parts = [_COLUMN_PREFIX[measure], *([qualifier] if qualifier else [])]
                parts.append(units[measure])
                parts += (["est"] if est else []) + [str(year)]
                header.append("_".join(parts))
                picks.append((i, which))
        if measure in cols.notes:
            header.append(f"{_COLUMN_PREFIX[measure]}_notes")
            picks.append((cols.notes[measure], None))
    out_rows: list[tuple[int, list[str]]] = []
    for line, row in rows:
        filled, estimated = _cells_from_notes(row, cols, edition)
        reserves_row = bool(re.match(r"(?i)\s*reserves\b", row[cols.type]))
        cells: list[str] = []
        for pos, pick in enumerate(picks):
            if pick is None:
                cells.append(f"MCS{edition}")
                continue
            i, which = pick
            if which is not None and which != reserves_row:
                cells.append("")
                continue
            cell = filled.get(i, row[i])
            if i in estimated and cell.strip() and not cell.strip().lower().startswith("e"):
                cell = "e" + cell.strip()
            if pos == 2:
                for wrong, right in TYPE_TYPOS.items():
                    cell = re.sub(rf"(?i)\b{wrong}\b", right, cell)
                cell = _type_with_label_product(key, row[cols.country], cell)
            cells.append(cell)
        out_rows.append((line, cells))
    return _Table(name, header, out_rows), fixes


def _type_with_label_product(key: str, label: str, type_text: str) -> str:
    """The TYPE text, led by the product an aggregate's label names, if any."""
    rules = PRODUCTS.get(key, ())
    if not rules or not re.match(r"(?i)\s*(world total|other countries)", label):
        return type_text
    for qualifier in _LABEL_PRODUCT.findall(label):
        if any(re.search(p, qualifier.lower()) for p, _ in rules):
            return f"{qualifier}: {type_text}"
    return type_text


def _in_file_terms(exc: DataError, sub: _Table, table: _Table, cols: _Columns) -> DataError:
    """The error with the file's own column name ("PROD_EST_ 2024"), not the mapped one."""
    field = exc.field
    if field is None or field not in sub.header:
        return exc
    prefix = field.split("_", 1)[0]
    if field == "Country":
        field = table.header[cols.country]
    elif field == "Type":
        field = table.header[cols.type]
    elif prefix in ("Prod", "Cap", "Reserves"):
        measure = {"Prod": "production", "Cap": "capacity", "Reserves": "reserves"}[prefix]
        if field.endswith("_notes"):
            field = table.header[cols.notes[measure]]
        else:
            year, est = int(field.rsplit("_", 1)[1]), "_est_" in field
            field = next(
                table.header[i] for i, m, y, e in cols.values if (m, y, e) == (measure, year, est)
            )
    return type(exc)(exc.message, file=exc.file, line=exc.line, field=field)


def read_mcs2025_world(
    path: Readable, *, release: str = BUNDLED_RELEASE, file: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the MCS2025 one-file world data into ``production``, ``reserves``,
    ``capacity``, ``aggregates`` and ``checks``.

    Parameters
    ----------
    path
        ``MCS2025_World_Data.csv``, on disk or as a member of ``World_Data.zip``
        (:class:`zipfile.Path`).
    release
        The edition, ``"MCS2025"`` unless a later release keeps this layout.
    file
        Name recorded in the ``file`` column and in error messages.

    Returns
    -------
    dict of str to pandas.DataFrame
        Frames conforming to the store tables, as
        :func:`friendshore.data.readers.usgs_mcs.read_usgs_world` returns for one
        commodity; quantities in the source unit and in tonnes (``quantity_t``).

    Raises
    ------
    DataError
        On a malformed file, an unknown commodity or unit (file, line, field).
    UnknownCountryError
        If a country label resolves to nothing.

    Notes
    -----
    Production 2023 is ``reported`` (``estimated`` where the notes say so),
    2024 ``estimated``; reserves refer to 2024. See the module docstring for the
    2025 layout's quirks and how each is handled.
    """
    name = file if file is not None else str(path)
    edition = usgs_mcs._edition(release)
    table = _read_table(path, name)
    cols = _Columns(table)
    groups: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for line, row in table.rows:
        groups[commodity_key(row[cols.commodity], file=name, line=line)].append((line, row))
    records: list[_Record] = []
    unit_checks: list[dict[str, object]] = []
    for key, rows in groups.items():
        sub, fixes = _to_table(name, key, rows, cols, edition=edition)
        try:
            records += _world_records(sub, key=key, edition=edition)
        except DataError as exc:
            raise _in_file_terms(exc, sub, table, cols) from None
        subject = f"{key} ({_norm(rows[0][1][cols.commodity])}), {name}"
        unit_checks += [
            _check(
                release,
                subject,
                expected=None,
                actual=None,
                status="mismatch",
                detail=fix,
                name=usgs_mcs.CHECK_UNIT_FROM_NOTE,
            )
            for fix in fixes
        ]
        if key in NOT_RESERVES:
            unit_checks.append(
                _check(
                    release,
                    subject,
                    expected=None,
                    actual=None,
                    status="mismatch",
                    detail=f"reserves not read: {NOT_RESERVES[key]}",
                    name=usgs_mcs.CHECK_UNIT_FROM_NOTE,
                )
            )
    out = _frames(records, release=release, file=name)
    extra = _typed("checks", unit_checks)
    out["checks"] = _concat([{"checks": out["checks"]}, {"checks": extra}])["checks"]
    return out


def read_mcs2025_critical(
    trends: Readable, *, release: str = BUNDLED_RELEASE, root: str = ""
) -> dict[str, pd.DataFrame]:
    """Read T4 (end uses), T5 (salient statistics) and Fig. 2 (U.S. net import
    reliance, share 0–1, 2024) from ``Industry_Trends.zip`` (or a folder of the CSVs).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``critical_minerals``, ``critical_salient`` and ``net_import_reliance``
        with ``release`` set; see the readers in
        :mod:`friendshore.data.readers.usgs_mcs`.
    """
    out: dict[str, pd.DataFrame] = {}
    for member, table in CRITICAL_MEMBERS.items():
        path: Readable = (
            zipfile.Path(str(trends), at=member)
            if isinstance(trends, Path) and zipfile.is_zipfile(trends)
            else trends / member
        )
        name = f"{root}{member}"
        if not path.exists():
            raise DataError("missing table in the MCS2025 release", file=name)
        if table == "critical_minerals":
            out[table] = read_critical_minerals(path, release=release, file=name)
        elif table == "critical_salient":
            out[table] = read_critical_salient(path, release=release, file=name)
        else:
            out[table] = read_net_import_reliance(path, release=release, file=name)
    return out


def read_usgs_mcs2025_bundled() -> dict[str, pd.DataFrame]:
    """Read the bundled MCS2025 release (world data and critical-minerals tables).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``production``, ``reserves``, ``capacity``, ``aggregates``, ``checks``,
        ``critical_minerals``, ``critical_salient``, ``net_import_reliance``;
        ``file`` is ``usgs_mcs2025/World_Data.zip/MCS2025_World_Data.csv``.
    """
    world_zip = bundled_path(*WORLD_ZIP)
    trends_zip = bundled_path(*TRENDS_ZIP)
    world = read_mcs2025_world(
        zipfile.Path(str(world_zip), at=WORLD_MEMBER),
        file="/".join((*WORLD_ZIP, WORLD_MEMBER)),
    )
    critical = read_mcs2025_critical(trends_zip, root="/".join(TRENDS_ZIP) + "/")
    out = {**world, **critical}
    out.setdefault("import_sources", _empty("import_sources"))
    return out
