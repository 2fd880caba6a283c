"""Limits that keep the service up for every caller: body size, query, list lengths, work.

- :class:`ApiLimits`: the configurable limits, one frozen object (``create_app(limits=…)``,
  ``friendshore serve`` options, ``FRIENDSHORE_*`` variables: :meth:`ApiLimits.from_env`).
- :class:`BodyLimit`: an ASGI middleware answering 413 to a request body over
  ``max_body_bytes``, counted as it arrives (a declared ``Content-Length`` over the limit
  is refused before any byte is read; a chunked body or one that says less than it
  sends is cut off at the limit).
- :func:`known_query`: a dependency of every ``/api/v1`` route refusing a query parameter
  the route does not declare (422 naming it), and marking a query in canonical form
  (declared names, sorted, each once, no default restated) so that only those responses
  are cached by URL: a caller cannot grow the cache with junk or reordered parameters.
- :func:`heavy_slot` (``dependencies=[HEAVY]``): at most ``heavy_concurrency`` synchronous
  heavy runs at once per app; a request waits up to ``heavy_wait_s`` for a slot, then
  gets 429 with ``Retry-After``.
- :func:`check_length`: a list in a request body longer than its bound is a 422 naming it.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import pydantic
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from friendshore._core.errors import InputError
from friendshore.api.engine import CACHE_BYTES
from friendshore.api.errors import BusyError, FieldError

#: Default most bytes of a request body: 2 MiB (the shipped declarations, pipelines,
#: schedules, reference files and scenarios are 1–9 kB each).
MAX_BODY_BYTES: Final = 2 * 1024 * 1024
#: Default heavy runs (scenario run, SMART, floor run, membership) at once per app.
HEAVY_CONCURRENCY: Final = 2
#: Default seconds a heavy request waits for a slot before 429.
HEAVY_WAIT_S: Final = 5.0
#: Most projects in an investment request's ``projects`` (the shipped pipeline has 32).
MAX_PROJECTS: Final = 500
#: Most shocks in a scenario body (the shipped scenarios have 1–3).
MAX_SHOCKS: Final = 100
#: Most rows (``rates``) of a tariff schedule in a request (the shipped ones have ≤ 20).
MAX_SCHEDULE_RATES: Final = 10_000
#: Scope key set by :func:`known_query`: the query string is canonical (cacheable by URL).
CANONICAL_QUERY: Final = "friendshore.canonical_query"

_ENV: Final = {
    "max_body_bytes": "FRIENDSHORE_MAX_BODY_BYTES",
    "cache_bytes": "FRIENDSHORE_CACHE_BYTES",
    "heavy_concurrency": "FRIENDSHORE_HEAVY_CONCURRENCY",
    "heavy_wait_s": "FRIENDSHORE_HEAVY_WAIT_S",
}
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiLimits(pydantic.BaseModel):
    """The limits of one app (``friendshore serve`` options, ``FRIENDSHORE_*`` variables).

    Attributes
    ----------
    max_body_bytes
        Most bytes of a request body (413 beyond).
    cache_bytes
        Bound of each response cache in bytes (the store snapshot's; the runs'),
        least recently used evicted first.
    heavy_concurrency
        Synchronous heavy runs at once (``POST /scenarios/run``, ``/tariffs/smart``,
        ``/floors/run``, ``GET /metrics/membership``).
    heavy_wait_s
        Seconds a heavy request waits for a slot before 429 with ``Retry-After``
        (``0``: refuse at once).
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = pydantic.Field(MAX_BODY_BYTES, ge=1024, le=2**31)
    cache_bytes: int = pydantic.Field(CACHE_BYTES, ge=0, le=2**40)
    heavy_concurrency: int = pydantic.Field(HEAVY_CONCURRENCY, ge=1, le=256)
    heavy_wait_s: float = pydantic.Field(HEAVY_WAIT_S, ge=0, le=600)

    @classmethod
    def from_env(cls, **overrides: Any) -> ApiLimits:
        """The limits from ``FRIENDSHORE_MAX_BODY_BYTES``, ``FRIENDSHORE_CACHE_BYTES``,
        ``FRIENDSHORE_HEAVY_CONCURRENCY`` and ``FRIENDSHORE_HEAVY_WAIT_S`` (unset: the
        default), then ``overrides`` that are not ``None`` (the command-line options).

        Raises
        ------
        InputError
            If a value is not a number or out of range (naming the variable).
        """
        values: dict[str, Any] = {
            name: os.environ[var] for name, var in _ENV.items() if os.environ.get(var)
        }
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        try:
            return cls.model_validate(values)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else ""
            origin = f"--{name.replace('_', '-')}" if name in given else _ENV.get(name, name)
            raise InputError(f"{origin}: {error['msg']}") from None


# --- request bodies ----------------------------------------------------------------------


