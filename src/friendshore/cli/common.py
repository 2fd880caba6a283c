"""Options, settings and error handling shared by every command."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.text import Text

from friendshore._core.errors import FriendshoreError, InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.output import stderr

if TYPE_CHECKING:
    import pandas as pd

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


def _names_failed(exc: FriendshoreError) -> typer.Exit:
    _report(exc)
    return typer.Exit(2)


def mineral_id(text: str) -> str:
    """Return the catalog id a typed mineral names (:func:`friendshore.data.names.resolve_mineral`).

    A group-level synonym's note (``neodymium`` → rare earths) is printed on stderr.
    """
    from friendshore.data.names import resolve_mineral

    match = resolve_mineral(text)
    if match.note:
        stderr.print(
            Text(f"note: {text!r} is read as {match.mineral_id} ({match.name}): {match.note}"),
            highlight=False,
        )
    return match.mineral_id


def _mineral_callback(ctx: typer.Context, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    try:
        return mineral_id(value)
    except InputError as exc:
        raise _names_failed(exc) from exc


def _minerals_callback(ctx: typer.Context, value: list[str] | None) -> list[str] | None:
    if not value or ctx.resilient_parsing:
        return value
    try:
        return list(dict.fromkeys(mineral_id(v) for v in value))
    except InputError as exc:
        raise _names_failed(exc) from exc


def _member_callback(ctx: typer.Context, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    from friendshore.data.names import resolve_member

    try:
        return resolve_member(value)
    except InputError as exc:
        raise _names_failed(exc) from exc


_MINERAL_HELP = (
    "Mineral: a catalog id or name in any case, or a synonym (lithium, 'rare earths', REE, "
    "aluminium); see `friendshore minerals`."
)
#: ``--mineral``, required; the command receives the catalog id (a typo exits 2 with a
#: did-you-mean).
MineralOption = Annotated[
    str,
    typer.Option("--mineral", help=_MINERAL_HELP, metavar="MINERAL", callback=_mineral_callback),
]
#: ``--mineral``, optional (``None`` when left out).
OptionalMineralOption = Annotated[
    str | None,
    typer.Option(
        "--mineral",
        help=_MINERAL_HELP,
        metavar="MINERAL",
        callback=_mineral_callback,
        show_default=False,
    ),
]
#: ``--mineral``, repeatable: catalog ids, in the order given, without repeats.
MineralsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--mineral",
        help="Only this mineral (repeatable): a catalog id or name in any case, or a synonym.",
        metavar="MINERAL",
        callback=_minerals_callback,
        show_default=False,
    ),
]
#: ``--stage``, optional: ``None`` lets the command take the stage the mineral has
#: (:func:`friendshore.data.names.resolve_stage`).
StageOption = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="mining, processing or components; default: the mineral's stage with data "
        "(the first, where it has several).",
        metavar="STAGE",
        show_default=False,
    ),
]
#: ``--member``: ``zone``, a member id in any case (``eu27``), a bloc or country name
#: (``European Union``, ``Japan``) or an ISO3 code; the command receives the id
#: (``EU27``, ``JPN``, ``zone``).
MemberOption = Annotated[
    str,
    typer.Option(
        "--member",
        help="Member: an id in any case (EU27, usa), a country or bloc name (Japan, "
        "'European Union') or 'zone'.",
        metavar="MEMBER",
        callback=_member_callback,
    ),
]


def named_minerals(frame: pd.DataFrame, fmt: OutputFormat) -> pd.DataFrame:
    """Mineral names for a person: a table shows the catalog name in place of the id
    (column ``mineral``); JSON and CSV keep ``mineral_id`` and add ``mineral_name``."""
    from friendshore.data.names import with_mineral_names

    named = with_mineral_names(frame)
    if fmt is not OutputFormat.TABLE or "mineral_name" not in named.columns:
        return named
    out = named.drop(columns=["mineral_id"]).rename(columns={"mineral_name": "mineral"})
    return out


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


_LIST_TYPE = re.compile(r"^<list\[(.*)\]>$")


def _plain_metavars() -> None:
    """Help without Typer's ``<bool>`` beside a flag or ``<list[str]>`` beside a repeatable
    option (``<str>``; the help says "repeatable") or a variadic argument (its name ends in
    ``...``)."""
    from typer.core import TyperArgument, TyperOption

    if getattr(TyperOption, "_friendshore_plain", False):
        return
    option_type = TyperOption.display_type_rich
    argument_type = TyperArgument.display_type_rich

    def option(self: TyperOption, ctx: Any) -> str | None:
        if self.metavar is None and (self.is_flag or self.count):
            return None
        shown = option_type(self, ctx)
        return _LIST_TYPE.sub(r"<\1>", shown) if shown is not None else None

    def argument(self: TyperArgument, ctx: Any) -> str | None:
        shown = argument_type(self, ctx)
        return _LIST_TYPE.sub(r"<\1>", shown) if shown is not None else None

    TyperOption.display_type_rich = option  # type: ignore[method-assign]
    TyperArgument.display_type_rich = argument  # type: ignore[method-assign,assignment]
    TyperOption._friendshore_plain = True  # type: ignore[attr-defined]


_plain_metavars()


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
