"""Response models of the API (request bodies are the analysis layer's models).

Shares are fractions 0–1, HHI 0–10,000, quantities in tonnes (``_t``), values in
US dollars (``_usd``); ``null`` where a figure is not computable or missing.
Field names and meanings follow the frames of :mod:`friendshore.metrics` and
docs/assessment.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberInfo(_Row):
    """A member of the zone and the countries it stands for."""

    member: str = Field(description="member id: ISO3 code or bloc (EU27)")
    name: str
    countries: list[str] = Field(description="ISO3 codes")


class ZoneInfo(_Row):
    """The zone the API serves and the year of its assessment."""

    name: str
    members: list[MemberInfo]
    rivals: list[str]
    year: int = Field(description="latest year assessed")
    source: str


class MineralInfo(_Row):
    """One mineral of the catalog."""

    mineral: str
    name: str
    stages: list[str]
    unit_basis: str
    usgs_critical_2022: bool
    has_production: bool
    has_trade: bool


class Coverage(_Row):
    """How much of a record's input was known."""

    production_share_known: float | None
    countries: int | None
    withheld: int | None
    missing: int | None
    trade_content_coverage: float | None


class MemberMetrics(_Row):
    """A member's dependence in an assessment record."""

    member: str
    import_reliance: float | None
    china_import_share: float | None
    intra_zone_share: float | None
    import_hhi: float | None
    geopolrisk: float | None


class AssessmentRecord(_Row):
    """One mineral × stage × product of the assessment (``friendshore assess --format json``)."""

    mineral: str
    stage: str
    product: str | None
    year: int
    source: str
    world_quantity_t: float | None
    china_share: float | None
    top1_country: str | None
    top1_share: float | None
    top3_share: float | None
    hhi: float | None
    hhi_band: str | None
    zone_production_share: float | None
    zone_production_share_min: float | None
    zone_reserves_share: float | None
    zone_self_sufficiency: float | None
    supply_risk: float | None
    geopolrisk: float | None
    zone_import_share: float | None
    zone_non_rival_supply_share: float | None
    coverage: Coverage
    members: list[MemberMetrics]


class AssessmentOut(_Row):
    """The zone assessment: one record per mineral × stage × product."""

    zone: str
    year: int
    records: list[AssessmentRecord]


class CountryFigure(_Row):
    """A country's production (or reserves) in one series and year."""

    source: str
    release: str | None
    stage: str
    product: str
    year: int
    country: str
    country_name: str
    quantity_t: float | None
    share: float | None = Field(description="share of the world total, 0-1")
    status: str


class SourceChoice(_Row):
    """The source used for a mineral and stage, the alternatives and why."""

    mineral: str
    stage: str
    source: str
    alternatives: str
    reason: str


class SourceComparison(_Row):
    """Each source's figures where several cover one mineral, stage and year."""

    mineral: str
    stage: str
    product: str
    year: int
    source: str
    release: str
    world_quantity_t: float | None
    china_share: float | None
    top3_share: float | None
    coverage: float | None
    default: bool


class SourceCitation(_Row):
    """Who publishes a dataset, its licence and citation."""

    source: str
    publisher: str
    licence: str
    citation: str
    url: str


class MineralDetail(_Row):
    """Everything the Mineral page shows: production and reserves by country, sources."""

    mineral: str
    name: str
    unit_basis: str
    year: int
    summary: list[AssessmentRecord]
    production: list[CountryFigure]
    reserves: list[CountryFigure]
    sources: list[SourceChoice]
    source_comparison: list[SourceComparison]
    citations: list[SourceCitation]


class TradeFlow(_Row):
    """Imports of one member from one exporter (``exporter = 'OTHER'``: the rest)."""

    exporter: str
    exporter_name: str
    member: str
    value_usd: float
    quantity_t: float | None = Field(description="gross product weight, t")
    content_t: float | None = Field(description="mineral content on the catalog basis, t")


class MemberYear(_Row):
    """A member's (or the zone's) dependence for one mineral, stage and year."""

    member: str
    mineral: str
    stage: str
    year: int
    import_reliance: float | None
    import_reliance_note: str | None
    china_import_share: float | None = Field(description="share of import value, 0-1")
    china_import_share_qty: float | None = Field(description="share of import tonnes, 0-1")
    intra_zone_share: float | None
    import_hhi: float | None
    imports_value_usd: float | None
    geopolrisk: float | None


class TradeOut(_Row):
    """Trade flows into the zone's members and the 2015–2024 trend, for one mineral and stage."""

    mineral: str
    stage: str
    stages: list[str] = Field(description="stages with trade data for this mineral")
    year: int
    source: str
    top_exporters: int
    flows: list[TradeFlow]
    trend: list[MemberYear]


class MemberProfile(_Row):
    """One member's dependence profile: every mineral × stage × year."""

    member: str
    name: str
    countries: list[str]
    year: int = Field(description="latest year assessed")
    rows: list[MemberYear]


class TableOut(_Row):
    """A metric table (the rows of the matching ``friendshore metrics`` command)."""

    query: dict[str, Any]
    rows: list[dict[str, Any]]


class ScenarioSummary(_Row):
    """A shipped scenario (``friendshore scenario list``)."""

    id: str
    name: str
    date: str
    baseline_year: int
    measure: str
    source: str


class ScenarioRunOut(_Row):
    """A scenario run: per member × mineral × stage and zone totals (t/yr)."""

    scenario: str
    name: str
    baseline_year: int
    months: int
    zone: str
    records: list[dict[str, Any]]
    zone_totals: list[dict[str, Any]]