class _BodyTooLargeError(Exception):
    """The body went over the limit while the app was reading it."""


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse_body(send: Send, limit: int) -> None:
    body = (
        f'{{"detail":"the request body is over the limit of {limit} bytes","field":null}}'
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 ``{detail, field: null}`` for a body over ``max_bytes``.

    A declared ``Content-Length`` over the limit is answered before the body is read.
    Otherwise the bytes are counted as the app reads them (a chunked body, or one longer
    than it declared): past the limit the read fails, the app's own answer is dropped
    and the 413 is sent instead, so no more than ``max_bytes`` plus one chunk is read.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse_body(send, limit)
            return
        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:
                raise _BodyTooLargeError
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _BodyTooLargeError
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to a body it could not read: replaced below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _BodyTooLargeError:
            if started:
                raise
        if over and not started:
            await _refuse_body(send, limit)


# --- query parameters --------------------------------------------------------------------


#: Declared query parameters of a route (name → default as text, ``None`` if none), by id.
_ROUTE_QUERY: dict[int, tuple[APIRoute, dict[str, str | None]]] = {}


def _default_text(default: Any) -> str | None:
    if default is None or default is PydanticUndefined or default is Ellipsis:
        return None
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default) if isinstance(default, str | int | float) else None


def _declared_query(route: APIRoute) -> dict[str, str | None]:
    """The query parameters ``route`` (and its dependencies) declare, with defaults as text."""
    found = _ROUTE_QUERY.get(id(route))
    if found is not None and found[0] is route:
        return found[1]
    names: dict[str, str | None] = {}
    stack: list[Dependant] = [route.dependant]
    while stack:
        dependant = stack.pop()
        for param in dependant.query_params:
            annotation = param.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
                for name, info in annotation.model_fields.items():
                    names[info.alias or name] = _default_text(info.default)
            else:
                names[param.alias] = _default_text(param.field_info.default)
        stack.extend(dependant.dependencies)
    _ROUTE_QUERY[id(route)] = (route, names)
    return names


def _is_canonical(raw: str, pairs: Sequence[tuple[str, str]], declared: dict[str, Any]) -> bool:
    names = [name for name, _ in pairs]
    if names != sorted(set(names)):
        return False  # out of order or repeated
    if any(value == "" or value == declared[name] for name, value in pairs):
        return False  # blank, or a default restated
    return urlencode(pairs) == raw


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not declare; mark a canonical query.

    Raises
    ------
    FieldError
        422 naming the first unknown parameter (and the ones the route takes).
    """
    route = request.scope.get("route")
    raw = request.scope.get("query_string", b"").decode("latin-1")
    if not isinstance(route, APIRoute):
        return
    declared = _declared_query(route)
    if not raw:
        request.scope[CANONICAL_QUERY] = True
        return
    pairs = parse_qsl(raw, keep_blank_values=True)
    for name, _ in pairs:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise FieldError(
                f"unknown query parameter {name[:60]!r} (this endpoint takes: {known})",
                field=name[:60],
            )
    request.scope[CANONICAL_QUERY] = _is_canonical(raw, pairs, declared)


KNOWN_QUERY: Final = Depends(known_query)


# --- heavy runs --------------------------------------------------------------------------


class HeavyGate:
    """At most ``slots`` heavy runs at once; a caller waits up to ``wait_s`` for a slot.

    The semaphore belongs to the event loop that serves the app (made on first use, and
    again if the app is served by another loop, as test clients do).
    """

    def __init__(self, slots: int, wait_s: float) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore = asyncio.Semaphore(slots)

    def _current(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._semaphore = asyncio.Semaphore(self.slots)
        return self._semaphore

    async def acquire(self) -> bool:
        """Take a slot; ``False`` if none was free within ``wait_s``."""
        semaphore = self._current()
        if not semaphore.locked():
            await semaphore.acquire()
            return True
        if self.wait_s <= 0:
            return False
        try:
            await asyncio.wait_for(semaphore.acquire(), self.wait_s)
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        """Give a slot back."""
        self._semaphore.release()


async def heavy_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the app's heavy-run slots while the endpoint runs.

    Raises
    ------
    BusyError
        429 with ``Retry-After`` if no slot was free within the wait.
    """
    gate: HeavyGate | None = getattr(request.app.state, "heavy_gate", None)
    if gate is None:
        yield
        return
    if not await gate.acquire():
        retry = max(1, math.ceil(gate.wait_s))
        raise BusyError(
            f"{gate.slots} heavy runs are in progress: try again in {retry} s",
            retry_after=retry,
        )
    try:
        yield
    finally:
        gate.release()


#: ``dependencies=[HEAVY]`` on a route: it takes a heavy-run slot.
HEAVY: Final = Depends(heavy_slot, scope="function")


def check_length(items: Sequence[Any] | None, limit: int, *, field: str) -> None:
    """Refuse a body list longer than ``limit`` (422 naming ``field``).

    Raises
    ------
    FieldError
        If ``items`` has more than ``limit`` entries.
    """
    if items is not None and len(items) > limit:
        raise FieldError(
            f"{len(items)} entries in {field}: at most {limit} in one request", field=field
        )
