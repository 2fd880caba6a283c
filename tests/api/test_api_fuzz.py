"""Fuzzing of the whole API from its OpenAPI schema (schemathesis): no 5xx, ever.

The app of :func:`~friendshore.api.app.create_app` over the session store, with a SQLite
registry and an issuer's token, is called in process with generated requests:

- every operation, a few generated requests each, sent with the issuer's token and
  without a token (public);
- stateful sequences along the links schemathesis infers from the schema (a submitted
  declaration's ``ref`` into the certificate request, an issued ``serial`` into its
  reads and revocation, a job's ``id`` into its status and cancellation, list entries
  into their detail routes), as the issuer.

Checks: no 5xx, and every 4xx in the app's error format ``{detail, field}``. Bounded for
CI: few examples, derandomised, and a job queue of two jobs with one worker (a generated
job that is accepted runs in the background and is cancelled at the end).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_helpers import TestClient
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.core.transport import Response
from schemathesis.python import asgi

from friendshore.api.app import API_PREFIX, create_app
from friendshore.api.jobs import JobLimits
from friendshore.compliance.declaration import load_declaration
from friendshore.compliance.service import ComplianceService, Principal, Role
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir
from friendshore.data.registry import Registry
from fuzz_checks import CHECKS, is_app_error

pytestmark = pytest.mark.slow

# The schema is loaded at import (schemathesis' lazy fixture loader does not run on
# pytest 9) from an app built on a path that is never read; the requests go to the app
# over the session store (``app=`` of each call), made by the module fixture below.
_SCHEMA_APP = create_app(store_path=Path("schema-only.duckdb"))
_COMPLIANCE = f"{API_PREFIX}/compliance"
_ON = date(2025, 3, 1)  # the example declaration's evidence is valid then
_ISSUE = "issue_certificate_api_v1_compliance_certificates_post"
_BY_SERIAL = (
    "get_certificate_api_v1_compliance_certificates__serial__get",
    "verify_serial_api_v1_compliance_certificates__serial__verify_get",
    "revoke_certificate_api_v1_compliance_certificates__serial__revoke_post",
)


def _link(operation: str, *, parameters: Any = None, body: Any = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation}
    if parameters is not None:
        link["parameters"] = parameters
    if body is not None:
        link["requestBody"] = body
    return link


def _add_links(raw: dict[str, Any]) -> None:
    """Links schemathesis cannot infer: stored declarations into issuance, serials (issued
    or listed) into a certificate's read, verification and revocation."""
    paths = raw["paths"]

    def links(path: str, method: str, status: str) -> dict[str, Any]:
        response: dict[str, Any] = paths[path][method]["responses"][status]
        return response.setdefault("links", {})

    for path, method, status, ref in (
        (f"{_COMPLIANCE}/declarations", "get", "200", "$response.body#/0/ref"),
        (f"{_COMPLIANCE}/declarations", "post", "201", "$response.body#/ref"),
    ):
        links(path, method, status)["IssueFromDeclaration"] = _link(
            _ISSUE, body={"declaration_ref": ref, "declaration": None, "evaluation_date": str(_ON)}
        )
    for path, method, status, serial in (
        (f"{_COMPLIANCE}/certificates", "get", "200", "$response.body#/0/serial"),
        (f"{_COMPLIANCE}/certificates", "post", "201", "$response.body#/serial"),
    ):
        for n, operation in enumerate(_BY_SERIAL):
            links(path, method, status)[f"BySerial{n}"] = _link(
                operation, parameters={"serial": serial}
            )


_add_links(_SCHEMA_APP.openapi())  # the app serves this (cached) document
schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", _SCHEMA_APP)
_APP: dict[str, Any] = {}
_JOB_LIMITS = JobLimits(max_jobs=2, anonymous_jobs=1, token_jobs=1, shutdown_s=5)


