"""The certificate registry database: SQLAlchemy 2 models, Alembic migrations, transactions.

A registry is a SQLite file by default (``sqlite:///path``) or a PostgreSQL database
(``postgresql+psycopg://user@host/db``). :meth:`Registry.open` brings the schema to
the latest Alembic revision (``registry_migrations/``) before anything else.

Write transactions are serialised, so that the audit chain, serials and
idempotency keys stay consistent under concurrent writers (threads, processes,
servers): SQLite writers take the database lock at ``BEGIN IMMEDIATE`` (WAL
journal; ``synchronous=NORMAL`` by default: a committed transaction survives a crash
or SIGKILL of the process; ``FULL`` for power loss too, see :meth:`Registry.open`);
PostgreSQL writers take a transaction-level advisory lock. Readers never block.

The audit log is append-only and hash-chained: entry *n* stores ``prev_hash``
(the hash of entry *n-1*, 64 zeros for the first) and
``hash = SHA-256(prev_hash || canonical entry)``, where the canonical entry is the
JSON of ``{seq, at, actor, action, subject, details}`` with sorted keys, no
whitespace and UTF-8 (``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``). :func:`RegistryTxn.verify_audit_chain` recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import platformdirs
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from friendshore._core.errors import InputError, StoreError
from friendshore.data.resources import package_data_dir

__all__ = [
    "GENESIS_HASH",
    "REGISTRY_ENV",
    "ApiKeyRecord",
    "AuditCheck",
    "AuditRecord",
    "Base",
    "CertificateRecord",
    "DeclarationRecord",
    "IssuerKeyRecord",
    "Registry",
    "RegistryTxn",
    "RegistryUnavailableError",
    "RevocationRecord",
    "default_registry_url",
    "utc_now",
]

REGISTRY_ENV = "FRIENDSHORE_REGISTRY"
GENESIS_HASH = "0" * 64
_PG_WRITE_LOCK = 7_007_007


def default_registry_url() -> str:
    """Return the default registry: a SQLite file in the user data directory."""
    path = Path(platformdirs.user_data_dir("friendshore")) / "registry.sqlite"
    return f"sqlite:///{path}"


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with microseconds and ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- models ---------------------------------------------------------------------------------


class Base(DeclarativeBase):
    """Declarative base of the registry tables (the schema Alembic migrates to)."""


class IssuerKey(Base):
    """A public key of an issuing member authority (a member may have several over time)."""

    __tablename__ = "issuer_keys"

    key_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    member: Mapped[str] = mapped_column(sa.String(32), index=True)
    public_key_b64: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[str] = mapped_column(sa.String(32))
    retired_at: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)


class DeclarationRow(Base):
    """A declaration submitted by an applicant (its JSON, as validated)."""

    __tablename__ = "declarations"
    __table_args__ = (sa.UniqueConstraint("applicant", "sha256", name="uq_declarations_body"),)

    ref: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(sa.String(128))
    applicant: Mapped[str] = mapped_column(sa.String(128), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[str] = mapped_column(sa.String(32))


class CertificateRow(Base):
    """An issued certificate: the signed credential (JSON) and its index fields."""

    __tablename__ = "certificates"

    serial: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    member: Mapped[str] = mapped_column(sa.String(32), index=True)
    applicant: Mapped[str] = mapped_column(sa.String(128), index=True)
    declaration_ref: Mapped[str] = mapped_column(sa.ForeignKey("declarations.ref"))
    declaration_sha256: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[str] = mapped_column(sa.String(32))
    valid_from: Mapped[str] = mapped_column(sa.String(32))
    valid_until: Mapped[str] = mapped_column(sa.String(32))
    document: Mapped[str] = mapped_column(sa.Text)


class RevocationRow(Base):
    """The revocation of a certificate (at most one per certificate)."""

    __tablename__ = "revocations"

    serial: Mapped[str] = mapped_column(sa.ForeignKey("certificates.serial"), primary_key=True)
    revoked_at: Mapped[str] = mapped_column(sa.String(32))
    revoked_by: Mapped[str] = mapped_column(sa.String(128))
    reason: Mapped[str] = mapped_column(sa.Text)


class ApiKeyRow(Base):
    """An API key (bearer token), stored as the SHA-256 of the token only."""

    __tablename__ = "api_keys"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    principal: Mapped[str] = mapped_column(sa.String(128))
    label: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[str] = mapped_column(sa.String(32))
    revoked_at: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    expires_at: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)


class IdempotencyRow(Base):
    """An idempotency key of a principal, the hash of its request and the serial it issued."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(sa.String(64))
    serial: Mapped[str] = mapped_column(sa.ForeignKey("certificates.serial"))
    created_at: Mapped[str] = mapped_column(sa.String(32))


