"""Benchmark: the compliance registry over HTTP on loopback (targets: verify ≥ 2,000 req/s,
issue ≥ 200 req/s on SQLite), with p50/p99 latency, on SQLite and on PostgreSQL.

For each backend it seeds a registry, starts the real server (``uvicorn --factory
friendshore.api.registry:registry_app_from_env``, one worker, in a subprocess) and
drives it with a light keep-alive HTTP/1.1 load generator (asyncio streams,
``--connections`` concurrent connections):

- verification: ``GET /api/v1/compliance/certificates/{serial}/verify`` of random
  seeded serials (public);
- issuance: ``POST /api/v1/compliance/certificates`` of a stored declaration
  (``declaration_ref``) by an issuer, each a new signed certificate;
- ``GET /healthz`` (a no-op endpoint): the HTTP stack's own ceiling on the machine.

The baseline is the same operation in-process, without HTTP
(``ComplianceService.verify_serial`` / ``issue`` in a loop on the same registry);
the ratio is HTTP throughput / in-process throughput.

Limits on / off (issue 14: they must cost less than 10%): the server runs ``--rounds``
times with the limits (body limit middleware, unknown-query check; the default) and as
often without them (``create_registry_app(enforce_limits=False)``), alternately, on the
same registry; the table gives the median of the rounds for each, and the off/on line
the ratio of the medians.

    python benchmarks/bench_registry.py [--verify 6000] [--issue 600] [--connections 32]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--workers 1]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).parent))
from _util import print_table
from friendshore.api.registry import create_registry_app, registry_app_from_env
from friendshore.compliance.declaration import load_declaration
from friendshore.compliance.service import ComplianceService, Principal, Role
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir
from friendshore.data.registry import REGISTRY_ENV, Registry

BASE = "/api/v1/compliance"
ON = date(2025, 3, 1)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(
    port: int, requests: list[bytes], connections: int, expect: bytes
) -> tuple[float, list[float], int]:
    """Send ``requests`` over ``connections`` keep-alive connections; return time and latencies."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            request = queue.pop()
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(expect):
                failures += 1
        writer.close()
        await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start, latencies, failures


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def _post(path: str, body: dict[str, Any], token: str) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


