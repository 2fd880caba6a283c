"""A partial-equilibrium market model of a price floor, and of a contract for differences.

One row per mineral × stage × year (the frame of :func:`market_inputs`),
vectorised with numpy over all rows, constant elasticities
(:func:`load_floor_elasticities`, ``floors/elasticities.csv`` by default). Prices
in USD per tonne, quantities in tonnes, money in USD.

**The floor** (:func:`market_effects`). Before the floor, the zone buys at the
market price ``p0`` (the import-weighted landed price of non-member offers):
demand ``D0`` (members' apparent consumption), members' production ``S0``,
imports from rivals ``Mr0`` and from other non-members ``Mo0``. Levies on
non-member imports (members' imports from each other pay nothing) hold the
zone price at ``p_z = max(reference, p0 + λ)``, where ``λ`` is the mean levy
over non-member imports weighted by tonnes: the mean price of non-member
offers after the levy, never below the reference. Where the levy fills exactly
the gap (``λ = reference − p0``) this is ``max(reference, p0)``; per-origin
levies on offers below the mean, or a uniform levy on offers above the lowest,
make it higher. With ``r = p_z / p0``:

* demand ``D1 = D0 · r^ε_d`` (``ε_d < 0``);
* members' supply ``S1 = S0 · r^ε_s + P``, where ``P`` is the capacity of
  pipeline projects viable at the floor but not at the market price (only
  where the floor binds);
* **closure**: the zone is a price-taker abroad (non-member offer prices are
  given; the levy fills the gap) and everything else in the balance (members'
  exports outside the zone, stock changes, the difference of bases between the
  balance and the imports) stays as it was, so the change in demand net of
  supply falls on non-member imports: ``M1 = max(Mr0 + Mo0 + (D1 − D0) −
  (S1 − S0), 0)``. The displaced tonnes ``Δ = M0 − M1`` are shared between
  rivals and others in proportion to ``M_g0 · ε_g`` (each group's export
  supply elasticity to the zone: the first-order share of a common fall in
  their offer price, ``∂M_g = M_g ε_g ∂ln p``); with equal elasticities (the
  default), or both zero, in proportion to their imports. A group never loses
  more than it sold; the rest falls on the other group;
* where members' supply exceeds what the zone takes at the floor (``M1 = 0``
  and ``S1 > D1`` net of the fixed rest), the excess ``surplus_t`` is sold
  outside at ``p0``: a floor held by import levies cannot lift the price of
  exports.

Outputs: ``consumer_cost_usd`` is the loss of consumer surplus, the area under
the demand curve between ``p0`` and ``p_z``: ``∫ D0 (p/p0)^ε_d dp = D0 p0
(r^(1+ε_d) − 1) / (1 + ε_d)`` (``D0 p0 ln r`` at ``ε_d = −1``), i.e. ``(p_z −
p0) · D1`` plus the lost surplus of the demand given up;
``tariff_revenue_usd = levy_rival · Mr1 + levy_other · Mo1``;
``producer_revenue_gain_usd = p_z (S1 − surplus) + p0 · surplus − p0 · S0``;
``china_share_before/after`` = rivals' imports over zone supply (members'
production plus non-member imports). A floor at or below the market price
changes nothing.

**The contract for differences** (:func:`cfd_effects`), as in the US
Department of Defense's 2025 agreement with MP Materials (US$110/kg NdPr oxide
against a market index): the treasury pays ``max(reference − index, 0)`` per
tonne of members' production and, with ``upside_share`` s, receives ``s ·
max(index − reference, 0)`` per tonne; the index is the market price ``p0``.
Consumers keep paying ``p0`` (demand unchanged, consumer cost 0), there is no
levy; producers see ``max(reference, p0)``, so members' supply responds as
under the floor (the upside share is treated as a lump sum, without supply
effect), and the extra output displaces non-member imports by the same closure.

:func:`market_inputs` builds the input rows from the floor's levies (FLOOR
helper, :mod:`friendshore.policy.floors`) and the material balance
(:func:`friendshore.metrics.balance.material_balance`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError, ValidationError
from friendshore.data.catalog import read_minerals
from friendshore.data.documents import read_csv_rows, read_text
from friendshore.data.pipeline_files import read_pipeline_file
from friendshore.data.resources import package_data_dir
from friendshore.metrics.balance import ZONE, material_balance
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone

__all__ = [
    "CFD_COLUMNS",
    "DEFAULT_DISCOUNT_RATE",
    "DEFAULT_LIFETIME_YEARS",
    "EFFECT_COLUMNS",
    "ELASTICITY_COLUMNS",
    "INPUT_COLUMNS",
    "LEVY_COLUMNS",
    "attach_floor_elasticities",
    "cfd_effects",
    "default_floor_elasticities_path",
    "load_floor_elasticities",
    "market_effects",
    "market_inputs",
    "pipeline_unit_costs",
]

#: Real discount rate of the pipeline's unit cost (an assumption, stated in every run).
DEFAULT_DISCOUNT_RATE: Final = 0.08
#: Economic life (years) over which a project's capex is annualised (an assumption).
DEFAULT_LIFETIME_YEARS: Final = 20

#: Columns of an elasticities file, in order.
ELASTICITY_COLUMNS: Final = (
    "mineral_id",
    "stage",
    "demand_elasticity",
    "supply_elasticity_member",
    "supply_elasticity_rival",
    "supply_elasticity_other",
    "source",
)
_VALUES: Final = ELASTICITY_COLUMNS[2:6]
_STAGES: Final = frozenset({"mining", "refining", "processing", "components", "*"})

#: Columns of the levies frame :func:`market_inputs` reads (the FLOOR helper's ``levies``).
LEVY_COLUMNS: Final = (
    "member",
    "mineral_id",
    "stage",
    "origin",
    "origin_group",
    "year",
    "reference_usd_per_t",
    "landed_usd_per_t",
    "levy_usd_per_t",
    "import_t",
)

_KEYS: Final = ["mineral_id", "stage", "year"]

#: Columns of :func:`market_inputs` (and what :func:`market_effects` needs), in order.
INPUT_COLUMNS: Final = (
    *_KEYS,
    "reference_usd_per_t",
    "market_usd_per_t",
    "zone_demand_t",
    "zone_production_t",
    "imports_member_t",
    "imports_rival_t",
    "imports_other_t",
    "levy_rival_usd_per_t",
    "levy_other_usd_per_t",
    "pipeline_viable_t",
)
_REQUIRED: Final = tuple(c for c in INPUT_COLUMNS if c not in _KEYS)

#: Columns :func:`market_effects` adds.
EFFECT_COLUMNS: Final = (
    "binding",
    "zone_price_usd_per_t",
    "demand_after_t",
    "production_after_t",
    "pipeline_added_t",
    "surplus_t",
    "imports_rival_after_t",
    "imports_other_after_t",
    "imports_displaced_rival_t",
    "imports_displaced_other_t",
    "consumer_cost_usd",
    "tariff_revenue_usd",
    "producer_revenue_gain_usd",
    "china_share_before",
    "china_share_after",
)

#: Columns :func:`cfd_effects` adds.
CFD_COLUMNS: Final = (
    "binding",
    "zone_price_usd_per_t",
    "producer_price_usd_per_t",
    "demand_after_t",
    "production_after_t",
    "pipeline_added_t",
    "imports_rival_after_t",
    "imports_other_after_t",
    "imports_displaced_rival_t",
    "imports_displaced_other_t",
    "consumer_cost_usd",
    "tariff_revenue_usd",
    "fiscal_cost_usd",
    "producer_revenue_gain_usd",
    "china_share_before",
    "china_share_after",
)

_NO_PRICE = "no market price (no priced non-member imports): effects not computed"
_NO_BALANCE = "no material balance for members: effects not computed"
_PRODUCT_BASIS = (
    "no content factor for an HS code of the rule: the balance's tonnes (its basis) are set "
    "against imports in tonnes of the traded product without conversion"
)
_SUPPLY_SIDE = (
    "supply side: members' production plus non-member imports, at least the balance's "
    "lower bound (a member's apparent consumption has no upper bound)"
)


# --- elasticities -------------------------------------------------------------------------


def default_floor_elasticities_path() -> Path:
    """Return the shipped default elasticities of the floor model (``floors/elasticities.csv``)."""
    return package_data_dir() / "floors" / "elasticities.csv"


def _number(text: str, *, path: Path, line: int, field: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise DataError(f"not a number: {text!r}", file=path, line=line, field=field) from None
    if not math.isfinite(value):
        raise DataError(f"must be a finite number, not {text!r}", file=path, line=line, field=field)
    return value


def load_floor_elasticities(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the elasticities of the floor market model (unitless).

    Parameters
    ----------
    path
        A CSV with columns :data:`ELASTICITY_COLUMNS` (lines starting with ``#``
        are comments); ``*`` stands for any mineral or stage. Defaults to the
        shipped ``floors/elasticities.csv``, which documents a source for every
        row. It must have a ``*,*`` row.

    Returns
    -------
    pandas.DataFrame
        ``mineral_id, stage, demand_elasticity, supply_elasticity_member,
        supply_elasticity_rival, supply_elasticity_other, source, file, line``.

    Raises
    ------
    DataError
        Naming file, line and field: a demand elasticity not < 0, a supply
        elasticity < 0, a value that is not a finite number, an unknown mineral
        or stage, an empty source, a duplicate key, or no ``*,*`` row.
    """
    source_path = Path(path) if path is not None else default_floor_elasticities_path()
    text = read_text(source_path, what="elasticities", encoding="utf-8-sig")
    table = read_csv_rows(
        source_path, text, required=ELASTICITY_COLUMNS, comments=True, what="elasticities"
    )
    if not table.rows:
        raise DataError("no rows after the header", file=source_path, field="mineral_id")
    known = set(read_minerals()["mineral_id"].astype(str))
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        mineral, stage = row["mineral_id"].strip(), row["stage"].strip().lower()
        if mineral != "*" and mineral not in known:
            raise DataError(
                f"unknown mineral {mineral!r}: not in the mineral catalog, nor '*'",
                file=source_path,
                line=line,
                field="mineral_id",
            )
        if stage not in _STAGES:
            raise DataError(
                f"unknown stage {stage!r}: use one of {', '.join(sorted(_STAGES))}",
                file=source_path,
                line=line,
                field="stage",
            )
        values = {
            name: _number(row[name], path=source_path, line=line, field=name) for name in _VALUES
        }
        if not values["demand_elasticity"] < 0:
            raise DataError(
                "the demand elasticity must be < 0 (e.g. -0.3)",
                file=source_path,
                line=line,
                field="demand_elasticity",
            )
        for name in _VALUES[1:]:
            if values[name] < 0:
                raise DataError(
                    "a supply elasticity must be >= 0",
                    file=source_path,
                    line=line,
                    field=name,
                )
        if not row["source"].strip():
            raise DataError(
                "every row needs a source (say ASSUMPTION where it is one)",
                file=source_path,
                line=line,
                field="source",
            )
        key = (mineral, stage)
        if key in seen:
            raise DataError(
                f"duplicate row {mineral},{stage} (first at line {seen[key]})",
                file=source_path,
                line=line,
                field="stage",
            )
        seen[key] = line
        out.append(
            {
                "mineral_id": mineral,
                "stage": stage,
                **values,
                "source": row["source"].strip(),
                "file": str(source_path),
                "line": line,
            }
        )
    if ("*", "*") not in seen:
        raise DataError(
            "an elasticities file needs a default row with mineral_id '*' and stage '*'",
            file=source_path,
            line=table.lines[0],
            field="mineral_id",
        )
    return pd.DataFrame(out)


