"""The material balance (t) of each zone member and of the zone, per mineral, stage and year.

One concept, one name: the **material balance** is production, imports,
exports and stock change of one economy, and what follows from them, apparent
consumption and net import reliance. :func:`material_balance` builds it for
every member of a :class:`~friendshore.model.zone.Zone` and for the zone as one
economy (``member = 'zone'``); ``assess``, the dependence and supply-risk
metrics, scenarios and the investment planner read it.

**Bounds instead of blanks.** Where the sources bound a quantity without fixing
it, the balance carries an interval ``[X_min, X_max]`` and gives the point
value ``X`` only where the two ends agree (within :data:`POINT_TOLERANCE` for
fractions). The bounds come from the data, never from a guess:

* a country that a USGS world table does not list produced between 0 and the
  table's "Other countries" figure (the members together at most that figure;
  where that row is NA, at most what the world total leaves unexplained);
* a withheld (``W``) or missing cell lies between 0 and the world total minus
  the listed countries, plus half a unit of the rounded total (no upper bound
  where the table has no world total, or where the total says it "excludes
  U.S. production" and the withheld figure is the U.S. one);
* a figure USGS gives only as a bound (``<100,000``) lies between 0 and it;
* production of a stage no source covers lies between 0 and ∞;
* a trade flow whose HS code has no content factor contains between 0 and its
  gross weight; the content of an HS product is the same whichever way it
  crosses the border (the assumption behind every factor of the concordance),
  so a code's net imports lie between 0 and its gross net imports;
* a code that carries several minerals (``concordances/hs_bounds.csv``: HS92
  261690 gold and PGM ores, HS17 811292 unwrought Ga, Ge, In …) contains
  between 0 and its gross weight of each, independently each way: its net
  imports lie in ``[−exports, imports]`` (gross t);
* a series with production but no trade in the year keeps its rows: where the
  member's production is certainly zero (``production_max_t = 0``) any positive
  consumption is imported (import reliance 100%), else there is no bound and
  the note says which HS codes had no flows, or that the stage has none;
* BACI flows without a quantity are left out; their share of the trade value
  is given (``trade_quantity_coverage``) and named in ``basis``.

For the United States, USGS's own balance (the salient statistics,
:func:`friendshore.metrics.published.us_balance`) replaces BACI and the world
tables where it covers the mineral and stage (``concordances/salient_stages.csv``
says which stage each salient commodity measures and whether it counts all forms
of the mineral, primary and secondary); its net import reliance is USGS's
definition, computed from USGS's components (:func:`us_salient_rows`).

Column convention, for every metric ``X``: ``X`` (the point value, NULL unless
the interval is a point), ``X_min``, ``X_max`` and a note saying why ``X`` is
not a point or why even the bounds are NULL. :func:`interval_fields` turns the
four into the JSON shape of the interfaces.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from friendshore._core.records import plain
from friendshore.data.catalog import read_hs_bounds, read_hs_concordance, read_salient_stages
from friendshore.metrics._frames import first_match
from friendshore.metrics.shares import world_denominator
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone

__all__ = [
    "BALANCE_COLUMNS",
    "CERTAINLY_ZERO",
    "CONTAINED_TRADE_FIELDS",
    "INCONSISTENT",
    "INTERVAL",
    "KEYS",
    "NO_BOUND",
    "NO_TRADE",
    "NO_TRADE_CODE",
    "POINT",
    "POINT_TOLERANCE",
    "PRODUCTION_COLUMNS",
    "PRODUCTION_FIELDS",
    "RELIANCE_FIELDS",
    "US_ROW_COLUMNS",
    "ZONE",
    "balance_frame",
    "country_production_bounds",
    "half_unit",
    "has_content_factor",
    "interval_fields",
    "material_balance",
    "member_production",
    "no_trade_reasons",
    "reliance_bounds",
    "trade_bounds",
    "us_salient_rows",
]

#: Label of the row for the zone as one economic unit in ``member`` columns.
ZONE = "zone"

#: Keys of every balance frame (with ``member``).
KEYS: list[str] = ["mineral_id", "stage", "year"]

#: Widest interval of a fraction (import reliance, shares) still given as a point:
#: half a unit of the last digit of a percentage printed with one decimal.
POINT_TOLERANCE = 5e-4

#: Plausible range of net import reliance: beyond it the sources contradict each other.
RELIANCE_RANGE: tuple[float, float] = (-1.0, 1.0)

# status of a balance row (of its import reliance)
POINT = "point"
INTERVAL = "interval"
INCONSISTENT = "inconsistent sources"
NO_BOUND = "no bound"

# production_status values
REPORTED = "reported"
PARTLY_LISTED = "partly listed"
NOT_LISTED = "not listed"
WITHHELD = "withheld"
BOUNDED = "published as a bound"
SEVERAL_PRODUCTS = "several products"
NO_SERIES = "no production series"

PRODUCTION_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "production_t",
    "production_known_t",
    "production_min_t",
    "production_max_t",
    "production_status",
    "production_source",
    "n_production_withheld",
]

TRADE_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "imports_value_usd",
    "exports_value_usd",
    "imports_min_t",
    "imports_max_t",
    "exports_min_t",
    "exports_max_t",
    "net_imports_min_t",
    "net_imports_max_t",
    "imports_gross_t",
    "exports_gross_t",
    "trade_content_coverage",
    "trade_quantity_coverage",
    "trade_source",
]

#: Production of a balance row (t; point, bounds, status, source, withheld count).
PRODUCTION_FIELDS: list[str] = [
    "production_t",
    "production_min_t",
    "production_max_t",
    "production_status",
    "production_source",
    "n_production_withheld",
]

#: Contained imports and exports of a balance row (t; point and bounds).
CONTAINED_TRADE_FIELDS: list[str] = [
    "imports_t",
    "imports_min_t",
    "imports_max_t",
    "exports_t",
    "exports_min_t",
    "exports_max_t",
]

#: Apparent consumption (t) and net import reliance (fraction) of a balance row, with bounds.
RELIANCE_FIELDS: list[str] = [
    "apparent_consumption_t",
    "apparent_consumption_min_t",
    "apparent_consumption_max_t",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
]

BALANCE_COLUMNS: list[str] = [
    *KEYS,
    "member",
    *PRODUCTION_FIELDS,
    "secondary_production_t",
    *CONTAINED_TRADE_FIELDS,
    "net_imports_min_t",
    "net_imports_max_t",
    "imports_value_usd",
    "exports_value_usd",
    "trade_content_coverage",
    "trade_quantity_coverage",
    "trade_source",
    "stock_change_t",
    "stock_source",
    *RELIANCE_FIELDS,
    "import_reliance_note",
    "basis",
    "status",
    "note",
]

#: Why a row has no trade figure (in general; :func:`no_trade_reasons` says which).
NO_TRADE = "no trade code for this stage (or no trade in the year)"

#: Why a mineral and stage without any HS code has no trade figure.
NO_TRADE_CODE = "no HS code for this mineral and stage in the BACI subset"

#: Why a row without trade data still has an import reliance.
CERTAINLY_ZERO = (
    "production certainly zero (the world table lists no such producer and leaves no room "
    "for one): 100% of any positive consumption"
)

_TRADE_SOURCE = "CEPII BACI"
_US_SOURCE = "USGS MCS salient"


# --- production ---------------------------------------------------------------------------

#: How a USGS world total says it leaves the withheld U.S. figure out
#: (``rounded; excludes U.S. production``): that figure is then not bounded by it.
_EXCLUDES_US = r"(?i)exclud\w* (?:the )?(?:U\.\s?S\.|United States)"


def half_unit(total: pd.Series) -> pd.Series:
    """Half a unit (t) of the last non-zero digit of each (rounded) total; 0 where NULL.

    USGS rounds world totals to two or three significant figures: 8,080,000 may
    stand for anything within 5,000 t of it. Examples: 376,000 → 500; 3,530 → 5.
    """
    w = total.to_numpy(dtype="float64")
    out = np.zeros(w.shape)
    ok = np.isfinite(w) & (w > 0)
    v = w[ok]
    unit = 10.0 ** np.floor(np.log10(v))
    for _ in range(16):  # the coarsest power of ten that divides the total
        coarse = np.abs(v / unit - np.round(v / unit)) > 1e-6
        if not coarse.any():
            break
        unit = np.where(coarse, unit / 10.0, unit)
    out[ok] = 0.5 * unit
    return pd.Series(out, index=total.index)


def _table_room(rows: pd.DataFrame, totals: pd.DataFrame | None) -> pd.DataFrame:
    """Per series (:data:`KEYS`): the room a world table leaves for unlisted and withheld figures.

    Columns ``world_t, other_t, listed_t`` (from
    :func:`~friendshore.metrics.shares.world_denominator`), ``unlisted_room``
    (t: "Other countries"; what the world total leaves unexplained where that
    row is NA; 0 where the table has no such row and a world total; ∞ without a
    world total), ``withheld_room`` (t: world − listed − other, plus half a
    unit of the rounded published total; ∞ without a world total) and
    ``excludes_us`` (the published total leaves the U.S. out, so a withheld U.S.
    figure is unbounded).
    """
    keys = KEYS
    index = rows.groupby(keys, sort=False).size().index
    out = pd.DataFrame(index=index)
    if totals is None:
        out["world_t"] = out["other_t"] = out["listed_t"] = np.nan
        out["unlisted_room"] = out["withheld_room"] = np.inf
        out["excludes_us"] = False
        return out
    world = (
        world_denominator(rows, totals)
        .groupby(keys, sort=False)
        .agg(
            world_t=("world_quantity_t", "first"),
            other_t=("other_t", "first"),
            listed_t=("known_t", "first"),
        )
    )
    out = out.join(world, how="left")
    tot = totals[totals["mineral_id"].isin(rows["mineral_id"].unique())]
    note = (
        tot["note"].astype(object)
        if "note" in tot.columns
        else pd.Series(None, index=tot.index, dtype=object)
    )
    flags = pd.DataFrame(
        {
            **{k: tot[k] for k in keys},
            "is_other": tot["kind"].eq("other"),
            "published_t": tot["quantity_t"].where(tot["kind"].eq("world")),
            "excludes_us": tot["kind"].eq("world")
            & note.fillna("").astype(str).str.contains(_EXCLUDES_US, regex=True).astype(bool),
        }
    )
    per = flags.groupby(keys, sort=False).agg(
        has_other=("is_other", "any"),
        published_t=("published_t", "first"),
        excludes_us=("excludes_us", "any"),
    )
    out = out.join(per, how="left")
    out["has_other"] = out["has_other"].fillna(False).astype(bool)
    out["excludes_us"] = out["excludes_us"].fillna(False).astype(bool)
    has_world = out["world_t"].notna()
    residual = (out["world_t"] - out["listed_t"].fillna(0.0) - out["other_t"].fillna(0.0)).clip(
        lower=0.0
    ) + half_unit(out["published_t"])
    out["withheld_room"] = residual.where(has_world, np.inf)
    unlisted = np.select(
        [out["other_t"].notna(), out["has_other"] & has_world, has_world],
        [out["other_t"], residual, 0.0],
        default=np.inf,
    )
    out["unlisted_room"] = unlisted
    return out[["world_t", "other_t", "listed_t", "unlisted_room", "withheld_room", "excludes_us"]]


def member_production(
    rows: pd.DataFrame, zone: Zone, totals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Production (t) of each member and of the zone, with its bounds, per mineral, stage, year.

    Parameters
    ----------
    rows
        Country rows of the default source (the first frame of
        :meth:`SupplyNetwork.default_production`, or the output of
        :func:`friendshore.metrics.shares.production_shares`): ``source,
        mineral_id, stage, product, year, country, quantity_t`` and, if
        present, ``bound`` (``'<'`` where USGS gives only an upper bound).
    zone
        The zone.
    totals
        The matching world-total and other-countries rows (the second frame of
        :meth:`SupplyNetwork.default_production`). Without them nothing bounds
        what a source does not list, and ``production_max_t`` is NULL (∞)
        wherever a member country is unlisted or withheld.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage and year with a production series, and
        member (zone members and ``'zone'``), columns :data:`PRODUCTION_COLUMNS`:
        ``production_known_t`` (sum of the member countries' figures given),
        ``production_t`` (the point value: NULL where a figure is withheld or
        only bounded), ``production_min_t``/``production_max_t`` (bounds; a
        NULL maximum is unbounded), ``production_status``,
        ``production_source``, ``n_production_withheld``.

    Notes
    -----
    A country the source does not list is counted as 0 (the convention of the
    USGS tables, which list every producer of note) but may hide in the
    "other countries" / "rest of world" row, so the upper bound adds that row
    (once for all unlisted member countries together; nothing where the source
    has no such row: its list is then complete). A withheld or missing figure
    lies between 0 and what the world total leaves unexplained by the listed
    countries (unbounded where there is no world total); a figure published as
    ``<q`` lies between 0 and ``q``. ``production_status``:

    * ``reported``: every member country is listed with a figure;
    * ``partly listed`` / ``not listed``: some / none of them are listed;
    * ``withheld``: a member country's figure is withheld or missing;
    * ``published as a bound``: a member figure is given as ``<q``;
    * ``several products``: the series splits into products on different bases
      (titanium: ilmenite and rutile), so there is no single figure: all NULL
      but ``production_min_t = 0``.
    """
    keys = KEYS
    rows = rows.assign(
        _upper_only=(
            rows["bound"].fillna("").astype(str).eq("<")
            if "bound" in rows.columns
            else pd.Series(False, index=rows.index)
        )
    )
    series = rows.groupby(keys, sort=False).agg(
        n_products=("product", "nunique"),
        production_source=("source", lambda s: "; ".join(sorted(set(map(str, s))))),
    )
    series = series.join(_table_room(rows, totals), how="left")
    members = zone.country_to_member()
    inside = rows[rows["country"].isin(list(members))]
    per = pd.concat(
        [
            inside.assign(member=inside["country"].map(members)),
            inside.assign(member=ZONE),
        ],
        ignore_index=True,
    )
    per["_exact_t"] = per["quantity_t"].where(~per["_upper_only"], 0.0)
    per["_upper_t"] = per["quantity_t"].where(per["_upper_only"], 0.0)
    per["_withheld"] = per["quantity_t"].isna().astype("int64")
    per["_withheld_us"] = per["quantity_t"].isna() & per["country"].eq("USA")
    agg = per.groupby([*keys, "member"], sort=False).agg(
        production_known_t=("_exact_t", "sum"),
        upper_t=("_upper_t", "sum"),
        n_bounded=("_upper_only", "sum"),
        n_production_withheld=("_withheld", "sum"),
        withheld_us=("_withheld_us", "any"),
        n_listed=("country", "nunique"),
    )
    size = {m: len(group) for m, group in zone.members.items()} | {ZONE: len(zone.countries)}
    entities = pd.DataFrame({"member": list(size), "n_countries": list(size.values())})
    out = series.reset_index().merge(entities, how="cross")
    out = out.merge(agg.reset_index(), on=[*keys, "member"], how="left")
    for col in ("n_listed", "n_bounded", "n_production_withheld"):
        out[col] = out[col].fillna(0).astype("int64")
    out["production_known_t"] = out["production_known_t"].fillna(0.0)
    out["upper_t"] = out["upper_t"].fillna(0.0)
    several = out["n_products"] > 1
    withheld = out["n_production_withheld"] > 0
    bounded = out["n_bounded"] > 0
    unlisted = out["n_listed"] < out["n_countries"]
    out["production_status"] = np.select(
        [several, withheld, bounded, out["n_listed"] == 0, unlisted],
        [SEVERAL_PRODUCTS, WITHHELD, BOUNDED, NOT_LISTED, PARTLY_LISTED],
        default=REPORTED,
    )
    # unlisted member countries lie within "other countries" (0 if the table has none);
    # withheld figures within what the world total leaves unexplained, unless the
    # total leaves the (withheld) U.S. out
    withheld_room = out["withheld_room"].where(
        ~(out["withheld_us"].fillna(False).astype(bool) & out["excludes_us"]), np.inf
    )
    room = out["unlisted_room"].where(unlisted, 0.0) + withheld_room.where(withheld, 0.0)
    out["production_min_t"] = out["production_known_t"]
    out["production_max_t"] = (out["production_known_t"] + out["upper_t"] + room).replace(
        np.inf, np.nan
    )
    out["production_t"] = out["production_known_t"].where(~withheld & ~bounded)
    for col in ("production_t", "production_known_t", "production_max_t"):
        out[col] = out[col].where(~several)
    out["production_min_t"] = out["production_min_t"].where(~several, 0.0)
    return out[PRODUCTION_COLUMNS]


