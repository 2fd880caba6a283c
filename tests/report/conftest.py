"""An :class:`Assessment` built from the session store for the report tests.

The frames hold real data with the documented columns, computed here with
plain pandas (production shares from :mod:`friendshore.metrics.shares`, trade
sums from BACI). Supply risk, GeoPolRisk and self-sufficiency are left NULL:
the report must render them as "n/a". When :func:`assess` lands, this fixture
switches to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore.metrics.assessment import Assessment
from friendshore.metrics.shares import SERIES_KEYS, production_shares, world_denominator
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

YEAR = 2024


def _latest(frame: pd.DataFrame, keys: list[str], year: int) -> pd.DataFrame:
    frame = frame[frame["year"] <= year]
    last = frame.groupby(keys, dropna=False)["year"].transform("max")
    return frame[frame["year"] == last]


def _hhi_band(hhi: pd.Series) -> pd.Series:
    band = pd.cut(
        hhi,
        [-np.inf, 1500, 2500, np.inf],
        right=False,
        labels=["unconcentrated", "moderately concentrated", "highly concentrated"],
    )
    return band.astype("string")


def _summary(network: SupplyNetwork, zone: Zone, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, totals = network.default_production()
    series = [k for k in SERIES_KEYS if k != "year"]
    shares = _latest(production_shares(rows, totals), series, year)
    world = world_denominator(rows, totals).merge(
        shares[SERIES_KEYS].drop_duplicates(), on=SERIES_KEYS
    )
    shares = shares.assign(
        is_china=shares["country"] == "CHN",
        in_zone=shares["country"].isin(zone.countries),
        sq=shares["share"] ** 2,
        known=shares["quantity_t"].notna(),
    )
    ranked = shares.sort_values("share", ascending=False, na_position="last")
    top3 = ranked.groupby(SERIES_KEYS, dropna=False).head(3)
    per = shares.groupby(SERIES_KEYS, dropna=False).agg(
        hhi=("sq", "sum"), coverage=("known", "mean")
    )
    per["hhi"] *= 10_000
    per["china_share"] = (
        shares[shares["is_china"]].groupby(SERIES_KEYS, dropna=False)["share"].sum(min_count=1)
    )
    per["top3_share"] = top3.groupby(SERIES_KEYS, dropna=False)["share"].sum(min_count=1)
    per["zone_production_share"] = (
        shares[shares["in_zone"]].groupby(SERIES_KEYS, dropna=False)["share"].sum()
    )
    per["zone_production_share"] = per["zone_production_share"].fillna(0.0)
    summary = per.reset_index().merge(
        world[[*SERIES_KEYS, "world_quantity_t"]], on=SERIES_KEYS, how="left"
    )
    reserves = _reserves(network, zone, year)
    summary = summary.merge(
        reserves.groupby("mineral")["zone_reserves_share"].first(),
        left_on="mineral_id",
        right_index=True,
        how="left",
    )
    summary["hhi_band"] = _hhi_band(summary["hhi"])
    for col in ("zone_self_sufficiency", "supply_risk", "geopolrisk"):
        summary[col] = np.nan
    summary = summary.rename(columns={"mineral_id": "mineral"})
    cols = [
        "mineral",
        "stage",
        "product",
        "year",
        "source",
        "world_quantity_t",
        "china_share",
        "top3_share",
        "hhi",
        "hhi_band",
        "zone_production_share",
        "zone_reserves_share",
        "zone_self_sufficiency",
        "supply_risk",
        "geopolrisk",
        "coverage",
    ]
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
    return summary[cols].reset_index(drop=True), country.reset_index(drop=True)


def _reserves(network: SupplyNetwork, zone: Zone, year: int) -> pd.DataFrame:
    keys = ["mineral_id", "product", "year"]
    res = _latest(network.reserves, ["mineral_id", "product"], year)
    world = network.reserves_totals
    world = (
        world[world["kind"] == "world"].groupby(keys, dropna=False)["quantity_t"].sum(min_count=1)
    )
    res = res.merge(world.rename("world_t"), left_on=keys, right_index=True, how="inner")
    res = res.assign(share=res["quantity_t"] / res["world_t"].where(res["world_t"] > 0))
    zone_share = res[res["country"].isin(zone.countries)].groupby(keys)["share"].sum()
    china_share = res[res["country"] == "CHN"].groupby(keys)["share"].sum(min_count=1)
    out = pd.DataFrame({"zone_reserves_share": zone_share, "china_reserves_share": china_share})
    out = res[keys].drop_duplicates().merge(out, left_on=keys, right_index=True, how="left")
    return out.rename(columns={"mineral_id": "mineral"}).reset_index(drop=True)


def _members(network: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    member_of = pd.Series(zone.country_to_member(), dtype="string")
    trade = network.trade.assign(
        imp_member=network.trade["importer"].map(member_of).fillna(""),
        exp_member=network.trade["exporter"].map(member_of).fillna(""),
    )
    keys = ["mineral_id", "stage", "year", "member"]
    parts = []
    for bloc in (False, True):
        imp = trade[trade["imp_member"] != ""]
        if bloc:
            imp = imp[imp["exp_member"] == ""].assign(member="zone")
            intra = pd.Series(False, index=imp.index)
        else:
            imp = imp[imp["exp_member"] != imp["imp_member"]].assign(member=imp["imp_member"])
            intra = imp["exp_member"] != ""
        imp = imp.assign(
            china_usd=imp["value_usd"].where(imp["exporter"] == "CHN", 0.0),
            intra_usd=imp["value_usd"].where(intra, 0.0),
        )
        by_src = imp.groupby([*keys, "exporter"], dropna=False)["value_usd"].sum()
        total = by_src.groupby(level=keys).sum()
        hhi = (by_src / total.reindex(by_src.index.droplevel("exporter")).to_numpy()) ** 2
        g = imp.groupby(keys)
        parts.append(
            pd.DataFrame(
                {
                    "imports_usd": g["value_usd"].sum(),
                    "china_usd": g["china_usd"].sum(),
                    "intra_usd": g["intra_usd"].sum(),
                    "import_hhi": hhi.groupby(level=keys).sum() * 10_000,
                }
            )
        )
    out = pd.concat(parts).reset_index()
    out["china_import_share"] = out["china_usd"] / out["imports_usd"].where(out["imports_usd"] > 0)
    out["intra_zone_share"] = out["intra_usd"] / out["imports_usd"].where(out["imports_usd"] > 0)
    out["import_reliance"] = np.nan
    out = out.rename(columns={"mineral_id": "mineral"})
    return out[
        [
            "mineral",
            "stage",
            "year",
            "member",
            "import_reliance",
            "china_import_share",
            "intra_zone_share",
            "import_hhi",
        ]
    ]


@pytest.fixture(scope="session")
def assessment(store_path: Path) -> Assessment:
    """An assessment of the default zone, up to 2024, from the session store."""
    network = SupplyNetwork.from_store(store_path)
    zone = default_zone()
    summary, country_shares = _summary(network, zone, YEAR)
    members = _members(network, zone)
    trend = members[members["member"] != "zone"][
        ["member", "mineral", "stage", "year", "china_import_share"]
    ].reset_index(drop=True)
    return Assessment(
        zone=zone,
        year=YEAR,
        summary=summary,
        members=members,
        country_shares=country_shares,
        china_import_trend=trend,
        reserves=_reserves(network, zone, YEAR),
        sources=network.default_sources().rename(columns={"mineral_id": "mineral"}),
    )
