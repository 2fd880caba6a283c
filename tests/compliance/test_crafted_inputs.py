"""Crafted input to the compliance API and CLI gets a 4xx (or is handled), never a 5xx.

Issue 14 found each of these a 500 (or a traceback): evidence valid to 9999-12-31
(date overflow at issuance), a verification body nested 500-990 levels (recursion
in the parser and the canonicaliser), declaration and applicant ids over the
registry's 128 characters (refused by PostgreSQL, stored by SQLite), a registry
database that cannot be reached, ``comply issue --out`` naming an existing file
and a deeply nested declaration file. Every refusal has the body ``{detail, field}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from compliance_helpers import EVIDENCE, TestClient, make_declaration, make_lot
from fastapi import FastAPI
from independent_verifier import verify_eddsa_jcs_2022
from typer.testing import CliRunner

from friendshore.api.registry import API_PREFIX, create_registry_app, router
from friendshore.cli.main import app as cli_app
from friendshore.compliance.canonical import MAX_DEPTH
from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.registry import REGISTRY_ENV, Registry

BASE = f"{API_PREFIX}/compliance"


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crafted") / "keys"
    keystore.generate_key(path, "EU27")
    return path


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
        self.issuer = {"Authorization": f"Bearer {service.create_api_key(Role.ISSUER, 'EU27')}"}
        self.applicant = {
            "Authorization": f"Bearer {service.create_api_key(Role.APPLICANT, 'acme')}"
        }

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        if isinstance(body, str):
            return self.client.post(
                BASE + path,
                content=body,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
        return self.client.post(BASE + path, json=body, headers=headers)


@pytest.fixture
def api(registry_url: str, keys_dir: Path) -> Iterator[Api]:
    app = create_registry_app(registry_url=registry_url, keys_dir=keys_dir)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client)


def refusal(response: Any, status: int, field: str | None) -> str:
    """Assert ``{detail, field}`` with this status and field; return the detail."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    assert "field" in body, body
    assert body["field"] == field, body
    detail: str = body["detail"]
    return detail


def _declaration(**lot: Any) -> dict[str, Any]:
    return make_declaration(make_lot(**lot)).model_dump(mode="json")


# --- dates at the end of the calendar --------------------------------------------------------


def test_evidence_valid_to_9999_12_31_issues_uncut(api: Api) -> None:
    body = _declaration(evidence=[{**EVIDENCE, "valid_to": "9999-12-31"}])
    response = api.post(
        "/certificates", {"declaration": body, "evaluation_date": "2025-03-01"}, api.issuer
    )
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    assert certificate["validUntil"] == "2026-03-01T00:00:00Z"  # 365 days: no cut
    assert verify_eddsa_jcs_2022(certificate).verified


def test_evaluation_on_the_last_day_ends_at_the_last_instant(api: Api) -> None:
    body = _declaration(evidence=[{**EVIDENCE, "valid_to": "9999-12-31"}])
    request = {"declaration": body, "evaluation_date": "9999-12-31", "valid_days": 3660}
    response = api.post("/certificates", request, api.issuer)
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    assert certificate["validFrom"] == "9999-12-31T00:00:00Z"
    assert certificate["validUntil"] == "9999-12-31T23:59:59Z"
    assert api.post("/verify", certificate).json()["checks"]["signature"] is True


def test_verify_refuses_dates_beyond_the_calendar_as_malformed(api: Api) -> None:
    response = api.post("/certificates", {"declaration": _declaration()}, api.issuer)
    certificate = response.json()["certificate"]
    far = {**certificate, "validUntil": "9999-12-31T23:00:00-05:00"}  # past 9999 in UTC
    result = api.post("/verify", far)
    assert result.status_code == 200
    assert result.json()["valid"] is False


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 700, 990, 5000])
def test_deeply_nested_verify_body_is_a_422(api: Api, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = (
        '{"credentialSubject":{"serial":"EU27-2025-000000000000"},'
        f'"validFrom":"2025-01-01T00:00:00Z","validUntil":"2026-01-01T00:00:00Z","x":{nested}}}'
    )
    detail = refusal(api.post("/verify", body), 422, None)
    assert f"nested deeper than {MAX_DEPTH} levels" in detail


def test_nesting_within_the_limit_is_verified(api: Api) -> None:
    depth = MAX_DEPTH - 1  # the body's object is one level
    body = (
        '{"credentialSubject":{"serial":"EU27-2025-000000000000"},"x":'
        + "[" * (depth - 1)
        + "]" * (depth - 1)
        + "}"
    )
    response = api.post("/verify", body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "malformed"


@pytest.mark.parametrize("path", ["/declarations", "/evaluations", "/certificates"])
def test_deeply_nested_bodies_are_422_everywhere(api: Api, path: str) -> None:
    body = '{"id":' + "[" * 900 + "]" * 900 + "}"
    assert "nested deeper" in refusal(api.post(path, body, api.issuer), 422, None)


def test_brackets_inside_strings_do_not_count(api: Api) -> None:
    decl = _declaration()
    decl["product"]["description"] = "[" * 5000 + "{" * 5000
    assert api.post("/declarations", decl, api.applicant).status_code == 201


# --- ids: length and characters, on SQLite and PostgreSQL -----------------------------------


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("id", "D" * 129),
        ("id", "x" * 1_000_000),
        ("id", "a b"),
        ("id", "../etc"),
        ("id", "é"),
        ("id", "a\x00b"),
        ("applicant.id", "A" * 129),
        ("applicant.id", "a/b"),
    ],
    ids=lambda v: v if len(str(v)) < 20 else f"{len(v)} chars",
)
def test_ids_are_validated_by_the_model(api: Api, where: str, value: str) -> None:
    decl = _declaration()
    if where == "id":
        decl["id"] = value
    else:
        decl["applicant"]["id"] = value
    who = api.issuer
    refusal(api.post("/declarations", decl, who), 422, where)
    inline = {"declaration": decl, "evaluation_date": "2025-03-01"}
    refusal(api.post("/certificates", inline, who), 422, f"declaration.{where}")
    refusal(api.post("/evaluations", inline, who), 422, f"declaration.{where}")


