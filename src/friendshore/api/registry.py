"""REST API of the compliance registry: declarations, evaluation, certificates, audit.

Mounted under ``/api/v1`` (paths below start with ``/compliance``). Authentication
is a bearer token (``Authorization: Bearer fsk_…``, created with ``friendshore
comply token``; the registry stores only its SHA-256). Roles: ``applicant`` (its
own declarations and certificates), ``issuer`` (issue and revoke for its member
only), ``auditor`` (read everything, audit log), and anyone without a token
(``public``: verify certificates, list rule packs). A missing or unknown token on a
protected endpoint is a 401, a role that may not act a 403. Every error has the
app-wide JSON body ``{"detail": "<message>", "field": <field at fault or null>}``
(:mod:`friendshore.api.errors`): ``field`` names the parameter, body field or header
at fault (``serial``, ``declaration_ref``, ``packs.0``, ``Idempotency-Key``), 404s
name the id's parameter, 401/403 have ``field: null``; a declaration that does not
pass keeps its evaluation under ``evaluation``. Issuance takes an ``Idempotency-Key``
header: a retried request with the same key and body returns the first certificate
(200 instead of 201, header ``Idempotent-Replayed: true``); the same key with another
body is a 422.

The service comes from ``app.state.compliance_service``; if the app has none, one
is opened on first use from ``$FRIENDSHORE_REGISTRY`` and ``$FRIENDSHORE_KEYS``.
:func:`create_registry_app` builds a standalone app (tests, benchmark).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, NoReturn, TypeVar

import anyio
import anyio.to_thread
import pydantic
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from friendshore._core.errors import DataError, FriendshoreError, InputError, StoreError
from friendshore.api.errors import install_error_handlers, validation_response
from friendshore.api.limits import KNOWN_QUERY, ApiLimits, BodyLimit
from friendshore.compliance.canonical import MAX_DEPTH, json_text_too_deep
from friendshore.compliance.declaration import Declaration
from friendshore.compliance.evaluate import Evaluation
from friendshore.compliance.rules import list_rule_packs, rule_pack_ids
from friendshore.compliance.service import (
    PUBLIC,
    AccessDeniedError,
    ApiKeyRefusedError,
    ComplianceService,
    ConflictError,
    IdempotencyMismatchError,
    NotFoundError,
    NotIssuableError,
    Principal,
    RequestError,
    Verification,
)
from friendshore.data import keystore
from friendshore.data.registry import (
    REGISTRY_ENV,
    AuditRecord,
    CertificateRecord,
    DeclarationRecord,
    Registry,
    default_registry_url,
)

__all__ = ["API_PREFIX", "ApiError", "create_registry_app", "registry_app_from_env", "router"]

API_PREFIX: Final = "/api/v1"
_ID = r"^[A-Za-z0-9._:-]{1,64}$"


class ApiError(Exception):
    """A refusal of the compliance API, sent as ``{"detail", "field", **extra}``.

    Parameters
    ----------
    status
        HTTP status code.
    detail
        The message.
    field
        The parameter, body field or header at fault, or ``None``.
    headers
        Extra response headers (``WWW-Authenticate`` of a 401).
    extra
        Further keys of the body (``evaluation`` of a declaration that does not pass).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self) -> JSONResponse:
        """Return the JSON response of this refusal."""
        body = {"detail": self.detail, "field": self.field, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers or None)


def _invalid(errors: Sequence[Any]) -> JSONResponse:
    """422 for a request that fails validation, in the app's format with ``field`` always set.

    A body that is not JSON at all has no field (pydantic's location is the character).
    """
    errors = [
        {
            **e,
            "loc": ("body",),
            "msg": f"the body is not valid JSON (at character {e['loc'][-1]})",
        }
        if e.get("type") == "json_invalid"
        else e
        for e in errors
    ]
    response = validation_response(errors)
    body = json.loads(bytes(response.body))
    body.setdefault("field", None)
    return JSONResponse(body, status_code=422)


def _unavailable() -> ApiError:
    """503 for a registry database that cannot be reached (its reason is not published)."""
    return ApiError(503, "the registry is unavailable: try again later")


