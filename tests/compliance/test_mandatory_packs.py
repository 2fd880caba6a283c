"""Rules the issuer cannot skip, and refusals that leave only their audit entry.

The zone makes rule packs mandatory per certificate type (``rulepacks/mandatory.toml``):
issuance evaluates all of them whatever packs are requested. A refused issuance stores
nothing of the declaration; the audit entry ``declaration.refuse`` says so. Both run on
SQLite and PostgreSQL (the ``registry`` fixture).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from compliance_helpers import TestClient, make_declaration, make_lot
from typer.testing import CliRunner

from friendshore._core.errors import DataError
from friendshore.api.registry import create_registry_app
from friendshore.cli.main import app
from friendshore.compliance.declaration import Declaration, load_declaration
from friendshore.compliance.rules import (
    CERTIFICATE_OF_ORIGIN,
    MandatoryPacks,
    mandatory_packs,
    rule_pack_ids,
)
from friendshore.compliance.service import (
    ComplianceService,
    NotIssuableError,
    Principal,
    RequestError,
    Role,
)
from friendshore.data import keystore
from friendshore.data.compliance_files import (
    declarations_dir,
    read_mandatory_packs_file,
    shipped_rule_pack_paths,
)
from friendshore.data.registry import Registry
from friendshore.model.fields import validate_document

EU = Principal(Role.ISSUER, "EU27")
AUDITOR = Principal(Role.AUDITOR, "auditor-1")
ON = date(2025, 6, 15)
ZONE_PACKS = ["zone-rules-of-origin", "zone-feoc", "zone-responsible-sourcing"]
MAGNET = declarations_dir() / "magnet-ndfeb-feoc-illustrative.json"
CATHODE = declarations_dir() / "cathode-nmc811-illustrative.json"
TABLES = (
    "issuer_keys",
    "declarations",
    "certificates",
    "revocations",
    "api_keys",
    "idempotency_keys",
    "audit_log",
)


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mandatory-keys") / "keys"
    keystore.generate_key(path, "EU27")
    return path


@pytest.fixture
def service(registry: Registry, keys_dir: Path) -> ComplianceService:
    return ComplianceService(registry, keys_dir=keys_dir)


def magnet() -> Declaration:
    return load_declaration(MAGNET)


def cathode() -> Declaration:
    return load_declaration(CATHODE)


def rows(registry: Registry) -> dict[str, int]:
    with registry.engine.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES
        }


def evaluated(certificate: dict[str, Any]) -> list[str]:
    return [p["pack_id"] for p in certificate["credentialSubject"]["evaluation"]["packs"]]


# --- the mandatory list ----------------------------------------------------------------------


def test_the_zone_makes_its_three_packs_mandatory_for_certificates_of_origin() -> None:
    assert mandatory_packs(CERTIFICATE_OF_ORIGIN) == tuple(ZONE_PACKS)
    assert mandatory_packs("SomeOtherCredential") == ()
    # the list sits beside the packs but is not one
    assert "mandatory" not in rule_pack_ids()
    assert "mandatory" not in shipped_rule_pack_paths()


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        (
            '[mandatory]\nCertificateOfOrigin = ["zone-feoc", "no-such-pack"]\n',
            2,
            "mandatory.CertificateOfOrigin[1]",
            "unknown rule pack 'no-such-pack'",
        ),
        (
            "[mandatory]\nCertificateOfOrigin = []\n",
            2,
            "mandatory.CertificateOfOrigin",
            "at least 1",
        ),
        (
            '[mandatory]\nCertificateOfOrigin = ["zone-feoc", "zone-feoc"]\n',
            2,
            "mandatory.CertificateOfOrigin",
            "lists 'zone-feoc' twice",
        ),
        (
            'extra = 1\n[mandatory]\nCertificateOfOrigin = ["zone-feoc"]\n',
            1,
            "extra",
            "unknown field",
        ),
    ],
)
def test_a_malformed_mandatory_list_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, fragment: str
) -> None:
    path = tmp_path / "mandatory.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        validate_document(MandatoryPacks, read_mandatory_packs_file(path))
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)
    assert fragment in str(info.value)


def test_issue_pack_ids_put_the_mandatory_packs_first_then_the_requested() -> None:
    assert ComplianceService.issue_pack_ids(None) == ZONE_PACKS
    assert ComplianceService.issue_pack_ids(["zone-rules-of-origin"]) == ZONE_PACKS
    assert ComplianceService.issue_pack_ids(["us-ira-30d-critical-minerals", "zone-feoc"]) == [
        *ZONE_PACKS,
        "us-ira-30d-critical-minerals",
    ]


# --- issuance ----------------------------------------------------------------------------------


def test_the_magnet_example_cannot_skip_the_feoc_pack(service: ComplianceService) -> None:
    before = rows(service.registry)
    with pytest.raises(NotIssuableError) as info:
        service.issue(EU, declaration=magnet(), packs=["zone-rules-of-origin"], on=ON)
    message = str(info.value)
    assert message.startswith("the declaration does not pass: zone-feoc/zone-feoc-exclusion: ")
    assert "Example Separation Co Ltd" in message
    assert "mandatory for a CertificateOfOrigin" in message
    assert "zone-feoc" in message.rsplit("(", 1)[1]
    assert info.value.field == "declaration"
    evaluation = info.value.evaluation
    assert [p.pack_id for p in evaluation.packs] == ZONE_PACKS
    status = {p.pack_id: p.status for p in evaluation.packs}
    assert status["zone-rules-of-origin"] == "pass"  # the one pack asked for passes
    assert status["zone-feoc"] == "fail"
    assert rows(service.registry) == {**before, "audit_log": before["audit_log"] + 1}


def test_a_passing_declaration_gets_a_certificate_listing_every_pack(
    service: ComplianceService,
) -> None:
    only_origin = service.issue(EU, declaration=cathode(), packs=["zone-rules-of-origin"], on=ON)
    assert evaluated(only_origin.certificate) == ZONE_PACKS
    assert only_origin.certificate["credentialSubject"]["evaluation"]["status"] == "pass"
    with_ira = service.issue(
        EU, declaration=cathode(), packs=["us-ira-30d-critical-minerals"], on=ON
    )
    assert evaluated(with_ira.certificate) == [*ZONE_PACKS, "us-ira-30d-critical-minerals"]
    assert with_ira.certificate["validUntil"] == "2025-10-01T00:00:00Z"  # the IRA pack's end
    default = service.issue(EU, declaration=cathode(), on=ON)
    assert evaluated(default.certificate) == ZONE_PACKS
    issued = [e for e in service.audit_log(AUDITOR) if e.action == "certificate.issue"]
    assert [json.loads(e.details)["packs"] for e in issued] == [
        ZONE_PACKS,
        [*ZONE_PACKS, "us-ira-30d-critical-minerals"],
        ZONE_PACKS,
    ]


def test_a_pack_file_cannot_stand_in_for_a_mandatory_pack(
    service: ComplianceService, tmp_path: Path
) -> None:
    lax = tmp_path / "lax-feoc.yaml"
    text = shipped_rule_pack_paths()["zone-feoc"].read_text(encoding="utf-8")
    lax.write_text(text.replace("missing_ownership: fail", "missing_ownership: pass"), "utf-8")
    before = rows(service.registry)
    with pytest.raises(RequestError, match="same id 'zone-feoc'") as info:
        service.issue(EU, declaration=magnet(), packs=[str(lax)], on=ON)
    assert info.value.field == "packs"
    assert rows(service.registry) == before


# --- a refusal leaves only its audit entry ---------------------------------------------------


def test_a_refused_inline_declaration_is_not_stored(service: ComplianceService) -> None:
    decl = make_declaration(make_lot(extraction_country="CHN", processing_country="CHN"))
    before = rows(service.registry)
    for _ in range(2):
        with pytest.raises(NotIssuableError, match="zone-origin"):
            service.issue(EU, declaration=decl, on=ON)
    after = rows(service.registry)
    assert after == {**before, "audit_log": before["audit_log"] + 2}
    assert service.list_declarations(AUDITOR) == []
    entry = service.audit_log(AUDITOR)[-1]
    assert (entry.actor, entry.action, entry.subject) == (
        "issuer:EU27",
        "declaration.refuse",
        f"sha256:{decl.sha256()}",
    )
    details = json.loads(entry.details)
    assert details["declaration_id"] == decl.id
    assert details["sha256"] == decl.sha256()
    assert details["packs"] == ZONE_PACKS
    assert details["evaluated_on"] == ON.isoformat()
    assert "zone-rules-of-origin/zone-origin" in details["failed"]
    assert "lots" not in entry.details  # nothing of the declaration's body
    assert service.verify_audit(AUDITOR).ok


def test_a_refused_stored_declaration_adds_only_the_refusal(service: ComplianceService) -> None:
    applicant = Principal(Role.APPLICANT, "example-motors-sa-de-cv")
    decl = magnet()
    assert decl.applicant.id == applicant.name
    record = service.submit_declaration(applicant, decl)
    before = rows(service.registry)
    with pytest.raises(NotIssuableError) as info:
        service.issue(EU, declaration_ref=record.ref, on=ON)
    assert info.value.field == "declaration_ref"
    assert rows(service.registry) == {**before, "audit_log": before["audit_log"] + 1}
    entry = service.audit_log(AUDITOR)[-1]
    assert (entry.action, entry.subject) == ("declaration.refuse", record.ref)


def test_a_passing_inline_declaration_is_stored_with_its_certificate(
    service: ComplianceService,
) -> None:
    before = rows(service.registry)
    issued = service.issue(EU, declaration=cathode(), on=ON)
    after = rows(service.registry)
    assert after["declarations"] == before["declarations"] + 1
    assert after["certificates"] == before["certificates"] + 1
    assert issued.record.declaration_ref == service.list_declarations(AUDITOR)[0].ref
    actions = [e.action for e in service.audit_log(AUDITOR)]
    assert actions == ["declaration.submit", "issuer_key.register", "certificate.issue"]


# --- the CLI and the API -----------------------------------------------------------------------


def test_cli_refuses_the_magnet_with_only_the_origin_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRIENDSHORE_REGISTRY", f"sqlite:///{tmp_path / 'registry.sqlite'}")
    monkeypatch.setenv("FRIENDSHORE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()
    assert runner.invoke(app, ["comply", "keygen", "--member", "EU27"]).exit_code == 0
    args = ["comply", "issue", "--member", "EU27", "--date", ON.isoformat()]
    refused = runner.invoke(app, [*args, str(MAGNET), "--rules", "zone-rules-of-origin"])
    assert refused.exit_code == 2
    assert "zone-feoc/zone-feoc-exclusion" in refused.stderr
    assert "Traceback" not in refused.stderr
    issued = runner.invoke(app, [*args, str(CATHODE), "--rules", "zone-rules-of-origin"])
    assert issued.exit_code == 0, issued.stderr
    assert evaluated(json.loads(issued.stdout)) == ZONE_PACKS


def test_api_refuses_the_magnet_with_only_the_origin_pack(
    registry_url: str, keys_dir: Path
) -> None:
    with TestClient(create_registry_app(registry_url=registry_url, keys_dir=keys_dir)) as client:
        service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
        token = service.create_api_key(Role.ISSUER, "EU27")
        body = {
            "declaration": json.loads(MAGNET.read_text(encoding="utf-8")),
            "packs": ["zone-rules-of-origin"],
            "evaluation_date": ON.isoformat(),
        }
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post("/api/v1/compliance/certificates", json=body, headers=headers)
        assert response.status_code == 422, response.text
        refusal = response.json()
        assert refusal["field"] == "declaration"
        assert "zone-feoc/zone-feoc-exclusion" in refusal["detail"]
        assert [p["pack_id"] for p in refusal["evaluation"]["packs"]] == ZONE_PACKS
        assert client.get("/api/v1/compliance/declarations", headers=headers).json() == []


def test_the_shipped_mandatory_file_validates() -> None:
    parsed = validate_document(MandatoryPacks, read_mandatory_packs_file())
    assert parsed.mandatory == {CERTIFICATE_OF_ORIGIN: ZONE_PACKS}