def country_production_bounds(
    rows: pd.DataFrame, totals: pd.DataFrame | None, countries: Collection[str]
) -> pd.DataFrame:
    """Production (t) of each of ``countries`` as an interval, per mineral, stage and year.

    Returns one row per series of ``rows`` (:data:`KEYS`) and country of
    ``countries``: ``country, production_min_t, production_max_t`` (a NULL
    maximum is unbounded) with the rules of :func:`member_production` applied
    to each country alone: listed with a figure ``[q, q]``, published as
    ``<q`` ``[0, q]``, withheld ``[0, world − listed − other]``, unlisted
    ``[0, other countries]`` (``[0, 0]`` where the table has none); a series
    split into several products gives ``[0, ∞)``.
    """
    wanted = sorted({str(c) for c in countries})
    upper_only = (
        rows["bound"].fillna("").astype(str).eq("<")
        if "bound" in rows.columns
        else pd.Series(False, index=rows.index)
    )
    series = rows.groupby(KEYS, sort=False).agg(n_products=("product", "nunique"))
    series = series.join(_table_room(rows, totals), how="left")
    series["other_room"] = series["unlisted_room"]
    series["residual"] = series["withheld_room"]
    grid = series.reset_index().merge(
        pd.DataFrame({"country": pd.Series(wanted, dtype=object)}), how="cross"
    )
    listed = rows.loc[rows["country"].isin(wanted), [*KEYS, "country", "quantity_t"]].assign(
        upper_only=upper_only[rows["country"].isin(wanted)]
    )
    listed = listed.groupby([*KEYS, "country"], sort=False).agg(
        quantity_t=("quantity_t", lambda s: s.sum(min_count=len(s))),
        upper_only=("upper_only", "any"),
        n=("quantity_t", "size"),
    )
    out = grid.merge(listed.reset_index(), on=[*KEYS, "country"], how="left")
    is_listed = out["n"].notna()
    withheld = is_listed & out["quantity_t"].isna()
    bounded = is_listed & out["upper_only"].fillna(False).astype(bool)
    exact = is_listed & ~withheld & ~bounded
    out["production_min_t"] = out["quantity_t"].where(exact, 0.0)
    withheld_room = out["residual"].where(~(out["country"].eq("USA") & out["excludes_us"]), np.inf)
    out["production_max_t"] = np.select(
        [exact | bounded, withheld],
        [out["quantity_t"], withheld_room],
        default=out["other_room"],
    )
    out["production_max_t"] = out["production_max_t"].replace(np.inf, np.nan)
    several = out["n_products"] > 1
    out["production_min_t"] = out["production_min_t"].where(~several, 0.0)
    out["production_max_t"] = out["production_max_t"].where(~several)
    return out[[*KEYS, "country", "production_min_t", "production_max_t"]]


