"""Structural gravity general equilibrium: baseline → experiment → simulate → results.

The one-sector endowment model of Yotov, Piermartini, Monteiro and Larch (2016),
*An Advanced Guide to Trade Policy Analysis: The Structural Gravity Model*
(WTO/UNCTAD), chapter 2, in the formulation of ``gegravity`` 0.3's
``OneSectorGE`` (USITC), whose results it reproduces.

Notation (``N`` countries, exporter ``i``, importer ``j``):

- ``T_ij = t_ij^{1−σ} = exp(Σ_k β_k x^k_ij)``: trade costs from the estimated
  coefficients (a ``constant`` coefficient multiplies every pair);
- ``y_i = Y_i / Σ Y``, ``e_j = E_j / Σ E``: output and expenditure shares;
- ``a_j = 1 / P_j^{1−σ}`` and ``b_i = 1 / Π_i^{1−σ}``: inverse inward and
  outward multilateral resistances (MRs) in ``1−σ`` powers; ``P_ref = 1``
  for the reference importer.

Equations (residuals, :func:`mr_residuals` and :func:`price_residuals`):

- inward MR: ``1 − a_j Σ_i T_ij y_i b_i = 0`` for ``j ≠ ref``;
- outward MR: ``1 − b_i Σ_j T_ij e_j a_j = 0`` for every ``i``;
- factory-gate prices (market clearing): ``1 − y_i b'_i / (β_i p_i^{1−σ}) = 0``
  with ``β_i = y_i b_i`` calibrated in the baseline.

``formulation="gegravity"`` (default) solves the counterfactual MRs with the
baseline output and expenditure shares, as gegravity 0.3 does, so that
``p_i = Π'_i⁻¹ Π_i``. ``formulation="endogenous"`` updates ``Y'_i = p_i Y_i``
and ``E'_j = φ_j Y'_j`` (``φ = E/Y``, Larch and Yotov 2016, eq. 30, as gegravity
cites it) inside the MR system until the prices converge (the full endowment
GE of Yotov et al. 2016, ch. 2).

The MR system is solved by a Sinkhorn-type fixed point (alternating the two MR
equations) and polished by Newton steps with the analytic Jacobian in logs:
vectorised numpy, no Python loop over countries.

A **tariff schedule** (:mod:`friendshore.policy.schedule`, the format ``tariff
smart`` reads) enters the one-sector model through :func:`schedule_pair_shifts`:
per importer × exporter pair, the trade-weighted mean tariff factor over the HS6
codes of the minerals panel, before and after, gives the pair's cost shift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from friendshore._core.errors import InputError, ValidationError
from friendshore._core.records import frame_records
from friendshore._core.types import ISO3
from friendshore.data.queries import read_mineral_trade
from friendshore.model.zone import Zone
from friendshore.policy.panel import PANEL_NOMENCLATURE
from friendshore.policy.schedule import ResolvedRate, TariffSchedule
from friendshore.scenarios.montecarlo import chunk_seeds

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_PREFERENCE",
    "DRAW_MEASURES",
    "NON_COST",
    "PAIR_SHIFT_COLUMNS",
    "RESULT_COLUMNS",
    "SCHEDULE_AGGREGATION",
    "GEBaseline",
    "GEDrawModel",
    "GEResult",
    "GEUncertainty",
    "ScheduleRun",
    "ZoneRun",
    "apply_pair_shifts",
    "build_baseline",
    "cost_matrix",
    "cost_variables",
    "ge_payload",
    "mr_residuals",
    "price_residuals",
    "run_draw_chunk",
    "run_zone",
    "schedule_pair_shifts",
    "schedule_weights",
    "simulate",
    "simulate_draws",
    "solve_mr",
    "tariff_shift",
    "with_zone",
]

FloatArray = npt.NDArray[np.float64]
Formulation = Literal["gegravity", "endogenous"]

#: Draws per chunk: fixed so that a seed gives the same numbers on any backend.
CHUNK_SIZE = 25
#: Measures per country kept for every coefficient draw, in this order.
DRAW_MEASURES = ("welfare_change_pct", "real_gdp_change_pct", "exports_change_pct")

RESULT_COLUMNS = [
    "country",
    "member",
    "baseline_exports",
    "experiment_exports",
    "exports_change_pct",
    "foreign_exports_change_pct",
    "baseline_imports",
    "experiment_imports",
    "imports_change_pct",
    "foreign_imports_change_pct",
    "intranational_trade_change_pct",
    "intra_zone_exports_change_pct",
    "factory_gate_price_change_pct",
    "terms_of_trade_change_pct",
    "real_gdp_change_pct",
    "welfare_change_pct",
    "welfare_statistic",
    "baseline_imr",
    "experiment_imr",
    "baseline_omr",
    "experiment_omr",
]


# --- equations -----------------------------------------------------------------------


def mr_residuals(
    a: FloatArray, b: FloatArray, cost: FloatArray, y: FloatArray, e: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Residuals (unitless) of the inward and outward MR equations (Yotov et al. 2016, ch. 2).

    Parameters
    ----------
    a, b
        ``1/P_j^{1−σ}`` and ``1/Π_i^{1−σ}`` (length ``N``).
    cost
        ``T_ij = t_ij^{1−σ}``, exporters in rows.
    y, e
        Output and expenditure shares of the world total.

    Returns
    -------
    tuple of numpy.ndarray
        ``1 − a_j Σ_i T_ij y_i b_i`` and ``1 − b_i Σ_j T_ij e_j a_j``.
    """
    return 1.0 - a * (cost.T @ (y * b)), 1.0 - b * (cost @ (e * a))


def price_residuals(
    p: FloatArray, b: FloatArray, y: FloatArray, beta: FloatArray, sigma: float
) -> FloatArray:
    """Residuals (unitless) of the factory-gate prices: ``1 − y_i b_i / (β_i p_i^{1−σ})``."""
    return 1.0 - y * b / (beta * p ** (1.0 - sigma))