@pytest.fixture(scope="module", autouse=True)
def _app(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    tmp = tmp_path_factory.mktemp("api-fuzz")
    keys = tmp / "keys"
    keystore.generate_key(keys, "EU27")
    keystore.generate_zone_key(keys)  # signs the published key list
    template = tmp / "template.sqlite"
    with Registry.open(f"sqlite:///{template}") as registry:
        service = ComplianceService(registry, keys_dir=keys)
        token = service.create_api_key(Role.ISSUER, "EU27")
        # one stored declaration and one certificate: the lists feed the links above
        issuer = Principal(Role.ISSUER, "EU27")
        example = declarations_dir() / "cathode-nmc811-illustrative.json"
        ref = service.submit_declaration(issuer, load_declaration(example)).ref
        service.issue(issuer, declaration_ref=ref, on=_ON)
    shutil.copy(template, tmp / "registry.sqlite")
    app = create_app(
        store_path=store_path,
        registry_url=f"sqlite:///{tmp / 'registry.sqlite'}",
        keys_dir=keys,
        job_limits=_JOB_LIMITS,
        warm=True,
    )
    # The lifespan runs once, in the test client (schemathesis' own ASGI client would end
    # it after each test, and this app is not restarted); requests go through a session of
    # schemathesis' ASGI client that leaves the lifespan alone.
    with TestClient(app):
        _APP.update(app=app, session=asgi.ASGIClient(app), token=token, tmp=tmp, keys=keys)
        yield
        _APP.clear()


def _fresh_registry() -> None:
    """Give the app a new copy of the seeded registry (the one it had is closed)."""
    app: FastAPI = _APP["app"]
    n = _APP["copies"] = _APP.get("copies", 0) + 1
    path = _APP["tmp"] / f"registry-{n}.sqlite"
    shutil.copy(_APP["tmp"] / "template.sqlite", path)
    old: ComplianceService = app.state.compliance_service
    app.state.compliance_service = ComplianceService(
        Registry.open(f"sqlite:///{path}"), keys_dir=_APP["keys"]
    )
    old.registry.close()


def _issuer() -> dict[str, str]:
    return {"Authorization": f"Bearer {_APP['token']}"}


@schema.parametrize()
@settings(max_examples=4, derandomize=True, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_in_any_operation(case: schemathesis.Case[Any]) -> None:
    for headers in (_issuer(), {}):
        case.call_and_validate(session=_APP["session"], headers=headers, checks=CHECKS)


# Jobs finish in the background, so their answers (202, 429, a job's state) depend on
# timing: a state machine must see the same answers for the same steps. Their linked calls
# are covered by tests/api/test_jobs_limits.py; here, by the per-operation test above.
_TIMED = r"/jobs|/scenarios/montecarlo$|/tariffs/ge$|/invest/(optimize|frontier)$|/stockpile$"


class APIWorkflow(schema.exclude(path_regex=_TIMED).as_state_machine()):  # type: ignore[misc]
    """Linked calls as the issuer, each sequence on a fresh copy of the seeded registry."""

    def setup(self) -> None:
        _fresh_registry()

    def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
        return {"session": _APP["session"], "headers": _issuer()}

    def validate_response(
        self,
        response: Response,
        case: schemathesis.Case[Any],
        additional_checks: Any = None,
        **kwargs: Any,
    ) -> None:
        case.validate_response(response, checks=CHECKS, recorder=self.recorder)


def test_no_server_errors_along_links() -> None:
    APIWorkflow.run(
        settings=settings(
            max_examples=50,
            stateful_step_count=8,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            deadline=None,
        )
    )


def test_the_format_check_refuses_other_error_bodies() -> None:
    """The check above can fail: FastAPI's own validation list, no ``field``, empty."""
    assert not is_app_error({"detail": [{"loc": ["query", "year"], "msg": "x"}]})
    assert not is_app_error({"detail": "unknown scenario"})
    assert not is_app_error({"detail": "", "field": None})
    assert is_app_error({"detail": "unknown scenario 'x'", "field": "scenario_id"})
