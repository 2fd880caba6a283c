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


class IntervalOut(_Row):
    """A metric as a point or an interval (``value`` where a point, else ``low``/``high``)."""

    value: float | None
    low: float | None
    high: float | None
    width: float | None = Field(description="high - low; null if an end is unknown")
    basis: str | None
    note: str | None = Field(description="why not a point, or why null")


class MemberMetrics(_Row):
    """A member's dependence in an assessment record."""

    member: str
    import_reliance: float | None
    import_reliance_min: float | None = None
    import_reliance_max: float | None = None
    import_reliance_status: str | None = None
    import_reliance_basis: str | None = None
    import_reliance_note: str | None = None
    import_reliance_interval: IntervalOut | None = None
    china_import_share: float | None
    intra_zone_share: float | None
    import_hhi: float | None
    geopolrisk: float | None


class USPublished(_Row):
    """U.S. net import reliance computed from USGS's components beside USGS's published figure."""

    mineral_id: str
    usgs_key: str = Field(description="USGS salient statistics file")
    series: str = Field(description="product of a file that holds several ('' otherwise)")
    commodity: str | None = Field(description="commodity as USGS writes it")
    year: int
    net_import_reliance: float | None = Field(
        description="computed from USGS's U.S. components (fraction); null if a range"
    )
    net_import_reliance_min: float | None = Field(description="lower bound (fraction)")
    net_import_reliance_max: float | None = Field(description="upper bound (fraction)")
    published: float | None = Field(description="USGS's published figure (fraction)")
    published_text: str | None = Field(description="as written: '44', '>50', 'E' (net exporter)")
    published_bound: str | None = Field(description="'>' or '<' where USGS gives a bound")
    fig2_text: str | None = Field(description="MCS Fig. 2 figure of the year, as written")
    difference_pp: float | None = Field(
        description="computed − published, percentage points (points only)"
    )
    agreement: str = Field(
        description="'within 5 pp', 'inside published bound', 'overlaps published bound', "
        "'overlaps published figure', 'differs' or 'not comparable'"
    )
    reason: str | None = Field(description="why they differ; null where they agree")
    source: str
    release: str = Field(description="MCS edition read")


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
    zone_production_share_max: float | None = None
    zone_production_share_note: str | None = Field(
        default=None, description="why zone_production_share is unknown (null where known)"
    )
    zone_reserves_share: float | None
    zone_import_reliance: float | None = None
    zone_import_reliance_min: float | None = None
    zone_import_reliance_max: float | None = None
    zone_import_reliance_note: str | None = None
    zone_self_sufficiency: float | None
    zone_self_sufficiency_min: float | None = None
    zone_self_sufficiency_max: float | None = None
    zone_self_sufficiency_note: str | None = None
    supply_risk: float | None
    supply_risk_min: float | None = None
    supply_risk_max: float | None = None
    supply_risk_note: str | None = None
    balance_basis: str | None = None
    geopolrisk: float | None
    zone_import_share: float | None
    zone_non_rival_supply_share: float | None
    coverage: Coverage
    intervals: dict[str, IntervalOut] = Field(
        default_factory=dict,
        description="zone_import_reliance, zone_self_sufficiency and supply_risk as intervals",
    )
    members: list[MemberMetrics]
    us_net_import_reliance: list[USPublished] = Field(
        default_factory=list,
        description="U.S. net import reliance of the record's mineral computed from USGS's "
        "salient components beside USGS's published figure (empty if the USA is not a member)",
    )


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
    import_reliance_min: float | None = Field(default=None, description="lower bound, 0-1")
    import_reliance_max: float | None = Field(default=None, description="upper bound, 0-1")
    import_reliance_status: str | None = Field(
        default=None,
        description="'point', 'interval', 'inconsistent sources' or 'no bound'",
    )
    import_reliance_basis: str | None = Field(
        default=None, description="what the balance's tonnes measure, and its source"
    )
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


class MemberReliance(_Row):
    """A member's net import reliance for one mineral and stage at its latest year with one."""

    mineral: str
    stage: str
    year: int = Field(description="latest year with both production and trade")
    import_reliance: float | None = Field(description="point value (fraction); null if a range")
    import_reliance_min: float | None = Field(description="lower bound (fraction)")
    import_reliance_max: float | None = Field(description="upper bound (fraction)")
    import_reliance_note: str | None


class MemberProfile(_Row):
    """One member's (or any country's) dependence profile: every mineral × stage × year."""

    member: str
    name: str
    countries: list[str]
    is_member: bool = Field(
        default=True, description="false for a country that is not a member of the zone"
    )
    member_of: str | None = Field(
        default=None, description="the bloc member (EU27) a member state belongs to"
    )
    note: str | None = Field(
        default=None, description="what the figures are, for a country that is not a member"
    )
    year: int = Field(description="latest year assessed")
    rows: list[MemberYear]
    reliance: list[MemberReliance] = Field(
        default_factory=list,
        description="net import reliance per mineral and stage at the latest year (up to "
        "`year`) that has both production and trade",
    )
    us_published: list[USPublished] = Field(
        default_factory=list,
        description="USA only: per commodity series at its latest year up to `year`, the net "
        "import reliance computed from USGS's salient components beside USGS's published "
        "figure, never blended; empty for other members",
    )


class TableOut(_Row):
    """A metric table (the rows of the matching ``friendshore metrics`` command)."""

    query: dict[str, Any]
    rows: list[dict[str, Any]]


class DependenceOut(TableOut):
    """The rows of ``friendshore metrics dependence``, and whether the country is a member."""

    is_member: bool = Field(description="false for a country that is not a member of the zone")
    member_of: str | None = Field(
        default=None, description="the bloc member (EU27) a member state belongs to"
    )
    note: str | None = Field(
        default=None, description="what the figures are, for a country that is not a member"
    )


class ScenarioSummary(_Row):
    """A shipped scenario (``friendshore scenario list``)."""

    id: str
    name: str
    date: str
    baseline_year: int
    minerals: str = Field(description="catalog minerals the shocks touch, comma-separated")
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
