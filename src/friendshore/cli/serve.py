"""``friendshore serve``: the REST API and the web dashboard in one local process."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import typer

from friendshore.cli.common import (
    KEYS_ENV,
    REGISTRY_ENV,
    StoreOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import stderr


@handle_errors
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    store_path: StoreOption = None,
    zone_file: Annotated[
        Path | None,
        typer.Option(
            "--zone",
            help="Zone file (TOML). Default: the bundled zone (USA, MEX, EU27, JPN).",
            show_default=False,
        ),
    ] = None,
    job_workers: Annotated[
        int, typer.Option("--job-workers", help="Long runs (Monte Carlo) at once.", min=1)
    ] = 1,
    registry_url: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help=f"Compliance registry database URL (sqlite:///FILE or postgresql+psycopg://…). "
            f"Default: ${REGISTRY_ENV} or a SQLite file in the user data directory.",
            show_default=False,
        ),
    ] = None,
    keys_dir: Annotated[
        Path | None,
        typer.Option(
            "--keys",
            help=f"Directory of the members' signing keys. Default: ${KEYS_ENV} "
            "or keys/ in the user data directory.",
            show_default=False,
        ),
    ] = None,
    max_body_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-body-bytes",
            help="Largest request body (bytes; 413 beyond). Default: "
            "$FRIENDSHORE_MAX_BODY_BYTES or 2097152 (2 MiB).",
            show_default=False,
        ),
    ] = None,
    cache_bytes: Annotated[
        int | None,
        typer.Option(
            "--cache-bytes",
            help="Bound of each response cache (bytes, least recently used out). Default: "
            "$FRIENDSHORE_CACHE_BYTES or 67108864 (64 MiB).",
            show_default=False,
        ),
    ] = None,
    heavy_concurrency: Annotated[
        int | None,
        typer.Option(
            "--heavy-concurrency",
            help="Scenario runs, SMART, floor runs and membership at once. Default: "
            "$FRIENDSHORE_HEAVY_CONCURRENCY or 2.",
            show_default=False,
        ),
    ] = None,
    heavy_wait: Annotated[
        float | None,
        typer.Option(
            "--heavy-wait",
            help="Seconds a heavy request waits for a slot before 429. Default: "
            "$FRIENDSHORE_HEAVY_WAIT_S or 5.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the REST API (/api/v1) and the web dashboard (/) until interrupted.

    Reads the store and computes the zone assessment once at start-up, then
    serves every metric from memory. The compliance registry (--registry) is
    opened and migrated at start-up; certificates are issued with the members'
    keys in --keys. Everything the pages need (plotly.js, the map geometry,
    styles) is served by this process: it works offline.
    """
    import uvicorn  # only this command needs the server

    from friendshore.api.app import create_app
    from friendshore.api.jobs import JobLimits
    from friendshore.api.limits import ApiLimits
    from friendshore.data import keystore
    from friendshore.data.registry import Registry, default_registry_url
    from friendshore.data.store import connect
    from friendshore.model.zone import Zone

    limits = ApiLimits.from_env(
        max_body_bytes=max_body_bytes,
        cache_bytes=cache_bytes,
        heavy_concurrency=heavy_concurrency,
        heavy_wait_s=heavy_wait,
    )
    store = resolve_store(store_path)
    connect(store).close()  # a missing or broken store fails here, with its message
    registry = registry_url or os.environ.get(REGISTRY_ENV) or default_registry_url()
    Registry.open(registry).close()  # so does an unreachable registry (and it is migrated)
    jobs = JobLimits.from_env(os.environ)  # FRIENDSHORE_JOB_* and FRIENDSHORE_SHUTDOWN_S
    # SIGTERM: requests in flight get half of shutdown_s, then running jobs the other half
    half = jobs.shutdown_s / 2
    app = create_app(
        store_path=store,
        zone=Zone.load(zone_file),
        job_workers=job_workers,
        warm=True,
        registry_url=registry,
        keys_dir=keys_dir if keys_dir is not None else keystore.default_keys_dir(),
        limits=limits,
        job_limits=jobs.model_copy(update={"shutdown_s": half}),
    )
    stderr.print(f"friendshore dashboard on http://{host}:{port}/ (API: /api/v1)", highlight=False)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=math.ceil(half),
    )