def test_ids_of_128_characters_are_stored(api: Api) -> None:
    decl = _declaration()
    decl["id"] = "D" * 128
    response = api.post("/declarations", decl, api.issuer)
    assert response.status_code == 201, response.text
    assert response.json()["declaration_id"] == "D" * 128


# --- numbers ----------------------------------------------------------------------------------


def test_values_whose_sum_is_not_finite_are_a_422(api: Api) -> None:
    lots = [
        {**make_lot(value_usd=1.7976931348623157e308), "id": "L1"},
        {**make_lot(value_usd=1.7976931348623157e308), "id": "L2"},
    ]
    decl = make_declaration(make_lot()).model_dump(mode="json")
    decl["lots"] = lots
    detail = refusal(api.post("/declarations", decl, api.issuer), 422, None)
    assert "value_usd add up to more than" in detail


# --- crafted certificates ---------------------------------------------------------------------


def test_crafted_certificates_are_malformed_not_errors(api: Api) -> None:
    response = api.post("/certificates", {"declaration": _declaration()}, api.issuer)
    certificate = response.json()["certificate"]
    subject = certificate["credentialSubject"]
    crafted = [
        {**certificate, "credentialSubject": {**subject, "serial": "EU27\x00-1"}},
        {**certificate, "credentialSubject": {**subject, "serial": "S" * 10_000}},
        {**certificate, "issuer": {**certificate["issuer"], "member": "EU\x0027"}},
        {**certificate, "proof": {**certificate["proof"], "proofValue": "z" + "2" * 1_000_000}},
        {
            **certificate,
            "proof": {**certificate["proof"], "verificationMethod": "did:key:z" + "6" * 100_000},
        },
        {**certificate, "credentialSubject": {**subject, "n": 2**60}},
    ]
    for document in crafted:
        result = api.post("/verify", document)
        assert result.status_code == 200, result.text
        assert result.json()["valid"] is False


# --- an unreachable registry database -------------------------------------------------------


