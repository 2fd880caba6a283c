"""Investment endpoints: shipped pipelines, a portfolio optimisation and a frontier (jobs).

Both runs solve MILPs (linopy + HiGHS) and compute the assessment metrics before
and after, seconds of work: ``POST`` returns ``202`` and a job to poll at
``/api/v1/jobs/{id}``. Money in US dollars (``_usd``), capacity in tonnes a year,
shares 0–1. The results equal ``friendshore invest optimize|frontier --format json``
for the same inputs (the solve time aside).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pydantic
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from friendshore._core.records import frame_records
from friendshore.api.deps import EngineDep, json_bytes
from friendshore.api.engine import Engine, dumps
from friendshore.api.errors import ErrorBody, FieldError, NotFoundError, at_field
from friendshore.api.jobs import JobInfo, Jobs, Owner
from friendshore.api.limits import MAX_PROJECTS
from friendshore.invest.pipeline import Pipeline, Project, load_pipeline, pipeline_ids
from friendshore.invest.results import (
    DEFAULT_YEAR,
    build_problem,
    efficient_frontier,
    frontier_budgets,
    plan_portfolio,
    portfolio_payload,
    supply_metrics,
)
from friendshore.scenarios.model import load_scenario, scenario_ids
from friendshore.scenarios.run import ScenarioResult, run_scenario

router = APIRouter(prefix="/invest", tags=["invest"])

#: Most budgets of one frontier.
MAX_STEPS: Final = 51
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
Money = Annotated[float, pydantic.Field(ge=0, le=1e13)]


class PipelineSummary(pydantic.BaseModel):
    """A shipped pipeline: id, number of projects, its header note."""

    id: str
    projects: int
    illustrative: bool
    note: str


class PipelineOut(PipelineSummary):
    """A shipped pipeline with its projects (the form ``projects`` of a request takes)."""

    rows: list[Project]


class PortfolioRequest(pydantic.BaseModel):
    """What ``invest optimize`` and ``invest frontier`` share: pipeline, year, objective…"""

    model_config = pydantic.ConfigDict(extra="forbid")

    pipeline: str | None = pydantic.Field(
        "example-illustrative", description="a shipped pipeline id; or give `projects`"
    )
    projects: list[Project] | None = pydantic.Field(
        None,
        max_length=MAX_PROJECTS,
        description=f"the projects themselves (overrides `pipeline`; at most {MAX_PROJECTS})",
    )
    year: Annotated[int, pydantic.Field(ge=2000, le=2100)] = DEFAULT_YEAR
    objective: Literal["dependence", "shortfall"] = "dependence"
    scenarios: list[str] = pydantic.Field(
        default_factory=list,
        max_length=100,
        description="shipped scenario ids (objective shortfall)",
    )
    budget_per_year_usd: Money | None = None
    min_member_share: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.0
    require_standards: list[str] = pydantic.Field(default_factory=list, max_length=100)
    require_projects: list[str] = pydantic.Field(default_factory=list, max_length=MAX_PROJECTS)


class OptimizeRequest(PortfolioRequest):
    """A portfolio optimisation (``friendshore invest optimize``)."""

    budget_usd: Money | None = pydantic.Field(None, description="total capex budget; null: none")


class FrontierRequest(PortfolioRequest):
    """An efficient frontier (``friendshore invest frontier``)."""

    budgets_usd: list[Money] | None = pydantic.Field(
        None, min_length=1, max_length=MAX_STEPS, description="budgets; default: `steps`"
    )
    steps: Annotated[int, pydantic.Field(ge=2, le=MAX_STEPS)] = pydantic.Field(
        11, description="budgets from 0 to the capex of the unlimited optimum"
    )


def _illustrative(pipeline: Pipeline) -> bool:
    return "illustrative" in pipeline.header.lower()


def _shipped(pipeline_id: str, *, field: str, not_found: bool) -> Pipeline:
    """A shipped pipeline by id (never a path: the API reads no file a client names)."""
    ids = pipeline_ids()
    if pipeline_id not in ids:
        message = f"unknown pipeline {pipeline_id!r}: one of {', '.join(ids)}"
        if not_found:
            raise NotFoundError(message, field=field)
        raise FieldError(message, field=field)
    return load_pipeline(pipeline_id)


def _summary(pipeline_id: str, pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": pipeline_id,
        "projects": len(pipeline),
        "illustrative": _illustrative(pipeline),
        "note": pipeline.header,
    }


@router.get("/pipelines", response_model=list[PipelineSummary], summary="The shipped pipelines.")
async def get_pipelines(engine: EngineDep) -> Response:
    """Every shipped project pipeline (the example is illustrative: invented projects)."""
    cache: dict[str, bytes] = engine.extras.setdefault("pipeline-list", {})
    if "list" not in cache:

        def build() -> bytes:
            return dumps([_summary(i, load_pipeline(i)) for i in pipeline_ids()])

        cache["list"] = await run_in_threadpool(build)
    return json_bytes(cache["list"])


@router.get(
    "/pipelines/{pipeline_id}",
    response_model=PipelineOut,
    responses=_ERRORS,
    summary="A shipped pipeline and its projects.",
)
def get_pipeline(pipeline_id: str) -> PipelineOut:
    """A shipped pipeline: its note and every project (capacity t/yr, capex USD, jobs)."""
    pipeline = _shipped(pipeline_id, field="pipeline_id", not_found=True)
    return PipelineOut(**_summary(pipeline_id, pipeline), rows=list(pipeline.projects))


# --- runs ----------------------------------------------------------------------------------


def _pipeline(body: PortfolioRequest) -> Pipeline:
    if body.projects is not None:
        if not body.projects:
            raise FieldError("give at least one project", field="projects")
        with at_field("projects"):
            return Pipeline(projects=tuple(body.projects))
    if body.pipeline is None:
        raise FieldError("give a pipeline id or projects", field="pipeline")
    return _shipped(body.pipeline, field="pipeline", not_found=False)


def _check_scenarios(body: PortfolioRequest) -> None:
    known = scenario_ids()
    for i, name in enumerate(body.scenarios):
        if name not in known:
            raise FieldError(
                f"unknown scenario {name!r}: one of {', '.join(known)}", field=f"scenarios.{i}"
            )
    if body.objective == "shortfall" and not body.scenarios:
        raise FieldError("the shortfall objective needs at least one scenario", field="scenarios")
    if body.objective == "dependence" and body.scenarios:
        raise FieldError("scenarios apply to the shortfall objective only", field="scenarios")


def _runs(engine: Engine, body: PortfolioRequest) -> list[ScenarioResult]:
    snap = engine.snapshot()
    return [run_scenario(snap.network, load_scenario(n), snap.zone) for n in body.scenarios]


def _before(engine: Engine, pipeline: Pipeline) -> pd.DataFrame:
    """The metrics before (seconds of assessment), kept per store and set of minerals."""
    snap = engine.snapshot()
    minerals = tuple(sorted({p.mineral for p in pipeline.projects}))
    cache: dict[tuple[Any, ...], pd.DataFrame] = engine.extras.setdefault("invest-before", {})
    key = (snap.fingerprint, minerals)
    hit = cache.get(key)
    if hit is None:
        hit = supply_metrics(snap.network, snap.zone, minerals=minerals)
        if len(cache) >= 8:
            cache.clear()
        cache[key] = hit
    return hit


def _problem_inputs(body: PortfolioRequest) -> dict[str, Any]:
    return {
        "year": body.year,
        "budget_per_year_usd": body.budget_per_year_usd,
        "objective": body.objective,
        "min_member_share": body.min_member_share,
        "require_standards": body.require_standards,
        "require_projects": body.require_projects,
    }


@router.post(
    "/optimize",
    status_code=202,
    response_model=JobInfo,
    responses=_ERRORS,
    summary="Start a portfolio optimisation as a job; poll /jobs/{id} for its result.",
)
def post_optimize(
    body: OptimizeRequest, engine: EngineDep, jobs: Jobs, owner: Owner
) -> JSONResponse:
    """Choose the projects that cut the zone's dependence most within the budget (USD).

    As ``friendshore invest optimize PIPELINE [--budget] [--year] [--objective]
    --format json``: chosen projects, capex and jobs by member, spend by year,
    metrics before and after per mineral and stage, the marginal value of budget.
    Progress: 1 unit for the metrics before, 1 for the solves and the metrics after.
    """
    pipeline = _pipeline(body)
    _check_scenarios(body)
    field = "pipeline" if body.projects is None else "projects"

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        snap = engine.snapshot()
        runs = _runs(engine, body)
        before = _before(engine, pipeline)
        advance(1)
        with at_field(field):
            result = plan_portfolio(
                snap.network,
                pipeline,
                snap.zone,
                budget_usd=body.budget_usd,
                scenarios=runs,
                before=before,
                **_problem_inputs(body),
            )
        advance(1)
        return portfolio_payload(result)

    return jobs.accept("invest-optimize", 2, work, owner=owner)


@router.post(
    "/frontier",
    status_code=202,
    response_model=JobInfo,
    responses=_ERRORS,
    summary="Start an efficient frontier (budget sweep) as a job; poll /jobs/{id}.",
)
def post_frontier(
    body: FrontierRequest, engine: EngineDep, jobs: Jobs, owner: Owner
) -> JSONResponse:
    """The best objective at each total budget (USD): one row per budget.

    As ``friendshore invest frontier PIPELINE [--budgets|--steps] --format json``
    (``{"budgets": [...], "rows": [...]}`` here). Progress: 1 unit for the
    problem, 1 per budget solved.
    """
    pipeline = _pipeline(body)
    _check_scenarios(body)
    field = "pipeline" if body.projects is None else "projects"
    total = 1 + (len(body.budgets_usd) if body.budgets_usd is not None else body.steps)

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        snap = engine.snapshot()
        runs = _runs(engine, body)
        before = _before(engine, pipeline)
        with at_field(field):
            problem, _, _ = build_problem(
                snap.network,
                pipeline,
                snap.zone,
                scenarios=runs,
                before=before,
                **_problem_inputs(body),
            )
        values = (
            list(body.budgets_usd)
            if body.budgets_usd is not None
            else frontier_budgets(problem, body.steps)
        )
        advance(1)
        done = [0]

        def step(finished: int, _total: int) -> None:
            advance(finished - done[0])
            done[0] = finished

        frontier: pd.DataFrame = efficient_frontier(problem, values, progress=step)
        return {
            "objective": body.objective,
            "year": body.year,
            "budgets": [float(v) for v in sorted(values)],
            "rows": frame_records(frontier),
        }

    return jobs.accept("invest-frontier", total, work, owner=owner)