def attach_floor_elasticities(inputs: pd.DataFrame, elasticities: pd.DataFrame) -> pd.DataFrame:
    """Return ``inputs`` with the elasticities of each mineral × stage (unitless).

    The most specific row wins: (mineral, stage), then (mineral, ``*``), then
    (``*``, stage), then (``*``, ``*``). Adds :data:`ELASTICITY_COLUMNS`' values
    and ``elasticity_source``.
    """
    out = inputs.reset_index(drop=True)
    n = len(out)
    found = {c: np.full(n, np.nan) for c in _VALUES}
    source = np.full(n, "", dtype=object)
    filled = np.zeros(n, dtype=bool)
    minerals = out["mineral_id"].astype(str).to_numpy()
    stages = out["stage"].astype(str).to_numpy()
    table = {
        (str(m), str(s)): i
        for i, (m, s) in enumerate(
            zip(elasticities["mineral_id"], elasticities["stage"], strict=True)
        )
    }
    values = {c: elasticities[c].to_numpy(dtype="float64") for c in _VALUES}
    sources = elasticities["source"].astype(str).to_numpy()
    for use_mineral, use_stage in ((True, True), (True, False), (False, True), (False, False)):
        keys = zip(
            minerals if use_mineral else ["*"] * n,
            stages if use_stage else ["*"] * n,
            strict=True,
        )
        hit = np.array([table.get(k, -1) for k in keys], dtype=np.int64)
        take = ~filled & (hit >= 0)
        if not take.any():
            continue
        for c in _VALUES:
            found[c][take] = values[c][hit[take]]
        source[take] = sources[hit[take]]
        filled |= take
    for c in _VALUES:
        out[c] = found[c]
    out["elasticity_source"] = source
    return out


