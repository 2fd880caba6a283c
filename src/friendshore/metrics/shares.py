"""Country shares of world production: the denominator every concentration metric uses."""

from __future__ import annotations

import pandas as pd

#: Keys of one production series: a source's figures for one mineral, stage,
#: product and year.
SERIES_KEYS: list[str] = ["source", "mineral_id", "stage", "product", "year"]

PUBLISHED = "published world total"
SUMMED = "sum of countries and other countries"


def world_denominator(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """World quantity (t) per series and how it was obtained.

    Parameters
    ----------
    rows
        Country rows with :data:`SERIES_KEYS`, ``country``, ``quantity_t``, ``status``.
    totals
        Aggregate rows with :data:`SERIES_KEYS`, ``kind`` ('world' | 'other'), ``quantity_t``.

    Returns
    -------
    pandas.DataFrame
        One row per series: ``world_quantity_t``, ``denominator`` (which rule),
        ``known_t`` (sum of country figures given), ``other_t`` (other
        countries), ``n_countries``, ``n_withheld``, ``n_missing``. The world
        quantity is NULL when there is no published total and no country figure
        is known (e.g. germanium, where USGS withholds most countries).

    Notes
    -----
    The denominator is the **published world total** where the source gives one
    (USGS rounds it, e.g. rare earths 2023: 350,000 t while the listed countries
    sum to 353,320 t; the IEA prints a total). Only where no total is published is
    it the sum of the country figures and "other countries". Shares computed
    against it therefore sum, with the residual ``1 − Σ shares`` (other
    countries, withheld figures and rounding), to exactly 1.
    """
    keys = SERIES_KEYS
    per = rows.groupby(keys, dropna=False).agg(
        known_t=("quantity_t", "sum"),
        n_known=("quantity_t", "count"),
        n_countries=("country", "nunique"),
        n_withheld=("status", lambda s: int((s == "withheld").sum())),
        n_missing=("status", lambda s: int((s == "missing").sum())),
    )
    world = (
        totals[totals["kind"] == "world"].groupby(keys, dropna=False)["quantity_t"].sum(min_count=1)
    )
    other = (
        totals[totals["kind"] == "other"].groupby(keys, dropna=False)["quantity_t"].sum(min_count=1)
    )
    out = per.join(world.rename("published_t"), how="outer").join(
        other.rename("other_t"), how="left"
    )
    # With no published total and no known country figure the world is unknown (NULL).
    summed = (out["known_t"].fillna(0.0) + out["other_t"].fillna(0.0)).where(out["n_known"] > 0)
    has_total = out["published_t"].notna() & (out["published_t"] > 0)
    out["world_quantity_t"] = out["published_t"].where(has_total, summed)
    out["denominator"] = has_total.map({True: PUBLISHED, False: SUMMED})
    for col in ("n_countries", "n_withheld", "n_missing"):
        out[col] = out[col].fillna(0).astype("int64")
    return out.drop(columns=["published_t", "n_known"]).reset_index()


def production_shares(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Each country's share (0–1) of world production, per series.

    Returns ``rows`` with ``world_quantity_t``, ``denominator`` and ``share``
    added; ``share`` is NULL where the country's figure is withheld or missing
    (never zero). See :func:`world_denominator` for the denominator.
    """
    world = world_denominator(rows, totals)[[*SERIES_KEYS, "world_quantity_t", "denominator"]]
    out = rows.merge(world, on=SERIES_KEYS, how="left")
    out["share"] = out["quantity_t"] / out["world_quantity_t"].where(out["world_quantity_t"] > 0)
    return out
