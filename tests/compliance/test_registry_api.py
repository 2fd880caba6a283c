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


def error(response: Any, status: int, field: str | None) -> str:
    """Assert the app-wide error format: a message string and the field at fault (or null)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str), body
    assert body["detail"]
    assert "field" in body, body
    assert body["field"] == field, body
    detail: str = body["detail"]
    return detail


def test_protected_endpoints_need_a_token(api: Api) -> None:
    for method, path in [
        ("get", "/declarations"),
        ("get", "/certificates"),
        ("get", "/audit"),
        ("get", "/audit/verify"),
    ]:
        response = getattr(api.client, method)(BASE + path)
        assert "bearer token" in error(response, 401, None), path
        assert response.headers["www-authenticate"] == "Bearer"
    response = api.post("/certificates", {"declaration_ref": "D-1"})
    assert "bearer token" in error(response, 401, None)
    unknown = _issue(api, who="fsk_not-a-key")
    assert unknown.status_code == 401
    assert unknown.json() == {"detail": "unknown API key", "field": None}
    assert error(_issue(api, who="fsk_" + "x" * 300), 401, None) == "unknown API key"


def test_roles_are_enforced_with_403_and_a_json_body(api: Api) -> None:
    response = _issue(api, who="applicant")
    assert response.json() == {
        "detail": "role applicant may not do this (needs issuer)",
        "field": None,
    }
    assert error(response, 403, None)
    assert "needs auditor" in error(api.get("/audit", "eu"), 403, None)
    assert "needs auditor" in error(api.get("/audit", "applicant"), 403, None)
    response = api.post("/declarations", _cathode(), "other_applicant")
    assert "may not submit a declaration of example-cathode-gmbh" in error(response, 403, None)


def test_applicant_submits_and_lists_its_declarations(api: Api) -> None:
    first = api.post("/declarations", _cathode(), "applicant")
    assert first.status_code == 201
    ref = first.json()["ref"]
    assert api.post("/declarations", _cathode(), "applicant").json()["ref"] == ref
    assert [d["ref"] for d in api.get("/declarations", "applicant").json()] == [ref]
    assert api.get("/declarations", "other_applicant").json() == []
    hidden = api.get(f"/declarations/{ref}", "other_applicant")
    assert error(hidden, 404, "ref") == f"no declaration {ref!r}"
    missing = api.post("/evaluations", {"declaration_ref": "D-NONE"}, "applicant")
    assert error(missing, 404, "declaration_ref") == "no declaration 'D-NONE'"
    missing = api.post("/certificates", {"declaration_ref": "D-NONE"}, "eu")
    assert error(missing, 404, "declaration_ref") == "no declaration 'D-NONE'"
    both = api.post("/evaluations", {"declaration_ref": ref, "declaration": _cathode()}, "eu")
    assert "not both" in error(both, 422, "declaration_ref")
    assert "not both" in error(api.post("/certificates", {}, "eu"), 422, "declaration_ref")
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
    assert "different request" in error(other, 422, "Idempotency-Key")
    assert len(api.get("/certificates", "auditor").json()) == 1


def test_failing_declaration_is_refused_with_its_evaluation(api: Api) -> None:
    decl = make_declaration(make_lot(extraction_country="CHN", processing_country="CHN"))
    response = api.post(
        "/certificates",
        {"declaration": decl.model_dump(mode="json"), "evaluation_date": "2025-03-01"},
        "eu",
    )
    detail = error(response, 422, "declaration")
    assert detail.startswith("the declaration does not pass: zone-rules-of-origin/")
    evaluation = response.json()["evaluation"]
    assert evaluation["status"] == "fail"
    origin = next(p for p in evaluation["packs"] if p["pack_id"] == "zone-rules-of-origin")
    assert origin["status"] == "fail"
    # by reference: the field at fault is the reference
    ref = api.post("/declarations", decl.model_dump(mode="json"), "eu").json()["ref"]
    by_ref = api.post(
        "/certificates", {"declaration_ref": ref, "evaluation_date": "2025-03-01"}, "eu"
    )
    assert error(by_ref, 422, "declaration_ref") == detail
    assert by_ref.json()["evaluation"]["status"] == "fail"


def test_only_the_issuing_member_revokes(api: Api) -> None:
    serial = _issue(api).json()["serial"]
    denied = api.post(f"/certificates/{serial}/revoke", {"reason": "not mine"}, "us")
    assert error(denied, 403, None) == "issuer USA may not revoke a certificate of EU27"
    by_applicant = api.post(f"/certificates/{serial}/revoke", {"reason": "x"}, "applicant")
    assert error(by_applicant, 403, None) == "role applicant may not do this (needs issuer)"
    blank = api.post(f"/certificates/{serial}/revoke", {"reason": "   "}, "eu")
    assert error(blank, 422, "reason") == "give a reason for the revocation"
    ok = api.post(f"/certificates/{serial}/revoke", {"reason": "evidence withdrawn"}, "eu")
    assert ok.status_code == 200
    assert ok.json()["revoked_by"] == "issuer:EU27"
    again = api.post(f"/certificates/{serial}/revoke", {"reason": "again"}, "eu")
    assert error(again, 409, "serial") == f"certificate {serial} is already revoked"
    check = api.get(f"/certificates/{serial}/verify").json()
    assert check["status"] == "revoked"
    assert check["revocation_reason"] == "evidence withdrawn"
    nope = api.post("/certificates/NOPE/revoke", {"reason": "x"}, "eu")
    assert error(nope, 404, "serial") == "no certificate 'NOPE'"


def test_lists_by_role_and_audit_for_auditors(api: Api) -> None:
    serial = _issue(api).json()["serial"]
    assert [c["serial"] for c in api.get("/certificates", "applicant").json()] == [serial]
    assert api.get("/certificates", "other_applicant").json() == []
    assert [c["serial"] for c in api.get("/certificates", "eu").json()] == [serial]
    assert api.get("/certificates", "us").json() == []
    assert error(api.get(f"/certificates/{serial}", "us"), 404, "serial") == (
        f"no certificate {serial!r}"
    )
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
    assert check["head_hash"] == entries[-1]["hash"]
    anchored = api.get(f"/audit/verify?expect_head={entries[1]['hash']}", "auditor").json()
    assert (anchored["ok"], anchored["expected_head_seq"]) == (True, 2)
    unknown = api.get(f"/audit/verify?expect_head={'0' * 64}", "auditor").json()
    assert unknown["ok"] is False
    assert error(api.get("/audit/verify?expect_head=xyz", "auditor"), 422, "expect_head")


def test_packs_are_public_and_inputs_are_validated(api: Api) -> None:
    packs = api.get("/packs").json()
    assert {p["id"] for p in packs} >= {"zone-feoc", "us-ira-30d-critical-minerals"}
    bad = api.post("/declarations", {**_cathode(), "lots": []}, "applicant")
    assert "at least 1 item" in error(bad, 422, "lots")
    assert bad.json()["errors"][0]["field"] == "lots"
    assert "pattern" in error(api.get("/certificates/bad%00serial/verify"), 422, "serial")
    assert error(api.get("/certificates?limit=0", "auditor"), 422, "limit")
    long_key = _issue(api, key="x" * 300)
    assert error(long_key, 422, "Idempotency-Key")
    not_json = api.client.post(
        BASE + "/verify", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert error(not_json, 422, None) == "the body is not valid JSON (at character 1)"
    not_utf8 = api.client.post(
        BASE + "/verify", content=b'\xff"9', headers={"Content-Type": "application/json"}
    )
    assert error(not_utf8, 400, None) == "There was an error parsing the body"
    listed = api.client.post(
        BASE + "/verify", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert error(listed, 422, None) == "Input should be a valid dictionary"
    assert api.post("/verify", {"credentialSubject": {}}).json()["status"] == "malformed"
    # a pack over the API is a shipped id, never a file on the server
    body = {"declaration": _cathode(), "packs": ["pyproject.toml"]}
    refused = api.post("/evaluations", body, "applicant")
    assert "unknown rule pack 'pyproject.toml'" in error(refused, 422, "packs.0")
