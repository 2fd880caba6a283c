"""The outlook endpoint: world demand against the zone's supply to 2050, by IEA scenario.

``GET /outlook`` gives, per mineral × stage × scenario × year, the IEA's world demand,
the zone's share of it (members' apparent consumption in the base year), the zone's
supply (the IEA's country projections where members are listed, else held at the base
year), a shipped pipeline's capacity if asked, the gap and self-sufficiency, and the
rivals' (China's) share of world supply: ``friendshore outlook --format json`` on the
served store and zone. The inputs (the ``projections`` table and the members' material
balance) are read once per store snapshot; each answer is serialised once per query
and kept with the snapshot, so a page load after the first is served from memory.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Final, Literal

import pandas as pd
from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from friendshore.api.deps import EngineDep, OptionalMineralQuery, SnapshotDep, json_bytes
from friendshore.api.engine import Engine, Snapshot, dumps
from friendshore.api.errors import ErrorBody, FieldError, at_field
from friendshore.invest.pipeline import load_pipeline, pipeline_ids
from friendshore.metrics.balance import ZONE
from friendshore.scenarios.outlook import (
    SCENARIOS,
    OutlookOptions,
    OutlookResult,
    outlook_payload,
    run_outlook,
)

router = APIRouter(tags=["outlook"])

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {422: {"model": ErrorBody}}

Scenario = Literal["STEPS", "APS", "NZE"]


def outlook_result(
    engine: Engine,
    snap: Snapshot,
    *,
    scenarios: tuple[str, ...] = SCENARIOS,
    year: int | None = None,
    pipeline: str | None = None,
) -> OutlookResult:
    """The zone's outlook on the served store, as ``friendshore outlook`` computes it (its
    inputs, the projections and the material balance, read once per store and zone)."""
    options = OutlookOptions(
        scenarios=scenarios,
        years=None if year is None else (year,),
        pipeline=load_pipeline(pipeline) if pipeline is not None else None,
    )
    with at_field("year" if year is not None else "scenario"):
        return run_outlook(engine.store_path, snap.zone, options=options)


def _keep(
    result: OutlookResult, mineral: str | None, stage: str | None, member: str | None
) -> OutlookResult:
    """``result`` with only the rows of ``mineral``, ``stage`` and ``member`` (if given)."""

    def pick(frame: pd.DataFrame, *, members: bool) -> pd.DataFrame:
        mask = pd.Series(True, index=frame.index)
        if mineral is not None and "mineral" in frame.columns:
            mask &= frame["mineral"] == mineral
        if stage is not None and "stage" in frame.columns:
            mask &= frame["stage"] == stage
        if members and member is not None and "member" in frame.columns:
            mask &= frame["member"] == member
        return frame.loc[mask].reset_index(drop=True)

    if mineral is None and stage is None and member is None:
        return result
    return dataclasses.replace(
        result,
        frame=pick(result.frame, members=False),
        members=pick(result.members, members=True),
    )


@router.get(
    "/outlook",
    responses=_ERRORS,
    summary="World demand against the zone's supply to 2050 per IEA scenario: the gaps.",
)
async def get_outlook(
    engine: EngineDep,
    snap: SnapshotDep,
    *,
    scenario: Annotated[
        list[Scenario] | None,
        Query(
            max_length=3,
            description="IEA scenario(s), repeatable (STEPS, APS, NZE); default: all three",
        ),
    ] = None,
    year: Annotated[
        int | None,
        Query(
            ge=2000,
            le=2100,
            description="one projection year (2030, 2035, 2040…); default: all",
        ),
    ] = None,
    mineral: OptionalMineralQuery = None,
    stage: Annotated[
        Literal["mining", "processing"] | None, Query(description="keep this stage's rows")
    ] = None,
    member: Annotated[
        str | None,
        Query(
            max_length=20,
            description="keep this member's rows of `members` (a member id of GET /zone, or "
            "'zone'); the zone is the served one",
        ),
    ] = None,
    pipeline: Annotated[
        str | None,
        Query(
            max_length=80,
            description="add a shipped investment pipeline's capacity from its first output "
            "year (GET /invest/pipelines)",
        ),
    ] = None,
) -> Response:
    """Per mineral × stage × scenario × year: world demand (t, the IEA's total demand, or
    clean technologies only where that is all it publishes: ``demand_basis``), the zone's
    allocation share and demand, the zone's supply (``supply_basis``: the IEA projection
    of members' output, or held at the base year), a pipeline's capacity, the gap
    (demand − supply − pipeline), self-sufficiency and the rivals' share of world supply;
    ``members``: the same per member. As ``friendshore outlook [--scenario …] [--year]
    [--pipeline ID] --format json`` (the filters ``mineral``, ``stage``, ``member`` keep
    rows only).

    Errors: an unknown mineral, member or pipeline, a year the IEA does not project,
    422 naming the field.
    """
    scenarios = tuple(dict.fromkeys(scenario)) if scenario else SCENARIOS
    if member is not None and member != ZONE and member not in snap.zone.members:
        members = ", ".join([*snap.zone.members, ZONE])
        raise FieldError(f"{member!r} is not a member of the zone ({members})", field="member")
    if pipeline is not None and pipeline not in pipeline_ids():
        raise FieldError(
            f"unknown pipeline {pipeline!r}: one of {', '.join(pipeline_ids())}",
            field="pipeline",
        )
    key = ("outlook", scenarios, year, mineral, stage, member, pipeline)
    hit = snap.cache.get(key)
    if hit is None:

        def build() -> bytes:
            result = outlook_result(engine, snap, scenarios=scenarios, year=year, pipeline=pipeline)
            return dumps(outlook_payload(_keep(result, mineral, stage, member)))

        hit = await run_in_threadpool(build)
        snap.cache.put(key, hit)
    return json_bytes(hit, snapshot=True)
