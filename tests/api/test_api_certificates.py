"""Certificates through the main app (``/api/v1/compliance``) on a temporary SQLite registry.

The app is :func:`friendshore.api.app.create_app` with a registry URL and a keys
directory, as ``friendshore serve --registry URL --keys DIR`` builds it: issued
by a member authority, verified by anyone, revoked by its member only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient

from friendshore.api.app import Settings, create_app
from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir

BASE = "/api/v1/compliance"


def cathode() -> dict[str, Any]:
    """The shipped illustrative cathode declaration, its audits extended to 2099 so that a
    certificate issued today is valid today."""
    text = (declarations_dir() / "cathode-nmc811-illustrative.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    for lot in data["lots"]:
        for evidence in lot["evidence"]:
            evidence["valid_to"] = "2099-12-31"
    return data


class Api:
    """The app's test client with one token per role."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
        self.tokens = {
            "eu": service.create_api_key(Role.ISSUER, "EU27"),
            "us": service.create_api_key(Role.ISSUER, "USA"),
            "auditor": service.create_api_key(Role.AUDITOR, "auditor-1"),
        }

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def get(self, path: str, who: str | None = None) -> Any:
        return self.client.get(BASE + path, headers=self.headers(who))

    def post(self, path: str, body: Any, who: str | None = None) -> Any:
        return self.client.post(BASE + path, json=body, headers=self.headers(who))


