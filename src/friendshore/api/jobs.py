"""Long runs as jobs: a bounded queue, quotas per caller, cancel, progress the page polls.

``POST`` endpoints of long runs (Monte Carlo, GE, optimisation, frontier) return
``202`` and a :class:`JobInfo`; ``GET /api/v1/jobs/{id}`` reports its status,
progress (``done`` of ``total`` units, e.g. draws) and, once finished, its result
or error; ``DELETE /api/v1/jobs/{id}`` cancels it.

Limits (:class:`JobLimits`, from ``FRIENDSHORE_JOB_*`` in :meth:`JobLimits.from_env`):

- at most ``max_jobs`` jobs queued or running in all (default 16), ``anonymous_jobs``
  per anonymous client address (default 2) and ``token_jobs`` per API token's
  principal (default 8); a submission beyond them is a ``429`` with ``Retry-After``;
- a job is its submitter's: ``GET /jobs`` lists the caller's jobs only, another
  caller's job id is a ``404`` (ids are random, 128 bits);
- finished jobs are forgotten after ``keep_s`` (default 1 h) or beyond the newest
  ``keep_finished`` (default 100);
- at shutdown queued jobs are cancelled and running ones told to stop, and the
  manager waits for them ``shutdown_s`` at most (jobs run on daemon threads: one
  that does not stop in time, an optimisation inside its solver, does not keep
  the process alive).

A caller is the principal of its bearer token (``Authorization: Bearer fsk_…``, as
the compliance registry authenticates it), else ``anonymous`` at its client address.
Cancelling is cooperative: the job's progress callback raises
:class:`JobCancelledError` once the job is cancelled, so a Monte Carlo stops within
one chunk of draws; work that reports no progress while it runs (an optimisation's
MILP solve) is cancelled when it returns, and its result dropped.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

import pydantic
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from friendshore._core.errors import DataError, FriendshoreError, InputError
from friendshore.api.errors import ErrorBody, NotFoundError
from friendshore.api.registry import _service as compliance_service

#: Finished jobs kept for polling by default; the oldest finished ones are forgotten beyond it.
KEEP_JOBS: Final = 100
#: Prefix of an anonymous caller's key (the client address follows).
ANONYMOUS: Final = "anonymous"

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
#: Statuses of a job that holds a place in the queue.
ACTIVE: Final = frozenset({"queued", "running"})
#: A job's work: called with a progress callback ``advance(units)``, returns the JSON result.
Work = Callable[[Callable[[int], None]], dict[str, Any]]

_ENV: Final = {
    "max_jobs": "FRIENDSHORE_JOB_QUEUE",
    "anonymous_jobs": "FRIENDSHORE_JOB_QUOTA_ANONYMOUS",
    "token_jobs": "FRIENDSHORE_JOB_QUOTA_TOKEN",
    "keep_finished": "FRIENDSHORE_JOB_KEEP",
    "keep_s": "FRIENDSHORE_JOB_KEEP_S",
    "shutdown_s": "FRIENDSHORE_SHUTDOWN_S",
}


class JobLimits(pydantic.BaseModel):
    """Bounds of the job queue (counts of jobs, times in seconds)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    max_jobs: int = pydantic.Field(16, ge=1, le=10_000, description="jobs queued or running")
    anonymous_jobs: int = pydantic.Field(
        2, ge=0, le=10_000, description="jobs queued or running per anonymous client address"
    )
    token_jobs: int = pydantic.Field(
        8, ge=0, le=10_000, description="jobs queued or running per API token's principal"
    )
    keep_finished: int = pydantic.Field(KEEP_JOBS, ge=0, le=100_000)
    keep_s: float = pydantic.Field(3600.0, ge=0, le=7 * 86_400, allow_inf_nan=False)
    shutdown_s: float = pydantic.Field(10.0, ge=0, le=3600, allow_inf_nan=False)
    retry_after_s: int = pydantic.Field(10, ge=1, le=3600, description="Retry-After of a 429")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> JobLimits:
        """The limits from ``FRIENDSHORE_JOB_QUEUE``, ``FRIENDSHORE_JOB_QUOTA_ANONYMOUS``,
        ``FRIENDSHORE_JOB_QUOTA_TOKEN``, ``FRIENDSHORE_JOB_KEEP``, ``FRIENDSHORE_JOB_KEEP_S``
        and ``FRIENDSHORE_SHUTDOWN_S``; unset ones keep their defaults.

        Raises
        ------
        DataError
            A value that is not a number in range (``field``: the variable).
        """
        values = {name: environ[var] for name, var in _ENV.items() if environ.get(var)}
        try:
            return cls.model_validate(values)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            var = _ENV[str(first["loc"][0])]
            raise DataError(f"{var}: {first['msg']}", field=var) from exc


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
    cancel_requested: bool = pydantic.Field(
        False, description="a cancel was asked for; the job stops at its next progress step"
    )
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None


