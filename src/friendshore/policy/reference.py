"""Reference prices: versioned, dated rule files, one rule per mineral × stage × product.

A reference rule file (YAML or TOML, ``data/floors/*.yaml``; format in
``data/floors/README.md`` and ``docs/floors.md``) states, for each mineral ×
stage × product, how its reference price is set. Methods:

- ``fixed``: a price and its unit (``110`` ``USD/kg``);
- ``percentile``: a percentile of a price series of the store's ``prices``
  table (annual values) over a window of years;
- ``moving_average``: the mean of a price series over a window of years;
- ``non_rival_unit_value``: the landed import unit value (BACI value /
  quantity × (1 + ``cif_margin``)) of the rule's HS6 codes from origins that
  are not the zone's rivals, all importers, over a window (tonne-weighted mean
  or percentile);
- ``cost_basis``: from a project pipeline, the price at which ``share`` of the
  pipeline's capacity covers its capex (annualised at ``discount_rate`` over
  ``life_years``) plus its opex.

Every reference is in **USD per tonne of the traded HS product** (gross
weight, as BACI counts tonnes): the rule's price on its own basis times
``factor``, the tonnes of that basis per tonne of product (1 by default).

:func:`load_reference_file` validates a file (errors name the file, the line
and the field); :func:`reference_prices` computes the reference of every rule
and year.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import numpy as np
import pandas as pd
import pydantic
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.documents import Document, Loc, dotted, shipped_or_file
from friendshore.data.floor_files import read_reference_file, shipped_reference_paths
from friendshore.data.pipeline_files import read_pipeline_file, shipped_pipeline_paths
from friendshore.data.queries import annual_prices, read_unit_values
from friendshore.model.fields import (
    STRICT_FINITE,
    MineralId,
    code_text,
    hs6_codes,
    validate_document,
)
from friendshore.model.zone import Zone

__all__ = [
    "METHODS",
    "PRICE_UNITS",
    "REFERENCE_COLUMNS",
    "STAGES",
    "CostBasisRule",
    "FixedRule",
    "MovingAverageRule",
    "NonRivalUnitValueRule",
    "PercentileRule",
    "QuotaSpec",
    "ReferenceFile",
    "ReferenceRule",
    "capital_recovery_factor",
    "list_reference_files",
    "load_reference_file",
    "reference_file_ids",
    "reference_prices",
    "weighted_percentile",
]

#: The methods a rule may use.
METHODS: Final = ("fixed", "percentile", "moving_average", "non_rival_unit_value", "cost_basis")
#: Stages of the HS concordance a rule may name.
STAGES: Final = ("mining", "processing", "components")
#: Units of a fixed price and their factor to USD per tonne.
PRICE_UNITS: Final[dict[str, float]] = {
    "USD/t": 1.0,
    "USD/kg": 1_000.0,
    "USD/lb": 1_000.0 / 0.45359237,
    "USD/troy oz": 1_000_000.0 / 31.1034768,
}
#: Columns of :func:`reference_prices`.
REFERENCE_COLUMNS: Final = (
    "rule",
    "mineral_id",
    "stage",
    "product",
    "year",
    "reference_usd_per_t",
    "method",
    "explanation",
)
#: Default CIF margin: landed = FOB unit value × (1 + cif_margin).
DEFAULT_CIF_MARGIN: Final = 0.05


def _text(value: Any) -> Any:
    """A version or id YAML read as a number (``1.0``, ``2025``) is taken as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_hs6_any(value: str) -> str:
    if value not in hs6_codes():
        raise ValueError(
            f"unknown HS6 code {value!r}: not in the bundled HS concordance "
            "(concordances/hs_concordance.csv)"
        )
    return value


def _year_of(value: int | dt.date | None) -> int | None:
    if value is None:
        return None
    return value.year if isinstance(value, dt.date) else int(value)


HS6Any = Annotated[str, BeforeValidator(code_text), AfterValidator(_check_hs6_any)]
Version = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=40)]
YearOrDate = Annotated[int | dt.date, Field(union_mode="left_to_right")]


class _Base(pydantic.BaseModel):
    model_config = STRICT_FINITE