# --- inputs from the levies and the balance --------------------------------------------------


def _balance_stage(stage: pd.Series) -> pd.Series:
    """The balance's stage of a price stage: refined material is the processing stage."""
    return stage.astype(str).replace({"refining": "processing"})


def _point_or_mid(
    frame: pd.DataFrame, point: str, low: str, high: str
) -> tuple[pd.Series, pd.Series]:
    """The point value, else the midpoint of finite bounds, else the lower bound; and how."""
    p, lo, hi = frame[point], frame[low], frame[high]
    mid = (lo + hi) / 2.0
    value = p.where(p.notna(), mid.where(lo.notna() & hi.notna(), lo))
    how = pd.Series(
        np.select(
            [p.notna(), lo.notna() & hi.notna(), lo.notna()],
            ["point", "midpoint", "lower bound"],
            default="none",
        ),
        index=frame.index,
    )
    return value, how


def _member_totals(balance: pd.DataFrame) -> pd.DataFrame:
    """Per mineral × stage × year: members' demand and production (t) and how each was taken."""
    rows = balance[balance["member"] != ZONE].copy()
    rows["_demand"], rows["_demand_how"] = _point_or_mid(
        rows,
        "apparent_consumption_t",
        "apparent_consumption_min_t",
        "apparent_consumption_max_t",
    )
    rows["_production"], rows["_production_how"] = _point_or_mid(
        rows, "production_t", "production_min_t", "production_max_t"
    )
    rows["_negative"] = rows["_demand"] < 0
    rows["_demand"] = rows["_demand"].clip(lower=0.0)

    def how(kind: str) -> pd.Series:
        col = f"_{kind}_how"
        taken = rows[rows[col] != "point"]
        text = taken[col] + " for " + taken["member"].astype(str)
        return text.groupby([taken[k] for k in _KEYS]).agg("; ".join).rename(f"{kind}_basis")

    rows["_unbounded"] = rows["_demand_how"].isin(["lower bound", "none"])
    per = rows.groupby(_KEYS).agg(
        zone_demand_t=("_demand", lambda s: s.sum(min_count=1)),
        zone_production_t=("_production", lambda s: s.sum(min_count=1)),
        members_negative=("_negative", "sum"),
        members_unbounded=("_unbounded", "sum"),
    )
    per = per.join(how("demand")).join(how("production"))
    return per.reset_index()


