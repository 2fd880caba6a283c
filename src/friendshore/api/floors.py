"""Price-floor endpoints: shipped reference files, a floor run, its tariff schedule, prices.

``POST /floors/run`` takes a shipped reference file id (``reference_id``; the
API reads no file a client names) or the rules themselves (``reference``, the
form ``GET /floors/{id}`` returns), the mode, the years, the CfD comparison and,
for the dashboard's slider, a reference price for one rule
(``reference_price``: the rule becomes a fixed price in US$ per tonne of the
product). ``mineral_id`` and ``stage`` keep only those rules (the dashboard runs
one mineral × stage at a time). The figures equal those of ``friendshore floor
run --format json`` for the same inputs, plus ``summary`` (one row per mineral
× stage, as the CLI's table) and ``levies_total``. ``GET /prices`` gives the
annual price series of the store (``friendshore prices``) for charts.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import pandas as pd
import pydantic
from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from friendshore._core.records import finite, frame_records
from friendshore.api.deps import EngineDep, OptionalMineralQuery, json_bytes
from friendshore.api.engine import dumps, store_fingerprint
from friendshore.api.errors import ErrorBody, FieldError, NotFoundError, at_field
from friendshore.api.limits import HEAVY
from friendshore.data.catalog import read_minerals
from friendshore.data.pipeline_files import shipped_pipeline_paths
from friendshore.data.queries import annual_prices
from friendshore.policy.floors import FloorResult, floor_payload, floor_schedule, run_floor
from friendshore.policy.reference import (
    METHODS,
    FixedRule,
    ReferenceFile,
    list_reference_files,
    load_reference_file,
    reference_file_ids,
    with_rules,
)
from friendshore.report.floor import floor_summary

router = APIRouter(tags=["floors"])

#: Price tables cached (by store and query).
RUN_CACHE: Final = 64
#: Most years one run may span.
MAX_SPAN: Final = 30
#: Most rules an inline reference file may carry.
MAX_RULES: Final = 200
#: Levy rows returned by default, and at most.
LEVY_ROWS: Final = 5000
MAX_LEVY_ROWS: Final = 50_000
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}

Mode = Literal["uniform", "per-origin", "min-price-quota"]


class FloorFileSummary(pydantic.BaseModel):
    """A shipped reference-price file (``friendshore floor list``)."""

    id: str
    name: str
    version: str
    date: str
    rules: int
    illustrative: bool
    source: str


class ReferencePrice(pydantic.BaseModel):
    """A reference price for one rule (the dashboard's slider): a fixed US$ per tonne."""

    model_config = pydantic.ConfigDict(extra="forbid")

    mineral_id: str = pydantic.Field(min_length=1, max_length=60)
    stage: Literal["mining", "processing", "components"]
    product: str | None = pydantic.Field(
        None,
        max_length=200,
        description="the rule's product; needed where a mineral × stage has several rules",
    )
    usd_per_t: float = pydantic.Field(
        gt=0, le=1e10, allow_inf_nan=False, description="US$ per tonne of the traded product"
    )


class FloorRunRequest(pydantic.BaseModel):
    """A floor run: a shipped reference file or its rules, mode, years, CfD."""

    model_config = pydantic.ConfigDict(extra="forbid")

    reference_id: str | None = pydantic.Field(
        None,
        max_length=80,
        description="a shipped reference file (GET /floors); or give `reference`",
    )
    reference: dict[str, Any] | None = pydantic.Field(
        None,
        description="the rules themselves: a reference file in the form GET /floors/{id} "
        "returns (id, name, version, date, source, rules: one per mineral × stage × product "
        "with its method)",
    )
    mode: Mode = "uniform"
    years: list[Annotated[int, pydantic.Field(ge=1960, le=2100)]] | None = pydantic.Field(
        None,
        min_length=1,
        max_length=MAX_SPAN,
        description=f"the years to replay (at most {MAX_SPAN}, spanning at most {MAX_SPAN} "
        "years); default: every year with prices and trade",
    )
    cfd: bool = pydantic.Field(False, description="also price a contract for differences")
    upside_share: float = pydantic.Field(
        0.0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="CfD: share of the index above the reference paid back to the treasury",
    )
    mineral_id: str | None = pydantic.Field(
        None, max_length=60, description="keep only this mineral's rules"
    )
    stage: Literal["mining", "processing", "components"] | None = pydantic.Field(
        None, description="keep only this stage's rules"
    )
    product: str | None = pydantic.Field(
        None, max_length=200, description="keep only the rules of this product"
    )
    reference_price: ReferencePrice | None = pydantic.Field(
        None, description="set one rule's reference price (a fixed US$ per tonne)"
    )
    max_levies: Annotated[int, pydantic.Field(ge=0, le=MAX_LEVY_ROWS)] = pydantic.Field(
        LEVY_ROWS, description="levy rows returned (the run keeps them all; see levies_total)"
    )

    @pydantic.field_validator("years")
    @classmethod
    def _span(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if max(value) - min(value) + 1 > MAX_SPAN:
            raise ValueError(
                f"the years span {max(value) - min(value) + 1} years: at most {MAX_SPAN}"
            )
        return sorted(set(value))

    @pydantic.field_validator("reference")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        rules = value.get("rules") if value is not None else None
        if isinstance(rules, list) and len(rules) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} rules")
        return value


def _inline(data: dict[str, Any]) -> ReferenceFile:
    """Validate an inline reference file; the first error names its field (``reference.…``)."""
    try:
        ref = ReferenceFile.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        loc = list(error["loc"])
        if len(loc) >= 3 and loc[0] == "rules" and loc[2] in METHODS:
            del loc[2]  # the method tag pydantic puts after a rule's index
        field = ".".join(["reference", *(str(p) for p in loc)])
        message = str(error["msg"]).removeprefix("Value error, ")
        raise FieldError(f"{message} (field {field!r})", field=field) from None
    # the API reads no file a client names: a cost basis takes a shipped pipeline only
    shipped = shipped_pipeline_paths()
    for i, rule in enumerate(ref.rules):
        name = getattr(rule, "pipeline", None)
        if name is not None and name not in shipped:
            field = f"reference.rules.{i}.pipeline"
            raise FieldError(
                f"unknown pipeline {name!r}: the API takes a shipped pipeline id, one of "
                f"{', '.join(shipped)} (field {field!r})",
                field=field,
            )
    with at_field("reference"):
        ref.check()
    return ref


# --- reference files -----------------------------------------------------------------------


def _shipped(reference_id: str, *, field: str, not_found: bool) -> ReferenceFile:
    """A shipped reference file by id (never a path: the API reads no file a client names)."""
    ids = reference_file_ids()
    if reference_id not in ids:
        message = f"unknown reference file {reference_id!r}: one of {', '.join(ids)}"
        if not_found:
            raise NotFoundError(message, field=field)
        raise FieldError(message, field=field)
    return load_reference_file(reference_id)


@router.get(
    "/floors",
    response_model=list[FloorFileSummary],
    summary="The shipped reference-price files.",
)
async def get_floors(engine: EngineDep) -> Response:
    """Every shipped reference-price file: id, name, version, date, rules, source."""
    cache: dict[str, bytes] = engine.extras.setdefault("floor-list", {})
    if "list" not in cache:
        frame = await run_in_threadpool(list_reference_files)
        cache["list"] = dumps(frame_records(frame))
    return json_bytes(cache["list"])


@router.get(
    "/floors/{reference_id}",
    responses=_ERRORS,
    summary="A shipped reference file, in the form POST /floors/run takes as `reference`.",
)
async def get_floor(reference_id: str) -> Response:
    """A shipped reference file, validated: its metadata and rules (one per mineral × stage ×
    product, each with its method), exactly the form ``reference`` takes."""
    ref = await run_in_threadpool(_shipped, reference_id, field="reference_id", not_found=True)
    return json_bytes(dumps(ref.model_dump(mode="json")))


# --- a run ---------------------------------------------------------------------------------


def _select(ref: ReferenceFile, body: FloorRunRequest) -> ReferenceFile:
    """The rules of ``ref`` kept by ``mineral_id`` / ``stage``, ``reference_price`` applied."""
    rules = list(ref.rules)
    if body.mineral_id is not None or body.stage is not None or body.product is not None:
        rules = [
            r
            for r in rules
            if (body.mineral_id is None or r.mineral == body.mineral_id)
            and (body.stage is None or r.stage == body.stage)
            and (body.product is None or r.product == body.product)
        ]
        if not rules:
            what = "/".join(x for x in (body.mineral_id, body.stage, body.product) if x)
            field = next(
                f for f in ("product", "stage", "mineral_id") if getattr(body, f) is not None
            )
            raise FieldError(f"the reference file {ref.id!r} has no rule for {what}", field=field)
    price = body.reference_price
    if price is not None:
        hits = [
            i
            for i, r in enumerate(rules)
            if r.mineral == price.mineral_id
            and r.stage == price.stage
            and (price.product is None or r.product == price.product)
        ]
        if not hits:
            raise FieldError(
                f"the reference file {ref.id!r} has no rule for {price.mineral_id}/{price.stage}"
                + (f"/{price.product}" if price.product else ""),
                field="reference_price",
            )
        if len(hits) > 1 and price.product is None:
            products = ", ".join(sorted({rules[i].product for i in hits}))
            raise FieldError(
                f"{price.mineral_id}/{price.stage} has several rules ({products}): name the "
                "product",
                field="reference_price.product",
            )
        for i in hits:
            old = rules[i]
            rules[i] = FixedRule(
                mineral=old.mineral,
                stage=old.stage,
                product=old.product,
                hs6=old.hs6,
                factor=1.0,
                valid_from=old.valid_from,
                valid_to=old.valid_to,
                source="set in the request (reference_price)",
                note=f"replaces the file's {old.method} rule",
                method="fixed",
                price=price.usd_per_t,
                unit="USD/t",
            )
    if len(rules) == len(ref.rules) and price is None:
        return ref
    with at_field("reference_price" if price is not None else "mineral_id"):
        return with_rules(ref, rules)


def floor_response(result: FloorResult, *, max_levies: int) -> dict[str, Any]:
    """The JSON of a floor run: ``floor_payload`` with at most ``max_levies`` levy rows
    (``levy_rows``: all of them), plus ``summary`` (as ``floor run``'s table). The rule
    file's path is left out (the server's paths are not the client's business)."""
    payload = floor_payload(result, levy_rows=max_levies)
    payload["reference"].pop("path", None)
    payload["summary"] = frame_records(floor_summary(result))
    out: dict[str, Any] = finite(payload)
    return out


@router.post(
    "/floors/run",
    responses=_ERRORS,
    dependencies=[HEAVY],
    summary="Replay a reference-price file: levies, revenue, consumer cost, supply, CfD.",
)
async def post_floor_run(body: FloorRunRequest, engine: EngineDep) -> Response:
    """The levy per member × mineral × stage × origin × year, the market model per mineral ×
    stage × year (tariff revenue, consumer cost, production, China's share of zone supply
    before and after) and, with ``cfd``, a contract for differences instead (fiscal cost).

    As ``friendshore floor run REFERENCE [--mode] [--years] [--cfd] [--upside-share]
    --format json`` on the served store and zone.
    """
    if (body.reference_id is None) == (body.reference is None):
        raise FieldError("give exactly one of reference_id and reference", field="reference_id")
    if body.mineral_id is not None and body.mineral_id not in set(read_minerals()["mineral_id"]):
        raise FieldError(f"unknown mineral {body.mineral_id!r}", field="mineral_id")
    if body.reference is not None:
        ref = _inline(body.reference)
    else:
        assert body.reference_id is not None
        ref = await run_in_threadpool(
            _shipped, body.reference_id, field="reference_id", not_found=False
        )
    ref = _select(ref, body)
    key = (
        "floor-run",
        f"{store_fingerprint(engine.store_path)}|{ref.model_dump_json()}|"
        + body.model_dump_json(
            exclude={
                "reference",
                "reference_id",
                "mineral_id",
                "stage",
                "product",
                "reference_price",
            }
        ),
    )
    hit = engine.runs.get(key)
    if hit is None:

        def build() -> bytes:
            with at_field("years"):
                result = run_floor(
                    ref,
                    engine.store_path,
                    engine.zone,
                    mode=body.mode,
                    years=body.years,
                    cfd=body.cfd,
                    upside_share=body.upside_share,
                )
            return dumps(floor_response(result, max_levies=body.max_levies))

        hit = await run_in_threadpool(build)
        engine.runs.put(key, hit)
    return json_bytes(hit)


@router.get(
    "/floors/{reference_id}/schedule",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}}},
    summary="One year's levies as the tariff schedule `tariff smart` reads (CSV).",
)
async def get_floor_schedule(
    reference_id: str,
    engine: EngineDep,
    year: Annotated[int, Query(ge=1960, le=2100, description="the year of the levies")],
    mode: Annotated[Mode, Query(description="how the tariff keeps the floor")] = "uniform",
) -> Response:
    """CSV ``importer, exporter, hs6, rate_before, rate_after, source, note`` (ad valorem
    fractions), as ``friendshore floor schedule REFERENCE --year Y --mode M``."""
    ref = await run_in_threadpool(_shipped, reference_id, field="reference_id", not_found=True)

    def build() -> str:
        with at_field("year"):
            result = run_floor(ref, engine.store_path, engine.zone, mode=mode, years=[year])
            frame = floor_schedule(result, year=year)
        text: str = frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")
        return text

    text = await run_in_threadpool(build)
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{reference_id}-{year}-{mode}.csv"'},
    )


