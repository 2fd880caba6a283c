"""Dependencies shared by the routers: the engine and its current snapshot."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from friendshore._core.errors import InputError
from friendshore.api.engine import Engine, Snapshot
from friendshore.api.errors import FieldError, NotFoundError
from friendshore.api.limits import CANONICAL_QUERY
from friendshore.data.names import resolve_member, resolve_mineral

JSON: Final = "application/json"
#: Header marking a response that depends on the store snapshot only (and the URL):
#: :class:`~friendshore.api.app.HotCache` keeps it and answers the same URL from memory.
SNAPSHOT_HEADER: Final = "x-friendshore-cache"


def engine(request: Request) -> Engine:
    """The app's engine."""
    found: Engine = request.app.state.engine
    return found


async def snapshot(request: Request) -> Snapshot:
    """The current snapshot; read and assessed in a worker thread if the store changed."""
    found = engine(request)
    snap = found.current()
    return snap if snap is not None else await run_in_threadpool(found.snapshot)


def json_bytes(content: bytes, *, snapshot: bool = False) -> Response:
    """A response of already serialised JSON; ``snapshot``: it depends on the store and URL
    only, so the same URL may be answered from memory until the store changes."""
    headers = {SNAPSHOT_HEADER: "snapshot"} if snapshot else None
    return Response(content=content, media_type=JSON, headers=headers)


EngineDep = Annotated[Engine, Depends(engine)]
SnapshotDep = Annotated[Snapshot, Depends(snapshot)]


_MINERAL_DOC: Final = (
    "a mineral: catalog id or name in any case, or a synonym (lithium, rare earths, REE, "
    "aluminium); see /api/v1/minerals"
)
_MEMBER_DOC: Final = (
    "a member: id in any case (EU27, usa), a country or bloc name (Japan, European Union), "
    "or 'zone'"
)


def not_canonical(request: Request) -> None:
    """Mark the request's URL as not the canonical spelling of its query (a name for an id,
    a default restated): answered from the endpoint's cache, never kept again by URL."""
    request.scope[CANONICAL_QUERY] = False


def mineral_query(
    request: Request, mineral: Annotated[str, Query(max_length=60, description=_MINERAL_DOC)]
) -> str:
    """The catalog id of the ``mineral`` query parameter (422 with a did-you-mean if none)."""
    try:
        found = resolve_mineral(mineral).mineral_id
    except InputError as exc:
        raise FieldError(str(exc), field="mineral") from exc
    if found != mineral:
        not_canonical(request)
    return found


def optional_mineral_query(
    request: Request,
    mineral: Annotated[str | None, Query(max_length=60, description=_MINERAL_DOC)] = None,
) -> str | None:
    """As :func:`mineral_query`, ``None`` when the parameter is left out."""
    return None if mineral is None else mineral_query(request, mineral)


def mineral_path(
    request: Request, mineral: Annotated[str, Path(max_length=60, description=_MINERAL_DOC)]
) -> str:
    """The catalog id of the ``{mineral}`` path segment (404 with a did-you-mean if none)."""
    try:
        found = resolve_mineral(mineral).mineral_id
    except InputError as exc:
        raise NotFoundError(str(exc), field="mineral") from exc
    if found != mineral:
        not_canonical(request)
    return found


def member_query(
    request: Request, member: Annotated[str, Query(max_length=60, description=_MEMBER_DOC)]
) -> str:
    """The member id of the ``member`` query parameter: ``EU27`` for ``eu27``, ``JPN`` for
    ``Japan``, ``zone`` (422 with a did-you-mean if it names nothing); membership is the
    route's check."""
    try:
        found = resolve_member(member)
    except InputError as exc:
        raise FieldError(str(exc), field="member") from exc
    if found != member:
        not_canonical(request)
    return found


def member_path(
    request: Request, member: Annotated[str, Path(max_length=60, description=_MEMBER_DOC)]
) -> str:
    """As :func:`member_query` for the ``{member}`` path segment (404 if it names nothing)."""
    try:
        found = resolve_member(member)
    except InputError as exc:
        raise NotFoundError(str(exc), field="member") from exc
    if found != member:
        not_canonical(request)
    return found


#: A route's ``mineral`` query parameter, resolved to the catalog id.
MineralQuery = Annotated[str, Depends(mineral_query)]
#: An optional ``mineral`` query parameter, resolved (``None`` when left out).
OptionalMineralQuery = Annotated[str | None, Depends(optional_mineral_query)]
#: A route's ``{mineral}`` path segment, resolved to the catalog id.
MineralPath = Annotated[str, Depends(mineral_path)]
#: A route's ``member`` query parameter, resolved to a member id (or ISO3, or ``zone``).
MemberQuery = Annotated[str, Depends(member_query)]
#: A route's ``{member}`` path segment, resolved.
MemberPath = Annotated[str, Depends(member_path)]
