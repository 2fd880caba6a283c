"""The zone dependency assessment: every metric for every mineral, stage and member.

:func:`assess` (the main job behind ``friendshore assess``) runs the metric
functions over a :class:`~friendshore.model.supply.SupplyNetwork` and a
:class:`~friendshore.model.zone.Zone` and returns an :class:`Assessment`, whose
frames the CLI prints, the report plots and the JSON output serialises.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from friendshore._core.errors import InputError
from friendshore._core.records import plain
from friendshore._core.types import ISO3
from friendshore.metrics.balance import balance_frame, interval_fields
from friendshore.metrics.concentration import concentration, country_shares
from friendshore.metrics.dependence import (
    ZONE,
    bargaining_power,
    import_dependence,
    rival_codes,
    self_sufficiency,
    zone_sourcing,
)
from friendshore.metrics.risk import geopolrisk, supply_risk
from friendshore.metrics.shares import SERIES_KEYS, production_shares
from friendshore.metrics.us_published import us_balance_of
from friendshore.metrics.zone_supply import zone_production_share, zone_reserves_share
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone

#: Columns of :attr:`Assessment.summary`, in order (the JSON record keys but ``members``).
SUMMARY_COLUMNS: list[str] = [
    "mineral",
    "stage",
    "product",
    "year",
    "source",
    "world_quantity_t",
    "china_share",
    "top1_country",
    "top1_share",
    "top3_share",
    "hhi",
    "hhi_band",
    "zone_production_share",
    "zone_production_share_min",
    "zone_production_share_max",
    "zone_production_share_note",
    "zone_reserves_share",
    "zone_import_reliance",
    "zone_import_reliance_min",
    "zone_import_reliance_max",
    "zone_import_reliance_note",
    "zone_self_sufficiency",
    "zone_self_sufficiency_min",
    "zone_self_sufficiency_max",
    "zone_self_sufficiency_note",
    "supply_risk",
    "supply_risk_min",
    "supply_risk_max",
    "supply_risk_note",
    "balance_basis",
    "geopolrisk",
    "zone_import_share",
    "zone_non_rival_supply_share",
    "coverage",
    "n_countries",
    "n_withheld",
    "n_missing",
    "trade_content_coverage",
]

#: Columns of :attr:`Assessment.members`.
MEMBER_COLUMNS: list[str] = [
    "mineral",
    "stage",
    "year",
    "member",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
    "import_reliance_status",
    "import_reliance_basis",
    "import_reliance_note",
    "china_import_share",
    "china_import_share_qty",
    "intra_zone_share",
    "import_hhi",
    "imports_value_usd",
    "geopolrisk",
]


@dataclass(frozen=True)
class Assessment:
    """Result of :func:`assess`.

    Attributes
    ----------
    zone
        The zone assessed.
    year
        The latest year asked for; each series reports its latest year ≤ ``year``.
    summary
        One row per mineral × stage × product: ``mineral, stage, product, year,
        source, world_quantity_t, china_share, top3_share, hhi, hhi_band,
        zone_production_share, zone_reserves_share, zone_self_sufficiency,
        supply_risk, geopolrisk, zone_import_share, zone_non_rival_supply_share,
        ``zone_production_share_min`` (the known members' figures only: a lower bound
        where a member's figure is withheld or a top-producers listing may hide
        members, when ``zone_production_share`` is NULL; ``zone_production_share_max``
        its upper bound and ``zone_production_share_note`` the reason),
        coverage`` (shares are fractions 0–1, HHI 0–10,000, NULL where not computable).
    members
        One row per mineral × stage × year × member (and ``member = 'zone'``)
        with trade data or an import reliance (value or bound): ``mineral,
        stage, year, member, import_reliance`` (with ``_min``, ``_max``,
        ``_status``, ``_basis``, ``_note``), ``china_import_share,
        intra_zone_share, import_hhi``. A stage without trade data and without
        a bound has no rows; the summary's ``zone_import_reliance_note`` says why.
    country_shares
        Every series' country rows: ``source, mineral, stage, product, year,
        country, quantity_t, share, status``.
    china_import_trend
        China's share (value) of each member's imports, 2015–2024: ``member,
        mineral, stage, year, china_import_share``.
    reserves
        ``mineral, product, year, zone_reserves_share, china_reserves_share`` for
        the latest reserves year up to ``year``.
    sources
        The source used per mineral and stage, the alternatives and why.
    source_comparison
        Where several sources cover the same mineral, stage and year (USGS and
        IEA): each source's ``world_quantity_t``, ``china_share``, ``top3_share``
        and whether it is the ``default``.
    """

    zone: Zone
    year: int
    summary: pd.DataFrame
    members: pd.DataFrame
    country_shares: pd.DataFrame
    china_import_trend: pd.DataFrame
    reserves: pd.DataFrame
    sources: pd.DataFrame
    source_comparison: pd.DataFrame


#: Why a zone figure of the summary has not even a bound: the mineral and stage
#: have no HS code in the concordance, or no trade in the year.
NO_TRADE = "no trade code for this stage (or no trade in the year)"

#: Interval metrics of a summary record: JSON key → column prefix.
SUMMARY_INTERVALS: dict[str, str] = {
    "zone_import_reliance": "zone_import_reliance",
    "zone_self_sufficiency": "zone_self_sufficiency",
    "supply_risk": "supply_risk",
}


def check_year(year: int, years: pd.Series, *, what: str) -> None:
    """Raise :class:`InputError` unless ``year`` lies within the span of ``years``."""
    first, last = int(years.min()), int(years.max())
    if not first <= year <= last:
        raise InputError(f"no {what} for {year}: the data cover {first}-{last}")


def _latest(frame: pd.DataFrame, keys: list[str], year: int) -> pd.DataFrame:
    """Rows of the latest year ≤ ``year`` of each group of ``keys``.

    Group by source × mineral × stage, not by product: the products of a series
    then share its latest year, so a product-less series of an older edition
    (USGS silicon 2021, before MCS split ferrosilicon and silicon metal) does not
    show beside the newer products.
    """
    frame = frame[frame["year"] <= year]
    last = frame.groupby(keys, dropna=False)["year"].transform("max")
    return frame[frame["year"] == last]


def compare_sources(
    network: SupplyNetwork, *, rival: str | Collection[str] = "CHN"
) -> pd.DataFrame:
    """Each source's figures where several cover the same mineral, stage and year.

    Returns ``mineral, stage, product, year, source, release, world_quantity_t,
    china_share, top3_share, coverage, default`` (``default``: the source the
    assessment uses, see :meth:`SupplyNetwork.default_sources`).
    """
    conc = concentration(network.production, network.production_totals, rival=rival)
    n_sources = conc.groupby(["mineral_id", "stage", "year"])["source"].transform("nunique")
    both = conc[n_sources > 1]
    chosen = network.default_sources()[["mineral_id", "stage", "source"]].assign(default=True)
    out = both.merge(chosen, on=["mineral_id", "stage", "source"], how="left")
    out["default"] = out["default"].fillna(False).astype(bool)
    cols = [
        "mineral_id",
        "stage",
        "product",
        "year",
        "source",
        "release",
        "world_quantity_t",
        "china_share",
        "top3_share",
        "coverage",
        "default",
    ]
    return (
        out[cols]
        .rename(columns={"mineral_id": "mineral"})
        .sort_values(["mineral", "stage", "year", "source", "product"])
        .reset_index(drop=True)
    )


def assess(
    network: SupplyNetwork,
    zone: Zone,
    *,
    year: int | None = None,
    rival: str | Collection[str] | None = None,
    us: pd.DataFrame | None = None,
) -> Assessment:
    """Run every metric for every mineral × stage × year and every member.

    Parameters
    ----------
    network
        The supply network read from the store.
    zone
        The zone to assess.
    year
        Latest year to report; each series reports its latest year up to it
        (USGS to 2023, IEA 2025 edition to 2024). Default: the latest year with data.
    rival
        The country or countries whose share and supply the zone tracks
        (``china_*`` columns); default the zone's rivals (:attr:`Zone.rivals`),
        all of them together.
    us
        The U.S. salient balance (:func:`friendshore.metrics.published.us_balance`);
        default: that of ``network.salient``
        (:func:`friendshore.metrics.us_published.us_balance_of`, computed once
        per process). Where it covers a mineral, stage and year
        (``concordances/salient_stages.csv``), the ``USA`` member row uses
        USGS's own components and net import reliance; an empty frame turns
        this off (BACI and the world tables only).

    Returns
    -------
    Assessment
        All frames; metrics are computed in one vectorised pass per metric.
    """
    rows, totals = network.default_production()
    year = year if year is not None else int(rows["year"].max())
    check_year(year, rows["year"], what="production data")
    rivals = rival_codes(zone, rival)
    if rivals != zone.rivals:  # every rival figure from the rivals asked for
        zone = replace(zone, rivals=frozenset(ISO3(c) for c in rivals))
    shares = production_shares(rows, totals)
    conc = concentration(rows, totals, rival=sorted(rivals))
    zprod = zone_production_share(shares, zone)
    zres = zone_reserves_share(network.reserves, network.reserves_totals, zone)
    if us is None and "USA" in zone.members and not network.salient.empty:
        us = us_balance_of(network.salient)
    balance = balance_frame(
        network.trade, rows, zone, totals=totals, us=us, bound_trade=network.bound_trade
    )
    dep = import_dependence(network.trade, rows, zone, totals=totals, rival=rivals, balance=balance)
    suff = self_sufficiency(network.trade, rows, zone, totals=totals, dependence=dep)
    sourcing = zone_sourcing(
        network.trade,
        rows,
        zone,
        totals=totals,
        dependence=dep,
        bound_trade=network.bound_trade,
    )
    risk = supply_risk(shares, sourcing, network.governance, network.recycling, dep, zone)
    gpr = geopolrisk(shares, network.trade, network.governance, zone, totals=totals)
    power = bargaining_power(network.trade, shares, zone)

    summary = _latest(conc, ["source", "mineral_id", "stage"], year)
    summary = summary.merge(
        zprod[
            [*SERIES_KEYS, "zone_share", "zone_share_min", "zone_share_upper", "zone_share_note"]
        ].rename(
            columns={
                "zone_share": "zone_production_share",
                "zone_share_min": "zone_production_share_min",
                "zone_share_upper": "zone_production_share_max",
                "zone_share_note": "zone_production_share_note",
            }
        ),
        on=SERIES_KEYS,
        how="left",
    )
    # a series with a world total but no country rows has no zone share at all
    summary["zone_production_share_note"] = summary["zone_production_share_note"].where(
        summary["zone_production_share"].notna() | summary["zone_production_share_note"].notna(),
        "the source gives no country figures for this series",
    )
    reserves = _latest(zres, ["source", "mineral_id"], year)
    mining_reserves = reserves[["mineral_id", "product", "zone_reserves_share"]].assign(
        stage="mining"
    )
    summary = summary.merge(mining_reserves, on=["mineral_id", "stage", "product"], how="left")
    zone_bal = dep.loc[
        dep["member"] == ZONE,
        [
            "mineral_id",
            "stage",
            "year",
            "import_reliance",
            "import_reliance_min",
            "import_reliance_max",
            "import_reliance_note",
            "import_reliance_basis",
        ],
    ].rename(
        columns={
            "import_reliance": "zone_import_reliance",
            "import_reliance_min": "zone_import_reliance_min",
            "import_reliance_max": "zone_import_reliance_max",
            "import_reliance_note": "zone_import_reliance_note",
            "import_reliance_basis": "balance_basis",
        }
    )
    summary = summary.merge(zone_bal, on=["mineral_id", "stage", "year"], how="left")
    summary = summary.merge(
        suff[
            [
                "mineral_id",
                "stage",
                "year",
                "self_sufficiency",
                "self_sufficiency_min",
                "self_sufficiency_max",
                "self_sufficiency_note",
            ]
        ].rename(
            columns={
                "self_sufficiency": "zone_self_sufficiency",
                "self_sufficiency_min": "zone_self_sufficiency_min",
                "self_sufficiency_max": "zone_self_sufficiency_max",
                "self_sufficiency_note": "zone_self_sufficiency_note",
            }
        ),
        on=["mineral_id", "stage", "year"],
        how="left",
    )
    summary = summary.merge(
        risk[
            [*SERIES_KEYS, "supply_risk", "supply_risk_min", "supply_risk_max", "supply_risk_note"]
        ],
        on=SERIES_KEYS,
        how="left",
    )
    no_trade = (
        summary["zone_import_reliance_note"].isna() & summary["zone_import_reliance_min"].isna()
    )
    for col in ("zone_import_reliance_note", "zone_self_sufficiency_note"):
        summary.loc[no_trade, col] = NO_TRADE
    no_risk = summary["supply_risk_min"].isna() & summary["supply_risk_note"].isna()
    summary.loc[no_risk & summary["zone_import_reliance_min"].notna(), "supply_risk_note"] = (
        "no country production shares for this series (the source gives a total only)"
    )
    summary.loc[no_risk & summary["zone_import_reliance_min"].isna(), "supply_risk_note"] = summary[
        "zone_import_reliance_note"
    ]
    summary = summary.merge(
        power[[*SERIES_KEYS, "zone_import_share", "zone_non_rival_supply_share"]],
        on=SERIES_KEYS,
        how="left",
    )
    zone_rows = dep[dep["member"] == ZONE]
    summary = summary.merge(
        gpr.loc[gpr["member"] == ZONE, ["mineral_id", "stage", "year", "geopolrisk"]],
        on=["mineral_id", "stage", "year"],
        how="left",
    ).merge(
        zone_rows[["mineral_id", "stage", "year", "imports_content_coverage"]].rename(
            columns={"imports_content_coverage": "trade_content_coverage"}
        ),
        on=["mineral_id", "stage", "year"],
        how="left",
    )
    summary = (
        summary.rename(columns={"mineral_id": "mineral"})
        .sort_values(["mineral", "stage", "product"])
        .reset_index(drop=True)[SUMMARY_COLUMNS]
    )

    members = (
        dep[_has_data(dep)]
        .merge(
            gpr[["mineral_id", "stage", "year", "member", "geopolrisk"]],
            on=["mineral_id", "stage", "year", "member"],
            how="left",
        )
        .rename(
            columns={"mineral_id": "mineral", "china_import_share_value": "china_import_share"}
        )[MEMBER_COLUMNS]
    )
    country = shares.rename(columns={"mineral_id": "mineral"})[
        [
            "source",
            "mineral",
            "stage",
            "product",
            "year",
            "country",
            "quantity_t",
            "share",
            "status",
        ]
    ]
    trend = members.loc[
        members["member"] != ZONE, ["member", "mineral", "stage", "year", "china_import_share"]
    ]
    res = reserves.rename(
        columns={"mineral_id": "mineral", "rival_reserves_share": "china_reserves_share"}
    )[["mineral", "product", "year", "zone_reserves_share", "china_reserves_share"]]
    return Assessment(
        zone=zone,
        year=year,
        summary=summary,
        members=members.reset_index(drop=True),
        country_shares=country.reset_index(drop=True),
        china_import_trend=trend.reset_index(drop=True),
        reserves=res.reset_index(drop=True),
        sources=network.default_sources().rename(columns={"mineral_id": "mineral"}),
        source_comparison=compare_sources(network, rival=sorted(rivals)),
    )


def _has_data(dep: pd.DataFrame) -> pd.Series:
    """Rows of :func:`import_dependence` with trade data or an import reliance (value or bound).

    The others (a stage without trade data and without a bound) carry only the
    reason, the same for every member: the record gives it once.
    """
    return (
        dep["import_reliance_min"].notna()
        | dep["import_reliance"].notna()
        | dep["import_reliance_status"].eq("inconsistent sources")
        | dep["imports_value_usd"].gt(0)
        | dep["exports_value_usd"].gt(0)
    )


def summary_records(result: Assessment) -> list[dict[str, Any]]:
    """The JSON output of ``friendshore assess``: one record per mineral × stage × product.

    Keys: the :data:`SUMMARY_COLUMNS` except the coverage counts, which are
    grouped under ``coverage`` (``production_share_known``, ``countries``,
    ``withheld``, ``missing``, ``trade_content_coverage``);
    ``intervals``: each of ``zone_import_reliance``, ``zone_self_sufficiency``
    and ``supply_risk`` in the interval shape of
    :func:`friendshore.metrics.balance.interval_fields` (``value`` where a point,
    else ``low``/``high``; ``width``, ``basis``, ``note``); and ``members``: a
    list of ``member, import_reliance`` (with ``_min``, ``_max``, ``_status``,
    ``_basis``, ``_note`` and ``import_reliance_interval``), ``china_import_share,
    intra_zone_share, import_hhi, geopolrisk`` for every member of the zone (the record's year).
    Shares are fractions 0–1, HHI 0–10,000, ``null`` where not computable.
    See docs/assessment.md for the schema.
    """
    member_keys = [
        "member",
        "import_reliance",
        "import_reliance_min",
        "import_reliance_max",
        "import_reliance_status",
        "import_reliance_basis",
        "import_reliance_note",
        "china_import_share",
        "intra_zone_share",
        "import_hhi",
        "geopolrisk",
    ]
    order = {m: i for i, m in enumerate(result.zone.members)}
    members = result.members[result.members["member"] != ZONE]
    members = members.assign(_order=members["member"].map(order)).sort_values("_order")
    by_key = {
        key: [
            _member_record({k: plain(v) for k, v in zip(member_keys, row, strict=True)})
            for row in group[member_keys].itertuples(index=False, name=None)
        ]
        for key, group in members.groupby(["mineral", "stage", "year"])
    }
    out: list[dict[str, Any]] = []
    for raw in result.summary.to_dict("records"):
        rec = {str(k): v for k, v in raw.items()}
        coverage = {
            "production_share_known": plain(rec.pop("coverage")),
            "countries": plain(rec.pop("n_countries")),
            "withheld": plain(rec.pop("n_withheld")),
            "missing": plain(rec.pop("n_missing")),
            "trade_content_coverage": plain(rec.pop("trade_content_coverage")),
        }
        record = {k: plain(v) for k, v in rec.items()}
        record["product"] = record["product"] or None
        record["coverage"] = coverage
        record["intervals"] = {
            key: interval_fields(
                rec[prefix],
                rec[f"{prefix}_min"],
                rec[f"{prefix}_max"],
                basis=rec["balance_basis"],
                note=rec[f"{prefix}_note"],
            )
            for key, prefix in SUMMARY_INTERVALS.items()
        }
        # Every member is listed; its figures are null where there is no trade data,
        # with the record's reason (no HS code, or no flows in its codes)
        listed = {
            m["member"]: m for m in by_key.get((rec["mineral"], rec["stage"], rec["year"]), [])
        }
        why = rec.get("zone_import_reliance_note") or NO_TRADE
        record["members"] = [
            listed.get(m)
            or _member_record(
                {"member": m}
                | dict.fromkeys(member_keys[1:], None)
                | {"import_reliance_status": "no bound", "import_reliance_note": why}
            )
            for m in result.zone.members
        ]
        out.append(record)
    return out


def _member_record(rec: dict[str, Any]) -> dict[str, Any]:
    """A member's JSON record with ``import_reliance_interval`` in the interval shape."""
    rec["import_reliance_interval"] = interval_fields(
        rec["import_reliance"],
        rec["import_reliance_min"],
        rec["import_reliance_max"],
        basis=rec["import_reliance_basis"],
        note=rec["import_reliance_note"],
    )
    return rec


def concentration_table(
    network: SupplyNetwork, *, mineral: str, stage: str, year: int | None = None
) -> pd.DataFrame:
    """Per-country shares and HHI of one mineral and stage (default source, latest year)."""
    rows, totals = network.default_production()
    selected = rows[(rows["mineral_id"] == mineral) & (rows["stage"] == stage)]
    if selected.empty:
        known = sorted(set(rows["mineral_id"]))
        raise InputError(
            f"no production data for mineral {mineral!r} at stage {stage!r}; "
            f"minerals with data: {', '.join(known)}"
        )
    year = year if year is not None else int(selected["year"].max())
    return country_shares(
        rows, totals, series={"mineral_id": mineral, "stage": stage, "year": year}
    )


def dependence_table(
    network: SupplyNetwork,
    zone: Zone,
    *,
    member: str,
    mineral: str,
    year: int | None = None,
) -> pd.DataFrame:
    """One member's (or the zone's) dependence for one mineral, per stage and year.

    Net import reliance (fraction) as its point value and bounds
    (``import_reliance_min``/``_max``) with the reason it is not a point; any
    other country: :func:`friendshore.metrics.country_dependence.dependence_rows`.
    """
    rows, totals = network.default_production()
    rows = rows[rows["mineral_id"] == mineral]
    trade = network.trade[network.trade["mineral_id"] == mineral]
    if trade.empty:
        raise InputError(f"no trade data for mineral {mineral!r}")
    if year is not None:
        check_year(year, trade["year"], what=f"trade data for {mineral}")
    bound = network.bound_trade
    if not bound.empty:
        bound = bound[bound["mineral_id"] == mineral]
    us = None
    if "USA" in zone.members and not network.salient.empty:
        us = us_balance_of(network.salient)
    balance = balance_frame(trade, rows, zone, totals=totals, us=us, bound_trade=bound)
    dep = import_dependence(trade, rows, zone, totals=totals, balance=balance)
    dep = dep[(dep["member"] == member) & (dep["mineral_id"] == mineral) & _has_data(dep)]
    if year is not None:
        dep = dep[dep["year"] == year]
    cols = [
        "mineral_id",
        "stage",
        "year",
        "member",
        "imports_value_usd",
        "exports_value_usd",
        "imports_t",
        "exports_t",
        "production_t",
        "import_reliance",
        "import_reliance_min",
        "import_reliance_max",
        "import_reliance_note",
        "china_import_share_value",
        "china_import_share_qty",
        "intra_zone_share",
        "import_hhi",
    ]
    return dep[cols].sort_values(["stage", "year"]).reset_index(drop=True)


def supply_risk_table(
    network: SupplyNetwork, zone: Zone, *, mineral: str, year: int | None = None
) -> pd.DataFrame:
    """Supply risk (JRC) and the zone's GeoPolRisk for one mineral, per stage and year."""
    rows, totals = network.default_production()
    shares = production_shares(rows, totals)
    if not (shares["mineral_id"] == mineral).any():
        raise InputError(f"no production data for mineral {mineral!r}")
    if year is not None:
        check_year(
            year, shares.loc[shares["mineral_id"] == mineral, "year"], what="production data"
        )
    dep = import_dependence(network.trade, rows, zone, totals=totals)
    sourcing = zone_sourcing(network.trade, rows, zone, totals=totals, dependence=dep)
    risk = supply_risk(shares, sourcing, network.governance, network.recycling, dep, zone)
    gpr = geopolrisk(shares, network.trade, network.governance, zone, totals=totals)
    zone_gpr = gpr.loc[(gpr["member"] == ZONE) & (gpr["mineral_id"] == mineral)]
    out = risk[risk["mineral_id"] == mineral].merge(
        zone_gpr[["stage", "year", "geopolrisk"]], on=["stage", "year"], how="left"
    )
    if year is not None:
        out = out[out["year"] <= year]
    return out.sort_values(["stage", "product", "year"]).reset_index(drop=True)


#: Metrics compared by :func:`membership_change`.
MEMBERSHIP_METRICS: list[str] = [
    "zone_production_share",
    "zone_production_share_min",
    "zone_reserves_share",
    "zone_self_sufficiency",
    "supply_risk",
    "geopolrisk",
]


def membership_change(
    network: SupplyNetwork, zone: Zone, *, candidate: str, year: int | None = None
) -> pd.DataFrame:
    """What changes for each metric, mineral and stage if ``candidate`` joins ``zone``.

    Returns one row per mineral × stage × product × metric with ``before``,
    ``after`` and ``change`` (after − before); rows where neither value is known
    are left out.
    """
    before = assess(network, zone, year=year).summary
    after = assess(network, zone.with_member(candidate), year=year).summary
    keys = ["mineral", "stage", "product", "year"]
    long = []
    for name, frame in (("before", before), ("after", after)):
        melted = frame.melt(id_vars=keys, value_vars=MEMBERSHIP_METRICS, var_name="metric")
        long.append(melted.rename(columns={"value": name}))
    out = long[0].merge(long[1], on=[*keys, "metric"], how="outer")
    out = out[out["before"].notna() | out["after"].notna()].copy()
    out["change"] = out["after"] - out["before"]
    out.insert(0, "candidate", candidate)
    return out.sort_values(["metric", "mineral", "stage", "product"]).reset_index(drop=True)