class _RuleBase(_Base):
    """Fields every rule has (see the module docstring)."""

    mineral: MineralId
    stage: Literal["mining", "processing", "components"]
    product: str = Field(min_length=1, description="the priced product, as published")
    hs6: list[HS6Any] | None = Field(
        None,
        min_length=1,
        description="HS6 codes the floor applies to; default: the concordance codes of "
        "mineral × stage",
    )
    factor: float = Field(
        1.0, gt=0, description="tonnes of the priced basis per tonne of traded product"
    )
    valid_from: YearOrDate | None = None
    valid_to: YearOrDate | None = None
    source: str = ""
    note: str = ""

    @pydantic.model_validator(mode="after")
    def _validity(self) -> _RuleBase:
        first, last = _year_of(self.valid_from), _year_of(self.valid_to)
        if first is not None and last is not None and last < first:
            raise ValueError("valid_to is before valid_from")
        return self

    @property
    def first_year(self) -> int | None:
        """First year the rule applies (``None``: no limit)."""
        return _year_of(self.valid_from)

    @property
    def last_year(self) -> int | None:
        """Last year the rule applies (``None``: no limit)."""
        return _year_of(self.valid_to)

    def applies(self, year: int) -> bool:
        """Whether the rule is in force in ``year``."""
        first, last = self.first_year, self.last_year
        return (first is None or first <= year) and (last is None or year <= last)


class FixedRule(_RuleBase):
    """A fixed reference price (e.g. NdPr oxide 110 USD/kg)."""

    method: Literal["fixed"]
    price: float = Field(gt=0, le=1e12, allow_inf_nan=False)
    unit: Literal["USD/t", "USD/kg", "USD/lb", "USD/troy oz"] = "USD/t"


class _SeriesRule(_RuleBase):
    series: str = Field(min_length=1, description="a series id of the store's prices table")
    window_years: int = Field(3, ge=1, le=30)
    lag_years: int = Field(0, ge=0, le=10, description="the window ends lag_years before")


class PercentileRule(_SeriesRule):
    """A percentile of a price series over a window of years."""

    method: Literal["percentile"]
    percentile: float = Field(ge=0, le=100)


class MovingAverageRule(_SeriesRule):
    """The mean of a price series over a window of years."""

    method: Literal["moving_average"]


class NonRivalUnitValueRule(_RuleBase):
    """The landed import unit value of the rule's codes from origins that are not rivals."""

    method: Literal["non_rival_unit_value"]
    statistic: Literal["mean", "percentile"] = "mean"
    percentile: float | None = Field(None, ge=0, le=100)
    window_years: int = Field(1, ge=1, le=30)
    lag_years: int = Field(0, ge=0, le=10)

    @pydantic.model_validator(mode="after")
    def _percentile_given(self) -> NonRivalUnitValueRule:
        if self.statistic == "percentile" and self.percentile is None:
            raise ValueError("statistic 'percentile' needs a 'percentile' (0-100)")
        return self


class CostBasisRule(_RuleBase):
    """The price at which ``share`` of a pipeline's capacity covers its annualised costs."""

    method: Literal["cost_basis"]
    pipeline: str = Field(min_length=1, description="a shipped pipeline id or a file")
    share: float = Field(ge=0, le=1)
    discount_rate: float = Field(ge=0, le=1)
    life_years: int = Field(ge=1, le=100)


ReferenceRule = Annotated[
    FixedRule | PercentileRule | MovingAverageRule | NonRivalUnitValueRule | CostBasisRule,
    Field(discriminator="method"),
]


class QuotaSpec(_Base):
    """The minimum import price with a quota (mode ``min-price-quota``).

    Imports within the quota (``share_of_base`` × the non-member imports of
    ``base_year``, per member × rule) pay the gap to the reference as an
    undertaking price; above it, a duty of ``duty_above_quota`` ad valorem.
    """

    share_of_base: float = Field(1.0, ge=0, description="quota, share of base-year imports")
    base_year: int | None = Field(None, ge=1990, le=2100)
    duty_above_quota: float = Field(0.476, ge=0, le=10, description="ad valorem fraction")
    duty_applies_to: Literal["below_reference", "all"] = "below_reference"
    source: str = (
        "EU-China solar panels undertaking, Commission Decision 2013/423/EU (2 Aug 2013): "
        "minimum import price EUR 0.56/W on an annual volume; above it the anti-dumping "
        "duty, 47.6% on average as announced on 4 June 2013"
    )


