"""Dependencies shared by the routers: the engine and its current snapshot."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from friendshore.api.engine import Engine, Snapshot

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