@pytest.fixture(scope="module")
def api(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api-certificates")
    keys = root / "keys"
    for member in ("EU27", "USA"):
        keystore.generate_key(keys, member)
    app = create_app(
        store_path=store_path, registry_url=f"sqlite:///{root / 'registry.sqlite'}", keys_dir=keys
    )
    with TestClient(app) as client:
        yield Api(client)
    # the registry is closed at shutdown
    assert app.state.compliance_service is None


def error(response: Any, status: int, field: str | None) -> str:
    """Assert the app-wide error body: ``detail`` a message string, ``field`` the field at fault."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str), body
    assert "field" in body, body
    assert body["field"] == field, body
    detail: str = body["detail"]
    return detail


def issue(api: Api, who: str = "eu", **body: Any) -> Any:
    return api.post("/certificates", {"declaration": cathode(), **body}, who)


def test_the_main_app_lists_the_compliance_endpoints(api: Api) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/compliance/certificates",
        "/api/v1/compliance/certificates/{serial}/verify",
        "/api/v1/compliance/certificates/{serial}/revoke",
        "/api/v1/compliance/verify",
        "/api/v1/compliance/audit",
    ):
        assert path in paths, path


def test_issue_verify_revoke(api: Api) -> None:
    response = issue(api)
    assert response.status_code == 201, response.text
    body = response.json()
    serial = body["serial"]
    today = datetime.now(UTC).date()
    assert serial.startswith(f"EU27-{today.year}-")
    assert body["member"] == "EU27"
    assert body["applicant"] == "example-cathode-gmbh"
    certificate = body["certificate"]
    assert certificate["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    # the embedded evaluation: four lots worth 600 + 500 + 200 + 50 = 1,350 US$, all of it
    # qualifying (each lot processed in a member or partner: USA, JPN, FIN, FIN)
    evaluation = certificate["credentialSubject"]["evaluation"]
    assert evaluation["status"] == "pass"
    origin = next(p for p in evaluation["packs"] if p["pack_id"] == "zone-rules-of-origin")
    figures = origin["rules"][0]["figures"]
    assert figures["total_value_usd"] == 1350.0
    assert figures["qualifying_value_usd"] == 1350.0
    assert figures["qualifying_value_share"] == 1.0
    # anyone verifies it, by serial or by the document: valid from today for 365 days
    verdict = api.get(f"/certificates/{serial}/verify").json()
    assert verdict["status"] == "valid"
    assert verdict["valid"] is True
    assert verdict["checks"] == {
        "signature": True,
        "issuer": True,
        "registry": True,
        "validity": True,
        "revocation": True,
    }
    assert verdict["valid_from"] == f"{today.isoformat()}T00:00:00Z"
    assert verdict["valid_until"] == f"{(today + timedelta(days=365)).isoformat()}T00:00:00Z"
    posted = api.post("/verify", certificate).json()
    assert (posted["status"], posted["serial"], posted["member"]) == ("valid", serial, "EU27")
    # another member's authority may not revoke it; its own may, once
    refused = api.post(f"/certificates/{serial}/revoke", {"reason": "test"}, "us")
    assert error(refused, 403, None) == "issuer USA may not revoke a certificate of EU27"
    reason = {"reason": "supplier audit withdrawn"}
    revoked = api.post(f"/certificates/{serial}/revoke", reason, "eu")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_by"] == "issuer:EU27"
    again = api.post(f"/certificates/{serial}/revoke", {"reason": "twice"}, "eu")
    assert error(again, 409, "serial") == f"certificate {serial} is already revoked"
    after = api.get(f"/certificates/{serial}/verify").json()
    assert after["status"] == "revoked"
    assert after["valid"] is False
    assert after["checks"]["revocation"] is False
    assert after["checks"]["signature"] is True
    assert after["revocation_reason"] == "supplier audit withdrawn"
    assert api.post("/verify", certificate).json()["status"] == "revoked"


def test_a_changed_byte_fails_verification(api: Api) -> None:
    certificate = issue(api).json()["certificate"]
    certificate["credentialSubject"]["product"]["name"] += "!"
    verdict = api.post("/verify", certificate).json()
    assert verdict["status"] == "invalid_signature"
    assert verdict["checks"]["signature"] is False


def test_unknown_serial(api: Api) -> None:
    for response in (
        api.get("/certificates/NO-SUCH-SERIAL", "auditor"),
        api.post("/certificates/NO-SUCH-SERIAL/revoke", {"reason": "x"}, "eu"),
    ):
        assert error(response, 404, "serial") == "no certificate 'NO-SUCH-SERIAL'"
    # the public check answers, and says so
    verdict = api.get("/certificates/NO-SUCH-SERIAL/verify").json()
    assert verdict["status"] == "not_in_registry"
    assert verdict["valid"] is False


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/certificates", {"declaration": cathode(), "valid_days": 0}, "valid_days"),
        ("/certificates", {"declaration": cathode(), "packs": ["no-such-pack"]}, "packs.0"),
        (
            "/certificates",
            {"declaration": {**cathode(), "lots": [{**cathode()["lots"][0], "value_usd": -1}]}},
            "declaration.lots.0.value_usd",
        ),
        ("/certificates/EU27-2026-000000000000/revoke", {"reason": ""}, "reason"),
        ("/certificates/EU27-2026-000000000000/revoke", {"why": "x"}, "reason"),
    ],
)
def test_bad_bodies_name_the_field(api: Api, path: str, body: Any, field: str) -> None:
    response = api.post(path, body, "eu")
    assert field in error(response, 422, field)


def test_bad_serial_in_the_path_names_the_field(api: Api) -> None:
    response = api.get("/certificates/bad%20serial!/verify")
    assert "should match pattern" in error(response, 422, "serial")


def test_refusals_in_the_main_app(api: Api) -> None:
    no_token = api.get("/certificates")
    assert no_token.json() == {
        "detail": "this endpoint needs a bearer token (Authorization: Bearer …)",
        "field": None,
    }
    assert error(no_token, 401, None)
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert "needs auditor" in error(api.get("/audit", "eu"), 403, None)
    # a declaration that does not pass: the message, and the evaluation beside it
    failing = cathode()
    failing["lots"][0]["suppliers"][0]["country"] = "CHN"
    refused = issue(api, declaration=failing)
    detail = error(refused, 422, "declaration")
    assert detail.startswith("the declaration does not pass: zone-feoc/")
    assert refused.json()["evaluation"]["status"] == "fail"


def test_settings_read_the_registry_and_keys_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FRIENDSHORE_REGISTRY", f"sqlite:///{tmp_path / 'r.sqlite'}")
    monkeypatch.setenv("FRIENDSHORE_KEYS", str(tmp_path / "keys"))
    settings = Settings.from_env()
    assert settings.registry == f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert settings.keys == tmp_path / "keys"
    monkeypatch.delenv("FRIENDSHORE_REGISTRY")
    monkeypatch.delenv("FRIENDSHORE_KEYS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = Settings.from_env()
    assert default.registry.startswith("sqlite:///")
    assert default.registry.endswith("registry.sqlite")
    assert default.keys.name == "keys"
