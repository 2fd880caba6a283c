"""Errors as JSON: ``{"detail": message, "field": field at fault}``.

- a friendshore :class:`~friendshore._core.errors.InputError` (bad query value, invalid
  scenario, infeasible response) → 422, ``field`` from the error or the parameter
  that carried the value (:func:`at_field`);
- an unknown id in a path (mineral, member, scenario, job) → 404 (:class:`NotFoundError`);
- a request that fails pydantic validation → 422, ``field`` the dotted location
  (``shocks.0.share``) of the first error, ``errors`` all of them;
- a missing or locked store → 503;
- no slot free for a heavy run (:class:`BusyError`) → 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pydantic
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from friendshore._core.errors import (
    DataError,
    FriendshoreError,
    InfeasibleError,
    InputError,
    StoreError,
)
from friendshore.api.web import not_found_page
from friendshore.model.fields import plain_words

_SHOCK_TAGS = frozenset({"export_restriction", "production_loss", "by_product"})
_ROOTS = frozenset({"body", "query", "path", "header", "cookie"})


class ErrorBody(pydantic.BaseModel):
    """The body of every error response."""

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


class NotFoundError(FriendshoreError):
    """An id in the path names nothing (HTTP 404)."""

    def __init__(self, message: str, *, field: str) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class FieldError(InputError):
    """Bad input carried by one request parameter (HTTP 422)."""

    def __init__(self, message: str, *, field: str | None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class BusyError(FriendshoreError):
    """The server is busy with as many heavy runs as it allows (HTTP 429, ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


@contextmanager
def at_field(name: str) -> Iterator[None]:
    """Name ``name`` as the field at fault of an :class:`InputError` raised inside."""
    try:
        yield
    except FieldError:
        raise
    except DataError as exc:
        if exc.field is None:
            raise FieldError(exc.message, field=name) from exc
        raise
    except InputError as exc:
        raise FieldError(str(exc), field=name) from exc


def error_field(loc: Sequence[Any]) -> str:
    """Dotted field of a pydantic error location, without ``body`` and union tags."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _ROOTS:
        parts = parts[1:]
    parts = [p for p in parts if p not in _SHOCK_TAGS]
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    words = plain_words(error)  # an id's allowed form, a share written as a percentage
    if words is not None:
        return words
    msg = str(error.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _json(status: int, body: ErrorBody) -> JSONResponse:
    # every error body has ``detail`` and ``field`` (null where no field is at fault)
    payload = body.model_dump(exclude_none=True)
    payload.setdefault("field", None)
    return JSONResponse(payload, status_code=status)


def validation_response(errors: Sequence[Any]) -> JSONResponse:
    """422 for pydantic errors: the first error's message and field, then all of them."""
    listed = [
        {"field": error_field(e.get("loc", ())), "detail": _message(e), "type": e.get("type")}
        for e in errors
    ]
    first = listed[0] if listed else {"field": None, "detail": "invalid request"}
    detail = f"{first['detail']} (field {first['field']!r})" if first["field"] else first["detail"]
    return _json(422, ErrorBody(detail=detail, field=first["field"] or None, errors=listed))


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    async def request_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_response(list(exc.errors()))

    async def model_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, pydantic.ValidationError)
        return validation_response(list(exc.errors()))

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotFoundError)
        return _json(404, ErrorBody(detail=exc.message, field=exc.field))

    async def bad_input(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InputError)
        field = getattr(exc, "field", None)
        message = getattr(exc, "message", None) or str(exc)
        return _json(422, ErrorBody(detail=message, field=field))

    async def infeasible(_: Request, exc: Exception) -> JSONResponse:
        return _json(422, ErrorBody(detail=str(exc)))

    async def busy(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BusyError)
        return JSONResponse(
            {"detail": exc.message, "field": None},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    async def store_error(_: Request, exc: Exception) -> JSONResponse:
        return _json(503, ErrorBody(detail=str(exc)))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404 and not request.url.path.startswith("/api/"):
            return not_found_page()  # the dashboard's 404 page
        return JSONResponse(
            {"detail": exc.detail, "field": None}, status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(pydantic.ValidationError, model_invalid)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(InputError, bad_input)
    app.add_exception_handler(InfeasibleError, infeasible)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(BusyError, busy)
    app.add_exception_handler(StarletteHTTPException, http_error)