def solve_mr(
    cost: FloatArray,
    y: FloatArray,
    e: FloatArray,
    ref: int,
    *,
    tol: float = 1e-13,
    max_iter: int = 10_000,
    start: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray, int]:
    """Solve the MR system: ``(a, b)`` with ``a[ref] = 1`` (unitless) and the iterations used.

    A fixed point alternating ``b = 1 / (T (e∘a))`` and ``a = 1 / (Tᵀ (y∘b))``
    (both MR equations are invariant to ``a → c·a, b → b/c``; the scale is
    fixed by ``a[ref] = 1`` at the end) until the largest residual is below
    ``tol``; if it stalls above ``tol`` (but below 1e-6) after ``max_iter``
    iterations, Newton steps in ``(log a, log b)`` with the analytic Jacobian
    (the trade shares) finish it.

    Raises
    ------
    InputError
        If the costs or shares are not positive and finite, or the system does
        not converge within ``max_iter`` iterations.
    """
    n = len(y)
    if cost.shape != (n, n) or not np.all(np.isfinite(cost)) or np.any(cost < 0):
        raise InputError("trade costs must be a finite, non-negative N × N matrix")
    if np.any(y < 0) or np.any(e < 0) or not (np.isfinite(y).all() and np.isfinite(e).all()):
        raise InputError("output and expenditure shares must be finite and non-negative")
    a, b = (np.ones(n), np.ones(n)) if start is None else (start[0].copy(), start[1].copy())
    it, worst = 0, np.inf
    for it in range(1, max_iter + 1):  # noqa: B007 (it is reported)
        b = 1.0 / (cost @ (e * a))
        colsum = cost.T @ (y * b)
        worst = float(np.max(np.abs(1.0 - a * colsum)))
        a = 1.0 / colsum
        if worst < tol:
            break
    if not worst < 1e-6:
        raise InputError(f"multilateral resistances did not converge in {max_iter} iterations")
    a, b = a / a[ref], b * a[ref]
    keep = np.arange(n) != ref
    for _ in range(20):
        r1, r2 = mr_residuals(a, b, cost, y, e)
        if max(np.max(np.abs(r1[keep])), np.max(np.abs(r2))) < tol:
            break
        # slow fixed point: Newton in (log a, log b) with the analytic Jacobian
        # F1_j = log(a_j) + log(Σ_i T_ij y_i b_i), F2_i = log(b_i) + log(Σ_j T_ij e_j a_j)
        f1 = np.log(a) + np.log(cost.T @ (y * b))
        f2 = np.log(b) + np.log(cost @ (e * a))
        w1 = (cost * (y * b)[:, None]).T  # [j, i] = T_ij y_i b_i
        w1 = w1 / w1.sum(axis=1, keepdims=True)
        w2 = cost * (e * a)[None, :]  # [i, j] = T_ij e_j a_j
        w2 = w2 / w2.sum(axis=1, keepdims=True)
        jac = np.block([[np.eye(n - 1), w1[keep]], [w2[:, keep], np.eye(n)]])
        step = np.linalg.solve(jac, -np.concatenate([f1[keep], f2]))
        a[keep] *= np.exp(step[: n - 1])
        b *= np.exp(step[n - 1 :])
    return a, b, it


# --- baseline --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GEBaseline:
    """A calibrated baseline: data, costs, shares and MRs (trade in the data's unit).

    Attributes
    ----------
    countries
        Country codes, sorted; matrices are indexed in this order (exporters in rows).
    reference
        Reference importer (``P = 1``).
    sigma
        Elasticity of substitution.
    coefficients
        ``β_k`` used for the costs (a ``constant`` applies to every pair).
    data
        The year's gravity data, one row per exporter × importer, sorted.
    trade, cost
        Observed trade ``X_ij`` and ``T_ij = exp(Σ β_k x^k_ij)``.
    output, expenditure
        ``Y_i`` and ``E_j`` (the data's ``Y``/``E`` columns, else row and column sums).
    a, b
        Baseline ``1/P^{1−σ}`` and ``1/Π^{1−σ}``.
    iterations
        Fixed-point iterations of the baseline MR solve.
    """

    countries: tuple[str, ...]
    reference: str
    sigma: float
    year: int
    coefficients: pd.Series
    data: pd.DataFrame
    trade: FloatArray
    cost: FloatArray
    output: FloatArray
    expenditure: FloatArray
    a: FloatArray
    b: FloatArray
    iterations: int

    @property
    def y(self) -> FloatArray:
        """Output shares of the world total (0–1)."""
        return np.asarray(self.output / self.output.sum(), dtype=np.float64)

    @property
    def e(self) -> FloatArray:
        """Expenditure shares of the world total (0–1)."""
        return np.asarray(self.expenditure / self.expenditure.sum(), dtype=np.float64)

    @property
    def ref(self) -> int:
        """Position of the reference importer."""
        return self.countries.index(self.reference)

    def modeled_trade(self) -> FloatArray:
        """Baseline trade implied by the model (the data's unit): ``T_ij E_j y_i a_j b_i``."""
        return self.cost * np.outer(self.y * self.b, self.expenditure * self.a)

    def mr_table(self) -> pd.DataFrame:
        """Baseline MRs per country: ``country, imr`` (``P_j``) and ``omr`` (``Π_i``), unitless."""
        inv = 1.0 / (1.0 - self.sigma)
        return pd.DataFrame(
            {"country": self.countries, "imr": self.a**-inv, "omr": self.b**-inv}
        ).set_index("country")


