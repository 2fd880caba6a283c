"""Long runs as jobs: an in-process thread pool, progress the page polls.

``POST`` endpoints of long runs (Monte Carlo) return ``202`` and a :class:`JobInfo`;
``GET /api/v1/jobs/{id}`` reports its status, progress (``done`` of ``total``
units, e.g. draws) and, once finished, its result or error.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

import pydantic
from fastapi import APIRouter, Depends, Request

from friendshore._core.errors import FriendshoreError, InputError
from friendshore.api.errors import ErrorBody, NotFoundError

#: Finished jobs kept for polling; the oldest finished ones are forgotten beyond it.
KEEP_JOBS: Final = 100

JobStatus = Literal["queued", "running", "done", "failed"]
#: A job's work: called with a progress callback ``advance(units)``, returns the JSON result.
Work = Callable[[Callable[[int], None]], dict[str, Any]]


class JobInfo(pydantic.BaseModel):
    """A job's state as the API reports it."""

    id: str
    kind: str
    status: JobStatus
    done: int = pydantic.Field(description="units of work finished (e.g. draws)")
    total: int = pydantic.Field(description="units of work in all")
    progress: float = pydantic.Field(description="done / total, 0-1")
    created: float = pydantic.Field(description="Unix time, s")
    finished: float | None = pydantic.Field(None, description="Unix time, s")
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None


@dataclass(eq=False)
class Job:
    """One submitted job (mutable; guarded by its lock)."""

    id: str
    kind: str
    total: int
    status: JobStatus = "queued"
    done: int = 0
    created: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, units: int) -> None:
        """Count ``units`` more of the work as done."""
        with self.lock:
            self.done = min(self.total, self.done + units)

    def info(self) -> JobInfo:
        """The job's state as a response model."""
        with self.lock:
            return JobInfo(
                id=self.id,
                kind=self.kind,
                status=self.status,
                done=self.done,
                total=self.total,
                progress=self.done / self.total if self.total else 1.0,
                created=self.created,
                finished=self.finished,
                result=self.result,
                error=self.error,
            )


class JobManager:
    """Runs jobs on a thread pool and keeps their state in memory.

    Parameters
    ----------
    workers
        Threads running jobs at once; more jobs wait in the queue.
    """

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="friendshore-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, total: int, work: Work) -> Job:
        """Queue ``work`` as a job of ``total`` units and return it at once."""
        job = Job(id=uuid.uuid4().hex, kind=kind, total=total)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job:
        """Return the job ``job_id``.

        Raises
        ------
        NotFoundError
            If there is no such job (or it was forgotten).
        """
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r}", field="job_id")
        return job

    def jobs(self) -> list[Job]:
        """Every job kept, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self) -> None:
        """Stop accepting jobs and wait for the running ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status in ("done", "failed")]
        for job_id in finished[: max(0, len(finished) - KEEP_JOBS)]:
            del self._jobs[job_id]

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        with job.lock:
            job.status = "running"
        try:
            result = work(job.advance)
        except InputError as exc:
            error = ErrorBody(
                detail=getattr(exc, "message", None) or str(exc),
                field=getattr(exc, "field", None),
            )
            with job.lock:
                job.status, job.error, job.finished = "failed", error, time.time()
        except FriendshoreError as exc:
            with job.lock:
                job.status, job.error = "failed", ErrorBody(detail=str(exc))
                job.finished = time.time()
        except Exception as exc:  # a job must never die silently: report it
            with job.lock:
                job.status = "failed"
                job.error = ErrorBody(detail=f"internal error: {type(exc).__name__}: {exc}")
                job.finished = time.time()
        else:
            with job.lock:
                job.status, job.result, job.done = "done", result, job.total
                job.finished = time.time()


def job_manager(request: Request) -> JobManager:
    """The app's job manager (a dependency)."""
    manager: JobManager = request.app.state.jobs
    return manager


Jobs = Annotated[JobManager, Depends(job_manager)]

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", summary="Every job kept, oldest first (results left out).")
def list_jobs(jobs: Jobs) -> list[JobInfo]:
    """Every job kept in memory, without results."""
    return [job.info().model_copy(update={"result": None}) for job in jobs.jobs()]


@router.get(
    "/{job_id}",
    summary="A job's status, progress and, once done, its result.",
    responses={404: {"model": ErrorBody}},
)
def get_job(job_id: str, jobs: Jobs) -> JobInfo:
    """A job's status and progress (``done`` of ``total``); its result once ``done``."""
    return jobs.get(job_id).info()
