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

import numpy as np
import pandas as pd

from friendshore.metrics._frames import first_match
from friendshore.metrics.concentration import group_hhi
from friendshore.metrics.shares import world_denominator
from friendshore.model.zone import Zone

#: Label of the row for the zone as one economic unit in ``member`` columns.
ZONE = "zone"

#: Keys of every dependence frame.
KEYS: list[str] = ["mineral_id", "stage", "year"]

#: Default share of trade value that must carry a contained (or gross) quantity
#: for quantities to be used in import reliance; the rest is left out, not estimated.
MIN_COVERAGE = 0.95

#: Default widest interval of import reliance (from production a source does not
#: list or withholds) for which a point value is given.
MAX_SPREAD = 0.05

# production_status values
REPORTED = "reported"
PARTLY_LISTED = "partly listed"
NOT_LISTED = "not listed"
WITHHELD = "withheld"
SEVERAL_PRODUCTS = "several products"
NO_SERIES = "no production series"

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

PRODUCTION_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "production_t",
    "production_known_t",
    "production_max_t",
    "production_status",
    "production_source",
    "n_production_withheld",
]

DEPENDENCE_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "imports_value_usd",
    "exports_value_usd",
    "imports_t",
    "exports_t",
    "imports_content_coverage",
    "exports_content_coverage",
    "imports_gross_t",
    "exports_gross_t",
    "imports_quantity_coverage",
    "exports_quantity_coverage",
    "production_t",
    "production_max_t",
    "production_status",
    "production_source",
    "n_production_withheld",
    "apparent_consumption_t",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
    "import_reliance_basis",
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
    "basis",
    "note",
]

