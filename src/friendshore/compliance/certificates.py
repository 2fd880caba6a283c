"""Certificates of origin as W3C Verifiable Credentials, signed with Ed25519.

A certificate is a credential in the W3C Verifiable Credentials Data Model 2.0
(``@context`` ``https://www.w3.org/ns/credentials/v2``, ``type``
``["VerifiableCredential", "CertificateOfOrigin"]``, ``issuer``, ``validFrom``,
``validUntil``, ``credentialSubject`` with the declaration digest and the embedded
evaluation, ``credentialStatus`` naming the registry entry) secured by a
``DataIntegrityProof`` built as the ``eddsa-jcs-2022`` cryptosuite describes:

1. the *proof configuration* is the proof without ``proofValue``, with the
   document's ``@context``;
2. both the configuration and the document without ``proof`` are canonicalised
   with RFC 8785 (JSON Canonicalization Scheme: sorted keys, no whitespace,
   ECMAScript number form; :func:`friendshore.compliance.canonical.canonical_json`);
3. the signed message is ``SHA-256(config) || SHA-256(document)`` (64 bytes);
4. ``proofValue`` is the Ed25519 signature in multibase base58btc (``z…``).

The issuer is a ``did:key`` (the Ed25519 public key, multicodec ``0xed01``,
base58btc), so a credential carries the key that verifies it; a verifier must still
check that the key belongs to the member authority named in ``issuer`` (the
registry keeps every member's keys).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from friendshore._core.errors import DataError
from friendshore.compliance.canonical import MAX_DEPTH, canonical_json, json_text_too_deep
from friendshore.compliance.declaration import Declaration
from friendshore.compliance.evaluate import Evaluation

__all__ = [
    "CONTEXT_V2",
    "CRYPTOSUITE",
    "did_key",
    "format_time",
    "parse_certificate",
    "parse_time",
    "public_key_from_did",
    "raw_public_key",
    "sign_credential",
    "unsigned_credential",
    "verify_proof",
]

CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
CRYPTOSUITE = "eddsa-jcs-2022"
_ED25519_PUB = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MAX_DID = 60  # "did:key:z" + 48 base58 digits of 0xed01 + 32 bytes
_MAX_PROOF_VALUE = 100  # "z" + at most 88 base58 digits of 64 bytes


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def did_key(key: Ed25519PublicKey) -> str:
    """Return the ``did:key`` of an Ed25519 public key (``did:key:z6Mk…``)."""
    return "did:key:z" + _b58encode(_ED25519_PUB + raw_public_key(key))


def public_key_from_did(did: str) -> Ed25519PublicKey:
    """Return the Ed25519 public key of a ``did:key`` (a fragment after ``#`` is ignored).

    Raises
    ------
    ValueError
        If ``did`` is not an Ed25519 ``did:key``.
    """
    did = did.split("#", 1)[0]
    if len(did) > _MAX_DID:  # base58 decoding is quadratic: never decode a long text
        raise ValueError("a did:key of an Ed25519 key has at most 60 characters")
    if not did.startswith("did:key:z"):
        raise ValueError(f"{did!r} is not a base58btc did:key")
    data = _b58decode(did[len("did:key:z") :])
    if len(data) != 34 or not data.startswith(_ED25519_PUB):
        raise ValueError(f"{did!r} is not an Ed25519 did:key")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def format_time(moment: datetime) -> str:
    """Return a UTC time as XML Schema dateTime with ``Z`` and whole seconds.

    Years are written with four digits (``0001``; ``strftime`` would write ``1``).
    """
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 date-time (``Z`` or an offset) into an aware UTC datetime.

    Raises
    ------
    ValueError
        If ``text`` is not such a date-time, or its UTC time is outside years 1-9999.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def unsigned_credential(
    *,
    serial: str,
    member: str,
    issuer_did: str,
    declaration: Declaration,
    evaluation: Evaluation,
    valid_from: datetime,
    valid_until: datetime,
) -> dict[str, Any]:
    """Return the credential of a certificate of origin, before its proof."""
    return {
        "@context": [CONTEXT_V2],
        "id": f"urn:friendshore:certificate:{serial}",
        "type": ["VerifiableCredential", "CertificateOfOrigin"],
        "issuer": {
            "id": issuer_did,
            "name": f"Zone member authority {member}",
            "member": member,
        },
        "validFrom": format_time(valid_from),
        "validUntil": format_time(valid_until),
        "credentialSubject": {
            "id": f"urn:friendshore:declaration:{declaration.sha256()}",
            "serial": serial,
            "declaration_id": declaration.id,
            "declaration_sha256": declaration.sha256(),
            "illustrative": declaration.illustrative,
            "applicant": declaration.applicant.model_dump(mode="json"),
            "product": declaration.product.model_dump(mode="json"),
            "evaluation": evaluation.model_dump(mode="json"),
        },
        "credentialStatus": {
            "id": f"urn:friendshore:certificate:{serial}#status",
            "type": "FriendshoreRegistryStatus",
            "serial": serial,
        },
    }


def _signed_message(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    config = dict(proof_config)
    if "@context" in document:
        config["@context"] = document["@context"]
    return (
        hashlib.sha256(canonical_json(config)).digest()
        + hashlib.sha256(canonical_json(document)).digest()
    )


def sign_credential(
    credential: dict[str, Any], key: Ed25519PrivateKey, *, created: datetime
) -> dict[str, Any]:
    """Return ``credential`` with an ``eddsa-jcs-2022`` Data Integrity proof by ``key``."""
    did = did_key(key.public_key())
    proof_config = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": format_time(created),
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    signature = key.sign(_signed_message(unsigned, proof_config))
    return {**unsigned, "proof": {**proof_config, "proofValue": "z" + _b58encode(signature)}}


def verify_proof(document: dict[str, Any]) -> tuple[bool, str, str | None]:
    """Check the Ed25519 proof of a credential.

    Returns
    -------
    tuple
        ``(ok, reason, did)``: whether the signature verifies, why not, and the
        ``did:key`` of the verification method (``None`` if unreadable).
    """
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return False, "no proof", None
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return False, f"unsupported proof (need DataIntegrityProof {CRYPTOSUITE})", None
    method = proof.get("verificationMethod")
    value = proof.get("proofValue")
    if not isinstance(method, str) or not isinstance(value, str) or not value.startswith("z"):
        return False, "malformed proof", None
    if len(value) > _MAX_PROOF_VALUE:
        return False, "malformed proof: an Ed25519 signature has 64 bytes", None
    did = method.split("#", 1)[0]
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did:
        return False, "the proof's key is not the issuer's", did
    try:
        key = public_key_from_did(did)
        signature = _b58decode(value[1:])
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        key.verify(signature, _signed_message(unsigned, config))
    except InvalidSignature:
        return False, "signature does not verify: the certificate was altered", did
    except (ValueError, TypeError) as exc:
        return False, f"malformed proof: {exc}", did
    return True, "signature verifies", did


def parse_certificate(text: str, *, name: str = "<certificate>") -> dict[str, Any]:
    """Parse a certificate (JSON text) into a mapping.

    Raises
    ------
    DataError
        If the text is not a JSON object, or nests deeper than
        :data:`~friendshore.compliance.canonical.MAX_DEPTH` levels.
    """
    if json_text_too_deep(text):
        raise DataError(f"the JSON is nested deeper than {MAX_DEPTH} levels", file=name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg}", file=name, line=exc.lineno) from exc
    if not isinstance(data, dict):
        raise DataError("a certificate is a JSON object", file=name, line=1)
    return data
