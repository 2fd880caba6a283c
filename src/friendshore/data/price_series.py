"""Price series: the concordance ``concordances/price_series.csv`` and unit normalisation.

Every row of the store's ``prices`` table keeps its price as published (``value``,
``unit``) and, where the unit is a mass price, the same price in US dollars per
metric tonne of its ``basis`` (``usd_per_t``)::

    usd_per_t = value × USD_PER_T[unit] × factor

``USD_PER_T`` (USGS unit suffixes) and ``PINK_SHEET_UNITS`` (the Pink Sheet's
units row) give the unit's tonnes; ``factor`` comes from the concordance row of
the series and corrects what the published unit does not say (tungsten's
``dt`` is US$ per metric ton unit of WO3; manganese's per mtu of Mn content; a
column labelled ``df`` or ``dlb`` that holds dollars per kilogram). A unit
neither table knows raises :class:`DataError` naming file, line and column.

USGS salient price cells become price rows with :func:`prices_from_salient`;
the Pink Sheet is read by :mod:`friendshore.data.readers.pinksheet`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.catalog import read_minerals
from friendshore.data.resources import concordance_path
from friendshore.data.schema import columns, conform

#: USGS price units (salient column suffixes) → tonnes factor: US$ per t = value × factor.
#: ``None``: not a mass price (an index, US$ per carat, million dollars).
USD_PER_T: Final[dict[str, float | None]] = {
    "dt": 1.0,  # US$ per metric ton
    "dst": 1.102311,  # US$ per short ton (907.18474 kg)
    "dlb": 2204.6226,  # US$ per pound
    "ctslb": 22.046226,  # US cents per pound
    "dkg": 1000.0,  # US$ per kilogram
    "dg": 1e6,  # US$ per gram
    "dto": 32150.747,  # US$ per troy ounce (31.1034768 g)
    "df": 1 / 0.034473,  # US$ per flask of mercury (76 lb = 34.473 kg)
    "dct": None,  # US$ per carat
    "index": None,
    "mdol": None,  # million US$
}

#: Pink Sheet units (the sheet's units row, without the parentheses) → tonnes factor.
#: ``$/dmtu``: the World Bank's iron ore column; its Description sheet says the spot
#: price (from 2006) is in US dollars per dry ton, the earlier annual contract price
#: in US cents per dry metric ton unit: the concordance's ``valid_from`` keeps only
#: the spot months.
PINK_SHEET_UNITS: Final[dict[str, float | None]] = {
    "$/mt": 1.0,
    "$/t": 1.0,
    "$/dmt": 1.0,
    "$/dmtu": 1.0,
    "$/kg": 1000.0,
    "$/troy oz": 32150.747,
    "$/toz": 32150.747,
}

#: Columns of ``concordances/price_series.csv``.
CONCORDANCE_COLUMNS: Final = (
    "source",
    "key",
    "form",
    "unit",
    "release",
    "use",
    "series",
    "mineral_id",
    "stage",
    "product",
    "market",
    "basis",
    "factor",
    "valid_from",
    "note",
)
_STAGES: Final = frozenset({"mining", "processing", "components"})
_VALID_FROM = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2}))?")

SOURCE_USGS: Final = "USGS MCS"
SOURCE_WB: Final = "World Bank Pink Sheet"


@dataclass(frozen=True)
class SeriesRule:
    """One row of ``price_series.csv``: how a published column becomes a price series."""

    line: int
    source: str
    key: str
    form: str
    unit: str
    release: str
    use: bool
    series: str
    mineral_id: str | None
    stage: str | None
    product: str
    market: str | None
    basis: str | None
    factor: float
    valid_from: tuple[int, int] | None
    note: str | None

    @property
    def specificity(self) -> int:
        """How many optional match fields the rule names (the most specific rule wins)."""
        return 2 * bool(self.release) + bool(self.unit)


@cache
def read_price_series() -> tuple[SeriesRule, ...]:
    """Read and check ``concordances/price_series.csv``.

    Returns
    -------
    tuple of SeriesRule
        One rule per row, in file order.

    Raises
    ------
    DataError
        If the header differs, a source, stage, use flag, factor or date is not
        valid, a mineral is not in the catalog, or two rows match the same
        column (file, line, field).
    """
    path = concordance_path("price_series.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(frame.columns) != CONCORDANCE_COLUMNS:
        raise DataError(f"columns must be {list(CONCORDANCE_COLUMNS)}", file=path.name, line=1)
    minerals = set(read_minerals()["mineral_id"])
    rules: list[SeriesRule] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, row in enumerate(frame.to_dict("records"), start=2):

        def bad(message: str, field: str, *, at: int = line) -> DataError:
            return DataError(message, file=path.name, line=at, field=field)

        if row["source"] not in ("usgs", "wb"):
            raise bad("source must be usgs or wb", "source")
        if row["use"] not in ("yes", "no"):
            raise bad("use must be yes or no", "use")
        use = row["use"] == "yes"
        if use and not row["series"]:
            raise bad("a series that is used needs an id", "series")
        if row["mineral_id"] and row["mineral_id"] not in minerals:
            raise bad(f"unknown mineral {row['mineral_id']!r}", "mineral_id")
        if row["stage"] and row["stage"] not in _STAGES:
            raise bad(f"stage must be one of {sorted(_STAGES)}", "stage")
        if row["unit"] and row["source"] == "usgs" and row["unit"] not in USD_PER_T:
            raise bad(f"unknown unit {row['unit']!r}", "unit")
        try:
            factor = float(row["factor"]) if row["factor"] else 1.0
        except ValueError:
            raise bad(f"not a number: {row['factor']!r}", "factor") from None
        valid_from: tuple[int, int] | None = None
        if row["valid_from"]:
            m = _VALID_FROM.fullmatch(row["valid_from"])
            if m is None:
                raise bad("valid_from must be YYYY or YYYY-MM", "valid_from")
            valid_from = (int(m["year"]), int(m["month"] or 1))
        match_key = (row["source"], row["key"].lower(), row["form"], row["unit"], row["release"])
        if match_key in seen:
            raise bad(f"repeats the match of line {seen[match_key]}", "form")
        seen[match_key] = line
        rules.append(
            SeriesRule(
                line=line,
                source=row["source"],
                key=row["key"],
                form=row["form"],
                unit=row["unit"],
                release=row["release"],
                use=use,
                series=row["series"],
                mineral_id=row["mineral_id"] or None,
                stage=row["stage"] or None,
                product=row["product"],
                market=row["market"] or None,
                basis=row["basis"] or None,
                factor=factor,
                valid_from=valid_from,
                note=row["note"] or None,
            )
        )
    return tuple(rules)


def usgs_rule(key: str, form: str, unit: str, release: str) -> SeriesRule | None:
    """Return the concordance rule of a USGS salient price column, or ``None`` if none names it.

    The most specific rule wins: one naming the release and unit over one naming
    the unit only, over one naming neither.
    """
    best: SeriesRule | None = None
    for rule in read_price_series():
        if rule.source != "usgs" or rule.key != key or rule.form != form:
            continue
        if (rule.unit and rule.unit != unit) or (rule.release and rule.release != release):
            continue
        if best is None or rule.specificity > best.specificity:
            best = rule
    return best


def wb_rules() -> dict[str, SeriesRule]:
    """Return the Pink Sheet series the concordance keeps, by upper-case series code."""
    return {r.key.upper(): r for r in read_price_series() if r.source == "wb" and r.use}


def _note(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def prices_from_salient(salient: pd.DataFrame) -> pd.DataFrame:
    """Turn the ``salient`` rows of component ``price`` into rows of the ``prices`` table.

    Every edition is kept (the query functions pick the newest per series and
    year). Cells without a number (withheld, missing, a range) are left out.
    Columns the concordance names get its series id, mineral, stage, product,
    market and basis; the others keep the salient mineral and the published
    form as product (series ``usgs:<key>:<form>:<unit>``); a rule with
    ``use = no`` drops its column (the same price in a second unit).

    Raises
    ------
    DataError
        If a price column's unit is not one of :data:`USD_PER_T` (names the
        salient file, line and column).
    """
    rows: list[dict[str, object]] = []
    prices = salient[(salient["component"] == "price") & salient["quantity"].notna()]
    for rec in prices.to_dict("records"):
        unit = str(rec["unit"]) if pd.notna(rec["unit"]) else ""
        if unit not in USD_PER_T:
            raise DataError(
                f"unknown price unit {unit!r} (known: {', '.join(USD_PER_T)})",
                file=str(rec["file"]),
                line=int(rec["line"]),
                field=f"{rec['field']} (column {int(rec['column'])})",
            )
        form = str(rec["form"]) if pd.notna(rec["form"]) else ""
        key = str(rec["usgs_key"])
        rule = usgs_rule(key, form, unit, str(rec["release"]))
        if rule is not None and not rule.use:
            continue
        tonnes = USD_PER_T[unit]
        value = float(rec["quantity"])
        factor = rule.factor if rule is not None else 1.0
        salient_note = str(rec["note"]) if pd.notna(rec["note"]) else None
        rows.append(
            {
                "series": rule.series if rule else f"usgs:{key}:{form or '-'}:{unit}",
                "source": SOURCE_USGS,
                "release": rec["release"],
                "mineral_id": rule.mineral_id
                if rule
                else (rec["mineral_id"] if pd.notna(rec["mineral_id"]) else None),
                "stage": rule.stage if rule else None,
                "product": rule.product if rule else (form or str(rec["commodity"])),
                "market": rule.market if rule else None,
                "frequency": "annual",
                "year": int(rec["year"]),
                "month": None,
                "value": value,
                "unit": unit,
                "usd_per_t": None if tonnes is None else value * tonnes * factor,
                "basis": rule.basis if rule else None,
                "status": rec["status"],
                "note": _note(rule.note if rule else None, salient_note),
                "file": rec["file"],
                "line": int(rec["line"]),
                "column": int(rec["column"]),
            }
        )
    return typed_prices(rows)


def typed_prices(records: list[dict[str, object]]) -> pd.DataFrame:
    """Return ``records`` as a frame of the ``prices`` table with the schema's dtypes."""
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in columns("prices")])
    for c in columns("prices"):
        if c.type in ("INTEGER", "BIGINT"):
            frame[c.name] = frame[c.name].astype("Int64")
        elif c.type == "DOUBLE":
            frame[c.name] = frame[c.name].astype("float64")
        else:
            frame[c.name] = frame[c.name].astype(object)
    return conform("prices", frame)
