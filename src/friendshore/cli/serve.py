"""``friendshore serve``: the REST API and the web dashboard in one local process."""

from __future__ import annotations

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
    from friendshore.data import keystore
    from friendshore.data.registry import Registry, default_registry_url
    from friendshore.data.store import connect
    from friendshore.model.zone import Zone

    store = resolve_store(store_path)
    connect(store).close()  # a missing or broken store fails here, with its message
    registry = registry_url or os.environ.get(REGISTRY_ENV) or default_registry_url()
    Registry.open(registry).close()  # so does an unreachable registry (and it is migrated)
    app = create_app(
        store_path=store,
        zone=Zone.load(zone_file),
        job_workers=job_workers,
        warm=True,
        registry_url=registry,
        keys_dir=keys_dir if keys_dir is not None else keystore.default_keys_dir(),
    )
    stderr.print(f"friendshore dashboard on http://{host}:{port}/ (API: /api/v1)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")
