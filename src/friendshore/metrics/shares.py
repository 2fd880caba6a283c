"""Country shares of world production: the denominator every concentration metric uses."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Keys of one production series: a source's figures for one mineral, stage,
#: product and year.
SERIES_KEYS: list[str] = ["source", "mineral_id", "stage", "product", "year"]

PUBLISHED = "published world total"
SUMMED = "sum of countries and other countries"
#: Reasons the world quantity is unknown (NULL), given in ``denominator``.
UNKNOWN_NO_FIGURES = "unknown: no published total and no country figure"
UNKNOWN_BASES = "unknown: country figures on different bases and no published total"
UNKNOWN_WITHHELD = "unknown: withheld or missing figures and no published total"
UNKNOWN_BOUNDS = "unknown: some figures are bounds only (<, >) and no published total"
#: The listed figures exceed the published total within its rounding: ``Q`` is their sum.
ROUNDED_BELOW = "sum of countries and other countries (the rounded published total is below it)"
#: The listed figures exceed the published total beyond its rounding: the source
#: contradicts itself (MCS2025 kaolin 2024: 44,240 kt listed, world total 4,400 kt).
INCONSISTENT = (
    "unknown: source inconsistency, the listed figures exceed the published world total "
    "beyond its rounding"
)
#: The IEA's listed rows and rest of world exceed its own printed total (nickel
#: and graphite, both editions; SOURCES.md section F): ``Q`` is their sum, and the
#: store's ``checks`` table holds the reader's ``total_equals_listed_plus_rest``
#: mismatch for the same series.
LISTED_ABOVE_TOTAL = (
    "sum of listed rows and rest of world (they exceed the source's printed total, "
    "checks: total_equals_listed_plus_rest mismatch)"
)
#: The published world total is itself a bound ``>X`` (USGS reserves: nickel,
#: chromium, potash, antimony, niobium, rare earths 2024): ``Q`` is at least
#: ``max(X, listed)`` and unknown, every share is an upper bound.
LOWER_BOUND_TOTAL = (
    "unknown: the published world total is a lower bound (>X), so every share is an upper bound"
)

#: Sources whose printed total is a sum that does not add up (not a rounded
#: estimate): where the listed rows exceed it the listed sum is the denominator
#: (:data:`LISTED_ABOVE_TOTAL`). A USGS total far below its rows (kaolin 2024,
#: 4,400 kt against 44,240 kt) is a unit error and stays :data:`INCONSISTENT`.
LISTED_SUM_SOURCES: frozenset[str] = frozenset({"IEA CMDE"})


def world_denominator(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """World quantity (t) per series and how it was obtained.

    Parameters
    ----------
    rows
        Country rows with :data:`SERIES_KEYS`, ``country``, ``quantity_t``,
        ``status`` and, optionally, ``basis`` (what is measured, e.g. 'ulexite'
        or 'boric oxide equivalent'; from :func:`friendshore.data.queries.read_production`).
    totals
        Aggregate rows with :data:`SERIES_KEYS`, ``kind`` ('world' | 'other'), ``quantity_t``.

    Returns
    -------
    pandas.DataFrame
        One row per series: ``world_quantity_t``, ``denominator`` (which rule,
        or why the world quantity is unknown), ``known_t`` (sum of country
        figures given as values; bounds such as ``<100`` are left out),
        ``other_t`` (other countries), ``published_t`` (the published world
        total, NULL if none), ``listed_t`` (the least the listed rows add up to:
        values, ``>`` bounds, 0 for ``<`` bounds, plus other countries),
        ``n_countries``, ``n_withheld``, ``n_missing``, ``n_bounded`` (figures
        given as a bound only), ``n_bases`` (distinct ``basis`` values of the
        country rows; 0 without a ``basis`` column), ``world_min_t`` and
        ``world_max_t`` (bounds of the world quantity: both equal to
        ``world_quantity_t`` where it is known; where it is not, the least and
        most the rows allow: at least ``listed_t`` (and a ``>X`` total),
        unbounded (NULL maximum) where a figure is withheld, missing or ``>q``
        without a total; both NULL where nothing bounds it: rows on several
        bases, no figure at all, or a source inconsistency).

    Notes
    -----
    The denominator ``Q`` is, in this order:

    0. where the published total is a bound ``>X`` (a ``bound`` column in
       ``totals``; USGS reserves), unknown (:data:`LOWER_BOUND_TOTAL`) with
       ``world_min_t = max(X, listed_t)`` and no upper bound: no share is exact;
       where the listed rows exceed the published total (``listed_t >
       published_t``): by no more than the total's rounding (half a unit of its
       second significant digit, :func:`rounding_tolerance`), the **sum** of the
       listed rows (:data:`ROUNDED_BELOW`), so that shares, coverage and
       cumulative shares never exceed 1; by more, for a source of
       :data:`LISTED_SUM_SOURCES` (the IEA, whose nickel and graphite rows plus
       rest of world exceed its printed total by 1–4%, SOURCES.md section F)
       the sum of the listed rows as well (:data:`LISTED_ABOVE_TOTAL`; the
       store's ``checks`` table records the mismatch), for any other source
       unknown (:data:`INCONSISTENT`, with ``published_t`` and ``listed_t`` as
       the components of the inconsistency): a share above 1 is never reported;
    1. the **published world total** where the source gives a positive one
       (``denominator = 'published world total'``). USGS rounds it to 2–3
       significant figures, e.g. rare earths 2023: 350,000 t while the listed
       countries sum to 353,320 t; the IEA prints a total. Some USGS totals
       exclude a withheld country (wollastonite, lithium: "excludes U.S.
       production"); they are used as published, as USGS MCS table T5 does;
    2. otherwise, when no country figure is known, unknown
       (:data:`UNKNOWN_NO_FIGURES`; e.g. germanium);
    3. otherwise, when the country rows are on more than one ``basis``, unknown
       (:data:`UNKNOWN_BASES`): tonnes of ulexite, crude ore and B₂O₃
       equivalent do not add up (boron: "World totals cannot be calculated",
       USGS MCS 2024);
    4. otherwise, when a country figure is withheld or missing, or "other
       countries" is listed without a figure, unknown
       (:data:`UNKNOWN_WITHHELD`): the sum would leave it out and overstate
       every share; likewise when a figure is a bound only
       (:data:`UNKNOWN_BOUNDS`);
    5. otherwise the **sum** ``Σ_c q_c + other`` of the country figures and
       "other countries" (``denominator = 'sum of countries and other
       countries'``).

    With ``Q`` unknown, ``world_quantity_t`` and every share against it are
    NULL. Against a summed ``Q``, ``Σ_c s_c + other/Q = 1`` exactly; against a
    published ``Q`` the same sum differs from 1 by the rounding of the total
    (at most half a unit of its last significant digit, divided by ``Q``) where
    every figure is known and the total covers the listed rows.
    """
    keys = SERIES_KEYS
    bounded = _bounded(rows)
    below = rows["bound"].eq("<") if "bound" in rows.columns else bounded
    rows = rows.assign(
        _point_t=rows["quantity_t"].where(~bounded),
        _low_t=rows["quantity_t"].where(~below, 0.0),
        # the most the listed figures can add up to: NULL (∞) where one is unknown or ">q"
        _high_t=rows["quantity_t"].where(~_bound_flag(rows).eq(">")),
        _unknown=rows["quantity_t"].isna(),
        _bounded=bounded & rows["quantity_t"].notna(),
        _withheld=rows["status"] == "withheld",
        _missing=rows["status"] == "missing",
    )
    if "basis" not in rows.columns:
        rows = rows.assign(basis=pd.Series(np.nan, index=rows.index, dtype="object"))
    per = rows.groupby(keys, dropna=False).agg(
        known_t=("_point_t", "sum"),
        low_t=("_low_t", "sum"),
        high_t=("_high_t", lambda v: v.sum(min_count=len(v))),
        n_known=("_point_t", "count"),
        n_unknown=("_unknown", "sum"),
        n_bounded=("_bounded", "sum"),
        n_countries=("country", "nunique"),
        n_withheld=("_withheld", "sum"),
        n_missing=("_missing", "sum"),
        n_bases=("basis", "nunique"),
    )
    world_rows = totals[totals["kind"] == "world"]
    world = world_rows.groupby(keys, dropna=False)["quantity_t"].sum(min_count=1)
    lower_total = _bound_flag(world_rows).eq(">")
    total_is_bound = lower_total.groupby([world_rows[k] for k in keys], dropna=False).any()
    other_rows = totals[totals["kind"] == "other"]
    other_by = other_rows.groupby(keys, dropna=False)["quantity_t"]
    other = other_by.sum(min_count=1)
    other_unknown = (
        other_rows["quantity_t"].isna().groupby([other_rows[k] for k in keys], dropna=False).any()
    )
    out = (
        per.join(world.rename("published_t"), how="outer")
        .join(other.rename("other_t"), how="left")
        .join(other_unknown.rename("_other_unknown"), how="left")
        .join(total_is_bound.rename("_total_is_bound"), how="left")
    )
    for col in (
        "n_known",
        "n_unknown",
        "n_bounded",
        "n_countries",
        "n_withheld",
        "n_missing",
        "n_bases",
    ):
        out[col] = out[col].fillna(0).astype("int64")
    summed = out["known_t"].fillna(0.0) + out["other_t"].fillna(0.0)
    # The smallest the listed figures can add up to: bounds "<" count as 0.
    out["listed_t"] = out["low_t"].fillna(0.0) + out["other_t"].fillna(0.0)
    has_total = out["published_t"].notna() & (out["published_t"] > 0)
    lower_bound = has_total & out["_total_is_bound"].fillna(False).astype(bool)
    excess = out["listed_t"] - out["published_t"]
    tolerance = rounding_tolerance(out["published_t"])
    above = has_total & ~lower_bound & (excess > 0)
    beyond = above & (excess > tolerance)
    listed_source = pd.Series(
        out.index.get_level_values("source").isin(list(LISTED_SUM_SOURCES)), index=out.index
    )
    listed_above = beyond & listed_source
    inconsistent = beyond & ~listed_source
    rounded_below = above & ~beyond
    no_figure = out["n_known"] == 0
    mixed = out["n_bases"] > 1
    other_unknown = out["_other_unknown"].fillna(False).astype(bool)
    gaps = (out["n_unknown"] > 0) | other_unknown
    bounds = out["n_bounded"] > 0
    conditions = [
        lower_bound,
        inconsistent,
        rounded_below,
        listed_above,
        has_total,
        no_figure,
        mixed,
        gaps,
        bounds,
    ]
    published = out["published_t"].to_numpy(dtype="float64")
    listed = out["listed_t"].to_numpy(dtype="float64")
    unknown = np.full(len(out), np.nan)
    out["world_quantity_t"] = np.select(
        [c.to_numpy() for c in conditions],
        [unknown, unknown, listed, listed, published, unknown, unknown, unknown, unknown],
        default=summed.to_numpy(dtype="float64"),
    )
    out["denominator"] = pd.Series(
        np.select(
            [c.to_numpy() for c in conditions],
            [
                LOWER_BOUND_TOTAL,
                INCONSISTENT,
                ROUNDED_BELOW,
                LISTED_ABOVE_TOTAL,
                PUBLISHED,
                UNKNOWN_NO_FIGURES,
                UNKNOWN_BASES,
                UNKNOWN_WITHHELD,
                UNKNOWN_BOUNDS,
            ],
            default=SUMMED,
        ),
        index=out.index,
        dtype="str",
    )
    # Bounds of the world quantity where it is unknown but the rows bound it: a ">X"
    # total, or gaps and bounds without a total (all on one basis)
    known_q = out["world_quantity_t"]
    open_gaps = ~has_total & ~mixed & ~no_figure & (gaps | bounds)
    high = out["high_t"] + out["other_t"].fillna(0.0)
    high = high.where(~other_unknown)
    out["world_min_t"] = known_q.where(
        known_q.notna(),
        out[["listed_t", "published_t"]]
        .max(axis=1)
        .where(lower_bound)
        .where(~open_gaps, out["listed_t"]),
    )
    out["world_max_t"] = known_q.where(known_q.notna(), high.where(open_gaps))
    out = out.drop(
        columns=["low_t", "high_t", "n_known", "n_unknown", "_other_unknown", "_total_is_bound"]
    )
    return out.reset_index()


def rounding_tolerance(total: pd.Series) -> pd.Series:
    """Half a unit of the second significant digit of each published total (same unit).

    USGS rounds world totals to two or three significant figures and the country
    figures under them are rounded estimates too, so a sum may exceed a total by
    that much without the source contradicting itself: 350,000 allows 5,000,
    1,140,000 allows 50,000. The same tolerance as the world-total checks of
    :mod:`friendshore.data.readers.usgs_mcs`. NULL where the total is.

    Examples
    --------
    >>> rounding_tolerance(pd.Series([350_000.0, 1_140_000.0, 4_400.0])).tolist()
    [5000.0, 50000.0, 50.0]
    """
    w = total.to_numpy(dtype="float64")
    out = np.full(w.shape, np.nan)
    ok = np.isfinite(w) & (w > 0)
    out[ok] = 0.5 * 10.0 ** (np.floor(np.log10(w[ok])) - 1)
    return pd.Series(out, index=total.index)


def _bound_flag(rows: pd.DataFrame) -> pd.Series:
    """Each row's ``bound`` flag ('<', '>' or NULL); all NULL without a ``bound`` column."""
    if "bound" not in rows.columns:
        return pd.Series(None, index=rows.index, dtype=object)
    return rows["bound"].astype(object)


def _bounded(rows: pd.DataFrame) -> pd.Series:
    """Whether each figure is a bound only (``bound`` '<' or '>'), not a value."""
    if "bound" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["bound"].isin(["<", ">"])


def production_shares(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Each country's share (0–1) of world production, per series, with its bounds.

    Returns ``rows`` with ``world_quantity_t``, ``denominator``, ``share``,
    ``share_low`` and ``share_high`` added. ``share = q_c / Q`` is the point
    value: NULL where the country's figure is withheld or missing (never zero),
    where the world quantity ``Q`` is unknown or zero, and where the source
    gives a bound only. ``share_low``/``share_high`` bound the share by what
    the source does say (equal to ``share`` for a point figure):

    * with ``Q`` known: a figure ``<q`` (USGS zirconium, United States 2021:
      "<100" kt) is ``[0, q/Q]``, a figure ``>q`` ``[q/Q, 1]``, a withheld or
      missing figure ``[0, r/Q]`` with ``r`` what the world total leaves
      unexplained by the listed rows plus the total's rounding
      (:func:`rounding_tolerance`); ``[0, 1]`` for a withheld U.S. figure where
      the total "excludes U.S. production";
    * with ``Q`` unknown but bounded (``world_min_t``/``world_max_t`` of
      :func:`world_denominator`: a ``>X`` reserves total, or withheld figures
      without a total, as boron): ``[q_low / Q_max, q_high / Q_min]`` (0 where
      ``Q`` is unbounded; at most 1), so a ``>X`` total gives upper bounds only;
    * NULL where nothing bounds ``Q`` (rows on several bases, no figure,
      a source inconsistency).

    See :func:`world_denominator` for ``Q``: the published world total, else the
    sum of countries and "other countries" when every figure is known and on
    one basis.
    """
    rows, totals, unit_free = _in_source_unit(rows, totals)
    world = world_denominator(rows, totals)[
        [*SERIES_KEYS, "world_quantity_t", "denominator", "listed_t", "world_min_t", "world_max_t"]
    ]
    out = rows.merge(world, on=SERIES_KEYS, how="left")
    q = out["quantity_t"]
    big_q = out["world_quantity_t"].where(out["world_quantity_t"] > 0)
    ratio = q / big_q
    bound = _bound_flag(out)
    out["share"] = ratio.where(~bound.isin(["<", ">"]))
    unknown = q.isna()
    # the quantity's bounds: a point, "<q" in [0, q], ">q" in [q, ∞), unknown in [0, room]
    q_low = q.where(~bound.eq("<"), 0.0).where(~unknown, 0.0)
    room = ((big_q - out["listed_t"]).clip(lower=0.0) + rounding_tolerance(big_q)).fillna(np.inf)
    excludes_us = out["country"].eq("USA") & _excludes_us(out, totals)
    q_high = q.where(~bound.eq(">"), np.inf).where(~unknown, room.where(~excludes_us, np.inf))
    known_world = big_q.notna()
    w_min = out["world_min_t"].where(out["world_min_t"] > 0)
    w_max = out["world_max_t"].fillna(np.inf)
    low = pd.Series(
        np.where(known_world, q_low / big_q, q_low / w_max), index=out.index, dtype="float64"
    )
    high = pd.Series(
        np.where(known_world, q_high / big_q, q_high / w_min), index=out.index, dtype="float64"
    )
    bounded_world = known_world | w_min.notna()
    out["share_low"] = low.where(bounded_world).clip(upper=1.0)
    out["share_high"] = high.where(bounded_world).clip(upper=1.0)
    if unit_free is not None:  # shares in the source's unit; no tonnes to report
        hit = out.set_index(SERIES_KEYS).index.isin(unit_free)
        out.loc[hit, "quantity_t"] = np.nan  # as given: the series has no figure in t
        out.loc[hit, "denominator"] = out.loc[hit, "denominator"] + IN_SOURCE_UNIT
        out.loc[hit, "world_quantity_t"] = np.nan
    return out.drop(columns=["listed_t", "world_min_t", "world_max_t"])


#: Appended to ``denominator`` where shares are computed in the source's own unit.
IN_SOURCE_UNIT = "; shares in the source's own unit (no mass unit: world quantity in t unknown)"


def _in_source_unit(
    rows: pd.DataFrame, totals: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.MultiIndex | None]:
    """Rows and totals with ``quantity_t`` taken from ``quantity`` where a series has no tonnes.

    Shares are ratios of one unit: where a series carries no figure in tonnes
    (helium, in million cubic metres) but every published figure of its rows
    and totals is in one unit, that unit serves. Returns the frames and the
    series so treated (``None`` if none).
    """
    if "quantity" not in rows.columns or "unit" not in rows.columns:
        return rows, totals, None
    keys = SERIES_KEYS
    r = rows.groupby(keys, dropna=False).agg(
        n_t=("quantity_t", "count"), n_q=("quantity", "count"), n_units=("unit", "nunique")
    )
    candidates = r[(r["n_t"] == 0) & (r["n_q"] > 0) & (r["n_units"] == 1)]
    if candidates.empty:
        return rows, totals, None
    unit = rows.groupby(keys, dropna=False)["unit"].first().reindex(candidates.index)
    if "quantity" in totals.columns and "unit" in totals.columns and not totals.empty:
        t = totals.groupby(keys, dropna=False).agg(
            n_t=("quantity_t", "count"), t_unit=("unit", "first")
        )
        t = t.reindex(candidates.index)
        same = (t["n_t"].fillna(0) == 0) & (t["t_unit"].isna() | t["t_unit"].eq(unit))
        candidates = candidates[same.to_numpy()]
    elif not totals.empty:
        return rows, totals, None
    if candidates.empty:
        return rows, totals, None
    index = candidates.index
    row_hit = rows.set_index(keys).index.isin(index)
    rows = rows.copy()
    rows.loc[row_hit, "quantity_t"] = rows.loc[row_hit, "quantity"]
    if not totals.empty and "quantity" in totals.columns:
        tot_hit = totals.set_index(keys).index.isin(index)
        totals = totals.copy()
        totals.loc[tot_hit, "quantity_t"] = totals.loc[tot_hit, "quantity"]
    return rows, totals, pd.MultiIndex.from_frame(index.to_frame(index=False))


#: How a USGS world total says it leaves the withheld U.S. figure out.
_EXCLUDES_US = r"(?i)exclud\w* (?:the )?(?:U\.\s?S\.|United States)"


def _excludes_us(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.Series:
    """Whether the world total of each row's series says it leaves U.S. production out."""
    if "note" not in totals.columns or totals.empty:
        return pd.Series(False, index=rows.index)
    world = totals[totals["kind"] == "world"]
    flag = world["note"].fillna("").astype(str).str.contains(_EXCLUDES_US, regex=True)
    per = flag.groupby([world[k] for k in SERIES_KEYS], dropna=False).any().rename("_excl")
    merged = rows[SERIES_KEYS].merge(per.reset_index(), on=SERIES_KEYS, how="left")["_excl"]
    return pd.Series(merged.fillna(False).astype(bool).to_numpy(), index=rows.index)