class AuditRow(Base):
    """An entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(160))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(160))
    details: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


# --- records returned to callers (no ORM objects leave a transaction) -----------------------


@dataclass(frozen=True)
class IssuerKeyRecord:
    """A registered issuer public key (raw 32 bytes, base64).

    ``created_at`` starts its validity; ``retired_at`` (``None`` for the current key)
    ends it: a rotated key stays registered to verify what it signed before.
    """

    key_id: str
    member: str
    public_key_b64: str
    created_at: str
    retired_at: str | None = None


@dataclass(frozen=True)
class DeclarationRecord:
    """A stored declaration."""

    ref: str
    declaration_id: str
    applicant: str
    sha256: str
    body: str
    submitted_at: str


@dataclass(frozen=True)
class CertificateRecord:
    """A stored certificate (``document`` is the signed credential JSON)."""

    serial: str
    member: str
    applicant: str
    declaration_ref: str
    declaration_sha256: str
    issued_at: str
    valid_from: str
    valid_until: str
    document: str


@dataclass(frozen=True)
class RevocationRecord:
    """A revocation."""

    serial: str
    revoked_at: str
    revoked_by: str
    reason: str


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key's role and principal (the token itself is never stored).

    Its id is the first 16 hex digits of ``key_hash`` (:attr:`key_id`).
    """

    key_hash: str
    role: str
    principal: str
    label: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None

    @property
    def key_id(self) -> str:
        """The key's public id: the first 16 hex digits of the token's SHA-256."""
        return self.key_hash[:16]


@dataclass(frozen=True)
class AuditRecord:
    """An audit log entry (``details`` is a JSON object as text)."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditCheck:
    """The result of verifying the audit chain."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    message: str
    expected_head_seq: int | None = None


