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
        figures given), ``other_t`` (other countries), ``n_countries``,
        ``n_withheld``, ``n_missing``, ``n_bases`` (distinct ``basis`` values of
        the country rows; 0 without a ``basis`` column).

    Notes
    -----
    The denominator ``Q`` is, in this order:

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
       every share;
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
    rows = rows.assign(
        _unknown=rows["quantity_t"].isna(),
        _withheld=rows["status"] == "withheld",
        _missing=rows["status"] == "missing",
    )
    if "basis" not in rows.columns:
        rows = rows.assign(basis=pd.Series(np.nan, index=rows.index, dtype="object"))
    per = rows.groupby(keys, dropna=False).agg(
        known_t=("quantity_t", "sum"),
        n_known=("quantity_t", "count"),
        n_unknown=("_unknown", "sum"),
        n_countries=("country", "nunique"),
        n_withheld=("_withheld", "sum"),
        n_missing=("_missing", "sum"),
        n_bases=("basis", "nunique"),
    )
    world_rows = totals[totals["kind"] == "world"]
    world = world_rows.groupby(keys, dropna=False)["quantity_t"].sum(min_count=1)
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
    )
    for col in ("n_known", "n_unknown", "n_countries", "n_withheld", "n_missing", "n_bases"):
        out[col] = out[col].fillna(0).astype("int64")
    has_total = out["published_t"].notna() & (out["published_t"] > 0)
    no_figure = out["n_known"] == 0
    mixed = out["n_bases"] > 1
    gaps = (out["n_unknown"] > 0) | out["_other_unknown"].fillna(False).astype(bool)
    summed = out["known_t"].fillna(0.0) + out["other_t"].fillna(0.0)
    conditions = [has_total, no_figure, mixed, gaps]
    out["world_quantity_t"] = np.select(
        [c.to_numpy() for c in conditions],
        [out["published_t"].to_numpy(dtype="float64"), np.nan, np.nan, np.nan],
        default=summed.to_numpy(dtype="float64"),
    )
    out["denominator"] = pd.Series(
        np.select(
            [c.to_numpy() for c in conditions],
            [PUBLISHED, UNKNOWN_NO_FIGURES, UNKNOWN_BASES, UNKNOWN_WITHHELD],
            default=SUMMED,
        ),
        index=out.index,
        dtype="str",
    )
    out = out.drop(columns=["published_t", "n_known", "n_unknown", "_other_unknown"])
    return out.reset_index()


def production_shares(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Each country's share (0–1) of world production, per series.

    Returns ``rows`` with ``world_quantity_t``, ``denominator`` and ``share``
    added; ``share = q_c / Q`` is NULL where the country's figure is withheld or
    missing (never zero) and where the world quantity ``Q`` is unknown or zero.
    See :func:`world_denominator` for ``Q``: the published world total, else the
    sum of countries and "other countries" when every figure is known and on
    one basis.
    """
    world = world_denominator(rows, totals)[[*SERIES_KEYS, "world_quantity_t", "denominator"]]
    out = rows.merge(world, on=SERIES_KEYS, how="left")
    out["share"] = out["quantity_t"] / out["world_quantity_t"].where(out["world_quantity_t"] > 0)
    return out
