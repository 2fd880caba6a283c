"""Reliability against the real server (uvicorn on loopback) on SQLite and PostgreSQL.

50 concurrent issuances give 50 distinct serials and lose nothing; a retried request
with the same idempotency key issues once; a server killed with SIGKILL under load
and restarted has every acknowledged certificate and an intact audit chain; a
tampered certificate fails; an issuer cannot revoke another member's certificate.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from registry_server import RegistryServer, make_tokens

from friendshore.data.compliance_files import declarations_dir

BASE = "/api/v1/compliance"
JSON = {"Content-Type": "application/json"}
# A hang guard, not a speed assertion: a broken server fails the test after this long
# instead of hanging the suite (25 issuances take a few seconds here).
HANG_GUARD_S = 120.0


def _body(**extra: Any) -> dict[str, Any]:
    text = (declarations_dir() / "cathode-nmc811-illustrative.json").read_text(encoding="utf-8")
    return {"declaration": json.loads(text), "evaluation_date": "2025-03-01", **extra}


def _auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryServer, dict[str, str]]]:
    """One server per backend for this module, on its own database."""
    tmp = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'registry.sqlite'}"
    else:
        admin = request.getfixturevalue("pg_server")
        url = stack_database(request, admin)
    keys = tmp / "keys"
    tokens = make_tokens(url, keys)
    srv = RegistryServer(url, keys, tmp / "server.log")
    srv.start()
    try:
        yield srv, tokens
    finally:
        srv.close()


def stack_database(request: pytest.FixtureRequest, admin: str) -> str:
    """A fresh PostgreSQL database, dropped when ``request``'s scope ends."""
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    name = f"fs_rel_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    request.addfinalizer(drop)
    return f"{admin.rpartition('/')[0]}/{name}"


def _state(client: httpx.Client, tokens: dict[str, str]) -> tuple[set[str], int]:
    listed = client.get(
        f"{BASE}/certificates", params={"limit": 1000}, headers=_auth(tokens["auditor"])
    ).json()
    check = client.get(f"{BASE}/audit/verify", headers=_auth(tokens["auditor"])).json()
    assert check["ok"] is True
    return {c["serial"] for c in listed}, int(check["entries"])


def _issue(client: httpx.Client, token: str, **headers: str) -> httpx.Response:
    return client.post(f"{BASE}/certificates", json=_body(), headers=_auth(token, **headers))


def test_50_concurrent_issuances_give_50_distinct_serials(
    server: tuple[RegistryServer, dict[str, str]],
) -> None:
    srv, tokens = server
    with httpx.Client(base_url=srv.url, timeout=120) as client:
        before, entries = _state(client, tokens)
        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(lambda _: _issue(client, tokens["eu"]), range(50)))
        assert [r.status_code for r in responses] == [201] * 50
        serials = {r.json()["serial"] for r in responses}
        assert len(serials) == 50
        after, entries_after = _state(client, tokens)
        assert after - before == serials
        # one audit entry per issuance (+ the declaration and key registration the first time)
        assert entries_after - entries in (50, 52)


def test_retries_with_one_idempotency_key_issue_once(
    server: tuple[RegistryServer, dict[str, str]],
) -> None:
    srv, tokens = server
    with httpx.Client(base_url=srv.url, timeout=120) as client:
        before, _ = _state(client, tokens)
        with ThreadPoolExecutor(max_workers=10) as pool:
            responses = list(
                pool.map(
                    lambda _: _issue(client, tokens["eu"], **{"Idempotency-Key": "retry-1"}),
                    range(10),
                )
            )
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] * 9 + [201]
        assert len({r.json()["serial"] for r in responses}) == 1
        after, _ = _state(client, tokens)
        assert after - before == {responses[0].json()["serial"]}


def test_sigkill_under_load_loses_no_acknowledged_certificate(
    server: tuple[RegistryServer, dict[str, str]],
) -> None:
    srv, tokens = server
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    response = _issue(client, tokens["eu"])
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(response.json()["serial"])

    def count() -> int:
        with lock:
            return len(acknowledged)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + HANG_GUARD_S
    while count() < 25:
        alive = any(t.is_alive() for t in threads)
        if not alive or time.monotonic() > deadline:
            stop.set()
            for t in threads:
                t.join(timeout=60)
            why = "every load thread stopped" if not alive else f"{HANG_GUARD_S:.0f} s passed"
            pytest.fail(f"{why} with {count()} of 25 issuances acknowledged: see {srv.log_path}")
        stop.wait(0.01)
    srv.kill()
    stop.set()
    # requests queued in the listening socket's backlog are served by the restarted server
    srv.start()
    for t in threads:
        t.join(timeout=HANG_GUARD_S)
    stuck = sum(t.is_alive() for t in threads)
    assert stuck == 0, f"{stuck} load threads still waiting {HANG_GUARD_S:.0f} s after the restart"
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        for serial in acknowledged:
            verdict = client.get(f"{BASE}/certificates/{serial}/verify").json()
            assert verdict["checks"]["signature"] is True, serial
            assert verdict["checks"]["registry"] is True, serial
        check = client.get(f"{BASE}/audit/verify", headers=_auth(tokens["auditor"])).json()
        assert check["ok"] is True
        listed = client.get(
            f"{BASE}/certificates", params={"limit": 1000}, headers=_auth(tokens["auditor"])
        ).json()
        assert set(acknowledged) <= {c["serial"] for c in listed}
        # the restarted server keeps issuing on the same chain
        assert _issue(client, tokens["eu"]).status_code == 201
        assert client.get(f"{BASE}/audit/verify", headers=_auth(tokens["auditor"])).json()["ok"]


def test_tampered_certificate_and_cross_member_revocation(
    server: tuple[RegistryServer, dict[str, str]],
) -> None:
    srv, tokens = server
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        issued = _issue(client, tokens["eu"]).json()
        text = json.dumps(issued["certificate"])
        index = text.index('"value_usd": 600') + len('"value_usd": ')
        tampered = text[:index] + "7" + text[index + 1 :]  # 600 -> 700: one byte
        assert len(tampered) == len(text)
        result = client.post(f"{BASE}/verify", content=tampered, headers=JSON).json()
        assert result["valid"] is False
        assert result["status"] == "invalid_signature"
        intact = client.post(f"{BASE}/verify", content=text, headers=JSON).json()
        assert intact["checks"]["signature"] is True
        serial = issued["serial"]
        denied = client.post(
            f"{BASE}/certificates/{serial}/revoke",
            json={"reason": "not ours"},
            headers=_auth(tokens["us"]),
        )
        assert denied.status_code == 403
        assert "detail" in denied.json()
        verdict = client.get(f"{BASE}/certificates/{serial}/verify").json()
        assert verdict["checks"]["revocation"] is True
