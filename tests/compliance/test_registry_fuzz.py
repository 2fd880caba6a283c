"""Fuzzing of the registry API from its OpenAPI schema (schemathesis): no 5xx, ever.

Every operation is called with generated bodies, paths, queries and headers, on
SQLite with an issuer's token and with an auditor's, and on PostgreSQL (which
refuses NUL characters in text) with an issuer's (bounded: a few examples each).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from compliance_helpers import TestClient  # noqa: F401  (imports starlette's client quietly)
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from friendshore.api.registry import API_PREFIX, router
from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.registry import Registry

TOKENS: dict[str, str] = {}

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
    registry = Registry.open(f"sqlite:///{tmp / 'registry.sqlite'}")
    service = ComplianceService(registry, keys_dir=tmp / "keys")
    TOKENS["issuer"] = service.create_api_key(Role.ISSUER, "EU27")
    TOKENS["auditor"] = service.create_api_key(Role.AUDITOR, "fuzzer")
    fuzz_app.state.compliance_service = service
    yield
    del fuzz_app.state.compliance_service
    registry.close()


@pytest.fixture(scope="module")
def pg_service(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The PostgreSQL app's service; yields an issuer token."""
    keys = tmp_path_factory.mktemp("fuzz-pg") / "keys"
    keystore.generate_key(keys, "EU27")
    registry = Registry.open(pg_database)
    service = ComplianceService(registry, keys_dir=keys)
    token = service.create_api_key(Role.ISSUER, "EU27")
    pg_app.state.compliance_service = service
    yield token
    del pg_app.state.compliance_service
    registry.close()


@schema.parametrize()
@settings(max_examples=6, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_as_issuer(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKENS['issuer']}"}, checks=[not_a_server_error]
    )


@schema.parametrize()
@settings(max_examples=3, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_as_auditor(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKENS['auditor']}"}, checks=[not_a_server_error]
    )


@pg_schema.parametrize()
@settings(max_examples=3, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_on_postgresql(case: schemathesis.Case[Any], pg_service: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {pg_service}"}, checks=[not_a_server_error]
    )


def test_the_schema_lists_every_operation() -> None:
    paths = set(fuzz_app.openapi()["paths"])
    assert {
        f"{API_PREFIX}/compliance/declarations",
        f"{API_PREFIX}/compliance/evaluations",
        f"{API_PREFIX}/compliance/certificates",
        f"{API_PREFIX}/compliance/certificates/{{serial}}/revoke",
        f"{API_PREFIX}/compliance/certificates/{{serial}}/verify",
        f"{API_PREFIX}/compliance/verify",
        f"{API_PREFIX}/compliance/audit",
        f"{API_PREFIX}/compliance/audit/verify",
    } <= paths