def _entry_hash(
    prev_hash: str, *, seq: int, at: str, actor: str, action: str, subject: str, details: str
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": json.loads(details),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _cert(row: CertificateRow) -> CertificateRecord:
    return CertificateRecord(
        serial=row.serial,
        member=row.member,
        applicant=row.applicant,
        declaration_ref=row.declaration_ref,
        declaration_sha256=row.declaration_sha256,
        issued_at=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        document=row.document,
    )


def _issuer_key(r: IssuerKey) -> IssuerKeyRecord:
    return IssuerKeyRecord(r.key_id, r.member, r.public_key_b64, r.created_at, r.retired_at)


def _api_key(r: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        r.key_hash, r.role, r.principal, r.label, r.created_at, r.revoked_at, r.expires_at
    )


def _audit(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class RegistryTxn:
    """Operations inside one registry transaction (from :meth:`Registry.read`/``write``)."""

    def __init__(self, session: Session, *, writable: bool) -> None:
        self._s = session
        self._writable = writable

    def _need_write(self) -> None:
        if not self._writable:
            raise RuntimeError("a write operation inside a read transaction")

    # issuers
    def issuer_keys(self, member: str | None = None) -> list[IssuerKeyRecord]:
        """Return the registered public keys (of ``member``), oldest first."""
        stmt = select(IssuerKey).order_by(IssuerKey.created_at, IssuerKey.key_id)
        if member is not None:
            stmt = stmt.where(IssuerKey.member == member)
        return [_issuer_key(r) for r in self._s.scalars(stmt)]

    def issuer_key(self, key_id: str) -> IssuerKeyRecord | None:
        """Return a registered public key by its id, or ``None``."""
        r = self._s.get(IssuerKey, key_id)
        return None if r is None else _issuer_key(r)

    def retire_issuer_key(self, key_id: str, *, at: str) -> bool:
        """Set ``retired_at`` of a current key; return whether it was current."""
        self._need_write()
        row = self._s.get(IssuerKey, key_id)
        if row is None or row.retired_at is not None:
            return False
        row.retired_at = at
        self._s.flush()
        return True

    def add_issuer_key(self, *, key_id: str, member: str, public_key_b64: str, at: str) -> None:
        """Register a public key of ``member``."""
        self._need_write()
        self._s.add(
            IssuerKey(key_id=key_id, member=member, public_key_b64=public_key_b64, created_at=at)
        )

    # declarations
    def add_declaration(
        self, *, ref: str, declaration_id: str, applicant: str, sha256: str, body: str, at: str
    ) -> tuple[DeclarationRecord, bool]:
        """Store a declaration; return it and whether it is new (same body as before: not new)."""
        self._need_write()
        existing = self._s.scalars(
            select(DeclarationRow).where(
                DeclarationRow.applicant == applicant, DeclarationRow.sha256 == sha256
            )
        ).first()
        if existing is not None:
            return self._declaration(existing), False
        row = DeclarationRow(
            ref=ref,
            declaration_id=declaration_id,
            applicant=applicant,
            sha256=sha256,
            body=body,
            submitted_at=at,
        )
        self._s.add(row)
        self._s.flush()
        return self._declaration(row), True

    @staticmethod
    def _declaration(row: DeclarationRow) -> DeclarationRecord:
        return DeclarationRecord(
            row.ref, row.declaration_id, row.applicant, row.sha256, row.body, row.submitted_at
        )

    def declaration(self, ref: str) -> DeclarationRecord | None:
        """Return a stored declaration by reference, or ``None``."""
        row = self._s.get(DeclarationRow, ref)
        return None if row is None else self._declaration(row)

    def declarations(
        self, *, applicant: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DeclarationRecord]:
        """Return stored declarations (of ``applicant``), newest first."""
        stmt = select(DeclarationRow).order_by(
            DeclarationRow.submitted_at.desc(), DeclarationRow.ref
        )
        if applicant is not None:
            stmt = stmt.where(DeclarationRow.applicant == applicant)
        return [self._declaration(r) for r in self._s.scalars(stmt.limit(limit).offset(offset))]

    # certificates
    def add_certificate(self, record: CertificateRecord) -> None:
        """Store an issued certificate."""
        self._need_write()
        self._s.add(CertificateRow(**record.__dict__))
        self._s.flush()

    def certificate(self, serial: str) -> CertificateRecord | None:
        """Return a certificate by serial, or ``None``."""
        row = self._s.get(CertificateRow, serial)
        return None if row is None else _cert(row)

    def certificates(
        self,
        *,
        member: str | None = None,
        applicant: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CertificateRecord]:
        """Return certificates (of ``member`` / ``applicant``), newest first."""
        stmt = select(CertificateRow).order_by(
            CertificateRow.issued_at.desc(), CertificateRow.serial
        )
        if member is not None:
            stmt = stmt.where(CertificateRow.member == member)
        if applicant is not None:
            stmt = stmt.where(CertificateRow.applicant == applicant)
        return [_cert(r) for r in self._s.scalars(stmt.limit(limit).offset(offset))]

    def count_certificates(self) -> int:
        """Return the number of certificates."""
        return int(self._s.scalar(select(sa.func.count()).select_from(CertificateRow)) or 0)

    # revocations
    def revocation(self, serial: str) -> RevocationRecord | None:
        """Return the revocation of a certificate, or ``None``."""
        r = self._s.get(RevocationRow, serial)
        return (
            None if r is None else RevocationRecord(r.serial, r.revoked_at, r.revoked_by, r.reason)
        )

    def add_revocation(self, record: RevocationRecord) -> None:
        """Store a revocation."""
        self._need_write()
        self._s.add(RevocationRow(**record.__dict__))
        self._s.flush()

    # api keys
    def add_api_key(
        self,
        *,
        key_hash: str,
        role: str,
        principal: str,
        label: str,
        at: str,
        expires_at: str | None = None,
    ) -> None:
        """Store an API key (its hash), valid until ``expires_at`` (``None``: no expiry)."""
        self._need_write()
        self._s.add(
            ApiKeyRow(
                key_hash=key_hash,
                role=role,
                principal=principal,
                label=label,
                created_at=at,
                expires_at=expires_at,
            )
        )
        self._s.flush()

    def api_key(self, key_hash: str) -> ApiKeyRecord | None:
        """Return an API key by the hash of its token, or ``None``."""
        r = self._s.get(ApiKeyRow, key_hash)
        return None if r is None else _api_key(r)

    def api_keys_by_id(self, key_id: str) -> list[ApiKeyRecord]:
        """Return the API keys whose hash starts with ``key_id`` (hex digits only)."""
        if not key_id or any(c not in "0123456789abcdef" for c in key_id):
            return []
        stmt = select(ApiKeyRow).where(ApiKeyRow.key_hash.startswith(key_id)).limit(2)
        return [_api_key(r) for r in self._s.scalars(stmt)]

    def api_keys(self) -> list[ApiKeyRecord]:
        """Return every API key, oldest first."""
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_hash)
        return [_api_key(r) for r in self._s.scalars(stmt)]

    def revoke_api_key(self, key_hash: str, *, at: str) -> bool:
        """Set ``revoked_at`` of an API key; return whether it was not revoked before."""
        self._need_write()
        row = self._s.get(ApiKeyRow, key_hash)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = at
        self._s.flush()
        return True

    # idempotency
    def idempotency(self, principal: str, key: str) -> tuple[str, str] | None:
        """Return ``(request_sha256, serial)`` recorded for an idempotency key, or ``None``."""
        r = self._s.get(IdempotencyRow, (principal, key))
        return None if r is None else (r.request_sha256, r.serial)

    def add_idempotency(
        self, *, principal: str, key: str, request_sha256: str, serial: str, at: str
    ) -> None:
        """Record the serial issued for an idempotency key."""
        self._need_write()
        self._s.add(
            IdempotencyRow(
                principal=principal,
                key=key,
                request_sha256=request_sha256,
                serial=serial,
                created_at=at,
            )
        )
        self._s.flush()

    # audit
    def append_audit(
        self, *, actor: str, action: str, subject: str, details: dict[str, Any], at: str
    ) -> AuditRecord:
        """Append an entry to the audit chain (inside the serialised write transaction)."""
        self._need_write()
        head = self._s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
        seq = 1 if head is None else head.seq + 1
        prev = GENESIS_HASH if head is None else head.hash
        text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = _entry_hash(
            prev, seq=seq, at=at, actor=actor, action=action, subject=subject, details=text
        )
        row = AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=text,
            prev_hash=prev,
            hash=digest,
        )
        self._s.add(row)
        self._s.flush()
        return _audit(row)

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """Return audit entries with ``seq > after_seq``, in order."""
        stmt = select(AuditRow).where(AuditRow.seq > after_seq).order_by(AuditRow.seq).limit(limit)
        return [_audit(r) for r in self._s.scalars(stmt)]

    def verify_audit_chain(
        self, *, batch: int = 5000, expect_head: str | None = None
    ) -> AuditCheck:
        """Recompute every hash of the audit chain; report the first entry that breaks it.

        The chain alone cannot show that entries were removed from its end (or that the
        whole chain was rewritten with recomputed hashes): ``expect_head``, a head hash
        recorded earlier outside the registry, must still be the hash of an entry of an
        intact chain (``expected_head_seq`` says which); if it is not, the check fails.
        """
        prev = GENESIS_HASH
        expected_seq = 1
        count = 0
        head_seq: int | None = None
        while True:
            rows = self.audit_entries(after_seq=expected_seq - 1, limit=batch)
            if not rows:
                break
            for r in rows:
                if r.seq != expected_seq:
                    return AuditCheck(
                        False, count, prev, expected_seq, f"entry {expected_seq} is missing"
                    )
                if r.prev_hash != prev:
                    return AuditCheck(
                        False, count, prev, r.seq, f"entry {r.seq}: prev_hash does not match"
                    )
                try:
                    digest = _entry_hash(
                        r.prev_hash,
                        seq=r.seq,
                        at=r.at,
                        actor=r.actor,
                        action=r.action,
                        subject=r.subject,
                        details=r.details,
                    )
                except ValueError:
                    digest = ""
                if digest != r.hash:
                    return AuditCheck(
                        False, count, prev, r.seq, f"entry {r.seq}: content does not match its hash"
                    )
                prev = r.hash
                if expect_head is not None and r.hash == expect_head:
                    head_seq = r.seq
                expected_seq += 1
                count += 1
        if expect_head is not None and head_seq is None:
            message = (
                f"{count} entries, chain intact, but the expected head {expect_head} is not "
                "the hash of any entry: entries were removed from the end, or the chain was "
                "rewritten"
            )
            return AuditCheck(False, count, prev, None, message)
        message = f"{count} entries, chain intact"
        if head_seq is not None:
            message += f"; the expected head is entry {head_seq}"
        return AuditCheck(True, count, prev, None, message, head_seq)


