"""Options, settings and error handling shared by every command."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.text import Text

from friendshore._core.errors import FriendshoreError, InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.output import stderr

P = ParamSpec("P")
R = TypeVar("R")

STORE_ENV = "FRIENDSHORE_STORE"
# The same names as friendshore.data.registry.REGISTRY_ENV and data.keystore.KEYS_ENV
# (a test checks it); spelled here so that the help text does not load SQLAlchemy.
REGISTRY_ENV = "FRIENDSHORE_REGISTRY"
KEYS_ENV = "FRIENDSHORE_KEYS"

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store file (DuckDB). Default: ${STORE_ENV} or the user data directory.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]

ZoneOption = Annotated[
    Path | None,
    typer.Option(
        "--zone",
        help="Zone file (TOML). Default: the bundled zone (USA, MEX, EU27, JPN).",
        show_default=False,
    ),
]
ScenarioArgument = Annotated[
    str,
    typer.Argument(
        help="A shipped scenario id (see `friendshore scenario list`) or a YAML file.",
        metavar="NAME_OR_FILE",
    ),
]


class Backend(StrEnum):
    """Where random draws run: local numpy, or a Dask cluster (:func:`dask_client`)."""

    LOCAL = "local"
    DASK = "dask"


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address; default: a LocalCluster.",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int, typer.Option("--workers", help="Workers of the LocalCluster (dask).", min=1)
]


def resolve_store(path: Path | None) -> Path:
    """Return the store path: the option, else ``$FRIENDSHORE_STORE``, else the default."""
    if path is not None:
        return path
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    from friendshore.data import store

    return store.default_store_path()


def _report(exc: Exception) -> None:
    # The message is data (file names, user input): never parsed as Rich markup.
    stderr.print(Text.assemble(("error: ", "bold red"), str(exc)), highlight=False)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn friendshore errors into a one-line message and exit code 2 (input) or 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _report(exc)
            raise typer.Exit(2) from exc
        except FriendshoreError as exc:
            _report(exc)
            raise typer.Exit(1) from exc

    return wrapper


@contextmanager
def dask_client(*, enabled: bool, scheduler: str | None, workers: int) -> Iterator[Any]:
    """Yield a Dask client for the draws (``None`` unless ``enabled``), closed on exit.

    Connects to the ``--scheduler`` address if given, else starts a
    :func:`~friendshore.scenarios.montecarlo.local_cluster` of ``workers``
    one-thread worker processes (closed with the client).
    """
    if not enabled:
        yield None
        return
    from distributed import Client  # heavy, dask only

    # Imported here so that every command's start-up does not load the scenario engine.
    from friendshore.scenarios.montecarlo import local_cluster

    client: Any
    cluster: Any = None
    if scheduler:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    else:
        cluster = local_cluster(workers)
        client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