class JobCancelledError(Exception):
    """Raised by a cancelled job's progress callback to stop its work (not a failure)."""


class JobRefusedError(Exception):
    """A job request the server refuses: quota (429), shutting down (503), bad token (401).

    Parameters
    ----------
    status
        HTTP status code.
    detail
        The message.
    headers
        Response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(self, status: int, detail: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The refusal as ``{"detail", "field": null}``."""
        return JSONResponse(
            {"detail": self.detail, "field": None}, status_code=self.status, headers=self.headers
        )


@dataclass(eq=False)
class Job:
    """One submitted job (mutable; guarded by its lock)."""

    id: str
    kind: str
    total: int
    owner: str = ANONYMOUS
    status: JobStatus = "queued"
    done: int = 0
    created: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, units: int) -> None:
        """Count ``units`` more of the work as done.

        Raises
        ------
        JobCancelledError
            If the job was cancelled: the work stops here.
        """
        if self.cancelled.is_set():
            raise JobCancelledError(self.id)
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
                cancel_requested=self.cancelled.is_set(),
                result=self.result,
                error=self.error,
            )

    def finish(self, status: JobStatus, *, detail: str | None = None) -> None:
        """Mark the job finished as ``status`` (call with its lock held)."""
        self.status, self.finished = status, time.time()
        if detail is not None:
            self.error = ErrorBody(detail=detail)


