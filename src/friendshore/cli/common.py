"""Options, settings and error handling shared by every command."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.text import Text

from friendshore._core.errors import FriendshoreError, InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.output import stderr
from friendshore.data import store

P = ParamSpec("P")
R = TypeVar("R")

STORE_ENV = "FRIENDSHORE_STORE"

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


def resolve_store(path: Path | None) -> Path:
    """Return the store path: the option, else ``$FRIENDSHORE_STORE``, else the default."""
    if path is not None:
        return path
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else store.default_store_path()


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
