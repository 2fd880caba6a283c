"""The registry database on SQLite and PostgreSQL: migrations, audit chain, service roles."""

from __future__ import annotations

import hashlib
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
    assert registry.revision() == "0002"
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


def _entry_hash(prev_hash: str, seq: int, actor: str, details: dict[str, int]) -> str:
    """An entry's hash by the documented formula (as a forger with database access would)."""
    body = {"seq": seq, "at": "t", "actor": actor, "action": "x", "subject": "s"}
    text = json.dumps({**body, "details": details}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _chain_of_three(registry: Registry) -> list[str]:
    """Append entries 1-3 (details n = 0, 1, 2); return their hashes."""
    with registry.write() as tx:
        return [
            tx.append_audit(actor="a", action="x", subject="s", details={"n": n}, at="t").hash
            for n in range(3)
        ]


@pytest.mark.parametrize(("rehashed", "bad_seq"), [(False, 2), (True, 3)])
def test_audit_chain_detects_an_inserted_entry(
    registry: Registry, rehashed: bool, bad_seq: int
) -> None:
    hashes = _chain_of_three(registry)
    assert hashes[0] == _entry_hash("0" * 64, 1, "a", {"n": 0})  # the formula is the documented one
    forged = _entry_hash(hashes[0], 2, "mallory", {}) if rehashed else "f" * 64
    with registry.engine.begin() as conn:
        # make room at seq 2 (in two steps: seq is unique), then insert a forged entry there
        conn.execute(sa.text("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 2"))
        conn.execute(sa.text("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100"))
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)"
                " VALUES (2, 't', 'mallory', 'x', 's', '{}', :prev, :hash)"
            ),
            {"prev": hashes[0], "hash": forged},
        )
    with registry.read() as tx:
        check = tx.verify_audit_chain()
    assert not check.ok
    assert check.entries == bad_seq - 1
    # an entry with a wrong hash is named itself; one whose hash the forger recomputed
    # breaks the link of the entry after it (which still points at entry 1)
    assert check.first_bad_seq == bad_seq
    reason = "prev_hash does not match" if rehashed else "content does not match its hash"
    assert check.message == f"entry {bad_seq}: {reason}"


def test_entries_removed_from_the_end_need_the_recorded_head(registry: Registry) -> None:
    hashes = _chain_of_three(registry)
    with registry.read() as tx:
        recorded = tx.verify_audit_chain()
    assert recorded.head_hash == hashes[2]
    with registry.write() as tx:  # the log grows: the recorded head stays in the chain
        tx.append_audit(actor="a", action="x", subject="s", details={"n": 3}, at="t")
    with registry.read() as tx:
        grown = tx.verify_audit_chain(expect_head=recorded.head_hash)
    assert (grown.ok, grown.entries, grown.expected_head_seq) == (True, 4, 3)
    with registry.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq >= 3"))
    with registry.read() as tx:
        # the chain alone cannot tell: what is left is an intact chain of two entries
        assert tx.verify_audit_chain().ok
        anchored = tx.verify_audit_chain(expect_head=recorded.head_hash)
    assert not anchored.ok
    assert anchored.entries == 2
    assert anchored.head_hash == hashes[1]
    assert anchored.expected_head_seq is None
    assert f"expected head {hashes[2]} is not the hash of any entry" in anchored.message


def test_a_rewritten_chain_is_caught_by_the_recorded_head(registry: Registry) -> None:
    hashes = _chain_of_three(registry)
    # a forger edits entry 2 and recomputes every hash after it: the chain verifies
    rewritten = [hashes[0]]
    for seq, n in ((2, 99), (3, 2)):
        rewritten.append(_entry_hash(rewritten[-1], seq, "a", {"n": n}))
    with registry.engine.begin() as conn:
        for seq in (2, 3):
            conn.execute(
                sa.text(
                    "UPDATE audit_log SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {
                    "d": '{"n":99}' if seq == 2 else '{"n":2}',
                    "p": rewritten[seq - 2],
                    "h": rewritten[seq - 1],
                    "s": seq,
                },
            )
    with registry.read() as tx:
        assert tx.verify_audit_chain().ok
        anchored = tx.verify_audit_chain(expect_head=hashes[2])
    assert not anchored.ok
    assert anchored.head_hash == rewritten[2]


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
