"""Estimation panel for structural gravity on critical minerals, from the store (USD).

One row per exporter × importer × year, trade summed over the HS6 codes of the
catalog's minerals (CEPII BACI) in **one HS nomenclature**, :data:`PANEL_NOMENCLATURE`
(HS92), with **domestic flows** ``X_ii`` derived as
production value minus exports (Yotov et al. 2016, ch. 1, section A.2: gravity
needs intra-national trade):

- unit value of a mineral × stage × year (USD/t of contained mineral):
  world BACI value over world BACI content tonnes of its HS6 codes;
- production value = USGS MCS production (t) × that unit value;
- domestic flow of a country = Σ over its minerals × stages of
  (production value − its exports of that mineral × stage).

Cost variables: ``lndist`` (log CEPII GeoDist distance between most populated
cities, km; the internal distance for domestic pairs), ``contiguity``,
``common_language`` (official), ``international`` (1 for ``i ≠ j``) and
membership dummies: ``zone_pair`` (both in the zone, ``i ≠ j``; a description
of membership, not a preference in force), ``member_exporter``,
``member_importer``. International pairs of countries in the year's panel that
did not trade are explicit zeros (PPML uses them).

One nomenclature, so that years compare: the store's BACI trade is the HS92
subset for 2015–2024 plus, for 2024 only, an HS17 supplement with codes the HS92
subset lacks (copper cathodes 740311, unwrought nickel 750210, NdFeB magnets
850511, …; ``trade.nomenclature = 'HS17'``). Counting the supplement would put
2024 on a wider product base than every earlier year: on the bundled data the
GE square of 2024 would hold US$904 bn of trade and domestic flows against
US$599 bn in 2023, a jump of codes, not of trade, and the HS17 unit values would
change the 2024 domestic flows too. The panel keeps the HS92 rows only (unit
values included); the supplement's rows are rows of ``dropped`` (step
``trade``) with that reason.

Nothing is dropped silently: every trade, production and pair row left out is
a row of :attr:`EstimationPanel.dropped` with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.data.gravity_files import read_distances
from friendshore.data.queries import read_mineral_trade, read_production

__all__ = [
    "DROPPED_COLUMNS",
    "PANEL_COLUMNS",
    "PANEL_NOMENCLATURE",
    "EstimationPanel",
    "build_panel",
    "panel_from_store",
]

PANEL_COLUMNS = [
    "exporter",
    "importer",
    "year",
    "trade",
    "dist_km",
    "lndist",
    "contiguity",
    "common_language",
    "international",
    "zone_pair",
    "member_exporter",
    "member_importer",
]
DROPPED_COLUMNS = [
    "step",
    "year",
    "exporter",
    "importer",
    "mineral_id",
    "stage",
    "value_usd",
    "quantity_t",
    "reason",
]
LAYER = ["mineral_id", "stage"]

#: The HS nomenclature of the panel's trade (``trade.nomenclature`` of the store): the
#: BACI HS92 subset covers every year 2015–2024 with the same codes.
PANEL_NOMENCLATURE = "HS92"


@dataclass(frozen=True, eq=False)
class EstimationPanel:
    """A gravity estimation panel (``trade`` in USD) with every dropped row and its reason.

    Attributes
    ----------
    panel
        :data:`PANEL_COLUMNS`, one row per exporter × importer × year; the
        layout of :func:`~friendshore.data.gravity_files.read_gravity_data`.
    domestic
        Per country × year × mineral × stage: ``production_t``,
        ``unit_value_usd_per_t``, ``production_value_usd``, ``exports_usd``,
        ``domestic_usd`` (derivations kept in the domestic flow).
    dropped
        :data:`DROPPED_COLUMNS`: ``step`` (``trade``, ``production``,
        ``domestic``, ``pair``) and ``reason``.
    nomenclature
        HS nomenclature of the trade kept (:data:`PANEL_NOMENCLATURE`); also
        ``panel.attrs["nomenclature"]``. None where the trade frame did not say.
    """

    panel: pd.DataFrame
    domestic: pd.DataFrame
    dropped: pd.DataFrame
    nomenclature: str | None = None

    def square(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One year restricted to countries with a domestic flow (GE needs every pair).

        Returns the square data and the rows left out (``step = 'ge'``).
        """
        frame = self.panel[self.panel["year"] == year]
        if frame.empty:
            raise ValidationError(f"the panel has no rows for {year}")
        dom = frame[frame["exporter"] == frame["importer"]]
        keep = set(dom.loc[dom["trade"] > 0, "exporter"])
        inside = frame["exporter"].isin(keep) & frame["importer"].isin(keep)
        # a country missing a pair with another kept country (no distance) leaves too
        while True:
            counts = frame[inside].groupby("exporter").size()
            short = set(counts[counts < len(keep)].index) | (keep - set(counts.index))
            if not short:
                break
            keep -= short
            inside = frame["exporter"].isin(keep) & frame["importer"].isin(keep)
        left = frame[~inside]
        out = _dropped(
            left.assign(step="ge", value_usd=left["trade"]),
            "exporter or importer has no domestic flow (production value unknown) or "
            "lacks a pair; the GE needs every pair of its countries",
        )
        return frame[inside].reset_index(drop=True), out