class JobManager:
    """Runs jobs on daemon threads, bounded by :class:`JobLimits`, state in memory.

    Parameters
    ----------
    workers
        Threads running jobs at once; more jobs wait in the queue.
    limits
        The queue's bounds and quotas; ``None``: no bound on jobs queued (a library
        default for scripts; the app always passes its settings' limits), the other
        limits at their defaults.
    """

    def __init__(self, workers: int = 1, *, limits: JobLimits | None = None) -> None:
        self.workers = workers
        self.limits = limits if limits is not None else JobLimits()
        self._bounded = limits is not None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: deque[tuple[Job, Work]] = deque()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False
        #: Most jobs ever queued or running at once (the queue's high-water mark).
        self.peak_active = 0

    # --- submitting ---------------------------------------------------------------------

    def submit(self, kind: str, total: int, work: Work, *, owner: str = ANONYMOUS) -> Job:
        """Queue ``work`` as a job of ``total`` units for ``owner`` and return it at once.

        Raises
        ------
        JobRefusedError
            429 if the queue or the owner's quota is full, 503 once shut down.
        """
        job = Job(id=secrets.token_hex(16), kind=kind, total=total, owner=owner)
        with self._cond:
            if self._closed:
                raise JobRefusedError(503, "the server is shutting down: no new jobs")
            self._forget_old()
            self._check_quota(owner)
            self._jobs[job.id] = job
            self._queue.append((job, work))
            self.peak_active = max(self.peak_active, self.active_count())
            if len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._work_loop,
                    name=f"friendshore-job-{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
            self._cond.notify()
        return job

    def accept(self, kind: str, total: int, work: Work, *, owner: str) -> JSONResponse:
        """Submit and answer as a job endpoint does: ``202`` with the job and its
        ``Location``, or the refusal (``429`` with ``Retry-After``, ``503``)."""
        try:
            job = self.submit(kind, total, work, owner=owner)
        except JobRefusedError as exc:
            return exc.response()
        return JSONResponse(
            job.info().model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/api/v1/jobs/{job.id}"},
        )

    def _check_quota(self, owner: str) -> None:
        if not self._bounded:
            return
        limits = self.limits
        retry = {"Retry-After": str(limits.retry_after_s)}
        if self.active_count() >= limits.max_jobs:
            raise JobRefusedError(
                429,
                f"the job queue is full ({limits.max_jobs} jobs queued or running): "
                f"retry in {limits.retry_after_s} s",
                headers=retry,
            )
        anonymous = owner.startswith(ANONYMOUS)
        quota = limits.anonymous_jobs if anonymous else limits.token_jobs
        mine = sum(1 for j in self._jobs.values() if j.owner == owner and j.status in ACTIVE)
        if mine >= quota:
            who = "an anonymous caller" if anonymous else "an API token"
            hint = " (send an API token for more)" if anonymous else ""
            raise JobRefusedError(
                429,
                f"{who} may have {quota} jobs queued or running{hint}: wait for one to "
                f"finish, cancel one (DELETE /api/v1/jobs/ID) or retry in "
                f"{limits.retry_after_s} s",
                headers=retry,
            )

    # --- reading ------------------------------------------------------------------------

    def get(self, job_id: str, *, owner: str | None = None) -> Job:
        """Return the job ``job_id`` (of ``owner``, if given).

        Raises
        ------
        NotFoundError
            If there is no such job, it was forgotten, or it is another owner's.
        """
        with self._cond:
            job = self._jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise NotFoundError(f"no job {job_id!r}", field="job_id")
        return job

    def jobs(self, *, owner: str | None = None) -> list[Job]:
        """Every job kept (of ``owner``, if given), oldest first."""
        with self._cond:
            self._forget_old()
            return [j for j in self._jobs.values() if owner is None or j.owner == owner]

    def active_count(self) -> int:
        """Jobs queued or running now."""
        with self._cond:
            return sum(1 for j in self._jobs.values() if j.status in ACTIVE)

    # --- cancelling and shutting down ---------------------------------------------------

    def cancel(self, job_id: str, *, owner: str | None = None) -> Job:
        """Cancel ``job_id``: a queued job at once, a running one at its next progress
        step (``cancel_requested``); a finished job is forgotten, its result deleted.

        Raises
        ------
        NotFoundError
            If there is no such job of ``owner``.
        """
        with self._cond:
            job = self.get(job_id, owner=owner)
            with job.lock:
                if job.status == "queued":
                    job.cancelled.set()
                    job.finish("cancelled", detail="cancelled by its submitter")
                    self._queue = deque(e for e in self._queue if e[0] is not job)
                elif job.status == "running":
                    job.cancelled.set()
                else:
                    self._jobs.pop(job_id, None)
        return job

    def shutdown(self, timeout: float | None = None) -> bool:
        """Refuse new jobs, cancel the queued ones, tell the running ones to stop and
        wait for them ``timeout`` seconds at most (default: the limits' ``shutdown_s``).

        Returns
        -------
        bool
            Whether every worker stopped in time (a worker still running is a daemon
            thread: it does not keep the process alive).
        """
        wait = self.limits.shutdown_s if timeout is None else timeout
        with self._cond:
            self._closed = True
            for job, _ in self._queue:
                with job.lock:
                    job.cancelled.set()
                    job.finish("cancelled", detail="cancelled: the server is shutting down")
            self._queue.clear()
            for job in self._jobs.values():
                if job.status == "running":
                    job.cancelled.set()
            self._cond.notify_all()
            threads = list(self._threads)
        deadline = time.monotonic() + wait
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    # --- internals ----------------------------------------------------------------------

    def _forget_old(self) -> None:
        """Drop finished jobs past ``keep_s`` or beyond ``keep_finished`` (lock held)."""
        cutoff = time.time() - self.limits.keep_s
        finished = [j for j in self._jobs.values() if j.status not in ACTIVE]
        for job in finished:
            if job.finished is not None and job.finished < cutoff:
                del self._jobs[job.id]
        finished = [j for j in finished if j.id in self._jobs]
        for job in finished[: max(0, len(finished) - self.limits.keep_finished)]:
            del self._jobs[job.id]

    def _work_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                job, work = self._queue.popleft()
                with job.lock:
                    if job.status != "queued":
                        continue
                    job.status = "running"
            self._run(job, work)

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        try:
            if job.cancelled.is_set():
                raise JobCancelledError(job.id)
            result = work(job.advance)
        except JobCancelledError:
            with job.lock:
                job.finish("cancelled", detail="cancelled")
        except InputError as exc:
            error = ErrorBody(
                detail=getattr(exc, "message", None) or str(exc),
                field=getattr(exc, "field", None),
            )
            with job.lock:
                job.finish("failed")
                job.error = error
        except FriendshoreError as exc:
            with job.lock:
                job.finish("failed", detail=str(exc))
        except Exception as exc:  # a job must never die silently: report it
            with job.lock:
                job.finish("failed", detail=f"internal error: {type(exc).__name__}: {exc}")
        else:
            with job.lock:
                if job.cancelled.is_set():  # work that reports no progress: dropped at its end
                    job.finish("cancelled", detail="cancelled")
                else:
                    job.result, job.done = result, job.total
                    job.finish("done")


