"""The U.S. balance from USGS's salient statistics, beside USGS's published net import reliance.

:func:`us_balance` rebuilds, for every commodity of the USGS Mineral Commodity
Summaries salient statistics and every year, the U.S. balance from its published
components and computes net import reliance from them; the published figure is
shown beside it, never copied into it. :func:`compare_published_nir` compares
the computed figures with the table of MCS Fig. 2. :func:`us_production_bounds`
bounds withheld (``W``) U.S. cells from other USGS tables (the world production
tables, MCS Table 5); :func:`us_balance` takes them as an optional input.

Columns of :func:`us_balance` (one row per ``usgs_key`` × ``series`` × ``year``):

``usgs_key, series, mineral_id, commodity, fig2_commodity, year, release, unit``
    what the row is: USGS file key, the product of a file that holds several
    (``''`` otherwise), catalog mineral (NULL if none), commodity as written,
    its label in Fig. 2 (NULL if none), year, edition read, unit of every
    quantity column (``t`` where the components are masses, else the published
    unit such as ``mct`` or ``mdol``);
``production_primary, production_secondary, imports, exports, stock_change``
    the components (NULL where not published or withheld; ``stock_change`` is
    the change of the published stocks from the previous year, NULL where no
    stocks enter the balance);
``apparent_consumption, apparent_consumption_source``
    published where given (``'published'``; ``'published reported'`` where
    USGS's figure is over reported consumption, e.g. iodine), else production
    + imports − exports − stock increase (``'computed'``); ``'positive, not
    published'`` where only its sign is known (scandium);
``net_import_reliance, net_import_reliance_min, net_import_reliance_max``
    computed from the components, a fraction; the point value is NULL unless
    the interval is a point (a withheld component or a bound such as
    ``<100,000`` widens it);
``nir_method``
    ``'net imports / apparent consumption'`` or ``'1 - production / apparent
    consumption'`` (the second where the concordance lists no trade columns);
``nir_published, nir_published_text, nir_published_bound``
    the salient file's own figure (fraction, as written, ``'>'``/``'<'``);
``difference_pp, agreement, reason``
    computed − published in percentage points; ``'within 5 pp'`` (the whole
    computed interval within 5 pp of the published point), ``'inside published
    bound'`` (the whole interval inside a bound such as ``>50``: computed
    minimum ≥ 50%), ``'overlaps published bound'`` / ``'overlaps published
    figure'`` (the interval reaches the bound or point but is not inside it:
    not agreement), ``'differs'`` (wholly outside) or ``'not comparable'``;
    why, from the data and the concordance;
``bound_source``
    the tables that bounded a withheld cell (:func:`us_production_bounds`),
    NULL where none did.

Notes
-----
USGS's definitions (MCS, Appendix): net import reliance = (imports − exports ±
adjustments for government and industry stock changes) / apparent consumption;
apparent consumption = U.S. primary + secondary (old scrap) production + imports
− exports ± stock changes. Which published columns are production, trade and
consumption of each commodity is data: ``concordances/salient_balance.csv``
(aluminium counts primary production and old scrap, not new scrap:
1 − (750 + 1,560) / 4,150 = 44% in 2023; iodine's figure is over reported
consumption and magnesium's apparent consumption counts old scrap only, as the
MCS 2025 salient metadata define them; a column that only bounds a component,
such as magnesium's secondary production of new and old scrap, is marked ``<``).

Bounds of withheld cells (:func:`us_production_bounds`): a U.S. row ``W`` in a
world production table lies below world total − listed countries − "Other
countries" (plus the total's rounding) only where the total includes the
United States; USGS's totals leave a withheld U.S. figure out (it would be
disclosed by subtraction) and say so in a note or in Table 5, so in MCS 2024
and 2025 this bounds none of the Fig. 2 misses. Table 5 gives U.S. production
and apparent consumption of the critical minerals of the year before its
edition; it withholds what the salient files withhold, except scandium, whose
zero production (no salient production column) gives 1 − 0 / consumption.
Reported consumption is not used as a bound of apparent consumption: USGS does
not define one as a bound of the other.

New output a planner adds (``friendshore invest``'s "after" network) enters as
rows of component :data:`ADDED_PRODUCTION` (t; ``form`` = the series): it adds
to production and, demand held fixed, is taken off net imports (imports first,
then exports), so apparent consumption is unchanged and net import reliance
falls.

Speed: the rows are grouped once per file and year into plain records; each
concordance cell then picks its columns from a dozen records (about 0.07 s for
the bundled 6,614 rows, ``benchmarks/bench_assess.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from friendshore.data.readers.usgs_salient import read_balance_concordance

__all__ = [
    "ADDED_PRODUCTION",
    "AGREEMENT_TOLERANCE_PP",
    "BOUND_COLUMNS",
    "US_BALANCE_COLUMNS",
    "compare_published_nir",
    "us_balance",
    "us_production_bounds",
]

#: Largest difference, in percentage points, that counts as agreement.
AGREEMENT_TOLERANCE_PP = 5.0

US_BALANCE_COLUMNS = (
    "usgs_key",
    "series",
    "mineral_id",
    "commodity",
    "fig2_commodity",
    "year",
    "release",
    "unit",
    "production_primary",
    "production_secondary",
    "imports",
    "exports",
    "stock_change",
    "apparent_consumption",
    "apparent_consumption_source",
    "net_import_reliance",
    "net_import_reliance_min",
    "net_import_reliance_max",
    "nir_method",
    "nir_published",
    "nir_published_text",
    "nir_published_bound",
    "difference_pp",
    "agreement",
    "reason",
    "bound_source",
)

#: Agreement labels that count as agreeing with the published figure.
_AGREE = ("within 5 pp", "inside published bound")

_MASS = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "kt": 1e3, "Mt": 1e6}
_ROLE_COMPONENTS = {
    "production": ("production_primary", "production_secondary"),
    "production_primary": ("production_primary",),
    "production_secondary": ("production_secondary",),
    "imports": ("imports",),
    "exports": ("exports",),
    "stocks": ("stocks",),
    "consumption": ("consumption_apparent",),
    "nir": ("net_import_reliance",),
}
_INF = math.inf
#: The lower end of a quantity known only to be positive (``>0`` in the concordance).
_POSITIVE = math.ulp(0.0)


@dataclass(frozen=True)
class _Interval:
    """A quantity known to lie in ``[lo, hi]``; ``notes`` say why it is not a point."""

    lo: float
    hi: float
    unit: str
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __add__(self, other: _Interval) -> _Interval:
        return _Interval(
            self.lo + other.lo,
            self.hi + other.hi,
            self.unit,
            self.notes + other.notes,
            self.sources + other.sources,
        )

    def __sub__(self, other: _Interval) -> _Interval:
        return _Interval(
            self.lo - other.hi,
            self.hi - other.lo,
            self.unit,
            self.notes + other.notes,
            self.sources + other.sources,
        )

    @property
    def point(self) -> float | None:
        return self.lo if self.lo == self.hi else None


@dataclass(frozen=True)
class _Unknown:
    """A component that is not published (``NA``) or not read: no bound at all."""

    why: str


_Value = _Interval | _Unknown | None
#: One published cell: a row of the ``salient`` table as a plain record, with ``_form``
#: (its form, casefolded, ``''`` where none) added once by :func:`us_balance`.
_Row = Mapping[str, Any]
#: Component of a row that a planner adds to the salient table: new U.S. output (t) of the
#: series its ``form`` names (``friendshore invest``'s "after" network), see :func:`us_balance`.
ADDED_PRODUCTION = "production_added"
#: The columns of the ``salient`` table that :func:`us_balance` reads.
_ROW_COLUMNS = (
    "usgs_key",
    "year",
    "mineral_id",
    "commodity",
    "release",
    "field",
    "component",
    "form",
    "unit",
    "quantity",
    "text",
    "status",
    "bound",
)
#: Bounds of withheld cells of one series and year: component -> (low, high, source), t.
_Bounds = dict[str, tuple[float, float, str]]


def _cell(
    row: _Row, role: str, bounds: _Bounds | None = None, *, upper_only: bool = False
) -> _Interval | _Unknown:
    """One published cell as an interval in tonnes (mass units) or its own unit.

    A withheld cell is ``[0, ∞)`` unless ``bounds`` has a bound for its
    component (:func:`us_production_bounds`); ``upper_only`` reads the cell as an
    upper bound of the quantity (``<`` in the concordance).
    """
    unit = str(row["unit"]) if isinstance(row["unit"], str) else ""
    factor = _MASS.get(unit, 1.0)
    base = "t" if unit in _MASS else unit
    status = row["status"]
    q = row["quantity"]
    label = f"{role} {row['field']}"
    if status == "withheld":
        bound = (bounds or {}).get(str(row["component"]))
        if bound is not None and base == "t":
            lo, hi, source = bound
            note = f"{label} withheld (W), bounded by {source}"
            return _Interval(lo, hi, base, (note,), (source,))
        return _Interval(0.0, _INF, base, (f"{label} withheld (W)",))
    if status in ("missing", "range") or q is None or (isinstance(q, float) and math.isnan(q)):
        return _Unknown(f"{label} not available ({row['text'] or 'empty'})")
    value = float(q) * factor
    if upper_only:
        return _Interval(0.0, value, base, (f"{label} ({row['text']}) is an upper bound",))
    if row["bound"] == "<":
        return _Interval(0.0, value, base, (f"{label} published as a bound ({row['text']})",))
    if row["bound"] == ">":
        return _Interval(value, _INF, base, (f"{label} published as a bound ({row['text']})",))
    return _Interval(value, value, base)


def _tokens(spec: str) -> list[list[str]]:
    return [[t.strip() for t in alt.split("+")] for alt in spec.split("|") if alt.strip()]


def _match(rows: list[_Row], token: str, role: str) -> list[_Row]:
    """The cells of ``rows`` a concordance token names (component and form), in order."""
    components = _ROLE_COMPONENTS[role]
    token = token.removeprefix("<").strip()
    if ":" in token:
        comp, token = token.split(":", 1)
        explicit = comp.strip()
        if role == "production_secondary" and explicit != "production_secondary":
            return []
        components = (explicit,)
        token = token.strip()
    if token == "*":
        return [r for r in rows if r["component"] in components]
    wanted = "" if token == "()" else token.casefold()
    return [r for r in rows if r["component"] in components and r["_form"] == wanted]


def _role(rows: list[_Row], spec: str, role: str, bounds: _Bounds | None = None) -> _Value:
    """Sum the columns a concordance cell names; ``None`` where the role is not used."""
    if not spec.strip():
        return None
    alternatives = _tokens(spec)
    for alt in alternatives:
        parts: list[tuple[list[_Row], bool]] = []
        zero = False
        for token in alt:
            if token == "0":
                zero = True
                continue
            if token == ">0":
                # published as positive only (USGS lists U.S. end uses), value unknown
                return _Interval(_POSITIVE, _INF, "", (f"{role} positive, not published",))
            found = _match(rows, token, role)
            if not found:
                break
            parts.append((found, token.startswith("<")))
        else:
            total: _Value = _Interval(0.0, 0.0, "") if zero or parts else None
            for found, upper_only in parts:
                for row in found:
                    value = _cell(row, role, bounds, upper_only=upper_only)
                    if isinstance(value, _Unknown):
                        return value
                    assert isinstance(total, _Interval)
                    if total.unit and value.unit != total.unit:
                        return _Unknown(f"{role}: units {total.unit} and {value.unit} differ")
                    total = _Interval(
                        total.lo + value.lo,
                        total.hi + value.hi,
                        value.unit,
                        total.notes + value.notes,
                        total.sources + value.sources,
                    )
            return total
    return _Unknown(f"{role}: no column {spec!r} in the file")


def _divide(num: _Interval, den: _Interval) -> tuple[float, float]:
    """Bounds of ``num / den`` for a positive denominator."""
    if den.lo <= 0:
        return (-_INF if num.lo < 0 else 0.0, _INF)
    lo = num.lo / (den.hi if num.lo >= 0 else den.lo)
    hi = num.hi / (den.lo if num.hi >= 0 else den.hi)
    return lo, hi


def _share_of_total(net: _Interval, production: _Interval) -> tuple[float, float]:
    """Bounds of ``N / (P + N)`` (net imports over computed apparent consumption)."""

    def f(n: float, p: float) -> float:
        if n <= 0:
            return n / max(p + n, 1e-300) if p + n > 0 else -_INF
        return 0.0 if p == _INF else n / (p + n)

    return f(net.lo, production.hi), f(net.hi, production.lo)


def _nan(x: float | None) -> float:
    return math.nan if x is None or math.isinf(x) else x


def _published(rows: list[_Row], spec: str) -> _Row | None:
    """The published net import reliance cell of a series (``None`` where there is none)."""
    nir = [r for r in rows if r["component"] == "net_import_reliance"]
    if spec.strip():
        for alt in _tokens(spec):
            found = _match(rows, alt[0], "nir")
            if found:
                return found[0]
        return None
    if len(nir) == 1:
        return nir[0]
    bare = [r for r in nir if not isinstance(r["form"], str)]
    return bare[0] if len(bare) == 1 else None


def _agreement(lo: float, hi: float, pub: _Row | None) -> tuple[float, str, str]:
    """``(difference_pp, agreement, reason)`` of a computed interval and the published cell.

    Agreement is strict: the whole computed interval must lie inside the
    published bound (``>50``: computed minimum ≥ 50%), or within
    :data:`AGREEMENT_TOLERANCE_PP` of a published point. An interval that only
    overlaps is ``'overlaps published bound'`` (``'overlaps published figure'``
    for a point); one that lies wholly outside ``'differs'``.
    """
    if pub is None or pub["status"] in ("missing", "withheld", "range"):
        return math.nan, "not comparable", "no published figure"
    if math.isnan(lo) or math.isnan(hi):
        return math.nan, "not comparable", ""
    if pub["status"] == "net exporter":
        if hi <= 0:
            return math.nan, "inside published bound", ""
        return math.nan, "differs" if lo > 0 else "overlaps published bound", ""
    value = float(pub["quantity"]) / 100
    tol = AGREEMENT_TOLERANCE_PP / 100
    if pub["bound"] in (">", "<"):
        inside = lo >= value if pub["bound"] == ">" else hi <= value
        outside = hi <= value if pub["bound"] == ">" else lo >= value
        if inside:
            return math.nan, "inside published bound", ""
        return math.nan, "differs" if outside else "overlaps published bound", ""
    diff = (lo - value) * 100 if lo == hi else math.nan
    if abs(lo - value) <= tol + 1e-9 and abs(hi - value) <= tol + 1e-9:
        return diff, "within 5 pp", ""
    if lo <= value + tol + 1e-9 and hi >= value - tol - 1e-9:
        return diff, "overlaps published figure", ""
    return diff, "differs", ""


def _default_rows(salient: pd.DataFrame, listed: set[str]) -> pd.DataFrame:
    keys = sorted(set(salient["usgs_key"]) - listed)
    return pd.DataFrame(
        {
            "usgs_key": keys,
            "series": "",
            "mineral_id": "",
            "fig2_commodity": "",
            "production": "*",
            "imports": "",
            "exports": "",
            "stocks": "",
            "consumption": "()",
            "nir": "",
            "reason": "no concordance row: production is every production column, "
            "consumption the column without a form",
        }
    )


def us_balance(
    salient: pd.DataFrame,
    *,
    concordance: pd.DataFrame | None = None,
    production_bounds: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """U.S. balance and net import reliance (fraction) per commodity, series and year.

    Parameters
    ----------
    salient
        Rows of the ``salient`` table (:func:`friendshore.data.queries.read_salient`);
        where several editions give a year, the newest is used.
    concordance
        Which published columns make up the balance (the default is
        ``concordances/salient_balance.csv``); commodities without a row use every
        production column and the consumption column without a form.
    production_bounds
        Bounds of withheld (``W``) U.S. cells from other USGS tables
        (:func:`us_production_bounds`, columns :data:`BOUND_COLUMNS`), or
        ``None`` to read each withheld cell as ``[0, ∞)``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`US_BALANCE_COLUMNS` (see the module docstring).

    Notes
    -----
    With net imports ``N = imports − exports − stock increase`` and apparent
    consumption ``C`` (published, else production ``P`` + ``N``), net import
    reliance is ``N / C``; where the concordance lists no trade columns it is
    ``1 − P / C``. A withheld component lies in ``[0, ∞)`` and a bound such as
    ``<100,000`` in ``[0, 100,000]``; the result is then the interval of the
    formula over them; a bound of ``production_bounds`` narrows a withheld
    cell and is named in ``bound_source``. Where published apparent consumption
    is withheld or a bound, it is narrowed to ``P + N`` (its definition). A
    value above 1 (net imports above consumption, e.g. a
    stock build) is capped at 1, as USGS writes 100%. Source: USGS, Mineral
    Commodity Summaries, Appendix A (definitions).

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "usgs_key": "alumi", "mineral_id": "aluminum", "commodity": "Aluminum",
    ...     "year": 2023, "release": "MCS2025",
    ...     "field": ["USprod_Primary_kt", "USprod_Secondary-old_kt",
    ...               "USprod_Secondary-new_kt", "Consump_Apprnt_kt", "NIR_pct"],
    ...     "component": ["production_primary", "production_secondary",
    ...                   "production_secondary", "consumption_apparent",
    ...                   "net_import_reliance"],
    ...     "form": ["Primary", "Secondary-old", "Secondary-new", "Apprnt", None],
    ...     "unit": ["kt", "kt", "kt", "kt", "pct"],
    ...     "quantity": [750.0, 1560.0, 1870.0, 4150.0, 44.0],
    ...     "text": ["750", "1560", "1870", "4150", "44"],
    ...     "status": "reported", "bound": None})
    >>> out = us_balance(rows)
    >>> round(float(out["net_import_reliance"].iloc[0]), 3), out["agreement"].iloc[0]
    (0.443, 'within 5 pp')
    """
    if concordance is None:
        concordance = read_balance_concordance()
    if salient.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in US_BALANCE_COLUMNS})
    newest = salient.groupby(["usgs_key", "year"])["release"].transform("max")
    data = salient[salient["release"] == newest]
    rows_spec = pd.concat(
        [concordance, _default_rows(data, set(concordance["usgs_key"]))], ignore_index=True
    )
    # group once: file -> year -> its cells as plain records, in the table's order (a
    # concordance cell then picks its columns from a dozen records, not from a frame)
    by_key: dict[str, dict[int, list[_Row]]] = {}
    columns = [data[c].tolist() for c in _ROW_COLUMNS]
    for values in zip(*columns, strict=True):
        rec = dict(zip(_ROW_COLUMNS, values, strict=True))
        if not isinstance(rec["usgs_key"], str):
            continue
        form = rec["form"]
        rec["_form"] = form.casefold() if isinstance(form, str) else ""
        by_key.setdefault(rec["usgs_key"], {}).setdefault(int(rec["year"]), []).append(rec)
    bounds = _bounds_index(production_bounds)
    out: list[dict[str, object]] = []
    for record in rows_spec.to_dict("records"):
        spec = {str(k): str(v) for k, v in record.items()}
        key = spec["usgs_key"]
        if key not in by_key:
            continue
        years = by_key[key]
        stocks_prev: dict[int, _Value] = {
            year: _role(rows, spec["stocks"], "stocks") for year, rows in years.items()
        }
        for year in sorted(years):
            found = bounds.get((key, spec["series"], year), {})
            out.append(_balance_row(spec, year, years[year], stocks_prev, found))
    result = pd.DataFrame(out, columns=list(US_BALANCE_COLUMNS))
    return result.sort_values(["usgs_key", "series", "year"], ignore_index=True)


def _point(value: _Value) -> float:
    if isinstance(value, _Interval) and value.point is not None:
        return value.point
    return math.nan


def _bounds_index(frame: pd.DataFrame | None) -> dict[tuple[str, str, int], _Bounds]:
    """``{(usgs_key, series, year): {component: (low_t, high_t, source)}}``."""
    out: dict[tuple[str, str, int], _Bounds] = {}
    if frame is None or frame.empty:
        return out
    for rec in frame.to_dict("records"):
        key = (str(rec["usgs_key"]), str(rec["series"] or ""), int(rec["year"]))
        out.setdefault(key, {})[str(rec["component"])] = (
            float(rec["low_t"]),
            float(rec["high_t"]),
            f"{rec['bound_source']} ({rec['release']})",
        )
    return out


def _single_withheld(rows: list[_Row], bounds: _Bounds) -> _Bounds:
    """The bounds whose component has exactly one withheld cell (a bound of a sum is not
    a bound of each part)."""
    withheld = Counter(r["component"] for r in rows if r["status"] == "withheld")
    return {c: b for c, b in bounds.items() if withheld.get(c, 0) == 1}


def _balance_row(
    spec: dict[str, str],
    year: int,
    rows: list[_Row],
    stocks: dict[int, _Value],
    bounds: _Bounds | None = None,
) -> dict[str, object]:
    bounds = _single_withheld(rows, bounds) if bounds else {}
    production = _role(rows, spec["production"], "production", bounds)
    imports = _role(rows, spec["imports"], "imports")
    exports = _role(rows, spec["exports"], "exports")
    consumption = _role(rows, spec["consumption"], "consumption", bounds)
    stock_now, stock_before = stocks.get(year), stocks.get(year - 1)
    stock_change: _Value = None
    if isinstance(stock_now, _Interval) and isinstance(stock_before, _Interval):
        stock_change = stock_now - stock_before
    elif spec["stocks"].strip():
        stock_change = _Unknown("stocks of the year or the year before not published")
    notes: list[str] = []
    net: _Value = None
    if imports is not None:
        net = imports
        for part in (exports, stock_change):
            if isinstance(net, _Interval) and isinstance(part, _Interval):
                net = net - part
            elif isinstance(part, _Unknown):
                net = part
        if isinstance(net, _Interval) and isinstance(exports, _Unknown):
            net = exports
    added = _added(rows, spec["series"])
    if added and isinstance(production, _Interval) and production.unit in ("t", ""):
        # new output at fixed demand: production up, net imports down by the same tonnes
        new = _Interval(added, added, "t", (f"new output {added:,.0f} t added (planner)",))
        production = production + new
        if isinstance(net, _Interval):
            net = net - _Interval(added, added, net.unit)
    else:
        added = 0.0
    units = {v.unit for v in (production, net, consumption) if isinstance(v, _Interval) and v.unit}
    lo = hi = math.nan
    method = ""
    ac: _Value = consumption if isinstance(consumption, _Interval) else None
    reported = "consumption_reported:" in spec["consumption"]
    ac_source = ("published reported" if reported else "published") if ac is not None else ""
    if spec["consumption"].strip() == ">0":
        ac_source = "positive, not published"
    if (
        isinstance(ac, _Interval)
        and ac.point is None
        and not reported
        and isinstance(production, _Interval)
        and isinstance(net, _Interval)
        and not {production.unit, net.unit, ac.unit} - {ac.unit}
    ):
        ac = _narrow(ac, production + net, notes)
    if len(units) > 1:
        notes.append(f"components in different units ({', '.join(sorted(units))})")
    elif isinstance(net, _Interval):
        method = "net imports / apparent consumption"
        if isinstance(ac, _Interval):
            lo, hi = _divide(net, ac)
        elif isinstance(production, _Interval):
            lo, hi = _share_of_total(net, production)
            ac, ac_source = production + net, "computed"
    elif isinstance(production, _Interval) and isinstance(ac, _Interval):
        method = "1 - production / apparent consumption"
        a, b = _divide(production, ac)
        lo, hi = 1 - b, 1 - a
    for value in (production, imports, exports, stock_change, consumption):
        if isinstance(value, _Unknown):
            notes.append(value.why)
        elif isinstance(value, _Interval):
            notes += list(value.notes)
    if not method and not notes:
        notes.append("the concordance names no production or trade for this series")
    if not math.isnan(hi) and hi > 1:
        if lo > 1:
            notes.append("net imports exceed apparent consumption: capped at 100%")
        lo, hi = min(lo, 1.0), 1.0
    if math.isinf(lo):
        lo = math.nan
    pub = _published(rows, spec["nir"])
    diff, agreement, why = _agreement(lo, hi, pub)
    if agreement not in _AGREE and not why:
        why = "; ".join(dict.fromkeys(notes)) or spec["reason"]
    elif spec["reason"] and agreement not in _AGREE and agreement != "not comparable":
        why = f"{why}; {spec['reason']}"
    first = rows[0]
    imports_t, exports_t = _point(imports), _point(exports)
    if added and isinstance(net, _Interval):
        # the new output replaces imports first, then is exported
        displaced = min(added, imports_t)
        imports_t, exports_t = imports_t - displaced, exports_t + (added - displaced)
    unit = next(iter(units), "") if len(units) == 1 else ""
    mineral = spec["mineral_id"] or first["mineral_id"]
    return {
        "usgs_key": spec["usgs_key"],
        "series": spec["series"],
        "mineral_id": mineral if isinstance(mineral, str) and mineral else None,
        "commodity": first["commodity"],
        "fig2_commodity": spec["fig2_commodity"] or None,
        "year": year,
        "release": first["release"],
        "unit": unit or None,
        "production_primary": _part(rows, spec["production"], "production_primary") + added,
        "production_secondary": _part(rows, spec["production"], "production_secondary"),
        "imports": imports_t,
        "exports": exports_t,
        "stock_change": _point(stock_change),
        "apparent_consumption": _point(ac),
        "apparent_consumption_source": ac_source or None,
        "net_import_reliance": lo if lo == hi else math.nan,
        "net_import_reliance_min": _nan(lo),
        "net_import_reliance_max": _nan(hi),
        "nir_method": method or None,
        "nir_published": np.nan
        if pub is None or pub["status"] not in ("reported", "estimated")
        else float(pub["quantity"]) / 100,
        "nir_published_text": None if pub is None else pub["text"],
        "nir_published_bound": None
        if pub is None
        else ("<" if pub["status"] == "net exporter" else pub["bound"]),
        "difference_pp": diff,
        "agreement": agreement,
        "reason": why or None,
        "bound_source": "; ".join(
            dict.fromkeys(
                src
                for v in (production, consumption)
                if isinstance(v, _Interval)
                for src in v.sources
            )
        )
        or None,
    }


def _added(rows: list[_Row], series: str) -> float:
    """New output (t) a planner added to ``series`` (:data:`ADDED_PRODUCTION` rows), else 0."""
    wanted = series.casefold()
    return float(
        sum(
            float(r["quantity"])
            for r in rows
            if r["component"] == ADDED_PRODUCTION and r["_form"] == wanted
        )
    )


def _narrow(published: _Interval, identity: _Interval, notes: list[str]) -> _Interval:
    """Published apparent consumption (a bound or ``W``) intersected with ``P + N``."""
    lo, hi = max(published.lo, identity.lo), min(published.hi, identity.hi)
    if lo > hi:
        notes.append("published apparent consumption and production + net imports disagree")
        return published
    return _Interval(lo, hi, published.unit, published.notes, published.sources + identity.sources)


def _part(rows: list[_Row], spec: str, component: str) -> float:
    """The primary or the secondary part of the production a concordance cell names."""
    for alt in _tokens(spec):
        if any(t != "0" and not _match(rows, t, "production") for t in alt):
            continue
        kept = [t for t in alt if t == "0" or _match(rows, t, component)]
        if not kept:
            return 0.0 if any(_match(rows, t, "production") for t in alt) else math.nan
        if component == "production_secondary":
            kept = [t for t in kept if t != "0"]
            if not kept:
                return 0.0
        return _point(_role(rows, " + ".join(kept), component))
    return math.nan


#: Columns of :func:`us_production_bounds`.
BOUND_COLUMNS = (
    "usgs_key",
    "series",
    "year",
    "component",
    "low_t",
    "high_t",
    "release",
    "bound_source",
)

_EXCLUDES_US = re.compile(r"exclud\w*\s+(the\s+)?(u\.\s?s\.|united states)", re.IGNORECASE)
_T5_FIELDS = {
    "Primary_prod": "production_primary",
    "Secondary_prod": "production_secondary",
    "Apparent_Consuption": "consumption_apparent",
    "Apparent_Consumption": "consumption_apparent",
}


def _rounding(total: float, label: str) -> float:
    """Half a unit of the last significant digit of a total labelled ``rounded`` (t)."""
    if "rounded" not in label.casefold() or total <= 0:
        return 0.0
    unit = 10.0 ** math.floor(math.log10(total))
    while unit >= 1 and not math.isclose(total / unit, round(total / unit), abs_tol=1e-9):
        unit /= 10
    return unit / 2 if unit >= 1 else 0.0


def _series_index(concordance: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """``{mineral_id: [(usgs_key, series), …]}`` of the balance concordance."""
    out: dict[str, list[tuple[str, str]]] = {}
    for rec in concordance.to_dict("records"):
        if rec["mineral_id"]:
            out.setdefault(str(rec["mineral_id"]), []).append(
                (str(rec["usgs_key"]), str(rec["series"]))
            )
    return out


def _pick(candidates: list[tuple[str, str]], product: str) -> tuple[str, str] | None:
    """The concordance row of a product: the only one, else the one named like it."""
    if len(candidates) == 1:
        return candidates[0]
    named = [c for c in candidates if c[1] and c[1].casefold() == product.casefold()]
    return named[0] if len(named) == 1 else None


def us_production_bounds(
    tables: pd.DataFrame,
    critical_salient: pd.DataFrame,
    *,
    concordance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bounds (t) of U.S. quantities that a salient file withholds, from other USGS tables.

    Parameters
    ----------
    tables
        USGS world production tables with their totals
        (:func:`friendshore.data.queries.read_usgs_production_tables`).
    critical_salient
        MCS Table 5 (:func:`friendshore.data.queries.read_critical_salient`).
    concordance
        The balance concordance (default ``concordances/salient_balance.csv``):
        it maps a catalog mineral to its salient file and series.

    Returns
    -------
    pandas.DataFrame
        One row per salient file × series × year × component, columns
        :data:`BOUND_COLUMNS`: ``low_t ≤ quantity ≤ high_t`` in tonnes (equal
        where the table gives the number), the edition and ``bound_source``
        (which table and rule). :func:`us_balance` applies a bound to a cell of
        that component only where the salient file withholds it (``W``).

    Notes
    -----
    Two sources, each a USGS table of the same edition:

    * **World production table** (U.S. row ``W``): U.S. production ≤ world
      total − listed countries − "Other countries" + half a unit of the
      total's last digit where it is ``rounded``; where the U.S. is not listed,
      ≤ "Other countries". Only where the total does not leave the U.S. out:
      not where the total's note, or MCS Table 5's ``World_prod_notes`` of the
      mineral and edition, says it excludes U.S. production, and not where the
      listed rows already add up to the total within its rounding (then the
      total is the sum of the other countries). USGS cannot put a withheld
      figure into a total that would disclose it, so in MCS 2024 and 2025 every
      withheld U.S. row of a Fig. 2 commodity falls under one of these rules
      and the world tables bound none of them.
    * **MCS Table 5** (critical minerals, U.S. salient statistics of the year
      before the edition): primary and secondary production and apparent
      consumption, a value (``low_t = high_t``) or a bound such as
      ``<100,000``; apparent consumption only where the table does not note
      that its figure is reported or estimated consumption (bauxite,
      magnesium), which is not apparent consumption. Table 5 withholds what the
      salient files withhold in these editions, so it bounds no Fig. 2 miss
      either; both are kept so that a later edition that publishes more is used.
    """
    if concordance is None:
        concordance = read_balance_concordance()
    index = _series_index(concordance)
    t5 = critical_salient
    excluded = {
        (str(r["mineral_id"]), str(r["release"]))
        for r in t5.to_dict("records")
        if r["field"] == "World_prod_notes" and _EXCLUDES_US.search(str(r["text"] or ""))
    }
    rows: list[dict[str, object]] = []
    keys = ["release", "mineral_id", "stage", "product", "year"]
    for (release, mineral, stage, product, year), g in tables.groupby(keys, sort=True):
        target = _pick(index.get(str(mineral), []), str(product))
        world = g[g["kind"] == "world"]
        if target is None or len(world) != 1 or (str(mineral), str(release)) in excluded:
            continue
        total = world.iloc[0]
        if _EXCLUDES_US.search(str(total["note"] or "")) or pd.isna(total["quantity_t"]):
            continue
        us = g[(g["kind"] == "country") & (g["country"] == "USA")]
        listed = g[(g["kind"] == "country") & (g["country"] != "USA")]
        other = g[g["kind"] == "other"]
        if listed["quantity_t"].isna().any() or other["quantity_t"].isna().any():
            continue
        slack = _rounding(float(total["quantity_t"]), str(total["label"]))
        if us.empty:
            if other.empty:
                continue
            high = float(other["quantity_t"].sum())
            source = "MCS world table: the U.S. is not listed, so at most 'Other countries'"
        elif (us["status"] == "withheld").all():
            gap = float(total["quantity_t"] - listed["quantity_t"].sum())
            gap -= float(other["quantity_t"].sum())
            if gap <= slack:
                continue
            high = gap + slack
            source = "MCS world table: world total - listed countries - other countries"
        else:
            continue
        rows.append(
            {
                "usgs_key": target[0],
                "series": target[1],
                "year": int(str(year)),
                "component": "production_primary",
                "low_t": 0.0,
                "high_t": high,
                "release": release,
                "bound_source": source,
                "table": f"{stage}/{product}",
            }
        )
    world_rows = pd.DataFrame(rows, columns=[*BOUND_COLUMNS, "table"])
    # a file whose production several world tables share (silicon: ferrosilicon and
    # silicon metal; copper: mine and refinery) gets no bound: it is not the bound of a part
    tables_per = world_rows.groupby(["usgs_key", "series", "year"])["table"].transform("nunique")
    world_rows = world_rows[tables_per == 1].drop(columns="table")
    t5_rows = pd.DataFrame(_t5_bounds(t5, index), columns=list(BOUND_COLUMNS))
    out = pd.concat([df for df in (world_rows, t5_rows) if not df.empty], ignore_index=True)
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BOUND_COLUMNS})
    # one bound per series, year and component: the newest edition, then the tightest
    out = out.sort_values(["usgs_key", "series", "year", "component", "release", "high_t"])
    out = out.groupby(["usgs_key", "series", "year", "component"], as_index=False).agg(
        {"low_t": "last", "high_t": "last", "release": "last", "bound_source": "last"}
    )
    return out[list(BOUND_COLUMNS)].reset_index(drop=True)


