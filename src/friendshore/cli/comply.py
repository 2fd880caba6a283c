"""``friendshore comply …``: rules of origin, responsible sourcing, certificates."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.common import KEYS_ENV, REGISTRY_ENV, FormatOption, handle_errors
from friendshore.cli.output import emit_frame, emit_json, stderr

if TYPE_CHECKING:
    from friendshore.compliance.service import ComplianceService, Verification

app = typer.Typer(
    help="Compliance: check declarations against rule packs; issue, verify, revoke certificates.",
    no_args_is_help=True,
)
audit_app = typer.Typer(help="The registry's hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(
    help="The zone's signed key list (which did:key is whose) and key rotation.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
token_app = typer.Typer(
    help="API keys (bearer tokens): create (`comply token --role R --name N`), list, revoke."
)
app.add_typer(token_app, name="token")

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help=f"Registry database URL (sqlite:///FILE or postgresql+psycopg://…). "
        f"Default: ${REGISTRY_ENV} or a SQLite file in the user data directory.",
        show_default=False,
    ),
]
KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        help=f"Directory of the members' signing keys. Default: ${KEYS_ENV} "
        "or keys/ in the user data directory.",
        show_default=False,
    ),
]
RulesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rules",
        "-r",
        help="A rule pack id (see `friendshore comply packs`) or a YAML/TOML file; repeat "
        "for several.",
        show_default=False,
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Evaluation date (YYYY-MM-DD).", show_default=False),
]
MemberOption = Annotated[
    str, typer.Option("--member", help="Issuing member authority (e.g. EU27, USA, JPN, MEX).")
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write to this new file instead of standard output (never overwrites).",
        show_default=False,
    ),
]


class TokenRole(StrEnum):
    """Roles an API key can hold (the values of ``compliance.service.Role``)."""

    APPLICANT = "applicant"
    ISSUER = "issuer"
    AUDITOR = "auditor"
    PUBLIC = "public"


def _registry_url(url: str | None) -> str:
    from friendshore.data.registry import default_registry_url

    return url or os.environ.get(REGISTRY_ENV) or default_registry_url()


def _keys_dir(path: Path | None) -> Path:
    from friendshore.data import keystore

    return path if path is not None else keystore.default_keys_dir()


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"--date {text!r} is not a date (YYYY-MM-DD)") from None


def _check_new_file(path: Path) -> None:
    """Refuse an output path that exists or whose folder does not (exit 2, before any work)."""
    if path.exists() or path.is_symlink():
        raise ValidationError(f"--out {path} exists: give a new file name (never overwritten)")
    if not path.parent.is_dir():
        raise ValidationError(f"--out {path}: the folder {path.parent} does not exist")


def _write_new_file(
    path: Path, payload: Any, *, serial: str | None = None, what: str | None = None
) -> None:
    """Write ``payload`` as JSON to a new file (exclusive create: never overwrites)."""
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        why = f"--out {path}: cannot write it ({exc.strerror or exc})"
        if serial is None:
            raise ValidationError(f"{why}; {what or 'nothing'} was not written") from None
        raise ValidationError(
            f"{why}; certificate {serial} "
            f"is issued and in the registry (GET /api/v1/compliance/certificates/{serial})"
        ) from None


@contextmanager
def _service(registry: str | None, keys: Path | None) -> Iterator[ComplianceService]:
    from friendshore.compliance.service import ComplianceService
    from friendshore.data.registry import Registry

    with Registry.open(_registry_url(registry)) as reg:
        yield ComplianceService(reg, keys_dir=_keys_dir(keys))


@app.command("packs")
@handle_errors
def packs_command(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the shipped rule packs: id, version, jurisdiction, validity dates, rules, source."""
    from friendshore.compliance.rules import list_rule_packs

    emit_frame(list_rule_packs(), fmt, title="Rule packs")


