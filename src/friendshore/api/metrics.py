"""Metric endpoints: the zone, the catalog, the assessment, minerals, members, metric tables.

Everything is computed from the engine's snapshot (the store read once, the
assessment computed once) and each response is serialised once per query, so
repeated requests are served from memory.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from friendshore._core.errors import ValidationError
from friendshore._core.records import frame_records
from friendshore._core.types import Stage
from friendshore.api.deps import (
    MemberPath,
    MemberQuery,
    MineralPath,
    MineralQuery,
    SnapshotDep,
    json_bytes,
    not_canonical,
)
from friendshore.api.engine import Snapshot
from friendshore.api.errors import ErrorBody, FieldError, NotFoundError, at_field
from friendshore.api.limits import HEAVY
from friendshore.api.schemas import (
    AssessmentOut,
    DependenceOut,
    MemberProfile,
    MineralDetail,
    MineralInfo,
    TableOut,
    TradeOut,
    ZoneInfo,
)
from friendshore.data.names import mineral_name, resolve_stage, with_mineral_names
from friendshore.data.sources import SOURCES
from friendshore.metrics import assessment
from friendshore.metrics.country_dependence import (
    CountryStanding,
    country_member_rows,
    country_standing,
    dependence_rows,
)
from friendshore.metrics.dependence import ZONE
from friendshore.metrics.us_published import (
    us_reliance_of,
    with_us_published,
    with_us_records,
)

router = APIRouter(tags=["metrics"])

#: Exporters shown by name in the trade flows; the rest are summed as ``OTHER``.
TOP_EXPORTERS: Final = 10
#: The trade source.
TRADE_SOURCE: Final = "CEPII BACI"
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}

Year = Annotated[
    int | None,
    Query(ge=1990, le=2100, description="Latest year; default: the latest with data."),
]


def _member_name(snap: Snapshot, member: str) -> str:
    if member == ZONE:
        return snap.zone.name
    return snap.country_names.get(member, "European Union" if member == "EU27" else member)


def _check_mineral(snap: Snapshot, mineral: str, *, field: str = "mineral") -> str:
    if mineral not in snap.mineral_names:
        raise NotFoundError(
            f"unknown mineral {mineral!r}: see /api/v1/minerals for the catalog ids", field=field
        )
    return mineral


def _check_member(
    snap: Snapshot, member: str, *, error: type[NotFoundError | FieldError] = NotFoundError
) -> CountryStanding:
    """A member, ``zone`` or any other country or bloc but a rival (404, or ``error``)."""
    try:
        return country_standing(snap.zone, member)
    except ValidationError as exc:
        raise error(str(exc), field="member") from exc


# --- builders (pure: snapshot in, JSON-ready payload out) ---------------------------------


def zone_payload(snap: Snapshot) -> dict[str, Any]:
    """The zone, its members and the assessment year."""
    zone = snap.zone
    return ZoneInfo(
        name=zone.name,
        members=[
            {"member": m, "name": _member_name(snap, m), "countries": sorted(c)}
            for m, c in zone.members.items()
        ],
        rivals=sorted(zone.rivals),
        year=snap.assessment.year,
        source=zone.source,
    ).model_dump()


def minerals_payload(snap: Snapshot) -> list[dict[str, Any]]:
    """The mineral catalog with what data each mineral has."""
    net = snap.network
    produced = set(net.production["mineral_id"])
    traded = set(net.trade["mineral_id"])
    return [
        MineralInfo(
            mineral=str(row.mineral_id),
            name=str(row.name),
            stages=[s.strip() for s in str(row.stages).split(",") if s.strip()],
            unit_basis=str(row.unit_basis),
            usgs_critical_2022=bool(row.usgs_critical_2022),
            has_production=row.mineral_id in produced,
            has_trade=row.mineral_id in traded,
        ).model_dump()
        for row in net.minerals.itertuples(index=False)
    ]


def assessment_payload(snap: Snapshot) -> dict[str, Any]:
    """The assessment as ``friendshore assess --format json`` prints it, with zone and year."""
    return {
        "zone": snap.zone.name,
        "year": snap.assessment.year,
        "records": with_us_records(
            assessment.summary_records(snap.assessment),
            us_reliance_of(snap.network, year=snap.assessment.year)
            if "USA" in snap.zone.members
            else pd.DataFrame(columns=["mineral_id"]),
        ),
    }


def _country_rows(frame: pd.DataFrame, snap: Snapshot, *, stage: str | None) -> list[Any]:
    out = frame.assign(
        product=frame["product"].fillna("").astype(str),
        country_name=frame["country"].map(lambda c: snap.country_names.get(str(c), str(c))),
    )
    if stage is not None:
        out = out.assign(stage=stage)
    cols = [
        "source",
        "release",
        "stage",
        "product",
        "year",
        "country",
        "country_name",
        "quantity_t",
        "share",
        "status",
    ]
    return frame_records(out[cols].sort_values(["stage", "product", "year", "country"]))


def mineral_payload(snap: Snapshot, mineral: str) -> dict[str, Any]:
    """Production and reserves by country (every year), the records and sources of a mineral."""
    net, result = snap.network, snap.assessment
    shares = result.country_shares[result.country_shares["mineral"] == mineral]
    releases = net.production[
        ["source", "mineral_id", "stage", "product", "year", "country", "release"]
    ].rename(columns={"mineral_id": "mineral"})
    production = shares.assign(product=shares["product"].fillna("")).merge(
        releases, on=["source", "mineral", "stage", "product", "year", "country"], how="left"
    )
    res = net.reserves[net.reserves["mineral_id"] == mineral]
    world = net.reserves_totals[
        (net.reserves_totals["mineral_id"] == mineral) & (net.reserves_totals["kind"] == "world")
    ][["source", "product", "year", "quantity_t"]].rename(columns={"quantity_t": "world_t"})
    res = res.merge(world, on=["source", "product", "year"], how="left")
    res = res.assign(share=(res["quantity_t"] / res["world_t"]).where(res["world_t"] > 0))
    records = [r for r in assessment.summary_records(result) if r["mineral"] == mineral]
    used = {str(s) for s in production["source"]} | {str(s) for s in res["source"]}
    row = net.minerals[net.minerals["mineral_id"] == mineral].iloc[0]
    return {
        "mineral": mineral,
        "name": str(row["name"]),
        "unit_basis": str(row["unit_basis"]),
        "year": result.year,
        "summary": records,
        "production": _country_rows(production, snap, stage=None),
        "reserves": _country_rows(res, snap, stage="mining"),
        "sources": frame_records(result.sources[result.sources["mineral"] == mineral]),
        "source_comparison": frame_records(
            result.source_comparison[result.source_comparison["mineral"] == mineral]
        ),
        "citations": [
            {
                "source": info.source,
                "publisher": info.publisher,
                "licence": info.licence,
                "citation": info.citation,
                "url": info.url,
            }
            for name, info in SOURCES.items()
            if name in used or name == TRADE_SOURCE
        ],
    }


def trade_payload(
    snap: Snapshot, mineral: str, stage: str | None, year: int | None
) -> dict[str, Any]:
    """Imports of each member by exporter (one year) and each member's trend, 2015–2024."""
    trade = snap.network.trade
    trade = trade[trade["mineral_id"] == mineral]
    stages = sorted(set(trade["stage"]), key=lambda s: list(Stage).index(Stage(s)))
    if not stages:
        raise FieldError(f"no trade data for mineral {mineral!r}", field="mineral")
    if stage is None:
        stage = stages[0]
    elif stage not in stages:
        raise FieldError(
            f"no trade data for {mineral} at stage {stage!r}; stages with trade: "
            f"{', '.join(stages)}",
            field="stage",
        )
    trade = trade[trade["stage"] == stage]
    if year is None:
        year = int(trade["year"].max())
    else:
        with at_field("year"):
            assessment.check_year(year, trade["year"], what=f"trade data for {mineral}")
    c2m = pd.Series(snap.zone.country_to_member(), dtype=object)
    rows = trade[(trade["year"] == year) & trade["importer"].isin(c2m.index)]
    rows = rows.assign(member=rows["importer"].map(c2m), exporter=rows["exporter"].fillna("?"))
    # flows inside one member (intra-EU trade) are its own, not imports into it
    rows = rows[rows["exporter"].map(c2m) != rows["member"]]
    by_exporter = rows.groupby("exporter")["value_usd"].sum().sort_values(ascending=False)
    top = set(by_exporter.index[:TOP_EXPORTERS])
    rows = rows.assign(exporter=rows["exporter"].where(rows["exporter"].isin(top), "OTHER"))
    flows = (
        rows.groupby(["exporter", "member"], as_index=False)[
            ["value_usd", "quantity_t", "content_t"]
        ]
        .sum(min_count=1)
        .sort_values(["value_usd"], ascending=False)
    )
    flows["exporter_name"] = flows["exporter"].map(
        lambda c: "other exporters" if c == "OTHER" else snap.country_names.get(str(c), str(c))
    )
    members = snap.assessment.members
    trend = members[(members["mineral"] == mineral) & (members["stage"] == stage)]
    return {
        "mineral": mineral,
        "stage": stage,
        "stages": stages,
        "year": year,
        "source": TRADE_SOURCE,
        "top_exporters": TOP_EXPORTERS,
        "flows": frame_records(
            flows[["exporter", "exporter_name", "member", "value_usd", "quantity_t", "content_t"]]
        ),
        "trend": frame_records(trend.sort_values(["member", "year"])),
    }


