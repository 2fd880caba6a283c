"""The supply network: production, reserves, trade and governance as validated frames.

Built once from the store (:meth:`SupplyNetwork.from_store`) and handed to the
metric functions, which never touch the store themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from friendshore.data import queries

#: Source used by default for a stage when several sources cover it. USGS lists
#: every producing country (plus "Other countries" and a world total); the IEA
#: lists only the top 4-7 producers and a rest-of-world row. So USGS is the
#: default wherever it has country data for a mineral and stage, and the IEA
#: fills the stages USGS does not cover (refined cobalt, nickel, lithium
#: chemicals, battery-grade graphite, magnet rare earths).
SOURCE_PREFERENCE: tuple[str, ...] = ("USGS MCS", "IEA CMDE")

SERIES: list[str] = ["mineral_id", "stage", "product"]


@dataclass(frozen=True)
class SupplyNetwork:
    """Production, reserves and trade per mineral, stage and year, from the store.

    Attributes
    ----------
    production
        Every source's country rows (see :func:`friendshore.data.queries.read_production`).
    production_totals
        Published world totals (``kind='world'``) and other-countries rows.
    reserves, reserves_totals
        The same for reserves (USGS only).
    trade
        Bilateral trade per HS6 mapped to mineral and stage, with contained tonnes.
    governance
        WGI estimates, one row per country and year, one column per dimension.
    recycling
        End-of-life recycling input rates per mineral.
    minerals
        The mineral catalog.
    salient
        USGS MCS salient statistics of the United States, the newest edition per
        commodity and year (:func:`friendshore.data.queries.read_salient`); empty
        unless read from a store.
    published_nir
        USGS's published U.S. net import reliance, MCS Fig. 2
        (:func:`friendshore.data.queries.read_published_nir`); empty unless read
        from a store.
    bound_trade
        Trade in HS codes that carry a mineral among others (gold and PGM ores,
        unwrought Ga/Ge/In …): they bound its flows from above, never measure them
        (:func:`friendshore.data.queries.read_bound_trade`); empty unless read
        from a store. Not part of ``trade``.
    """

    production: pd.DataFrame
    production_totals: pd.DataFrame
    reserves: pd.DataFrame
    reserves_totals: pd.DataFrame
    trade: pd.DataFrame
    governance: pd.DataFrame
    recycling: pd.DataFrame
    minerals: pd.DataFrame
    salient: pd.DataFrame = field(default_factory=pd.DataFrame)
    published_nir: pd.DataFrame = field(default_factory=pd.DataFrame)
    bound_trade: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def from_store(cls, store: Path) -> SupplyNetwork:
        """Read every frame from the store at ``store``."""
        return cls(
            production=queries.read_production(store),
            production_totals=queries.read_production_totals(store),
            reserves=queries.read_reserves(store),
            reserves_totals=queries.read_reserves_totals(store),
            trade=queries.read_mineral_trade(store),
            governance=queries.read_governance(store),
            recycling=queries.read_recycling(store),
            minerals=queries.read_minerals(store),
            salient=queries.read_salient(store),
            published_nir=queries.read_published_nir(store),
            bound_trade=queries.read_bound_trade(store),
        )

    def default_sources(self) -> pd.DataFrame:
        """Return the source used by default per mineral and stage, with the reason.

        Columns: ``mineral_id, stage, source, alternatives, reason``.
        """
        pairs = self.production[["mineral_id", "stage", "source"]].drop_duplicates()
        grouped: dict[tuple[str, str], list[str]] = {}
        for mineral, stage, source in pairs.itertuples(index=False, name=None):
            grouped.setdefault((str(mineral), str(stage)), []).append(str(source))
        rows = []
        for (mineral, stage), sources in sorted(grouped.items()):
            chosen, *others = sorted(sources, key=_rank)
            reason = (
                "USGS lists every producing country with a world total"
                if chosen == "USGS MCS"
                else "only the IEA covers this stage (top producers and rest of world)"
            )
            rows.append(
                {
                    "mineral_id": mineral,
                    "stage": stage,
                    "source": chosen,
                    "alternatives": ", ".join(others),
                    "reason": reason,
                }
            )
        return pd.DataFrame(
            rows, columns=["mineral_id", "stage", "source", "alternatives", "reason"]
        )

    def default_production(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return country rows and totals of the default source per mineral and stage."""
        chosen = self.default_sources()[["mineral_id", "stage", "source"]]
        rows = self.production.merge(chosen, on=["mineral_id", "stage", "source"])
        totals = self.production_totals.merge(chosen, on=["mineral_id", "stage", "source"])
        return rows, totals


def _rank(source: str) -> int:
    return (
        SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    )
