"""The FastAPI application: REST API under ``/api/v1`` and the dashboard, one process.

:func:`create_app` builds the app for a store (the interface reads settings from
the environment only in :meth:`Settings.from_env` and :func:`app_from_env`).
The routers are listed in :data:`API_ROUTERS`; adding an area is one import and
one entry there (and, for a dashboard page, one :class:`friendshore.web.Page`).
The compliance registry (:mod:`friendshore.api.registry`, under
``/api/v1/compliance``) is opened at start-up and closed at shutdown. The limits
(body size, cache bytes, heavy runs at once; :class:`~friendshore.api.limits.ApiLimits`)
apply to every route; a query parameter a route does not declare is a 422.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import pydantic
from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from friendshore._core.errors import FriendshoreError
from friendshore.api import (
    floors,
    invest,
    jobs,
    metrics,
    outlook,
    registry,
    scenarios,
    stockpile,
    tariffs,
    web,
)
from friendshore.api.deps import JSON, SNAPSHOT_HEADER
from friendshore.api.engine import Engine
from friendshore.api.errors import install_error_handlers
from friendshore.api.jobs import JobLimits, JobManager, install_job_errors
from friendshore.api.limits import CANONICAL_QUERY, KNOWN_QUERY, ApiLimits, BodyLimit, HeavyGate
from friendshore.compliance.service import ComplianceService
from friendshore.data import keystore
from friendshore.data.registry import REGISTRY_ENV, Registry, default_registry_url
from friendshore.data.store import default_store_path
from friendshore.model.zone import Zone

#: Prefix of every REST endpoint.
API_PREFIX: Final = "/api/v1"
#: The REST routers, mounted under :data:`API_PREFIX` in this order.
_log = logging.getLogger("friendshore.api")

API_ROUTERS: Final[tuple[APIRouter, ...]] = (
    metrics.router,
    scenarios.router,
    tariffs.router,
    floors.router,
    outlook.router,
    stockpile.router,
    invest.router,
    registry.router,
    jobs.router,
    web.geometry_router,
)
#: The dashboard may load and connect to its own origin only (no CDN, no fonts, no beacons).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


_SNAPSHOT_KEY: Final = SNAPSHOT_HEADER.encode()
_HOT_HEADERS: Final = [(b"content-type", JSON.encode())]


class Settings(pydantic.BaseModel):
    """Settings of ``friendshore serve``, from the environment (``FRIENDSHORE_*``)."""

    model_config = pydantic.ConfigDict(frozen=True)

    store: Path = pydantic.Field(default_factory=default_store_path)
    zone: Path | None = None
    job_workers: int = pydantic.Field(1, ge=1, le=32)
    warm: bool = True
    registry: str = pydantic.Field(default_factory=default_registry_url)
    keys: Path = pydantic.Field(default_factory=keystore.default_keys_dir)
    limits: ApiLimits = pydantic.Field(default_factory=ApiLimits)
    jobs: JobLimits = pydantic.Field(default_factory=JobLimits)

    @classmethod
    def from_env(cls) -> Settings:
        """``FRIENDSHORE_STORE``, ``FRIENDSHORE_ZONE``, ``FRIENDSHORE_JOB_WORKERS``,
        ``FRIENDSHORE_WARM`` (``0`` to assess on the first request, not at start-up),
        ``FRIENDSHORE_REGISTRY`` (the registry's database URL; default: a SQLite file in
        the user data directory) and ``FRIENDSHORE_KEYS`` (the members' signing keys;
        default: ``keys/`` in the user data directory), as ``friendshore comply`` reads them;
        the job queue's limits from ``FRIENDSHORE_JOB_*`` (:meth:`JobLimits.from_env`)."""
        env = os.environ
        values: dict[str, object] = {
            "limits": ApiLimits.from_env(),
            "jobs": JobLimits.from_env(env),
        }
        if env.get(REGISTRY_ENV):
            values["registry"] = env[REGISTRY_ENV]
        if env.get(keystore.KEYS_ENV):
            values["keys"] = env[keystore.KEYS_ENV]
        if env.get("FRIENDSHORE_STORE"):
            values["store"] = env["FRIENDSHORE_STORE"]
        if env.get("FRIENDSHORE_ZONE"):
            values["zone"] = env["FRIENDSHORE_ZONE"]
        if env.get("FRIENDSHORE_JOB_WORKERS"):
            values["job_workers"] = env["FRIENDSHORE_JOB_WORKERS"]
        if env.get("FRIENDSHORE_WARM"):
            values["warm"] = env["FRIENDSHORE_WARM"] not in ("0", "false", "no")
        return cls.model_validate(values)