class ReferenceFile(_Base):
    """A reference rule file: metadata and one rule per mineral × stage × product."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    name: str = Field(min_length=1)
    version: Version
    date: dt.date
    illustrative: bool = False
    description: str = ""
    source: str = Field(min_length=1, description="one line: URL or citation")
    cif_margin: float = Field(
        DEFAULT_CIF_MARGIN, ge=0, le=1, description="landed = FOB unit value × (1 + cif_margin)"
    )
    min_offer_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="an origin is an offer (mode uniform) if it sends at least this share of "
        "the member's non-member tonnes",
    )
    quota: QuotaSpec = QuotaSpec()
    rules: list[ReferenceRule] = Field(min_length=1)

    _path: Path | None = pydantic.PrivateAttr(None)
    _lines: dict[Loc, int] = pydantic.PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path | None:
        """The file the rules were read from (``None``: built in code or from an API body)."""
        return self._path

    def locate(self, rule: int, *field: str | int) -> tuple[int | None, str]:
        """Return the line and dotted name of a field of rule ``rule`` (for messages)."""
        loc: Loc = ("rules", rule, *field)
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line, dotted(loc)
        return None, dotted(loc)

    def rule_error(self, rule: int, field: str | tuple[str | int, ...], message: str) -> DataError:
        """Return a :class:`DataError` about a field of rule ``rule``, naming file and line."""
        parts = field if isinstance(field, tuple) else (field,)
        line, name = self.locate(rule, *parts)
        return DataError(message, file=self._path, line=line, field=name)

    def codes(self, rule: int) -> list[str]:
        """The HS6 codes rule ``rule`` applies to: its own, else the concordance's."""
        item = self.rules[rule]
        if item.hs6 is not None:
            return list(item.hs6)
        return _default_codes().get((item.mineral, item.stage), [])

    @classmethod
    def from_document(cls, doc: Document) -> ReferenceFile:
        """Validate a rule file as read; errors name the file, the line and the field."""
        ref = validate_document(cls, doc, fix_loc=_fix_loc, message=_rule_message, most=3)
        ref._path = doc.path
        ref._lines = dict(doc.lines)
        ref.check()
        return ref

    def check(self) -> None:
        """Check the rules against the concordance and each other.

        Raises
        ------
        DataError
            A code mapped to another mineral, two rules for the same mineral ×
            stage × product in overlapping years, or two rules levying the same
            HS6 code in overlapping years (file, line, field named).
        """
        mapped = hs6_codes()
        seen: list[tuple[int, tuple[str, str, str], set[str]]] = []
        for i, rule in enumerate(self.rules):
            for j, code in enumerate(rule.hs6 or []):
                other = mapped.get(code)
                if other is not None and other != rule.mineral:
                    raise self.rule_error(
                        i,
                        ("hs6", j),
                        f"HS6 code {code} is mapped to {other} in the concordance, not to "
                        f"{rule.mineral}",
                    )
            key = (rule.mineral, rule.stage, rule.product)
            codes = set(self.codes(i))
            for k, key_k, codes_k in seen:
                if not _overlap(self.rules[k], rule):
                    continue
                if key_k == key:
                    line, _ = self.locate(k, "product")
                    raise self.rule_error(
                        i,
                        "product",
                        f"a second rule for {'/'.join(key)} in overlapping years (the first "
                        f"is at line {line}): give valid_from/valid_to that do not overlap",
                    )
                both = sorted(codes & codes_k)
                if both:
                    line, _ = self.locate(k, "mineral")
                    raise self.rule_error(
                        i,
                        "hs6",
                        f"HS6 {', '.join(both)} is already levied by the rule at line {line} "
                        "in overlapping years: a flow can keep one floor only",
                    )
            seen.append((i, key, codes))


def _overlap(a: _RuleBase, b: _RuleBase) -> bool:
    lo = max(a.first_year or -math.inf, b.first_year or -math.inf)
    hi = min(a.last_year or math.inf, b.last_year or math.inf)
    return lo <= hi


def _fix_loc(loc: Loc) -> Loc:
    """Drop the method tag pydantic adds after a rule's index; name ``method`` for a bad tag."""
    if len(loc) >= 3 and loc[0] == "rules" and isinstance(loc[1], int) and loc[2] in METHODS:
        loc = (*loc[:2], *loc[3:])
    if len(loc) == 3 and loc[0] == "rules" and loc[2] == "type":
        loc = (*loc[:2], "method")
    return loc


def _rule_message(error: ErrorDetails) -> str | None:
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = error.get("input")
        tag = given.get("method") if isinstance(given, dict) else None
        what = f"unknown method {tag!r}" if tag is not None else "a rule needs a 'method'"
        return f"{what}: use one of {', '.join(METHODS)}"
    if kind == "greater_than" and error["loc"][-1] in ("price", "factor"):
        return f"{error['loc'][-1]} must be > 0"
    return None