def _dropped(frame: pd.DataFrame, reason: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in DROPPED_COLUMNS:
        out[col] = frame[col] if col in frame.columns else None
    out["reason"] = reason
    return out


def build_panel(
    trade: pd.DataFrame,
    production: pd.DataFrame,
    distances: pd.DataFrame,
    zone_countries: Iterable[str],
    *,
    years: Iterable[int] | None = None,
    minerals: Iterable[str] | None = None,
    production_source: str = "USGS MCS",
    nomenclature: str = PANEL_NOMENCLATURE,
) -> EstimationPanel:
    """Build the estimation panel (USD) from store frames; see the module notes.

    Parameters
    ----------
    trade
        :func:`~friendshore.data.queries.read_mineral_trade` with
        ``with_nomenclature=True``. Without a ``nomenclature`` column every row
        is taken to be in ``nomenclature``.
    production
        :func:`~friendshore.data.queries.read_production`.
    distances
        :func:`~friendshore.data.gravity_files.read_distances`.
    zone_countries
        ISO3 codes of the zone's countries (membership dummies).
    years
        Years to keep; default: the years with both trade and production.
    minerals
        Mineral ids to keep; default all.
    production_source
        Production source whose tonnes value domestic flows (one source, so a
        mineral is never counted twice).
    nomenclature
        HS nomenclature whose trade the panel keeps (:data:`PANEL_NOMENCLATURE`);
        rows of another are left out (``dropped``, step ``trade``), so that every
        year is measured on the same codes.
    """
    zone = set(zone_countries)
    dropped: list[pd.DataFrame] = []
    if "nomenclature" in trade.columns:
        other = trade["nomenclature"] != nomenclature
        for layer in sorted(set(trade.loc[other, "nomenclature"].astype(str))):
            layer_rows = trade[other & (trade["nomenclature"].astype(str) == layer)]
            dropped.append(
                _dropped(
                    layer_rows.assign(step="trade"),
                    f"{layer} trade (BACI supplement): the panel keeps {nomenclature} codes "
                    "only, so that every year covers the same products",
                )
            )
        trade = trade[~other].drop(columns="nomenclature")
    prod = production[production["source"] == production_source].copy()
    if minerals is not None:
        wanted = set(minerals)
        trade = trade[trade["mineral_id"].isin(wanted)]
        prod = prod[prod["mineral_id"].isin(wanted)]
    year_set = set(years) if years is not None else set(trade["year"]) & set(prod["year"].dropna())
    trade = trade[trade["year"].isin(year_set)]
    prod = prod[prod["year"].isin(year_set)]
    if trade.empty:
        raise ValidationError("no mineral trade in the chosen years and minerals")

    # --- trade --------------------------------------------------------------------------
    not_country = trade["exporter"].isna() | trade["importer"].isna()
    dropped.append(
        _dropped(trade[not_country].assign(step="trade"), "exporter or importer is not a country")
    )
    trade = trade[~not_country]
    self_flow = trade["exporter"] == trade["importer"]
    dropped.append(_dropped(trade[self_flow].assign(step="trade"), "BACI self-flow"))
    trade = trade[~self_flow]

    # --- domestic flows -----------------------------------------------------------------
    with_content = trade[trade["content_t"].fillna(0) > 0]
    unit = with_content.groupby([*LAYER, "year"]).agg(
        value=("value_usd", "sum"), content=("content_t", "sum")
    )
    unit_value = (unit["value"] / unit["content"]).rename("unit_value_usd_per_t")
    no_qty = prod["quantity_t"].isna()
    reason = np.where(prod["status"].eq("withheld"), "production withheld", "production missing")
    for why in ("production withheld", "production missing"):
        rows = prod[no_qty & (reason == why)]
        dropped.append(
            _dropped(rows.rename(columns={"country": "exporter"}).assign(step="production"), why)
        )
    prod = prod[~no_qty]
    key = [*LAYER, "country", "year"]
    multi = prod.duplicated(key, keep=False)
    dropped.append(
        _dropped(
            prod[multi].rename(columns={"country": "exporter"}).assign(step="production"),
            "several product series for one mineral, stage, country and year; "
            "which one the HS6 trade matches is ambiguous",
        )
    )
    prod = prod[~multi][[*key, "quantity_t"]].rename(columns={"quantity_t": "production_t"})
    prod = prod.join(unit_value, on=[*LAYER, "year"])
    no_unit = prod["unit_value_usd_per_t"].isna()
    dropped.append(
        _dropped(
            prod[no_unit]
            .rename(columns={"country": "exporter", "production_t": "quantity_t"})
            .assign(step="production"),
            "no unit value: the mineral's HS6 codes have no content factor or no trade that year",
        )
    )
    prod = prod[~no_unit].copy()
    prod["production_value_usd"] = prod["production_t"] * prod["unit_value_usd_per_t"]
    exports = trade.groupby([*LAYER, "exporter", "year"])["value_usd"].sum().rename("exports_usd")
    prod = prod.join(exports.rename_axis([*LAYER, "country", "year"]), on=key)
    prod["exports_usd"] = prod["exports_usd"].fillna(0.0)
    prod["domestic_usd"] = prod["production_value_usd"] - prod["exports_usd"]
    negative = prod["domestic_usd"] < 0
    dropped.append(
        _dropped(
            prod[negative]
            .rename(columns={"country": "exporter", "production_t": "quantity_t"})
            .assign(
                step="domestic",
                importer=prod.loc[negative, "country"],
                value_usd=prod.loc[negative, "domestic_usd"],
            ),
            "exports exceed the derived production value (re-exports or a unit-value gap)",
        )
    )
    domestic = prod[~negative].reset_index(drop=True)
    dom = domestic.groupby(["country", "year"])["domestic_usd"].sum()

    # --- pairs ----------------------------------------------------------------------------
    flows = trade.groupby(["exporter", "importer", "year"])["value_usd"].sum().rename("trade")
    rows = []
    for year in sorted(year_set):
        yf = flows.xs(year, level="year") if year in flows.index.get_level_values("year") else None
        countries = (
            set()
            if yf is None
            else set(yf.index.get_level_values(0)) | set(yf.index.get_level_values(1))
        )
        ydom = (
            dom.xs(year, level="year")
            if year in dom.index.get_level_values("year")
            else pd.Series(dtype=float)
        )
        countries |= set(ydom.index)
        if not countries:
            continue
        cs = sorted(countries)
        grid = pd.MultiIndex.from_product([cs, cs], names=["exporter", "importer"])
        frame = pd.DataFrame(index=grid).reset_index()
        frame["year"] = year
        frame["trade"] = 0.0
        if yf is not None:
            frame["trade"] = yf.reindex(grid).fillna(0.0).to_numpy()
        is_dom = frame["exporter"] == frame["importer"]
        frame.loc[is_dom, "trade"] = frame.loc[is_dom, "exporter"].map(ydom).to_numpy()
        rows.append(frame)
    pairs = pd.concat(rows, ignore_index=True)
    missing_dom = pairs["trade"].isna()
    dropped.append(
        _dropped(
            pairs[missing_dom].assign(step="pair"),
            "no domestic flow: no production value could be derived for this country and year",
        )
    )
    pairs = pairs[~missing_dom]
    dist = distances[["exporter", "importer", "dist_km", "contiguity", "common_language"]]
    pairs = pairs.merge(dist, on=["exporter", "importer"], how="left")
    no_dist = pairs["dist_km"].isna() | ~(pairs["dist_km"] > 0)
    dropped.append(
        _dropped(
            pairs[no_dist].assign(step="pair", value_usd=pairs.loc[no_dist, "trade"]),
            "no CEPII GeoDist distance for the pair",
        )
    )
    pairs = pairs[~no_dist].copy()
    pairs["lndist"] = np.log(pairs["dist_km"].to_numpy(dtype=np.float64))
    pairs["contiguity"] = pairs["contiguity"].astype(np.int64)
    pairs["common_language"] = pairs["common_language"].astype(np.int64)
    pairs["international"] = (pairs["exporter"] != pairs["importer"]).astype(np.int64)
    pairs["member_exporter"] = pairs["exporter"].isin(zone).astype(np.int64)
    pairs["member_importer"] = pairs["importer"].isin(zone).astype(np.int64)
    pairs["zone_pair"] = (
        pairs["member_exporter"] * pairs["member_importer"] * pairs["international"]
    )
    panel = pairs[PANEL_COLUMNS].sort_values(["year", "exporter", "importer"], ignore_index=True)
    all_dropped = pd.concat([d for d in dropped if not d.empty], ignore_index=True)
    if all_dropped.empty:
        all_dropped = pd.DataFrame(columns=DROPPED_COLUMNS)
    panel.attrs["trade_unit"] = "USD"
    panel.attrs["nomenclature"] = nomenclature
    return EstimationPanel(
        panel=panel,
        domestic=domestic,
        dropped=all_dropped[DROPPED_COLUMNS],
        nomenclature=nomenclature,
    )


def panel_from_store(
    store: Path,
    zone_countries: Iterable[str],
    *,
    years: Iterable[int] | None = None,
    minerals: Iterable[str] | None = None,
) -> EstimationPanel:
    """Build the minerals estimation panel (USD, BACI HS92 codes) from a store.

    See :func:`build_panel`: the trade of the HS17 2024 supplement is left out
    (``dropped``) so that 2024 compares with earlier years.
    """
    return build_panel(
        read_mineral_trade(store, with_nomenclature=True),
        read_production(store),
        read_distances(store),
        zone_countries,
        years=years,
        minerals=minerals,
    )