def _year(data: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of ``year`` (all rows when ``data`` has no year column or only that year)."""
    if "year" not in data.columns:
        return data
    keep = (data["year"] == year).to_numpy()
    return data if keep.all() else data[keep]


def _codes(data: pd.DataFrame) -> set[str]:
    """Every exporter and importer code of ``data``."""
    return {str(c) for c in data["exporter"].unique()} | {str(c) for c in data["importer"].unique()}


def _square(data: pd.DataFrame, countries: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """``data`` sorted by exporter then importer over ``countries`` (every pair once)."""
    index = pd.Index(countries)
    n = len(countries)
    exp_pos = index.get_indexer(pd.Index(data["exporter"]))
    imp_pos = index.get_indexer(pd.Index(data["importer"]))
    idx = exp_pos * n + imp_pos
    counts = np.bincount(idx[idx >= 0], minlength=n * n) if len(idx) else np.zeros(n * n)
    if (exp_pos < 0).any() or (imp_pos < 0).any():
        extra = sorted(_codes(data) - set(countries))
        raise ValidationError(f"countries not in the baseline: {', '.join(extra)}")
    if len(idx) != n * n or (counts != 1).any():
        where = int(np.flatnonzero(counts != 1)[0]) if (counts != 1).any() else 0
        pair = f"{countries[where // n]} → {countries[where % n]}"
        what = "missing" if counts[where] == 0 else "repeated"
        raise InputError(
            "gravity data must hold every exporter × importer pair of its countries once, "
            f"domestic flows included; {what}: {pair}"
        )
    cols = ["exporter", "importer", *columns]
    if np.array_equal(idx, np.arange(n * n)):
        return data[cols].reset_index(drop=True)
    return data[cols].take(np.argsort(idx)).reset_index(drop=True)


def cost_matrix(
    data: pd.DataFrame, coefficients: Mapping[str, float] | pd.Series, n: int
) -> FloatArray:
    """``T_ij = exp(Σ_k β_k x^k_ij)`` (unitless) from square sorted data; ``constant`` is 1."""
    coef = pd.Series(coefficients, dtype=np.float64)
    logs = np.zeros(len(data))
    for name, beta in coef.items():
        if name in data.columns:
            logs += float(beta) * data[name].to_numpy(dtype=np.float64)
        elif name == "constant":
            logs += float(beta)
        else:
            raise ValidationError(f"coefficient {name!r} has no column in the gravity data")
    if "shift" in data.columns:
        logs += data["shift"].to_numpy(dtype=np.float64)
    return np.exp(logs).reshape(n, n)


def build_baseline(
    data: pd.DataFrame,
    coefficients: Mapping[str, float] | pd.Series,
    *,
    sigma: float = 5.0,
    year: int | None = None,
    reference: str | None = None,
) -> GEBaseline:
    """Calibrate the baseline: costs, shares and MRs of one year (trade in the data's unit).

    Parameters
    ----------
    data
        Gravity data (:func:`~friendshore.data.gravity_files.read_gravity_data`)
        with every pair of its countries, domestic flows included.
    coefficients
        ``β_k`` per cost variable (e.g. :attr:`GravityEstimates.coefficients`),
        optionally with ``constant``.
    sigma
        Elasticity of substitution (> 1); gegravity's example uses 5.
    year
        Year to use; default the latest.
    reference
        Reference importer; default ``DEU`` when present, else the first country.
    """
    if not sigma > 1.0:
        raise ValidationError(f"sigma must be greater than 1, got {sigma}")
    if year is None:
        year = int(data["year"].max())
    frame = data if (data["year"] == year).all() else data[data["year"] == year]
    if frame.empty:
        raise ValidationError(f"the gravity data has no rows for year {year}")
    countries = tuple(sorted(_codes(frame)))
    n = len(countries)
    if reference is None:
        reference = "DEU" if "DEU" in countries else countries[0]
    if reference not in countries:
        raise ValidationError(f"reference importer {reference!r} is not in the data")
    cols = [c for c in frame.columns if c not in ("exporter", "importer")]
    square = _square(frame, countries, cols)
    trade = square["trade"].to_numpy(dtype=np.float64).reshape(n, n)
    if "Y" in square.columns and "E" in square.columns:
        # rows are exporters, columns importers: gegravity's mean of Y and E per country
        output = square["Y"].to_numpy(dtype=np.float64).reshape(n, n).mean(axis=1)
        expenditure = square["E"].to_numpy(dtype=np.float64).reshape(n, n).mean(axis=0)
    else:
        output, expenditure = trade.sum(axis=1), trade.sum(axis=0)
    if np.any(output <= 0) or np.any(expenditure <= 0):
        bad = countries[int(np.flatnonzero((output <= 0) | (expenditure <= 0))[0])]
        raise InputError(f"{bad} has no output or no expenditure; the GE model needs both > 0")
    coef = pd.Series(coefficients, dtype=np.float64)
    cost = cost_matrix(square, coef, n)
    y, e = output / output.sum(), expenditure / expenditure.sum()
    ref = countries.index(reference)
    a, b, it = solve_mr(cost, y, e, ref)
    return GEBaseline(
        countries=countries,
        reference=reference,
        sigma=float(sigma),
        year=int(year),
        coefficients=coef,
        data=square,
        trade=trade,
        cost=cost,
        output=output,
        expenditure=expenditure,
        a=a,
        b=b,
        iterations=it,
    )


# --- experiments -------------------------------------------------------------------------


def with_zone(
    data: pd.DataFrame,
    members: Iterable[str] | Mapping[str, Iterable[str]],
    *,
    variable: str = "pta",
    value: float = 1.0,
) -> pd.DataFrame:
    """Set ``variable`` to ``value`` for pairs of members (a zone preference; unitless).

    ``members`` is a set of countries, or a mapping member → countries (a bloc
    such as ``EU27`` is one member): then only pairs of countries of
    *different* members change, as trade inside a bloc already has its own
    preference. A member joining is ``with_zone(data, members | {new})``
    against a baseline built on ``with_zone(data, members)``; leaving, the
    other way round.
    """
    if variable not in data.columns:
        raise ValidationError(f"the gravity data has no column {variable!r} to set for the zone")
    groups = (
        {m: set(cs) for m, cs in members.items()}
        if isinstance(members, Mapping)
        else {c: {c} for c in members}
    )
    codes = [c for cs in groups.values() for c in cs]
    owner = np.array([k for k, cs in enumerate(groups.values()) for _ in cs], dtype=np.int64)
    out = data.copy()
    pos_e = pd.Index(codes).get_indexer(pd.Index(out["exporter"]))
    pos_i = pd.Index(codes).get_indexer(pd.Index(out["importer"]))
    inside = (pos_e >= 0) & (pos_i >= 0)
    pair = inside & (owner[np.maximum(pos_e, 0)] != owner[np.maximum(pos_i, 0)])
    out.loc[pair, variable] = value
    return out


def tariff_shift(
    data: pd.DataFrame,
    *,
    importers: Iterable[str],
    exporters: Iterable[str],
    rate_before: float,
    rate_after: float,
    sigma: float,
) -> pd.DataFrame:
    """Add a tariff change to the trade costs as ``shift`` (log points of ``T_ij``).

    ``T'_ij = T_ij · ((1 + τ_after) / (1 + τ_before))^{−σ}`` for the given
    importers × exporters (``i ≠ j``): with trade measured before the tariff,
    flows have elasticity ``−σ`` to the tariff factor ``1 + τ`` (Yotov et al.
    2016, ch. 1); tariff revenue is not rebated in this one-sector model.
    """
    if rate_before <= -1 or rate_after <= -1:
        raise ValidationError("tariff rates must be above −1 (−100%)")
    out = data.copy()
    if "shift" not in out.columns:
        out["shift"] = 0.0
    pair = out["importer"].isin(set(importers)) & out["exporter"].isin(set(exporters))
    pair &= out["exporter"] != out["importer"]
    out.loc[pair, "shift"] += -sigma * np.log((1.0 + rate_after) / (1.0 + rate_before))
    return out


# --- a tariff schedule in the one-sector model ----------------------------------------------

#: Columns of :func:`schedule_pair_shifts`, one row per importer × exporter (``i ≠ j``).
PAIR_SHIFT_COLUMNS = [
    "importer",
    "exporter",
    "weighting",
    "weight_usd",
    "factor_before",
    "factor_after",
    "shift",
]
#: How :func:`schedule_pair_shifts` aggregates a schedule to pairs (payload and docs).
SCHEDULE_AGGREGATION: Final = (
    "trade-weighted average tariff factor per importer × exporter pair over the HS6 codes "
    "of the minerals panel (one-sector GE): F = Σ_k w_k (1 + τ_k) / Σ_k w_k, weights w_k = "
    "BACI value of the pair's trade in code k in the weights year (else the importer's "
    "imports of k from every origin, else equal weights); codes no row covers at rate 0; "
    "shift = −σ · ln(F_after / F_before) log points of T_ij"
)


def schedule_weights(store: Path, year: int) -> pd.DataFrame:
    """BACI trade (USD) per importer × exporter × HS6 code of the minerals panel in one year.

    The rows :func:`~friendshore.policy.panel.panel_from_store` sums into its
    pair trade: codes of the catalog's minerals in the panel's nomenclature
    (:data:`~friendshore.policy.panel.PANEL_NOMENCLATURE`), countries only, no
    self-flows. ``year`` falls back to the nearest year of the store (the later
    one on a tie) when the store has no trade that year, e.g. for a gravity data
    set of another period.

    Returns
    -------
    pandas.DataFrame
        ``year, importer, exporter, hs6, value_usd`` (one year).

    Raises
    ------
    ValidationError
        If the store has no panel trade at all.
    """
    trade = read_mineral_trade(store, with_nomenclature=True)
    trade = trade[
        (trade["nomenclature"] == PANEL_NOMENCLATURE)
        & trade["exporter"].notna()
        & trade["importer"].notna()
        & (trade["exporter"] != trade["importer"])
    ]
    years = sorted({int(y) for y in trade["year"].unique()})
    if not years:
        raise ValidationError(
            f"the store has no {PANEL_NOMENCLATURE} mineral trade to weight a schedule's codes"
        )
    use = min(years, key=lambda y: (abs(y - year), -y))
    rows = trade[trade["year"] == use]
    out = (
        rows.groupby(["importer", "exporter", "hs6"], as_index=False)["value_usd"]
        .sum()
        .assign(year=use)
    )
    result: pd.DataFrame = out[["year", "importer", "exporter", "hs6", "value_usd"]]
    return result


def schedule_pair_shifts(
    rates: Sequence[ResolvedRate],
    weights: pd.DataFrame,
    countries: Sequence[str],
    *,
    sigma: float,
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Turn a resolved schedule into pair cost shifts for the one-sector model (log points).

    The trade-weighted average tariff factor used for one-sector GE: for each
    importer ``i`` and exporter ``j ≠ i`` of ``countries`` and each HS6 code
    ``k`` of ``codes``, the rate ``τ_ijk`` is that of the last schedule row
    covering the flow (rows apply in order, as in SMART), **0** where no row
    covers it; then

    ``F_ij = Σ_k w_ijk (1 + τ_ijk) / Σ_k w_ijk`` before and after, and
    ``shift_ij = −σ · ln(F_ij^after / F_ij^before)``,

    as :func:`tariff_shift` does for one rate. Weights ``w_ijk``: the pair's
    trade in code ``k`` (``weighting = 'pair'``); for a pair that did not
    trade, the importer's imports of ``k`` from every origin in ``weights``
    (``'importer'``); for an importer with no imports, equal weights
    (``'equal'``). A uniform rate on every code gives ``F = 1 + τ`` whatever
    the weights.

    Parameters
    ----------
    rates
        :meth:`TariffSchedule.resolve` of the schedule (importers and exporters
        as ISO3 sets).
    weights
        ``importer, exporter, hs6, value_usd`` (USD; :func:`schedule_weights`).
    countries
        The countries of the GE data; rows and rates of other countries are
        ignored.
    sigma
        Elasticity of substitution (> 1).
    codes
        HS6 codes averaged over; default: the codes of ``weights``.

    Returns
    -------
    pandas.DataFrame
        :data:`PAIR_SHIFT_COLUMNS`: ``weighting``, ``weight_usd`` (the pair's
        trade over ``codes``), ``factor_before``, ``factor_after`` (``1 + τ``
        averaged) and ``shift`` (log points of ``T_ij``), sorted by importer then
        exporter.
    """
    if not sigma > 1.0:
        raise ValidationError(f"sigma must be greater than 1, got {sigma}")
    missing = {"importer", "exporter", "hs6", "value_usd"} - set(weights.columns)
    if missing:
        raise ValidationError(f"schedule weights lack column(s) {', '.join(sorted(missing))}")
    names = pd.Index(sorted({str(c) for c in countries}))
    code_index = pd.Index(sorted({str(c) for c in (weights["hs6"] if codes is None else codes)}))
    n, k = len(names), len(code_index)
    if k == 0:
        raise ValidationError("no HS6 code to average the schedule's rates over")
    before = np.zeros((n, n, k))  # [importer, exporter, code]
    after = np.zeros((n, n, k))
    for rate in rates:
        imp = np.flatnonzero(names.isin(list(rate.importers)))
        if rate.exporters is None:
            exp = np.arange(n)
        else:
            inside = names.isin(list(rate.exporters))
            exp = np.flatnonzero(~inside if rate.complement else inside)
        cols = np.arange(k) if rate.hs6 is None else np.flatnonzero(code_index == rate.hs6)
        if not (len(imp) and len(exp) and len(cols)):
            continue
        block = np.ix_(imp, exp, cols)
        before[block] = rate.rate_before
        after[block] = rate.rate_after
    value = weights["value_usd"].to_numpy(dtype=np.float64)
    i_pos = names.get_indexer(pd.Index(weights["importer"].astype(str)))
    j_pos = names.get_indexer(pd.Index(weights["exporter"].astype(str)))
    k_pos = code_index.get_indexer(pd.Index(weights["hs6"].astype(str)))
    use = (i_pos >= 0) & (k_pos >= 0) & (value > 0)
    basket = np.zeros((n, k))  # the importer's imports from every origin
    np.add.at(basket, (i_pos[use], k_pos[use]), value[use])
    pair = use & (j_pos >= 0)
    w = np.zeros((n, n, k))
    np.add.at(w, (i_pos[pair], j_pos[pair], k_pos[pair]), value[pair])
    pair_total = w.sum(axis=2)
    by_pair = pair_total > 0
    by_importer = ~by_pair & (basket.sum(axis=1) > 0)[:, None]
    w = np.where(by_pair[..., None], w, np.where(by_importer[..., None], basket[:, None, :], 1.0))
    f0 = (w * (1.0 + before)).sum(axis=2) / w.sum(axis=2)
    f1 = (w * (1.0 + after)).sum(axis=2) / w.sum(axis=2)
    off = ~np.eye(n, dtype=bool)
    weighting = np.where(by_pair, "pair", np.where(by_importer, "importer", "equal"))
    imp_names = np.repeat(names.to_numpy(), n).reshape(n, n)
    exp_names = np.tile(names.to_numpy(), n).reshape(n, n)
    return pd.DataFrame(
        {
            "importer": imp_names[off],
            "exporter": exp_names[off],
            "weighting": weighting[off],
            "weight_usd": pair_total[off],
            "factor_before": f0[off],
            "factor_after": f1[off],
            "shift": -sigma * np.log(f1[off] / f0[off]),
        },
        columns=PAIR_SHIFT_COLUMNS,
    )


def apply_pair_shifts(data: pd.DataFrame, shifts: pd.DataFrame) -> pd.DataFrame:
    """Add pair shifts (log points of ``T_ij``; :func:`schedule_pair_shifts`) to ``shift``.

    Pairs of ``data`` without a row in ``shifts`` are left as they are.
    """
    out = data.copy()
    if "shift" not in out.columns:
        out["shift"] = 0.0
    keys = pd.MultiIndex.from_frame(shifts[["importer", "exporter"]].astype(str))
    pos = keys.get_indexer(
        pd.MultiIndex.from_arrays([out["importer"].astype(str), out["exporter"].astype(str)])
    )
    add = np.where(pos >= 0, shifts["shift"].to_numpy(dtype=np.float64)[np.maximum(pos, 0)], 0.0)
    out["shift"] = out["shift"].to_numpy(dtype=np.float64) + add
    return out


@dataclass(frozen=True, eq=False)
class ScheduleRun:
    """A tariff schedule as a zone run applied it (:func:`schedule_pair_shifts`).

    ``pairs`` holds every importer × exporter pair of the GE data
    (:data:`PAIR_SHIFT_COLUMNS`); ``weights_year`` is the BACI year of the
    weights (``None`` when they carried no year); ``codes_outside`` the
    schedule's HS6 codes that are not among the codes averaged over (they move
    no pair).
    """

    schedule: TariffSchedule
    as_of: dt.date | None
    weights_year: int | None
    pairs: pd.DataFrame
    codes_outside: tuple[str, ...]

    @property
    def moved(self) -> pd.DataFrame:
        """The pairs whose cost changed (``shift ≠ 0``)."""
        return self.pairs[self.pairs["shift"] != 0].reset_index(drop=True)

    def payload(self) -> dict[str, Any]:
        """The ``schedule`` entry of :func:`ge_payload`."""
        moved = self.moved
        return {
            "id": self.schedule.id,
            "name": self.schedule.name,
            "illustrative": self.schedule.illustrative,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "weights_year": self.weights_year,
            "aggregation": SCHEDULE_AGGREGATION,
            "pairs": len(self.pairs),
            "pairs_moved": len(moved),
            "weighting_of_moved": {
                w: int((moved["weighting"] == w).sum()) for w in ("pair", "importer", "equal")
            },
            "codes_outside": list(self.codes_outside),
            "moved": frame_records(moved),
        }


# --- simulation ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GEResult:
    """A counterfactual: per-country and bilateral results (trade in the data's unit).

    ``countries`` has one row per country (:data:`RESULT_COLUMNS`; changes in
    percent, ``welfare_statistic`` is gegravity's ``(E/P)/(E'/P')``);
    ``bilateral`` one row per exporter × importer: modeled baseline and
    experiment trade and their change (%). ``prices`` are the factory-gate
    prices ``p'_i`` (baseline 1).
    """

    baseline: GEBaseline
    formulation: str
    members: tuple[str, ...]
    cost: FloatArray
    a: FloatArray
    b: FloatArray
    prices: FloatArray
    conditional_a: FloatArray
    conditional_b: FloatArray
    iterations: int
    countries: pd.DataFrame
    trade: tuple[FloatArray, FloatArray]

    @property
    def bilateral(self) -> pd.DataFrame:
        """Modeled trade per exporter × importer (the data's unit) and its change (%)."""
        x0, x1 = self.trade
        names = self.baseline.countries
        n = len(names)
        return pd.DataFrame(
            {
                "exporter": np.repeat(names, n),
                "importer": np.tile(names, n),
                "baseline_trade": x0.ravel(),
                "experiment_trade": x1.ravel(),
                "trade_change_pct": _pct(x1.ravel(), x0.ravel()),
            }
        )


def _pct(new: FloatArray, old: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(old != 0, 100.0 * (new - old) / np.where(old != 0, old, 1.0), np.nan)


def _solve_prices(
    base: GEBaseline,
    cost: FloatArray,
    formulation: Formulation,
    *,
    tol: float = 1e-13,
    max_iter: int = 500,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """(a', b', p', conditional a, conditional b, iterations) of a counterfactual."""
    y, e, ref, s1 = base.y, base.e, base.ref, 1.0 - base.sigma
    ca, cb, it = solve_mr(cost, y, e, ref, start=(base.a, base.b))
    beta = y * base.b
    if formulation == "gegravity":
        return ca, cb, (cb / base.b) ** (1.0 / s1), ca, cb, it
    if formulation != "endogenous":
        raise ValidationError(f"unknown formulation {formulation!r}: gegravity or endogenous")
    phi = base.expenditure / base.output
    p = (cb / base.b) ** (1.0 / s1)
    a, b = ca, cb
    for k in range(1, max_iter + 1):
        out = p * base.output
        y1, e1 = out / out.sum(), phi * out / (phi * out).sum()
        a, b, _ = solve_mr(cost, y1, e1, ref, start=(a, b))
        p_new = (y1 * b / beta) ** (1.0 / s1)
        if np.max(np.abs(p_new / p - 1.0)) < tol:
            return a, b, p_new, ca, cb, it + k
        p = p * (p_new / p) ** 0.5  # damped
    raise InputError(f"factory-gate prices did not converge in {max_iter} iterations")


def _country_results(  # noqa: PLR0917 (the solved state, in equation order)
    base: GEBaseline,
    cost: FloatArray,
    a: FloatArray,
    b: FloatArray,
    p: FloatArray,
    members: Sequence[str],
) -> tuple[pd.DataFrame, tuple[FloatArray, FloatArray]]:
    s_inv = 1.0 / (1.0 - base.sigma)
    out1 = p * base.output
    exp1 = base.expenditure / base.output * out1
    x0 = base.modeled_trade()
    x1 = cost * np.outer(out1 / out1.sum() * b, exp1 * a)
    off = ~np.eye(len(p), dtype=bool)
    imr0, imr1 = base.a**-s_inv, a**-s_inv
    omr0, omr1 = base.b**-s_inv, b**-s_inv
    member = np.isin(np.array(base.countries), list(members))
    zone_pair = np.outer(member, member) & off
    zx0, zx1 = (x0 * zone_pair).sum(axis=1), (x1 * zone_pair).sum(axis=1)
    gdp0, gdp1 = base.output / imr0, out1 / imr1
    w0, w1 = base.expenditure / imr0, exp1 / imr1
    frame = pd.DataFrame(
        {
            "country": base.countries,
            "member": member,
            "baseline_exports": x0.sum(axis=1),
            "experiment_exports": x1.sum(axis=1),
            "exports_change_pct": _pct(x1.sum(axis=1), x0.sum(axis=1)),
            "foreign_exports_change_pct": _pct((x1 * off).sum(axis=1), (x0 * off).sum(axis=1)),
            "baseline_imports": x0.sum(axis=0),
            "experiment_imports": x1.sum(axis=0),
            "imports_change_pct": _pct(x1.sum(axis=0), x0.sum(axis=0)),
            "foreign_imports_change_pct": _pct((x1 * off).sum(axis=0), (x0 * off).sum(axis=0)),
            "intranational_trade_change_pct": _pct(np.diag(x1), np.diag(x0)),
            "intra_zone_exports_change_pct": np.where(member, _pct(zx1, zx0), np.nan),
            "factory_gate_price_change_pct": 100.0 * (p - 1.0),
            "terms_of_trade_change_pct": _pct(p / imr1, 1.0 / imr0),
            "real_gdp_change_pct": _pct(gdp1, gdp0),
            "welfare_change_pct": _pct(w1, w0),
            "welfare_statistic": w0 / w1,
            "baseline_imr": imr0,
            "experiment_imr": imr1,
            "baseline_omr": omr0,
            "experiment_omr": omr1,
        }
    )
    return frame, (x0, x1)  # columns built in RESULT_COLUMNS order


def simulate(
    baseline: GEBaseline,
    experiment: pd.DataFrame,
    *,
    members: Iterable[str] = (),
    formulation: Formulation = "gegravity",
) -> GEResult:
    """Simulate a counterfactual: per-country changes in percent (trade in the data's unit).

    Parameters
    ----------
    baseline
        From :func:`build_baseline`.
    experiment
        The baseline's data with changed cost variables (e.g. :func:`with_zone`,
        :func:`tariff_shift`); every pair of the baseline's countries.
    members
        Zone members, for ``intra_zone_exports_change_pct`` and ``member``.
    formulation
        ``gegravity`` (MRs on baseline shares, as gegravity 0.3) or ``endogenous``.

    Notes
    -----
    Real GDP is ``Y_i / P_i`` and welfare ``E_i / P_i`` (Yotov et al. 2016,
    ch. 2, as in its Stata files; welfare as the statistic of Arkolakis, Costinot
    and Rodríguez-Clare 2012, Larch and Yotov 2016, eq. 25); terms of trade
    ``p_i / P_i``.
    """
    n = len(baseline.countries)
    frame = _year(experiment, baseline.year)
    cols = [c for c in frame.columns if c not in ("exporter", "importer")]
    square = _square(frame, baseline.countries, cols)
    cost = cost_matrix(square, baseline.coefficients, n)
    a, b, p, ca, cb, it = _solve_prices(baseline, cost, formulation)
    members = tuple(sorted(set(members)))
    countries, trade = _country_results(baseline, cost, a, b, p, members)
    return GEResult(
        baseline=baseline,
        formulation=formulation,
        members=members,
        cost=cost,
        a=a,
        b=b,
        prices=p,
        conditional_a=ca,
        conditional_b=cb,
        iterations=it,
        countries=countries,
        trade=trade,
    )


# --- uncertainty over the coefficients -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class GEDrawModel:
    """Everything a chunk of coefficient draws needs, as numpy arrays (picklable for Dask)."""

    x_base: FloatArray  # pairs × variables (sorted square data)
    x_exp: FloatArray
    fixed_base: FloatArray  # log-cost part not drawn (fixed coefficients, shifts), per pair
    fixed_exp: FloatArray
    mean: FloatArray
    cov: FloatArray
    output: FloatArray
    expenditure: FloatArray
    members: npt.NDArray[np.bool_]
    sigma: float
    ref: int
    formulation: str


def _draw_one(model: GEDrawModel, beta: FloatArray) -> FloatArray:
    n = len(model.output)
    cost0 = np.exp(model.x_base @ beta + model.fixed_base).reshape(n, n)
    cost1 = np.exp(model.x_exp @ beta + model.fixed_exp).reshape(n, n)
    y, e = model.output / model.output.sum(), model.expenditure / model.expenditure.sum()
    a0, b0, it = solve_mr(cost0, y, e, model.ref)
    base = GEBaseline(
        countries=tuple(str(k) for k in range(n)),
        reference=str(model.ref),
        sigma=model.sigma,
        year=0,
        coefficients=pd.Series(dtype=np.float64),
        data=pd.DataFrame(),
        trade=np.zeros((n, n)),
        cost=cost0,
        output=model.output,
        expenditure=model.expenditure,
        a=a0,
        b=b0,
        iterations=it,
    )
    a, b, p, *_ = _solve_prices(base, cost1, model.formulation)  # type: ignore[arg-type]
    frame, _ = _country_results(
        base, cost1, a, b, p, [str(k) for k in np.flatnonzero(model.members)]
    )
    return frame[list(DRAW_MEASURES)].to_numpy(dtype=np.float64)


def run_draw_chunk(model: GEDrawModel, seed: Any, size: int) -> FloatArray:
    """One chunk of coefficient draws: array draws × countries × :data:`DRAW_MEASURES` (%)."""
    rng = np.random.default_rng(seed)
    betas = rng.multivariate_normal(model.mean, model.cov, size=size, method="svd")
    return np.stack([_draw_one(model, beta) for beta in betas])


@dataclass(frozen=True, eq=False)
class GEUncertainty:
    """Distribution of per-country results over coefficient draws (changes in %).

    ``samples`` is draws × countries × :data:`DRAW_MEASURES`; ``summary`` has
    one row per country with the mean and the 5th and 95th percentiles of each
    measure.
    """

    draws: int
    seed: int
    backend: str
    variables: tuple[str, ...]
    samples: FloatArray
    summary: pd.DataFrame


def simulate_draws(
    baseline: GEBaseline,
    experiment: pd.DataFrame,
    covariance: pd.DataFrame,
    draws: int,
    seed: int = 0,
    *,
    members: Iterable[str] = (),
    formulation: Formulation = "gegravity",
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> GEUncertainty:
    """Re-run baseline and counterfactual for coefficient draws ``β ~ N(β̂, V)`` (changes in %).

    Coefficients in ``covariance`` are drawn jointly; the others (e.g.
    ``constant``) stay fixed. Chunk ``i`` of ``chunk_size`` draws uses
    ``SeedSequence(seed).spawn(n_chunks)[i]`` (as the scenario Monte Carlo), so a
    seed gives the same numbers locally and on Dask (``client``: a
    ``distributed.Client``).
    """
    variables = tuple(str(v) for v in covariance.index)
    coef = baseline.coefficients
    missing = [v for v in variables if v not in coef.index]
    if missing:
        raise ValidationError(f"covariance for variable(s) without a coefficient: {missing}")
    n = len(baseline.countries)
    frame = _year(experiment, baseline.year)
    exp_sq = _square(
        frame, baseline.countries, [c for c in frame.columns if c not in ("exporter", "importer")]
    )

    def split(square: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        x = square[list(variables)].to_numpy(dtype=np.float64)
        fixed = np.log(cost_matrix(square, coef.drop(list(variables)), n)).ravel()
        return x, fixed

    xb, fb = split(baseline.data)
    xe, fe = split(exp_sq)
    members = tuple(sorted(set(members)))
    model = GEDrawModel(
        x_base=xb,
        x_exp=xe,
        fixed_base=fb,
        fixed_exp=fe,
        mean=coef[list(variables)].to_numpy(dtype=np.float64),
        cov=covariance.loc[list(variables), list(variables)].to_numpy(dtype=np.float64),
        output=baseline.output,
        expenditure=baseline.expenditure,
        members=np.isin(np.array(baseline.countries), list(members)),
        sigma=baseline.sigma,
        ref=baseline.ref,
        formulation=formulation,
    )
    chunks = chunk_seeds(seed, draws, chunk_size)
    results: list[FloatArray]
    if backend == "local":
        results = []
        for child, size in chunks:
            results.append(run_draw_chunk(model, child, size))
            if progress is not None:
                progress(size)
    elif backend == "dask":
        if client is None:
            raise ValidationError("the dask backend needs a distributed.Client")
        from distributed import as_completed  # noqa: PLC0415 (optional at import time)

        shared = client.scatter(model, broadcast=True)
        futures = [client.submit(run_draw_chunk, shared, c, s, pure=False) for c, s in chunks]
        index = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, FloatArray] = {}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            i = index[fut.key]
            done[i] = fut.result()
            if progress is not None:
                progress(chunks[i][1])
        results = [done[i] for i in range(len(chunks))]
    else:
        raise ValidationError(f"unknown backend {backend!r}: use local or dask")
    samples = np.concatenate(results, axis=0)
    summary = pd.DataFrame({"country": baseline.countries})
    for k, name in enumerate(DRAW_MEASURES):
        values = samples[:, :, k]
        summary[f"{name}_mean"] = values.mean(axis=0)
        summary[f"{name}_p05"] = np.quantile(values, 0.05, axis=0)
        summary[f"{name}_p95"] = np.quantile(values, 0.95, axis=0)
    return GEUncertainty(
        draws=draws,
        seed=seed,
        backend=backend,
        variables=variables,
        samples=samples,
        summary=summary,
    )


# --- one call: a zone counterfactual on a gravity data set ---------------------------------

#: ASSUMPTION: log-point effect of the zone's preference when the data cannot estimate
#: it (the store panel has no agreement in force): the PPML ``pta`` estimate on
#: gegravity's sample (0.4711, Stata ppmlhdfe; reproduced by :func:`estimate_ppml`), an
#: average preferential trade agreement.
DEFAULT_PREFERENCE = 0.4711383
#: Columns of a gravity data set that are never trade-cost variables.
NON_COST = frozenset(
    {
        "exporter",
        "importer",
        "year",
        "trade",
        "Y",
        "E",
        "dist_km",
        "zone_pair",
        "member_exporter",
        "member_importer",
        "shift",
        "constant",
    }
)


@dataclass(frozen=True, eq=False)
class ZoneRun:
    """A zone counterfactual with its inputs: coefficients used and their origin.

    ``coefficients`` has one row per variable: ``variable, coefficient,
    std_error, origin`` (``estimated`` by PPML, ``file`` or ``assumed``).
    ``absent`` lists zone countries that are not in the data; ``schedule`` the
    tariff schedule applied, if any.
    """

    result: GEResult
    coefficients: pd.DataFrame
    variable: str
    preference: float
    experiment: str
    absent: tuple[str, ...]
    uncertainty: GEUncertainty | None
    schedule: ScheduleRun | None = None

    def notes(self) -> list[str]:
        """Return what a reader must know to read the run, one sentence each.

        * an ``assumed`` preference coefficient says where it is borrowed from;
        * zone countries not in the data are named with the reason;
        * where terms of trade, real GDP and welfare change by the same
          percentage for every country (to 1e-9 pp), why: in the one-sector
          endowment model output is fixed in quantity and valued at the
          factory-gate price ``p_i``, and expenditure is a fixed multiple of
          output, so ``Y_i / P_i``, ``E_i / P_i`` and ``p_i / P_i`` all move as
          ``p_i / P_i`` (Yotov et al. 2016, ch. 2).
        """
        out: list[str] = []
        row = self.coefficients[self.coefficients["variable"] == self.variable]
        if not row.empty and row["origin"].iloc[0] == "assumed":
            out.append(
                f"The {self.variable} coefficient {self.preference:.4f} is ASSUMED, not "
                "estimated: it is the PPML estimate of an average preferential trade "
                "agreement on gegravity's sample data (all goods, 30 countries, 2006), "
                "borrowed because the minerals panel has no agreement in force to estimate it."
            )
        if self.absent:
            out.append(
                f"Zone countries not in the data ({len(self.absent)}): "
                f"{', '.join(self.absent)}. A country enters the general equilibrium only "
                "with a domestic flow (production value minus exports), which needs a "
                "production figure with a unit value for its minerals in the panel year, "
                "and a distance to every other country; these lack one of them, so they take no "
                "part in the counterfactual and their members' results cover the others."
            )
        frame = self.result.countries
        measures = frame[
            ["terms_of_trade_change_pct", "real_gdp_change_pct", "welfare_change_pct"]
        ].to_numpy(dtype=np.float64)
        if len(frame) and np.nanmax(np.ptp(measures, axis=1)) < 1e-9:
            out.append(
                "Terms of trade, real GDP and welfare change by the same percentage here: "
                "in this one-sector endowment model output is fixed in quantity and valued "
                "at the factory-gate price p_i, and expenditure is a fixed multiple of "
                "output, so real GDP Y_i/P_i, welfare E_i/P_i and the terms of trade "
                "p_i/P_i all move as p_i/P_i (Yotov et al. 2016, ch. 2)."
            )
        return out

    def country_table(self) -> pd.DataFrame:
        """Return the changes by country (% of the baseline), with the draws' percentiles.

        :attr:`GEResult.countries`, with the columns of the uncertainty summary
        (``welfare_change_pct_p05`` …) merged on ``country`` when there were draws.
        """
        frame = self.result.countries
        if self.uncertainty is not None:
            frame = frame.merge(self.uncertainty.summary, on="country", how="left")
        return frame


def cost_variables(data: pd.DataFrame) -> list[str]:
    """Numeric columns of ``data`` that are trade-cost variables (all but :data:`NON_COST`)."""
    return [
        c
        for c in data.columns
        if c not in NON_COST and pd.api.types.is_numeric_dtype(data[c]) and data[c].nunique() > 1
    ]


def run_zone(
    data: pd.DataFrame,
    members: Mapping[str, Iterable[str]],
    *,
    coefficients: pd.DataFrame | None = None,
    sigma: float = 5.0,
    year: int | None = None,
    reference: str | None = None,
    variable: str | None = None,
    preference: float | None = None,
    join: str | None = None,
    leave: str | None = None,
    tariff: float | None = None,
    tariff_on: Iterable[str] | None = None,
    schedule: TariffSchedule | None = None,
    as_of: dt.date | None = None,
    weights: pd.DataFrame | None = None,
    rivals: Iterable[str] | None = None,
    formulation: Formulation = "gegravity",
    draws: int = 0,
    seed: int = 0,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ZoneRun:
    """Estimate (or take) trade costs and simulate a zone counterfactual (changes in %).

    Parameters
    ----------
    data
        Gravity data (every pair of its countries in the chosen year).
    members
        Zone member → countries (``Zone.members``).
    coefficients
        :func:`~friendshore.data.gravity_files.read_coefficients`; default: PPML
        on the year's data with exporter and importer effects
        (:func:`~friendshore.policy.gravity.estimate_ppml`) over every cost variable.
    variable
        The cost variable the zone sets to 1 between members; default ``pta``
        when the data has it, else ``zone`` (added as 0 in the baseline).
    preference
        Coefficient of ``variable`` (log points); default: the estimated or given
        one, else :data:`DEFAULT_PREFERENCE`.
    join, leave
        A country joining (or a member leaving) a zone in force: the baseline
        has the preference among the current members.
    tariff, tariff_on
        An ad-valorem tariff (0.25 = 25%) put by every zone country on imports
        from ``tariff_on`` (default: every non-member), from 0.
    schedule, as_of
        A tariff schedule (:class:`~friendshore.policy.schedule.TariffSchedule`,
        as ``tariff smart`` reads it) in place of ``tariff``: its rows in force on
        ``as_of`` (default: all) become pair cost shifts by
        :func:`schedule_pair_shifts`; ``zone`` in it stands for the experiment's
        zone (after ``join`` or ``leave``).
    weights
        BACI trade per importer × exporter × HS6 code (USD), the schedule's
        weights (:func:`schedule_weights`); required with ``schedule``.
    rivals
        The zone's rivals, for the schedule's ``rival`` and ``rest_of_world``;
        default the zone default (CHN).
    draws, seed, backend, client
        Coefficient draws from the covariance (:func:`simulate_draws`); needs
        estimated coefficients or a file with standard errors.
    """
    from friendshore.policy.gravity import estimate_ppml  # noqa: PLC0415 (pyfixest is heavy)

    if schedule is not None and (tariff is not None or tariff_on is not None):
        raise ValidationError("give either a tariff schedule or tariff/tariff_on, not both")
    if schedule is None and as_of is not None:
        raise ValidationError("as_of selects a schedule's rows: give a schedule with it")
    if schedule is not None and weights is None:
        raise ValidationError(
            "a schedule needs weights: BACI trade per pair and HS6 code (schedule_weights)"
        )
    if year is None:
        year = int(data["year"].max())
    frame = data[data["year"] == year].copy()
    if frame.empty:
        raise ValidationError(f"the gravity data has no rows for year {year}")
    groups = {str(m): {str(c) for c in cs} for m, cs in members.items()}
    in_data = _codes(frame)
    zone_all = set().union(*groups.values()) if groups else set()
    absent = tuple(sorted(zone_all - in_data))
    if variable is None:
        variable = "pta" if "pta" in frame.columns else "zone"
    if variable not in frame.columns:
        frame[variable] = 0.0
    covariance: pd.DataFrame | None = None
    if coefficients is None:
        names = cost_variables(frame)
        est = estimate_ppml(frame, names)
        table = est.table().assign(origin="estimated")
        covariance = est.covariance
    else:
        table = coefficients.reset_index()[["variable", "coefficient", "std_error"]]
        table = table.assign(origin="file")
        cov_cols = [v for v in table["variable"] if v in coefficients.columns]
        if cov_cols:
            covariance = coefficients.loc[cov_cols, cov_cols].astype(np.float64)
        elif table["std_error"].notna().any():
            known = table.dropna(subset=["std_error"])
            covariance = pd.DataFrame(
                np.diag(known["std_error"].to_numpy(dtype=np.float64) ** 2),
                index=known["variable"],
                columns=known["variable"],
            )
    coef = pd.Series(table["coefficient"].to_numpy(), index=table["variable"], dtype=np.float64)
    if preference is not None or variable not in coef.index:
        value = DEFAULT_PREFERENCE if preference is None else float(preference)
        origin = "assumed" if preference is None else "given"
        table = pd.concat(
            [
                table[table["variable"] != variable],
                pd.DataFrame(
                    {
                        "variable": [variable],
                        "coefficient": [value],
                        "std_error": [np.nan],
                        "origin": [origin],
                    }
                ),
            ],
            ignore_index=True,
        )
        coef[variable] = value
        if covariance is not None and variable in covariance.index:
            covariance = covariance.drop(index=variable, columns=variable)
    base_groups = dict(groups)
    exp_groups = dict(groups)
    if join is not None and leave is not None:
        raise ValidationError("give either join or leave, not both")
    if join is not None:
        if join in zone_all:
            raise ValidationError(f"{join} is already in the zone")
        exp_groups[join] = {join}
        experiment = f"{join} joins the zone"
    elif leave is not None:
        owner = next((m for m, cs in groups.items() if leave in cs or m == leave), None)
        if owner is None:
            raise ValidationError(f"{leave} is not a member of the zone")
        exp_groups.pop(owner)
        experiment = f"{owner} leaves the zone"
    else:
        base_groups = {}
        experiment = f"zone preference: {variable} = 1 between members"
    base_frame = with_zone(frame, base_groups, variable=variable) if base_groups else frame
    exp_frame = with_zone(frame, exp_groups, variable=variable)
    exp_countries = set().union(*exp_groups.values()) if exp_groups else set()
    if tariff is not None:
        targets = set(tariff_on) if tariff_on is not None else in_data - exp_countries
        exp_frame = tariff_shift(
            exp_frame,
            importers=exp_countries,
            exporters=targets,
            rate_before=0.0,
            rate_after=tariff,
            sigma=sigma,
        )
        experiment += f"; tariff {100 * tariff:g}% on imports from {len(targets)} countries"
    applied: ScheduleRun | None = None
    if schedule is not None and weights is not None:
        applied = _schedule_run(
            schedule,
            exp_groups,
            rivals,
            weights,
            sorted(in_data),
            sigma=sigma,
            as_of=as_of,
        )
        exp_frame = apply_pair_shifts(exp_frame, applied.pairs)
        experiment += (
            f"; schedule {schedule.id}: tariff factor changed on {len(applied.moved)} pairs"
        )
    base = build_baseline(base_frame, coef, sigma=sigma, year=year, reference=reference)
    result = simulate(base, exp_frame, members=exp_countries, formulation=formulation)
    uncertainty = None
    if draws > 0:
        if covariance is None or covariance.empty:
            raise ValidationError("draws need a covariance: estimate, or give standard errors")
        uncertainty = simulate_draws(
            base,
            exp_frame,
            covariance,
            draws,
            seed,
            members=exp_countries,
            formulation=formulation,
            backend=backend,
            client=client,
            progress=progress,
        )
    return ZoneRun(
        result=result,
        coefficients=table.reset_index(drop=True),
        variable=variable,
        preference=float(coef[variable]),
        experiment=experiment,
        absent=absent,
        uncertainty=uncertainty,
        schedule=applied,
    )


def _schedule_run(
    schedule: TariffSchedule,
    groups: Mapping[str, set[str]],
    rivals: Iterable[str] | None,
    weights: pd.DataFrame,
    countries: Sequence[str],
    *,
    sigma: float,
    as_of: dt.date | None,
) -> ScheduleRun:
    """Resolve ``schedule`` on the experiment's zone and aggregate it to pairs."""
    members = {m: frozenset(ISO3(c) for c in cs) for m, cs in groups.items()}
    zone = (
        Zone(name="experiment", members=members)
        if rivals is None
        else Zone(name="experiment", members=members, rivals=frozenset(ISO3(c) for c in rivals))
    )
    weights_year: int | None = None
    if "year" in weights.columns and len(weights):
        years = sorted({int(y) for y in weights["year"].unique()})
        if len(years) > 1:
            raise ValidationError(f"schedule weights span several years: {years}")
        weights_year = years[0]
    rates = schedule.resolve(zone, as_of=as_of)
    codes = sorted({str(c) for c in weights["hs6"]})
    pairs = schedule_pair_shifts(rates, weights, countries, sigma=sigma, codes=codes)
    outside = sorted({r.hs6 for r in rates if r.hs6 is not None} - set(codes))
    return ScheduleRun(
        schedule=schedule,
        as_of=as_of,
        weights_year=weights_year,
        pairs=pairs,
        codes_outside=tuple(outside),
    )


def ge_payload(run: ZoneRun, *, source: str, dropped: pd.DataFrame | None) -> dict[str, Any]:
    """Return the JSON document of a zone run (changes in % of the baseline; docs/cli.md).

    Keys: ``data`` (``source``), ``year``, ``sigma``, ``reference_importer``,
    ``formulation``, ``experiment``, ``variable``, ``preference``, ``members``,
    ``absent_zone_countries``, ``notes`` (:meth:`ZoneRun.notes`: an assumed
    coefficient, absent countries and why, measures that coincide and why), the
    records ``coefficients``, ``draws``, the
    records ``countries`` (:meth:`ZoneRun.country_table`), ``dropped``: rows
    left out of the data, counted by ``step`` and ``reason`` (empty without
    ``dropped``), and ``schedule`` (:meth:`ScheduleRun.payload`: id, weights
    year, ``pairs_moved`` and the moved pairs; ``null`` without a schedule).
    """
    base = run.result.baseline
    counts = (
        []
        if dropped is None or dropped.empty
        else frame_records(dropped.groupby(["step", "reason"]).size().rename("rows").reset_index())
    )
    return {
        "data": source,
        "year": base.year,
        "sigma": base.sigma,
        "reference_importer": base.reference,
        "formulation": run.result.formulation,
        "experiment": run.experiment,
        "variable": run.variable,
        "preference": run.preference,
        "members": list(run.result.members),
        "absent_zone_countries": list(run.absent),
        "notes": run.notes(),
        "coefficients": frame_records(run.coefficients),
        "draws": 0 if run.uncertainty is None else run.uncertainty.draws,
        "countries": frame_records(run.country_table()),
        "dropped": counts,
        "schedule": None if run.schedule is None else run.schedule.payload(),
    }
