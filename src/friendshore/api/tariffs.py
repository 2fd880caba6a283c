"""Tariff endpoints: shipped schedules, a SMART run (under a second), a GE run (a job).

The body of a SMART run names a shipped schedule (``schedule_id``) or carries a
:class:`~friendshore.policy.schedule.TariffSchedule` itself (``schedule``):
``GET /tariffs/schedules/{id}`` returns a shipped schedule in exactly that form,
so a client can edit it and run it. Values are in US dollars (``_usd``); GE
changes in percent of the baseline (``_pct``). The figures equal those of
``friendshore tariff smart|ge --format json`` for the same inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pydantic
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from friendshore._core.errors import ValidationError
from friendshore._core.records import finite, frame_records
from friendshore.api.deps import EngineDep, json_bytes
from friendshore.api.engine import Engine, dumps, store_fingerprint
from friendshore.api.errors import ErrorBody, FieldError, NotFoundError, at_field
from friendshore.api.jobs import JobInfo, Jobs, Owner
from friendshore.api.limits import HEAVY, MAX_SCHEDULE_RATES, check_length
from friendshore.data.gravity_files import gravity_sample_path, read_gravity_data
from friendshore.model.zone import expand
from friendshore.policy.ge import ge_payload, run_zone, schedule_weights
from friendshore.policy.panel import panel_from_store
from friendshore.policy.schedule import TariffSchedule, list_schedules, load_schedule, schedule_ids
from friendshore.policy.smart import SmartResult, run_smart, smart_payload

router = APIRouter(prefix="/tariffs", tags=["tariffs"])

#: GE schedule weights cached (by store and year).
RUN_CACHE: Final = 32
#: Most coefficient draws one GE job may ask for.
MAX_DRAWS: Final = 500
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class ScheduleSummary(pydantic.BaseModel):
    """A shipped schedule (``friendshore tariff schedules``)."""

    id: str
    name: str
    rows: int
    illustrative: bool
    baseline_year: int | None
    source: str


class SmartRequest(pydantic.BaseModel):
    """A SMART run: a shipped schedule id or a schedule, the BACI year and σ."""

    model_config = pydantic.ConfigDict(extra="forbid")

    schedule_id: str | None = pydantic.Field(
        None, description="a shipped schedule (GET /tariffs/schedules); or give `schedule`"
    )
    schedule: TariffSchedule | None = pydantic.Field(
        None, description="the schedule itself (the form GET /tariffs/schedules/{id} returns)"
    )
    year: Annotated[int | None, pydantic.Field(ge=1990, le=2100)] = pydantic.Field(
        None, description="BACI year; default: the schedule's baseline year, else the latest"
    )
    sigma: Annotated[float | None, pydantic.Field(ge=0, le=100)] = pydantic.Field(
        None, description="substitution elasticity for every market; default: the file's (1.5)"
    )
    as_of: dt.date | None = pydantic.Field(
        None, description="apply only the rows in force on this date; default: all"
    )
    top_flows: Annotated[int, pydantic.Field(ge=0, le=1000)] = pydantic.Field(
        25, description="flows returned, largest absolute change first"
    )


class SmartOut(pydantic.BaseModel):
    """A SMART run: totals, summaries by member, mineral and exporter, the top flows (USD)."""

    schedule: dict[str, Any]
    year: int
    as_of: str | None
    sigma: float | None
    elasticities_file: str = pydantic.Field(description="file name of the elasticities")
    assumptions: list[str]
    totals: dict[str, float]
    by_member: list[dict[str, Any]]
    by_mineral: list[dict[str, Any]]
    by_exporter: list[dict[str, Any]]
    flows_total: int = pydantic.Field(description="flows in the markets hit")
    flows: list[dict[str, Any]] = pydantic.Field(
        description="the top flows; export_supply_elasticity null: infinitely elastic"
    )


class GERequest(pydantic.BaseModel):
    """A structural gravity counterfactual of the zone's preference (as ``tariff ge``)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    data: Literal["sample", "store"] = pydantic.Field(
        "sample",
        description="sample: gegravity's 30-country sample (USD million, 2006); "
        "store: the minerals panel of the store (USD, BACI HS92 codes)",
    )
    members: list[str] | None = pydantic.Field(
        None, description="members getting the preference (ISO3 or bloc); default: the zone's"
    )
    sigma: Annotated[float, pydantic.Field(gt=1, le=50)] = 5.0
    year: Annotated[int | None, pydantic.Field(ge=1990, le=2100)] = None
    preference: Annotated[float | None, pydantic.Field(ge=-10, le=10)] = pydantic.Field(
        None, description="coefficient of the preference variable (log points)"
    )
    join: str | None = None
    leave: str | None = None
    tariff: Annotated[float | None, pydantic.Field(ge=0, le=10)] = pydantic.Field(
        None, description="tariff (0.25 = 25%) by zone countries on --tariff_on"
    )
    tariff_on: list[str] | None = None
    schedule_id: str | None = pydantic.Field(
        None,
        description="a shipped tariff schedule (GET /tariffs/schedules) in place of tariff: "
        "each pair's trade-weighted mean tariff factor over the panel's HS6 codes",
    )
    as_of: dt.date | None = pydantic.Field(
        None, description="with schedule_id: apply only the rows in force on this date"
    )
    formulation: Literal["gegravity", "endogenous"] = "gegravity"
    draws: Annotated[int, pydantic.Field(ge=0, le=MAX_DRAWS)] = 0
    seed: Annotated[int, pydantic.Field(ge=0)] = 0

    @pydantic.field_validator("join", "leave")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().upper()

    @pydantic.field_validator("members", "tariff_on")
    @classmethod
    def _upper_all(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [v.strip().upper() for v in value]


# --- schedules ---------------------------------------------------------------------------


def _shipped(schedule_id: str, *, field: str, not_found: bool) -> TariffSchedule:
    """A shipped schedule by id (never a path: the API reads no file a client names)."""
    ids = schedule_ids()
    if schedule_id not in ids:
        message = f"unknown schedule {schedule_id!r}: one of {', '.join(ids)}"
        if not_found:
            raise NotFoundError(message, field=field)
        raise FieldError(message, field=field)
    return load_schedule(schedule_id)


@router.get("/schedules", response_model=list[ScheduleSummary], summary="The shipped schedules.")
async def get_schedules(engine: EngineDep) -> Response:
    """Every shipped tariff schedule: id, name, rows, illustrative, baseline year, source."""
    cache: dict[str, bytes] = engine.extras.setdefault("schedule-list", {})
    if "list" not in cache:
        frame = await run_in_threadpool(list_schedules)
        cache["list"] = dumps(frame_records(frame))
    return json_bytes(cache["list"])


@router.get(
    "/schedules/{schedule_id}",
    response_model=TariffSchedule,
    responses=_ERRORS,
    summary="A shipped schedule, in the form POST /tariffs/smart takes as `schedule`.",
)
def get_schedule(schedule_id: str) -> TariffSchedule:
    """A shipped schedule, validated: rates are ad valorem fractions (0.25 = 25%)."""
    return _shipped(schedule_id, field="schedule_id", not_found=True)


# --- SMART -------------------------------------------------------------------------------


def smart_response(result: SmartResult, *, top_flows: int) -> dict[str, Any]:
    """The JSON of a SMART run: as ``tariff smart --format json``, with the top flows only.

    One intended difference from the CLI, kept here at the interface edge: the
    elasticities file by its name only (the server's paths are not the client's
    business). Infinite elasticities are ``null`` in both (JSON has no infinity).
    """
    payload = smart_payload(result, top_flows=top_flows)
    payload["elasticities_file"] = result.elasticities_file.name
    payload["flows"] = finite(payload["flows"])
    return payload


@router.post(
    "/smart",
    response_model=SmartOut,
    responses=_ERRORS,
    dependencies=[HEAVY],
    summary="SMART partial equilibrium of a schedule: creation and diversion (USD).",
)
async def post_smart(body: SmartRequest, engine: EngineDep) -> Response:
    """Trade creation, diversion, revenue and welfare per member, mineral and exporter (USD).

    As ``friendshore tariff smart SCHEDULE [--year] [--sigma] [--as-of] --format json``
    on the served store and zone; ``flows`` are the ``top_flows`` largest changes.
    """
    if (body.schedule_id is None) == (body.schedule is None):
        raise FieldError("give exactly one of schedule_id and schedule", field="schedule_id")
    if body.schedule is not None:
        check_length(body.schedule.rates, MAX_SCHEDULE_RATES, field="schedule.rates")
        schedule = body.schedule
    else:
        assert body.schedule_id is not None
        schedule = _shipped(body.schedule_id, field="schedule_id", not_found=False)
    key = (
        "smart-run",
        f"{store_fingerprint(engine.store_path)}|{schedule.model_dump_json()}|"
        + body.model_dump_json(exclude={"schedule", "schedule_id"}),
    )
    hit = engine.runs.get(key)
    if hit is None:

        def build() -> bytes:
            with at_field("year"):
                result = run_smart(
                    schedule,
                    engine.store_path,
                    year=body.year,
                    sigma=body.sigma,
                    zone=engine.zone,
                    as_of=body.as_of,
                )
            return dumps(smart_response(result, top_flows=body.top_flows))

        hit = await run_in_threadpool(build)
        engine.runs.put(key, hit)
    return json_bytes(hit)


# --- GE ----------------------------------------------------------------------------------


def _members(engine: Engine, members: list[str] | None) -> dict[str, set[str]]:
    if members is None:
        return {m: set(cs) for m, cs in engine.zone.members.items()}
    if not members:
        raise FieldError("give at least one member", field="members")
    out: dict[str, set[str]] = {}
    for i, code in enumerate(members):
        with at_field(f"members.{i}"):
            out[code] = set(expand(code))
    return out


def _store_frame(engine: Engine, year: int | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The square minerals panel of a year (as the CLI builds it), the panel cached per store."""
    cache: dict[Any, Any] = engine.extras.setdefault("ge-panel", {})
    key = (store_fingerprint(engine.store_path), engine.zone.countries)
    panel = cache.get(key)
    if panel is None:
        panel = panel_from_store(engine.store_path, engine.zone.countries)
        cache.clear()
        cache[key] = panel
    years = panel.panel.loc[panel.panel["international"] == 0, "year"]
    if years.empty:
        raise FieldError("the store has no year with domestic flows", field="data")
    use_year = year if year is not None else int(years.max())
    if use_year not in set(years.astype(int)):
        raise FieldError(
            f"no domestic flows for {use_year} in the store: years "
            f"{int(years.min())}-{int(years.max())}",
            field="year",
        )
    frame, left = panel.square(use_year)
    dropped = pd.concat([panel.dropped, left], ignore_index=True)
    nomenclature = panel.nomenclature or "HS"
    return frame, dropped, f"minerals panel of the store ({use_year}, USD, BACI {nomenclature})"


def _schedule_weights(engine: Engine, year: int) -> pd.DataFrame:
    """BACI trade per pair and HS6 code weighting a schedule (as the CLI), cached per store."""
    cache: dict[Any, pd.DataFrame] = engine.extras.setdefault("ge-schedule-weights", {})
    key = (store_fingerprint(engine.store_path), year)
    hit = cache.get(key)
    if hit is None:
        hit = schedule_weights(engine.store_path, year)
        if len(cache) >= RUN_CACHE:
            cache.clear()
        cache[key] = hit
    return hit


@router.post(
    "/ge",
    status_code=202,
    response_model=JobInfo,
    responses=_ERRORS,
    summary="Start a structural gravity GE run as a job; poll /jobs/{id} for its result.",
)
def post_ge(body: GERequest, engine: EngineDep, jobs: Jobs, owner: Owner) -> JSONResponse:
    """Welfare, real GDP and trade by country (% change) after the zone's preference.

    As ``friendshore tariff ge --zone ZONE [--data sample] --format json``: PPML
    estimates with exporter and importer effects, the baseline, the counterfactual
    (and coefficient draws). A job: the first run loads pyfixest (seconds).
    Progress: 1 unit for the data and estimates, 1 for the solve, 1 per draw.
    ``schedule_id`` names a shipped schedule only (never a file: the API reads
    no path a client gives); an unknown id, or one given with ``tariff``, is a
    422 naming the field.
    """
    members = _members(engine, body.members)
    for name in ("join", "leave"):
        code = getattr(body, name)
        if code is not None:
            with at_field(name):
                expand(code)
    inside = set().union(*members.values())
    if body.join is not None and body.leave is not None:
        raise FieldError("give either join or leave, not both", field="join")
    if body.join is not None and body.join in inside:
        raise FieldError(f"{body.join} is already in the zone", field="join")
    if body.leave is not None and body.leave not in inside and body.leave not in members:
        raise FieldError(f"{body.leave} is not a member of the zone", field="leave")
    for i, code in enumerate(body.tariff_on or []):
        with at_field(f"tariff_on.{i}"):
            expand(code)
    schedule: TariffSchedule | None = None
    if body.schedule_id is not None:
        if body.tariff is not None or body.tariff_on is not None:
            raise FieldError(
                "give either schedule_id or tariff/tariff_on, not both", field="schedule_id"
            )
        schedule = _shipped(body.schedule_id, field="schedule_id", not_found=False)
    elif body.as_of is not None:
        raise FieldError("as_of selects a schedule's rows: give schedule_id", field="as_of")

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        dropped: pd.DataFrame | None = None
        if body.data == "sample":
            frame = read_gravity_data(gravity_sample_path())
            source = "gegravity sample (2006, USD million)"
        else:
            frame, dropped, source = _store_frame(engine, body.year)
        weights = None
        if schedule is not None:
            ge_year = body.year if body.year is not None else int(frame["year"].max())
            weights = _schedule_weights(engine, ge_year)
        advance(1)
        try:
            run = run_zone(
                frame,
                members,
                sigma=body.sigma,
                year=body.year,
                preference=body.preference,
                join=body.join,
                leave=body.leave,
                tariff=body.tariff,
                tariff_on=body.tariff_on,
                schedule=schedule,
                as_of=body.as_of,
                weights=weights,
                rivals=engine.zone.rivals,
                formulation=body.formulation,
                draws=body.draws,
                seed=body.seed,
                progress=advance,
            )
        except ValidationError as exc:
            raise FieldError(str(exc), field=_ge_field(str(exc))) from exc
        advance(1)
        return ge_payload(run, source=source, dropped=dropped)

    return jobs.accept("tariff-ge", body.draws + 2, work, owner=owner)


def _ge_field(message: str) -> str | None:
    """The request field a GE validation message is about."""
    for name in ("join", "leave", "year", "draws", "reference", "sigma"):
        if name in message:
            return name
    return None