def _in_process(func: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        func()
    return n / (time.perf_counter() - start)


def app_without_limits() -> FastAPI:
    """:func:`registry_app_from_env` without the limits (``uvicorn --factory`` target)."""
    return create_registry_app(
        registry_url=os.environ[REGISTRY_ENV],
        keys_dir=keystore.default_keys_dir(),
        enforce_limits=False,
    )


def _serve(
    url: str, keys: Path, workers: int, log: Path, *, limits: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    # --host/--port, not --fd: uvicorn opens an inherited descriptor as a Unix socket,
    # so its TCP connections lose TCP_NODELAY and every response waits ~40 ms for the
    # client's delayed ACK (measured: 728 req/s with p50 44 ms on a no-op endpoint).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "FRIENDSHORE_REGISTRY": url, "FRIENDSHORE_KEYS": str(keys)}
    factory = (
        f"friendshore.api.registry:{registry_app_from_env.__name__}"
        if limits
        else f"bench_registry:{app_without_limits.__name__}"
    )
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--app-dir", str(Path(__file__).parent),
        "--host", "127.0.0.1", "--port", str(port), "--backlog", "2048",
        "--log-level", "warning", "--no-access-log", "--workers", str(workers),
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, port
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log.read_text())


def bench_backend(name: str, url: str, args: argparse.Namespace, tmp: Path) -> list[list[str]]:
    keys = tmp / f"keys-{name}"
    keystore.generate_key(keys, "EU27")
    decl = load_declaration(declarations_dir() / "cathode-nmc811-illustrative.json")
    issuer = Principal(Role.ISSUER, "EU27")
    with Registry.open(url) as registry:
        service = ComplianceService(registry, keys_dir=keys)
        token = service.create_api_key(Role.ISSUER, "EU27")
        ref = service.submit_declaration(issuer, decl).ref
        serials = [service.issue(issuer, declaration_ref=ref, on=ON).serial for _ in range(200)]
        # in-process baselines (warm: the proof cache holds the 200 documents after one pass)
        for serial in serials:
            service.verify_serial(serial)
        verify_base = _in_process(lambda: service.verify_serial(random.choice(serials)), 2000)
        issue_base = _in_process(
            lambda: service.issue(issuer, declaration_ref=ref, on=ON), max(50, args.issue // 4)
        )
    verify = [_get(f"{BASE}/certificates/{random.choice(serials)}/verify")
              for _ in range(args.verify)]  # fmt: skip
    body = {"declaration_ref": ref, "evaluation_date": ON.isoformat()}
    issue = [_post(f"{BASE}/certificates", body, token) for _ in range(args.issue)]
    floor = [_get("/healthz") for _ in range(args.verify // 2)]
    runs: dict[bool, list[dict[str, tuple[float, list[float]]]]] = {True: [], False: []}
    for n in range(args.rounds):
        for limits in (True, False) if n % 2 == 0 else (False, True):
            log = tmp / f"server-{name}-{n}-{'on' if limits else 'off'}.log"
            runs[limits].append(
                _round(url, keys, args, log, limits=limits, verify=verify, issue=issue, floor=floor)
            )
    with Registry.open(url) as registry, registry.read() as tx:
        check = tx.verify_audit_chain()
        total = tx.count_certificates()
    assert check.ok, check.message
    rows = []
    medians: dict[tuple[str, bool], float] = {}
    for limits in (True, False):
        for op, base in (("verify", verify_base), ("issue", issue_base), ("healthz", None)):
            rates = [r[op][0] for r in runs[limits]]
            lat = [x for r in runs[limits] for x in r[op][1]]
            rate = medians[op, limits] = statistics.median(rates)
            rows.append(
                [
                    name,
                    op if base is not None else "healthz (no-op)",
                    "on" if limits else "off",
                    f"{len(lat) // len(rates):,}",
                    f"{rate:,.0f}",
                    f"{statistics.median(lat) * 1000:.1f}",
                    f"{_quantile(lat, 0.99) * 1000:.1f}",
                    f"{base:,.0f}" if base is not None else "",
                    f"{rate / base:.2f}" if base is not None else "",
                ]
            )
    print(f"{name}: {total} certificates, audit chain intact ({check.entries} entries)")
    for op in ("verify", "issue", "healthz"):
        on, off = medians[op, True], medians[op, False]
        print(f"{name}: {op} limits on / off = {on:,.0f} / {off:,.0f} req/s = {on / off:.3f}")
    return rows


def _round(
    url: str,
    keys: Path,
    args: argparse.Namespace,
    log: Path,
    *,
    limits: bool,
    verify: list[bytes],
    issue: list[bytes],
    floor: list[bytes],
) -> dict[str, tuple[float, list[float]]]:
    """One server start: verify (after a warm-up), issue, healthz; rate and latencies each."""
    proc, port = _serve(url, keys, args.workers, log, limits=limits)
    try:
        asyncio.run(_load(port, verify[:500], args.connections, b"HTTP/1.1 200"))  # warm-up
        v_time, v_lat, v_fail = asyncio.run(_load(port, verify, args.connections, b"HTTP/1.1 200"))
        i_time, i_lat, i_fail = asyncio.run(_load(port, issue, args.connections, b"HTTP/1.1 201"))
        # the HTTP stack's own ceiling on this machine: an endpoint that does nothing
        h_time, h_lat, _ = asyncio.run(_load(port, floor, args.connections, b"HTTP/1.1 200"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert v_fail == 0, v_fail
    assert i_fail == 0, i_fail
    return {
        "verify": (len(verify) / v_time, v_lat),
        "issue": (len(issue) / i_time, i_lat),
        "healthz": (len(floor) / h_time, h_lat),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=int, default=6000)
    parser.add_argument("--issue", type=int, default=600)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rounds", type=int, default=3, help="Server runs with the limits, and as many without."
    )
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="Admin URL of a PostgreSQL server (a scratch database is created); '' to skip.",
    )  # fmt: skip
    args = parser.parse_args()
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        rows += bench_backend("sqlite", f"sqlite:///{tmp / 'registry.sqlite'}", args, tmp)
        if args.postgres:
            admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
            name = f"fs_bench_{uuid.uuid4().hex[:10]}"
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"CREATE DATABASE {name}")
            except psycopg.Error as exc:
                print(f"PostgreSQL skipped: {exc}")
            else:
                try:
                    url = f"{args.postgres.rpartition('/')[0]}/{name}"
                    rows += bench_backend("postgresql", url, args, tmp)
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print()
    print_table(
        [
            "backend",
            "operation",
            "limits",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "in-process/s",
            "ratio",
        ],
        rows,
    )
    print(
        f"\n{args.connections} connections, {args.workers} uvicorn worker(s), medians of "
        f"{args.rounds} server runs each with and without limits; "
        "targets: verify >= 2,000 req/s, issue >= 200 req/s (SQLite)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