def _default_codes() -> dict[tuple[str, str], list[str]]:
    hs = read_hs_concordance()
    hs = hs[hs["mineral_id"].notna() & hs["stage"].notna()]
    out: dict[tuple[str, str], list[str]] = {}
    for code, mineral, stage in zip(hs["hs6"], hs["mineral_id"], hs["stage"], strict=True):
        out.setdefault((str(mineral), str(stage)), []).append(str(code))
    return out


# --- loading -----------------------------------------------------------------------------


def reference_file_ids() -> list[str]:
    """Return the ids of the reference rule files shipped with the package, sorted."""
    return list(shipped_reference_paths())


def load_reference_file(name_or_path: str | Path) -> ReferenceFile:
    """Load and validate a reference rule file: a shipped id or a YAML/TOML file.

    Raises
    ------
    DataError
        If the file is malformed or invalid; the message names the file, the
        line and the field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file.
    """
    path = shipped_or_file(
        name_or_path,
        shipped_reference_paths(),
        what="reference rule file",
        formats="YAML or TOML",
        suffixes=(".yaml", ".yml", ".toml"),
    )
    return ReferenceFile.from_document(read_reference_file(path))


def list_reference_files() -> pd.DataFrame:
    """Return the shipped rule files: ``id, name, version, date, rules, illustrative, source``."""
    rows = []
    for rid in reference_file_ids():
        ref = load_reference_file(rid)
        rows.append(
            {
                "id": ref.id,
                "name": ref.name,
                "version": ref.version,
                "date": ref.date.isoformat(),
                "rules": len(ref.rules),
                "illustrative": ref.illustrative,
                "source": ref.source,
            }
        )
    columns = ["id", "name", "version", "date", "rules", "illustrative", "source"]
    return pd.DataFrame(rows, columns=columns)


# --- reference prices ----------------------------------------------------------------------


