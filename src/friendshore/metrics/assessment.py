"""The zone dependency assessment: every metric for every mineral, stage and member.

:func:`assess` (the main job behind ``friendshore assess``) runs the metric
functions over a :class:`~friendshore.model.supply.SupplyNetwork` and a
:class:`~friendshore.model.zone.Zone` and returns an :class:`Assessment`, whose
frames the CLI prints, the report plots and the JSON output serialises.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from friendshore.model.zone import Zone


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
        supply_risk, geopolrisk, coverage`` (shares are fractions 0–1, HHI 0–10,000,
        NULL where not computable).
    members
        One row per mineral × stage × year × member (and ``member = 'zone'``):
        ``mineral, stage, year, member, import_reliance, china_import_share,
        intra_zone_share, import_hhi``.
    country_shares
        Every series' country rows: ``source, mineral, stage, product, year,
        country, quantity_t, share, status``.
    china_import_trend
        China's share (value) of each member's imports, 2015–2024: ``member,
        mineral, stage, year, china_import_share``.
    reserves
        ``mineral, product, year, zone_reserves_share, china_reserves_share``.
    sources
        The source used per mineral and stage, the alternatives and why.
    """

    zone: Zone
    year: int
    summary: pd.DataFrame
    members: pd.DataFrame
    country_shares: pd.DataFrame
    china_import_trend: pd.DataFrame
    reserves: pd.DataFrame
    sources: pd.DataFrame