def _t5_bounds(
    t5: pd.DataFrame, index: dict[str, list[tuple[str, str]]]
) -> list[dict[str, object]]:
    """Rows of :func:`us_production_bounds` from MCS Table 5 (values and ``<`` bounds)."""
    rows: list[dict[str, object]] = []
    for (name, release), g in t5.groupby(["name", "release"], sort=True):
        fields = {str(r["field"]): r for r in g.to_dict("records")}
        mineral = g["mineral_id"].dropna()
        if mineral.empty:
            continue
        paren = re.search(r"\(([^)]*)\)", str(name))
        target = _pick(index.get(str(mineral.iloc[0]), []), paren.group(1) if paren else "")
        match = re.search(r"(\d{4})", str(release))
        if target is None or match is None:
            continue
        notes = " ".join(
            str(fields[f]["text"] or "")
            for f in ("Contsumption_Notes", "Consumption_Notes")
            if f in fields
        ).casefold()
        for field, component in _T5_FIELDS.items():
            rec = fields.get(field)
            if rec is None or rec["value"] is None or pd.isna(rec["value"]):
                continue
            not_apparent = "reported" in notes or "estimated" in notes
            if component == "consumption_apparent" and not_apparent:
                continue
            value = float(rec["value"])
            low = 0.0 if rec["bound"] == "<" else value
            high = _INF if rec["bound"] == ">" else value
            rows.append(
                {
                    "usgs_key": target[0],
                    "series": target[1],
                    "year": int(match.group(1)) - 1,
                    "component": component,
                    "low_t": low,
                    "high_t": high,
                    "release": release,
                    "bound_source": f"MCS Table 5 ({name}, {field} {rec['text']})",
                }
            )
    return rows