#: Bodies larger than this are checked for depth in a worker thread (about 5 ms per MiB).
_DEPTH_INLINE_BYTES = 64 * 1024


async def _check_body_depth(request: Request) -> None:
    """Refuse (422) a JSON body nested deeper than ``MAX_DEPTH`` before anything parses it.

    The JSON parser and the canonicaliser recurse per level: a body nested 1,000 deep
    would exhaust Python's recursion (a 500). The body read here is kept by the request
    for the route.
    """
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    body = await request.body()
    if len(body) > _DEPTH_INLINE_BYTES:
        too_deep = await run_in_threadpool(json_text_too_deep, body)
    else:
        too_deep = json_text_too_deep(body)
    if too_deep:
        raise ApiError(422, f"the body is nested deeper than {MAX_DEPTH} levels")


class _ComplianceRoute(APIRoute):
    """A route that answers every refusal as JSON in the app's error format.

    :class:`ApiError`, a request that fails validation and a body FastAPI cannot read
    are handled here rather than by app-level handlers, so the router answers the same in
    any app that includes it (the main app, the standalone registry, the fuzzing app).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                await _check_body_depth(request)
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except StoreError:  # the registry went away under a call not mapped below
                return _unavailable().response()
            except RequestValidationError as exc:
                return _invalid(list(exc.errors()))
            except StarletteHTTPException as exc:  # FastAPI's own: a body it cannot read
                refusal = ApiError(exc.status_code, str(exc.detail), headers=exc.headers)
                return refusal.response()

        return route


router = APIRouter(prefix="/compliance", tags=["compliance"], route_class=_ComplianceRoute)
_bearer = HTTPBearer(auto_error=False, description="API key from `friendshore comply token`.")
_lazy_lock = threading.Lock()

T = TypeVar("T")


# --- models --------------------------------------------------------------------------------


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", allow_inf_nan=False)


def _shipped_pack(pack_id: str) -> str:
    """Only shipped packs over the API: a pack id must never name a file on the server."""
    if pack_id not in rule_pack_ids():
        raise ValueError(f"unknown rule pack {pack_id!r}: use one of {', '.join(rule_pack_ids())}")
    return pack_id


def _no_controls(text: str) -> str:
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValueError("control characters are not allowed")
    return text


class EvaluateRequest(_Body):
    """Evaluate a stored declaration (``declaration_ref``) or one given inline."""

    declaration_ref: str | None = pydantic.Field(None, pattern=_ID)
    declaration: Declaration | None = None
    packs: (
        list[
            Annotated[
                str,
                pydantic.Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$"),
                pydantic.AfterValidator(_shipped_pack),
            ]
        ]
        | None
    ) = pydantic.Field(None, max_length=20, description="Rule pack ids (default: the zone packs).")
    evaluation_date: date | None = pydantic.Field(
        None, description="Default: the declaration's date."
    )


class IssueRequest(EvaluateRequest):
    """Issue a certificate for a declaration that passes the zone's mandatory packs and
    ``packs`` (evaluated in addition: the mandatory ones cannot be left out)."""

    evaluation_date: date | None = pydantic.Field(None, description="Default: today (UTC).")
    valid_days: int = pydantic.Field(365, ge=1, le=3660)


class RevokeRequest(_Body):
    """Why a certificate is revoked (public)."""

    reason: Annotated[str, pydantic.AfterValidator(_no_controls)] = pydantic.Field(
        min_length=1, max_length=1000
    )


class DeclarationOut(pydantic.BaseModel):
    """A stored declaration (without its body)."""

    ref: str
    declaration_id: str
    applicant: str
    sha256: str
    submitted_at: str


class CertificateSummary(pydantic.BaseModel):
    """A certificate's index fields."""

    serial: str
    member: str
    applicant: str
    declaration_ref: str
    issued_at: str
    valid_from: str
    valid_until: str


class CertificateOut(CertificateSummary):
    """An issued certificate with its signed credential (W3C VC JSON)."""

    certificate: dict[str, Any]