def _weighted(
    frame: pd.DataFrame, value: str, weight: pd.Series, mask: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Per key: Σ value·weight and Σ weight over the rows of ``mask`` with a value."""
    ok = mask & frame[value].notna()
    w = weight.where(ok, 0.0)
    keys = [frame[k] for k in _KEYS]
    num = (frame[value].fillna(0.0) * w).groupby(keys).sum()
    den = w.groupby(keys).sum()
    return num, den


def pipeline_unit_costs(
    pipeline: Path,
    zone: Zone,
    *,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    lifetime_years: int = DEFAULT_LIFETIME_YEARS,
) -> pd.DataFrame:
    """Unit cost (USD/t) of each project of a pipeline file located in a zone member.

    ``unit_cost = (capex · CRF + opex) / capacity`` with the capital recovery
    factor ``CRF = r / (1 − (1 + r)^−n)`` (``r`` the real discount rate, ``n``
    the economic life in years). A recycling plant adds to the processing stage.

    Returns
    -------
    pandas.DataFrame
        ``id, country, mineral_id, stage, capacity_t, unit_cost_usd_per_t``.

    Raises
    ------
    DataError
        If the file cannot be read, or a capacity, capex or opex is not a
        number (capacity must be > 0): naming file, line and field.
    """
    if not 0 < discount_rate < 1:
        raise ValidationError(f"the discount rate must lie in (0, 1), not {discount_rate}")
    if lifetime_years < 1:
        raise ValidationError(f"the economic life must be >= 1 year, not {lifetime_years}")
    doc = read_pipeline_file(pipeline)
    crf = discount_rate / (1.0 - (1.0 + discount_rate) ** -lifetime_years)
    inside = {str(c) for c in zone.countries}
    rows: list[dict[str, Any]] = []
    for i, project in enumerate(doc.data["projects"]):
        numbers: dict[str, float] = {}
        for name in ("capacity_t_per_year", "capex_usd", "opex_usd_per_year"):
            raw = project.get(name)
            line = doc.lines.get(("projects", i, name), doc.lines.get(("projects", i)))
            try:
                numbers[name] = float(raw)
            except (TypeError, ValueError):
                raise DataError(
                    f"not a number: {raw!r}", file=doc.path, line=line, field=name
                ) from None
            if not math.isfinite(numbers[name]) or numbers[name] < 0:
                raise DataError(
                    "must be a finite number >= 0", file=doc.path, line=line, field=name
                )
        if numbers["capacity_t_per_year"] <= 0:
            raise DataError(
                "the capacity must be > 0",
                file=doc.path,
                line=doc.lines.get(("projects", i, "capacity_t_per_year")),
                field="capacity_t_per_year",
            )
        country = str(project.get("country") or "").upper()
        if country not in inside:
            continue
        stage = str(project.get("stage") or "").lower()
        rows.append(
            {
                "id": str(project.get("id")),
                "country": country,
                "mineral_id": str(project.get("mineral")),
                "stage": "processing" if stage == "recycling" else stage,
                "capacity_t": numbers["capacity_t_per_year"],
                "unit_cost_usd_per_t": (numbers["capex_usd"] * crf + numbers["opex_usd_per_year"])
                / numbers["capacity_t_per_year"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=["id", "country", "mineral_id", "stage", "capacity_t", "unit_cost_usd_per_t"],
    )


def _pipeline_capacity(
    inputs: pd.DataFrame, costs: pd.DataFrame, price: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Capacity (t) of the projects of each row's mineral × stage costing at most ``price``."""
    out = np.zeros(len(inputs))
    if costs.empty:
        return out
    rows = inputs[["mineral_id", "stage", price]].reset_index(drop=True)
    rows["_row"] = np.arange(len(rows))
    rows["stage"] = _balance_stage(rows["stage"])
    merged = rows.merge(costs, on=["mineral_id", "stage"])
    ok = merged["unit_cost_usd_per_t"] <= merged[price]
    sums = merged["capacity_t"].where(ok, 0.0).groupby(merged["_row"]).sum()
    out[sums.index.to_numpy()] = sums.to_numpy()
    return out


def market_inputs(
    levies: pd.DataFrame,
    store: Path,
    zone: Zone,
    *,
    years: Sequence[int],
    pipeline: Path | None = None,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    lifetime_years: int = DEFAULT_LIFETIME_YEARS,
) -> pd.DataFrame:
    """Inputs of the market model: one row per mineral × stage × year of the levies.

    Parameters
    ----------
    levies
        The floor's levies (:attr:`friendshore.policy.floors.FloorResult.levies`),
        at least :data:`LEVY_COLUMNS`: one row per member × mineral × stage ×
        product × origin × year, ``origin_group`` member, rival or other,
        ``import_t`` the tonnes imported.
    store
        The store the material balance is read from.
    zone
        The zone (its members' balance; pipeline projects must lie in it).
    years
        The years to keep.
    pipeline
        A pipeline file (``.csv``/``.yaml``, the ``invest`` format); its
        projects in member countries count where their unit cost (annualised
        capex plus opex per tonne of capacity, :func:`pipeline_unit_costs`) is
        at or below the reference price.
    discount_rate, lifetime_years
        Real discount rate and economic life of the annualised capex
        (defaults :data:`DEFAULT_DISCOUNT_RATE`, 8%, and
        :data:`DEFAULT_LIFETIME_YEARS`, 20 years: assumptions).

    Returns
    -------
    pandas.DataFrame
        :data:`INPUT_COLUMNS` plus ``pipeline_viable_market_t`` (capacity
        already viable at the market price), ``demand_basis`` and
        ``production_basis`` (members whose figure is not a point: the midpoint
        of the balance's bounds, or the lower bound where there is no upper
        one), and ``note``:

        * ``zone_demand_t``: the sum of members' apparent consumption (t,
          the balance's basis), negative figures counted as 0;
        * ``zone_production_t``: the sum of members' production;
        * ``imports_<group>_t``: the levies' ``import_t`` by origin group;
          every tonne and price is of the traded product, as the levies: the
          balance's tonnes (demand, production, pipeline) are divided by the
          content ratio ``r`` = Σ ``import_content_t`` / Σ ``import_t`` of the
          row (HS content factors); where a code has no factor the balance's
          tonnes are taken as they are and ``note`` says so;
        * ``levy_<group>_usd_per_t``: mean levy on the group, weighted by tonnes;
        * ``market_usd_per_t``: landed price of non-member offers, weighted by
          tonnes (NaN without priced non-member imports);
        * ``reference_usd_per_t``: the reference, weighted by non-member tonnes
          (the plain mean where there are none).

    Raises
    ------
    ValidationError
        If ``levies`` lacks a column of :data:`LEVY_COLUMNS` or has an unknown
        origin group.
    DataError
        If the pipeline file is malformed.
    """
    missing = [c for c in LEVY_COLUMNS if c not in levies.columns]
    if missing:
        raise ValidationError(f"the levies frame lacks column(s) {', '.join(missing)}")
    groups = set(levies["origin_group"].dropna().astype(str))
    if groups - {"member", "rival", "other"}:
        raise ValidationError(
            f"unknown origin group(s) {sorted(groups - {'member', 'rival', 'other'})}: "
            "use member, rival or other"
        )
    wanted = {int(y) for y in years}
    lv = levies[levies["year"].astype(int).isin(wanted)].reset_index(drop=True)
    lv = lv.assign(year=lv["year"].astype(int), stage=lv["stage"].astype(str))
    # levies count tonnes of the traded product, the balance tonnes of its basis (contained
    # metal …): the balance's quantities are put on the product's basis through the HS content
    # factors (product t = basis t ÷ r, r = Σ content t / Σ product t of the row's imports);
    # a row whose codes have no content factor takes the balance's tonnes as they are (noted)
    product_t = pd.to_numeric(lv["import_t"], errors="coerce").fillna(0.0).clip(lower=0.0)
    content_t = pd.to_numeric(
        lv["import_content_t"] if "import_content_t" in lv.columns else pd.Series(np.nan, lv.index),
        errors="coerce",
    )
    has_content = content_t.notna() & (content_t > 0) & (product_t > 0)
    lv = lv.assign(
        _content_t=content_t.where(has_content, 0.0),
        _content_product_t=product_t.where(has_content, 0.0),
        _product_basis=~has_content & (product_t > 0),
    )
    tonnes = product_t
    group = lv["origin_group"].astype(str)
    outside = group.isin(["rival", "other"])
    keys = [lv[k] for k in _KEYS]
    out = pd.DataFrame(index=lv.groupby(keys).size().index)
    for g in ("member", "rival", "other"):
        out[f"imports_{g}_t"] = tonnes.where(group == g, 0.0).groupby(keys).sum()
    for g in ("rival", "other"):
        num, den = _weighted(lv, "levy_usd_per_t", tonnes, group == g)
        out[f"levy_{g}_usd_per_t"] = (num / den.where(den > 0)).fillna(0.0)
    num, den = _weighted(lv, "landed_usd_per_t", tonnes, outside)
    out["market_usd_per_t"] = num / den.where(den > 0)
    num, den = _weighted(lv, "reference_usd_per_t", tonnes, outside)
    plain = lv["reference_usd_per_t"].groupby(keys).mean()
    out["reference_usd_per_t"] = (num / den.where(den > 0)).fillna(plain)
    out["_product_basis"] = lv["_product_basis"].groupby(keys).any()
    content_sum = lv["_content_product_t"].groupby(keys).sum()
    out["_ratio"] = (
        lv["_content_t"].groupby(keys).sum() / content_sum.where(content_sum > 0)
    ).fillna(1.0)
    out = out.reset_index()

    totals = _zone_totals(store, zone)
    totals = totals[totals["year"].isin(wanted)]
    out["_bstage"] = _balance_stage(out["stage"])
    out = out.merge(
        totals.rename(columns={"stage": "_bstage"}),
        on=["mineral_id", "_bstage", "year"],
        how="left",
    ).drop(columns="_bstage")
    for column in ("zone_demand_t", "zone_production_t"):
        out[column] = out[column] / out["_ratio"]

    # where a member's consumption has no upper bound, the balance only bounds the zone's
    # demand from below: take the supply side (production plus non-member imports) instead
    unbounded = out["members_unbounded"].fillna(0).astype(int) > 0
    supply_side = (
        out["zone_production_t"].fillna(0.0) + out["imports_rival_t"] + out["imports_other_t"]
    )
    fallback = unbounded | out["zone_demand_t"].isna()
    out["zone_demand_t"] = out["zone_demand_t"].where(
        ~fallback, np.fmax(out["zone_demand_t"].to_numpy(dtype="float64"), supply_side)
    )
    out["demand_basis"] = (
        out["demand_basis"]
        .astype(object)
        .where(~fallback, _SUPPLY_SIDE + ("; " + out["demand_basis"].astype(object)).fillna(""))
    )

    if pipeline is not None:
        costs = pipeline_unit_costs(
            pipeline, zone, discount_rate=discount_rate, lifetime_years=lifetime_years
        )
        # project costs and capacities are on the balance's basis
        basis = out.assign(
            _reference=out["reference_usd_per_t"] / out["_ratio"],
            _market=out["market_usd_per_t"] / out["_ratio"],
        )
        out["pipeline_viable_t"] = _pipeline_capacity(basis, costs, "_reference") / out["_ratio"]
        out["pipeline_viable_market_t"] = (
            _pipeline_capacity(basis, costs, "_market") / out["_ratio"]
        )
    else:
        out["pipeline_viable_t"] = 0.0
        out["pipeline_viable_market_t"] = 0.0

    notes = pd.Series("", index=out.index, dtype=object)
    notes = notes.mask(out["zone_production_t"].isna(), _NO_BALANCE)
    negative = out["members_negative"].fillna(0).astype(int)
    notes = notes.mask(
        (negative > 0) & notes.eq(""),
        "a member's apparent consumption is negative in the balance (inconsistent sources): "
        "counted as 0",
    )
    notes = notes.mask(
        out["_product_basis"] & notes.eq(""),
        _PRODUCT_BASIS,
    )
    out["note"] = notes.where(notes != "", None)
    columns = [
        *INPUT_COLUMNS,
        "pipeline_viable_market_t",
        "demand_basis",
        "production_basis",
        "note",
    ]
    return out[columns].sort_values(_KEYS, ignore_index=True)


#: One entry: the members' balance totals of the last store × zone (the dashboard's slider
#: reruns the floor on the same store and zone).
_totals_cache: dict[tuple[Any, ...], pd.DataFrame] = {}


def _zone_totals(store: Path, zone: Zone) -> pd.DataFrame:
    """Members' balance totals per mineral × stage × year, cached by store file and zone."""
    path = Path(store).resolve()
    stat = path.stat()
    members = tuple(sorted((m, tuple(sorted(cs))) for m, cs in zone.members.items()))
    key = (str(path), stat.st_mtime_ns, stat.st_size, members, tuple(sorted(zone.rivals)))
    hit = _totals_cache.get(key)
    if hit is None:
        network = SupplyNetwork.from_store(store)
        us = (
            us_balance_of(network.salient)
            if "USA" in zone.members and not network.salient.empty
            else None
        )
        hit = _member_totals(material_balance(network, zone, us=us))
        _totals_cache.clear()
        _totals_cache[key] = hit
    return hit


# --- the model ----------------------------------------------------------------------------


def _check_inputs(inputs: pd.DataFrame) -> None:
    missing = [c for c in (*_KEYS, *_REQUIRED) if c not in inputs.columns]
    if missing:
        raise ValidationError(f"the market inputs lack column(s) {', '.join(missing)}")


def _col(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray[Any, Any]:
    if name not in frame.columns:
        return np.full(len(frame), default)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")


def _response(
    inputs: pd.DataFrame, elasticities: pd.DataFrame, *, consumers_pay: bool
) -> tuple[pd.DataFrame, dict[str, np.ndarray[Any, Any]]]:
    """The common supply response; the demand response where consumers pay the floor."""
    _check_inputs(inputs)
    out = attach_floor_elasticities(inputs, elasticities)
    ref = _col(out, "reference_usd_per_t")
    p0 = _col(out, "market_usd_per_t")
    d0 = _col(out, "zone_demand_t")
    s0 = _col(out, "zone_production_t")
    mr0 = np.nan_to_num(_col(out, "imports_rival_t")).clip(min=0.0)
    mo0 = np.nan_to_num(_col(out, "imports_other_t")).clip(min=0.0)
    eps_d = out["demand_elasticity"].to_numpy(dtype="float64")
    eps_s = out["supply_elasticity_member"].to_numpy(dtype="float64")
    eps_r = out["supply_elasticity_rival"].to_numpy(dtype="float64")
    eps_o = out["supply_elasticity_other"].to_numpy(dtype="float64")
    priced = np.isfinite(p0) & (p0 > 0) & np.isfinite(ref)
    m0 = mr0 + mo0
    if consumers_pay:
        # the levies' mean over non-member imports: what the offers cost after the levy
        levy = (
            np.nan_to_num(_col(out, "levy_rival_usd_per_t")) * mr0
            + np.nan_to_num(_col(out, "levy_other_usd_per_t")) * mo0
        )
        mean_levy = np.divide(levy, m0, out=np.zeros_like(m0), where=m0 > 0)
        target = np.fmax(ref, p0 + mean_levy)
    else:
        target = np.fmax(ref, p0)
    binding = priced & (target > p0)
    price = np.where(binding, target, p0)  # the price producers (under a floor, all) see
    ratio = np.where(priced, price / np.where(priced, p0, 1.0), np.nan)
    viable = np.nan_to_num(_col(out, "pipeline_viable_t"))
    already = np.nan_to_num(_col(out, "pipeline_viable_market_t"))
    added = np.where(binding, np.clip(viable - already, 0.0, None), 0.0)
    d1 = d0 * ratio**eps_d if consumers_pay else d0 * np.where(priced, 1.0, np.nan)
    s1 = s0 * ratio**eps_s + added
    need = m0 + (d1 - d0) - (s1 - s0)
    surplus = np.clip(-need, 0.0, None)
    m1 = np.clip(need, 0.0, None)
    moved = np.clip(m0 - m1, 0.0, None)
    wr, wo = mr0 * eps_r, mo0 * eps_o
    degenerate = (wr + wo) <= 0
    wr, wo = np.where(degenerate, mr0, wr), np.where(degenerate, mo0, wo)
    total_w = wr + wo
    share_r = np.divide(wr, total_w, out=np.zeros_like(wr), where=total_w > 0)
    dr = np.minimum(moved * share_r, mr0)
    do = np.minimum(moved - dr, mo0)
    dr = np.minimum(moved - do, mr0)
    mr1, mo1 = mr0 - dr, mo0 - do
    supply0 = s0 + m0
    supply1 = s1 + m1
    share0 = np.divide(mr0, supply0, out=np.full_like(mr0, np.nan), where=supply0 > 0)
    share1 = np.divide(mr1, supply1, out=np.full_like(mr1, np.nan), where=supply1 > 0)
    ok = priced & np.isfinite(d0) & np.isfinite(s0)
    values = {
        "binding": binding,
        "ref": ref,
        "p0": p0,
        "price": price,
        "ratio": ratio,
        "d0": d0,
        "d1": d1,
        "s0": s0,
        "s1": s1,
        "eps_d": eps_d,
        "added": added,
        "surplus": surplus,
        "mr0": mr0,
        "mo0": mo0,
        "mr1": mr1,
        "mo1": mo1,
        "dr": dr,
        "do": do,
        "share0": share0,
        "share1": share1,
        "ok": ok,
    }
    notes = np.full(len(out), None, dtype=object)
    notes[~priced] = _NO_PRICE
    notes[priced & ~ok] = _NO_BALANCE
    previous = out["note"] if "note" in out.columns else pd.Series(None, index=out.index)
    keep = previous.notna().to_numpy() & pd.isna(notes)
    notes[keep] = previous.to_numpy()[keep]
    out["note"] = notes
    return out, values


def _masked(values: np.ndarray[Any, Any], ok: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.where(ok, values, np.nan)


def market_effects(inputs: pd.DataFrame, *, elasticities: pd.DataFrame) -> pd.DataFrame:
    """Effects of a floor held by levies on non-member imports, per row (USD, t).

    Parameters
    ----------
    inputs
        One row per mineral × stage × year with :data:`INPUT_COLUMNS`
        (:func:`market_inputs`); optional ``pipeline_viable_market_t``
        (capacity already viable at the market price: not an effect of the floor).
    elasticities
        :func:`load_floor_elasticities`.

    Returns
    -------
    pandas.DataFrame
        ``inputs`` with the elasticities used (and ``elasticity_source``) and
        :data:`EFFECT_COLUMNS` (the equations and the closure are in the module
        docstring). Rows without a market price or a balance have NaN effects and
        a ``note`` saying why. A floor at or below the market price changes
        nothing: same quantities, zero cost, zero revenue where the levies are zero.

    Raises
    ------
    ValidationError
        If ``inputs`` lacks a column.

    Examples
    --------
    >>> el = pd.DataFrame([{"mineral_id": "*", "stage": "*", "demand_elasticity": -1.0,
    ...     "supply_elasticity_member": 0.0, "supply_elasticity_rival": 1.0,
    ...     "supply_elasticity_other": 1.0, "source": "example"}])
    >>> row = pd.DataFrame([{"mineral_id": "nickel", "stage": "mining", "year": 2022,
    ...     "reference_usd_per_t": 120.0, "market_usd_per_t": 100.0, "zone_demand_t": 10.0,
    ...     "zone_production_t": 4.0, "imports_member_t": 0.0, "imports_rival_t": 3.0,
    ...     "imports_other_t": 3.0, "levy_rival_usd_per_t": 20.0,
    ...     "levy_other_usd_per_t": 20.0, "pipeline_viable_t": 0.0}])
    >>> out = market_effects(row, elasticities=el)
    >>> round(float(out["demand_after_t"][0]), 4), round(float(out["imports_rival_after_t"][0]), 4)
    (8.3333, 2.1667)
    """
    out, v = _response(inputs, elasticities, consumers_pay=True)
    ok = v["ok"]
    eps_d, ratio, p0, d0 = v["eps_d"], v["ratio"], v["p0"], v["d0"]
    unit = np.isclose(eps_d, -1.0)
    exponent = np.where(unit, 1.0, 1.0 + eps_d)
    cs = np.where(
        unit,
        d0 * p0 * np.log(np.where(ok, ratio, 1.0)),
        d0 * p0 * (np.where(ok, ratio, 1.0) ** exponent - 1.0) / exponent,
    )
    levy_r = np.nan_to_num(_col(out, "levy_rival_usd_per_t"))
    levy_o = np.nan_to_num(_col(out, "levy_other_usd_per_t"))
    sold_inside = v["s1"] - v["surplus"]
    out["binding"] = v["binding"]
    out["zone_price_usd_per_t"] = np.where(np.isfinite(v["p0"]), v["price"], np.nan)
    out["demand_after_t"] = _masked(v["d1"], ok)
    out["production_after_t"] = _masked(v["s1"], ok)
    out["pipeline_added_t"] = _masked(v["added"], ok)
    out["surplus_t"] = _masked(v["surplus"], ok)
    out["imports_rival_after_t"] = _masked(v["mr1"], ok)
    out["imports_other_after_t"] = _masked(v["mo1"], ok)
    out["imports_displaced_rival_t"] = _masked(v["dr"], ok)
    out["imports_displaced_other_t"] = _masked(v["do"], ok)
    out["consumer_cost_usd"] = _masked(cs, ok)
    out["tariff_revenue_usd"] = _masked(levy_r * v["mr1"] + levy_o * v["mo1"], ok)
    out["producer_revenue_gain_usd"] = _masked(
        v["price"] * sold_inside + p0 * v["surplus"] - p0 * v["s0"], ok
    )
    out["china_share_before"] = _masked(v["share0"], ok)
    out["china_share_after"] = _masked(v["share1"], ok)
    return out


def cfd_effects(
    inputs: pd.DataFrame, *, elasticities: pd.DataFrame, upside_share: float = 0.0
) -> pd.DataFrame:
    """Effects of a contract for differences on members' production, per row (USD, t).

    The treasury pays ``max(reference − index, 0)`` per tonne of members'
    production after the supply response, and receives ``upside_share ·
    max(index − reference, 0)`` per tonne; the index is ``market_usd_per_t``.

    Parameters
    ----------
    inputs
        As for :func:`market_effects` (the levies are not used).
    elasticities
        :func:`load_floor_elasticities`.
    upside_share
        Share of the index's excess over the reference paid back to the
        treasury, in [0, 1].

    Returns
    -------
    pandas.DataFrame
        ``inputs`` with the elasticities and :data:`CFD_COLUMNS`:
        ``fiscal_cost_usd`` (negative where the treasury receives more than it
        pays), ``consumer_cost_usd = 0``, ``tariff_revenue_usd = 0``, the
        supply response of the floor (demand unchanged: consumers pay the index).

    Raises
    ------
    ValidationError
        If ``upside_share`` lies outside [0, 1] or ``inputs`` lacks a column.
    """
    if not 0.0 <= upside_share <= 1.0:
        raise ValidationError(f"the upside share must lie in [0, 1], not {upside_share}")
    out, v = _response(inputs, elasticities, consumers_pay=False)
    ok = v["ok"]
    ref, p0, s1 = v["ref"], v["p0"], v["s1"]
    per_t = np.clip(ref - p0, 0.0, None) - upside_share * np.clip(p0 - ref, 0.0, None)
    fiscal = per_t * s1
    out["binding"] = v["binding"]
    out["zone_price_usd_per_t"] = p0
    out["producer_price_usd_per_t"] = np.where(np.isfinite(p0), v["price"], np.nan)
    out["demand_after_t"] = _masked(v["d1"], ok)
    out["production_after_t"] = _masked(s1, ok)
    out["pipeline_added_t"] = _masked(v["added"], ok)
    out["imports_rival_after_t"] = _masked(v["mr1"], ok)
    out["imports_other_after_t"] = _masked(v["mo1"], ok)
    out["imports_displaced_rival_t"] = _masked(v["dr"], ok)
    out["imports_displaced_other_t"] = _masked(v["do"], ok)
    out["consumer_cost_usd"] = _masked(np.zeros(len(out)), ok)
    out["tariff_revenue_usd"] = _masked(np.zeros(len(out)), ok)
    out["fiscal_cost_usd"] = _masked(fiscal, ok)
    out["producer_revenue_gain_usd"] = _masked(p0 * s1 + fiscal - p0 * v["s0"], ok)
    out["china_share_before"] = _masked(v["share0"], ok)
    out["china_share_after"] = _masked(v["share1"], ok)
    return out
