"""The registry REST API through a test client, on SQLite and PostgreSQL: roles, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compliance_helpers import EVIDENCE, TestClient, make_declaration, make_lot

from friendshore.api.registry import create_registry_app
from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir

BASE = "/api/v1/compliance"


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-keys") / "keys"
    for member in ("EU27", "USA"):
        keystore.generate_key(path, member)
    return path


class Api:
    """A client with one token per role."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
        self.tokens = {
            "applicant": service.create_api_key(Role.APPLICANT, "example-cathode-gmbh"),
            "other_applicant": service.create_api_key(Role.APPLICANT, "someone-else"),
            "eu": service.create_api_key(Role.ISSUER, "EU27"),
            "us": service.create_api_key(Role.ISSUER, "USA"),
            "auditor": service.create_api_key(Role.AUDITOR, "auditor-1"),
        }

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        out = dict(extra)
        if who is not None:
            out["Authorization"] = f"Bearer {self.tokens.get(who, who)}"
        return out

    def get(self, path: str, who: str | None = None) -> Any:
        return self.client.get(BASE + path, headers=self.headers(who))

    def post(self, path: str, body: Any, who: str | None = None, **headers: str) -> Any:
        return self.client.post(BASE + path, json=body, headers=self.headers(who, **headers))


@pytest.fixture
def api(registry_url: str, keys_dir: Path) -> Iterator[Api]:
    app = create_registry_app(registry_url=registry_url, keys_dir=keys_dir)
    with TestClient(app) as client:
        yield Api(client)


