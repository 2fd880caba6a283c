"""The registry database on SQLite and PostgreSQL: migrations, audit chain, service roles."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from compliance_helpers import make_declaration, make_lot

from friendshore._core.errors import DataError, InputError
from friendshore.compliance.declaration import load_declaration
from friendshore.compliance.service import (
    AccessDeniedError,
    ComplianceService,
    ConflictError,
    IdempotencyMismatchError,
    NotIssuableError,
    Principal,
    Role,
)
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir
from friendshore.data.registry import Base, Registry

EU = Principal(Role.ISSUER, "EU27")
US = Principal(Role.ISSUER, "USA")
AUDITOR = Principal(Role.AUDITOR, "auditor-1")
ON = date(2025, 3, 1)


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keys"
    keystore.generate_key(path, "EU27")
    keystore.generate_key(path, "USA")
    return path


@pytest.fixture
def service(registry: Registry, keys_dir: Path) -> ComplianceService:
    return ComplianceService(registry, keys_dir=keys_dir)


def test_migrated_schema_matches_the_models(registry: Registry) -> None:
    assert registry.revision() == "0001"
    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_a_migrated_registry_keeps_its_data(registry_url: str) -> None:
    with Registry.open(registry_url) as reg, reg.write() as tx:
        tx.append_audit(actor="t", action="a", subject="s", details={}, at="2025")
    with Registry.open(registry_url) as reg, reg.read() as tx:
        assert [e.seq for e in tx.audit_entries()] == [1]


def test_audit_chain_links_every_entry(registry: Registry) -> None:
    with registry.write() as tx:
        first = tx.append_audit(actor="a", action="x", subject="s", details={"n": 1}, at="t1")
        second = tx.append_audit(actor="a", action="x", subject="s", details={"n": 2}, at="t2")
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    with registry.read() as tx:
        check = tx.verify_audit_chain()
    assert check.ok
    assert check.entries == 2
    assert check.head_hash == second.hash


@pytest.mark.parametrize(
    ("statement", "bad_seq"),
    [
        ("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 2", 2),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", 1),
        ("DELETE FROM audit_log WHERE seq = 2", 2),
    ],
)
def test_audit_chain_detects_tampering(registry: Registry, statement: str, bad_seq: int) -> None:
    with registry.write() as tx:
        for n in range(3):
            tx.append_audit(actor="a", action="x", subject="s", details={"n": n}, at="t")
    with registry.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with registry.read() as tx:
        check = tx.verify_audit_chain()
    assert not check.ok
    assert check.first_bad_seq == bad_seq


def test_concurrent_writers_keep_one_gapless_chain(registry: Registry) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(10):
                with registry.write() as tx:
                    tx.append_audit(
                        actor=f"w{worker}", action="x", subject="s", details={"n": n}, at="t"
                    )
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with registry.read() as tx:
        entries = tx.audit_entries()
        check = tx.verify_audit_chain()
    assert [e.seq for e in entries] == list(range(1, 81))
    assert check.ok


# --- keystore ------------------------------------------------------------------------------


def test_keygen_writes_0600_and_never_overwrites(tmp_path: Path) -> None:
    keys = tmp_path / "k"
    path = keystore.generate_key(keys, "JPN")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    before = path.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        keystore.generate_key(keys, "JPN")
    assert path.read_bytes() == before
    assert keystore.list_keys(keys) == ["JPN"]


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = keystore.generate_key(tmp_path, "MEX")
    os.chmod(path, 0o644)
    with pytest.raises(DataError, match="too open"):
        keystore.load_private_key(tmp_path, "MEX")


def test_a_missing_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="comply keygen --member JPN"):
        keystore.load_private_key(tmp_path, "JPN")


# --- the service over both databases -------------------------------------------------------


def _cathode() -> object:
    return load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")


def test_issue_verify_revoke_round_trip(service: ComplianceService) -> None:
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    issued = service.issue(EU, declaration=decl, on=ON)
    assert issued.serial.startswith("EU27-2025-")
    # cut at the end of the earliest audit it rests on (RMAP-EX-0002, valid to 2026-01-14)
    assert issued.certificate["validFrom"] == "2025-03-01T00:00:00Z"
    assert issued.certificate["validUntil"] == "2026-01-15T00:00:00Z"
    us = service.issue(US, declaration=decl, on=ON, packs=["us-ira-30d-critical-minerals"])
    assert us.certificate["validUntil"] == "2025-10-01T00:00:00Z"  # the pack's end
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    assert service.verify_serial(issued.serial, at=moment).status == "valid"
    assert service.verify(issued.certificate, at=moment).status == "valid"
    assert service.verify(issued.certificate, at=datetime(2026, 1, 15, tzinfo=UTC)).status == (
        "expired"
    )
    assert service.verify(issued.certificate, at=datetime(2025, 2, 1, tzinfo=UTC)).status == (
        "not_yet_valid"
    )
    service.revoke(EU, issued.serial, reason="supplier audit withdrawn")
    revoked = service.verify_serial(issued.serial, at=moment)
    assert revoked.status == "revoked"
    assert revoked.revocation_reason == "supplier audit withdrawn"
    with pytest.raises(ConflictError):
        service.revoke(EU, issued.serial, reason="again")
    check = service.verify_audit(AUDITOR)
    assert check.ok
    actions = [e.action for e in service.audit_log(AUDITOR)]
    assert actions == [
        "declaration.submit",
        "issuer_key.register",
        "certificate.issue",
        "issuer_key.register",
        "certificate.issue",
        "certificate.revoke",
    ]


def test_an_issuer_cannot_revoke_another_members_certificate(service: ComplianceService) -> None:
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    issued = service.issue(EU, declaration=decl, on=ON)
    with pytest.raises(AccessDeniedError, match="may not revoke a certificate of EU27"):
        service.revoke(US, issued.serial, reason="not mine")
    assert service.verify_serial(issued.serial, at=datetime(2025, 6, 1, tzinfo=UTC)).valid


def test_certificates_with_a_key_of_another_member_are_refused(
    service: ComplianceService,
) -> None:
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    eu = service.issue(EU, declaration=decl, on=ON)
    service.issue(US, declaration=decl, on=ON)  # registers the USA key
    forged = json.loads(json.dumps(eu.certificate))
    forged["issuer"]["member"] = "USA"  # claim another member: the signature breaks
    result = service.verify(forged, at=datetime(2025, 6, 1, tzinfo=UTC))
    assert result.status == "invalid_signature"


def test_idempotency_key_issues_once(service: ComplianceService) -> None:
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    first = service.issue(EU, declaration=decl, on=ON, idempotency_key="k-1")
    again = service.issue(EU, declaration=decl, on=ON, idempotency_key="k-1")
    assert again.replayed
    assert again.serial == first.serial
    assert again.certificate == first.certificate
    with pytest.raises(IdempotencyMismatchError):
        service.issue(EU, declaration=decl, on=ON, valid_days=30, idempotency_key="k-1")
    with service.registry.read() as tx:
        assert tx.count_certificates() == 1


def test_a_failing_declaration_is_not_issued(service: ComplianceService) -> None:
    decl = make_declaration(make_lot(extraction_country="CHN", processing_country="CHN"))
    with pytest.raises(NotIssuableError, match="zone-origin") as info:
        service.issue(EU, declaration=decl, on=ON)
    assert info.value.evaluation.status == "fail"
    with service.registry.read() as tx:
        assert tx.count_certificates() == 0


def test_applicants_see_only_their_own(service: ComplianceService) -> None:
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    owner = Principal(Role.APPLICANT, decl.applicant.id)
    other = Principal(Role.APPLICANT, "someone-else")
    record = service.submit_declaration(owner, decl)
    assert service.submit_declaration(owner, decl).ref == record.ref
    with pytest.raises(AccessDeniedError):
        service.submit_declaration(other, decl)
    issued = service.issue(EU, declaration_ref=record.ref, on=ON)
    assert [c.serial for c in service.list_certificates(owner)] == [issued.serial]
    assert service.list_certificates(other) == []
    assert [c.serial for c in service.list_certificates(EU)] == [issued.serial]
    assert service.list_certificates(US) == []
    assert len(service.list_declarations(other)) == 0
    with pytest.raises(AccessDeniedError):
        service.audit_log(owner)
    with pytest.raises(AccessDeniedError):
        service.issue(owner, declaration_ref=record.ref, on=ON)


def test_api_keys_are_stored_hashed(service: ComplianceService) -> None:
    token = service.create_api_key(Role.ISSUER, "EU27", label="customs")
    assert service.authenticate(token) == EU
    assert service.authenticate(token + "x") is None
    with service.registry.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash, principal FROM api_keys")).all()
    assert len(stored) == 1
    assert token not in stored[0][0]
    assert len(stored[0][0]) == 64
    audit = json.dumps([e.details for e in service.audit_log(AUDITOR)])
    assert token not in audit