@app.command("check")
@handle_errors
def check_command(
    declaration: Annotated[
        str,
        typer.Argument(
            help="A declaration file (JSON) or a shipped example's id "
            "(cathode-nmc811-illustrative, magnet-ndfeb-feoc-illustrative).",
            metavar="DECLARATION",
        ),
    ],
    rules: RulesOption = None,
    on: DateOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Evaluate a declaration: every rule passes, fails or does not apply, with its reason.

    Default packs: all shipped packs; default date: the declaration's date. JSON
    output is the full evaluation (packs, rules, per-lot findings, figures).
    """
    from friendshore.compliance.declaration import load_declaration
    from friendshore.compliance.evaluate import evaluate, evaluation_frame
    from friendshore.compliance.rules import load_rule_pack, rule_pack_ids

    decl = load_declaration(declaration)
    packs = [load_rule_pack(p) for p in (rules or rule_pack_ids())]
    result = evaluate(decl, packs, on=_date(on) or decl.declared_on)
    if fmt is OutputFormat.JSON:
        emit_json(result.model_dump(mode="json"))
        return
    emit_frame(
        evaluation_frame(result),
        fmt,
        title=f"{decl.id} on {result.evaluated_on}: {result.status}",
    )


@app.command("keygen")
@handle_errors
def keygen_command(
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            help="Issuing member authority (e.g. EU27, USA, JPN, MEX).",
            show_default=False,
        ),
    ] = None,
    zone: Annotated[
        bool, typer.Option("--zone", help="Generate the zone key, which signs the key list.")
    ] = False,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Replace the member's key: the old one is retired in the registry (valid "
            "until now, still listed) and the new one signs from now on.",
        ),
    ] = False,
    keys: KeysOption = None,
    registry: RegistryOption = None,
) -> None:
    """Generate a member's Ed25519 signing key pair, or the zone key (never overwrites).

    With --rotate, replace the member's key (registered in --registry at once).
    """
    from friendshore.data import keystore

    if zone == (member is not None):
        raise ValidationError("give --member MEMBER or --zone")
    if member is None:
        if rotate:
            raise ValidationError("--rotate replaces a member's key: give --member")
        path = keystore.generate_zone_key(_keys_dir(keys))
        stderr.print(f"zone key written to {path} (mode 0600)", highlight=False)
        return
    if rotate:
        _rotate(member, keys, registry)
        return
    _check_member(member)
    path = keystore.generate_key(_keys_dir(keys), member)
    stderr.print(f"key for {member} written to {path} (mode 0600)", highlight=False)


def _check_member(member: str) -> None:
    from friendshore.compliance.service import ComplianceService, RequestError, Role

    try:
        ComplianceService.check_principal_name(Role.ISSUER, member)
    except RequestError as exc:
        raise ValidationError(f"--member: {exc.message}") from None


def _rotate(member: str, keys: Path | None, registry: str | None) -> None:
    from friendshore.compliance.service import Principal, Role
    from friendshore.data import keystore

    _check_member(member)
    keystore.load_private_key(_keys_dir(keys), member)  # before opening the registry
    with _service(registry, keys) as service:
        old, new = service.rotate_key(Principal(Role.ISSUER, member))
    stderr.print(
        f"rotated the key of {member}: {new} signs from now on; {old} is retired "
        "(listed, valid until now)",
        highlight=False,
    )


@keys_app.command("rotate")
@handle_errors
def keys_rotate_command(
    member: MemberOption, keys: KeysOption = None, registry: RegistryOption = None
) -> None:
    """Replace a member's signing key (as `comply keygen --member M --rotate`)."""
    _rotate(member, keys, registry)


@keys_app.command("export")
@handle_errors
def keys_export_command(
    out: OutOption = None, keys: KeysOption = None, registry: RegistryOption = None
) -> None:
    """Write the zone's signed key list (JSON): every member's did:keys with validity.

    The list is signed by the zone key (`comply keygen --zone`); its did:key, printed
    here, is what verifiers pin (`comply verify CERT --offline FILE --zone-key DID`).
    """
    if out is not None:
        _check_new_file(out)
    with _service(registry, keys) as service:
        document = service.key_list()
    version = document["credentialSubject"]["version"]
    if out is None:
        emit_json(document)
    else:
        _write_new_file(out, document, what=f"key list v{version}")
    stderr.print(
        f"key list v{version}, signed by the zone key {document['issuer']['id']}",
        highlight=False,
    )


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"--expires {text!r} is not a date (YYYY-MM-DD) or a date-time (ISO 8601)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@token_app.callback(invoke_without_command=True)
@handle_errors
def token_command(
    ctx: typer.Context,
    role: Annotated[
        TokenRole | None,
        typer.Option(
            "--role",
            help="applicant, issuer or auditor.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Applicant id, member code of the zone (issuer, exactly: EU27) or auditor "
            "name; at most 128 characters.",
            show_default=False,
        ),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A note kept with the key.")] = "",
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="Refuse the key from this UTC date (YYYY-MM-DD: its midnight) or ISO "
            "date-time on. Default: never.",
            show_default=False,
        ),
    ] = None,
    registry: RegistryOption = None,
) -> None:
    """Create an API key (bearer token) for the REST API; only its hash is stored.

    Prints the token (shown once) on standard output and its key id (for `comply
    token revoke`) on standard error. Subcommands: `list`, `revoke KEY_ID`.
    """
    from friendshore.compliance.service import ComplianceService, RequestError, Role, hash_token

    if ctx.invoked_subcommand is not None:
        return
    if role is None or name is None:
        raise ValidationError("give --role and --name (or a subcommand: list, revoke)")
    try:
        ComplianceService.check_principal_name(Role(role.value), name)
    except RequestError as exc:
        raise ValidationError(f"--name: {exc.message}") from None
    moment = _expiry(expires)
    with _service(registry, None) as service:
        token = service.create_api_key(Role(role.value), name, label=label, expires_at=moment)
    typer.echo(token)
    until = f", expires {moment.isoformat()}" if moment else ""
    stderr.print(f"key id {hash_token(token)[:16]} ({role.value}:{name}{until})", highlight=False)