# --- prices --------------------------------------------------------------------------------


class PriceRow(pydantic.BaseModel):
    """One series × year of the store's annual prices (monthly series averaged)."""

    series: str
    source: str
    release: str | None
    mineral_id: str | None
    stage: str | None
    product: str | None
    market: str | None
    frequency: str
    year: int
    months: int | None = pydantic.Field(None, description="months averaged (monthly series)")
    value: float | None = pydantic.Field(description="as published, in `unit`")
    unit: str
    usd_per_t: float | None = pydantic.Field(
        description="US$ per tonne of `basis`; null if not a mass price"
    )
    basis: str | None
    status: str | None
    note: str | None
    file: str | None
    line: int | None
    column: str | None = None


@router.get(
    "/prices",
    response_model=list[PriceRow],
    responses=_ERRORS,
    summary="Annual price series of the store (USGS MCS, World Bank Pink Sheet).",
)
async def get_prices(
    engine: EngineDep,
    mineral: OptionalMineralQuery = None,
    stage: Annotated[
        Literal["mining", "processing", "components"] | None,
        Query(description="the stage the price is of"),
    ] = None,
) -> Response:
    """One row per series × year (monthly series averaged over the months present), each
    with its value and unit as published, US$ per tonne of its basis, and its file and line;
    as ``friendshore prices --mineral --stage --format json``. Empty where none is published."""
    cache: dict[tuple[Any, ...], bytes] = engine.extras.setdefault("prices", {})
    key = (store_fingerprint(engine.store_path), mineral, stage)
    hit = cache.get(key)
    if hit is None:

        def build() -> bytes:
            frame: pd.DataFrame = annual_prices(engine.store_path, mineral=mineral, stage=stage)
            frame = frame.sort_values(["series", "year"], ignore_index=True)
            return dumps(frame_records(frame))

        hit = await run_in_threadpool(build)
        if len(cache) >= RUN_CACHE:
            cache.clear()
        cache[key] = hit
    return json_bytes(hit)
