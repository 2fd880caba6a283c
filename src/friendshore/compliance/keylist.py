"""The zone's key list: which ``did:key`` belongs to which member, when, signed by the zone.

A certificate carries the key that signed it (its ``issuer.id`` is a ``did:key``), so a
signature alone proves only that *some* key signed it. The key list binds keys to
members: it is a W3C Verifiable Credential of type ``IssuerKeyList`` issued by the
zone key (a dedicated Ed25519 key, ``zone.ed25519.pem`` in the keys directory), secured
like a certificate by an ``eddsa-jcs-2022`` Data Integrity proof over its RFC 8785
canonical form (:func:`friendshore.compliance.canonical.canonical_json`)::

    {"@context": ["https://www.w3.org/ns/credentials/v2"],
     "id": "urn:friendshore:keylist:3",
     "type": ["VerifiableCredential", "IssuerKeyList"],
     "issuer": {"id": "did:key:z6Mk…(zone)", "name": "<zone name>"},
     "validFrom": "2026-12-08T10:00:00Z",
     "credentialSubject": {
       "id": "urn:friendshore:zone", "zone": "<zone name>", "version": 3,
       "updated": "2026-12-08T10:00:00Z",
       "members": {"EU27": [{"id": "did:key:z6Mk…", "valid_from": "…Z",
                             "valid_until": "…Z"}, …], "USA": [], …}},
     "proof": {…}}

``version`` counts the changes to the registry's keys (a key registered: +1, a key
retired: +1), so it only grows; ``updated`` (and ``validFrom``) is the time of the last
change. The list of one version is byte-identical each time it is built (Ed25519
signatures are deterministic). A key is valid from ``valid_from`` to ``valid_until``
(``null``: the member's current key), both inclusive, in whole seconds; a certificate's
issuance time is its ``proof.created``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from friendshore._core.errors import FriendshoreError
from friendshore.compliance.certificates import (
    CONTEXT_V2,
    did_key,
    format_time,
    parse_time,
    public_key_from_did,
    sign_credential,
    verify_proof,
)
from friendshore.data.registry import IssuerKeyRecord
from friendshore.model.zone import Zone

__all__ = [
    "KEY_LIST_TYPE",
    "KeyEntry",
    "KeyList",
    "KeyListError",
    "build_key_list",
    "key_list_version",
    "parse_key_list",
    "zone_identity",
]

KEY_LIST_TYPE = "IssuerKeyList"
_MAX_MEMBERS = 1000
_MAX_KEYS = 10_000


class KeyListError(FriendshoreError):
    """A key list that is malformed, or whose signature does not verify."""


@dataclass(frozen=True)
class KeyEntry:
    """One key of a member and its validity (``valid_until`` ``None``: the current key)."""

    did: str
    valid_from: datetime
    valid_until: datetime | None

    def period(self) -> str:
        """The validity as text (``2026-01-01T00:00:00Z to 2026-06-01T00:00:00Z``)."""
        end = "now (current key)" if self.valid_until is None else format_time(self.valid_until)
        return f"{format_time(self.valid_from)} to {end}"


@dataclass(frozen=True)
class KeyList:
    """A verified key list: its version, zone key and every member's keys."""

    version: int
    updated: str
    zone: str
    zone_key: str
    members: Mapping[str, tuple[KeyEntry, ...]]

    def check(self, member: str | None, did: str | None, at: datetime) -> tuple[bool, str]:
        """Whether ``did`` is a key of ``member`` valid at ``at``, and why (not).

        Returns
        -------
        tuple
            ``(ok, reason)``; the reason names the key, the member and the list version.
        """
        where = f"key list v{self.version}"
        if did is None:
            return False, "the certificate names no signing key"
        if member is None:
            return False, f"the certificate names no member: {did} is checked against nobody"
        keys = self.members.get(member)
        if keys is None:
            return False, f"{member} is not a member of the zone in {where}"
        found = [k for k in keys if k.did == did]
        if not found:
            owners = [m for m, ks in self.members.items() if any(k.did == did for k in ks)]
            also = f" (it is a key of {', '.join(owners)})" if owners else ""
            return False, f"key {did} is not a key of {member} in {where}{also}"
        moment = at.astimezone(UTC).replace(microsecond=0)
        for key in found:
            if key.valid_from <= moment and (key.valid_until is None or moment <= key.valid_until):
                return True, f"key of {member} in {where}, valid {key.period()}"
        periods = "; ".join(k.period() for k in found)
        return (
            False,
            f"key {did} of {member} is valid {periods} in {where}, not at {format_time(moment)}",
        )


def key_list_version(keys: Iterable[IssuerKeyRecord]) -> int:
    """The version of the key list of ``keys``: keys registered plus keys retired."""
    return sum(1 + (k.retired_at is not None) for k in keys)


def _floor(text: str) -> str:
    return format_time(parse_time(text))


