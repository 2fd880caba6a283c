"""Schemathesis checks shared by the API and registry fuzz tests: no 5xx, every 4xx in the
app's ``{detail, field}`` error format."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response

__all__ = ["CHECKS", "errors_in_the_app_format", "is_app_error"]

# Starlette's own answers for a path or method no route matches (not the router's).
_ROUTING = ({"detail": "Not Found"}, {"detail": "Method Not Allowed"})


def is_app_error(body: Any) -> bool:
    """Whether ``body`` is an error in the app's format: a message and the field (or null)."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("detail"), str)
        and bool(body["detail"])
        and "field" in body
        and (body["field"] is None or isinstance(body["field"], str))
    )


def errors_in_the_app_format(
    ctx: CheckContext, response: Response, case: schemathesis.Case[Any]
) -> bool | None:
    """Every 4xx is ``{"detail": "<message>", "field": <field or null>, …}``."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert body in _ROUTING or is_app_error(body), (
            f"{case.operation.label}: {response.status_code} not in the app's error format: "
            f"{response.text[:500]}"
        )
    return None


CHECKS = [not_a_server_error, errors_in_the_app_format]