def _cathode() -> dict[str, Any]:
    text = (declarations_dir() / "cathode-nmc811-illustrative.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _issue(api: Api, who: str = "eu", key: str | None = None, **body: Any) -> Any:
    payload = {"declaration": _cathode(), "evaluation_date": "2025-03-01", **body}
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/certificates", payload, who, **headers)


def test_protected_endpoints_need_a_token(api: Api) -> None:
    for method, path in [
        ("get", "/declarations"),
        ("get", "/certificates"),
        ("get", "/audit"),
        ("get", "/audit/verify"),
    ]:
        response = getattr(api.client, method)(BASE + path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "bearer token" in response.json()["detail"]
    response = api.post("/certificates", {"declaration_ref": "D-1"})
    assert response.status_code == 401
    assert _issue(api, who="fsk_not-a-key").status_code == 401
    assert _issue(api, who="fsk_not-a-key").json() == {"detail": "unknown API key"}


def test_roles_are_enforced_with_403_and_a_json_body(api: Api) -> None:
    response = _issue(api, who="applicant")
    assert response.status_code == 403
    assert response.json()["detail"] == "role applicant may not do this (needs issuer)"
    assert api.get("/audit", "eu").status_code == 403
    assert api.get("/audit", "applicant").status_code == 403
    response = api.post("/declarations", _cathode(), "other_applicant")
    assert response.status_code == 403
    assert "may not submit a declaration of example-cathode-gmbh" in response.json()["detail"]


def test_applicant_submits_and_lists_its_declarations(api: Api) -> None:
    first = api.post("/declarations", _cathode(), "applicant")
    assert first.status_code == 201
    ref = first.json()["ref"]
    assert api.post("/declarations", _cathode(), "applicant").json()["ref"] == ref
    assert [d["ref"] for d in api.get("/declarations", "applicant").json()] == [ref]
    assert api.get("/declarations", "other_applicant").json() == []
    assert api.get(f"/declarations/{ref}", "other_applicant").status_code == 404
    assert api.get(f"/declarations/{ref}", "auditor").json()["id"] == (
        "DEC-ILLUSTRATIVE-NMC811-0001"
    )
    evaluation = api.post(
        "/evaluations",
        {"declaration_ref": ref, "packs": ["us-ira-30d-critical-minerals"]},
        "applicant",
    )
    assert evaluation.status_code == 200
    rule = evaluation.json()["packs"][0]["rules"][0]
    assert rule["figures"]["qualifying_value_share"] == pytest.approx(1100 / 1350)


def test_issue_verify_and_public_verification(api: Api) -> None:
    response = _issue(api)
    assert response.status_code == 201
    body = response.json()
    serial = body["serial"]
    assert body["member"] == "EU27"
    assert body["certificate"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    # public: no token needed to verify (the certificate ran from 2025-03-01 to 2026-03-01)
    check = api.get(f"/certificates/{serial}/verify").json()
    assert check["checks"]["signature"] is True
    assert check["checks"]["issuer"] is True
    assert check["status"] == "expired"
    posted = api.post("/verify", body["certificate"]).json()
    assert posted["checks"]["registry"] is True
    # a certificate dated today (audit valid until 2099) is valid now
    decl = make_declaration(make_lot(evidence=[{**EVIDENCE, "valid_to": "2099-12-31"}]))
    fresh = api.post("/certificates", {"declaration": decl.model_dump(mode="json")}, "eu")
    assert fresh.status_code == 201
    verdict = api.get(f"/certificates/{fresh.json()['serial']}/verify").json()
    assert verdict["valid"] is True
    assert verdict["status"] == "valid"
    assert api.get("/certificates/NO-SUCH/verify").json()["status"] == "not_in_registry"


def test_tampered_certificate_fails_verification(api: Api) -> None:
    cert = _issue(api).json()["certificate"]
    text = json.dumps(cert)
    position = text.index('"value_usd": 600')
    tampered = text[: position + 14] + "7" + text[position + 15 :]  # 600 -> 700
    result = api.post("/verify", json.loads(tampered)).json()
    assert result["valid"] is False
    assert result["status"] == "invalid_signature"
    assert result["checks"]["signature"] is False


def test_idempotency_key_issues_once(api: Api) -> None:
    first = _issue(api, key="order-42")
    again = _issue(api, key="order-42")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["serial"] == first.json()["serial"]
    other = _issue(api, key="order-42", valid_days=10)
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert len(api.get("/certificates", "auditor").json()) == 1


def test_failing_declaration_is_refused_with_its_evaluation(api: Api) -> None:
    decl = make_declaration(make_lot(extraction_country="CHN", processing_country="CHN"))
    response = api.post(
        "/certificates",
        {"declaration": decl.model_dump(mode="json"), "evaluation_date": "2025-03-01"},
        "eu",
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["evaluation"]["status"] == "fail"
    assert "zone-origin" in detail["message"]


def test_only_the_issuing_member_revokes(api: Api) -> None:
    serial = _issue(api).json()["serial"]
    denied = api.post(f"/certificates/{serial}/revoke", {"reason": "not mine"}, "us")
    assert denied.status_code == 403
    assert denied.json()["detail"] == "issuer USA may not revoke a certificate of EU27"
    assert api.post(f"/certificates/{serial}/revoke", {"reason": "x"}, "applicant").status_code == (
        403
    )
    ok = api.post(f"/certificates/{serial}/revoke", {"reason": "evidence withdrawn"}, "eu")
    assert ok.status_code == 200
    assert ok.json()["revoked_by"] == "issuer:EU27"
    assert api.post(f"/certificates/{serial}/revoke", {"reason": "again"}, "eu").status_code == 409
    check = api.get(f"/certificates/{serial}/verify").json()
    assert check["status"] == "revoked"
    assert check["revocation_reason"] == "evidence withdrawn"
    assert api.post("/certificates/NOPE/revoke", {"reason": "x"}, "eu").status_code == 404


def test_lists_by_role_and_audit_for_auditors(api: Api) -> None:
    serial = _issue(api).json()["serial"]
    assert [c["serial"] for c in api.get("/certificates", "applicant").json()] == [serial]
    assert api.get("/certificates", "other_applicant").json() == []
    assert [c["serial"] for c in api.get("/certificates", "eu").json()] == [serial]
    assert api.get("/certificates", "us").json() == []
    assert api.get(f"/certificates/{serial}", "us").status_code == 404
    assert api.get(f"/certificates/{serial}", "applicant").json()["serial"] == serial
    entries = api.get("/audit", "auditor").json()
    assert [e["action"] for e in entries][-3:] == [
        "declaration.submit",
        "issuer_key.register",
        "certificate.issue",
    ]
    assert entries[0]["action"] == "api_key.create"
    check = api.get("/audit/verify", "auditor").json()
    assert check["ok"] is True
    assert check["entries"] == len(entries)


def test_packs_are_public_and_inputs_are_validated(api: Api) -> None:
    packs = api.get("/packs").json()
    assert {p["id"] for p in packs} >= {"zone-feoc", "us-ira-30d-critical-minerals"}
    bad = api.post("/declarations", {**_cathode(), "lots": []}, "applicant")
    assert bad.status_code == 422
    assert api.get("/certificates/bad%00serial/verify").status_code == 422
    assert api.post("/verify", {"credentialSubject": {}}).json()["status"] == "malformed"
    # a pack over the API is a shipped id, never a file on the server
    body = {"declaration": _cathode(), "packs": ["pyproject.toml"]}
    refused = api.post("/evaluations", body, "applicant")
    assert refused.status_code == 422
