"""Scenario endpoints: the shipped library, a run (seconds), a Monte Carlo (a job).

The request body of a run is the :class:`~friendshore.scenarios.model.Scenario`
model itself: ``GET /scenarios/{id}`` returns a shipped scenario in exactly the
form ``POST /scenarios/run`` takes, so a client can edit it and run it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Final

import pydantic
from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from friendshore._core.records import frame_records
from friendshore.api.deps import EngineDep, OptionalMineralQuery, SnapshotDep, json_bytes
from friendshore.api.engine import dumps
from friendshore.api.errors import ErrorBody, NotFoundError, at_field
from friendshore.api.jobs import JobInfo, Jobs, Owner
from friendshore.api.limits import HEAVY, MAX_SHOCKS, check_length
from friendshore.api.schemas import ScenarioRunOut, ScenarioSummary
from friendshore.scenarios.compare import (
    MAX_COMPARED,
    check_compared,
    compare_scenarios,
    comparison_payload,
    scenario_sensitivity,
    sensitivity_payload,
)
from friendshore.scenarios.model import Scenario, list_scenarios, load_scenario, scenario_ids
from friendshore.scenarios.montecarlo import montecarlo_payload, run_montecarlo
from friendshore.scenarios.run import SPARE_FRACTION, run_scenario, scenario_payload

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

#: Most draws one Monte Carlo job may ask for.
MAX_DRAWS: Final = 20_000
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class MonteCarloRequest(pydantic.BaseModel):
    """A Monte Carlo run: a scenario (body or shipped id) and the draw settings."""

    model_config = pydantic.ConfigDict(extra="forbid")

    scenario: Scenario
    draws: Annotated[int, pydantic.Field(ge=1, le=MAX_DRAWS)] = 500
    seed: Annotated[int, pydantic.Field(ge=0)] = 0
    threshold: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.1
    cut_share: Annotated[float | None, pydantic.Field(ge=0, le=1)] = None


@router.get(
    "",
    response_model=list[ScenarioSummary],
    responses=_ERRORS,
    summary="The shipped scenarios (optionally those that touch a mineral).",
)
async def get_scenarios(engine: EngineDep, mineral_id: OptionalMineralQuery = None) -> Response:
    """Every shipped scenario: id, name, date, baseline year, minerals, measure, source.

    ``?mineral=`` (an id, a name or a synonym) keeps the measures whose shocks touch it.
    """
    cache: dict[str, bytes] = engine.extras.setdefault("scenario-list", {})
    key = mineral_id or ""
    if key not in cache:
        frame = await run_in_threadpool(partial(list_scenarios, mineral=mineral_id))
        cache[key] = dumps(frame_records(frame))
    return json_bytes(cache[key])


def _shipped(scenario_id: str, field: str) -> Scenario:
    """A shipped scenario by id; 404 naming ``field`` for an unknown id."""
    if scenario_id not in scenario_ids():
        raise NotFoundError(
            f"unknown scenario {scenario_id!r}: one of {', '.join(scenario_ids())}", field=field
        )
    return load_scenario(scenario_id)


@router.get(
    "/compare",
    responses=_ERRORS,
    dependencies=[HEAVY],
    summary="Several shipped scenarios side by side: members' shortfall shares.",
)
async def get_compare(
    snap: SnapshotDep,
    engine: EngineDep,
    ids: Annotated[
        str,
        Query(
            description="shipped scenario ids, comma-separated (at most "
            f"{MAX_COMPARED}; see GET /scenarios)",
            max_length=2000,
        ),
    ],
    spare_fraction: Annotated[
        float, Query(ge=0, le=1, description="re-routing spare capacity (an assumption)")
    ] = SPARE_FRACTION,
) -> Response:
    """Run the scenarios (as ``friendshore scenario compare``) and tabulate them side by side.

    404 (``field`` ``ids``) for an unknown id; 422 for none, a repeated id or too many.
    """
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    with at_field("ids"):
        check_compared(wanted)
    loaded = [_shipped(i, "ids") for i in wanted]
    key = ("scenario-compare", f"{snap.fingerprint}|{','.join(wanted)}|{spare_fraction!r}")
    hit = engine.runs.get(key)
    if hit is None:

        def build() -> bytes:
            result = compare_scenarios(
                snap.network, loaded, snap.zone, spare_fraction=spare_fraction
            )
            return dumps(comparison_payload(result))

        hit = await run_in_threadpool(build)
        engine.runs.put(key, hit)
    return json_bytes(hit)


@router.get(
    "/{scenario_id}/sensitivity",
    responses=_ERRORS,
    dependencies=[HEAVY],
    summary="How a shipped scenario's zone shortfall moves with its main assumptions.",
)
async def get_sensitivity(scenario_id: str, snap: SnapshotDep, engine: EngineDep) -> Response:
    """The tornado of ``friendshore scenario sensitivity``: one assumption at a time, low/high."""
    scenario = _shipped(scenario_id, "scenario_id")
    key = ("scenario-sensitivity", f"{snap.fingerprint}|{scenario_id}")
    hit = engine.runs.get(key)
    if hit is None:

        def build() -> bytes:
            return dumps(
                sensitivity_payload(scenario_sensitivity(snap.network, scenario, snap.zone))
            )

        hit = await run_in_threadpool(build)
        engine.runs.put(key, hit)
    return json_bytes(hit)


@router.get(
    "/{scenario_id}",
    response_model=Scenario,
    responses=_ERRORS,
    summary="A shipped scenario, in the form POST /scenarios/run takes.",
)
def get_scenario(scenario_id: str) -> Scenario:
    """A shipped scenario, validated (the body to edit and run)."""
    if scenario_id not in scenario_ids():
        raise NotFoundError(
            f"unknown scenario {scenario_id!r}: one of {', '.join(scenario_ids())}",
            field="scenario_id",
        )
    return load_scenario(scenario_id)


@router.post(
    "/run",
    response_model=ScenarioRunOut,
    responses=_ERRORS,
    dependencies=[HEAVY],
    summary="Run a scenario: losses, recovery by route and shortfall per member.",
)
async def post_run(scenario: Scenario, snap: SnapshotDep, engine: EngineDep) -> Response:
    """Propagate the scenario and solve the zone's response (as ``friendshore scenario run``).

    At most ``heavy_concurrency`` runs at once (429 with ``Retry-After`` beyond the wait).
    """
    check_length(scenario.shocks, MAX_SHOCKS, field="shocks")
    key = ("scenario-run", f"{snap.fingerprint}|{scenario.model_dump_json()}")
    hit = engine.runs.get(key)
    if hit is None:

        def build() -> bytes:
            result = run_scenario(snap.network, scenario, snap.zone)
            return dumps(scenario_payload(result, labelled=True))

        hit = await run_in_threadpool(build)
        engine.runs.put(key, hit)
    return json_bytes(hit)


@router.post(
    "/montecarlo",
    status_code=202,
    response_model=JobInfo,
    responses=_ERRORS,
    summary="Start a Monte Carlo run as a job; poll /jobs/{id} for progress and result.",
)
def post_montecarlo(
    body: MonteCarloRequest, engine: EngineDep, jobs: Jobs, owner: Owner
) -> JSONResponse:
    """Random export restrictions on top of the scenario; shortfall distributions per member."""
    check_length(body.scenario.shocks, MAX_SHOCKS, field="scenario.shocks")

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        snap = engine.snapshot()
        result = run_montecarlo(
            snap.network,
            body.scenario,
            snap.zone,
            body.draws,
            body.seed,
            threshold=body.threshold,
            cut_share=body.cut_share,
            progress=advance,
        )
        return montecarlo_payload(result)

    return jobs.accept("montecarlo", body.draws, work, owner=owner)
