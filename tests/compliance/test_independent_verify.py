"""Certificates the registry issues verify with an independent eddsa-jcs-2022 verifier.

The verifier (``independent_verifier.py``) follows the W3C Data Integrity EdDSA
Cryptosuites specification with ``cryptography`` and ``rfc8785`` only. Issue 14
found a certificate with ``value_usd`` 9.1e15 that the registry called valid and an
independent verifier rejected (the canonicaliser wrote ``9100000000000000.0``);
every number edge case of RFC 8785 Appendix B is issued here, through the service
and over HTTP, and must verify.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from compliance_helpers import TestClient, make_declaration, make_lot
from independent_verifier import verify_eddsa_jcs_2022

from friendshore.api.registry import create_registry_app
from friendshore.compliance.service import ComplianceService, Principal, Role
from friendshore.data import keystore
from friendshore.data.registry import Registry

ISSUER = Principal(Role.ISSUER, "EU27")
#: value_usd of a lot: the number forms of RFC 8785 Appendix B and of issue 14.
EDGE_VALUES = [
    9.1e15,
    1e21,
    0.1 + 0.2,
    -0.0,
    5e-324,
    2.0**53,
    2.0**53 + 2,
    9007199254740993.0,
    1e16,
    295147905179352830000.0,
    1e23,
    1e-7,
    0.000001,
    333333333.33333329,
    1424953923781206.2,
    1e300,
    1.7976931348623157e308,
]


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("independent") / "keys"
    keystore.generate_key(path, "EU27")
    return path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('independent-db') / 'registry.sqlite'}"
    with Registry.open(url) as registry:
        yield ComplianceService(registry, keys_dir=keys_dir)


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, float):
        yield value


def _as_received(document: dict[str, Any]) -> dict[str, Any]:
    """The certificate as a third party reads it: JSON text parsed again."""
    parsed: dict[str, Any] = json.loads(json.dumps(document))
    return parsed


@pytest.mark.parametrize("value", EDGE_VALUES, ids=repr)
def test_certificate_with_an_edge_value_verifies_independently(
    service: ComplianceService, value: float
) -> None:
    mass = value if value > 0 else 1.0
    declaration = make_declaration(
        make_lot(value_usd=100.0), make_lot(value_usd=value, mass_kg=mass)
    )
    issued = service.issue(ISSUER, declaration=declaration, on=date(2025, 3, 1))
    certificate = _as_received(issued.certificate)
    found = list(_numbers(certificate["credentialSubject"]))
    assert any(x == value and math.copysign(1, x) == math.copysign(1, value) for x in found)
    assert verify_eddsa_jcs_2022(certificate).verified, verify_eddsa_jcs_2022(certificate)
    assert service.verify(certificate, at=datetime(2025, 6, 1, tzinfo=UTC)).status == "valid"


def test_every_edge_value_in_one_certificate_over_http(keys_dir: Path, tmp_path: Path) -> None:
    values = [
        v for v in EDGE_VALUES if v < 1e308
    ]  # without the largest double: with it the sum is not finite (a 422)
    lots = [make_lot(value_usd=value, mass_kg=value if value > 0 else 1.0) for value in values]
    lots = [{**lot, "id": f"L{i}"} for i, lot in enumerate(lots)]
    lots.append({**make_lot(value_usd=100.0), "id": "L-normal"})
    body = make_declaration(*lots).model_dump(mode="json")
    app = create_registry_app(registry_url=f"sqlite:///{tmp_path / 'r.sqlite'}", keys_dir=keys_dir)
    with TestClient(app) as client:
        service: ComplianceService = client.app.state.compliance_service  # type: ignore[attr-defined]
        token = service.create_api_key(Role.ISSUER, "EU27")
        response = client.post(
            "/api/v1/compliance/certificates",
            json={"declaration": body, "evaluation_date": "2025-03-01"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        certificate = json.loads(response.text)["certificate"]
        outcome = verify_eddsa_jcs_2022(certificate)
        assert outcome.verified, outcome
        checked = client.post("/api/v1/compliance/verify", json=certificate).json()
        assert checked["checks"]["signature"] is True
        assert checked["checks"]["registry"] is True


def test_the_independent_verifier_rejects_what_it_must(
    service: ComplianceService, keys_dir: Path
) -> None:
    declaration = make_declaration(make_lot(value_usd=9.1e15))
    certificate = _as_received(
        service.issue(ISSUER, declaration=declaration, on=date(2025, 3, 1)).certificate
    )
    assert verify_eddsa_jcs_2022(certificate).verified
    # one byte changed
    tampered = json.loads(
        json.dumps(certificate).replace("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", 1)
    )
    assert verify_eddsa_jcs_2022(tampered).reason == "the Ed25519 signature does not verify"
    # signed over Python's JSON (9100000000000000.0), as the registry did before issue 14
    key = keystore.load_private_key(keys_dir, "EU27")
    proof = dict(certificate["proof"])
    document = {k: v for k, v in certificate.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"} | {
        "@context": document["@context"]
    }

    def python_json(value: Any) -> bytes:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode()

    assert b"9100000000000000.0" in python_json(document)
    message = (
        hashlib.sha256(python_json(config)).digest()
        + hashlib.sha256(python_json(document)).digest()
    )
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, digits = int.from_bytes(key.sign(message), "big"), ""
    while number:
        number, rest = divmod(number, 58)
        digits = alphabet[rest] + digits
    wrong = {**document, "proof": {**proof, "proofValue": "z" + digits}}
    assert not verify_eddsa_jcs_2022(wrong).verified
    # another key than the issuer's, a foreign purpose
    assert not verify_eddsa_jcs_2022({**certificate, "issuer": "did:key:z6MkOther"}).verified
    other_purpose = {**certificate, "proof": {**proof, "proofPurpose": "authentication"}}
    assert "proofPurpose" in verify_eddsa_jcs_2022(other_purpose).reason