#: Columns of a member's net import reliance at its latest year (``reliance`` of the profile).
RELIANCE_COLUMNS: Final = [
    "mineral",
    "stage",
    "year",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
    "import_reliance_note",
]


def latest_reliance(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """Net import reliance (fraction) of each mineral × stage at its latest year with a figure.

    The latest year up to ``year`` with both production and trade, i.e. where
    the reliance has a value or both bounds; its bounds are NULL where the rows
    carry none.
    """
    out = rows[rows["year"] <= year]
    known = out["import_reliance"].notna()
    if {"import_reliance_min", "import_reliance_max"} <= set(out.columns):
        known |= out["import_reliance_min"].notna() & out["import_reliance_max"].notna()
    out = out[known].sort_values(["mineral", "stage", "year"])
    out = out.drop_duplicates(["mineral", "stage"], keep="last")
    return out.reindex(columns=RELIANCE_COLUMNS).reset_index(drop=True)


def member_payload(snap: Snapshot, member: str) -> dict[str, Any]:
    """A member's dependence for every mineral × stage × year, and its latest import reliance.

    Any other country or bloc (not a rival) gets the same profile from its own
    balance (:func:`friendshore.metrics.country_dependence.country_member_rows`),
    with ``is_member`` false and a ``note`` saying what the figures are.
    """
    standing = _check_member(snap, member)
    if standing.is_member:
        members = snap.assessment.members
        rows = members[members["member"] == member]
    else:
        rows = country_member_rows(snap.network, snap.zone, member)
    rows = rows.sort_values(["mineral", "stage", "year"])
    return {
        "member": member,
        "name": _member_name(snap, member),
        "countries": list(standing.countries),
        "is_member": standing.is_member,
        "member_of": standing.member_of,
        "note": standing.note,
        "year": snap.assessment.year,
        "rows": frame_records(rows),
        "reliance": frame_records(latest_reliance(rows, snap.assessment.year)),
        "us_published": frame_records(
            us_reliance_of(snap.network, year=snap.assessment.year)
            if member == "USA"
            else pd.DataFrame()
        ),
    }


# --- routes ------------------------------------------------------------------------------


async def _serve(snap: Snapshot, key: tuple[Any, ...], build: Any) -> Response:
    """Cached bytes of ``build()``; a miss is computed in a worker thread."""
    hit = snap.cache.get(key)
    if hit is None:
        hit = await run_in_threadpool(snap.cached, key, build)
    return json_bytes(hit, snapshot=True)


@router.get("/zone", response_model=ZoneInfo, summary="The zone, its members and the year.")
async def get_zone(snap: SnapshotDep) -> Response:
    """The zone served (members and the countries each stands for) and the assessment year."""
    return await _serve(snap, ("zone",), lambda: zone_payload(snap))


@router.get("/minerals", response_model=list[MineralInfo], summary="The mineral catalog.")
async def get_minerals(snap: SnapshotDep) -> Response:
    """Every mineral of the catalog: id, name, stages, unit basis, what data it has."""
    return await _serve(snap, ("minerals",), lambda: minerals_payload(snap))


@router.get(
    "/assessment",
    response_model=AssessmentOut,
    summary="The zone assessment: every mineral, stage and member.",
)
async def get_assessment(snap: SnapshotDep) -> Response:
    """One record per mineral × stage × product, as ``friendshore assess --format json``."""
    return await _serve(snap, ("assessment",), lambda: assessment_payload(snap))


@router.get(
    "/minerals/{mineral}",
    response_model=MineralDetail,
    responses=_ERRORS,
    summary="One mineral: production and reserves by country, records, sources.",
)
async def get_mineral(mineral: MineralPath, snap: SnapshotDep) -> Response:
    """Production (t) and shares by country, stage and year; reserves; the sources used."""
    _check_mineral(snap, mineral)
    return await _serve(snap, ("mineral", mineral), lambda: mineral_payload(snap, mineral))


@router.get(
    "/minerals/{mineral}/trade",
    response_model=TradeOut,
    responses=_ERRORS,
    summary="Trade flows into the members (one year) and their trend, 2015-2024.",
)
async def get_trade(
    mineral: MineralPath,
    snap: SnapshotDep,
    stage: Annotated[Stage | None, Query(description="Stage; default: the first traded.")] = None,
    year: Year = None,
) -> Response:
    """Imports (USD) of each member by exporter; members' dependence by year (BACI)."""
    _check_mineral(snap, mineral)
    stage_id = stage.value if stage is not None else None
    return await _serve(
        snap,
        ("trade", mineral, stage_id, year),
        lambda: trade_payload(snap, mineral, stage_id, year),
    )


@router.get(
    "/members/{member}",
    response_model=MemberProfile,
    responses=_ERRORS,
    summary="One member's dependence profile (or 'zone', or any other country).",
)
async def get_member(member: MemberPath, snap: SnapshotDep) -> Response:
    """Import reliance, China's share, intra-zone share, HHI per mineral, stage and year.

    Any country or bloc that is not a rival of the zone (a candidate, a member
    state of EU27): its own balance, ``is_member`` false and a ``note``.
    """
    _check_member(snap, member)
    return await _serve(snap, ("member", member), lambda: member_payload(snap, member))


def table_payload(query: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """A metric table response: the query and the frame's rows."""
    return {"query": query, "rows": frame_records(frame)}


@router.get(
    "/metrics/concentration",
    response_model=TableOut,
    responses=_ERRORS,
    summary="Per-country shares and HHI of one mineral and stage.",
)
async def get_concentration(
    request: Request,
    mineral: MineralQuery,
    snap: SnapshotDep,
    stage: Annotated[
        Stage | None, Query(description="Stage; default: the mineral's stage with production.")
    ] = None,
    year: Year = None,
) -> Response:
    """The rows of ``friendshore metrics concentration`` (default source, latest year)."""
    production = snap.network.production
    stages = production.loc[production["mineral_id"] == mineral, "stage"]
    with at_field("stage"):
        picked = resolve_stage(mineral, stage, available=stages).value
    if stage is not None and picked == resolve_stage(mineral, None, available=stages).value:
        not_canonical(request)  # the default restated

    def build() -> dict[str, Any]:
        with at_field("mineral"):
            frame = assessment.concentration_table(
                snap.network, mineral=mineral, stage=picked, year=year
            )
        query = {"mineral": mineral, "mineral_name": mineral_name(mineral), "stage": picked}
        return table_payload({**query, "year": year}, with_mineral_names(frame))

    return await _serve(snap, ("concentration", mineral, picked, year), build)


@router.get(
    "/metrics/dependence",
    response_model=DependenceOut,
    responses=_ERRORS,
    summary="A member's, the zone's or any country's dependence for one mineral, by stage.",
)
async def get_dependence(
    member: MemberQuery, mineral: MineralQuery, snap: SnapshotDep, year: Year = None
) -> Response:
    """The rows of ``friendshore metrics dependence`` (for the USA with USGS's figures beside).

    ``member``: a zone member, ``zone``, or any other country or bloc but a
    rival (its own balance; ``is_member`` false and a ``note`` say so).
    """
    standing = _check_member(snap, member, error=FieldError)

    def build() -> dict[str, Any]:
        with at_field("mineral"):
            frame = dependence_rows(
                snap.network, snap.zone, member=member, mineral=mineral, year=year
            )
        if member == "USA":
            frame = with_us_published(frame, us_reliance_of(snap.network, minerals=[mineral]))
        query = {"member": member, "mineral": mineral, "mineral_name": mineral_name(mineral)}
        return {
            **table_payload({**query, "year": year}, with_mineral_names(frame)),
            "is_member": standing.is_member,
            "member_of": standing.member_of,
            "note": standing.note,
        }

    return await _serve(snap, ("dependence", member, mineral, year), build)


@router.get(
    "/metrics/supply-risk",
    response_model=TableOut,
    responses=_ERRORS,
    summary="Supply risk (JRC) and the zone's GeoPolRisk for one mineral.",
)
async def get_supply_risk(mineral: MineralQuery, snap: SnapshotDep, year: Year = None) -> Response:
    """The rows of ``friendshore metrics supply-risk``."""

    def build() -> dict[str, Any]:
        with at_field("mineral"):
            frame = assessment.supply_risk_table(
                snap.network, snap.zone, mineral=mineral, year=year
            )
        query = {"mineral": mineral, "mineral_name": mineral_name(mineral), "year": year}
        return table_payload(query, with_mineral_names(frame))

    return await _serve(snap, ("supply-risk", mineral, year), build)


@router.get(
    "/metrics/membership",
    response_model=TableOut,
    responses=_ERRORS,
    summary="What changes for each metric if a candidate joins the zone.",
    dependencies=[HEAVY],
)
async def get_membership(candidate: str, snap: SnapshotDep, year: Year = None) -> Response:
    """The rows of ``friendshore metrics membership`` (two assessments: a few seconds once)."""
    code = candidate.strip().upper()
    with at_field("candidate"):
        snap.zone.with_member(code)  # an unknown code, a member or a rival fails at once

    def build() -> dict[str, Any]:
        with at_field("candidate"):
            frame = assessment.membership_change(snap.network, snap.zone, candidate=code, year=year)
        return table_payload({"candidate": code, "year": year}, frame)

    return await _serve(snap, ("membership", code, year), build)
