"""An ``eddsa-jcs-2022`` verifier written from the W3C specification, for the tests only.

It uses ``cryptography`` (Ed25519) and ``rfc8785`` (JCS) and nothing of friendshore,
so that a certificate it accepts verifies with any implementation that follows
the specification, not only with the project's own code.

Sources
-------
- W3C, *Data Integrity EdDSA Cryptosuites v1.0* (Recommendation, 2025), §3.3
  ``eddsa-jcs-2022``: §3.3.2 Verify Proof, §3.3.4 Transformation, §3.3.5 Hashing,
  §3.3.6 Proof Configuration.
- W3C, *Verifiable Credential Data Integrity 1.0*, §2.1 Proofs (``proofPurpose``,
  ``created`` as an XML Schema ``dateTimeStamp``) and §4 Algorithms.
- W3C CCG, *The did:key Method v0.7*: ``did:key:z…`` is the multibase (``z``:
  base58btc) encoding of the multicodec ``ed25519-pub`` (varint ``0xed 0x01``)
  followed by the 32-byte key; the verification method's fragment repeats it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["Outcome", "verify_eddsa_jcs_2022"]

_BASE58_BTC = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB = bytes([0xED, 0x01])  # multicodec ed25519-pub, unsigned varint
# XML Schema 1.1 dateTimeStamp: a date-time with a mandatory time zone
_DATE_TIME_STAMP = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class Outcome:
    """Whether the proof verifies, and why not."""

    verified: bool
    reason: str


def _base58btc_decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet): leading ``1`` digits are zero bytes."""
    value = 0
    for char in text:
        digit = _BASE58_BTC.index(char)  # ValueError for a character not in the alphabet
        value = value * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return bytes(zeros) + (value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b"")


def _multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only multibase base58btc ('z') is used by did:key and this suite")
    return _base58btc_decode(text[1:])


def _public_key(verification_method: str) -> Ed25519PublicKey:
    """Resolve ``did:key:z…#z…`` to its Ed25519 public key (did:key method, §3.1.2)."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:"):
        raise ValueError("the verification method is not a did:key")
    identifier = did.removeprefix("did:key:")
    if fragment and fragment != identifier:
        raise ValueError("the fragment of a did:key verification method repeats its key")
    raw = _multibase_decode(identifier)
    if raw[:2] != _ED25519_PUB or len(raw) != 34:
        raise ValueError("not a multicodec ed25519-pub key of 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _proof_configuration(options: dict[str, Any], context: Any) -> bytes:
    """§3.3.6: the proof options with the document's ``@context``, canonicalised (JCS)."""
    config = dict(options)
    if config.get("type") != "DataIntegrityProof" or config.get("cryptosuite") != "eddsa-jcs-2022":
        raise ValueError("not a DataIntegrityProof of the eddsa-jcs-2022 cryptosuite")
    created = config.get("created")
    if created is not None and not (
        isinstance(created, str) and _DATE_TIME_STAMP.fullmatch(created)
    ):
        raise ValueError("created is not an XML Schema dateTimeStamp")
    if context is not None:
        config["@context"] = context
    return rfc8785.dumps(config)


def verify_eddsa_jcs_2022(
    secured: dict[str, Any], *, expected_purpose: str = "assertionMethod"
) -> Outcome:
    """Verify the ``eddsa-jcs-2022`` Data Integrity proof of ``secured`` (§3.3.2).

    Also checks what a credential verifier checks around the cryptosuite: the proof's
    purpose, and that its key is the credential's issuer (``issuer`` or ``issuer.id``).
    """
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        return Outcome(False, "no single proof object")
    proof_value = proof.get("proofValue")
    method = proof.get("verificationMethod")
    if not isinstance(proof_value, str) or not isinstance(method, str):
        return Outcome(False, "proofValue and verificationMethod are strings")
    if proof.get("proofPurpose") != expected_purpose:
        return Outcome(False, f"proofPurpose is not {expected_purpose}")
    # 1-2: the document without its proof, the proof without its value
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    # 4: proof options that carry an @context must match the document's
    if "@context" in options:
        document_context = secured.get("@context")
        proof_context = options["@context"]
        if not isinstance(document_context, list) or not isinstance(proof_context, list):
            return Outcome(False, "@context is not a list")
        if document_context[: len(proof_context)] != proof_context:
            return Outcome(False, "the proof's @context does not start the document's")
        unsecured["@context"] = proof_context
    issuer = secured.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != method.partition("#")[0]:
        return Outcome(False, "the verification method is not the issuer's key")
    try:
        # 3: the signature bytes
        signature = _multibase_decode(proof_value)
        # 5 (§3.3.4 Transformation): JCS of the unsecured document
        transformed = rfc8785.dumps(unsecured)
        # 6 (§3.3.6, §3.3.5 Hashing): SHA-256(proof config) || SHA-256(document)
        config = _proof_configuration(options, unsecured.get("@context"))
        hash_data = hashlib.sha256(config).digest() + hashlib.sha256(transformed).digest()
        # 7 (§3.3.8 Proof Verification): Ed25519 over the 64 bytes
        _public_key(method).verify(signature, hash_data)
    except InvalidSignature:
        return Outcome(False, "the Ed25519 signature does not verify")
    except ValueError as exc:  # also rfc8785.CanonicalizationError
        return Outcome(False, f"malformed: {exc}")
    return Outcome(True, "verified")