class RevocationOut(pydantic.BaseModel):
    """A revocation."""

    serial: str
    revoked_at: str
    revoked_by: str
    reason: str


class AuditEntryOut(pydantic.BaseModel):
    """An audit log entry."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditCheckOut(pydantic.BaseModel):
    """The result of recomputing the audit chain."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    message: str
    expected_head_seq: int | None = pydantic.Field(
        None, description="The entry whose hash is `expect_head`, if given and found."
    )


class PackOut(pydantic.BaseModel):
    """A shipped rule pack."""

    id: str
    version: str
    jurisdiction: str
    valid_from: str
    valid_to: str | None
    rules: str
    illustrative: bool
    source: str


class ErrorOut(pydantic.BaseModel):
    """Every refusal: a message and the field at fault (``null`` when none is)."""

    detail: str
    field: str | None
    errors: list[dict[str, Any]] | None = pydantic.Field(
        None, description="Every validation failure (422 of a malformed request only)."
    )


class NotIssuedOut(ErrorOut):
    """A refused issuance: a 422 for a declaration that does not pass carries its evaluation."""

    evaluation: Evaluation | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No or unknown bearer token."},
    403: {"model": ErrorOut, "description": "The role may not do this."},
    422: {"model": ErrorOut, "description": "Invalid request; `field` names what is at fault."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such id; `field` names its parameter."}
}


# --- dependencies --------------------------------------------------------------------------


def _service(request: Request) -> ComplianceService:
    state = request.app.state
    found = getattr(state, "compliance_service", None)
    if found is None:
        with _lazy_lock:
            found = getattr(state, "compliance_service", None)
            if found is None:
                url = (
                    getattr(state, "registry_url", None)  # the app's, if it could not open it
                    or os.environ.get(REGISTRY_ENV)
                    or default_registry_url()
                )
                try:
                    registry = Registry.open(url)
                except FriendshoreError:  # unreachable, or a URL the server cannot use
                    raise _unavailable() from None
                keys_dir = getattr(state, "registry_keys_dir", None) or keystore.default_keys_dir()
                found = ComplianceService(registry, keys_dir=keys_dir)
                state.compliance_service = found
    service: ComplianceService = found
    return service


ServiceDep = Annotated[ComplianceService, Depends(_service)]


