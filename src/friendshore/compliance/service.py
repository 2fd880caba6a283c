"""The compliance service: declarations, evaluation, issuance, revocation, verification, audit.

Every operation takes the :class:`Principal` acting and enforces its role:

- ``applicant`` (a company, by its applicant id): submit, evaluate and list its
  own declarations; list its own certificates;
- ``issuer`` (a member authority, by member code): issue certificates signed with
  its member's key, revoke and list its member's certificates only;
- ``auditor``: read everything, including the audit log and its verification;
- ``public``: verify certificates only.

Each change (declaration, issuance, revocation, key registration, API key) appends
an entry to the registry's hash-chained audit log in the same transaction.
API keys are random 256-bit tokens; the registry keeps only their SHA-256 (a fast
hash suffices for high-entropy secrets, unlike passwords). A key may expire
(``expires_at``) and be revoked (:meth:`ComplianceService.revoke_api_key`); both are
checked on every authentication. An issuer key's name must be a member code of the
zone, exactly as the zone file writes it.

The members' signing keys are published as the zone's signed key list
(:meth:`ComplianceService.key_list`, :mod:`friendshore.compliance.keylist`), which
:meth:`ComplianceService.verify_offline` checks a certificate's issuer against
without the registry. :meth:`ComplianceService.rotate_key` replaces a member's key;
the old one stays listed, valid until the rotation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pydantic
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from friendshore._core.errors import FriendshoreError, InputError
from friendshore.compliance.canonical import sha256_hex
from friendshore.compliance.certificates import (
    did_key,
    format_time,
    parse_time,
    public_key_from_did,
    raw_public_key,
    sign_credential,
    unsigned_credential,
    verify_proof,
)
from friendshore.compliance.declaration import ID_PATTERN, MAX_ID_LENGTH, Declaration
from friendshore.compliance.evaluate import Evaluation, evaluate
from friendshore.compliance.keylist import KeyList, build_key_list, key_list_version, zone_identity
from friendshore.compliance.rules import (
    CERTIFICATE_OF_ORIGIN,
    RulePack,
    load_rule_pack,
    mandatory_packs,
)
from friendshore.data import keystore
from friendshore.data.registry import (
    ApiKeyRecord,
    AuditCheck,
    AuditRecord,
    CertificateRecord,
    DeclarationRecord,
    Registry,
    RegistryTxn,
    RevocationRecord,
    utc_now,
)

__all__ = [
    "DEFAULT_ISSUE_PACKS",
    "AccessDeniedError",
    "ApiKeyRefusedError",
    "ComplianceService",
    "ConflictError",
    "IdempotencyMismatchError",
    "IssueResult",
    "NotFoundError",
    "NotIssuableError",
    "Principal",
    "RequestError",
    "Role",
    "Verification",
]

DEFAULT_ISSUE_PACKS = ("zone-rules-of-origin", "zone-feoc", "zone-responsible-sourcing")


class Role(StrEnum):
    """Roles of the registry."""

    APPLICANT = "applicant"
    ISSUER = "issuer"
    AUDITOR = "auditor"
    PUBLIC = "public"


@dataclass(frozen=True)
class Principal:
    """Who acts: a role and a name (applicant id, member code, auditor name, ``public``)."""

    role: Role
    name: str

    def __str__(self) -> str:
        return f"{self.role.value}:{self.name}"


PUBLIC = Principal(Role.PUBLIC, "public")


class AccessDeniedError(FriendshoreError):
    """The principal's role does not allow the operation (HTTP 403)."""


class RequestError(InputError):
    """A refused request, naming the request field at fault (``serial``, ``reason``…) if any.

    Parameters
    ----------
    message
        What is wrong.
    field
        The request field (parameter, body field or header) at fault, or ``None``.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class NotFoundError(RequestError):
    """No such declaration or certificate (HTTP 404)."""


class ConflictError(RequestError):
    """An idempotency key reused with another request, or a repeated revocation (HTTP 409/422)."""


class IdempotencyMismatchError(ConflictError):
    """An idempotency key reused with a different request (HTTP 422)."""


class NotIssuableError(RequestError):
    """The evaluation did not pass: no certificate (HTTP 422, with the evaluation)."""

    def __init__(self, message: str, evaluation: Evaluation, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.evaluation = evaluation


class ApiKeyRefusedError(FriendshoreError):
    """A bearer token that is unknown, revoked or expired (HTTP 401); the message says which."""


class Verification(pydantic.BaseModel):
    """The outcome of verifying a certificate: every check and the overall verdict."""

    model_config = pydantic.ConfigDict(frozen=True)

    valid: bool
    status: Literal[
        "valid",
        "revoked",
        "expired",
        "not_yet_valid",
        "invalid_signature",
        "unknown_issuer",
        "not_in_registry",
        "revocation_unchecked",
        "malformed",
    ]
    reason: str
    serial: str | None = None
    member: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    revoked_at: str | None = None
    revocation_reason: str | None = None
    checked_at: str
    checks: dict[str, bool | None]


@dataclass(frozen=True)
class IssueResult:
    """An issued (or replayed) certificate."""

    serial: str
    certificate: dict[str, Any]
    record: CertificateRecord
    replayed: bool


#: What a serial (``EU27-2025-69D792C893F8``) and a member code look like: anything else
#: in a certificate is malformed, and is never sent to the database.
_SERIAL = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_MEMBER = re.compile(r"[A-Za-z0-9._-]{1,32}")
#: A principal name of an applicant or auditor key (an applicant id: as in declarations).
_PRINCIPAL = re.compile(ID_PATTERN.removeprefix("^").removesuffix("$"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


#: The last instant a certificate can name (9999-12-31T23:59:59Z once written).
_LAST_INSTANT = datetime.max.replace(tzinfo=UTC)


def _days_after(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` days, or the last representable instant if past year 9999."""
    if moment > _LAST_INSTANT - timedelta(days=days):
        return _LAST_INSTANT
    return moment + timedelta(days=days)


