"""Fuzzing of the registry API from its OpenAPI schema (schemathesis): no 5xx, ever.

Every operation is called with generated bodies, paths, queries and headers: on
SQLite each generated request is sent as every role (issuer, auditor, applicant)
and without a token (public), and on PostgreSQL (which refuses NUL characters in
text) as an issuer. Every 4xx must be an error in the app's format (``detail`` a
message string, ``field`` the field at fault or null). Bounded: a few examples per
operation (generating declarations dominates the time, so one request is sent four
times rather than generated four times).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from compliance_helpers import TestClient  # noqa: F401  (imports starlette's client quietly)
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from friendshore.api.registry import API_PREFIX, router
from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.registry import Registry
from fuzz_checks import CHECKS, is_app_error

TOKENS: dict[str, str] = {}
ROLES = ("issuer", "auditor", "applicant", None)  # None: public, no token

# The schema is loaded at import (schemathesis' lazy fixture loader does not run on
# pytest 9); the app gets its service from the module fixture below before any call.
fuzz_app = FastAPI(title="registry (fuzz)")
fuzz_app.include_router(router, prefix=API_PREFIX)
schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
pg_app = FastAPI(title="registry (fuzz, PostgreSQL)")
pg_app.include_router(router, prefix=API_PREFIX)
pg_schema = schemathesis.openapi.from_asgi("/openapi.json", pg_app)


@pytest.fixture(scope="module", autouse=True)
def _service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    tmp = tmp_path_factory.mktemp("fuzz")
    keystore.generate_key(tmp / "keys", "EU27")
    keystore.generate_zone_key(tmp / "keys")  # signs the key list of GET /compliance/keys
    registry = Registry.open(f"sqlite:///{tmp / 'registry.sqlite'}")
    service = ComplianceService(registry, keys_dir=tmp / "keys")
    TOKENS["issuer"] = service.create_api_key(Role.ISSUER, "EU27")
    TOKENS["auditor"] = service.create_api_key(Role.AUDITOR, "fuzzer")
    TOKENS["applicant"] = service.create_api_key(Role.APPLICANT, "example-cathode-gmbh")
    fuzz_app.state.compliance_service = service
    yield
    del fuzz_app.state.compliance_service
    registry.close()


@pytest.fixture(scope="module")
def pg_service(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The PostgreSQL app's service; yields an issuer token."""
    keys = tmp_path_factory.mktemp("fuzz-pg") / "keys"
    keystore.generate_key(keys, "EU27")
    keystore.generate_zone_key(keys)
    registry = Registry.open(pg_database)
    service = ComplianceService(registry, keys_dir=keys)
    token = service.create_api_key(Role.ISSUER, "EU27")
    pg_app.state.compliance_service = service
    yield token
    del pg_app.state.compliance_service
    registry.close()


def _auth(role: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}


@schema.parametrize()
@settings(max_examples=5, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_for_any_role(case: schemathesis.Case[Any]) -> None:
    for role in ROLES:
        case.call_and_validate(headers=_auth(role), checks=CHECKS)


@pg_schema.parametrize()
@settings(max_examples=3, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_on_postgresql(case: schemathesis.Case[Any], pg_service: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {pg_service}"}, checks=CHECKS)


def test_the_format_check_refuses_the_old_error_bodies() -> None:
    """The check above can fail: the old forms (an object as ``detail``, no ``field``)."""
    old = {"detail": {"message": "the declaration does not pass", "evaluation": {}}}
    assert not is_app_error(old)
    assert not is_app_error({"detail": "unknown API key"})
    assert not is_app_error({"detail": "", "field": None})
    assert not is_app_error({"detail": [{"loc": ["body"], "msg": "x"}], "field": None})
    assert is_app_error({"detail": "unknown API key", "field": None})
    assert is_app_error({"detail": "does not pass", "field": "declaration", "evaluation": {}})