def _unauthorized(message: str) -> NoReturn:
    raise ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _caller(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        return PUBLIC
    if len(credentials.credentials) > 200:
        _unauthorized("unknown API key")
    # unknown, revoked or expired: checked on every request (a 401 saying which)
    return await _call(service.check_api_key, credentials.credentials)


async def _authenticated(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal is PUBLIC:
        _unauthorized("this endpoint needs a bearer token (Authorization: Bearer …)")
    return principal


CallerDep = Annotated[Principal, Depends(_authenticated)]


def _refusal(exc: FriendshoreError, *, at: Mapping[str, str] | None = None) -> ApiError:
    """Map a service error to its HTTP refusal; ``at`` renames service fields to request ones."""
    field = getattr(exc, "field", None) if isinstance(exc, RequestError | DataError) else None
    if field is not None and at:
        field = at.get(field, field)
    message = exc.message if isinstance(exc, RequestError | DataError) else str(exc)
    if isinstance(exc, AccessDeniedError):
        return ApiError(403, message)
    if isinstance(exc, ApiKeyRefusedError):
        return ApiError(401, str(exc), headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, NotFoundError):
        return ApiError(404, message, field=field)
    if isinstance(exc, IdempotencyMismatchError):
        return ApiError(422, message, field=field)
    if isinstance(exc, ConflictError):
        return ApiError(409, message, field=field)
    if isinstance(exc, NotIssuableError):
        evaluation = exc.evaluation.model_dump(mode="json")
        return ApiError(422, message, field=field, extra={"evaluation": evaluation})
    if isinstance(exc, InputError):
        return ApiError(422, message, field=field)
    if isinstance(exc, StoreError):
        return _unavailable()
    return ApiError(503, message)


#: Worker threads for writes (issue, revoke, submit). The registry serialises writes
#: anyway; letting 40 request threads queue on its lock made them fight over the GIL
#: (measured: 141 issuances/s with the default pool, see benchmarks/bench_registry.py).
_WRITERS = anyio.CapacityLimiter(2)


async def _call(
    func: Callable[..., T],
    *args: Any,
    at: Mapping[str, str] | None = None,
    write: bool = False,
    **kwargs: Any,
) -> T:
    """Run a blocking service call in a worker thread; map its errors to HTTP refusals.

    ``at`` maps a service error's field to the request's name for it (the path
    parameter ``ref`` of ``GET /declarations/{ref}`` is the service's ``declaration_ref``).
    ``write`` runs it on the few threads reserved for writes.
    """
    try:
        if write:
            return await anyio.to_thread.run_sync(
                functools.partial(func, *args, **kwargs), limiter=_WRITERS
            )
        return await run_in_threadpool(func, *args, **kwargs)
    except FriendshoreError as exc:
        raise _refusal(exc, at=at) from None


def _declaration_out(record: DeclarationRecord) -> DeclarationOut:
    return DeclarationOut(
        ref=record.ref,
        declaration_id=record.declaration_id,
        applicant=record.applicant,
        sha256=record.sha256,
        submitted_at=record.submitted_at,
    )


def _summary(record: CertificateRecord) -> CertificateSummary:
    return CertificateSummary(
        serial=record.serial,
        member=record.member,
        applicant=record.applicant,
        declaration_ref=record.declaration_ref,
        issued_at=record.issued_at,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
    )


def _audit_out(record: AuditRecord) -> AuditEntryOut:
    return AuditEntryOut(
        seq=record.seq,
        at=record.at,
        actor=record.actor,
        action=record.action,
        subject=record.subject,
        details=json.loads(record.details),
        prev_hash=record.prev_hash,
        hash=record.hash,
    )


SerialPath = Annotated[str, PathParam(pattern=_ID, description="Certificate serial.")]
RefPath = Annotated[str, PathParam(pattern=_ID, description="Declaration reference.")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


# --- routes --------------------------------------------------------------------------------


@router.get("/packs", response_model=list[PackOut])
async def list_packs() -> list[PackOut]:
    """List the shipped rule packs (public)."""
    frame = await run_in_threadpool(list_rule_packs)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [PackOut.model_validate(row) for row in rows]


@router.post(
    "/declarations",
    response_model=DeclarationOut,
    status_code=201,
    responses=_ERRORS,
)
async def submit_declaration(
    declaration: Declaration, caller: CallerDep, service: ServiceDep
) -> DeclarationOut:
    """Submit a declaration (applicants: their own; the same body twice gives the same ref)."""
    record = await _call(service.submit_declaration, caller, declaration)
    return _declaration_out(record)


@router.get("/declarations", response_model=list[DeclarationOut], responses=_ERRORS)
async def list_declarations(
    caller: CallerDep, service: ServiceDep, limit: Limit = 100, offset: Offset = 0
) -> list[DeclarationOut]:
    """List declarations: an applicant's own; all for issuers and auditors."""
    records = await _call(service.list_declarations, caller, limit=limit, offset=offset)
    return [_declaration_out(r) for r in records]


@router.get(
    "/declarations/{ref}",
    response_model=Declaration,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def get_declaration(ref: RefPath, caller: CallerDep, service: ServiceDep) -> Declaration:
    """Return a declaration (applicants: their own only)."""
    _, declaration = await _call(service.declaration, caller, ref, at={"declaration_ref": "ref"})
    return declaration


async def _resolve(
    body: EvaluateRequest, caller: Principal, service: ComplianceService
) -> Declaration:
    if (body.declaration_ref is None) == (body.declaration is None):
        raise ApiError(
            422, "give declaration_ref or declaration, not both", field="declaration_ref"
        )
    if body.declaration is not None:
        return body.declaration
    assert body.declaration_ref is not None
    _, declaration = await _call(service.declaration, caller, body.declaration_ref)
    return declaration


@router.post(
    "/evaluations",
    response_model=Evaluation,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def evaluate_declaration(
    body: EvaluateRequest, caller: CallerDep, service: ServiceDep
) -> Evaluation:
    """Evaluate a declaration against rule packs: every rule with status, reason, figures."""
    declaration = await _resolve(body, caller, service)
    return await _call(service.evaluate, declaration, packs=body.packs, on=body.evaluation_date)


@router.post(
    "/certificates",
    response_model=CertificateOut,
    status_code=201,
    responses={
        **_ERRORS,
        200: {"model": CertificateOut, "description": "Replayed (same Idempotency-Key)."},
        **_NOT_FOUND,
        422: {
            "model": NotIssuedOut,
            "description": "Invalid request, a reused Idempotency-Key, or a declaration that "
            "does not pass (`evaluation` holds its evaluation).",
        },
    },
)
async def issue_certificate(
    body: IssueRequest,
    caller: CallerDep,
    service: ServiceDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry-safe issuance: the same key and body issue once.",
        ),
    ] = None,
) -> Response:
    """Issue a signed certificate of origin for a passing declaration (issuers, own member)."""
    if (body.declaration_ref is None) == (body.declaration is None):
        raise ApiError(
            422, "give declaration_ref or declaration, not both", field="declaration_ref"
        )
    result = await _call(
        service.issue,
        caller,
        write=True,
        declaration_ref=body.declaration_ref,
        declaration=body.declaration,
        packs=body.packs,
        on=body.evaluation_date,
        valid_days=body.valid_days,
        idempotency_key=idempotency_key,
    )
    # serialised here: the signed credential is returned exactly as stored
    payload = {**_summary(result.record).model_dump(), "certificate": result.certificate}
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status_code=200 if result.replayed else 201,
        media_type="application/json",
        headers=headers,
    )


@router.get("/certificates", response_model=list[CertificateSummary], responses=_ERRORS)
async def list_certificates(
    caller: CallerDep, service: ServiceDep, limit: Limit = 100, offset: Offset = 0
) -> list[CertificateSummary]:
    """List certificates: an applicant's own, an issuer's member's, all for auditors."""
    records = await _call(service.list_certificates, caller, limit=limit, offset=offset)
    return [_summary(r) for r in records]


@router.get(
    "/certificates/{serial}",
    response_model=CertificateOut,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def get_certificate(
    serial: SerialPath, caller: CallerDep, service: ServiceDep
) -> CertificateOut:
    """Return a certificate with its signed credential (to those who may see it)."""
    record = await _call(service.certificate, caller, serial)
    return CertificateOut(**_summary(record).model_dump(), certificate=json.loads(record.document))


@router.post(
    "/certificates/{serial}/revoke",
    response_model=RevocationOut,
    responses={
        **_ERRORS,
        **_NOT_FOUND,
        409: {"model": ErrorOut, "description": "Already revoked (`field`: `serial`)."},
    },
)
async def revoke_certificate(
    serial: SerialPath, body: RevokeRequest, caller: CallerDep, service: ServiceDep
) -> RevocationOut:
    """Revoke a certificate (issuers: their own member's only)."""
    record = await _call(service.revoke, caller, serial, reason=body.reason)
    return RevocationOut(**record.__dict__)


@router.get(
    "/certificates/{serial}/verify",
    response_model=Verification,
    responses={422: _ERRORS[422], 503: {"model": ErrorOut, "description": "No registry."}},
)
async def verify_serial(serial: SerialPath, service: ServiceDep) -> Response:
    """Verify a registry certificate by serial (public): signature, issuer, dates, revocation."""
    # The hot path: one indexed read and a cached signature check, run on the event
    # loop (a worker-thread hop would cost more than the call itself).
    try:
        result = service.verify_serial(serial)
    except FriendshoreError as exc:
        raise _refusal(exc) from None
    return Response(result.model_dump_json(), media_type="application/json")


@router.post("/verify", response_model=Verification, responses={422: _ERRORS[422]})
async def verify_document(certificate: dict[str, Any], service: ServiceDep) -> Verification:
    """Verify a certificate document (public): is it exactly what a member signed, and valid?"""
    return await _call(service.verify, certificate)


@router.get(
    "/keys",
    responses={
        200: {
            "description": "The zone's signed key list (a VC of type IssuerKeyList).",
            "content": {"application/json": {}},
        },
        503: {"model": ErrorOut, "description": "No registry, or no zone key yet."},
    },
)
async def key_list(service: ServiceDep) -> Response:
    """The zone's signed, versioned key list: every member's did:keys with validity (public).

    Verify certificates offline with it (`friendshore comply verify CERT --offline FILE`);
    the zone's did:key, which signs it, is its `issuer.id`.
    """
    try:
        document = await run_in_threadpool(service.key_list)
    except DataError:  # no zone key (`comply keygen --zone`); its path is not published
        raise ApiError(503, "the registry publishes no key list yet: the zone has no key") from None
    except FriendshoreError as exc:
        raise _refusal(exc) from None
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/audit", response_model=list[AuditEntryOut], responses=_ERRORS)
async def audit_log(
    caller: CallerDep,
    service: ServiceDep,
    after_seq: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Limit = 100,
) -> list[AuditEntryOut]:
    """Return audit log entries after ``after_seq`` (auditors)."""
    entries = await _call(service.audit_log, caller, after_seq=after_seq, limit=limit)
    return [_audit_out(e) for e in entries]


@router.get("/audit/verify", response_model=AuditCheckOut, responses=_ERRORS)
async def audit_verify(
    caller: CallerDep,
    service: ServiceDep,
    expect_head: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9a-f]{64}$",
            description="A head hash recorded earlier: it must still be in the chain "
            "(detects entries removed from the end).",
        ),
    ] = None,
) -> AuditCheckOut:
    """Recompute the audit chain's hashes (auditors); optionally check a recorded head."""
    check = await _call(service.verify_audit, caller, expect_head=expect_head)
    return AuditCheckOut(**check.__dict__)


