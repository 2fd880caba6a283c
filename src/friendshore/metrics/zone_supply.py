"""The zone's place in world supply: its share of production, of reserves and of non-rival supply.

Pure functions over the frames of :class:`friendshore.model.supply.SupplyNetwork`;
shares are fractions (0–1) of the world denominator documented in
:func:`friendshore.metrics.shares.world_denominator`.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from friendshore.metrics._frames import require_columns
from friendshore.metrics.concentration import COMPLETE_LISTING_SOURCES, group_share
from friendshore.metrics.shares import SERIES_KEYS, production_shares
from friendshore.model.zone import Zone

ZONE_PRODUCTION_COLUMNS: list[str] = [
    *SERIES_KEYS,
    "zone",
    "world_quantity_t",
    "denominator",
    "zone_quantity_t",
    "zone_quantity_min_t",
    "zone_share",
    "zone_share_min",
    "zone_share_upper",
    "zone_share_note",
    "rival_quantity_t",
    "rival_share",
    "n_members_listed",
    "n_members_withheld",
    "n_members_missing",
    "coverage",
    "complete_listing",
]

RESERVES_KEYS: list[str] = ["source", "mineral_id", "product", "year"]

ZONE_RESERVES_COLUMNS: list[str] = [
    *RESERVES_KEYS,
    "zone",
    "world_reserves_t",
    "denominator",
    "zone_reserves_t",
    "zone_reserves_min_t",
    "zone_reserves_share",
    "zone_reserves_share_min",
    "zone_reserves_share_upper",
    "rival_reserves_t",
    "rival_reserves_share",
    "n_members_listed",
    "n_members_withheld",
    "n_members_missing",
    "coverage",
    "complete_listing",
]

NON_RIVAL_COLUMNS: list[str] = [
    *SERIES_KEYS,
    "zone",
    "world_quantity_t",
    "rival_quantity_t",
    "non_rival_quantity_t",
    "zone_quantity_t",
    "zone_quantity_max_t",
    "zone_non_rival_share",
    "zone_non_rival_share_max",
    "n_members_withheld",
    "n_members_missing",
    "coverage",
]


def zone_production_share(
    shares: pd.DataFrame,
    zone: Zone,
    *,
    complete_sources: Collection[str] = COMPLETE_LISTING_SOURCES,
) -> pd.DataFrame:
    """The zone's share (0–1) of world production, and its rivals' share, per series.

    Parameters
    ----------
    shares
        Output of :func:`friendshore.metrics.shares.production_shares` (country
        rows with ``world_quantity_t``, ``denominator`` and ``share``).
    zone
        The zone; its member countries are pooled, its rivals reported beside it.
    complete_sources
        Sources listing every producer
        (:data:`friendshore.metrics.concentration.COMPLETE_LISTING_SOURCES`).

    Returns
    -------
    pandas.DataFrame
        One row per series (:data:`SERIES_KEYS`), columns
        :data:`ZONE_PRODUCTION_COLUMNS`:

        - ``zone_quantity_t`` (t), ``zone_share``: the zone's countries'
          output and its share of ``world_quantity_t``; NULL when a member
          country's figure is withheld, missing or given as a bound only
          (``<q``), or the world quantity is unknown (never counted as 0);
        - ``zone_quantity_min_t`` (t), ``zone_share_min``: the least the
          members produce (known figures, ``<q`` as 0) and the least share
          the sources allow (equal to the above where nothing is unknown);
        - ``zone_share_note``: why ``zone_share`` is NULL (a member's figure
          unknown, members possibly hidden in a top-producers listing's rest of
          the world, no world quantity); NULL where it is known;
        - ``zone_share_upper``: the largest share the zone could have: the
          sum of the members' ``share_high`` of
          :func:`~friendshore.metrics.shares.production_shares` (``<q`` as
          ``q/Q``, a withheld figure as what the world total leaves
          unexplained, every share of a world quantity known only as a bound
          ``>X`` as ``q/X``) plus, for a source listing only top producers, the
          unattributed part of the world; NULL when nothing bounds the world
          quantity (rows on several bases, no figure at all);
        - ``rival_quantity_t``, ``rival_share``: the same for the zone's
          rivals, NULL unless exactly known (see
          :func:`friendshore.metrics.concentration.group_share`);
        - ``n_members_listed``, ``n_members_withheld``, ``n_members_missing``:
          the zone's countries the source lists, and how many of their figures
          are withheld or missing;
        - ``coverage``: share of the world denominator covered by known
          country figures (all countries, not only members);
        - ``complete_listing``: whether the source lists every producer.

    Notes
    -----
    ``zone_share = Σ_{c ∈ zone} q_c / Q`` with ``Q`` the world denominator of
    :func:`friendshore.metrics.shares.world_denominator`: the published world
    total where the source gives one, else the sum of countries and "other
    countries" when every figure is known and on one basis, else unknown.
    ``zone_share`` is NULL when a member country is listed with a withheld or
    missing figure (e.g. boron 2023, U.S. withheld) or ``Q`` is unknown or zero;
    ``zone_share_min`` then sums the known member figures (a lower bound) and
    ``zone_share_upper`` bounds it from above. A member a complete source (USGS)
    does not list produced nothing worth listing (0). A source listing only top
    producers (IEA) may hide members in its rest of the world: ``zone_share``
    and ``zone_quantity_t`` are then NULL (unknown, never the listed members'
    share shown as the zone's: a zone the IEA lists no member for is not at 0),
    ``zone_share_min`` is the listed members' share and ``zone_share_upper``
    adds the rest of the world. Nothing is filled in: bounds and counts say
    how much is unknown. A zone with no member has zone share 0.
    """
    keys = SERIES_KEYS
    shares = require_columns(
        shares, [*keys, "country", "quantity_t", "status", "share", "world_quantity_t"]
    )
    members = zone.countries
    per_series = shares.groupby(keys, dropna=False)
    base = per_series[["world_quantity_t", "denominator"]].first()
    index = base.index
    world = base["world_quantity_t"].where(base["world_quantity_t"] > 0)

    inside = shares[shares["country"].isin(members)]
    by = [inside[k] for k in keys]
    bound = (
        inside["bound"].astype(object)
        if "bound" in inside.columns
        else pd.Series(None, index=inside.index, dtype=object)
    )
    # a figure "<q" counts 0 towards the least the zone produces, ">q" counts q
    least_t = inside["quantity_t"].where(~bound.eq("<"), 0.0)
    zone_t = least_t.groupby(by, dropna=False).sum().reindex(index).fillna(0.0)
    n_listed = inside["country"].groupby(by, dropna=False).nunique()
    n_withheld = (inside["status"] == "withheld").groupby(by, dropna=False).sum()
    n_missing = (inside["status"] == "missing").groupby(by, dropna=False).sum()
    # unknown: no figure, or a figure given as a bound only
    n_unknown = (
        (inside["quantity_t"].isna() | bound.isin(["<", ">"])).groupby(by, dropna=False).sum()
    )
    point_bound = (
        shares["bound"].isin(["<", ">"])
        if "bound" in shares.columns
        else pd.Series(False, index=shares.index)
    )
    known_t = (
        shares["quantity_t"]
        .where(~point_bound)
        .groupby([shares[k] for k in keys], dropna=False)
        .sum()
    )
    coverage = known_t.reindex(index) / world

    complete = pd.Series(index.get_level_values("source").isin(list(complete_sources)), index=index)
    out = pd.DataFrame(index=index)
    out["zone"] = zone.name
    out["world_quantity_t"] = world
    out["denominator"] = base["denominator"]
    for name, count in (
        ("n_members_listed", n_listed),
        ("n_members_withheld", n_withheld),
        ("n_members_missing", n_missing),
        ("_n_members_unknown", n_unknown),
    ):
        out[name] = count.reindex(index).fillna(0).astype("int64")
    # A withheld or missing member figure is unknown, never 0: the sum is only a lower bound.
    gap = (out["n_members_withheld"] + out["n_members_missing"] + out["_n_members_unknown"]) > 0
    out["zone_quantity_min_t"] = zone_t.where(world.notna())
    out["zone_quantity_t"] = out["zone_quantity_min_t"].where(~gap)
    out["zone_share"] = (zone_t / world).where(~gap)
    if "share_low" in shares.columns:  # bounds of each country's share
        group = group_share(shares, index, members, complete_sources=complete_sources)
        out["zone_share_min"] = out["zone_share"].where(
            out["zone_share"].notna(), group["share_min"]
        )
        out["zone_quantity_min_t"] = zone_t.where(out["zone_share_min"].notna())
        upper = group["share_max"]
        # a known share of a complete listing is its own upper bound (and the sum of
        # the member shares may differ from it in the last bit)
        exact = out["zone_share"].notna() & complete
        upper = upper.where(~exact, out["zone_share"])
        upper = upper.where(~(upper < out["zone_share_min"]), out["zone_share_min"])
        out["zone_share_upper"] = upper if len(members) > 0 else upper * 0.0
    else:  # shares without bounds: the known members' share and the unattributed room
        out["zone_share_min"] = zone_t / world
        uncertain = (gap | ~complete) & (len(members) > 0)
        unattributed = (1.0 - coverage).clip(lower=0.0)
        upper = out["zone_share_min"] + unattributed.where(uncertain, 0.0)
        out["zone_share_upper"] = upper.where(upper <= 1.0, np.maximum(out["zone_share_min"], 1.0))
    # A source listing only top producers (IEA) may hide members in its rest of the world:
    # the listed members' share is then the least the zone has, not its share (the
    # lithium chemicals the IEA lists for no member are unknown, not 0).
    hidden = ~complete & (out["zone_share_upper"] > out["zone_share_min"] + _SAME_SHARE)
    out["zone_share"] = out["zone_share"].where(~hidden)
    out["zone_quantity_t"] = out["zone_quantity_t"].where(~hidden)
    rest = (out["zone_share_upper"] - out["zone_share_min"]).map(_percent_text)
    source = pd.Series(index.get_level_values("source"), index=index)
    out["zone_share_note"] = None
    out.loc[gap, "zone_share_note"] = "a member country's figure is withheld, missing or a bound"
    out.loc[hidden & ~gap, "zone_share_note"] = (
        source[hidden & ~gap]
        + " lists top producers only: members may produce part of the "
        + rest[hidden & ~gap]
        + " of world output it leaves to the rest of the world"
    )
    out.loc[world.isna(), "zone_share_note"] = "the world quantity is unknown"
    rivals = group_share(shares, index, zone.rivals, complete_sources=complete_sources)
    out["rival_quantity_t"] = rivals["quantity_t"]
    out["rival_share"] = rivals["share"]
    out["coverage"] = coverage
    out["complete_listing"] = complete
    return out.reset_index()[ZONE_PRODUCTION_COLUMNS].sort_values(keys, ignore_index=True)


#: Shares closer than this are one figure (the last bits of a sum).
_SAME_SHARE = 1e-12


def _percent_text(value: float) -> str:
    """A fraction as a percentage with one decimal (``'2.1%'``), ``'an unknown part'`` if NaN."""
    return "an unknown part" if pd.isna(value) else f"{100 * value:.1f}%"


def zone_reserves_share(
    reserves: pd.DataFrame,
    reserves_totals: pd.DataFrame,
    zone: Zone,
    *,
    complete_sources: Collection[str] = COMPLETE_LISTING_SOURCES,
) -> pd.DataFrame:
    """The zone's share (0–1) of world reserves, per source, mineral, product and year.

    Parameters
    ----------
    reserves
        Country rows (``SupplyNetwork.reserves``): :data:`RESERVES_KEYS`,
        ``country``, ``quantity_t`` (t), ``status``.
    reserves_totals
        ``SupplyNetwork.reserves_totals``: :data:`RESERVES_KEYS`, ``kind``
        ('world' | 'other'), ``quantity_t``.
    zone
        The zone.
    complete_sources
        Sources listing every country with reserves.

    Returns
    -------
    pandas.DataFrame
        One row per series, columns :data:`ZONE_RESERVES_COLUMNS`; the meaning
        of each is that of the production column it is named after in
        :func:`zone_production_share` (``zone_reserves_t`` ↔
        ``zone_quantity_t``, ``world_reserves_t`` ↔ ``world_quantity_t`` …).

    Notes
    -----
    ``zone_reserves_share = Σ_{c ∈ zone} R_c / R_world`` with ``R_world`` the
    world total USGS publishes (rounded) where it gives one, else the sum of
    countries and "Other countries" — the rule of
    :func:`friendshore.metrics.shares.world_denominator`, applied to reserves.
    Where no total is published, the sum is used only when every country's
    reserves are known and on one basis; otherwise ``R_world`` is unknown and
    the shares NULL. USGS prints "NA" for many reserves (stored as missing,
    never 0): a member with missing reserves makes ``zone_reserves_share``
    NULL, with the known-only sum in ``zone_reserves_share_min`` (e.g. barite
    2023: U.S. and Mexican reserves NA).
    """
    reserves = require_columns(reserves, [*RESERVES_KEYS, "country", "quantity_t", "status"])
    reserves_totals = require_columns(reserves_totals, [*RESERVES_KEYS, "kind", "quantity_t"])
    shares = production_shares(reserves.assign(stage=""), reserves_totals.assign(stage=""))
    out = zone_production_share(shares, zone, complete_sources=complete_sources)
    out = out.drop(columns="stage").rename(
        columns={
            "world_quantity_t": "world_reserves_t",
            "zone_quantity_t": "zone_reserves_t",
            "zone_quantity_min_t": "zone_reserves_min_t",
            "zone_share": "zone_reserves_share",
            "zone_share_min": "zone_reserves_share_min",
            "zone_share_upper": "zone_reserves_share_upper",
            "rival_quantity_t": "rival_reserves_t",
            "rival_share": "rival_reserves_share",
        }
    )
    return out[ZONE_RESERVES_COLUMNS]


def non_rival_supply(
    shares: pd.DataFrame,
    zone: Zone,
    *,
    complete_sources: Collection[str] = COMPLETE_LISTING_SOURCES,
) -> pd.DataFrame:
    """The zone's share (0–1) of world production outside its rivals, per series.

    Parameters
    ----------
    shares
        Output of :func:`friendshore.metrics.shares.production_shares`.
    zone
        The zone; its rivals (default China) are taken out of world supply.
    complete_sources
        Sources listing every producer.

    Returns
    -------
    pandas.DataFrame
        One row per series, columns :data:`NON_RIVAL_COLUMNS`:
        ``non_rival_quantity_t`` = world − rivals (t),
        ``zone_non_rival_share`` = zone / (world − rivals) and its upper bound
        ``zone_non_rival_share_max`` (with ``zone_quantity_max_t``, the most
        the zone can produce given what is unknown); member counts and
        ``coverage`` as in :func:`zone_production_share`.

    Notes
    -----
    A bargaining-power measure (issue 3): how much of the supply that does not
    come from the rivals the zone itself produces,
    ``Σ_{c ∈ zone} q_c / (Q − Σ_{r ∈ rivals} q_r)``. NULL when the rivals'
    output is not exactly known (withheld, or not listed by a top-producers-only
    source), when a member figure is withheld or missing (``zone_quantity_t``
    NULL, see :func:`zone_production_share`), when ``Q`` is unknown, or when
    nothing is left outside the rivals.
    """
    base = zone_production_share(shares, zone, complete_sources=complete_sources)
    non_rival = base["world_quantity_t"] - base["rival_quantity_t"]
    base["non_rival_quantity_t"] = non_rival
    base["zone_quantity_max_t"] = base["zone_share_upper"] * base["world_quantity_t"]
    base["zone_non_rival_share"] = base["zone_quantity_t"] / non_rival.where(non_rival > 0)
    base["zone_non_rival_share_max"] = base["zone_quantity_max_t"] / non_rival.where(non_rival > 0)
    return base[NON_RIVAL_COLUMNS]
