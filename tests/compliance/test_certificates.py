"""Certificates: RFC 8785 canonical JSON, did:key, eddsa-jcs-2022 proofs, tampering."""

from __future__ import annotations

import json
import struct
from datetime import UTC, date, datetime

import pytest
from compliance_helpers import make_declaration, make_lot
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from friendshore.compliance.canonical import canonical_json
from friendshore.compliance.certificates import (
    did_key,
    public_key_from_did,
    raw_public_key,
    sign_credential,
    unsigned_credential,
    verify_proof,
)
from friendshore.compliance.evaluate import evaluate
from friendshore.compliance.rules import load_rule_pack

# RFC 8785 Appendix B: IEEE 754 doubles and their canonical (ECMAScript) form.
RFC8785_NUMBERS = [
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
    (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
    (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"),
    (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"),
    (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"),
    (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"),
    (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_canonical_numbers_follow_rfc8785(bits: int, expected: str) -> None:
    value = float(struct.unpack(">d", bits.to_bytes(8, "big"))[0])
    assert canonical_json(value).decode() == expected


def test_canonical_objects_sort_keys_by_utf16_and_drop_whitespace() -> None:
    # RFC 8785 section 3.2.3 sorting example (keys by UTF-16 code units)
    value = {
        "€": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew",
        "1": "One",
        "😀": "Emoji",
        "\u0080": "Control",
        "ö": "Latin",
    }
    text = canonical_json(value).decode()
    keys = list(json.loads(text, object_pairs_hook=lambda pairs: [k for k, _ in pairs]))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_json({"b": [1.0, None, True], "a": "x\n"}) == b'{"a":"x\\n","b":[1,null,true]}'


def test_canonical_json_refuses_nan_and_big_integers() -> None:
    with pytest.raises(ValueError, match="NaN"):
        canonical_json(float("nan"))
    with pytest.raises(ValueError, match="2\\*\\*53"):
        canonical_json(2**60)


def test_did_key_round_trips_and_has_the_ed25519_prefix() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    did = did_key(key)
    assert did.startswith("did:key:z6Mk")
    assert raw_public_key(public_key_from_did(did + "#frag")) == raw_public_key(key)


def test_did_key_of_a_known_public_key() -> None:
    # W3C did:key test vector (did-method-key spec, Ed25519 example)
    did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    raw = raw_public_key(public_key_from_did(did))
    assert len(raw) == 32
    assert did_key(public_key_from_did(did)) == did


def _signed() -> tuple[dict[str, object], Ed25519PrivateKey]:
    decl = make_declaration(make_lot())
    evaluation = evaluate(decl, [load_rule_pack("zone-rules-of-origin")], on=date(2025, 3, 1))
    key = Ed25519PrivateKey.generate()
    credential = unsigned_credential(
        serial="EU27-2025-TEST",
        member="EU27",
        issuer_did=did_key(key.public_key()),
        declaration=decl,
        evaluation=evaluation,
        valid_from=datetime(2025, 3, 1, tzinfo=UTC),
        valid_until=datetime(2026, 3, 1, tzinfo=UTC),
    )
    return sign_credential(credential, key, created=datetime(2025, 3, 1, 9, tzinfo=UTC)), key


def test_signed_credential_is_a_vc_2_0_with_a_data_integrity_proof() -> None:
    doc, _ = _signed()
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert doc["type"] == ["VerifiableCredential", "CertificateOfOrigin"]
    assert doc["validFrom"] == "2025-03-01T00:00:00Z"
    proof = doc["proof"]
    assert isinstance(proof, dict)
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert str(proof["proofValue"]).startswith("z")
    subject = doc["credentialSubject"]
    assert isinstance(subject, dict)
    assert subject["evaluation"]["status"] == "pass"
    assert verify_proof(doc) == (True, "signature verifies", doc["issuer"]["id"])  # type: ignore[index]


def test_key_order_and_whitespace_do_not_matter() -> None:
    doc, _ = _signed()
    reordered = json.loads(json.dumps(doc, indent=4, sort_keys=True))
    assert verify_proof(reordered)[0]


def test_changing_one_byte_breaks_the_signature() -> None:
    doc, _ = _signed()
    text = json.dumps(doc)
    tampered = json.loads(text.replace("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", 1))
    ok, reason, _ = verify_proof(tampered)
    assert not ok
    assert "altered" in reason
    share = json.loads(
        text.replace('"qualifying_value_share": 1.0', '"qualifying_value_share": 1.1')
    )
    assert not verify_proof(share)[0]


def test_a_proof_by_another_key_than_the_issuer_fails() -> None:
    doc, _ = _signed()
    other = Ed25519PrivateKey.generate()
    forged = sign_credential(doc, other, created=datetime(2025, 3, 1, tzinfo=UTC))
    ok, reason, _ = verify_proof(forged)
    assert not ok
    assert "not the issuer's" in reason