def create_registry_app(
    *,
    registry_url: str,
    keys_dir: Path,
    limits: ApiLimits | None = None,
    enforce_limits: bool = True,
) -> FastAPI:
    """Return a standalone app serving only the registry API under ``/api/v1``.

    The registry is opened (and migrated) at start-up and closed at shutdown. As in
    :func:`friendshore.api.app.create_app`, a body over ``limits.max_body_bytes`` is a
    413 and a query parameter a route does not declare is a 422.

    Parameters
    ----------
    registry_url
        The registry's database URL.
    keys_dir
        The members' signing keys.
    limits
        The request body limit (default: :class:`~friendshore.api.limits.ApiLimits`'s, 2 MiB).
    enforce_limits
        ``False``: neither the body limit nor the query check (the benchmark's baseline).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = await run_in_threadpool(Registry.open, registry_url)
        app.state.compliance_service = ComplianceService(registry, keys_dir=keys_dir)
        try:
            yield
        finally:
            registry.close()

    app = FastAPI(
        title="friendshore compliance registry",
        version="1",
        lifespan=lifespan,
    )
    checks = [KNOWN_QUERY] if enforce_limits else []
    app.include_router(router, prefix=API_PREFIX, dependencies=checks)
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if enforce_limits:
        max_bytes = (limits or ApiLimits()).max_body_bytes
        app.add_middleware(BodyLimit, max_bytes=max_bytes)
    return app


def registry_app_from_env() -> FastAPI:
    """Return :func:`create_registry_app` for ``$FRIENDSHORE_REGISTRY`` and ``$FRIENDSHORE_KEYS``
    (body limit: ``$FRIENDSHORE_MAX_BODY_BYTES``, :meth:`ApiLimits.from_env`).

    For ``uvicorn --factory friendshore.api.registry:registry_app_from_env``.
    """
    url = os.environ.get(REGISTRY_ENV) or default_registry_url()
    return create_registry_app(
        registry_url=url, keys_dir=keystore.default_keys_dir(), limits=ApiLimits.from_env()
    )