def _unreachable(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":  # a file in a folder that does not exist
        return f"sqlite:///{tmp_path / 'missing' / 'registry.sqlite'}"
    return "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=3"  # nothing listens


def _cert_like() -> dict[str, Any]:
    return {
        "credentialSubject": {"serial": "EU27-2025-000000000000"},
        "issuer": {"id": "did:key:z6Mk", "member": "EU27"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "proof": {},
    }


def _every_endpoint(client: TestClient, token: str) -> list[tuple[str, Any]]:
    auth = {"Authorization": f"Bearer {token}"}
    decl = _declaration()
    return [
        ("POST /declarations", client.post(f"{BASE}/declarations", json=decl, headers=auth)),
        ("GET /declarations", client.get(f"{BASE}/declarations", headers=auth)),
        ("GET /declarations/D-1", client.get(f"{BASE}/declarations/D-1", headers=auth)),
        (
            "POST /evaluations",
            client.post(f"{BASE}/evaluations", json={"declaration_ref": "D-1"}, headers=auth),
        ),
        (
            "POST /certificates",
            client.post(f"{BASE}/certificates", json={"declaration": decl}, headers=auth),
        ),
        ("GET /certificates", client.get(f"{BASE}/certificates", headers=auth)),
        ("GET /certificates/S-1", client.get(f"{BASE}/certificates/S-1", headers=auth)),
        (
            "POST /certificates/S-1/revoke",
            client.post(f"{BASE}/certificates/S-1/revoke", json={"reason": "x"}, headers=auth),
        ),
        ("GET /certificates/S-1/verify", client.get(f"{BASE}/certificates/S-1/verify")),
        ("POST /verify", client.post(f"{BASE}/verify", json=_cert_like())),
        ("GET /audit", client.get(f"{BASE}/audit", headers=auth)),
        ("GET /audit/verify", client.get(f"{BASE}/audit/verify", headers=auth)),
    ]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_registry_that_went_away_is_a_503_everywhere(
    kind: str, tmp_path: Path, keys_dir: Path
) -> None:
    app = create_registry_app(
        registry_url=f"sqlite:///{tmp_path / 'registry.sqlite'}", keys_dir=keys_dir
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        token = app.state.compliance_service.create_api_key(Role.AUDITOR, "auditor")
        gone = Registry(sa.create_engine(_unreachable(kind, tmp_path)))
        app.state.compliance_service = ComplianceService(gone, keys_dir=keys_dir)
        responses = _every_endpoint(client, token)
        assert client.get(f"{BASE}/packs").status_code == 200  # needs no database
    for name, response in responses:
        assert response.status_code == 503, (name, response.text)
        assert response.json() == {
            "detail": "the registry is unavailable: try again later",
            "field": None,
        }, name
    gone.close()


def test_a_registry_that_cannot_be_opened_is_a_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router in an app that opens the registry on first use (from the environment)."""
    monkeypatch.setenv(REGISTRY_ENV, _unreachable("postgresql", tmp_path))
    app = FastAPI()
    app.include_router(router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = [
            client.get(f"{BASE}/certificates/S-1/verify"),
            client.post(f"{BASE}/verify", json=_cert_like()),
            client.get(f"{BASE}/certificates", headers={"Authorization": "Bearer fsk_x"}),
        ]
    for response in responses:
        refusal(response, 503, None)


def test_the_server_starts_with_its_registry_down_and_answers_503(
    tmp_path: Path, keys_dir: Path, store_path: Path
) -> None:
    """``friendshore serve`` with an unreachable registry: the rest of the API works."""
    from friendshore.api.app import create_app  # noqa: PLC0415

    url = _unreachable("postgresql", tmp_path)
    app = create_app(store_path=store_path, registry_url=url, keys_dir=keys_dir)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"{API_PREFIX}/health").status_code == 200
        refusal(client.post(f"{BASE}/verify", json=_cert_like()), 503, None)
        assert client.get(f"{BASE}/packs").status_code == 200


# --- the CLI: exit 2 with a message, never a traceback --------------------------------------


runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(REGISTRY_ENV, f"sqlite:///{tmp_path / 'registry.sqlite'}")
    monkeypatch.setenv("FRIENDSHORE_KEYS", str(tmp_path / "keys"))
    assert runner.invoke(cli_app, ["comply", "keygen", "--member", "EU27"]).exit_code == 0
    return tmp_path


def _comply(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, ["comply", *args])
    assert "Traceback" not in result.stderr + result.stdout
    assert not isinstance(result.exception, RecursionError | OverflowError | OSError)
    return result.exit_code, result.stdout, result.stderr


def _write(path: Path, data: Any) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_out_to_an_existing_file_is_exit_2_and_issues_nothing(cli_env: Path) -> None:
    decl = _write(cli_env / "decl.json", _declaration())
    existing = cli_env / "taken.json"
    existing.write_text("keep me", encoding="utf-8")
    code, out, err = _comply("issue", decl, "--member", "EU27", "--out", str(existing))
    assert code == 2
    assert "exists" in err
    assert "taken.json" in err
    assert existing.read_text(encoding="utf-8") == "keep me"
    listed = _comply("list", "--format", "json")[1]
    assert json.loads(listed) == []  # refused before issuing
    fresh = cli_env / "cert.json"
    code, out, err = _comply("issue", decl, "--member", "EU27", "--out", str(fresh))
    assert code == 0, err
    assert out == ""
    assert verify_eddsa_jcs_2022(json.loads(fresh.read_text(encoding="utf-8"))).verified
    missing_dir = cli_env / "nowhere" / "cert.json"
    code, _, err = _comply("issue", decl, "--member", "EU27", "--out", str(missing_dir))
    assert code == 2
    assert "does not exist" in err


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 990, 5000])
def test_cli_deeply_nested_declaration_is_exit_2(cli_env: Path, depth: int) -> None:
    text = '{\n"id": "x",\n"lots": ' + "[" * depth + "]" * depth + "}"
    path = _write(cli_env / "deep.json", text)
    for command in (["issue", path, "--member", "EU27"], ["check", path]):
        code, _, err = _comply(*command)
        assert code == 2
        assert f"nested deeper than {MAX_DEPTH} levels" in err
        assert "deep.json, line 3" in err
    code, _, err = _comply("verify", path)
    assert code == 2
    assert "nested deeper" in err


def test_cli_evidence_and_date_at_the_end_of_the_calendar(cli_env: Path) -> None:
    decl = _write(
        cli_env / "far.json", _declaration(evidence=[{**EVIDENCE, "valid_to": "9999-12-31"}])
    )
    code, out, err = _comply("issue", decl, "--member", "EU27", "--date", "9999-12-31")
    assert code == 0, err
    certificate = json.loads(out)
    assert certificate["validUntil"] == "9999-12-31T23:59:59Z"
    assert verify_eddsa_jcs_2022(certificate).verified


def test_cli_long_declaration_id_is_exit_2_naming_the_field(cli_env: Path) -> None:
    body = _declaration()
    body["id"] = "D" * 129
    code, _, err = _comply("issue", _write(cli_env / "long.json", body), "--member", "EU27")
    assert code == 2
    assert "field 'id'" in err
    assert "at most 128 characters" in err