# --- the registry ---------------------------------------------------------------------------


def migrations_dir() -> Path:
    """Return the Alembic script directory of the registry schema."""
    return package_data_dir() / "registry_migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


class RegistryUnavailableError(StoreError):
    """The registry database cannot be reached (refused, gone, locked past the timeout).

    Serving: a 503; the message names the driver's reason for the operator's log.
    """


@contextmanager
def _reachable() -> Iterator[None]:
    """Raise :class:`RegistryUnavailableError` for an error of the connection, not the query."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise RegistryUnavailableError(f"the registry database is unreachable: {reason}") from exc


def _sqlite_path(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class Registry:
    """A certificate registry database, migrated to the latest schema when opened.

    Use :meth:`read` and :meth:`write` to run operations in a transaction; close
    with :meth:`close` (or use the registry as a context manager).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(friendshore_write=True)
        self.dialect = engine.dialect.name
        # one writer per process at a time in SQLite: the database lock does the rest
        self._local_lock = threading.Lock() if self.dialect == "sqlite" else None

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        pool_size: int = 8,
        sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    ) -> Registry:
        """Open (and migrate) the registry at ``url``; the default SQLite file if ``None``.

        ``sqlite_synchronous`` is SQLite's ``PRAGMA synchronous`` in WAL mode:
        ``NORMAL`` (default) keeps every committed transaction when the process is
        killed, and may lose the last ones if the machine loses power; ``FULL``
        syncs each commit to disk (durable through power loss, slower).

        Raises
        ------
        InputError
            If the URL is not a valid database URL or names an unsupported database.
        StoreError
            If the database cannot be reached or migrated.
        """
        text = url or default_registry_url()
        try:
            parsed = sa.make_url(text)
        except sa.exc.ArgumentError as exc:
            raise InputError(f"{text!r} is not a database URL: {exc}") from None
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            path = _sqlite_path(parsed)
            if path is None:
                raise InputError("give the registry a file: sqlite:///PATH (not in memory)")
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                parsed,
                connect_args={"timeout": 60, "check_same_thread": False},
                pool_size=pool_size,
                max_overflow=pool_size * 4,
            )
            _sqlite_events(engine, sqlite_synchronous)
        elif backend == "postgresql":
            engine = sa.create_engine(
                parsed, pool_size=pool_size, max_overflow=pool_size * 4, pool_pre_ping=True
            )
        else:
            raise InputError(f"unsupported registry database {backend!r}: use sqlite or postgresql")
        registry = cls(engine)
        try:
            registry.migrate()
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open the registry {parsed!r}: {exc}") from exc
        except BaseException:
            engine.dispose()
            raise
        return registry

    def migrate(self) -> None:
        """Upgrade the schema to the latest Alembic revision (no-op when current)."""
        config = _alembic_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        with self._writer.begin() as conn:
            self._lock(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def _lock(self, conn: sa.Connection) -> None:
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK})

    def revision(self) -> str | None:
        """Return the schema's current Alembic revision."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def read(self) -> Iterator[RegistryTxn]:
        """A read-only transaction (a consistent snapshot in SQLite's WAL mode).

        Raises
        ------
        RegistryUnavailableError
            If the database cannot be reached (so do :meth:`write` and
            :meth:`certificate_status`).
        """
        with _reachable(), Session(self.engine) as session, session.begin():
            yield RegistryTxn(session, writable=False)

    @contextmanager
    def write(self) -> Iterator[RegistryTxn]:
        """A serialised write transaction: committed on exit, rolled back on error."""
        if self._local_lock is not None:
            with (
                _reachable(),
                self._local_lock,
                Session(self._writer) as session,
                session.begin(),
            ):
                yield RegistryTxn(session, writable=True)
            return
        with _reachable(), Session(self._writer) as session, session.begin():
            self._lock(session.connection())
            yield RegistryTxn(session, writable=True)

    def certificate_status(
        self, serial: str
    ) -> tuple[CertificateRecord, RevocationRecord | None] | None:
        """Return a certificate and its revocation in one query (the verification path)."""
        with _reachable(), self.engine.connect() as conn:
            row = conn.execute(_STATUS, {"serial": serial}).first()
        if row is None:
            return None
        cert = CertificateRecord(*row[:9])
        if row[9] is None:
            return cert, None
        return cert, RevocationRecord(row[0], row[9], row[10], row[11])

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_C = CertificateRow.__table__.c
_R = RevocationRow.__table__.c
_STATUS = (
    sa.select(
        _C.serial,
        _C.member,
        _C.applicant,
        _C.declaration_ref,
        _C.declaration_sha256,
        _C.issued_at,
        _C.valid_from,
        _C.valid_until,
        _C.document,
        _R.revoked_at,
        _R.revoked_by,
        _R.reason,
    )
    .select_from(CertificateRow.__table__.outerjoin(RevocationRow.__table__))
    .where(_C.serial == sa.bindparam("serial"))
)


def _sqlite_events(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("friendshore_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
