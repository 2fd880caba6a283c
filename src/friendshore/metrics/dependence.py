"""Import dependence of each zone member and of the zone as one bloc.

Pure functions over the frames of :class:`friendshore.model.supply.SupplyNetwork`
(BACI trade mapped to mineral and stage, default-source production rows) and a
:class:`~friendshore.model.zone.Zone`. Every figure is per mineral × stage × year.

Two levels of aggregation run through this module:

* a **member** is one entry of :attr:`Zone.members`: a country, or a bloc such as
  ``EU27`` counted as one economy, so trade among its own countries is domestic
  and left out;
* the **zone** (``member = 'zone'``) is the whole zone as one economy: trade
  among all its countries is domestic, so its imports are those from outside.

Trade values are in US dollars, gross quantities in tonnes of product
(``*_gross_t``) and contained quantities in tonnes of mineral on the catalog
basis (``*_t``, from the concordance's content factors). A figure a flow lacks
(BACI quantity, or a content factor for its HS code) is never estimated: sums
cover the flows that have it, and a coverage column gives their share of the
trade value.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from friendshore.metrics._frames import first_match
from friendshore.metrics.balance import (
    CONTAINED_TRADE_FIELDS,
    INCONSISTENT,
    INTERVAL,
    KEYS,
    NO_BOUND,
    NO_SERIES,
    NOT_LISTED,
    PARTLY_LISTED,
    POINT,
    POINT_TOLERANCE,
    PRODUCTION_COLUMNS,
    PRODUCTION_FIELDS,
    RELIANCE_FIELDS,
    REPORTED,
    SEVERAL_PRODUCTS,
    WITHHELD,
    ZONE,
    balance_frame,
    country_production_bounds,
    has_content_factor,
    member_production,
)
from friendshore.metrics.concentration import group_hhi
from friendshore.metrics.zone_supply import non_rival_supply
from friendshore.model.zone import Zone

__all__ = [
    "INCONSISTENT",
    "INTERVAL",
    "KEYS",
    "MIN_COVERAGE",
    "NOT_LISTED",
    "NO_BOUND",
    "NO_SERIES",
    "PARTLY_LISTED",
    "POINT",
    "PRODUCTION_COLUMNS",
    "REPORTED",
    "SEVERAL_PRODUCTS",
    "WITHHELD",
    "ZONE",
    "bargaining_power",
    "import_dependence",
    "member_flows",
    "member_production",
    "rival_codes",
    "self_sufficiency",
    "zone_sourcing",
]

#: Default share of trade value that must carry a quantity on the basis asked for
#: in GeoPolRisk (:func:`friendshore.metrics.risk.geopolrisk`); the rest is left out.
MIN_COVERAGE = 0.95


def rival_codes(zone: Zone, rival: str | Collection[str] | None = None) -> frozenset[str]:
    """The rival countries (ISO3): ``rival`` where given (one or several), else ``zone.rivals``."""
    if rival is None:
        return frozenset(str(c) for c in zone.rivals)
    if isinstance(rival, str):
        return frozenset({rival})
    return frozenset(str(c) for c in rival)


FLOW_COLUMNS: list[str] = [
    *KEYS,
    "importer",
    "exporter",
    "importer_member",
    "exporter_member",
    "value_usd",
    "quantity_t",
    "content_t",
    "quantity_value_usd",
    "content_value_usd",
    "content_coverage",
]

DEPENDENCE_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "imports_value_usd",
    "exports_value_usd",
    *CONTAINED_TRADE_FIELDS,
    "imports_content_coverage",
    "exports_content_coverage",
    "imports_gross_t",
    "exports_gross_t",
    "imports_quantity_coverage",
    "exports_quantity_coverage",
    *PRODUCTION_FIELDS,
    *RELIANCE_FIELDS,
    "import_reliance_basis",
    "import_reliance_status",
    "import_reliance_note",
    "china_imports_value_usd",
    "china_import_share_value",
    "china_import_share_qty",
    "intra_zone_value_usd",
    "intra_zone_share",
    "import_hhi",
    "n_sources",
]

SELF_SUFFICIENCY_COLUMNS: list[str] = [
    *KEYS,
    "production_t",
    "production_status",
    "imports_t",
    "exports_t",
    "apparent_consumption_t",
    "self_sufficiency",
    "self_sufficiency_min",
    "self_sufficiency_max",
    "self_sufficiency_note",
    "basis",
    "status",
    "note",
]

SOURCING_COLUMNS: list[str] = [
    *KEYS,
    "country",
    "kind",
    "sourced_t",
    "sourced_min_t",
    "sourced_max_t",
    "share",
    "share_min",
    "share_max",
    "basis",
    "note",
]

BARGAINING_COLUMNS: list[str] = [
    *KEYS,
    "source",
    "product",
    "world_imports_value_usd",
    "zone_imports_value_usd",
    "intra_zone_imports_value_usd",
    "zone_import_share",
    "zone_import_share_gross",
    "world_quantity_t",
    "zone_production_t",
    "zone_production_max_t",
    "rival_production_t",
    "zone_production_share",
    "zone_production_share_max",
    "zone_non_rival_supply_share",
    "zone_non_rival_supply_share_max",
    "n_zone_withheld",
    "supply_note",
]


def member_flows(trade: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    """Bilateral mineral trade (USD, t) between countries, tagged with their zone member.

    Parameters
    ----------
    trade
        BACI rows as :func:`friendshore.data.queries.read_mineral_trade` returns
        them: ``year, exporter, importer, hs6, mineral_id, stage, value_usd,
        quantity_t, content_t``.
    zone
        The zone; ``importer_member``/``exporter_member`` name the member a country
        belongs to (NULL outside the zone).

    Returns
    -------
    pandas.DataFrame
        One row per ``mineral_id, stage, year, importer, exporter`` (HS codes of
        one mineral and stage summed) with ``importer_member, exporter_member,
        value_usd, quantity_t`` (gross t), ``content_t`` (contained t),
        ``quantity_value_usd`` and ``content_value_usd`` (value of the rows that
        have a gross or contained quantity) and ``content_coverage`` (their share
        of ``value_usd``). Flows between two countries of the same member (e.g.
        Germany → France inside ``EU27``) are dropped: they are domestic for it.

    Notes
    -----
    ``quantity_t`` and ``content_t`` sum the rows that have them (NULL where
    none does); BACI rows without a quantity and HS codes without a documented
    content factor are never estimated.
    """
    members = zone.country_to_member()
    frame = pd.DataFrame(
        {
            "mineral_id": trade["mineral_id"],
            "stage": trade["stage"],
            "year": trade["year"],
            "importer": trade["importer"],
            "exporter": trade["exporter"],
            "importer_member": trade["importer"].map(members),
            "exporter_member": trade["exporter"].map(members),
            "value_usd": trade["value_usd"],
            "quantity_t": trade["quantity_t"],
            "content_t": trade["content_t"],
            "quantity_value_usd": trade["value_usd"].where(trade["quantity_t"].notna(), 0.0),
            "content_value_usd": trade["value_usd"].where(has_content_factor(trade), 0.0),
        }
    )
    inside = frame["importer_member"].notna() & (
        frame["importer_member"] == frame["exporter_member"]
    )
    frame = frame[~inside]
    keys = [*KEYS, "importer", "exporter", "importer_member", "exporter_member"]
    out = (
        frame.groupby(keys, dropna=False, sort=True)[
            ["value_usd", "quantity_t", "content_t", "quantity_value_usd", "content_value_usd"]
        ]
        .sum(min_count=1)
        .reset_index()
    )
    out["content_coverage"] = _ratio(out["content_value_usd"], out["value_usd"])
    return out[FLOW_COLUMNS]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` with NULL where ``den`` is 0 or NULL."""
    return num / den.where(den != 0)