# --- dependencies and routes ---------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="API key from `friendshore comply token`.")


def job_manager(request: Request) -> JobManager:
    """The app's job manager (a dependency)."""
    manager: JobManager = request.app.state.jobs
    return manager


async def job_owner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Who calls, as the key jobs are kept under: ``token:ROLE:NAME`` of a bearer token's
    principal, else ``anonymous:ADDRESS`` (a dependency; an unknown token is a 401)."""
    if credentials is None:
        host = request.client.host if request.client is not None else "unknown"
        return f"{ANONYMOUS}:{host}"
    unknown = JobRefusedError(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    if len(credentials.credentials) > 200:
        raise unknown
    try:
        service = await run_in_threadpool(compliance_service, request)
        principal = await run_in_threadpool(service.authenticate, credentials.credentials)
    except Exception as exc:  # an unreachable registry: the docs promise a 503
        raise JobRefusedError(503, f"cannot check the API key: {exc}") from exc
    if principal is None:
        raise unknown
    return f"token:{principal}"


Jobs = Annotated[JobManager, Depends(job_manager)]
Owner = Annotated[str, Depends(job_owner)]


def install_job_errors(app: FastAPI) -> None:
    """Answer a :class:`JobRefusedError` raised in a route or dependency as its JSON."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, JobRefusedError)
        return exc.response()

    app.add_exception_handler(JobRefusedError, refused)


router = APIRouter(prefix="/jobs", tags=["jobs"])
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Unknown bearer token."},
    404: {"model": ErrorBody, "description": "No such job of the caller."},
}


@router.get("", summary="The caller's jobs, oldest first (results left out).", responses=_REFUSALS)
def list_jobs(jobs: Jobs, owner: Owner) -> list[JobInfo]:
    """The caller's jobs kept in memory, without results (another caller's are not listed)."""
    return [job.info().model_copy(update={"result": None}) for job in jobs.jobs(owner=owner)]


@router.get(
    "/{job_id}",
    summary="A job's status, progress and, once done, its result.",
    responses=_REFUSALS,
)
def get_job(job_id: str, jobs: Jobs, owner: Owner) -> JobInfo:
    """A job's status and progress (``done`` of ``total``); its result once ``done``.
    Another caller's job is a 404, as an unknown one."""
    return jobs.get(job_id, owner=owner).info()


@router.delete(
    "/{job_id}",
    summary="Cancel a job (queued: at once; running: at its next step); forget a finished one.",
    responses={**_REFUSALS, 202: {"model": JobInfo, "description": "Running: cancel requested."}},
)
def delete_job(job_id: str, jobs: Jobs, owner: Owner) -> JSONResponse:
    """Cancel the caller's job: ``200`` and status ``cancelled`` for a queued job; ``202``
    and ``cancel_requested`` for a running one, ``cancelled`` at its next progress step
    (an optimisation's solve cannot be interrupted: it is cancelled when the solve
    returns); a finished job is forgotten (``200``, its result deleted)."""
    info = jobs.cancel(job_id, owner=owner).info()
    status = 202 if info.status == "running" else 200
    return JSONResponse(info.model_dump(mode="json", exclude={"result"}), status_code=status)
