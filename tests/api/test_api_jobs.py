"""The job manager: progress, results, failures with their field, unknown ids, forgetting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import TestClient

from friendshore._core.errors import DataError
from friendshore.api.errors import NotFoundError
from friendshore.api.jobs import KEEP_JOBS, JobManager


def finish(manager: JobManager, job_id: str) -> Any:
    for _ in range(500):
        info = manager.get(job_id).info()
        if info.status in ("done", "failed"):
            return info
        time.sleep(0.01)
    raise AssertionError("job did not finish")


def test_a_job_reports_progress_then_its_result() -> None:
    manager = JobManager(1)
    gate = threading.Event()

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        advance(3)
        gate.wait(5)
        advance(7)
        return {"answer": 42}

    job = manager.submit("test", 10, work)
    for _ in range(500):
        if job.info().done == 3:
            break
        time.sleep(0.01)
    info = job.info()
    assert (info.status, info.done, info.progress) == ("running", 3, 0.3)
    gate.set()
    info = finish(manager, job.id)
    assert (info.status, info.done, info.progress, info.result) == ("done", 10, 1.0, {"answer": 42})
    assert info.finished is not None
    assert info.finished >= info.created
    manager.shutdown()


def test_a_failed_job_keeps_the_field_at_fault() -> None:
    manager = JobManager(1)

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        raise DataError("share must be at most 1", field="shocks.0.share")

    info = finish(manager, manager.submit("test", 1, work).id)
    assert info.status == "failed"
    assert info.error is not None
    assert (info.error.detail, info.error.field) == ("share must be at most 1", "shocks.0.share")
    manager.shutdown()


def test_an_unexpected_error_is_reported_not_lost() -> None:
    manager = JobManager(1)

    def work(advance: Callable[[int], None]) -> dict[str, Any]:
        return {"x": 1 // 0}

    info = finish(manager, manager.submit("test", 1, work).id)
    assert info.status == "failed"
    assert info.error is not None
    assert "ZeroDivisionError" in info.error.detail
    manager.shutdown()


def test_unknown_job_raises() -> None:
    with pytest.raises(NotFoundError):
        JobManager(1).get("nope")


def test_old_finished_jobs_are_forgotten() -> None:
    manager = JobManager(2)
    ids = [manager.submit("test", 1, lambda advance: {}).id for _ in range(KEEP_JOBS + 5)]
    for job_id in ids[-3:]:
        finish(manager, job_id)
    manager.submit("test", 1, lambda advance: {})
    kept = [j.id for j in manager.jobs()]
    assert len(kept) <= KEEP_JOBS + 1
    assert ids[-1] in kept
    assert ids[0] not in kept
    manager.shutdown()


def test_jobs_endpoints(client: TestClient) -> None:
    response = client.get("/api/v1/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json() == {"detail": "no job '0123456789abcdef'", "field": "job_id"}
    listed = client.get("/api/v1/jobs")
    assert listed.status_code == 200
    assert all(j["result"] is None for j in listed.json())