def _entity_flows(flows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split member flows into imports and exports of each member and of the zone."""
    imp_in = flows["importer_member"].notna()
    exp_in = flows["exporter_member"].notna()
    return {
        # imports of each member (from outside it, including other members)
        "member_imports": flows[imp_in].assign(
            member=flows.loc[imp_in, "importer_member"], partner=flows.loc[imp_in, "exporter"]
        ),
        # the zone's imports from outside it
        "zone_imports": flows[imp_in & ~exp_in].assign(
            member=ZONE, partner=flows.loc[imp_in & ~exp_in, "exporter"]
        ),
        # every import of a member, for the zone's intra-zone share
        "zone_all_imports": flows[imp_in].assign(member=ZONE),
        "member_exports": flows[exp_in].assign(member=flows.loc[exp_in, "exporter_member"]),
        "zone_exports": flows[exp_in & ~imp_in].assign(member=ZONE),
    }


def _trade_totals(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    agg = frame.groupby([*KEYS, "member"], sort=False)[
        ["value_usd", "content_t", "content_value_usd", "quantity_t", "quantity_value_usd"]
    ].sum()
    return agg.rename(
        columns={
            "value_usd": f"{prefix}_value_usd",
            "content_t": f"{prefix}_t",
            "content_value_usd": f"{prefix}_content_value_usd",
            "quantity_t": f"{prefix}_gross_t",
            "quantity_value_usd": f"{prefix}_quantity_value_usd",
        }
    )


#: Columns :func:`import_dependence` takes from the material balance.
_FROM_BALANCE: list[str] = [
    *CONTAINED_TRADE_FIELDS,
    *PRODUCTION_FIELDS,
    *RELIANCE_FIELDS,
    "basis",
    "status",
    "import_reliance_note",
]


def import_dependence(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    rival: str | Collection[str] | None = None,
    us: pd.DataFrame | None = None,
    balance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Net import reliance (fraction) and import sourcing of each member and of the zone.

    Parameters
    ----------
    trade
        BACI rows (see :func:`member_flows`).
    rows
        Production country rows of the default source (see :func:`member_production`).
    zone
        The zone.
    totals
        World-total and other-countries rows of the same source (see
        :func:`member_production`); needed to bound what the source does not list.
    rival
        The countries whose share of imports is measured (``china_*`` columns);
        default the zone's rivals (:attr:`Zone.rivals`).
    us
        The U.S. salient balance (see :func:`friendshore.metrics.balance.balance_frame`).
    balance
        The material balance for the same inputs
        (:func:`friendshore.metrics.balance.balance_frame`), if already
        computed; computed here when ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage and year traded (BACI) and ``member`` (each
        zone member, and ``'zone'``), columns :data:`DEPENDENCE_COLUMNS`:

        * ``imports_value_usd``, ``exports_value_usd`` (USD);
          ``*_content_coverage`` (value share of the flows whose HS code has a
          content factor; NULL without trade); ``imports_gross_t``,
          ``exports_gross_t`` (gross t) and ``*_quantity_coverage``;
        * from the material balance (:func:`friendshore.metrics.balance.balance_frame`):
          ``imports_t``, ``exports_t`` (contained t; NULL unless a point) and their
          ``_min_t``/``_max_t``; ``production_t``/``_min_t``/``_max_t``,
          ``production_status``, ``production_source``,
          ``n_production_withheld``; ``apparent_consumption_t`` and its bounds;
          ``import_reliance`` (fraction; the point value, NULL unless the
          interval is a point), ``import_reliance_min``/``_max``,
          ``import_reliance_basis``, ``import_reliance_status`` (``'point'``,
          ``'interval'``, ``'inconsistent sources'``, ``'no bound'``) and
          ``import_reliance_note`` (why not a point, or why NULL);
        * ``china_imports_value_usd``; ``china_import_share_value`` (share of
          import value from the rivals) and ``china_import_share_qty`` (share of
          gross import tonnes, over the flows with a BACI quantity);
        * ``intra_zone_value_usd``, ``intra_zone_share``;
        * ``import_hhi`` (0–10,000) and ``n_sources`` (partner countries).

    Notes
    -----
    Net import reliance, as USGS defines it for the Mineral Commodity Summaries
    and the JRC (Blengini et al. 2017, eq. 4) for the EU CRM assessment::

        IR = (imports − exports) / (production + imports − exports)

    in contained tonnes, with production from the default source and trade from
    BACI (for the USA, USGS's salient statistics where ``us`` has them). Every
    component is an interval where the sources bound it without fixing it, and
    so is IR (:func:`friendshore.metrics.balance.reliance_bounds`). IR is
    **not** clipped at 0: a net exporter has IR < 0 (USGS prints "E" there);
    below −100% the sources are flagged as inconsistent.

    For a member, imports are those from outside the member (a bloc's internal
    trade is domestic), including imports from other zone members; its
    ``intra_zone_share`` is the share of those from other members. For
    ``'zone'``, imports and exports are those with countries outside the zone;
    as its intra-zone trade is domestic, its ``intra_zone_share`` is defined as
    the share of all the members' imports (as each member counts them) that come
    from other members, i.e. the import-value-weighted mean of the members'
    shares. ``import_hhi = Σ (100 · s_i)²`` over partner countries ``i`` with
    ``s_i`` their share of import value.
    """
    flows = member_flows(trade, zone)
    is_rival = flows["exporter"].isin(list(rival_codes(zone, rival)))
    flows["rival_value_usd"] = flows["value_usd"].where(is_rival, 0.0)
    flows["rival_quantity_t"] = flows["quantity_t"].where(is_rival, 0.0)
    flows["intra_value_usd"] = flows["value_usd"].where(flows["exporter_member"].notna(), 0.0)
    parts = _entity_flows(flows)
    imports = pd.concat([parts["member_imports"], parts["zone_imports"]], ignore_index=True)
    exports = pd.concat([parts["member_exports"], parts["zone_exports"]], ignore_index=True)
    by = [*KEYS, "member"]

    imp = _trade_totals(imports, "imports")
    rival_agg = imports.groupby(by, sort=False)[["rival_value_usd", "rival_quantity_t"]].sum()
    member_intra = parts["member_imports"].groupby(by, sort=False)["intra_value_usd"].sum()
    zone_all = (
        parts["zone_all_imports"].groupby(by, sort=False)[["intra_value_usd", "value_usd"]].sum()
    )
    intra = pd.concat(
        [
            pd.DataFrame({"intra_zone_value_usd": member_intra, "intra_base_usd": np.nan}),
            zone_all.rename(
                columns={"intra_value_usd": "intra_zone_value_usd", "value_usd": "intra_base_usd"}
            ),
        ]
    )
    by_partner = imports.groupby([*by, "partner"], sort=False, dropna=False)["value_usd"].sum()
    total = by_partner.groupby(level=by, sort=False).transform("sum")
    share = (by_partner / total.where(total > 0)).rename("share").reset_index()
    hhi = pd.DataFrame(
        {
            "import_hhi": group_hhi(share, by),
            "n_sources": (by_partner > 0).groupby(level=by).sum(),
        }
    )
    exp = _trade_totals(exports, "exports")

    if balance is None:
        balance = balance_frame(trade, rows, zone, totals=totals, us=us)
    # every member for every mineral, stage and year traded, and the rows the
    # balance adds (the USA where USGS's salient statistics cover a stage BACI lacks)
    entities = pd.DataFrame({"member": [*zone.members, ZONE]})
    out = trade[KEYS].drop_duplicates().merge(entities, how="cross")
    out = pd.concat([out, balance[by]], ignore_index=True).drop_duplicates(ignore_index=True)
    for part in (imp, exp, rival_agg, intra, hhi):
        out = out.merge(part.reset_index(), on=by, how="left")
    sums = [c for c in out.columns if c.endswith(("_usd", "_t")) and c != "intra_base_usd"]
    out[sums] = out[sums].fillna(0.0)
    out["n_sources"] = out["n_sources"].fillna(0).astype("int64")
    for side in ("imports", "exports"):
        value = out[f"{side}_value_usd"]
        out[f"{side}_content_coverage"] = _ratio(out[f"{side}_content_value_usd"], value)
        out[f"{side}_quantity_coverage"] = _ratio(out[f"{side}_quantity_value_usd"], value)

    bal = balance[[*by, *_FROM_BALANCE]].rename(
        columns={"basis": "import_reliance_basis", "status": "import_reliance_status"}
    )
    out = out.drop(columns=["imports_t", "exports_t"]).merge(bal, on=by, how="left")
    out["production_status"] = out["production_status"].fillna(NO_SERIES)
    out["n_production_withheld"] = out["n_production_withheld"].fillna(0).astype("int64")

    out["china_imports_value_usd"] = out["rival_value_usd"]
    out["china_import_share_value"] = _ratio(out["rival_value_usd"], out["imports_value_usd"])
    out["china_import_share_qty"] = _ratio(out["rival_quantity_t"], out["imports_gross_t"])
    base = out["intra_base_usd"].where(out["member"] == ZONE, out["imports_value_usd"])
    out["intra_zone_share"] = _ratio(out["intra_zone_value_usd"], base)
    out["import_hhi"] = out["import_hhi"].where(out["imports_value_usd"] > 0)
    return out[DEPENDENCE_COLUMNS].sort_values(by, kind="stable").reset_index(drop=True)


def self_sufficiency(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    dependence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Zone self-sufficiency (fraction): production over apparent consumption, contained t.

    Parameters are those of :func:`import_dependence`, and:

    dependence
        The output of :func:`import_dependence` for the same inputs, if already
        computed (only its ``'zone'`` rows are read); computed here when ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage and year traded, columns
        :data:`SELF_SUFFICIENCY_COLUMNS`: ``production_t, production_status,
        imports_t, exports_t`` (with countries outside the zone),
        ``apparent_consumption_t``, ``self_sufficiency`` (the point value) with
        its bounds ``self_sufficiency_min``/``_max`` and
        ``self_sufficiency_note`` (why not a point, or why NULL), ``basis``,
        ``status`` and ``note`` (the same as ``self_sufficiency_note``).

    Notes
    -----
    ``self_sufficiency = P / (P + M − X)`` with ``P`` the production of all zone
    countries and ``M``, ``X`` the zone's imports from and exports to the rest of
    the world (intra-zone trade is domestic), in contained tonnes. It equals
    ``1 − IR`` of the zone row of :func:`import_dependence`, with its bounds
    swapped; above 1 the zone is a net exporter.
    """
    if dependence is None:
        dependence = import_dependence(trade, rows, zone, totals=totals)
    dep = dependence[dependence["member"] == ZONE]
    out = dep[[*KEYS, "production_t", "production_status", "imports_t", "exports_t"]].copy()
    out["apparent_consumption_t"] = dep["apparent_consumption_t"]
    out["self_sufficiency"] = 1.0 - dep["import_reliance"]
    out["self_sufficiency_min"] = 1.0 - dep["import_reliance_max"]
    out["self_sufficiency_max"] = 1.0 - dep["import_reliance_min"]
    out["self_sufficiency_note"] = dep["import_reliance_note"]
    out["basis"] = dep["import_reliance_basis"]
    out["status"] = dep["import_reliance_status"]
    out["note"] = dep["import_reliance_note"]
    return out[SELF_SUFFICIENCY_COLUMNS].reset_index(drop=True)


def zone_sourcing(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    dependence: pd.DataFrame | None = None,
    bound_trade: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The zone's actual sourcing mix (t): its own production by country plus imports by origin.

    Parameters are those of :func:`import_dependence`, and:

    dependence
        The output of :func:`import_dependence` for the same inputs, if already
        computed (only its ``'zone'`` rows are read); computed here when ``None``.
    bound_trade
        Flows of codes that carry the mineral among others
        (:func:`friendshore.data.queries.read_bound_trade`): imports between 0
        and their gross weight.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year traded and supplying country, columns
        :data:`SOURCING_COLUMNS`: ``kind`` (``'production'`` for a zone
        country's own output, ``'import'`` for imports from outside the zone),
        ``sourced_t`` (contained t; NULL unless a point) with its bounds
        ``sourced_min_t``/``_max_t`` (a NULL maximum is unbounded), ``share``
        of the zone's total sourcing (NULL unless a point) with its bounds
        ``share_min``/``share_max``, ``basis`` and ``note`` (why the shares are
        NULL: the whole mineral, stage and year then has none).

    Notes
    -----
    This is the "EU sourcing" of the JRC supply-risk method (Blengini et al.
    2017, section 3.2.1: domestic production plus imports) with the zone in
    place of the EU: each zone country's production keeps its own governance
    score, intra-zone trade is domestic. Quantities are intervals on the rules
    of :mod:`friendshore.metrics.balance` (a zone country a USGS table does not
    list between 0 and "other countries", an import without a content factor
    between 0 and its gross weight; production of a stage no source covers
    unbounded). Share bounds take each quantity at its end and the others at
    the opposite ends: ``s_i ∈ [q_i⁻ / (q_i⁻ + Σ_{j≠i} q_j⁺), q_i⁺ / (q_i⁺ + Σ_{j≠i} q_j⁻)]``.
    Shares are NULL where the zone's import reliance has no bound or the sources
    are inconsistent.
    """
    if dependence is None:
        dependence = import_dependence(trade, rows, zone, totals=totals)
    dep = dependence[dependence["member"] == ZONE]
    usable = dep["import_reliance_status"].isin([POINT, INTERVAL])
    status = pd.DataFrame(
        {
            **{k: dep[k] for k in KEYS},
            "basis": dep["import_reliance_basis"],
            "note": dep["import_reliance_note"].where(~usable, None),
            "usable": usable,
        }
    )
    countries = list(zone.countries)
    if bound_trade is not None and not bound_trade.empty:
        trade = pd.concat(
            [trade, bound_trade[list(trade.columns)].assign(content_t=np.nan)], ignore_index=True
        )
    outside = trade[trade["importer"].isin(countries) & ~trade["exporter"].isin(countries)]
    known = outside["content_t"].notna()
    imports = (
        pd.DataFrame(
            {
                **{k: outside[k] for k in KEYS},
                "country": outside["exporter"],
                "sourced_min_t": outside["content_t"].fillna(0.0),
                "sourced_max_t": outside["content_t"]
                .where(known, outside["quantity_t"])
                .fillna(0.0),
            }
        )
        .groupby([*KEYS, "country"], sort=False)
        .sum()
        .reset_index()
        .assign(kind="import")
    )
    production = country_production_bounds(rows, totals, countries).assign(kind="production")
    production = production.rename(
        columns={"production_min_t": "sourced_min_t", "production_max_t": "sourced_max_t"}
    )
    # a stage traded but without any production series: each zone country in [0, ∞)
    traded = status[KEYS].drop_duplicates()
    no_series = traded.merge(
        production[KEYS].drop_duplicates(), on=KEYS, how="left", indicator=True
    )
    no_series = no_series[no_series["_merge"] == "left_only"][KEYS]
    unbounded = no_series.merge(
        pd.DataFrame({"country": pd.Series(sorted(countries), dtype=object)}), how="cross"
    ).assign(sourced_min_t=0.0, sourced_max_t=np.inf, kind="production")
    cols = [*KEYS, "country", "kind", "sourced_min_t", "sourced_max_t"]
    long = pd.concat([production[cols], unbounded[cols], imports[cols]], ignore_index=True)
    long["sourced_max_t"] = long["sourced_max_t"].fillna(np.inf)
    long = long.merge(status, on=KEYS, how="inner")
    # zone countries certainly producing nothing are not sources
    long = long[(long["sourced_max_t"] > 0) | (long["kind"] == "import")]
    grouped = long.groupby(KEYS, sort=False)
    sum_min = grouped["sourced_min_t"].transform("sum")
    sum_max = grouped["sourced_max_t"].transform("sum")
    lo, hi = long["sourced_min_t"], long["sourced_max_t"]
    with np.errstate(divide="ignore", invalid="ignore"):
        share_min = lo / (sum_max - hi + lo)
        share_min = share_min.where(~np.isinf(sum_max - hi), 0.0)
        share_max = (hi / (sum_min - lo + hi)).where(~np.isinf(hi), 1.0)
    has_any = sum_max > 0
    ok = long["usable"] & has_any
    long["share_min"] = share_min.where(ok)
    long["share_max"] = share_max.where(ok)
    point = (long["share_max"] - long["share_min"]) <= POINT_TOLERANCE
    long["share"] = long["share_min"].where(point)
    exact = lo == hi
    long["sourced_t"] = lo.where(exact)
    long["sourced_max_t"] = hi.where(~np.isinf(hi))
    long.loc[long["usable"] & ~has_any, "note"] = "no production and no imports"
    return (
        long[SOURCING_COLUMNS]
        .sort_values([*KEYS, "kind", "country"], kind="stable")
        .reset_index(drop=True)
    )


def bargaining_power(
    trade: pd.DataFrame,
    shares: pd.DataFrame,
    zone: Zone,
) -> pd.DataFrame:
    """The zone's weight as a buyer and a producer: share (fraction) of world imports and supply.

    Parameters
    ----------
    trade
        BACI rows (see :func:`member_flows`).
    shares
        Output of :func:`friendshore.metrics.shares.production_shares` for the
        default source (country rows with ``quantity_t`` and ``world_quantity_t``).
    zone
        The zone; its rivals (:attr:`Zone.rivals`) are left out of "non-rival supply".

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year and production series (``source``,
        ``product``; NULL where only trade exists), columns
        :data:`BARGAINING_COLUMNS`.

    Notes
    -----
    Demand side, in trade value (BACI): ``zone_import_share = (M_zone − M_intra) /
    (M_world − M_intra)`` treats the zone as one economy, as extra-EU trade
    statistics do (its intra-zone trade leaves both the numerator and world
    trade); ``zone_import_share_gross = M_zone / M_world`` counts every import of a
    zone country.

    Supply side, from :func:`friendshore.metrics.zone_supply.non_rival_supply`
    (the one implementation): ``zone_production_share = Q_zone / W`` and
    ``zone_non_rival_supply_share = Q_zone / (W − Q_rivals)``, the zone's share
    of supply outside its rivals, with ``W`` the world denominator of
    :func:`~friendshore.metrics.shares.world_denominator`. ``Q_zone`` is NULL
    where a member's figure is withheld or missing; the ``*_max`` columns are
    the upper bounds of :func:`~friendshore.metrics.zone_supply.zone_production_share`.
    Both are NULL where a rival's figure is withheld.
    """
    zone_countries = list(zone.countries)
    imp_in = trade["importer"].isin(zone_countries)
    exp_in = trade["exporter"].isin(zone_countries)
    demand = pd.DataFrame(
        {
            **{k: trade[k] for k in KEYS},
            "world_imports_value_usd": trade["value_usd"],
            "zone_imports_value_usd": trade["value_usd"].where(imp_in, 0.0),
            "intra_zone_imports_value_usd": trade["value_usd"].where(imp_in & exp_in, 0.0),
        }
    )
    demand = demand.groupby(KEYS, sort=False).sum()
    intra = demand["intra_zone_imports_value_usd"]
    demand["zone_import_share"] = _ratio(
        demand["zone_imports_value_usd"] - intra, demand["world_imports_value_usd"] - intra
    )
    demand["zone_import_share_gross"] = _ratio(
        demand["zone_imports_value_usd"], demand["world_imports_value_usd"]
    )

    base = non_rival_supply(shares, zone)
    world = base["world_quantity_t"]
    supply = pd.DataFrame(
        {
            **{k: base[k] for k in ["source", *KEYS, "product"]},
            "world_quantity_t": world,
            "zone_production_t": base["zone_quantity_t"],
            "zone_production_max_t": base["zone_quantity_max_t"],
            "rival_production_t": base["rival_quantity_t"],
            "zone_production_share": base["zone_quantity_t"] / world,
            "zone_production_share_max": base["zone_quantity_max_t"] / world,
            "zone_non_rival_supply_share": base["zone_non_rival_share"],
            "zone_non_rival_supply_share_max": base["zone_non_rival_share_max"],
            "n_zone_withheld": base["n_members_withheld"] + base["n_members_missing"],
        }
    )
    supply["supply_note"] = first_match(
        supply.index,
        [
            (supply["n_zone_withheld"] > 0, "a zone country's production is withheld or missing"),
            (
                supply["rival_production_t"].isna() & world.notna(),
                "the rivals' production is withheld or missing",
            ),
        ],
    )
    out = demand.reset_index().merge(supply, on=KEYS, how="outer")
    out["n_zone_withheld"] = out["n_zone_withheld"].fillna(0).astype("int64")
    return (
        out[BARGAINING_COLUMNS]
        .sort_values([*KEYS, "source", "product"], kind="stable")
        .reset_index(drop=True)
    )