# --- trade --------------------------------------------------------------------------------


def has_content_factor(trade: pd.DataFrame) -> pd.Series:
    """True for the BACI rows whose HS code has a content factor (with a quantity or not).

    ``content_t`` is NULL both where the code has no factor and where BACI gives
    no quantity; a code has a factor where any of its rows has ``content_t``.
    """
    per_code = trade.groupby(["hs6", "mineral_id", "stage"], sort=False)["content_t"]
    return trade["content_t"].notna() | per_code.transform("count").gt(0)


def trade_bounds(
    trade: pd.DataFrame, zone: Zone, *, bound_trade: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Imports and exports (contained t, as intervals) of each member and of the zone.

    Parameters
    ----------
    trade
        BACI rows as :func:`friendshore.data.queries.read_mineral_trade` returns
        them: ``year, exporter, importer, hs6, mineral_id, stage, value_usd,
        quantity_t, content_t``.
    zone
        The zone: a member's imports come from outside it (other members
        included); the zone's from outside the zone.
    bound_trade
        Flows of codes that carry the mineral among others
        (:func:`friendshore.data.queries.read_bound_trade`): each contains between
        0 and its gross weight of the mineral, whichever way it goes (the mix of
        a code's imports and exports may differ), so they widen the intervals
        and never count in the values.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year traded and member (each member and
        ``'zone'``), columns :data:`TRADE_COLUMNS` and ``bound_codes`` (the
        mixed codes that widen the row, ``''`` if none): values (USD); contained
        imports and exports as intervals (t); net imports ``M − X`` as an
        interval; gross tonnes; ``trade_content_coverage`` (share of the value
        of both directions whose HS code has a content factor) and
        ``trade_quantity_coverage`` (share with a BACI quantity).

    Notes
    -----
    Per HS code ``h`` with a content factor, contained tonnes are exact. Without
    one, the contained quantity of a flow lies in ``[0, gross]``; as the
    factor of one code is the same for its imports and exports, the code's net
    imports lie between ``min(0, G_m − G_x)`` and ``max(0, G_m − G_x)``
    (gross tonnes). Flows without a BACI quantity are left out.
    """
    bound_codes: set[str] = set()
    if bound_trade is not None and not bound_trade.empty:
        bound_codes = set(map(str, bound_trade["hs6"]))
        extra = bound_trade[list(trade.columns)].assign(
            value_usd=0.0, content_t=np.nan
        )  # values stay BACI's own mineral codes
        trade = pd.concat([trade, extra], ignore_index=True)
    members = zone.country_to_member()
    imp_m = trade["importer"].map(members)
    exp_m = trade["exporter"].map(members)
    qty = trade["quantity_t"]
    content = trade["content_t"]
    has_q = qty.notna()
    known = content.notna()
    base = pd.DataFrame(
        {
            "mineral_id": trade["mineral_id"],
            "stage": trade["stage"],
            "year": trade["year"],
            "hs6": trade["hs6"],
            "value_usd": trade["value_usd"],
            "content_value_usd": trade["value_usd"].where(has_content_factor(trade), 0.0),
            "quantity_value_usd": trade["value_usd"].where(has_q, 0.0),
            "known_t": content.fillna(0.0),
            "unknown_t": qty.where(has_q & ~known, 0.0),
            "gross_t": qty.fillna(0.0),
        }
    )
    in_zone_imp = imp_m.notna()
    in_zone_exp = exp_m.notna()
    crossing = imp_m.ne(exp_m) | ~in_zone_imp
    parts: list[tuple[pd.Series, pd.Series | str, str]] = [
        (in_zone_imp & crossing, imp_m, "m"),
        (in_zone_imp & ~in_zone_exp, ZONE, "m"),
        (in_zone_exp & (imp_m.ne(exp_m) | ~in_zone_imp), exp_m, "x"),
        (in_zone_exp & ~in_zone_imp, ZONE, "x"),
    ]
    frames = []
    for mask, member, side in parts:
        sub = base[mask.to_numpy()]
        label: pd.Series | str = member[mask] if isinstance(member, pd.Series) else member
        frames.append(sub.assign(member=label, side=side))
    long = pd.concat(frames, ignore_index=True)
    sums = ["value_usd", "content_value_usd", "quantity_value_usd", "known_t", "unknown_t"]
    sums.append("gross_t")
    per_code = long.groupby([*KEYS, "member", "hs6", "side"], sort=False, observed=True)[sums].sum()
    wide = pd.DataFrame(per_code.unstack("side", fill_value=0.0))
    wide.columns = pd.Index([f"{pair[0]}_{pair[1]}" for pair in wide.columns])
    for name in sums:
        for side in ("m", "x"):
            if f"{name}_{side}" not in wide.columns:
                wide[f"{name}_{side}"] = 0.0
    net_unknown = wide["unknown_t_m"] - wide["unknown_t_x"]
    mixed = pd.Series(
        wide.index.get_level_values("hs6").astype(str).isin(list(bound_codes)), index=wide.index
    )
    # a code of one mineral has one content both ways; a mixed code may not
    low = net_unknown.clip(upper=0.0).where(~mixed, -wide["unknown_t_x"])
    high = net_unknown.clip(lower=0.0).where(~mixed, wide["unknown_t_m"])
    wide["net_min"] = wide["known_t_m"] - wide["known_t_x"] + low
    wide["net_max"] = wide["known_t_m"] - wide["known_t_x"] + high
    wide["mixed_codes"] = np.where(mixed, wide.index.get_level_values("hs6").astype(str), "")
    wide["imp_max"] = wide["known_t_m"] + wide["unknown_t_m"]
    wide["exp_max"] = wide["known_t_x"] + wide["unknown_t_x"]
    codes = (
        wide["mixed_codes"]
        .groupby(level=[*KEYS, "member"], sort=False)
        .agg(lambda c: ", ".join(sorted({x for x in c if x})))
    )
    agg = wide.drop(columns="mixed_codes").groupby(level=[*KEYS, "member"], sort=False).sum()
    out = pd.DataFrame(index=agg.index)
    out["bound_codes"] = codes
    out["imports_value_usd"] = agg["value_usd_m"]
    out["exports_value_usd"] = agg["value_usd_x"]
    out["imports_min_t"] = agg["known_t_m"]
    out["imports_max_t"] = agg["imp_max"]
    out["exports_min_t"] = agg["known_t_x"]
    out["exports_max_t"] = agg["exp_max"]
    out["net_imports_min_t"] = agg["net_min"]
    out["net_imports_max_t"] = agg["net_max"]
    out["imports_gross_t"] = agg["gross_t_m"]
    out["exports_gross_t"] = agg["gross_t_x"]
    value = agg["value_usd_m"] + agg["value_usd_x"]
    value = value.where(value > 0)
    out["trade_content_coverage"] = (
        agg["content_value_usd_m"] + agg["content_value_usd_x"]
    ) / value
    out["trade_quantity_coverage"] = (
        agg["quantity_value_usd_m"] + agg["quantity_value_usd_x"]
    ) / value
    out["trade_source"] = _TRADE_SOURCE
    out = out.reset_index()
    # every member appears for every mineral, stage and year traded
    entities = pd.DataFrame({"member": [*zone.members, ZONE]})
    grid = trade[KEYS].drop_duplicates().merge(entities, how="cross")
    out = grid.merge(out, on=[*KEYS, "member"], how="left")
    zeros = [c for c in TRADE_COLUMNS if c.endswith(("_usd", "_t"))]
    out[zeros] = out[zeros].fillna(0.0)
    out["trade_source"] = _TRADE_SOURCE
    out["bound_codes"] = out["bound_codes"].fillna("")
    return out[[*TRADE_COLUMNS, "bound_codes"]]


# --- import reliance ----------------------------------------------------------------------


def reliance_bounds(
    production_min: pd.Series | np.ndarray,
    production_max: pd.Series | np.ndarray,
    net_min: pd.Series | np.ndarray,
    net_max: pd.Series | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (fraction) of net import reliance ``N / (P + N)`` over boxes of ``P`` and ``N``.

    ``P ∈ [production_min, production_max]`` (a NaN or ``inf`` maximum is
    unbounded), ``N ∈ [net_min, net_max]`` (net imports, imports − exports ±
    stock change). Returns ``(low, high)``, the infimum and supremum over the
    points of the box with positive apparent consumption ``P + N``; ``low`` is
    ``-inf`` where it is unbounded below, both NaN where no point of the box
    has positive consumption.

    Notes
    -----
    ``IR = 1 − P / (P + N)`` rises with ``N`` everywhere, falls with ``P`` where
    ``N > 0`` and rises with ``P`` where ``N < 0``, so the extremes lie at the
    corners: ``high`` at ``N_max`` (with ``P_min`` if ``N_max > 0``, else with
    ``P_max``) and ``low`` at ``N_min`` (with ``P_max`` if ``N_min ≥ 0``, else
    with ``P_min``). Certainly no production (``P_max = 0``) gives ``IR = 1``
    for any positive ``N``.

    Examples
    --------
    >>> low, high = reliance_bounds([100.0], [300.0], [100.0], [200.0])
    >>> float(low[0]), round(float(high[0]), 4)
    (0.25, 0.6667)
    """
    p_lo = np.asarray(production_min, dtype="float64")
    p_hi = np.nan_to_num(np.asarray(production_max, dtype="float64"), nan=np.inf)
    n_lo = np.asarray(net_min, dtype="float64")
    n_hi = np.asarray(net_max, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        # supremum: at N_max
        hi_pos = n_hi / (p_lo + n_hi)
        hi_neg = np.where(np.isinf(p_hi), 0.0, n_hi / (p_hi + n_hi))
        high = np.where(n_hi > 0, hi_pos, np.where(p_hi + n_hi > 0, hi_neg, np.nan))
        high = np.where((n_hi == 0) & (p_hi > 0), 0.0, high)
        # infimum: at N_min
        lo_pos = np.where(np.isinf(p_hi), 0.0, n_lo / (p_hi + n_lo))
        lo_neg = np.where(p_lo + n_lo > 0, n_lo / (p_lo + n_lo), -np.inf)
        low = np.where(n_lo > 0, lo_pos, np.where(n_lo < 0, lo_neg, 0.0))
        # no production at all: IR = 1 for every positive N
        none = (p_hi == 0) & (n_hi > 0)
        low = np.where(none, 1.0, low)
        high = np.where(none, 1.0, high)
    nan_in = np.isnan(p_lo) | np.isnan(n_lo) | np.isnan(n_hi)
    low = np.where(nan_in | np.isnan(high), np.nan, low)
    high = np.where(nan_in, np.nan, high)
    return low, high


# --- the balance --------------------------------------------------------------------------


def balance_frame(
    trade: pd.DataFrame,
    rows: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    us: pd.DataFrame | None = None,
    bound_trade: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Material balance (t) and net import reliance (fraction) of each member and of the zone.

    Parameters
    ----------
    trade
        BACI rows (see :func:`trade_bounds`).
    rows, totals
        Production country rows and world/other rows of the default source
        (see :func:`member_production`).
    zone
        The zone.
    us
        The U.S. balance of USGS's salient statistics
        (:func:`friendshore.metrics.published.us_balance`), or ``None``. Where it
        has a mineral, stage and year, its components replace production,
        trade and consumption of the ``USA`` row (``source 'USGS MCS
        salient'``); BACI then only gives the sourcing mix.
    bound_trade
        Flows of codes that carry the mineral among others (see
        :func:`trade_bounds`); ``None``: none.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year traded and member (each member and
        ``'zone'``), columns :data:`BALANCE_COLUMNS`; see :func:`material_balance`.
    """
    tb = trade_bounds(trade, zone, bound_trade=bound_trade)
    prod = member_production(rows, zone, totals)
    # a production series without trade in the year (no HS code for the stage):
    # its rows stay, with no trade figure and the reason
    untraded = (
        prod[KEYS]
        .drop_duplicates()
        .merge(tb[KEYS].drop_duplicates(), on=KEYS, how="left", indicator=True)
    )
    untraded = untraded.loc[untraded["_merge"] == "left_only", KEYS]
    untraded = untraded.merge(prod[[*KEYS, "member"]], on=KEYS).assign(trade_source=None)
    out = pd.concat(
        [tb.assign(_no_trade=False), untraded.assign(_no_trade=True)], ignore_index=True
    )
    out = out.merge(prod.drop(columns=["production_known_t"]), on=[*KEYS, "member"], how="left")
    no_series = out["production_status"].isna()
    out["production_status"] = out["production_status"].fillna(NO_SERIES)
    out["production_min_t"] = out["production_min_t"].where(~no_series, 0.0)
    out["n_production_withheld"] = out["n_production_withheld"].fillna(0).astype("int64")
    out["secondary_production_t"] = np.nan
    out["stock_change_t"] = np.nan
    out["stock_source"] = None
    out["basis"] = first_match(
        out.index,
        [
            (out["trade_content_coverage"].fillna(1.0) >= 1.0 - 1e-9, "contained t"),
            (
                out["trade_content_coverage"].fillna(0.0) > 0,
                "contained t; flows without a content factor between 0 and gross t",
            ),
        ],
        default="flows without a content factor between 0 and gross t",
    )
    q_cov = out["trade_quantity_coverage"]
    left_out = (1.0 - q_cov) * 100
    left_text = left_out.round(1).astype(str).where(left_out >= 0.05, "<0.1")
    out["basis"] = out["basis"].mask(
        q_cov.notna() & (q_cov < 1.0 - 1e-9),
        out["basis"] + "; flows without a BACI quantity left out (" + left_text + "% of value)",
    )
    mixed = out["bound_codes"].fillna("").astype(str)
    only_mixed = (mixed != "") & out["trade_content_coverage"].isna()
    out["basis"] = out["basis"].where(~only_mixed, "no HS code of this mineral alone")
    out["basis"] = out["basis"].mask(
        mixed != "",
        out["basis"]
        + "; HS "
        + mixed
        + " carries several minerals: each flow between 0 and its gross t",
    )
    no_trade = out["_no_trade"].fillna(False).astype(bool)
    out.loc[no_trade, "basis"] = NO_TRADE
    if us is not None and not us.empty:
        out = _apply_us(out, us, prod)
    _finish(out)
    _finish_untraded(out)
    out = _finish_us(out)
    return out[BALANCE_COLUMNS].sort_values([*KEYS, "member"], kind="stable").reset_index(drop=True)


#: Columns :func:`us_salient_rows` gives, besides :data:`KEYS`.
US_ROW_COLUMNS: list[str] = [
    "usgs_key",
    "series",
    "all_forms",
    "us_reason",
    "us_production_t",
    "us_secondary_t",
    "us_imports_t",
    "us_exports_t",
    "us_stock_change_t",
    "us_consumption_t",
    "us_ir",
    "us_ir_min",
    "us_ir_max",
    "us_nir_note",
]


def us_salient_rows(us: pd.DataFrame) -> pd.DataFrame:
    """USGS's U.S. balance per catalog mineral, stage and year (t; net import reliance, fraction).

    Parameters
    ----------
    us
        :func:`friendshore.metrics.published.us_balance` (one row per
        ``usgs_key`` × ``series`` × ``year``).

    Returns
    -------
    pandas.DataFrame
        :data:`KEYS` and :data:`US_ROW_COLUMNS`: each salient balance in
        tonnes mapped to the catalog mineral and stage it measures
        (``concordances/salient_stages.csv``: aluminium → processing, lithium
        → mining in all forms, rare earths → processing, …; refined lead, tin
        and zinc map to none, the catalog having only their mine stage), with
        ``all_forms`` (the balance counts every form of the mineral, primary and
        secondary) and the reason of the mapping. Only balances whose net
        import reliance USGS's components bound (value or interval) are kept.
    """
    stages = read_salient_stages()
    stages = stages[stages["mineral_id"] != ""]
    base = us.drop(columns=["mineral_id"]).assign(series=us["series"].fillna("").astype(str))
    frame = base.merge(
        stages[["usgs_key", "series", "mineral_id", "stage", "all_forms", "reason"]].rename(
            columns={"reason": "map_reason"}
        ),
        on=["usgs_key", "series"],
        how="inner",
    )
    keep = frame["unit"].eq("t") & frame["net_import_reliance_min"].notna()
    frame = frame[keep & frame["net_import_reliance_max"].notna()]
    out = pd.DataFrame(
        {
            "mineral_id": frame["mineral_id"],
            "stage": frame["stage"],
            "year": frame["year"].astype("int64"),
            "usgs_key": frame["usgs_key"],
            "series": frame["series"],
            "all_forms": frame["all_forms"].eq("true"),
            "us_reason": frame["map_reason"],
            "us_production_t": frame["production_primary"].astype("float64"),
            "us_secondary_t": frame["production_secondary"].astype("float64"),
            "us_imports_t": frame["imports"].astype("float64"),
            "us_exports_t": frame["exports"].astype("float64"),
            "us_stock_change_t": frame["stock_change"].astype("float64"),
            "us_consumption_t": frame["apparent_consumption"].astype("float64"),
            "us_ir": frame["net_import_reliance"].astype("float64"),
            "us_ir_min": frame["net_import_reliance_min"].astype("float64"),
            "us_ir_max": frame["net_import_reliance_max"].astype("float64"),
            # us_balance's own reason: why its figure is not a point or differs
            "us_nir_note": frame["reason"] if "reason" in frame.columns else None,
        }
    )
    return out.drop_duplicates(subset=KEYS, keep="first").reset_index(drop=True)


def _apply_us(out: pd.DataFrame, us: pd.DataFrame, prod: pd.DataFrame) -> pd.DataFrame:
    """Add USGS's U.S. salient balance to the ``USA`` rows (components now, reliance later).

    Rows of a mineral, stage and year the salient statistics cover but BACI does
    not (no trade code) are added for ``USA``. Columns ``us_*`` are kept for
    :func:`_finish_us`.
    """
    rows = us_salient_rows(us)
    if rows.empty or "USA" not in set(out["member"]):
        return out
    rows = rows.assign(member="USA")
    have = out.loc[out["member"] == "USA", KEYS]
    missing = rows[KEYS].merge(have, on=KEYS, how="left", indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", KEYS].assign(member="USA")
    if not missing.empty:
        extra = missing.merge(
            prod.drop(columns=["production_known_t"]), on=[*KEYS, "member"], how="left"
        )
        extra["production_status"] = extra["production_status"].fillna(NO_SERIES)
        extra["production_min_t"] = extra["production_min_t"].fillna(0.0)
        extra["n_production_withheld"] = extra["n_production_withheld"].fillna(0).astype("int64")
        out = pd.concat([out, extra], ignore_index=True)
    out = out.merge(rows, on=[*KEYS, "member"], how="left")
    hit = out["us_ir_min"].notna()
    primary = out["us_production_t"]
    production = primary + out["us_secondary_t"].fillna(0.0)
    has_p = hit & primary.notna()
    for col in ("production_t", "production_min_t", "production_max_t"):
        out[col] = production.where(has_p, out[col])
    out.loc[has_p, "production_status"] = REPORTED
    out.loc[has_p, "production_source"] = _US_SOURCE
    out["secondary_production_t"] = out["us_secondary_t"].where(hit, out["secondary_production_t"])
    net = (
        out["us_imports_t"] - out["us_exports_t"].fillna(0.0) - out["us_stock_change_t"].fillna(0.0)
    )
    for col, value in (
        ("imports_min_t", out["us_imports_t"]),
        ("imports_max_t", out["us_imports_t"]),
        ("exports_min_t", out["us_exports_t"]),
        ("exports_max_t", out["us_exports_t"]),
        ("net_imports_min_t", net),
        ("net_imports_max_t", net),
        ("stock_change_t", out["us_stock_change_t"]),
    ):
        out[col] = value.where(hit, out[col])
    out.loc[hit, "trade_source"] = _US_SOURCE
    out.loc[hit & out["us_stock_change_t"].notna(), "stock_source"] = _US_SOURCE
    forms = out["all_forms"].fillna(False).astype(bool)
    scope = np.where(forms, "all forms of the mineral, primary and secondary", "the same material")
    text = pd.Series(
        [
            f"USGS salient statistics, U.S. balance of {a} ({b})"
            for a, b in zip(scope, out["us_reason"].fillna("").astype(str), strict=True)
        ],
        index=out.index,
    )
    out["basis"] = text.where(hit, out["basis"])
    return out


def _finish_us(out: pd.DataFrame) -> pd.DataFrame:
    """Net import reliance of the ``USA`` rows from USGS's salient balance, where it has one."""
    if "us_ir_min" not in out.columns:
        return out
    hit = out["us_ir_min"].notna()
    lo, hi = out["us_ir_min"], out["us_ir_max"]
    floor, _ = RELIANCE_RANGE
    implausible = hit & (hi < floor)
    lo = lo.clip(lower=floor)
    point = hit & ~implausible & ((hi - lo) <= POINT_TOLERANCE)
    out["import_reliance_min"] = lo.where(~implausible).where(hit, out["import_reliance_min"])
    out["import_reliance_max"] = hi.where(~implausible).where(hit, out["import_reliance_max"])
    out["import_reliance"] = ((lo + hi) / 2.0).where(point).where(hit, out["import_reliance"])
    ac = out["us_consumption_t"]
    for col in (
        "apparent_consumption_t",
        "apparent_consumption_min_t",
        "apparent_consumption_max_t",
    ):
        out[col] = ac.where(hit, out[col])
    out.loc[hit, "status"] = np.select(
        [implausible[hit], point[hit]], [INCONSISTENT, POINT], default=INTERVAL
    )
    why = "USGS salient: a component withheld (W) or published only as a bound" + (
        "; " + out["us_nir_note"].fillna("")
    ).where(out["us_nir_note"].notna(), "")
    note = pd.Series(None, index=out.index, dtype=object)
    note = note.mask(hit & ~point & ~implausible, why)
    note = note.mask(implausible, "inconsistent sources: USGS's net exports exceed consumption")
    out["import_reliance_note"] = note.where(hit, out["import_reliance_note"])
    out["note"] = out["import_reliance_note"]
    drop = [c for c in out.columns if c.startswith("us_")] + ["usgs_key", "series", "all_forms"]
    return out.drop(columns=drop)


def no_trade_reasons() -> dict[tuple[str, str], str]:
    """Why a mineral and stage has no trade figure in a year: its HS codes, or that it has none.

    Keys ``(mineral_id, stage)`` of the concordances (``hs_concordance.csv``,
    ``hs_bounds.csv``); a pair not in the dict has no HS code at all
    (:data:`NO_TRADE`).
    """
    hs = read_hs_concordance()
    hs = hs[hs["mineral_id"].notna()]
    pairs = pd.concat(
        [
            hs[["mineral_id", "stage", "hs6", "nomenclature"]],
            read_hs_bounds()[["mineral_id", "stage", "hs6", "nomenclature"]],
        ],
        ignore_index=True,
    )
    out: dict[tuple[str, str], str] = {}
    for (mineral, stage), group in pairs.groupby(["mineral_id", "stage"]):
        codes = ", ".join(
            f"{n} {c}" for c, n in sorted(zip(group["hs6"], group["nomenclature"], strict=True))
        )
        out[(str(mineral), str(stage))] = f"no BACI flows in the year in its HS codes ({codes})"
    return out


def _finish_untraded(out: pd.DataFrame) -> None:
    """Rows without trade data: 100% reliance where production is certainly zero, else no bound."""
    untraded = out["_no_trade"].fillna(False).astype(bool) & out["net_imports_min_t"].isna()
    reasons = no_trade_reasons()
    pairs = pd.Series(list(zip(out["mineral_id"], out["stage"], strict=True)), index=out.index)
    why = pairs.map(reasons).fillna(NO_TRADE_CODE).where(untraded)
    zero = untraded & out["production_max_t"].eq(0.0)
    out.loc[zero, ["import_reliance", "import_reliance_min", "import_reliance_max"]] = 1.0
    out.loc[zero, "status"] = POINT
    out.loc[zero, "import_reliance_note"] = None
    out.loc[zero, "basis"] = why[zero] + "; " + CERTAINLY_ZERO
    out.loc[untraded & ~zero, "basis"] = why[untraded & ~zero]
    out.loc[untraded & ~zero, "import_reliance_note"] = why[untraded & ~zero]
    out["note"] = out["import_reliance_note"]


def _close(a: pd.Series, b: pd.Series) -> pd.Series:
    """True where ``a`` and ``b`` agree to rounding (``inf`` equals ``inf``)."""
    return pd.Series(np.isclose(a, b, rtol=1e-9, atol=1e-9), index=a.index)


def _finish(out: pd.DataFrame) -> None:
    """Add point values, apparent consumption, import reliance, status and notes (in place)."""
    for name in ("imports", "exports"):
        lo, hi = out[f"{name}_min_t"], out[f"{name}_max_t"]
        out[f"{name}_t"] = lo.where(_close(lo, hi))
    p_lo = out["production_min_t"]
    p_hi = out["production_max_t"]
    n_lo = out["net_imports_min_t"]
    n_hi = out["net_imports_max_t"]
    out["apparent_consumption_min_t"] = p_lo + n_lo
    out["apparent_consumption_max_t"] = p_hi + n_hi
    exact_t = _close(p_lo, p_hi) & _close(n_lo, n_hi)
    out["apparent_consumption_t"] = out["apparent_consumption_min_t"].where(exact_t)
    low, high = reliance_bounds(p_lo, p_hi, n_lo, n_hi)
    low_s = pd.Series(low, index=out.index)
    high_s = pd.Series(high, index=out.index)
    floor, _ = RELIANCE_RANGE
    no_consumption = high_s.isna() & n_hi.notna() & p_lo.notna()
    implausible = high_s < floor
    inconsistent = no_consumption | implausible
    cut = (low_s < floor) & ~inconsistent
    low_s = low_s.clip(lower=floor)
    low_s = low_s.where(~inconsistent)
    high_s = high_s.where(~inconsistent)
    point = (high_s - low_s) <= POINT_TOLERANCE
    out["import_reliance_min"] = low_s
    out["import_reliance_max"] = high_s
    out["import_reliance"] = ((low_s + high_s) / 2.0).where(point)
    out["status"] = first_match(
        out.index,
        [(inconsistent, INCONSISTENT), (point, POINT), (low_s.notna(), INTERVAL)],
        default=NO_BOUND,
    )
    status = out["production_status"].astype(str)
    why_interval = first_match(
        out.index,
        [
            (
                ~_close(p_lo, p_hi.fillna(np.inf)) & ~_close(n_lo, n_hi),
                "production " + status + " and flows without a content factor",
            ),
            (~_close(p_lo, p_hi.fillna(np.inf)), "production " + status),
        ],
        default="flows without a content factor",
    )
    ac_text = out["apparent_consumption_max_t"].round(0).astype("Int64").astype(str)
    out["import_reliance_note"] = first_match(
        out.index,
        [
            (point, None),
            (
                no_consumption,
                "inconsistent sources: apparent consumption not positive (at most "
                + ac_text
                + " t)",
            ),
            (
                implausible,
                "inconsistent sources: import reliance below -100% (net exports exceed "
                "consumption)",
            ),
            (
                cut,
                why_interval + "; lower end cut at -100% (below it the sources contradict)",
            ),
            (low_s.notna(), why_interval),
        ],
        default="no bound",
    )
    out["note"] = out["import_reliance_note"]


def material_balance(
    network: SupplyNetwork, zone: Zone, *, us: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Material balance (t) of every member and of the zone, per mineral, stage and year.

    Parameters
    ----------
    network
        The supply network: default-source production (USGS, else IEA), BACI
        trade with contained tonnes, and the flows of mixed codes that bound a
        mineral from above (``network.bound_trade``).
    zone
        The zone: its members, and the zone as one economy (``member = 'zone'``).
    us
        The U.S. balance of USGS's salient statistics
        (:func:`friendshore.metrics.published.us_balance`); where it covers a
        mineral, stage and year, USGS's own components are the ``USA`` row and
        the zone row keeps BACI (the zone's trade with the world is not in the
        U.S. statistics).

    Returns
    -------
    pandas.DataFrame
        One row per member × mineral × stage × year traded, columns
        :data:`BALANCE_COLUMNS`:

        * ``production_t`` / ``_min_t`` / ``_max_t`` (primary, plus secondary
          where known: ``secondary_production_t``), ``production_status``,
          ``production_source``;
        * ``imports_t``, ``exports_t`` and their ``_min_t``/``_max_t``;
          ``net_imports_min_t``/``_max_t``; trade values (USD), content and
          quantity coverage, ``trade_source``;
        * ``stock_change_t`` (where published) and ``stock_source``;
        * ``apparent_consumption_t`` = P + M − X − ΔS, with ``_min_t``/``_max_t``;
        * ``import_reliance`` (the point value, NULL unless the interval is a
          point within :data:`POINT_TOLERANCE`), ``import_reliance_min``/``_max``
          and ``import_reliance_note`` (why not a point, or why NULL);
        * ``basis`` (what the tonnes measure), ``status`` (``'point'``,
          ``'interval'``, ``'inconsistent sources'``, ``'no bound'``) and ``note``.

    Notes
    -----
    ``IR = (M − X − ΔS) / (P + M − X − ΔS)`` (USGS, MCS appendix; JRC 2017,
    eq. 4), evaluated over the box of the bounds of ``P`` and ``N = M − X − ΔS``
    (:func:`reliance_bounds`). A negative apparent consumption, or an import
    reliance below −100% over the whole box, is an inconsistency of the sources
    (e.g. Japan selenium 2023: BACI's net exports exceed USGS's refinery output
    minus a few tonnes): ``status = 'inconsistent sources'``, the components
    are kept and the reliance is NULL with the reason. Where only part of the
    box lies below −100%, the lower end is cut there and the note says so.
    """
    rows, totals = network.default_production()
    return balance_frame(
        network.trade, rows, zone, totals=totals, us=us, bound_trade=network.bound_trade
    )


# --- the JSON shape -----------------------------------------------------------------------


def interval_fields(
    value: Any,
    low: Any,
    high: Any,
    *,
    basis: Any = None,
    note: Any = None,
) -> dict[str, Any]:
    """The JSON shape of an interval metric: ``value`` where a point, else ``low``/``high``.

    Returns ``{"value", "low", "high", "width", "basis", "note"}``: ``value``
    is the point value (``None`` unless the interval is a point), ``low`` and
    ``high`` the bounds (equal to ``value`` for a point), ``width = high −
    low`` (``None`` if an end is unknown) and ``note`` why it is not a point or
    is ``None``.

    Examples
    --------
    >>> shape = interval_fields(None, 0.38, 0.61, basis="contained t", note="not listed")
    >>> shape["value"], shape["low"], shape["high"], shape["width"], shape["note"]
    (None, 0.38, 0.61, 0.23, 'not listed')
    >>> interval_fields(0.5, 0.5, 0.5)["value"]
    0.5
    """
    v, lo, hi = plain(value), plain(low), plain(high)
    if v is not None:
        lo = v if lo is None else lo
        hi = v if hi is None else hi
    width = None if lo is None or hi is None else round(float(hi) - float(lo), 12)
    return {
        "value": v,
        "low": lo,
        "high": hi,
        "width": width,
        "basis": plain(basis),
        "note": plain(note),
    }
