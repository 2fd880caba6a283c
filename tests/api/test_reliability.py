"""Reliability against a real server: ``friendshore serve`` on loopback, hammered by
anonymous callers (junk query parameters, a 100 MB body) while health keeps answering."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

#: Anonymous GETs with distinct junk parameters, and how many go on the wire at once.
JUNK_REQUESTS = 20_000
BATCH = 100
#: Bytes of each junk value: cached as before, 20,000 of them would hold over 100 MB.
JUNK_BYTES = 4000
MIB = 1024 * 1024


@dataclass
class Server:
    """A ``friendshore serve`` process and its base URL."""

    process: subprocess.Popen[bytes]
    port: int
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        """Resident memory of the server process (MiB), from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``friendshore serve`` on a free loopback port over the session store."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    home = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "FRIENDSHORE_REGISTRY": f"sqlite:///{home / 'registry.sqlite'}",
        "FRIENDSHORE_KEYS": str(home / "keys"),
    }
    port = _free_port()
    exe = Path(sys.executable).parent / "friendshore"
    command = [str(exe), "serve", "--port", str(port), "--store", str(store_path)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    running = Server(process, port)
    try:
        for _ in range(1200):  # start-up computes the assessment: seconds
            if process.poll() is not None:
                assert process.stderr is not None
                pytest.fail(f"serve exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{running.base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer /api/v1/health")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


class HealthWatch:
    """Polls ``/api/v1/health`` from another thread; keeps the slowest answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.slowest = 0.0
        self.answers = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.wait(0.05):
                start = time.perf_counter()
                try:
                    status = client.get("/api/v1/health").status_code
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.slowest = max(self.slowest, time.perf_counter() - start)
                if status == 200:
                    self.answers += 1
                else:
                    self.failures.append(str(status))

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _junk_batch(start: int, pad: bytes) -> bytes:
    return b"".join(
        b"GET /api/v1/zone?junk%d=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (start + i, pad)
        for i in range(BATCH)
    )


def test_junk_query_parameters_do_not_grow_memory(server: Server) -> None:
    pad = b"j" * JUNK_BYTES
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        # warm-up: the first answers allocate what every later one reuses
        sock.sendall(_junk_batch(0, pad))
        _read_statuses(sock, BATCH)
        before = server.rss_mib()
        refused = 0
        with HealthWatch(server.base) as health:
            for start in range(BATCH, JUNK_REQUESTS + BATCH, BATCH):  # HTTP/1.1 pipelined
                sock.sendall(_junk_batch(start, pad))
                statuses = _read_statuses(sock, BATCH)
                assert statuses == [422] * BATCH, statuses[:5]
                refused += BATCH
        grown = server.rss_mib() - before
    assert refused == JUNK_REQUESTS
    assert grown < 50, f"RSS grew by {grown:.1f} MiB over {JUNK_REQUESTS} junk GETs"
    assert not health.failures, health.failures[:5]
    assert health.answers > 0
    # health is answered throughout (generous margin over the 1 s asked for)
    assert health.slowest < 5, f"slowest health answer {health.slowest:.2f} s"


def _read_statuses(sock: socket.socket, count: int) -> list[int]:
    """The statuses of ``count`` pipelined responses (each with a Content-Length)."""
    buffer = b""
    statuses: list[int] = []
    while len(statuses) < count:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            chunk = sock.recv(1 << 20)
            assert chunk, "the server closed the connection"
            buffer += chunk
            continue
        head = buffer[:head_end].decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in head
            if line.lower().startswith("content-length:")
        )
        end = head_end + 4 + length
        while len(buffer) < end:
            chunk = sock.recv(1 << 20)
            assert chunk, "the server closed the connection"
            buffer += chunk
        statuses.append(int(head[0].split()[1]))
        buffer = buffer[end:]
    return statuses


def _post_huge(port: int, *, chunked: bool) -> tuple[bytes, int]:
    """POST a 100 MB body as fast as the server takes it; stop once it answers.

    Returns the response's first bytes and how many body bytes were sent.
    """
    total = 100 * MIB
    block = b" " * MIB
    head = b"POST /api/v1/scenarios/run HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += b"Content-Type: application/json\r\n"
    head += (
        b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: %d\r\n\r\n" % total
    )
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # the server answered before the end of the body
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            except (BrokenPipeError, ConnectionResetError):
                break  # it stopped reading
            sent += len(block)
        try:
            while chunk := sock.recv(1 << 16):
                answer += chunk
        except ConnectionResetError:
            pass  # closed with the rest of our body unread, after its answer
    return answer, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_body_gets_413_unread(server: Server, chunked: bool) -> None:
    before = server.rss_mib()
    answer, sent = _post_huge(server.port, chunked=chunked)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'"field":null' in answer
    assert sent < 50 * MIB, f"the server took {sent / MIB:.0f} MiB before refusing"
    assert server.rss_mib() - before < 50
    assert httpx.get(f"{server.base}/api/v1/health").status_code == 200


#: Anonymous job POSTs from one address against the real server (quota 2 by default).
JOB_POSTS = 100


def test_anonymous_job_posts_beyond_the_quota_get_429(server: Server) -> None:
    """100 Monte Carlo POSTs from one anonymous caller: 2 accepted, 98 refused with
    ``Retry-After``; the caller never has more than its quota queued or running."""
    with httpx.Client(base_url=f"{server.base}/api/v1", timeout=60) as http:
        scenario = http.get("/scenarios/cn-gallium-germanium-2023").json()
        body = {"scenario": scenario, "draws": 20_000, "seed": 1}
        statuses: list[int] = []
        accepted: list[str] = []
        most_active = 0
        for _ in range(JOB_POSTS):
            response = http.post("/scenarios/montecarlo", json=body)
            statuses.append(response.status_code)
            if response.status_code == 202:
                accepted.append(response.json()["id"])
            else:
                assert response.status_code == 429, response.text
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["field"] is None
            active = [j for j in http.get("/jobs").json() if j["status"] in ("queued", "running")]
            most_active = max(most_active, len(active))
        assert statuses.count(202) == 2
        assert statuses.count(429) == JOB_POSTS - 2
        assert most_active <= 2
        for job_id in accepted:  # leave the server idle for the other tests
            http.delete(f"/jobs/{job_id}")
        assert http.get("/health").status_code == 200