def compare_published_nir(us_balance: pd.DataFrame, fig2: pd.DataFrame, year: int) -> pd.DataFrame:
    """Computed U.S. net import reliance beside USGS's Fig. 2 figure of ``year`` (fractions).

    Parameters
    ----------
    us_balance
        Output of :func:`us_balance`.
    fig2
        Rows of the ``net_import_reliance`` table (``commodity, year, share,
        text, bound, status``).
    year
        The year of the figure.

    Returns
    -------
    pandas.DataFrame
        One row per Fig. 2 commodity: ``commodity, year, published, published_text,
        published_bound, usgs_key, series, net_import_reliance,
        net_import_reliance_min, net_import_reliance_max, difference_pp,
        agreement, reason``; ``agreement`` as in :func:`us_balance`, against the
        Fig. 2 figure. A commodity without salient statistics is ``'not
        comparable'``.
    """
    pub = fig2[fig2["year"] == year]
    labels = us_balance[us_balance["year"] == year].copy()
    index: dict[str, pd.Series] = {}
    for _, row in labels.iterrows():
        for alias in str(row["fig2_commodity"] or "").split("|"):
            lab = _label(alias)
            if lab is not None:
                index[lab] = row
    rows: list[dict[str, object]] = []
    for _, fig in pub.iterrows():
        match = index.get(_label(fig["commodity"]) or "")
        share = fig["share"]
        text = fig["text"]
        cell = {
            "status": "net exporter" if str(text).strip().upper() == "E" else fig["status"],
            "quantity": None if pd.isna(share) else float(share) * 100,
            "bound": fig["bound"] if isinstance(fig["bound"], str) else None,
        }
        if match is None:
            rows.append(
                {
                    "commodity": fig["commodity"],
                    "year": year,
                    "published": share,
                    "published_text": text,
                    "published_bound": cell["bound"],
                    "usgs_key": None,
                    "series": None,
                    "net_import_reliance": math.nan,
                    "net_import_reliance_min": math.nan,
                    "net_import_reliance_max": math.nan,
                    "difference_pp": math.nan,
                    "agreement": "not comparable",
                    "reason": "USGS publishes no salient statistics balance for this commodity",
                }
            )
            continue
        lo = float(match["net_import_reliance_min"])
        hi = float(match["net_import_reliance_max"])
        diff, agreement, why = _agreement(lo, hi, cell)
        if agreement not in _AGREE:
            why = match["reason"] if isinstance(match["reason"], str) else why
        rows.append(
            {
                "commodity": fig["commodity"],
                "year": year,
                "published": share,
                "published_text": text,
                "published_bound": cell["bound"],
                "usgs_key": match["usgs_key"],
                "series": match["series"],
                "net_import_reliance": match["net_import_reliance"],
                "net_import_reliance_min": lo,
                "net_import_reliance_max": hi,
                "difference_pp": diff,
                "agreement": agreement,
                "reason": why or None,
            }
        )
    return pd.DataFrame(rows)


def _label(text: object) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return re.sub(r"\s+", " ", text).strip().casefold()
