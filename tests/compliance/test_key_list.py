"""The zone's key list, offline verification, key rotation and the API-key lifecycle.

A certificate signed with any key and claiming a member passes the signature check;
the published key list binds keys to members. SQLite and PostgreSQL (where reachable).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from compliance_helpers import TestClient
from typer.testing import CliRunner

from friendshore.api.registry import create_registry_app
from friendshore.cli.main import app as cli_app
from friendshore.compliance.certificates import did_key, format_time, sign_credential
from friendshore.compliance.declaration import Declaration
from friendshore.compliance.keylist import KeyListError, parse_key_list
from friendshore.compliance.service import (
    ComplianceService,
    Principal,
    RequestError,
    Role,
)
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir
from friendshore.data.registry import Registry

BASE = "/api/v1/compliance"
CATHODE = declarations_dir() / "cathode-nmc811-illustrative.json"
EU = Principal(Role.ISSUER, "EU27")
LATER = datetime(2025, 6, 1, 12, tzinfo=UTC)  # within the certificates' validity
runner = CliRunner()


def _cathode() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATHODE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    keystore.generate_key(path, "EU27")
    keystore.generate_key(path, "USA")
    keystore.generate_zone_key(path)
    return path


@pytest.fixture
def service(registry: Registry, keys: Path) -> ComplianceService:
    return ComplianceService(registry, keys_dir=keys)


def _issue(service: ComplianceService, who: Principal = EU) -> dict[str, Any]:
    declaration = Declaration.model_validate(_cathode())
    on = datetime(2025, 3, 1).date()
    return service.issue(who, declaration=declaration, on=on).certificate


def _zone_did(keys: Path) -> str:
    return did_key(keystore.load_zone_key(keys).public_key())


# --- the key list ----------------------------------------------------------------------------


def test_key_list_is_signed_versioned_and_lists_every_member(
    service: ComplianceService, keys: Path
) -> None:
    empty = parse_key_list(service.key_list(), zone_key=_zone_did(keys))
    assert empty.version == 0
    assert set(empty.members) == {"USA", "MEX", "EU27", "JPN"}
    assert all(not k for k in empty.members.values())
    cert = _issue(service)
    document = service.key_list()
    listed = parse_key_list(document, zone_key=_zone_did(keys))
    assert listed.version == 1
    assert [k.did for k in listed.members["EU27"]] == [cert["issuer"]["id"]]
    assert listed.members["EU27"][0].valid_until is None
    assert document["credentialSubject"]["members"]["EU27"][0]["valid_until"] is None
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    # the same version is the same bytes (deterministic signature), from a fresh service too
    again = ComplianceService(service.registry, keys_dir=keys).key_list()
    assert json.dumps(again, sort_keys=True) == json.dumps(document, sort_keys=True)


def test_a_tampered_or_foreign_key_list_is_refused(
    service: ComplianceService, keys: Path, tmp_path: Path
) -> None:
    _issue(service)
    document = service.key_list()
    tampered = json.loads(json.dumps(document))
    rogue = did_key(keystore.load_private_key(keys, "USA").public_key())
    tampered["credentialSubject"]["members"]["EU27"].append(
        {"id": rogue, "valid_from": "2020-01-01T00:00:00Z", "valid_until": None}
    )
    with pytest.raises(KeyListError, match="signature does not verify"):
        parse_key_list(tampered)
    # a list re-signed by another key verifies alone, but not against the zone's key
    other = tmp_path / "other"
    keystore.generate_zone_key(other)
    resigned = sign_credential(
        {k: v for k, v in tampered.items() if k != "proof"}
        | {"issuer": {"id": _zone_did(other), "name": "forged"}},
        keystore.load_zone_key(other),
        created=datetime.now(UTC),
    )
    assert parse_key_list(resigned).zone_key == _zone_did(other)
    with pytest.raises(KeyListError, match="not by the zone key"):
        parse_key_list(resigned, zone_key=_zone_did(keys))


# --- offline verification -------------------------------------------------------------------


def test_offline_verify_binds_the_key_to_the_member(
    service: ComplianceService, keys: Path, tmp_path: Path
) -> None:
    genuine = _issue(service)
    key_list = parse_key_list(service.key_list(), zone_key=_zone_did(keys))
    ok = ComplianceService.verify_offline(genuine, key_list, at=LATER)
    assert ok.valid, ok.reason
    assert ok.status == "revocation_unchecked"
    assert ok.checks["issuer"] is True
    assert ok.checks["revocation"] is None
    # a certificate signed by a key of nobody, claiming EU27, with a valid signature
    rogue_keys = tmp_path / "rogue"
    keystore.generate_key(rogue_keys, "EU27")
    with Registry.open(f"sqlite:///{tmp_path / 'rogue.sqlite'}") as rogue_registry:
        forged = _issue(ComplianceService(rogue_registry, keys_dir=rogue_keys))
    assert forged["issuer"]["member"] == "EU27"
    bad = ComplianceService.verify_offline(forged, key_list, at=LATER)
    assert not bad.valid
    assert bad.status == "unknown_issuer"
    assert bad.checks["signature"] is True
    assert bad.reason == f"key {forged['issuer']['id']} is not a key of EU27 in key list v1"
    # a genuine USA key claiming EU27: named as the key of USA
    usa = _issue(service, Principal(Role.ISSUER, "USA"))
    relisted = parse_key_list(service.key_list())
    claimed = dict(usa, issuer={**usa["issuer"], "member": "EU27"})
    resigned = sign_credential(
        {k: v for k, v in claimed.items() if k != "proof"},
        keystore.load_private_key(keys, "USA"),
        created=datetime.now(UTC),
    )
    wrong = ComplianceService.verify_offline(resigned, relisted, at=LATER)
    assert wrong.status == "unknown_issuer"
    assert "is not a key of EU27 in key list v2 (it is a key of USA)" in wrong.reason


def test_cli_exports_the_list_and_verifies_offline(
    service: ComplianceService, keys: Path, tmp_path: Path, registry_url: str
) -> None:
    genuine = tmp_path / "genuine.json"
    genuine.write_text(json.dumps(_issue(service)), encoding="utf-8")
    out = tmp_path / "keys.json"
    args = ["comply", "keys", "export", "--out", str(out), "--registry", registry_url]
    result = runner.invoke(cli_app, [*args, "--keys", str(keys)])
    assert result.exit_code == 0, result.output
    assert "key list v1, signed by the zone key did:key:z" in result.stderr
    assert runner.invoke(cli_app, [*args, "--keys", str(keys)]).exit_code == 2  # never overwrites
    verify = ["comply", "verify", "--at", "2025-06-01", "--offline", str(out), "--format", "json"]
    pinned = [*verify, "--zone-key", _zone_did(keys)]
    result = runner.invoke(cli_app, [*pinned, str(genuine)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "revocation_unchecked"
    unpinned = runner.invoke(cli_app, [*verify, str(genuine)])
    assert unpinned.exit_code == 0
    assert "pin the zone's key with --zone-key" in unpinned.stderr
    # an unlisted key claiming EU27: exit 1 with the reason
    rogue_keys = tmp_path / "rogue"
    keystore.generate_key(rogue_keys, "EU27")
    with Registry.open(f"sqlite:///{tmp_path / 'rogue.sqlite'}") as rogue_registry:
        forged = _issue(ComplianceService(rogue_registry, keys_dir=rogue_keys))
    forged_file = tmp_path / "forged.json"
    forged_file.write_text(json.dumps(forged), encoding="utf-8")
    result = runner.invoke(cli_app, [*pinned, str(forged_file)])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["status"] == "unknown_issuer"
    assert "is not a key of EU27 in key list v1" in body["reason"]
    table = runner.invoke(cli_app, ["comply", "verify", "--offline", str(out), str(forged_file)])
    assert f"key {forged['issuer']['id']} is not a key of EU27" in table.stdout  # no emoji
    # a key list pinned to another zone key: exit 1, no traceback
    result = runner.invoke(cli_app, [*verify, "--zone-key", forged["issuer"]["id"], str(genuine)])
    assert result.exit_code == 1
    assert "not by the zone key" in result.stderr
    assert "Traceback" not in result.output


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_keeps_old_certificates_verifiable(
    service: ComplianceService, keys: Path, registry_url: str
) -> None:
    server = ComplianceService(service.registry, keys_dir=keys)  # a running server's cache
    before = _issue(server)
    old_key = keystore.load_private_key(keys, "EU27")
    result = runner.invoke(
        cli_app,
        [
            "comply",
            "keygen",
            "--member",
            "EU27",
            "--rotate",
            "--keys",
            str(keys),
            "--registry",
            registry_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "is retired" in result.stderr
    assert len(list((keys / "retired").glob("EU27.*.ed25519.pub.pem"))) == 1
    after = _issue(server)  # the server notices the new key file
    assert after["issuer"]["id"] != before["issuer"]["id"]
    assert after["issuer"]["id"] == did_key(keystore.load_private_key(keys, "EU27").public_key())
    key_list = parse_key_list(service.key_list(), zone_key=_zone_did(keys))
    assert key_list.version == 3  # registered, retired, registered
    eu = key_list.members["EU27"]
    assert [k.did for k in eu] == [before["issuer"]["id"], after["issuer"]["id"]]
    assert eu[0].valid_until is not None
    assert eu[1].valid_until is None
    for cert in (before, after):
        checked = ComplianceService.verify_offline(cert, key_list, at=LATER)
        assert checked.valid, checked.reason
        assert service.verify(cert, at=LATER).valid  # and online
    # the retired key signing after its retirement is refused offline
    late = sign_credential(
        {k: v for k, v in before.items() if k != "proof"},
        old_key,
        created=datetime.now(UTC) + timedelta(seconds=5),
    )
    refused = ComplianceService.verify_offline(late, key_list, at=LATER)
    assert refused.status == "unknown_issuer"
    assert f"key {before['issuer']['id']} of EU27 is valid" in refused.reason
    assert "not at" in refused.reason
    # the audit log records it
    actions = [e.action for e in service.audit_log(Principal(Role.AUDITOR, "t"), limit=100)]
    assert "issuer_key.rotate" in actions


def test_keys_rotate_without_a_key_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        cli_app,
        [
            "comply",
            "keys",
            "rotate",
            "--member",
            "JPN",
            "--keys",
            str(tmp_path / "none"),
            "--registry",
            f"sqlite:///{tmp_path / 'r.sqlite'}",
        ],
    )
    assert result.exit_code == 2
    assert "no signing key for JPN" in result.output


# --- the public endpoint ----------------------------------------------------------------------


@pytest.fixture
def client(registry_url: str, keys: Path) -> Iterator[TestClient]:
    with TestClient(create_registry_app(registry_url=registry_url, keys_dir=keys)) as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_keys_endpoint_is_public_and_verifiable(client: TestClient, keys: Path) -> None:
    service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
    token = service.create_api_key(Role.ISSUER, "EU27")
    issued = client.post(
        BASE + "/certificates",
        json={"declaration": _cathode(), "evaluation_date": "2025-03-01"},
        headers=_bearer(token),
    )
    assert issued.status_code == 201, issued.text
    response = client.get(BASE + "/keys")  # no token
    assert response.status_code == 200
    key_list = parse_key_list(response.json(), zone_key=_zone_did(keys))
    assert key_list.version == 1
    certificate = issued.json()["certificate"]
    assert ComplianceService.verify_offline(certificate, key_list, at=LATER).valid


def test_keys_endpoint_without_a_zone_key_is_a_503(registry_url: str, tmp_path: Path) -> None:
    app = create_registry_app(registry_url=registry_url, keys_dir=tmp_path / "empty")
    with TestClient(app) as client:
        response = client.get(BASE + "/keys")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "the registry publishes no key list yet: the zone has no key",
        "field": None,
    }


# --- API keys: revocation, expiry, names ---------------------------------------------------


def test_revoked_and_expired_api_keys_get_401(client: TestClient, registry_url: str) -> None:
    service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
    revoked = service.create_api_key(Role.AUDITOR, "auditor-1")
    expiring = service.create_api_key(
        Role.AUDITOR, "auditor-2", expires_at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    assert client.get(BASE + "/audit", headers=_bearer(revoked)).status_code == 200
    assert client.get(BASE + "/audit", headers=_bearer(expiring)).status_code == 200
    ids = {r.principal: r.key_id for r in service.api_keys()}
    result = runner.invoke(
        cli_app, ["comply", "token", "revoke", ids["auditor-1"], "--registry", registry_url]
    )
    assert result.exit_code == 0, result.output
    response = client.get(BASE + "/audit", headers=_bearer(revoked))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"].startswith(f"API key {ids['auditor-1']} was revoked at ")
    assert response.json()["field"] is None
    again = runner.invoke(
        cli_app, ["comply", "token", "revoke", ids["auditor-1"], "--registry", registry_url]
    )
    assert again.exit_code == 2
    assert "already revoked" in again.output
    # the expiry passes (set in the database: no waiting)
    with service.registry.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE api_keys SET expires_at = :t WHERE principal = 'auditor-2'"),
            {"t": "2001-01-01T00:00:00.000000Z"},
        )
    response = client.get(BASE + "/audit", headers=_bearer(expiring))
    assert response.status_code == 401
    assert response.json() == {
        "detail": f"API key {ids['auditor-2']} expired at 2001-01-01T00:00:00.000000Z",
        "field": None,
    }
    assert service.authenticate(expiring) is None
    unknown = client.get(BASE + "/audit", headers=_bearer("fsk_nope"))
    assert unknown.json()["detail"] == "unknown API key"


def test_token_expiry_and_listing_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = runner.invoke(
        cli_app,
        [
            "comply",
            "token",
            "--role",
            "issuer",
            "--name",
            "EU27",
            "--expires",
            "2099-01-01",
            "--registry",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("fsk_")
    assert "expires 2099-01-01T00:00:00+00:00" in result.stderr
    listed = runner.invoke(cli_app, ["comply", "token", "list", "--registry", url, "-f", "json"])
    rows = json.loads(listed.stdout)
    assert rows[0]["expires_at"] == "2099-01-01T00:00:00.000000Z"
    assert rows[0]["principal"] == "EU27"
    for expires in ("2001-01-01", "yesterday"):
        refused = runner.invoke(
            cli_app,
            [
                "comply",
                "token",
                "--role",
                "auditor",
                "--name",
                "a",
                "--expires",
                expires,
                "--registry",
                url,
            ],
        )
        assert refused.exit_code == 2, refused.output
        assert "Traceback" not in refused.output


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("issuer", "EU27 "),  # trailing space
        ("issuer", " EU27"),
        ("issuer", "\u0415U27"),  # Cyrillic capital IE
        ("issuer", "EU2\u2077"),  # superscript seven
        ("issuer", "eu27"),
        ("issuer", "../EU27"),
        ("issuer", "CHN"),  # a rival, not a member
        ("issuer", "DEU"),  # inside EU27, but not a member code
        ("applicant", "../etc/passwd"),
        ("applicant", "acme "),
        ("applicant", "x" * 129),
        ("auditor", "audit\u200bor"),  # zero-width space
    ],
)
def test_token_refuses_names_that_are_not_principals(role: str, name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = runner.invoke(
        cli_app, ["comply", "token", "--role", role, "--name", name, "--registry", url]
    )
    assert result.exit_code == 2, result.output
    assert "--name" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.sqlite").exists()  # refused before the registry is opened
    with pytest.raises(RequestError):
        ComplianceService.check_principal_name(Role(role), name)


def test_service_refuses_a_name_longer_than_the_column(service: ComplianceService) -> None:
    with pytest.raises(RequestError, match="at most 128"):
        service.create_api_key(Role.APPLICANT, "a" * 129)
    assert service.create_api_key(Role.APPLICANT, "a" * 128).startswith("fsk_")
    assert format_time(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00Z"