def build_key_list(
    keys: Sequence[IssuerKeyRecord],
    *,
    members: Iterable[str],
    zone_key: Ed25519PrivateKey,
    zone: str,
) -> dict[str, Any]:
    """Return the signed key list of the registry's issuer ``keys``.

    Parameters
    ----------
    keys
        Every registered issuer key (:meth:`RegistryTxn.issuer_keys`).
    members
        The zone's members: each is listed, with no keys if it has none yet.
    zone_key
        The zone's private key, which signs the list.
    zone
        The zone's name.
    """
    listed: dict[str, list[dict[str, Any]]] = {m: [] for m in members}
    changes: list[str] = []
    for key in sorted(keys, key=lambda k: (k.created_at, k.key_id)):
        listed.setdefault(key.member, []).append(
            {
                "id": key.key_id,
                "valid_from": _floor(key.created_at),
                "valid_until": None if key.retired_at is None else _floor(key.retired_at),
            }
        )
        changes += [key.created_at] + ([key.retired_at] if key.retired_at else [])
    version = key_list_version(keys)
    last = max(changes) if changes else None
    updated = _floor(last) if last else "1970-01-01T00:00:00Z"
    credential = {
        "@context": [CONTEXT_V2],
        "id": f"urn:friendshore:keylist:{version}",
        "type": ["VerifiableCredential", KEY_LIST_TYPE],
        "issuer": {"id": did_key(zone_key.public_key()), "name": zone},
        "validFrom": updated,
        "credentialSubject": {
            "id": "urn:friendshore:zone",
            "zone": zone,
            "version": version,
            "updated": updated,
            "members": {m: listed[m] for m in sorted(listed)},
        },
    }
    return sign_credential(credential, zone_key, created=parse_time(updated))


def _bad(message: str) -> KeyListError:
    return KeyListError(f"not a valid key list: {message}")


def parse_key_list(document: Any, *, zone_key: str | None = None) -> KeyList:
    """Verify a key list's signature (by ``zone_key`` when given) and return it.

    Parameters
    ----------
    document
        The key list (parsed JSON).
    zone_key
        The zone's ``did:key`` as published out of band: the list must be signed by
        it. Without it, the signature proves only that the list is intact.

    Raises
    ------
    KeyListError
        If the list is malformed, its signature does not verify, or it is signed by
        another key than ``zone_key``.
    """
    if not isinstance(document, dict):
        raise _bad("a key list is a JSON object")
    types = document.get("type")
    if not isinstance(types, list) or KEY_LIST_TYPE not in types:
        raise _bad(f"its type does not include {KEY_LIST_TYPE!r}")
    ok, reason, signer = verify_proof(document)
    if not ok:
        raise KeyListError(f"the key list's signature does not verify: {reason}")
    assert signer is not None
    if zone_key is not None and signer != zone_key.split("#", 1)[0]:
        raise KeyListError(f"the key list is signed by {signer}, not by the zone key {zone_key}")
    subject = document.get("credentialSubject")
    issuer = document.get("issuer")
    if not isinstance(subject, dict) or not isinstance(issuer, dict):
        raise _bad("no credentialSubject or issuer object")
    version, updated, zone = subject.get("version"), subject.get("updated"), subject.get("zone")
    members = subject.get("members")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise _bad("credentialSubject.version is not a whole number")
    if not isinstance(updated, str) or not isinstance(zone, str):
        raise _bad("credentialSubject.updated or .zone is missing")
    if not isinstance(members, dict) or len(members) > _MAX_MEMBERS:
        raise _bad("credentialSubject.members is not an object of members")
    parsed: dict[str, tuple[KeyEntry, ...]] = {}
    count = 0
    for member, entries in members.items():
        if not isinstance(entries, list):
            raise _bad(f"the keys of {member} are not a list")
        count += len(entries)
        if count > _MAX_KEYS:
            raise _bad(f"more than {_MAX_KEYS} keys")
        parsed[member] = tuple(_entry(member, i, e) for i, e in enumerate(entries))
    return KeyList(version=version, updated=updated, zone=zone, zone_key=signer, members=parsed)


def _entry(member: str, index: int, entry: Any) -> KeyEntry:
    where = f"credentialSubject.members.{member}.{index}"
    if not isinstance(entry, dict):
        raise _bad(f"{where} is not an object")
    did, start, end = entry.get("id"), entry.get("valid_from"), entry.get("valid_until")
    if not isinstance(did, str) or not isinstance(start, str):
        raise _bad(f"{where}: id and valid_from are required")
    if end is not None and not isinstance(end, str):
        raise _bad(f"{where}.valid_until is neither a time nor null")
    try:
        public_key_from_did(did)
        begins = parse_time(start)
        ends = None if end is None else parse_time(end)
    except ValueError as exc:
        raise _bad(f"{where}: {exc}") from None
    return KeyEntry(did=did, valid_from=begins, valid_until=ends)


@cache
def zone_identity() -> tuple[str, tuple[str, ...]]:
    """The default zone's name and member codes (``EU27``, ``USA``…), as the zone file has them."""
    zone = Zone.load()
    return zone.name, tuple(zone.members)
