"""Jobs bounded for every caller: quotas (429 + Retry-After), the queue's bound, visibility
to the submitter only, cancel (DELETE), forgetting, and a real server that stops on SIGTERM.

The jobs are real Monte Carlo runs over the session store: a long one (the most draws
the API takes) holds the only worker while the others wait in the queue.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import TestClient

from friendshore._core.errors import DataError
from friendshore.api.app import create_app
from friendshore.api.jobs import JobLimits, JobManager
from friendshore.api.scenarios import MAX_DRAWS
from friendshore.compliance.service import ComplianceService, Role

GALLIUM = "cn-gallium-germanium-2023"
JOBS = "/api/v1/jobs"
MONTECARLO = "/api/v1/scenarios/montecarlo"


def wait_for(check: Callable[[], Any], *, tries: int = 1200, pause: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy (bounded loop, no wall-clock limit)."""
    for _ in range(tries):
        found = check()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError("condition never met")


@pytest.fixture(scope="module")
def app_and_tokens(
    store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with one job worker, the default limits and a registry holding two tokens."""
    root = tmp_path_factory.mktemp("jobs-limits")
    app = create_app(
        store_path=store_path,
        warm=True,
        registry_url=f"sqlite:///{root / 'registry.sqlite'}",
        keys_dir=root / "keys",
        job_limits=JobLimits(),
    )
    with TestClient(app) as client:
        service: ComplianceService = app.state.compliance_service
        tokens = {
            "acme": service.create_api_key(Role.APPLICANT, "acme"),
            "other": service.create_api_key(Role.APPLICANT, "other"),
        }
        yield client, tokens


@pytest.fixture
def client(app_and_tokens: tuple[TestClient, dict[str, str]]) -> Iterator[TestClient]:
    """The app's anonymous client; every job left is cancelled after the test."""
    test_client, _ = app_and_tokens
    yield test_client
    manager: JobManager = test_client.app.state.jobs  # type: ignore[attr-defined]
    for job in manager.jobs():
        manager.cancel(job.id)
    wait_for(lambda: manager.active_count() == 0)


@pytest.fixture(scope="module")
def scenario(app_and_tokens: tuple[TestClient, dict[str, str]]) -> dict[str, Any]:
    response = app_and_tokens[0].get(f"/api/v1/scenarios/{GALLIUM}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def post_mc(
    client: TestClient, scenario: dict[str, Any], draws: int = MAX_DRAWS, token: str | None = None
) -> httpx.Response:
    body = {"scenario": scenario, "draws": draws, "seed": 1}
    return client.post(MONTECARLO, json=body, headers=bearer(token))


def assert_quota_refusal(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert set(body) == {"detail", "field"}
    assert body["field"] is None
    assert body["detail"]


def test_anonymous_quota_is_429_with_retry_after(
    client: TestClient, scenario: dict[str, Any]
) -> None:
    first, second = post_mc(client, scenario), post_mc(client, scenario)
    assert (first.status_code, second.status_code) == (202, 202)
    refused = post_mc(client, scenario)
    assert_quota_refusal(refused)
    assert "anonymous" in refused.json()["detail"]
    # a cancelled job frees its place
    assert client.delete(f"{JOBS}/{second.json()['id']}").status_code == 200
    assert post_mc(client, scenario).status_code == 202


def test_the_queue_never_exceeds_its_bound_under_100_posts(
    client: TestClient, scenario: dict[str, Any]
) -> None:
    manager: JobManager = client.app.state.jobs  # type: ignore[attr-defined]
    bound = manager.limits.max_jobs
    manager.peak_active = 0
    statuses = []
    for i in range(100):  # 50 anonymous addresses, 2 posts each (their quota)
        caller = TestClient(client.app, client=(f"10.0.{i // 2 // 250}.{i // 2 % 250}", 4000))
        response = post_mc(caller, scenario)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert_quota_refusal(response)
            assert "queue is full" in response.json()["detail"]
        assert manager.active_count() <= bound
    assert statuses.count(202) == bound
    assert set(statuses) == {202, 429}
    assert manager.peak_active == bound


def test_a_tokens_jobs_are_its_own(
    app_and_tokens: tuple[TestClient, dict[str, str]],
    client: TestClient,
    scenario: dict[str, Any],
) -> None:
    _, tokens = app_and_tokens
    acme, other = tokens["acme"], tokens["other"]
    jobs = [post_mc(client, scenario, token=acme) for _ in range(3)]  # beyond the anonymous 2
    assert [r.status_code for r in jobs] == [202, 202, 202]
    ids = {r.json()["id"] for r in jobs}
    assert all(len(job_id) == 32 for job_id in ids)  # 128 random bits
    mine = client.get(JOBS, headers=bearer(acme))
    assert mine.status_code == 200
    assert {j["id"] for j in mine.json()} == ids
    anonymous_ids = {j["id"] for j in client.get(JOBS).json()}
    other_ids = {j["id"] for j in client.get(JOBS, headers=bearer(other)).json()}
    assert not ids & anonymous_ids
    assert not ids & other_ids
    job_id = next(iter(ids))
    for headers in ({}, bearer(other)):
        for response in (
            client.get(f"{JOBS}/{job_id}", headers=headers),
            client.delete(f"{JOBS}/{job_id}", headers=headers),
        ):
            assert response.status_code == 404, response.text
            assert response.json() == {"detail": f"no job {job_id!r}", "field": "job_id"}
    assert client.get(f"{JOBS}/{job_id}", headers=bearer(acme)).status_code == 200
    unknown = client.get(JOBS, headers=bearer("fsk_not-a-key"))
    assert unknown.status_code == 401
    assert unknown.json() == {"detail": "unknown API key", "field": None}
    assert unknown.headers["www-authenticate"] == "Bearer"


def test_delete_cancels_a_queued_job_and_a_running_montecarlo(
    client: TestClient, scenario: dict[str, Any]
) -> None:
    running = post_mc(client, scenario).json()
    queued = post_mc(client, scenario).json()
    url = f"{JOBS}/{running['id']}"
    info = wait_for(lambda: (j := client.get(url).json())["done"] > 0 and j)
    assert info["status"] == "running"
    # the queued job: cancelled at once
    response = client.delete(f"{JOBS}/{queued['id']}")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert client.get(f"{JOBS}/{queued['id']}").json()["status"] == "cancelled"
    # the running one: at its next chunk of draws
    response = client.delete(url)
    assert response.status_code == 202
    assert response.json()["cancel_requested"] is True
    info = wait_for(lambda: (j := client.get(url).json())["status"] != "running" and j)
    assert info["status"] == "cancelled"
    assert info["done"] < info["total"]
    assert info["result"] is None
    assert info["finished"] is not None
    # a finished job: DELETE forgets it
    assert client.delete(url).status_code == 200
    assert client.get(url).status_code == 404


def test_finished_jobs_are_forgotten_after_their_time() -> None:
    manager = JobManager(1, limits=JobLimits(keep_s=0))
    job = manager.submit("test", 1, lambda advance: {"x": 1})
    wait_for(lambda: job.info().status == "done")
    time.sleep(0.01)
    assert manager.jobs() == []
    manager.shutdown()


def test_shutdown_cancels_queued_and_stops_running_jobs() -> None:
    manager = JobManager(1, limits=JobLimits(shutdown_s=30))

    def endless(advance: Callable[[int], None]) -> dict[str, Any]:
        while True:
            advance(1)
            time.sleep(0.001)

    running = manager.submit("test", 10**9, endless)
    queued = manager.submit("test", 1, lambda advance: {})
    wait_for(lambda: running.info().done > 0)
    assert manager.shutdown() is True
    assert (running.info().status, queued.info().status) == ("cancelled", "cancelled")
    with pytest.raises(Exception, match="shutting down"):
        manager.submit("test", 1, lambda advance: {})


def test_limits_from_the_environment() -> None:
    limits = JobLimits.from_env({"FRIENDSHORE_JOB_QUEUE": "4", "FRIENDSHORE_SHUTDOWN_S": "2.5"})
    assert (limits.max_jobs, limits.shutdown_s, limits.anonymous_jobs) == (4, 2.5, 2)
    with pytest.raises(DataError) as caught:
        JobLimits.from_env({"FRIENDSHORE_JOB_QUOTA_TOKEN": "many"})
    assert caught.value.field == "FRIENDSHORE_JOB_QUOTA_TOKEN"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_sigterm_with_a_running_job_exits_within_the_shutdown_time(
    store_path: Path, tmp_path: Path, scenario: dict[str, Any]
) -> None:
    shutdown_s = 4.0
    port = _free_port()
    env = {
        **os.environ,
        "FRIENDSHORE_REGISTRY": f"sqlite:///{tmp_path / 'registry.sqlite'}",
        "FRIENDSHORE_KEYS": str(tmp_path / "keys"),
        "FRIENDSHORE_SHUTDOWN_S": str(shutdown_s),
    }
    command = [str(Path(sys.executable).parent / "friendshore"), "serve", "--port", str(port)]
    command += ["--store", str(store_path)]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:

            def up() -> bool:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    http.get("/health")  # any answer: the server is up
                except httpx.TransportError:
                    return False
                return True

            wait_for(up, tries=1200, pause=0.1)
            body = {"scenario": scenario, "draws": MAX_DRAWS, "seed": 1}
            job = http.post("/scenarios/montecarlo", json=body).json()
            info = wait_for(lambda: (j := http.get(f"/jobs/{job['id']}").json())["done"] and j)
            assert info["status"] == "running"
            assert info["done"] < info["total"]
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=shutdown_s + 30)  # the stated time and a generous margin
        took = time.monotonic() - started
        assert took < shutdown_s + 30
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