def capital_recovery_factor(rate: float, years: int) -> float:
    """Return the capital recovery factor: the annual payment per USD of capex (1/yr).

    Notes
    -----
    ``crf = r / (1 − (1 + r)^−n)``; ``1 / n`` when ``r = 0``.

    Examples
    --------
    >>> round(capital_recovery_factor(0.08, 20), 6)
    0.101852
    >>> capital_recovery_factor(0.0, 10)
    0.1
    """
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Return the ``q``-th percentile (0-100) of ``values`` weighted by ``weights``.

    The smallest value whose cumulative weight reaches ``q`` % of the total (the
    inverse of the weighted distribution function); NaN if the weights sum to 0.

    Examples
    --------
    >>> weighted_percentile(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]), 50)
    2.0
    """
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    total = w.sum()
    if not total > 0:
        return math.nan
    cum = np.cumsum(w)
    index = int(np.searchsorted(cum, q / 100.0 * total - 1e-12 * total, side="left"))
    return float(v[min(index, len(v) - 1)])


def _window(year: int, window: int, lag: int) -> list[int]:
    last = year - lag
    return list(range(last - window + 1, last + 1))


def _span(years: Sequence[int]) -> str:
    return f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _series_prices(
    ref: ReferenceFile, i: int, rule: PercentileRule | MovingAverageRule, prices: pd.DataFrame
) -> pd.DataFrame:
    rows = prices[prices["series"] == rule.series]
    if rows.empty:
        raise ref.rule_error(
            i,
            "series",
            f"unknown price series {rule.series!r}: not in the store's prices table "
            "(`friendshore prices` lists the series)",
        )
    rows = rows[rows["usd_per_t"].notna()]
    if rows.empty:
        unit = str(prices.loc[prices["series"] == rule.series, "unit"].iloc[0])
        raise ref.rule_error(
            i,
            "series",
            f"price series {rule.series!r} is not a price per mass (unit {unit}): choose a "
            "series with a USD per tonne value",
        )
    return rows


def _price_reference(
    ref: ReferenceFile,
    i: int,
    rule: PercentileRule | MovingAverageRule,
    prices: pd.DataFrame,
    years: Sequence[int],
) -> list[tuple[int, float, str]]:
    rows = _series_prices(ref, i, rule, prices)
    by_year = rows.groupby("year")["usd_per_t"].mean()
    basis = str(rows["basis"].iloc[0]) if "basis" in rows and rows["basis"].notna().any() else ""
    out: list[tuple[int, float, str]] = []
    for year in years:
        window = _window(year, rule.window_years, rule.lag_years)
        values = by_year.reindex(window).dropna()
        if values.empty:
            out.append((year, math.nan, f"no price of {rule.series} in {_span(window)}"))
            continue
        if isinstance(rule, PercentileRule):
            level = float(np.percentile(values.to_numpy(), rule.percentile))
            what = f"percentile {rule.percentile:g} of {rule.series}"
        else:
            level = float(values.mean())
            what = f"mean of {rule.series}"
        found = [int(y) for y in values.index]
        text = f"{what} over {_span(found)} ({len(found)} of {len(window)} years)"
        if basis:
            text += f", USD/t {basis}"
        if rule.factor != 1:
            text += f", × {rule.factor:g} t per t of product"
        out.append((year, level * rule.factor, text))
    return out


def _non_rival_reference(
    ref: ReferenceFile,
    i: int,
    rule: NonRivalUnitValueRule,
    flows: pd.DataFrame,
    *,
    zone: Zone,
    years: Sequence[int],
) -> list[tuple[int, float, str]]:
    codes = ref.codes(i)
    mask = flows["hs6"].isin(codes) & ~flows["exporter"].isin(zone.rivals)
    mask &= (flows["quantity_t"] > 0) & (flows["value_usd"] > 0)
    sub = flows.loc[mask, ["year", "value_usd", "quantity_t"]]
    rivals = ", ".join(sorted(zone.rivals)) or "none"
    out: list[tuple[int, float, str]] = []
    for year in years:
        window = _window(year, rule.window_years, rule.lag_years)
        part = sub[sub["year"].isin(window)]
        if part.empty or not codes:
            out.append((year, math.nan, f"no BACI flows of {', '.join(codes)} in {_span(window)}"))
            continue
        value = part["value_usd"].to_numpy()
        tonnes = part["quantity_t"].to_numpy()
        if rule.statistic == "mean":
            level = float(value.sum() / tonnes.sum())
            what = "tonne-weighted mean"
        else:
            level = weighted_percentile(value / tonnes, tonnes, float(rule.percentile or 0))
            what = f"tonne-weighted percentile {rule.percentile:g}"
        landed = level * (1 + ref.cif_margin)
        text = (
            f"{what} of BACI import unit values of HS {', '.join(codes)} from origins other "
            f"than {rivals}, all importers, {_span(window)}, × (1 + CIF margin "
            f"{ref.cif_margin:g})"
        )
        out.append((year, landed * rule.factor, text))
    return out


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pipeline_path(ref: ReferenceFile, i: int, name: str) -> Path:
    shipped = shipped_pipeline_paths()
    if name in shipped:
        return shipped[name]
    path = Path(name)
    if not path.is_absolute() and ref.path is not None:
        beside = ref.path.parent / path
        if beside.exists():
            return beside
    if not path.exists():
        raise ref.rule_error(
            i,
            "pipeline",
            f"no pipeline {name!r}: give a pipeline file (relative to the rule file) or one "
            f"of {', '.join(shipped)}",
        )
    return path


def _cost_basis_reference(ref: ReferenceFile, i: int, rule: CostBasisRule) -> tuple[float, str]:
    path = _pipeline_path(ref, i, rule.pipeline)
    doc = read_pipeline_file(path)
    stages = {rule.stage} | ({"recycling"} if rule.stage == "processing" else set())
    capacity: list[float] = []
    cost: list[float] = []
    for j, project in enumerate(doc.data["projects"]):
        if str(project.get("mineral", "")).strip().lower() != rule.mineral:
            continue
        if str(project.get("stage", "")).strip().lower() not in stages:
            continue
        numbers = {}
        for field in ("capacity_t_per_year", "capex_usd", "opex_usd_per_year"):
            number = _number(project.get(field))
            if number is None or number < 0 or (field == "capacity_t_per_year" and number <= 0):
                line, name = doc.locate(("projects", j, field))
                raise DataError(
                    f"{field} must be a number {'> 0' if field.startswith('cap') else '>= 0'} "
                    f"for the cost basis of rule {i} (line {ref.locate(i, 'pipeline')[0]} of "
                    f"{ref.path})",
                    file=path,
                    line=line,
                    field=name,
                )
            numbers[field] = number
        crf = capital_recovery_factor(rule.discount_rate, rule.life_years)
        annual = numbers["capex_usd"] * crf + numbers["opex_usd_per_year"]
        capacity.append(numbers["capacity_t_per_year"])
        cost.append(annual / numbers["capacity_t_per_year"])
    if not capacity:
        raise ref.rule_error(
            i,
            "pipeline",
            f"the pipeline {path.name} has no {rule.mineral} {rule.stage} project to set a "
            "cost basis",
        )
    level = weighted_percentile(np.array(cost), np.array(capacity), rule.share * 100)
    text = (
        f"price at which {rule.share:.0%} of the capacity of {len(capacity)} {rule.mineral} "
        f"{rule.stage} projects in {path.name} ({sum(capacity):,.0f} t/yr) covers capex "
        f"annualised at {rule.discount_rate:.1%} over {rule.life_years} years plus opex"
    )
    if rule.factor != 1:
        text += f", × {rule.factor:g} t per t of product"
    return level * rule.factor, text


def _needs_prices(ref: ReferenceFile) -> bool:
    return any(isinstance(r, PercentileRule | MovingAverageRule) for r in ref.rules)


def reference_prices(
    ref: ReferenceFile,
    store: Path,
    zone: Zone,
    *,
    years: Sequence[int],
    prices: pd.DataFrame | None = None,
    unit_values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the reference price of every rule in every year it applies (USD/t of product).

    Parameters
    ----------
    ref
        The rule file (:func:`load_reference_file`).
    store
        The store: its ``prices`` table (series methods) and BACI flows
        (``non_rival_unit_value``).
    zone
        The zone whose rivals ``non_rival_unit_value`` leaves out.
    years
        The years wanted; a rule gives a row for each year within its
        ``valid_from``/``valid_to``.
    prices, unit_values
        The annual prices (:func:`friendshore.data.queries.annual_prices`) and
        unit values (:func:`friendshore.data.queries.read_unit_values`) if
        already read; read from ``store`` when needed and ``None``.

    Returns
    -------
    pandas.DataFrame
        ``rule`` (index in the file), ``mineral_id, stage, product, year,
        reference_usd_per_t`` (NaN where the series has no value in the
        window), ``method``, ``explanation``.

    Raises
    ------
    DataError
        An unknown price series, a series without a USD per tonne value, or a
        missing or unusable pipeline (file, line, field of the rule named).
    """
    years = sorted({int(y) for y in years})
    if prices is None and _needs_prices(ref):
        prices = annual_prices(store)
    non_rival = [i for i, r in enumerate(ref.rules) if isinstance(r, NonRivalUnitValueRule)]
    if unit_values is None and non_rival:
        codes = sorted({c for i in non_rival for c in ref.codes(i)})
        lo = min(years) - max(
            r.window_years + r.lag_years for r in ref.rules if isinstance(r, NonRivalUnitValueRule)
        )
        unit_values = read_unit_values(store, hs6=codes, years=list(range(lo, max(years) + 1)))
    rows: list[tuple[int, str, str, str, int, float, str, str]] = []
    for i, rule in enumerate(ref.rules):
        wanted = [y for y in years if rule.applies(y)]
        if not wanted:
            continue
        values: list[tuple[int, float, str]]
        if isinstance(rule, FixedRule):
            level = rule.price * PRICE_UNITS[rule.unit] * rule.factor
            text = f"fixed {rule.price:g} {rule.unit}"
            if rule.factor != 1:
                text += f" × {rule.factor:g} t per t of product"
            values = [(y, level, text) for y in wanted]
        elif isinstance(rule, PercentileRule | MovingAverageRule):
            assert prices is not None
            values = _price_reference(ref, i, rule, prices, wanted)
        elif isinstance(rule, NonRivalUnitValueRule):
            assert unit_values is not None
            values = _non_rival_reference(ref, i, rule, unit_values, zone=zone, years=wanted)
        else:
            level, text = _cost_basis_reference(ref, i, rule)
            values = [(y, level, text) for y in wanted]
        for year, level, text in values:
            rows.append((i, rule.mineral, rule.stage, rule.product, year, level, rule.method, text))
    frame = pd.DataFrame(rows, columns=list(REFERENCE_COLUMNS))
    return frame.astype({"rule": "int64", "year": "int64", "reference_usd_per_t": "float64"})


def with_rules(ref: ReferenceFile, rules: Sequence[Any]) -> ReferenceFile:
    """Return a copy of ``ref`` with other rules (validated; the file's lines are dropped)."""
    data = ref.model_dump()
    data["rules"] = [r.model_dump() if isinstance(r, pydantic.BaseModel) else r for r in rules]
    out = ReferenceFile.model_validate(data)
    out._path = ref.path
    out.check()
    return out