class SecurityHeaders:
    """ASGI middleware adding the CSP and related headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HotCache:
    """ASGI middleware answering repeated metric GETs from memory, before any routing.

    A response the app marks with :data:`~friendshore.api.deps.SNAPSHOT_HEADER` (it
    depends on the store snapshot and the URL only) to a canonical query (declared
    parameters, sorted, each once, no default restated:
    :func:`~friendshore.api.limits.known_query`) is kept in the snapshot's byte-bounded
    cache; the same path and query string is then answered with those bytes while the
    store is unchanged (the engine's fingerprint check), without routing or
    dependencies. Any other query is routed (and answered from the endpoint's own
    cache): junk or reordered parameters add nothing.
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        snap = self.engine.current()
        key = (str(scope["path"]), bytes(scope.get("query_string", b"")))
        body = snap.cache.get(key) if snap is not None else None
        if body is not None:
            headers = [*_HOT_HEADERS, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        marked = False
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal marked
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                marked = (
                    message["status"] == 200
                    and scope.get(CANONICAL_QUERY) is True
                    and any(k == _SNAPSHOT_KEY for k, _ in headers)
                )
                message["headers"] = [(k, v) for k, v in headers if k != _SNAPSHOT_KEY]
            elif marked and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and snap is not None:
                    snap.cache.put(key, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)


def create_app(
    *,
    store_path: Path,
    zone: Zone | None = None,
    job_workers: int = 1,
    warm: bool = False,
    registry_url: str | None = None,
    keys_dir: Path | None = None,
    job_limits: JobLimits | None = None,
    routers: Sequence[APIRouter] = API_ROUTERS,
    limits: ApiLimits | None = None,
) -> FastAPI:
    """Build the API and dashboard app for the store at ``store_path``.

    Parameters
    ----------
    store_path
        The DuckDB store (``friendshore data build``).
    zone
        The zone to assess; default: the bundled zone (USA, MEX, EU27, JPN).
    job_workers
        Threads running jobs (Monte Carlo) at once.
    warm
        Read the store and compute the assessment at start-up (else on first use).
    registry_url
        The compliance registry's database (``sqlite:///FILE`` or ``postgresql+psycopg://…``),
        opened (and migrated) at start-up and closed at shutdown. ``None``: opened on the
        first compliance request from ``$FRIENDSHORE_REGISTRY`` or the default SQLite file.
    keys_dir
        The members' signing keys (default: ``$FRIENDSHORE_KEYS`` or the user data
        directory's ``keys/``).
    job_limits
        The job queue's bound, quotas, retention and shutdown time (default: :class:`JobLimits`).
    routers
        The REST routers mounted under ``/api/v1``.
    limits
        Body size, cache bytes and heavy runs at once (default: :class:`ApiLimits`'s).
    """
    limits = limits if limits is not None else ApiLimits()
    engine = Engine(
        store_path, zone if zone is not None else Zone.load(None), cache_bytes=limits.cache_bytes
    )
    manager = JobManager(job_workers, limits=job_limits or JobLimits())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if registry_url is not None:
            # kept for a later open on first use if the database is down now (then 503s)
            app.state.registry_url = registry_url
            app.state.registry_keys_dir = keys_dir
            try:
                opened = await run_in_threadpool(Registry.open, registry_url)
            except FriendshoreError as exc:
                _log.warning(
                    "compliance registry unavailable at start-up (%s): its endpoints answer "
                    "503 until it can be opened",
                    exc,
                )
            else:
                app.state.compliance_service = ComplianceService(opened, keys_dir=keys_dir)
        try:
            await run_in_threadpool(web.warm_assets)
            if warm:
                await run_in_threadpool(engine.snapshot)
            yield
        finally:
            await run_in_threadpool(manager.shutdown)  # at most the limits' shutdown_s
            service: ComplianceService | None = getattr(app.state, "compliance_service", None)
            if service is not None:  # opened here, or on first use
                service.registry.close()
                app.state.compliance_service = None

    app = FastAPI(
        title="friendshore",
        summary="Critical-minerals trade zone: assessment, scenarios and more, on real data.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: not offered (offline)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.jobs = manager
    app.state.limits = limits
    app.state.heavy_gate = HeavyGate(limits.heavy_concurrency, limits.heavy_wait_s)
    install_error_handlers(app)
    install_job_errors(app)
    api = APIRouter(prefix=API_PREFIX, dependencies=[KNOWN_QUERY])

    @api.get("/health", summary="The server is up (reads no store).", tags=["health"])
    async def health() -> dict[str, str]:
        """``{"status": "ok"}`` while the server answers requests."""
        return {"status": "ok"}

    for router in routers:
        api.include_router(router)
    app.include_router(api)
    app.include_router(web.pages_router)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(HotCache, engine=engine)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_env() -> FastAPI:
    """The app configured from the environment (for ``uvicorn --factory``)."""
    settings = Settings.from_env()
    return create_app(
        store_path=settings.store,
        zone=Zone.load(settings.zone) if settings.zone else None,
        job_workers=settings.job_workers,
        warm=settings.warm,
        registry_url=settings.registry,
        keys_dir=settings.keys,
        limits=settings.limits,
        job_limits=settings.jobs,
    )