SOURCING_COLUMNS: list[str] = [
    *KEYS,
    "country",
    "kind",
    "sourced_t",
    "share",
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
            "content_value_usd": trade["value_usd"].where(trade["content_t"].notna(), 0.0),
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


def _covered(value: pd.Series, covered_value: pd.Series, threshold: float) -> pd.Series:
    """True where no trade at all, or the covered share of value reaches ``threshold``."""
    return (value == 0) | (covered_value >= threshold * value)


def member_production(
    rows: pd.DataFrame, zone: Zone, totals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Production (t) of each member and of the zone, per mineral, stage and year.

    Parameters
    ----------
    rows
        Country rows of the default source (the first frame of
        :meth:`SupplyNetwork.default_production`, or the output of
        :func:`friendshore.metrics.shares.production_shares`): ``source,
        mineral_id, stage, product, year, country, quantity_t``.
    zone
        The zone.
    totals
        The matching world-total and other-countries rows (the second frame of
        :meth:`SupplyNetwork.default_production`). Without them no upper bound
        can be put on what a source does not list, and ``production_max_t`` is
        NULL wherever a member country is unlisted or withheld.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage and year with a production series, and member
        (zone members and ``'zone'``), columns :data:`PRODUCTION_COLUMNS`:
        ``production_known_t`` (sum of the member countries' figures given),
        ``production_t`` (the same, NULL if a member country's figure is
        withheld), ``production_max_t`` (upper bound), ``production_status``,
        ``production_source``, ``n_production_withheld``.

    Notes
    -----
    A country the source does not list is counted as 0 in ``production_t`` (the
    convention of the USGS tables, which list every producer of note), but may
    hide in the source's "other countries" / "rest of world" row, so
    ``production_max_t`` adds that row to ``production_known_t`` when a member
    country is unlisted (nothing where the source has no such row: its list is
    then complete). A withheld figure has no usable bound (USGS world totals
    often leave withheld countries out), so ``production_max_t`` is NULL then.
    ``production_status``:

    * ``reported``: every member country is listed with a figure;
    * ``partly listed`` / ``not listed``: some / none of the member countries
      are listed;
    * ``withheld``: a member country's figure is withheld or missing;
    * ``several products``: the series splits into products on different bases
      (titanium: ilmenite and rutile; iron ore: usable ore and iron content), so
      there is no single figure (all NULL).
    """
    keys = KEYS
    series = rows.groupby(keys, sort=False).agg(
        n_products=("product", "nunique"),
        production_source=("source", lambda s: "; ".join(sorted(set(map(str, s))))),
    )
    if totals is not None:
        world = world_denominator(rows, totals)
        world = world.groupby(keys, sort=False).agg(
            world_t=("world_quantity_t", "first"),
            other_t=("other_t", "first"),
        )
        series = series.join(world, how="left")
    else:
        series = series.assign(world_t=np.nan, other_t=np.nan)
    members = zone.country_to_member()
    inside = rows[rows["country"].isin(list(members))]
    per = pd.concat(
        [
            inside.assign(member=inside["country"].map(members)),
            inside.assign(member=ZONE),
        ],
        ignore_index=True,
    )
    agg = per.groupby([*keys, "member"], sort=False).agg(
        production_known_t=("quantity_t", "sum"),
        n_production_withheld=("quantity_t", lambda s: int(s.isna().sum())),
        n_listed=("country", "nunique"),
    )
    size = {m: len(group) for m, group in zone.members.items()} | {ZONE: len(zone.countries)}
    entities = pd.DataFrame({"member": list(size), "n_countries": list(size.values())})
    out = series.reset_index().merge(entities, how="cross")
    out = out.merge(agg.reset_index(), on=[*keys, "member"], how="left")
    out["n_listed"] = out["n_listed"].fillna(0)
    out["n_production_withheld"] = out["n_production_withheld"].fillna(0).astype("int64")
    out["production_known_t"] = out["production_known_t"].fillna(0.0)
    several = out["n_products"] > 1
    withheld = out["n_production_withheld"] > 0
    unlisted = out["n_listed"] < out["n_countries"]
    out["production_status"] = np.select(
        [several, withheld, out["n_listed"] == 0, unlisted],
        [SEVERAL_PRODUCTS, WITHHELD, NOT_LISTED, PARTLY_LISTED],
        default=REPORTED,
    )
    # a country the source does not list lies within its "other countries" row
    # (nothing if it has none: the list is then complete); a withheld figure has no
    # usable bound (USGS world totals often leave it out), so the maximum is NULL
    unlisted_bound = out["other_t"].fillna(0.0).where(out["world_t"].notna())
    out["production_max_t"] = (
        out["production_known_t"] + unlisted_bound.where(unlisted, 0.0)
    ).where(~withheld)
    out["production_t"] = out["production_known_t"].where(~withheld)
    for col in ("production_t", "production_known_t", "production_max_t"):
        out[col] = out[col].where(~several)
    return out[PRODUCTION_COLUMNS]


def import_dependence(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    rival: str = "CHN",
    min_coverage: float = MIN_COVERAGE,
    max_spread: float = MAX_SPREAD,
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
        ISO3 code of the country whose share of imports is measured (``china_*``
        columns; China by default).
    min_coverage
        Share of the trade value (imports and exports each) that must carry a
        contained quantity for contained tonnes to be used; the value left
        uncovered (at most ``1 − min_coverage``) is left out, never estimated.
    max_spread
        Widest interval ``import_reliance_max − import_reliance_min`` (from
        unlisted or withheld production) for which ``import_reliance`` is given.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage and year traded (BACI) and ``member`` (each
        zone member, and ``'zone'``), columns :data:`DEPENDENCE_COLUMNS`:

        * ``imports_value_usd``, ``exports_value_usd`` (USD); ``imports_t``,
          ``exports_t`` (contained t of the flows that have a content factor);
          ``*_content_coverage`` (value share of those flows; NULL without trade);
          ``imports_gross_t``, ``exports_gross_t`` (gross t) and
          ``*_quantity_coverage``;
        * ``production_t``, ``production_max_t``, ``production_status``,
          ``production_source``, ``n_production_withheld`` (see
          :func:`member_production`);
        * ``apparent_consumption_t`` = production + imports − exports (contained t);
        * ``import_reliance`` (fraction; NULL with ``import_reliance_note`` saying
          why), its bounds ``import_reliance_min``/``_max`` and
          ``import_reliance_basis``;
        * ``china_imports_value_usd``; ``china_import_share_value`` (share of
          import value from ``rival``) and ``china_import_share_qty`` (share of
          gross import tonnes, over the flows with a BACI quantity);
        * ``intra_zone_value_usd``, ``intra_zone_share``;
        * ``import_hhi`` (0–10,000) and ``n_sources`` (partner countries).

    Notes
    -----
    Net import reliance, as USGS defines it for the Mineral Commodity Summaries
    and the JRC (Blengini et al. 2017, eq. 4) for the EU CRM assessment::

        IR = (imports − exports) / (production + imports − exports)

    in contained tonnes, with production from the default source and trade from
    BACI. It is computed at the production figures given (unlisted countries as
    0, ``production_known_t``) and at the upper bound ``production_max_t`` (or,
    where production has no upper bound, in the limit of large production,
    where IR → 0); ``import_reliance_min``/``_max`` are the two ends.
    ``import_reliance`` is the first where every member country is listed with
    a figure or the two ends differ by at most ``max_spread``, else NULL. It is also
    NULL where production is unknown (several products, no series), where less
    than ``min_coverage`` of the trade value has a content factor, or where
    apparent consumption is not positive (stock changes are not in the data).
    Where production is certainly 0 (``production_max_t = 0``) the quotient is
    exactly 1 whenever net imports are positive, whatever the unit, so IR = 1 is
    given on gross tonnes too (basis ``'zero production'``). IR is **not**
    clipped: a net exporter has IR < 0 (USGS prints "E" there).

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
    flows["rival_value_usd"] = flows["value_usd"].where(flows["exporter"] == rival, 0.0)
    flows["rival_quantity_t"] = flows["quantity_t"].where(flows["exporter"] == rival, 0.0)
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

    entities = pd.DataFrame({"member": [*zone.members, ZONE]})
    out = trade[KEYS].drop_duplicates().merge(entities, how="cross")
    for part in (imp, exp, rival_agg, intra, hhi):
        out = out.merge(part.reset_index(), on=by, how="left")
    sums = [c for c in out.columns if c.endswith(("_usd", "_t")) and c != "intra_base_usd"]
    out[sums] = out[sums].fillna(0.0)
    out["n_sources"] = out["n_sources"].fillna(0).astype("int64")
    for side in ("imports", "exports"):
        value = out[f"{side}_value_usd"]
        out[f"{side}_content_coverage"] = _ratio(out[f"{side}_content_value_usd"], value)
        out[f"{side}_quantity_coverage"] = _ratio(out[f"{side}_quantity_value_usd"], value)

    production = member_production(rows, zone, totals)
    out = out.merge(production, on=by, how="left")
    out["production_status"] = out["production_status"].fillna(NO_SERIES)
    out["n_production_withheld"] = out["n_production_withheld"].fillna(0).astype("int64")
    _add_import_reliance(out, min_coverage, max_spread)

    out["china_imports_value_usd"] = out["rival_value_usd"]
    out["china_import_share_value"] = _ratio(out["rival_value_usd"], out["imports_value_usd"])
    out["china_import_share_qty"] = _ratio(out["rival_quantity_t"], out["imports_gross_t"])
    base = out["intra_base_usd"].where(out["member"] == ZONE, out["imports_value_usd"])
    out["intra_zone_share"] = _ratio(out["intra_zone_value_usd"], base)
    out["import_hhi"] = out["import_hhi"].where(out["imports_value_usd"] > 0)
    return out[DEPENDENCE_COLUMNS].sort_values(by, kind="stable").reset_index(drop=True)


def _reliance(production: pd.Series, net: pd.Series) -> pd.Series:
    """``net / (production + net)``, NULL where the denominator is not positive."""
    consumption = production + net
    return net / consumption.where(consumption > 0)


def _add_import_reliance(out: pd.DataFrame, min_coverage: float, max_spread: float) -> None:
    """Add apparent consumption and import reliance (in place); see :func:`import_dependence`."""
    content_ok = _covered(
        out["imports_value_usd"], out["imports_content_value_usd"], min_coverage
    ) & _covered(out["exports_value_usd"], out["exports_content_value_usd"], min_coverage)
    gross_ok = _covered(
        out["imports_value_usd"], out["imports_quantity_value_usd"], min_coverage
    ) & _covered(out["exports_value_usd"], out["exports_quantity_value_usd"], min_coverage)
    net = (out["imports_t"] - out["exports_t"]).where(content_ok)
    known = out["production_known_t"]
    at_known = _reliance(known, net)
    # IR moves towards 0 as production grows: with no upper bound on production
    # (withheld figure, or no totals) the other end of the interval is 0
    at_max = _reliance(out["production_max_t"], net).where(out["production_max_t"].notna(), 0.0)
    at_max = at_max.where(at_known.notna())
    # certainly no production: IR = 1 on any basis when net imports are positive
    net_gross = out["imports_gross_t"] - out["exports_gross_t"]
    zero = (out["production_max_t"] == 0) & ~content_ok & gross_ok & (net_gross > 0)
    at_known = at_known.mask(zero, 1.0)
    at_max = at_max.mask(zero, 1.0)
    ir_min = np.fmin(at_known, at_max)
    ir_max = np.fmax(at_known, at_max)
    exact = out["production_status"] == REPORTED
    ok = at_known.notna() & (exact | ((ir_max - ir_min) <= max_spread))
    out["apparent_consumption_t"] = (out["production_t"] + net).where(content_ok)
    out["import_reliance"] = at_known.where(ok)
    out["import_reliance_min"] = ir_min
    out["import_reliance_max"] = ir_max
    out["import_reliance_basis"] = first_match(
        out.index,
        [(ok & zero, "zero production"), (ok, "contained t")],
    )
    unknown = out["production_status"].isin([SEVERAL_PRODUCTS, NO_SERIES])
    out["import_reliance_note"] = first_match(
        out.index,
        [
            (ok, None),
            (unknown, "production " + out["production_status"].astype(str)),
            (~content_ok & ~zero, "no content factor for part of the trade"),
            (
                at_known.notna(),
                "production of unlisted or withheld countries leaves import reliance "
                "between import_reliance_min and import_reliance_max",
            ),
        ],
        default="apparent consumption not positive",
    )


def self_sufficiency(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    min_coverage: float = MIN_COVERAGE,
    max_spread: float = MAX_SPREAD,
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
        ``apparent_consumption_t``, ``self_sufficiency`` with its bounds
        ``self_sufficiency_min``/``_max``, ``basis`` and ``note`` (why it is NULL).

    Notes
    -----
    ``self_sufficiency = P / (P + M − X)`` with ``P`` the production of all zone
    countries and ``M``, ``X`` the zone's imports from and exports to the rest of
    the world (intra-zone trade is domestic), in contained tonnes. It equals
    ``1 − IR`` of the zone row of :func:`import_dependence` and is NULL where
    that is; above 1 the zone is a net exporter.
    """
    if dependence is None:
        dependence = import_dependence(
            trade, rows, zone, totals=totals, min_coverage=min_coverage, max_spread=max_spread
        )
    dep = dependence[dependence["member"] == ZONE]
    out = dep[[*KEYS, "production_t", "production_status", "imports_t", "exports_t"]].copy()
    out["apparent_consumption_t"] = dep["apparent_consumption_t"]
    out["self_sufficiency"] = 1.0 - dep["import_reliance"]
    out["self_sufficiency_min"] = 1.0 - dep["import_reliance_max"]
    out["self_sufficiency_max"] = 1.0 - dep["import_reliance_min"]
    out["basis"] = dep["import_reliance_basis"]
    out["note"] = dep["import_reliance_note"]
    return out[SELF_SUFFICIENCY_COLUMNS].reset_index(drop=True)


def zone_sourcing(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    min_coverage: float = MIN_COVERAGE,
    max_spread: float = MAX_SPREAD,
    dependence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The zone's actual sourcing mix (t): its own production by country plus imports by origin.

    Parameters are those of :func:`import_dependence`, and:

    dependence
        The output of :func:`import_dependence` for the same inputs, if already
        computed (only its ``'zone'`` rows are read); computed here when ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year traded and supplying country, columns
        :data:`SOURCING_COLUMNS`: ``kind`` (``'production'`` for a zone
        country's own output, ``'import'`` for imports from outside the zone),
        ``sourced_t``, ``share`` of the zone's total sourcing (NULL for the whole
        mineral, stage and year where it cannot be computed), ``basis`` and
        ``note`` (why the shares are NULL).

    Notes
    -----
    This is the "EU sourcing" of the JRC supply-risk method (Blengini et al.
    2017, section 3.2.1: domestic production plus imports) with the zone in
    place of the EU: each zone country's production keeps its own governance
    score, intra-zone trade is domestic. Production and imports are added in
    contained tonnes, so the shares exist exactly where the zone's import
    reliance does (:func:`import_dependence`); where the zone certainly
    produces nothing the mix is imports only, in gross tonnes if content factors
    are missing (basis ``'gross t, imports only'``).
    """
    if dependence is None:
        dependence = import_dependence(
            trade, rows, zone, totals=totals, min_coverage=min_coverage, max_spread=max_spread
        )
    dep = dependence[dependence["member"] == ZONE]
    status = dep[[*KEYS, "import_reliance", "import_reliance_basis", "import_reliance_note"]]
    status = status.assign(
        basis=status["import_reliance_basis"].replace({"zero production": "gross t, imports only"}),
        note=status["import_reliance_note"],
    )[[*KEYS, "basis", "note"]]
    flows = member_flows(trade, zone)
    outside = flows[flows["importer_member"].notna() & flows["exporter_member"].isna()]
    imports = (
        outside.groupby([*KEYS, "exporter"], sort=False, dropna=False)[["content_t", "quantity_t"]]
        .sum()
        .reset_index()
        .rename(columns={"exporter": "country"})
        .merge(status, on=KEYS, how="left")
    )
    imports["sourced_t"] = imports["content_t"].where(
        imports["basis"] == "contained t", imports["quantity_t"]
    )
    imports["kind"] = "import"
    inside = rows[rows["country"].isin(list(zone.countries))]
    production = inside[[*KEYS, "country", "quantity_t"]].rename(
        columns={"quantity_t": "sourced_t"}
    )
    production = production.merge(status, on=KEYS, how="inner")
    production = production[production["basis"] == "contained t"].assign(kind="production")
    cols = [*KEYS, "country", "kind", "sourced_t", "basis", "note"]
    long = pd.concat([production[cols], imports[cols]], ignore_index=True)
    total = long.groupby(KEYS, sort=False)["sourced_t"].transform("sum")
    long["share"] = (long["sourced_t"] / total.where(total > 0)).where(long["basis"].notna())
    long.loc[long["basis"].notna() & ~(total > 0), "note"] = "no production and no imports"
    return (
        long[SOURCING_COLUMNS]
        .sort_values([*KEYS, "kind", "country"], kind="stable")
        .reset_index(drop=True)
    )


def bargaining_power(
    trade: pd.DataFrame,
    shares: pd.DataFrame,
    zone: Zone,
    *,
    rival: str = "CHN",
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
        The zone.
    rival
        The country left out of "non-rival supply" (China by default).

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

    Supply side, against the world denominator ``W`` of
    :func:`~friendshore.metrics.shares.world_denominator`:
    ``zone_production_share = Q_zone / W`` and ``zone_non_rival_supply_share =
    Q_zone / (W − Q_rival)``, the zone's share of supply outside the rival.
    ``Q_zone`` sums the zone countries' figures, an unlisted country counting 0
    (NULL if one is withheld); the ``*_max`` columns add what the world total
    leaves unexplained by the countries given (other countries, withheld
    figures, rounding), within which unlisted or withheld zone production must
    lie. Both are NULL where the rival's figure is withheld.
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

    series = ["source", *KEYS, "product"]
    in_zone = shares["country"].isin(zone_countries)
    is_rival = shares["country"] == rival
    missing = shares["quantity_t"].isna()
    supply = (
        pd.DataFrame(
            {
                **{k: shares[k] for k in series},
                "world_quantity_t": shares["world_quantity_t"],
                "known_t": shares["quantity_t"].fillna(0.0),
                "zone_t": shares["quantity_t"].where(in_zone, 0.0).fillna(0.0),
                "n_zone_withheld": (in_zone & missing).astype("int64"),
                "n_zone_listed": in_zone.astype("int64"),
                "rival_t": shares["quantity_t"].where(is_rival, 0.0),
                "rival_missing": (is_rival & missing).astype("int64"),
            }
        )
        .groupby(series, sort=False, dropna=False)
        .agg(
            world_quantity_t=("world_quantity_t", "first"),
            known_t=("known_t", "sum"),
            zone_t=("zone_t", "sum"),
            n_zone_withheld=("n_zone_withheld", "sum"),
            n_zone_listed=("n_zone_listed", "sum"),
            rival_production_t=("rival_t", "sum"),
            rival_missing=("rival_missing", "sum"),
        )
    )
    world = supply["world_quantity_t"].where(supply["world_quantity_t"] > 0)
    residual = (world - supply["known_t"]).clip(lower=0.0)
    withheld = supply["n_zone_withheld"] > 0
    uncertain = withheld | (supply["n_zone_listed"] < len(zone_countries))
    supply["zone_production_t"] = supply["zone_t"].where(~withheld)
    supply["zone_production_max_t"] = supply["zone_t"] + residual.where(uncertain, 0.0)
    rival_t = supply["rival_production_t"].where(supply["rival_missing"] == 0)
    supply["rival_production_t"] = rival_t
    supply["zone_production_share"] = supply["zone_production_t"] / world
    supply["zone_production_share_max"] = supply["zone_production_max_t"] / world
    non_rival = world - rival_t
    non_rival = non_rival.where(non_rival > 0)
    supply["zone_non_rival_supply_share"] = supply["zone_production_t"] / non_rival
    supply["zone_non_rival_supply_share_max"] = supply["zone_production_max_t"] / non_rival
    supply["supply_note"] = first_match(
        supply.index,
        [
            (withheld, "a zone country's production is withheld or missing"),
            (supply["rival_missing"] > 0, "the rival's production is withheld or missing"),
        ],
    )
    out = demand.reset_index().merge(supply.reset_index(), on=KEYS, how="outer")
    out["n_zone_withheld"] = out["n_zone_withheld"].fillna(0).astype("int64")
    return (
        out[BARGAINING_COLUMNS]
        .sort_values([*KEYS, "source", "product"], kind="stable")
        .reset_index(drop=True)
    )