@token_app.command("revoke")
@handle_errors
def token_revoke_command(
    key_id: Annotated[
        str, typer.Argument(help="The key id (`comply token list`) or the token itself.")
    ],
    registry: RegistryOption = None,
) -> None:
    """Revoke an API key: every request with it gets a 401 from now on."""
    with _service(registry, None) as service:
        record = service.revoke_api_key(key_id)
    stderr.print(
        f"revoked API key {record.key_id} ({record.role}:{record.principal}) at "
        f"{record.revoked_at}",
        highlight=False,
    )


@token_app.command("list")
@handle_errors
def token_list_command(
    registry: RegistryOption = None, fmt: FormatOption = OutputFormat.TABLE
) -> None:
    """List the API keys: id, role, principal, label, created, expires, revoked."""
    import pandas as pd

    with _service(registry, None) as service:
        records = service.api_keys()
    columns = ["key_id", "role", "principal", "label", "created_at", "expires_at", "revoked_at"]
    frame = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in records], columns=columns)
    emit_frame(frame, fmt, title="API keys")


@app.command("issue")
@handle_errors
def issue_command(
    declaration: Annotated[
        str,
        typer.Argument(
            help="A declaration file (JSON) or a shipped example's id "
            "(cathode-nmc811-illustrative, magnet-ndfeb-feoc-illustrative).",
            metavar="DECLARATION",
        ),
    ],
    member: MemberOption,
    rules: RulesOption = None,
    on: DateOption = None,
    valid_days: Annotated[
        int, typer.Option("--valid-days", help="Days of validity (cut at the packs' end).")
    ] = 365,
    registry: RegistryOption = None,
    keys: KeysOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the certificate to this new file instead of standard output "
            "(never overwrites).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Issue a signed certificate of origin (JSON on standard output) for a passing declaration.

    Default packs: the zone packs; default date: today. A declaration that does not
    pass exits with code 2 and the failing rules; so does an --out file that exists.
    """
    from friendshore.compliance.declaration import load_declaration
    from friendshore.compliance.service import DEFAULT_ISSUE_PACKS, Principal, Role

    if out is not None:  # checked before issuing: a refusal leaves nothing in the registry
        _check_new_file(out)
    decl = load_declaration(declaration)
    with _service(registry, keys) as service:
        result = service.issue(
            Principal(Role.ISSUER, member),
            declaration=decl,
            packs=rules or list(DEFAULT_ISSUE_PACKS),
            on=_date(on),
            valid_days=valid_days,
        )
    if out is None:
        emit_json(result.certificate)
    else:
        _write_new_file(out, result.certificate, serial=result.serial)
    stderr.print(f"issued {result.serial}", highlight=False)


@app.command("verify")
@handle_errors
def verify_command(
    certificate: Annotated[str, typer.Argument(help="A certificate file (JSON) or a serial.")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="Check validity at this date (YYYY-MM-DD); default now."),
    ] = None,
    registry: RegistryOption = None,
    offline: Annotated[
        Path | None,
        typer.Option(
            "--offline",
            help="Verify without the registry against this key list (`comply keys export`, "
            "GET /api/v1/compliance/keys): signature, issuer binding, dates; not revocation.",
            show_default=False,
        ),
    ] = None,
    zone_key: Annotated[
        str | None,
        typer.Option(
            "--zone-key",
            help="The zone's did:key as published: the key list must be signed by it.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Verify a certificate: signature, issuer key, registry, validity dates, revocation.

    With --offline KEYLIST, no registry is asked: the key list's signature is checked
    (by --zone-key if given), then that the certificate's signing did:key is a key of
    the member it names, valid when it was signed; status `revocation_unchecked`.
    Exits with code 0 if the certificate is valid, 1 if it is not.
    """
    import pandas as pd

    from friendshore.compliance.certificates import parse_certificate
    from friendshore.data.compliance_files import read_certificate_file

    day = _date(at)
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if day else None
    if offline is not None:
        result = _verify_offline(Path(certificate), offline, zone_key, moment)
    else:
        if zone_key is not None:
            raise ValidationError("--zone-key pins the key list's signer: use it with --offline")
        with _service(registry, None) as service:
            path = Path(certificate)
            if path.suffix == ".json" or path.exists():
                document = parse_certificate(read_certificate_file(path), name=str(path))
                result = service.verify(document, at=moment)
            else:
                result = service.verify_serial(certificate, at=moment)
    if fmt is OutputFormat.JSON:
        emit_json(result.model_dump(mode="json"))
    else:
        frame = pd.DataFrame(
            [
                {"field": k, "value": "" if v is None else str(v)}
                for k, v in result.model_dump(mode="json").items()
                if k != "checks"
            ]
            + [
                {"field": f"check_{k}", "value": "—" if v is None else str(v).lower()}
                for k, v in result.checks.items()
            ]
        )
        emit_frame(frame, fmt, title=f"certificate {result.serial or '?'}: {result.status}")
    if not result.valid:
        raise typer.Exit(1)


def _verify_offline(
    path: Path, key_list_path: Path, zone_key: str | None, moment: datetime | None
) -> Verification:
    from friendshore.compliance.certificates import parse_certificate
    from friendshore.compliance.keylist import parse_key_list
    from friendshore.compliance.service import ComplianceService
    from friendshore.data.compliance_files import read_certificate_file
    from friendshore.data.keystore import read_key_list_file

    if zone_key is not None and not zone_key.startswith("did:key:z"):
        raise ValidationError(f"--zone-key {zone_key!r} is not a did:key")
    document = parse_certificate(read_certificate_file(path), name=str(path))
    listed = parse_certificate(read_key_list_file(key_list_path), name=str(key_list_path))
    key_list = parse_key_list(listed, zone_key=zone_key)
    if zone_key is None:
        stderr.print(
            f"key list v{key_list.version} is intact and signed by {key_list.zone_key}; "
            "pin the zone's key with --zone-key to know it is the zone's",
            highlight=False,
        )
    return ComplianceService.verify_offline(document, key_list, at=moment)


@app.command("revoke")
@handle_errors
def revoke_command(
    serial: Annotated[str, typer.Argument(help="Serial of the certificate.")],
    member: MemberOption,
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked (kept, public).")],
    registry: RegistryOption = None,
    keys: KeysOption = None,
) -> None:
    """Revoke a certificate of your member (the member's signing key must be in --keys)."""
    from friendshore.compliance.service import Principal, Role
    from friendshore.data import keystore

    keystore.load_private_key(_keys_dir(keys), member)  # proves the member authority
    with _service(registry, keys) as service:
        record = service.revoke(Principal(Role.ISSUER, member), serial, reason=reason)
    emit_json(record.__dict__)


@app.command("list")
@handle_errors
def list_command(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most rows.")] = 100,
    registry: RegistryOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the registry's certificates (newest first) with their revocation status."""
    import pandas as pd

    from friendshore.compliance.service import Principal, Role

    with _service(registry, None) as service:
        auditor = Principal(Role.AUDITOR, "cli")
        certs = service.list_certificates(auditor, limit=limit)
        with service.registry.read() as tx:
            revoked = {}
            for c in certs:
                found = tx.revocation(c.serial)
                revoked[c.serial] = found.revoked_at if found else None
    frame = pd.DataFrame(
        [
            {
                "serial": c.serial,
                "member": c.member,
                "applicant": c.applicant,
                "issued_at": c.issued_at,
                "valid_from": c.valid_from,
                "valid_until": c.valid_until,
                "revoked_at": revoked[c.serial],
            }
            for c in certs
        ],
        columns=[
            "serial",
            "member",
            "applicant",
            "issued_at",
            "valid_from",
            "valid_until",
            "revoked_at",
        ],
    )
    emit_frame(frame, fmt, title="Certificates")


@audit_app.command("verify")
@handle_errors
def audit_verify_command(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="A head hash recorded earlier (the head_hash of a previous run): exit 1 "
            "unless it is still the hash of an entry (detects entries removed from the end).",
            show_default=False,
        ),
    ] = None,
    registry: RegistryOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Recompute the audit log's hash chain; exit 1 at the first entry that breaks it.

    Record the printed ``head_hash`` outside the registry and pass it back with
    ``--expect-head``: the chain alone cannot show that entries were removed from its end.
    """
    import pandas as pd

    from friendshore.compliance.service import Principal, Role

    if expect_head is not None and not re.fullmatch(r"[0-9a-f]{64}", expect_head):
        raise ValidationError("--expect-head is a SHA-256 hash: 64 lowercase hex digits")
    with _service(registry, None) as service:
        check = service.verify_audit(Principal(Role.AUDITOR, "cli"), expect_head=expect_head)
    if fmt is OutputFormat.JSON:
        emit_json(check.__dict__)
    else:
        emit_frame(pd.DataFrame([check.__dict__]), fmt, title="Audit chain")
    if not check.ok:
        raise typer.Exit(1)


@audit_app.command("show")
@handle_errors
def audit_show_command(
    after: Annotated[int, typer.Option("--after", min=0, help="Show entries after this seq.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most entries.")] = 100,
    registry: RegistryOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show audit log entries: seq, time, actor, action, subject, details, hash."""
    import pandas as pd

    from friendshore.compliance.service import Principal, Role

    with _service(registry, None) as service:
        entries = service.audit_log(Principal(Role.AUDITOR, "cli"), after_seq=after, limit=limit)
    frame = pd.DataFrame(
        [e.__dict__ for e in entries],
        columns=["seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"],
    )
    emit_frame(frame, fmt, title="Audit log")
