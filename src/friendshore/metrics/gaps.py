"""Which missing data matter: the inputs that widen the zone's import reliance most.

The material balance (:mod:`friendshore.metrics.balance`) gives an interval
wherever the sources bound a quantity without fixing it: a member's production
missing from a USGS table, a withheld cell, an HS code without a content
factor. :func:`data_gaps` ranks these inputs by how much knowing each one would
narrow the zone's net import reliance (and so its self-sufficiency, ``1 − IR``,
whose interval has the same width); :func:`member_interval_widths` gives the
median width of each member's import-reliance intervals.

Both are pure functions of the balance (and, for the trade inputs, of the BACI
rows the balance was built from).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import numpy as np
import pandas as pd

from friendshore.metrics.balance import ZONE, reliance_bounds
from friendshore.model.zone import Zone

__all__ = [
    "GAP_COLUMNS",
    "MEMBER_WIDTH_COLUMNS",
    "data_gaps",
    "member_interval_widths",
    "zone_trade_gaps",
]

#: Production statuses of a balance row that leave no production figure for the year.
NO_SERIES: Final = "no production series"
#: Lowest import reliance the balance reports (below it the sources contradict each other).
RELIANCE_FLOOR: Final = -1.0

#: Columns of :func:`data_gaps`, in order.
GAP_COLUMNS: list[str] = [
    "mineral",
    "stage",
    "year",
    "input",
    "kind",
    "member",
    "hs6",
    "status",
    "input_min_t",
    "input_max_t",
    "zone_import_reliance_min",
    "zone_import_reliance_max",
    "width",
    "width_if_known",
    "narrowing",
    "if_low_min",
    "if_low_max",
    "if_high_min",
    "if_high_max",
    "description",
]

#: Columns of :func:`member_interval_widths`, in order.
MEMBER_WIDTH_COLUMNS: list[str] = [
    "member",
    "rows",
    "with_figure",
    "points",
    "intervals",
    "median_width",
    "mean_width",
]


def zone_trade_gaps(trade: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    """Net imports (gross t) of the zone per HS code whose content factor is unknown.

    Parameters
    ----------
    trade
        BACI rows: ``year, exporter, importer, hs6, mineral_id, stage,
        value_usd, quantity_t, content_t`` (``content_t`` NULL where the code
        has no content factor).
    zone
        The zone; its imports come from outside it.

    Returns
    -------
    pandas.DataFrame
        ``mineral_id, stage, year, hs6, unknown_net_t`` (gross imports − gross
        exports of the code across the zone's border), one row per code with a
        non-zero figure.

    Notes
    -----
    The balance counts such a code's contained net imports between
    ``min(0, G_m − G_x)`` and ``max(0, G_m − G_x)`` (its content factor lies in
    ``[0, 1]`` and is the same both ways); knowing the factor fixes the
    contribution.
    """
    inside = trade["importer"].isin(zone.countries)
    outside_exp = ~trade["exporter"].isin(zone.countries)
    unknown = trade["content_t"].isna() & trade["quantity_t"].notna()
    qty = trade["quantity_t"].where(unknown, 0.0)
    imports = qty.where(inside & outside_exp, 0.0)
    exports = qty.where(~inside & ~outside_exp, 0.0)
    frame = pd.DataFrame(
        {
            "mineral_id": trade["mineral_id"],
            "stage": trade["stage"],
            "year": trade["year"],
            "hs6": trade["hs6"],
            "unknown_net_t": imports - exports,
        }
    )[unknown.to_numpy()]
    out = frame.groupby(["mineral_id", "stage", "year", "hs6"], as_index=False, observed=True)[
        "unknown_net_t"
    ].sum()
    return pd.DataFrame(out[out["unknown_net_t"] != 0].reset_index(drop=True))


def _zone_rows(balance: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """The zone's row per mineral × stage at its latest year with production and an interval."""
    zone = balance[
        (balance["member"] == ZONE)
        & (balance["production_status"] != NO_SERIES)
        & balance["import_reliance_min"].notna()
        & balance["import_reliance_max"].notna()
    ]
    if year is not None:
        zone = zone[zone["year"] <= year]
    zone = zone.sort_values(["mineral_id", "stage", "year"])
    return zone.drop_duplicates(["mineral_id", "stage"], keep="last")


def _bounds(p_lo: np.ndarray, p_hi: np.ndarray, n_lo: np.ndarray, n_hi: np.ndarray) -> np.ndarray:
    low, high = reliance_bounds(p_lo, p_hi, n_lo, n_hi)
    return np.vstack([np.maximum(low, RELIANCE_FLOOR), np.maximum(high, RELIANCE_FLOOR)])


def data_gaps(
    balance: pd.DataFrame,
    trade: pd.DataFrame,
    zone: Zone,
    *,
    year: int | None = None,
    minerals: Collection[str] | None = None,
) -> pd.DataFrame:
    """Missing inputs ranked by how much knowing each narrows the zone's import reliance.

    Parameters
    ----------
    balance
        :func:`~friendshore.metrics.balance.material_balance` of ``zone``.
    trade
        The BACI rows the balance was built from (for the HS codes without a
        content factor).
    zone
        The zone.
    year
        Latest year; per mineral × stage the zone's latest year (up to it) with
        a production figure and an import-reliance interval. Default: all years.
    minerals
        Restrict to these minerals (default: every mineral of the balance).

    Returns
    -------
    pandas.DataFrame
        One row per interval-producing input, columns :data:`GAP_COLUMNS`,
        sorted by ``narrowing`` (fraction of import reliance, i.e. percentage
        points / 100), largest first: the input (a member's production, or an
        HS code's content), its range ``input_min_t``–``input_max_t`` (t;
        ``inf`` where unbounded), the zone's import reliance now, and its
        interval if the input were known and at the low end (``if_low_*``) or
        the high end (``if_high_*``) of its range; ``width_if_known`` is the
        wider of the two, ``narrowing = width − width_if_known``.

    Notes
    -----
    The zone's import reliance is ``N / (P + N)`` over the box of its
    production ``P`` and net imports ``N`` (:func:`~friendshore.metrics.balance.reliance_bounds`,
    cut at −100% like the balance). Knowing a member's production ``p ∈ [a, b]``
    moves the zone's range to ``[P_min − a + p, min(P_max, B_other + p)]``
    (``B_other``: the other members' upper bounds, so a cap such as "the members
    together at most 'Other countries'" is kept); knowing an HS code's content
    factor fixes its contribution ``c ∈ [min(0, G), max(0, G)]`` to ``N`` the
    same way. Each input is set to each end of its range, one at a time.
    """
    zone_rows = _zone_rows(balance, year)
    if minerals is not None:
        zone_rows = zone_rows[zone_rows["mineral_id"].isin(list(minerals))]
    keys = ["mineral_id", "stage", "year"]
    base = zone_rows[
        [
            *keys,
            "production_min_t",
            "production_max_t",
            "net_imports_min_t",
            "net_imports_max_t",
        ]
    ].rename(
        columns={
            "production_min_t": "p_lo",
            "production_max_t": "p_hi",
            "net_imports_min_t": "n_lo",
            "net_imports_max_t": "n_hi",
        }
    )
    base["p_hi"] = base["p_hi"].fillna(np.inf)

    # members' production inputs
    members = balance[balance["member"] != ZONE].merge(base[keys], on=keys)
    members = members.assign(
        a=members["production_min_t"], b=members["production_max_t"].fillna(np.inf)
    )
    # the other members' upper bounds together (unbounded if any of them is)
    finite_b = members["b"].where(np.isfinite(members["b"]), 0.0)
    is_inf = np.isinf(members["b"]).astype(int)
    b_other = finite_b.groupby([members[k] for k in keys]).transform("sum") - finite_b
    inf_other = is_inf.groupby([members[k] for k in keys]).transform("sum") - is_inf
    members = members.assign(b_other=b_other.where(inf_other == 0, np.inf))
    prod = members[members["a"].notna() & (members["b"] > members["a"])]
    prod = prod.merge(base, on=keys)
    prod_inputs = pd.DataFrame(
        {
            "mineral": prod["mineral_id"],
            "stage": prod["stage"],
            "year": prod["year"],
            "kind": "production",
            "member": prod["member"],
            "hs6": None,
            "status": prod["production_status"],
            "input_min_t": prod["a"],
            "input_max_t": prod["b"],
        }
    )
    ends = []
    n_lo, n_hi = prod["n_lo"].to_numpy(), prod["n_hi"].to_numpy()
    for p in (prod["a"].to_numpy(), prod["b"].to_numpy()):
        lo = prod["p_lo"].to_numpy() - prod["a"].to_numpy() + p
        hi = np.maximum(np.minimum(prod["p_hi"].to_numpy(), prod["b_other"].to_numpy() + p), lo)
        ends.append(_bounds(lo, hi, n_lo, n_hi))
    prod_inputs = _with_ends(prod_inputs, prod, ends)

    # HS codes without a content factor
    codes = zone_trade_gaps(trade, zone).merge(base, on=keys)
    c_lo = codes["unknown_net_t"].clip(upper=0.0)
    c_hi = codes["unknown_net_t"].clip(lower=0.0)
    code_inputs = pd.DataFrame(
        {
            "mineral": codes["mineral_id"],
            "stage": codes["stage"],
            "year": codes["year"],
            "kind": "content factor",
            "member": ZONE,
            "hs6": codes["hs6"],
            "status": "no content factor",
            "input_min_t": c_lo,
            "input_max_t": c_hi,
        }
    )
    ends = []
    p_lo, p_hi = codes["p_lo"].to_numpy(), codes["p_hi"].to_numpy()
    for c in (c_lo.to_numpy(), c_hi.to_numpy()):
        n_lo = codes["n_lo"].to_numpy() - c_lo.to_numpy() + c
        n_hi = codes["n_hi"].to_numpy() - c_hi.to_numpy() + c
        ends.append(_bounds(p_lo, p_hi, n_lo, n_hi))
    code_inputs = _with_ends(code_inputs, codes, ends)

    out = pd.concat([prod_inputs, code_inputs], ignore_index=True)
    if out.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out["input"] = np.where(
        out["kind"] == "production",
        out["member"] + " " + out["mineral"] + " " + out["stage"] + " production",
        "zone trade in HS "
        + out["hs6"].astype(str)
        + " ("
        + out["mineral"]
        + " "
        + out["stage"]
        + ")",
    )
    out["description"] = [_describe(r) for r in out.itertuples(index=False)]
    out = out.sort_values(
        ["narrowing", "width", "mineral", "stage", "input"],
        ascending=[False, False, True, True, True],
    )
    return out[GAP_COLUMNS].reset_index(drop=True)


def _with_ends(inputs: pd.DataFrame, rows: pd.DataFrame, ends: list[np.ndarray]) -> pd.DataFrame:
    """Add the zone's interval now and at each end of the input's range, and the narrowing."""
    now = _bounds(
        rows["p_lo"].to_numpy(),
        rows["p_hi"].to_numpy(),
        rows["n_lo"].to_numpy(),
        rows["n_hi"].to_numpy(),
    )
    out = inputs.reset_index(drop=True).copy()
    out["zone_import_reliance_min"] = now[0]
    out["zone_import_reliance_max"] = now[1]
    out["width"] = now[1] - now[0]
    out["if_low_min"], out["if_low_max"] = ends[0][0], ends[0][1]
    out["if_high_min"], out["if_high_max"] = ends[1][0], ends[1][1]
    width_if = np.fmax(ends[0][1] - ends[0][0], ends[1][1] - ends[1][0])
    out["width_if_known"] = np.clip(width_if, 0.0, None)
    out["narrowing"] = (out["width"] - width_if).clip(lower=0.0)
    return out


def _pct(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{round(100 * v) + 0:.0f}%"


def _range(lo: float, hi: float) -> str:
    a, b = _pct(lo), _pct(hi)
    return a if a == b else f"{a.removesuffix('%')}–{b}"


def _describe(row: object) -> str:
    """``EU27 aluminum processing production (2023): not listed; narrows … from 30–95% to …``."""
    now = _range(row.zone_import_reliance_min, row.zone_import_reliance_max)  # type: ignore[attr-defined]
    low = _range(row.if_low_min, row.if_low_max)  # type: ignore[attr-defined]
    high = _range(row.if_high_min, row.if_high_max)  # type: ignore[attr-defined]
    point = "–" not in low and "–" not in high
    to = "a point" if point else (low if low == high else f"{low} (low end) or {high} (high end)")
    return (
        f"{row.input} ({row.year}): {row.status}; "  # type: ignore[attr-defined]
        f"narrows zone import reliance from {now} to {to}"
    )


def member_interval_widths(
    balance: pd.DataFrame,
    *,
    minerals: Collection[str] | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Median width (fraction) of each member's import-reliance intervals, latest year each.

    Per member × mineral × stage, the latest year (up to ``year``) with a
    production figure and an import reliance (value or interval); ``rows`` is
    the member's mineral × stage rows considered, ``with_figure`` those with a
    value or both bounds, ``points`` the values, ``intervals`` the rest;
    ``median_width``/``mean_width`` over all figures (a point has width 0).
    Columns :data:`MEMBER_WIDTH_COLUMNS`; one row per member and ``zone``.
    """
    rows = balance if year is None else balance[balance["year"] <= year]
    if minerals is not None:
        rows = rows[rows["mineral_id"].isin(list(minerals))]
    rows = rows[rows["production_status"] != NO_SERIES]
    known = rows["import_reliance_min"].notna() & rows["import_reliance_max"].notna()
    pairs = rows[["member", "mineral_id", "stage"]].drop_duplicates()
    latest = (
        rows[known]
        .sort_values(["member", "mineral_id", "stage", "year"])
        .drop_duplicates(["member", "mineral_id", "stage"], keep="last")
    )
    width = latest["import_reliance_max"] - latest["import_reliance_min"]
    latest = latest.assign(width=width.where(latest["import_reliance"].isna(), 0.0))
    stats = latest.groupby("member").agg(
        with_figure=("width", "size"),
        points=("import_reliance", lambda s: int(s.notna().sum())),
        median_width=("width", "median"),
        mean_width=("width", "mean"),
    )
    out = pairs.groupby("member").size().rename("rows").to_frame().join(stats, how="left")
    out = out.fillna({"with_figure": 0, "points": 0}).reset_index()
    out["with_figure"] = out["with_figure"].astype(int)
    out["points"] = out["points"].astype(int)
    out["intervals"] = out["with_figure"] - out["points"]
    return out[MEMBER_WIDTH_COLUMNS]
