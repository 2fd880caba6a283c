"""The stockpile endpoint: size the zone's strategic reserve under a budget, as a job.

``POST /stockpile`` takes the budget (US$), the reserve (one for the zone, or one per
member), the method, the Monte Carlo draws (at most :data:`MAX_DRAWS` over the API) and
seed, shipped scenarios with their yearly probabilities, the carrying rate and the
shortfall cost (a multiple of the price); it returns ``202`` and a job to poll at
``/api/v1/jobs/{id}``, whose result is ``friendshore stockpile size --format json`` for
the same inputs: tonnes, purchase and carrying cost, days of cover, the expected
shortfall avoided, the marginal value of budget, the budget frontier and the reference
points (60 days of consumption, JOGMEC; the US DoD's 2025 antimony and cobalt plans).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pydantic
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from friendshore._core.records import finite
from friendshore.api.deps import EngineDep
from friendshore.api.engine import Engine, Snapshot
from friendshore.api.errors import ErrorBody, FieldError
from friendshore.api.jobs import JobInfo, Jobs, Owner
from friendshore.data.queries import annual_prices
from friendshore.scenarios.model import scenario_ids
from friendshore.scenarios.stockpile import (
    DEFAULT_BUDGET_USD,
    DEFAULT_CARRYING_RATE,
    DEFAULT_DRAWS,
    DEFAULT_SCENARIO_WEIGHT,
    DEFAULT_SHORTFALL_MULTIPLE,
    OptionError,
    StockpileOptions,
    plan_stockpile,
    stockpile_payload,
    zone_balance,
)

router = APIRouter(tags=["stockpile"])

#: Most Monte Carlo draws one API request may ask for (the CLI takes more).
MAX_DRAWS: Final = 2_000
#: Most weighted scenarios in one request.
MAX_SCENARIOS: Final = 20
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {422: {"model": ErrorBody}}


class WeightedScenario(pydantic.BaseModel):
    """A shipped scenario (GET /scenarios) and its yearly probability."""

    model_config = pydantic.ConfigDict(extra="forbid")

    id: str = pydantic.Field(min_length=1, max_length=80, description="a shipped scenario id")
    weight: float = pydantic.Field(
        DEFAULT_SCENARIO_WEIGHT,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="yearly probability of the scenario (the weights sum to at most 1)",
    )


class StockpileRequest(pydantic.BaseModel):
    """A stockpile sizing: budget, reserve, disruption distribution, costs."""

    model_config = pydantic.ConfigDict(extra="forbid")

    budget_usd: float = pydantic.Field(
        DEFAULT_BUDGET_USD,
        ge=0,
        le=1e13,
        allow_inf_nan=False,
        description="the most the stock may cost to buy (US$; default US$12 bn, Project Vault)",
    )
    reserve: Literal["zone", "member"] = pydantic.Field(
        "zone", description="one reserve for the zone, or one per member"
    )
    method: Literal["newsvendor", "saa"] = pydantic.Field(
        "newsvendor",
        description="the exact closed form (newsvendor critical fractile with a budget "
        "multiplier) or the sample-average stochastic programme (linopy/HiGHS)",
    )
    draws: Annotated[int, pydantic.Field(ge=0, le=MAX_DRAWS)] | None = pydantic.Field(
        None,
        description=f"Monte Carlo draws of random export restrictions (at most {MAX_DRAWS} "
        f"over the API; default {DEFAULT_DRAWS} without scenarios, 0 with: the scenarios only)",
    )
    seed: Annotated[int, pydantic.Field(ge=0, le=2**32 - 1)] = 0
    scenarios: list[WeightedScenario] = pydantic.Field(
        default_factory=list,
        max_length=MAX_SCENARIOS,
        description="weighted shipped scenarios added to the distribution",
    )
    carrying_rate: float = pydantic.Field(
        DEFAULT_CARRYING_RATE,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="carrying cost per year, a fraction of the stock's value (default 6%: "
        "cost of capital and storage)",
    )
    shortfall_multiple: float = pydantic.Field(
        DEFAULT_SHORTFALL_MULTIPLE,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="cost of a tonne short as a multiple of its price (default 5)",
    )
    months: Annotated[int, pydantic.Field(ge=1, le=120)] = pydantic.Field(
        12, description="duration of a Monte Carlo disruption (months)"
    )


#: The CLI's names of the options (OptionError.field) -> the request's fields.
_FIELDS: Final = {
    "budget": "budget_usd",
    "carrying-rate": "carrying_rate",
    "shortfall-multiple": "shortfall_multiple",
    "scenario": "scenarios",
    "draws": "draws",
    "months": "months",
    "reserve": "reserve",
    "method": "method",
}


def stockpile_options(body: StockpileRequest) -> StockpileOptions:
    """The analysis options of a request; a bad one is a 422 naming the request's field.

    Raises
    ------
    FieldError
        An unknown scenario id, weights summing to more than 1, no distribution.
    """
    known = scenario_ids()
    for i, item in enumerate(body.scenarios):
        if item.id not in known:
            raise FieldError(
                f"unknown scenario {item.id!r}: one of {', '.join(known)}",
                field=f"scenarios.{i}.id",
            )
    try:
        return StockpileOptions(
            budget_usd=body.budget_usd,
            carrying_rate=body.carrying_rate,
            shortfall_cost_multiple=body.shortfall_multiple,
            reserve=body.reserve,
            method=body.method,
            draws=body.draws,
            seed=body.seed,
            scenarios=tuple((s.id, s.weight) for s in body.scenarios),
            months=body.months,
        )
    except OptionError as exc:
        raise FieldError(exc.message, field=_FIELDS.get(exc.field, exc.field)) from None


def _inputs(engine: Engine) -> tuple[Snapshot, pd.DataFrame, pd.DataFrame]:
    """The snapshot, the store's annual prices and the zone's material balance, the last two
    read once per snapshot."""
    snap = engine.snapshot()
    cache: dict[Any, tuple[pd.DataFrame, pd.DataFrame]] = engine.extras.setdefault(
        "stockpile-inputs", {}
    )
    hit = cache.get(snap.fingerprint)
    if hit is None:
        hit = (annual_prices(engine.store_path), zone_balance(snap.network, snap.zone))
        cache.clear()
        cache[snap.fingerprint] = hit
    return snap, hit[0], hit[1]


@router.post(
    "/stockpile",
    status_code=202,
    response_model=JobInfo,
    responses=_ERRORS,
    summary="Size the strategic stockpile under a budget as a job; poll /jobs/{id}.",
)
def post_stockpile(
    body: StockpileRequest, engine: EngineDep, jobs: Jobs, owner: Owner
) -> JSONResponse:
    """Tonnes per mineral × stage (× member) minimising carrying cost + expected shortfall
    cost over the disruption distribution (Monte Carlo draws and weighted scenarios) within
    the budget (US$): tonnes, purchase and carrying cost, days of cover, the expected
    shortfall avoided, the marginal value of budget, the budget frontier, the reference
    points and the scenario ``response.stockpiles`` block.

    As ``friendshore stockpile size [--budget] [--draws] [--seed] [--scenario ID:W …]
    [--reserve] [--carrying-rate] [--shortfall-multiple] [--method] --format json`` on the
    served store and zone. Progress: one unit per Monte Carlo draw, then one for the sizing.
    """
    options = stockpile_options(body)

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        snap, prices, balance = _inputs(engine)
        result = plan_stockpile(
            snap.network, snap.zone, prices, options=options, balance=balance, progress=advance
        )
        payload: dict[str, Any] = finite(stockpile_payload(result))
        return payload

    return jobs.accept("stockpile", options.n_draws + 1, work, owner=owner)