def hash_token(token: str) -> str:
    """Return the SHA-256 (hex) under which an API token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ComplianceService:
    """Compliance operations over a registry and the members' signing keys."""

    def __init__(self, registry: Registry, *, keys_dir: Path | None = None) -> None:
        self.registry = registry
        self.keys_dir = keys_dir if keys_dir is not None else keystore.default_keys_dir()
        self._keys: dict[str, tuple[tuple[int, int], Ed25519PrivateKey]] = {}
        self._key_list: tuple[int, dict[str, Any]] | None = None
        self._proof_cache: OrderedDict[str, tuple[bool, str, str | None]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._keys_by_member: dict[str, frozenset[str]] = {}
        self._declarations: OrderedDict[str, tuple[DeclarationRecord, Declaration]] = OrderedDict()

    # --- authentication ------------------------------------------------------------------

    @staticmethod
    def check_principal_name(role: Role, name: str) -> str:
        """Return ``name`` if it may name a principal of ``role``; else raise.

        An issuer is a member of the zone, by its exact code (``EU27``, ``USA``: no
        other case, no spaces, no look-alike letters); an applicant or auditor name is
        an applicant id (letters, digits and ``. _ : -``, starting with a letter or digit,
        at most 128 characters, the registry's column).

        Raises
        ------
        RequestError
            If it may not (``field``: ``name``).
        """
        if len(name) > MAX_ID_LENGTH:
            raise RequestError(
                f"a principal name has at most {MAX_ID_LENGTH} characters ({len(name)} given)",
                field="name",
            )
        if role is Role.ISSUER:
            zone, members = zone_identity()
            if name not in members:
                raise RequestError(
                    f"{name!r} is not a member of the zone ({zone}): an issuer is one of "
                    f"{', '.join(members)}, written exactly so",
                    field="name",
                )
            return name
        if not _PRINCIPAL.fullmatch(name) or not name[0].isascii() or not name[0].isalnum():
            raise RequestError(
                f"{name!r} is not a principal name: use letters, digits and . _ : - "
                "(starting with a letter or digit), as an applicant id",
                field="name",
            )
        return name

    def create_api_key(
        self, role: Role, name: str, *, label: str = "", expires_at: datetime | None = None
    ) -> str:
        """Create an API key for ``name`` in ``role``; return the token (shown once).

        ``expires_at``: the key is refused from this instant on (``None``: never).
        The key's id (to revoke it) is the first 16 hex digits of the token's SHA-256,
        :func:`api_key_id`.

        Raises
        ------
        InputError
            For the public role, a name :meth:`check_principal_name` refuses, a label
            over 256 characters or an expiry not in the future.
        """
        if role is Role.PUBLIC:
            raise InputError("the public role needs no key")
        if not name.strip():
            raise InputError("give the principal's name (applicant id, member code, auditor)")
        self.check_principal_name(role, name)
        if len(label) > 256:
            raise RequestError("a label has at most 256 characters", field="label")
        expires = None
        if expires_at is not None:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= datetime.now(UTC):
                raise RequestError(
                    f"the expiry {format_time(expires_at)} is not in the future", field="expires"
                )
            expires = expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        token = "fsk_" + secrets.token_urlsafe(32)
        at = utc_now()
        digest = hash_token(token)
        with self.registry.write() as tx:
            tx.add_api_key(
                key_hash=digest,
                role=role.value,
                principal=name,
                label=label,
                at=at,
                expires_at=expires,
            )
            tx.append_audit(
                actor="admin",
                action="api_key.create",
                subject=f"{role.value}:{name}",
                details={
                    "role": role.value,
                    "principal": name,
                    "label": label,
                    "key_id": digest[:16],
                    "expires_at": expires,
                },
                at=at,
            )
        return token

    def check_api_key(self, token: str) -> Principal:
        """Return the principal of a bearer token.

        Raises
        ------
        ApiKeyRefusedError
            If the token is unknown, revoked or expired (the message says which and when).
        """
        with self.registry.read() as tx:
            record = tx.api_key(hash_token(token))
        if record is None:
            raise ApiKeyRefusedError("unknown API key")
        if record.revoked_at is not None:
            raise ApiKeyRefusedError(f"API key {record.key_id} was revoked at {record.revoked_at}")
        if record.expires_at is not None and record.expires_at <= utc_now():
            raise ApiKeyRefusedError(f"API key {record.key_id} expired at {record.expires_at}")
        return Principal(Role(record.role), record.principal)

    def authenticate(self, token: str) -> Principal | None:
        """Return the principal of a bearer token, or ``None`` if unknown, revoked or expired."""
        try:
            return self.check_api_key(token)
        except ApiKeyRefusedError:
            return None

    def api_keys(self) -> list[ApiKeyRecord]:
        """Return every API key (hash, role, principal, label, dates), oldest first."""
        with self.registry.read() as tx:
            return tx.api_keys()

    def revoke_api_key(self, key_id: str, *, actor: str = "admin") -> ApiKeyRecord:
        """Revoke an API key by its id (16+ hex digits of its hash) or by its token.

        Raises
        ------
        NotFoundError
            If no key has this id, or several do (give more digits).
        ConflictError
            If it is already revoked.
        """
        ident = key_id.strip()
        prefix = hash_token(ident) if ident.startswith("fsk_") else ident.lower()
        if not re.fullmatch(r"[0-9a-f]{16,64}", prefix):
            raise RequestError(
                f"{key_id!r} is not an API key id (16 to 64 hex digits, `comply token list`)",
                field="key_id",
            )
        at = utc_now()
        with self.registry.write() as tx:
            found = tx.api_keys_by_id(prefix)
            if not found:
                raise NotFoundError(f"no API key {key_id!r}", field="key_id")
            if len(found) > 1:
                raise NotFoundError(f"several API keys start with {prefix}", field="key_id")
            record = found[0]
            if not tx.revoke_api_key(record.key_hash, at=at):
                raise ConflictError(
                    f"API key {record.key_id} is already revoked (at {record.revoked_at})",
                    field="key_id",
                )
            tx.append_audit(
                actor=actor,
                action="api_key.revoke",
                subject=f"{record.role}:{record.principal}",
                details={"key_id": record.key_id},
                at=at,
            )
        return ApiKeyRecord(**{**record.__dict__, "revoked_at": at})

    # --- declarations and evaluation -----------------------------------------------------

    @staticmethod
    def _require(principal: Principal, *roles: Role) -> None:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise AccessDeniedError(
                f"role {principal.role.value} may not do this (needs {allowed})"
            )

    def submit_declaration(
        self, principal: Principal, declaration: Declaration
    ) -> DeclarationRecord:
        """Store a declaration of the applicant (an identical resubmission returns the first)."""
        self._require(principal, Role.APPLICANT, Role.ISSUER)
        if principal.role is Role.APPLICANT and declaration.applicant.id != principal.name:
            raise AccessDeniedError(
                f"applicant {principal.name} may not submit a declaration of "
                f"{declaration.applicant.id}"
            )
        return self._store_declaration(principal, declaration)

    def _store_declaration(
        self, principal: Principal, declaration: Declaration
    ) -> DeclarationRecord:
        body = json.dumps(declaration.model_dump(mode="json"), ensure_ascii=False)
        at = utc_now()
        with self.registry.write() as tx:
            return self._add_declaration(tx, principal, declaration, body=body, at=at)

    @staticmethod
    def _add_declaration(
        tx: RegistryTxn, principal: Principal, declaration: Declaration, *, body: str, at: str
    ) -> DeclarationRecord:
        """Store a declaration in ``tx`` with its audit entry (none if already stored)."""
        digest = declaration.sha256()
        record, created = tx.add_declaration(
            ref="D-" + secrets.token_hex(10).upper(),
            declaration_id=declaration.id,
            applicant=declaration.applicant.id,
            sha256=digest,
            body=body,
            at=at,
        )
        if created:
            tx.append_audit(
                actor=str(principal),
                action="declaration.submit",
                subject=record.ref,
                details={"declaration_id": declaration.id, "sha256": digest},
                at=at,
            )
        return record

    def declaration(self, principal: Principal, ref: str) -> tuple[DeclarationRecord, Declaration]:
        """Return a stored declaration (applicants: their own only)."""
        self._require(principal, Role.APPLICANT, Role.ISSUER, Role.AUDITOR)
        with self._cache_lock:
            cached = self._declarations.get(ref)
        if cached is None:
            with self.registry.read() as tx:
                record = tx.declaration(ref)
            if record is not None:  # declarations never change: keep the parsed model
                cached = (record, Declaration.model_validate_json(record.body))
                with self._cache_lock:
                    self._declarations[ref] = cached
                    if len(self._declarations) > 1000:
                        self._declarations.popitem(last=False)
        if cached is None or (
            principal.role is Role.APPLICANT and cached[0].applicant != principal.name
        ):
            raise NotFoundError(f"no declaration {ref!r}", field="declaration_ref")
        return cached

    def list_declarations(
        self, principal: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[DeclarationRecord]:
        """List declarations: an applicant's own; all for issuers and auditors."""
        self._require(principal, Role.APPLICANT, Role.ISSUER, Role.AUDITOR)
        applicant = principal.name if principal.role is Role.APPLICANT else None
        with self.registry.read() as tx:
            return tx.declarations(applicant=applicant, limit=limit, offset=offset)

    @staticmethod
    def load_packs(packs: Sequence[str] | None) -> list[RulePack]:
        """Load rule packs by id or path (the zone packs when ``None`` or empty)."""
        return [load_rule_pack(p) for p in (packs or DEFAULT_ISSUE_PACKS)]

    def evaluate(
        self,
        declaration: Declaration,
        *,
        packs: Sequence[str] | None = None,
        on: date | None = None,
    ) -> Evaluation:
        """Evaluate a declaration against packs (default: the zone packs) on a date."""
        return evaluate(declaration, self.load_packs(packs), on=on or declaration.declared_on)

    # --- issuance --------------------------------------------------------------------------

    @staticmethod
    def issue_pack_ids(packs: Sequence[str] | None) -> list[str]:
        """Return the packs issuance evaluates: the zone's mandatory packs, then those requested.

        The mandatory packs of a certificate of origin (``rulepacks/mandatory.toml``)
        are evaluated whatever ``packs`` holds; a requested pack already among them
        is evaluated once.
        """
        return list(dict.fromkeys([*mandatory_packs(CERTIFICATE_OF_ORIGIN), *(packs or ())]))

    def _issue_packs(self, pack_ids: Sequence[str]) -> list[RulePack]:
        loaded = self.load_packs(pack_ids)
        seen: dict[str, str] = {}
        for name, pack in zip(pack_ids, loaded, strict=True):
            if pack.id in seen:  # e.g. an edited copy of a mandatory pack under its id
                raise RequestError(
                    f"rule packs {seen[pack.id]!r} and {name!r} have the same id {pack.id!r}: "
                    "a mandatory pack cannot be replaced",
                    field="packs",
                )
            seen[pack.id] = name
        return loaded

    def _refuse(
        self,
        principal: Principal,
        declaration: Declaration,
        record: DeclarationRecord | None,
        evaluation: Evaluation,
        *,
        field: str,
    ) -> NotIssuableError:
        """Audit a refused issuance (the only trace it leaves) and return the error to raise.

        An inline declaration that does not pass is not stored: the audit entry
        ``declaration.refuse`` names it by digest, with the failing rules.
        """
        failed = [(p.pack_id, r) for p in evaluation.packs for r in p.rules if r.status == "fail"]
        mandatory = set(mandatory_packs(CERTIFICATE_OF_ORIGIN))
        why = "; ".join(f"{pack}/{r.rule_id}: {r.reason}" for pack, r in failed)
        forced = sorted({pack for pack, _ in failed if pack in mandatory})
        if forced:
            why += (
                f" (mandatory for a {CERTIFICATE_OF_ORIGIN} of the zone, evaluated whatever "
                f"packs are requested: {', '.join(forced)})"
            )
        digest = declaration.sha256()
        at = utc_now()
        with self.registry.write() as tx:
            tx.append_audit(
                actor=str(principal),
                action="declaration.refuse",
                subject=record.ref if record is not None else f"sha256:{digest}",
                details={
                    "declaration_id": declaration.id,
                    "applicant": declaration.applicant.id,
                    "sha256": digest,
                    "evaluated_on": evaluation.evaluated_on.isoformat(),
                    "packs": [p.pack_id for p in evaluation.packs],
                    "failed": [f"{pack}/{r.rule_id}" for pack, r in failed],
                },
                at=at,
            )
        return NotIssuableError(
            f"the declaration does not pass: {why or 'no rule applies on that date'}",
            evaluation,
            field=field,
        )

    def _signing_key(self, member: str) -> Ed25519PrivateKey:
        """The member's current key (read again when its file changed: a rotation)."""
        stamp = keystore.key_stamp(self.keys_dir, member)
        cached = self._keys.get(member)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        key = keystore.load_private_key(self.keys_dir, member)
        self._keys[member] = (stamp, key)
        return key

    def issue(
        self,
        principal: Principal,
        *,
        declaration_ref: str | None = None,
        declaration: Declaration | None = None,
        packs: Sequence[str] | None = None,
        on: date | None = None,
        valid_days: int = 365,
        idempotency_key: str | None = None,
    ) -> IssueResult:
        """Issue a certificate for a declaration that passes the packs, signed by the member.

        Give a stored ``declaration_ref`` or a ``declaration`` (stored with the
        certificate, in the same transaction: a refused one is not stored). The
        packs evaluated are the zone's mandatory packs for a certificate of origin
        plus ``packs`` (:meth:`issue_pack_ids`). The certificate is valid from the
        evaluation date for ``valid_days`` days, cut at the end of any pack's
        validity and of the evidence its due-diligence rules relied on. A repeated
        ``idempotency_key`` with the same request returns the first certificate
        (``replayed``).

        Raises
        ------
        AccessDeniedError
            If the principal is not an issuer.
        NotIssuableError
            If the evaluation does not pass (a mandatory pack fails, or any
            requested one); the refusal is audited (``declaration.refuse``) and
            nothing else is written.
        RequestError
            If two packs evaluated have the same id (a file standing in for a
            mandatory pack).
        ConflictError
            If ``idempotency_key`` was used for a different request.
        """
        self._require(principal, Role.ISSUER)
        member = principal.name
        if not 1 <= valid_days <= 3660:
            raise RequestError("valid_days must be between 1 and 3660", field="valid_days")
        if (declaration_ref is None) == (declaration is None):
            raise RequestError(
                "give a declaration reference or a declaration, not both", field="declaration_ref"
            )
        pack_ids = self.issue_pack_ids(packs)
        request = {
            "declaration_ref": declaration_ref,
            "declaration_sha256": declaration.sha256() if declaration else None,
            "packs": pack_ids,
            "on": on.isoformat() if on else None,
            "valid_days": valid_days,
        }
        request_hash = sha256_hex(request)
        if idempotency_key is not None:
            replay = self._replay(member, idempotency_key, request_hash)
            if replay is not None:
                return replay
        record: DeclarationRecord | None = None  # an inline declaration: stored on success
        if declaration is None:
            assert declaration_ref is not None
            record, declaration = self.declaration(principal, declaration_ref)
        loaded = self._issue_packs(pack_ids)
        day = on or datetime.now(UTC).date()
        evaluation = evaluate(declaration, loaded, on=day)
        if evaluation.status != "pass":
            field = "declaration_ref" if declaration_ref is not None else "declaration"
            raise self._refuse(principal, declaration, record, evaluation, field=field)
        key = self._signing_key(member)
        did = did_key(key.public_key())
        now = datetime.now(UTC)
        valid_from = _midnight(day)
        valid_until = _days_after(valid_from, valid_days)
        ends = [_days_after(_midnight(p.valid_to), 1) for p in loaded if p.valid_to]
        cited = {
            f.figures.get("certificate_id")
            for p in evaluation.packs
            for r in p.rules
            if r.rule_type == "due_diligence" and r.status == "pass"
            for f in r.findings
        }
        ends += [  # a certificate does not outlive the evidence it rests on
            _days_after(_midnight(e.valid_to), 1)  # evidence valid to 9999-12-31: no cut
            for lot in declaration.lots
            for e in lot.evidence
            if e.certificate_id in cited
        ]
        if ends:
            valid_until = min(valid_until, *ends)
        serial = f"{member}-{day.year}-{secrets.token_hex(6).upper()}"
        credential = unsigned_credential(
            serial=serial,
            member=member,
            issuer_did=did,
            declaration=declaration,
            evaluation=evaluation,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        signed = sign_credential(credential, key, created=now)
        text = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
        body = (
            json.dumps(declaration.model_dump(mode="json"), ensure_ascii=False)
            if record is None
            else ""
        )
        at = utc_now()
        with self.registry.write() as tx:
            if idempotency_key is not None:
                found = tx.idempotency(member, idempotency_key)
                if found is not None:
                    return self._replayed(tx.certificate(found[1]), found, request_hash)
            if record is None:
                record = self._add_declaration(tx, principal, declaration, body=body, at=at)
            registered = tx.issuer_keys(member)
            if any(k.key_id == did and k.retired_at is not None for k in registered):
                self._keys.pop(member, None)
                raise ConflictError(
                    f"the signing key of {member} was rotated while issuing: retry",
                    field="declaration_ref" if declaration_ref is not None else "declaration",
                )
            if all(k.key_id != did for k in registered):
                if tx.issuer_key(did) is not None:
                    raise ConflictError(f"the key {did} is registered to another member")
                tx.add_issuer_key(
                    key_id=did,
                    member=member,
                    public_key_b64=base64.b64encode(raw_public_key(key.public_key())).decode(),
                    at=at,
                )
                tx.append_audit(
                    actor=str(principal),
                    action="issuer_key.register",
                    subject=member,
                    details={"key_id": did},
                    at=at,
                )
            cert = CertificateRecord(
                serial=serial,
                member=member,
                applicant=record.applicant,
                declaration_ref=record.ref,
                declaration_sha256=record.sha256,
                issued_at=at,
                valid_from=signed["validFrom"],
                valid_until=signed["validUntil"],
                document=text,
            )
            tx.add_certificate(cert)
            tx.append_audit(
                actor=str(principal),
                action="certificate.issue",
                subject=serial,
                details={
                    "declaration_ref": record.ref,
                    "document_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "packs": pack_ids,
                },
                at=at,
            )
            if idempotency_key is not None:
                tx.add_idempotency(
                    principal=member,
                    key=idempotency_key,
                    request_sha256=request_hash,
                    serial=serial,
                    at=at,
                )
        self._keys_by_member[member] = self._keys_by_member.get(member, frozenset()) | {did}
        return IssueResult(serial=serial, certificate=signed, record=cert, replayed=False)

    def _replay(self, member: str, key: str, request_hash: str) -> IssueResult | None:
        with self.registry.read() as tx:
            found = tx.idempotency(member, key)
            if found is None:
                return None
            return self._replayed(tx.certificate(found[1]), found, request_hash)

    @staticmethod
    def _replayed(
        cert: CertificateRecord | None, found: tuple[str, str], request_hash: str
    ) -> IssueResult:
        if found[0] != request_hash:
            raise IdempotencyMismatchError(
                "this Idempotency-Key was used for a different request", field="Idempotency-Key"
            )
        assert cert is not None  # a foreign key guarantees it
        return IssueResult(
            serial=cert.serial, certificate=json.loads(cert.document), record=cert, replayed=True
        )

    # --- revocation ------------------------------------------------------------------------

    def revoke(self, principal: Principal, serial: str, *, reason: str) -> RevocationRecord:
        """Revoke a certificate of the issuer's own member.

        Raises
        ------
        AccessDeniedError
            If the principal is not an issuer, or the certificate is another member's.
        NotFoundError
            If there is no such certificate.
        ConflictError
            If it is already revoked.
        """
        self._require(principal, Role.ISSUER)
        if not reason.strip():
            raise RequestError("give a reason for the revocation", field="reason")
        at = utc_now()
        with self.registry.write() as tx:
            cert = tx.certificate(serial)
            if cert is None:
                raise NotFoundError(f"no certificate {serial!r}", field="serial")
            if cert.member != principal.name:
                raise AccessDeniedError(
                    f"issuer {principal.name} may not revoke a certificate of {cert.member}"
                )
            if tx.revocation(serial) is not None:
                raise ConflictError(f"certificate {serial} is already revoked", field="serial")
            record = RevocationRecord(
                serial=serial, revoked_at=at, revoked_by=str(principal), reason=reason
            )
            tx.add_revocation(record)
            tx.append_audit(
                actor=str(principal),
                action="certificate.revoke",
                subject=serial,
                details={"reason": reason},
                at=at,
            )
        return record

    # --- issuer keys: rotation and the published key list ----------------------------------

    def rotate_key(self, principal: Principal) -> tuple[str, str]:
        """Replace the issuer's member key with a new one; return ``(old did, new did)``.

        In one registry transaction the old key is registered if it was not yet (it
        signed nothing here then), retired (``retired_at`` now: it stays listed, valid
        until now, to verify what it signed) and the new key registered from now; the
        key files are swapped only after that commit (:func:`keystore.rotate_key`).

        Raises
        ------
        AccessDeniedError
            If the principal is not an issuer.
        DataError
            If the member has no key to rotate.
        """
        self._require(principal, Role.ISSUER)
        member = self.check_principal_name(Role.ISSUER, principal.name)
        dids: list[str] = []

        def commit(old: Ed25519PrivateKey, new: Ed25519PrivateKey) -> None:
            old_did, new_did = did_key(old.public_key()), did_key(new.public_key())
            at = utc_now()
            with self.registry.write() as tx:
                found = tx.issuer_key(old_did)
                if found is not None and found.member != member:
                    raise ConflictError(f"the key {old_did} is registered to {found.member}")
                if found is None:
                    tx.add_issuer_key(
                        key_id=old_did,
                        member=member,
                        public_key_b64=did_public_key_b64(old_did),
                        at=at,
                    )
                tx.retire_issuer_key(old_did, at=at)
                tx.add_issuer_key(
                    key_id=new_did,
                    member=member,
                    public_key_b64=did_public_key_b64(new_did),
                    at=at,
                )
                tx.append_audit(
                    actor=str(principal),
                    action="issuer_key.rotate",
                    subject=member,
                    details={"retired": old_did, "key_id": new_did},
                    at=at,
                )
            dids.extend([old_did, new_did])

        keystore.rotate_key(self.keys_dir, member, commit)
        self._keys.pop(member, None)
        self._keys_by_member.pop(member, None)
        return dids[0], dids[1]

    def key_list(self) -> dict[str, Any]:
        """Return the zone's signed key list of every member's keys (cached per version).

        Raises
        ------
        DataError
            If there is no zone key (``friendshore comply keygen --zone``).
        """
        with self.registry.read() as tx:
            keys = tx.issuer_keys()
        version = key_list_version(keys)
        cached = self._key_list
        if cached is not None and cached[0] == version:
            return cached[1]
        zone, members = zone_identity()
        document = build_key_list(
            keys, members=members, zone_key=keystore.load_zone_key(self.keys_dir), zone=zone
        )
        self._key_list = (version, document)
        return document

    @classmethod
    def verify_offline(
        cls, document: dict[str, Any], key_list: KeyList, *, at: datetime | None = None
    ) -> Verification:
        """Verify a certificate without the registry, against a verified key list.

        Checks the Ed25519 signature; that the signing key is a key of the member
        named in ``issuer.member`` in ``key_list``, valid at the certificate's
        issuance (``proof.created``); the validity dates at ``at``. Revocation needs
        the registry: a certificate that passes every offline check has status
        ``revocation_unchecked`` (``valid`` true, ``checks.revocation`` null).
        """
        if not isinstance(document, dict):
            return cls._result("malformed", "a certificate is a JSON object", at)
        subject = document.get("credentialSubject")
        serial = subject.get("serial") if isinstance(subject, dict) else None
        issuer = document.get("issuer")
        member = issuer.get("member") if isinstance(issuer, dict) else None
        extra: dict[str, Any] = {
            "serial": serial if isinstance(serial, str) and _SERIAL.fullmatch(serial) else None,
            "member": member if isinstance(member, str) and _MEMBER.fullmatch(member) else None,
        }
        checks: dict[str, bool | None] = {
            "signature": None,
            "issuer": None,
            "registry": None,
            "validity": None,
            "revocation": None,
        }
        try:
            ok, reason, did = verify_proof(document)
        except (TypeError, ValueError) as exc:
            return cls._result("malformed", f"not a JSON credential: {exc}", at, **extra)
        checks["signature"] = ok
        if not ok:
            return cls._result("invalid_signature", reason, at, checks=checks, **extra)
        proof = document["proof"]
        valid_from, valid_until = document.get("validFrom"), document.get("validUntil")
        try:
            created = parse_time(proof.get("created", ""))
            start = parse_time(valid_from) if isinstance(valid_from, str) else None
            end = parse_time(valid_until) if isinstance(valid_until, str) else None
        except ValueError:
            return cls._result("malformed", "proof.created or the validity are not dates", at)
        if start is None or end is None:
            return cls._result("malformed", "validFrom/validUntil missing", at, **extra)
        bound, why = key_list.check(extra["member"], did, created)
        checks["issuer"] = bound
        if not bound:
            return cls._result("unknown_issuer", why, at, checks=checks, **extra)
        moment = at or datetime.now(UTC)
        dates = {"valid_from": valid_from, "valid_until": valid_until}
        checks["validity"] = start <= moment < end
        if moment < start:
            return cls._result(
                "not_yet_valid",
                f"valid only from {valid_from}",
                at,
                checks=checks,
                **extra,
                **dates,
            )
        if moment >= end:
            return cls._result(
                "expired", f"expired at {valid_until}", at, checks=checks, **extra, **dates
            )
        return cls._result(
            "revocation_unchecked",
            f"signed by {member} with its {why}; within its validity; revocation not "
            "checked (offline: ask the registry)",
            at,
            checks=checks,
            **extra,
            **dates,
        )

    # --- verification ----------------------------------------------------------------------

    def _proof(
        self, text_hash: str, load: Callable[[], dict[str, Any]]
    ) -> tuple[bool, str, str | None]:
        """Verify a proof once per document (an LRU cache of 10,000 by content hash)."""
        with self._cache_lock:
            hit = self._proof_cache.get(text_hash)
            if hit is not None:
                self._proof_cache.move_to_end(text_hash)
                return hit
        result = verify_proof(load())
        with self._cache_lock:
            self._proof_cache[text_hash] = result
            if len(self._proof_cache) > 10_000:
                self._proof_cache.popitem(last=False)
        return result

    def _member_keys(self, member: str, did: str | None) -> bool:
        """Whether ``did`` is a registered key of ``member`` (cached; refreshed on a miss)."""
        if did is None:
            return False
        known = self._keys_by_member.get(member)
        if known is not None and did in known:
            return True
        with self.registry.read() as tx:
            fresh = frozenset(k.key_id for k in tx.issuer_keys(member))
        self._keys_by_member[member] = fresh
        return did in fresh

    def verify_serial(self, serial: str, *, at: datetime | None = None) -> Verification:
        """Verify the registry's certificate ``serial`` (signature, issuer, dates, revocation)."""
        found = self.registry.certificate_status(serial)
        if found is None:
            return self._result(
                "not_in_registry", f"no certificate {serial!r} in the registry", at, serial=serial
            )
        cert, revocation = found
        digest = hashlib.sha256(cert.document.encode("utf-8")).hexdigest()
        return self._check(
            lambda: json.loads(cert.document),
            digest=digest,
            serial=serial,
            member=cert.member,
            valid_from=cert.valid_from,
            valid_until=cert.valid_until,
            cert=cert,
            revocation=revocation,
            at=at,
        )

    def verify(
        self, certificate: dict[str, Any] | str, *, at: datetime | None = None
    ) -> Verification:
        """Verify a certificate document against the registry.

        Checks, in order: the Ed25519 signature; that the signing key is registered
        to the member named as issuer; that the registry holds this very document;
        the validity dates; the revocation status.
        """
        if isinstance(certificate, str):
            try:
                document = json.loads(certificate)
            except json.JSONDecodeError as exc:
                return self._result("malformed", f"not valid JSON: {exc.msg}", at)
        else:
            document = certificate
        if not isinstance(document, dict):
            return self._result("malformed", "a certificate is a JSON object", at)
        subject = document.get("credentialSubject")
        serial = subject.get("serial") if isinstance(subject, dict) else None
        if not isinstance(serial, str):
            return self._result("malformed", "no credentialSubject.serial", at)
        if not _SERIAL.fullmatch(serial):  # never sent to the database as is
            return self._result("malformed", "credentialSubject.serial is not a serial", at)
        try:
            canonical_hash = sha256_hex(document)
        except (TypeError, ValueError) as exc:
            return self._result("malformed", f"not a JSON credential: {exc}", at, serial=serial)
        issuer = document.get("issuer")
        member = issuer.get("member") if isinstance(issuer, dict) else None
        valid_from, valid_until = document.get("validFrom"), document.get("validUntil")
        if not isinstance(valid_from, str) or not isinstance(valid_until, str):
            return self._result("malformed", "validFrom/validUntil missing", at, serial=serial)
        found = self.registry.certificate_status(serial)
        cert, revocation = found if found is not None else (None, None)
        result = self._check(
            lambda: document,
            digest=canonical_hash,
            serial=serial,
            member=member if isinstance(member, str) and _MEMBER.fullmatch(member) else None,
            valid_from=valid_from,
            valid_until=valid_until,
            cert=cert,
            revocation=revocation,
            at=at,
        )
        if (
            result.valid
            and cert is not None
            and sha256_hex(json.loads(cert.document)) != canonical_hash
        ):
            return self._result(
                "not_in_registry",
                "the registry holds a different document under this serial",
                at,
                serial=serial,
            )
        return result

    def _check(
        self,
        load: Callable[[], dict[str, Any]],
        *,
        digest: str,
        serial: str,
        member: str | None,
        valid_from: str,
        valid_until: str,
        cert: CertificateRecord | None,
        revocation: RevocationRecord | None,
        at: datetime | None,
    ) -> Verification:
        ok, reason, did = self._proof(digest, load)
        checks: dict[str, bool | None] = {
            "signature": ok,
            "issuer": None,
            "registry": None,
            "validity": None,
            "revocation": None,
        }
        extra: dict[str, Any] = {"serial": serial, "member": member}
        if not ok:
            return self._result("invalid_signature", reason, at, checks=checks, **extra)
        checks["issuer"] = member is not None and self._member_keys(member, did)
        if not checks["issuer"]:
            return self._result(
                "unknown_issuer",
                f"the signing key is not registered to member {member}",
                at,
                checks=checks,
                **extra,
            )
        checks["registry"] = cert is not None and cert.member == member
        if not checks["registry"]:
            return self._result(
                "not_in_registry",
                "the registry holds no such certificate",
                at,
                checks=checks,
                **extra,
            )
        try:
            start = parse_time(valid_from)
            end = parse_time(valid_until)
        except ValueError:
            return self._result("malformed", "validFrom/validUntil are not dates", at, **extra)
        moment = at or datetime.now(UTC)
        dates = {"valid_from": valid_from, "valid_until": valid_until}
        checks["validity"] = start <= moment < end
        checks["revocation"] = revocation is None
        if revocation is not None:
            return self._result(
                "revoked",
                f"revoked on {revocation.revoked_at} by {revocation.revoked_by}: "
                f"{revocation.reason}",
                at,
                checks=checks,
                revoked_at=revocation.revoked_at,
                revocation_reason=revocation.reason,
                **extra,
                **dates,
            )
        if moment < start:
            return self._result(
                "not_yet_valid",
                f"valid only from {valid_from}",
                at,
                checks=checks,
                **extra,
                **dates,
            )
        if moment >= end:
            return self._result(
                "expired", f"expired at {valid_until}", at, checks=checks, **extra, **dates
            )
        return self._result(
            "valid",
            f"signed by {member}, in the registry, within its validity, not revoked",
            at,
            checks=checks,
            **extra,
            **dates,
        )

    @staticmethod
    def _result(status: str, reason: str, at: datetime | None, **fields: Any) -> Verification:
        checks = fields.pop("checks", {})
        moment = at or datetime.now(UTC)
        return Verification(
            valid=status in ("valid", "revocation_unchecked"),
            status=status,
            reason=reason,
            checked_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            checks=checks,
            **fields,
        )

    # --- listing and audit -----------------------------------------------------------------

    def list_certificates(
        self, principal: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[CertificateRecord]:
        """List certificates: an applicant's own, an issuer's member's, all for auditors."""
        self._require(principal, Role.APPLICANT, Role.ISSUER, Role.AUDITOR)
        filters: dict[str, str] = {}
        if principal.role is Role.APPLICANT:
            filters["applicant"] = principal.name
        elif principal.role is Role.ISSUER:
            filters["member"] = principal.name
        with self.registry.read() as tx:
            return tx.certificates(limit=limit, offset=offset, **filters)

    def certificate(self, principal: Principal, serial: str) -> CertificateRecord:
        """Return one certificate visible to the principal."""
        self._require(principal, Role.APPLICANT, Role.ISSUER, Role.AUDITOR)
        with self.registry.read() as tx:
            cert = tx.certificate(serial)
        visible = cert is not None and (
            principal.role is Role.AUDITOR
            or (principal.role is Role.ISSUER and cert.member == principal.name)
            or (principal.role is Role.APPLICANT and cert.applicant == principal.name)
        )
        if cert is None or not visible:
            raise NotFoundError(f"no certificate {serial!r}", field="serial")
        return cert

    def audit_log(
        self, principal: Principal, *, after_seq: int = 0, limit: int = 1000
    ) -> list[AuditRecord]:
        """Return audit entries after ``after_seq`` (auditors only)."""
        self._require(principal, Role.AUDITOR)
        with self.registry.read() as tx:
            return tx.audit_entries(after_seq=after_seq, limit=limit)

    def verify_audit(self, principal: Principal, *, expect_head: str | None = None) -> AuditCheck:
        """Recompute the audit chain (auditors only); ``expect_head``: a head hash recorded
        earlier, which must still be in the chain (see ``RegistryTxn.verify_audit_chain``)."""
        self._require(principal, Role.AUDITOR)
        with self.registry.read() as tx:
            return tx.verify_audit_chain(expect_head=expect_head)


def check_member_key(keys_dir: Path, member: str) -> str:
    """Return the ``did:key`` of a member's signing key (reads the key file)."""
    return did_key(keystore.load_private_key(keys_dir, member).public_key())


def did_public_key_b64(did: str) -> str:
    """Return the raw public key (base64) of a ``did:key``."""
    return base64.b64encode(raw_public_key(public_key_from_did(did))).decode()
