"""The Celery executor: API nodes send one task per job; ``jobforge worker`` processes run them.

The database stays the truth about a job; a job task only says "look at job N":

- a finished job: nothing to do;
- a Pending job: claim it (Running, under this process's lease) and run it; in the control API's
  step mode only with a step credit, else the task is dropped and sent again when the control API
  gives credits or changes the pace (:meth:`CeleryExecutor.wake`);
- a Running/Canceling job whose lease expired (its worker died): settle it as restart recovery
  does (a resumable job runs again with its saved partial result, the others end Failed or
  Canceled, then the handler's cleanup);
- a Running job with a live lease: a duplicate delivery, dropped.

A running job's pieces go to the pieces queue through :class:`PiecePool`, the job's ``cpu_pool``.
Every worker that consumes jobs renews the leases of its jobs and sweeps: it sends the task again
for jobs whose lease expired and for jobs Pending longer than the visibility timeout (a task lost
with a broker restart); a task sent twice is harmless (see above).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from celery import Celery, states
from sqlalchemy.exc import NoResultFound

from jobforge.engine.celery_app import JOB_TASK, JOBS_QUEUE, PIECE_TASK, PIECES_QUEUE, CeleryConfig, make_app
from jobforge.engine.control import JobControl
from jobforge.engine.errors import IllegalTransition
from jobforge.engine.executor import JobContext, import_modules
from jobforge.engine.handlers import JobHandler, check_handler
from jobforge.engine.jobs import Job, JobStore
from jobforge.engine.running import execute, settle_orphan
from jobforge.engine.states import JobState

log = logging.getLogger("jobforge.jobs")


class PieceFuture(Future[Any]):
    """A piece sent to the pieces queue; ``worker`` names the Celery worker that ran it."""

    def __init__(self, pool: PiecePool, task_id: str) -> None:
        super().__init__()
        self.pool = pool
        self.task_id = task_id
        self.worker: str | None = None

    def cancel(self) -> bool:
        """Revoke the piece unless a worker started it (then, like a local future, False)."""
        if self.done() or self.pool.started(self.task_id):
            return False
        if not super().cancel():
            return False
        self.pool.revoke([self.task_id], terminate=False)
        return True


class PiecePool(Executor):
    """A ``concurrent.futures`` executor whose work runs as piece tasks on any worker.

    One per running job: a poller thread reads the results of its pieces from the result backend
    in batches and completes their futures; :meth:`abandon` (an early end of ``run_bounded``)
    and :meth:`shutdown` revoke what is still out, terminating pieces already running."""

    def __init__(self, app: Celery, poll_interval: float = 0.1) -> None:
        self._app = app
        self._poll_interval = poll_interval
        self._waiting: dict[str, PieceFuture] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._poller: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        work = partial(fn, *args, **kwargs) if args or kwargs else fn
        future = PieceFuture(self, uuid.uuid4().hex)
        with self._lock:
            if self._stopped.is_set():
                raise RuntimeError("the piece pool is shut down")
            self._waiting[future.task_id] = future
            if self._poller is None:
                self._poller = threading.Thread(target=self._poll, name="jobforge-pieces", daemon=True)
                self._poller.start()
        try:
            self._app.send_task(
                PIECE_TASK, args=[work], task_id=future.task_id, queue=PIECES_QUEUE, serializer="pickle"
            )
        except Exception:
            with self._lock:
                self._waiting.pop(future.task_id, None)
            raise
        return future

    def started(self, task_id: str) -> bool:
        return self._app.backend.get_task_meta(task_id).get("status") == states.STARTED

    def revoke(self, task_ids: list[str], *, terminate: bool) -> None:
        if task_ids:
            self._app.control.revoke(task_ids, terminate=terminate)

    def abandon(self, futures: list[Future[Any]]) -> None:
        """Stop pieces already running on their workers (their results are not wanted)."""
        ids = [future.task_id for future in futures if isinstance(future, PieceFuture)]
        with self._lock:
            for task_id in ids:
                self._waiting.pop(task_id, None)
        self.revoke(ids, terminate=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._stopped.set()
            left = list(self._waiting)
            self._waiting.clear()
        self.revoke(left, terminate=True)
        if wait and self._poller is not None and self._poller is not threading.current_thread():
            self._poller.join(timeout=5)

    def _poll(self) -> None:
        while not self._stopped.wait(self._poll_interval):
            with self._lock:
                ids = list(self._waiting)
            if not ids:
                continue
            try:
                metas = self._ready(ids)
            except Exception:  # a broker hiccup: try again at the next interval
                log.warning("reading piece results failed", exc_info=True)
                continue
            for task_id, meta in metas.items():
                with self._lock:
                    future = self._waiting.pop(task_id, None)
                if future is not None and future.set_running_or_notify_cancel():
                    _complete(future, meta)
                self._forget(task_id)

    def _forget(self, task_id: str) -> None:
        """Delete a collected result from the backend (a world's result carries its preview:
        left to expire, an hour of them could fill Redis)."""
        try:
            self._app.backend.forget(task_id)
        except Exception:  # it expires anyway (result_expires)
            log.debug("forgetting a piece result failed", exc_info=True)

    def _ready(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The finished pieces among ``ids``: {task id: result meta}."""
        backend = self._app.backend
        if hasattr(backend, "mget") and hasattr(backend, "_mget_to_results"):
            keys = [backend.get_key_for_task(task_id) for task_id in ids]
            found = backend._mget_to_results(backend.mget(keys), ids)
            return {str(task_id): meta for task_id, meta in found.items()}
        metas = {task_id: backend.get_task_meta(task_id) for task_id in ids}
        return {task_id: meta for task_id, meta in metas.items() if meta.get("status") in states.READY_STATES}


def _complete(future: PieceFuture, meta: dict[str, Any]) -> None:
    result = meta.get("result")
    if meta.get("status") == states.SUCCESS and isinstance(result, dict):
        future.worker = result.get("worker")
        future.set_result(result.get("value"))
    elif isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_exception(RuntimeError(f"piece {future.task_id} ended {meta.get('status')}: {result!r}"))


class CeleryExecutor:
    """Jobs as Celery tasks: sent by every node when they become Pending, run by the worker
    processes that called :meth:`serve`."""

    def __init__(
        self,
        jobs: JobStore,
        control: JobControl,
        config: CeleryConfig,
        *,
        max_attempts: int = 3,
    ) -> None:
        self.jobs = jobs
        self.control = control
        self.config = config
        self.app = make_app(config)
        self.handlers: dict[str, JobHandler[Any]] = {}
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:64]
        self.cpu_workers = config.pieces_per_job  # a job's pieces in flight, across all workers
        self.max_attempts = max_attempts
        self.warming = False
        self._preload: dict[str, str] = {}
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        self._sent: dict[int, float] = {}  # job pk -> when the sweep last sent its task
        jobs.on_created.append(self.send)

    # -- what every node does ----------------------------------------------------------------

    def register(self, handler: JobHandler[Any]) -> None:
        check_handler(handler)
        self.handlers[handler.kind] = handler

    def preload(self, module: str, service: str) -> None:
        """Import ``module`` in a pieces worker before it starts its processes (see :meth:`warm_up`)."""
        self._preload[module] = service

    def warm_up(self) -> dict[str, str]:
        """Import the preloaded modules here (a pieces worker, before it forks its processes, so
        the first piece of each process does not pay for them); {module: error} of those that fail."""
        failed = import_modules(tuple(self._preload))
        for module, error in failed.items():
            log.warning("worker warm-up failed", extra={"import": module, "error": error})
        return failed

    def problems(self) -> list[dict[str, str]]:
        return []

    def wake(self, job_id: str | None = None) -> None:
        """After the control API changed the pace or gave step credits (to the jobs called
        ``job_id``): send again the tasks of those Pending jobs, which a worker drops while step
        mode holds them (a duplicate is harmless)."""
        for job in self.jobs.list_pending(list(self.handlers), limit=1000, job_id=job_id):
            self.send(job)

    def start(self) -> None:
        """An API node sends tasks and runs nothing: no recovery (workers own running jobs)."""

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if self._keeper is not None and wait:
            self._keeper.join(timeout=5)

    def send(self, job: Job) -> None:
        """Queue the job's task (after its record is committed). A broker that cannot be reached
        is logged, not raised: the job is recorded, and a worker's sweep sends it later."""
        try:
            self.app.send_task(JOB_TASK, args=[job.pk], queue=JOBS_QUEUE)
        except Exception:
            log.warning("could not queue a job; a worker's sweep will", extra={"job": job.arn}, exc_info=True)

    # -- what a worker that consumes the jobs queue does -------------------------------------

    def serve(self) -> Callable[[int, str], None]:
        """Keep this process's leases and sweep for lost tasks; the runner of job tasks."""
        if self._keeper is None:
            self._keeper = threading.Thread(target=self._keep, name="jobforge-leases", daemon=True)
            self._keeper.start()
        return self.run_task

    def run_task(self, pk: int, worker: str) -> None:
        """A job task: see the module doc for what happens in each state of the job."""
        job = self._claim(pk)
        if job is None:
            return
        pool = PiecePool(self.app)
        try:
            ctx = JobContext(job, self.jobs, self.control, lambda: pool)
            log.info("job claimed", extra={"job": job.arn, "worker": worker})
            execute(ctx, self.handlers[job.kind], self.jobs, self.control)
        finally:
            pool.shutdown(wait=False)

    def _claim(self, pk: int) -> Job | None:
        try:
            job = self.jobs.load(pk)
        except NoResultFound:  # a database reset under a queue that kept its tasks
            log.warning("job task for an unknown job", extra={"pk": pk})
            return None
        handler = self.handlers.get(job.kind)
        if handler is None:
            log.warning("no handler here for a job task", extra={"job": job.arn, "kind": job.kind})
            return None
        if job.state in (JobState.RUNNING, JobState.CANCELING):
            live = job.lease_expires_at is not None and job.lease_expires_at > datetime.now(UTC)
            if live or job.lease_owner == self.owner:  # this process runs it (a late renewal)
                log.info("duplicate job task dropped", extra={"job": job.arn, "owner": job.lease_owner})
                return None
            try:
                job = settle_orphan(self.jobs, job, handler, self.max_attempts)
            except IllegalTransition:
                return None  # another worker took it over first
            if job.state is not JobState.PENDING:
                self._clean_up(handler, job)
                return None
        if job.state is not JobState.PENDING:
            return None
        if not self.control.may_start(job.job_id):
            log.info("job held in step mode", extra={"job": job.arn})  # sent again by wake()
            return None
        return self.jobs.claim(pk, self.owner, self.config.lease_seconds)

    @staticmethod
    def _clean_up(handler: JobHandler[Any], job: Job) -> None:
        if not handler.cleans_up:
            return
        try:
            handler.cleanup(job)
            log.info("interrupted job cleaned up", extra={"job": job.arn})
        except Exception:
            log.warning("cleanup of an interrupted job failed", extra={"job": job.arn}, exc_info=True)

    def _keep(self) -> None:
        """Renew this process's leases a few times per lease; sweep once per lease."""
        lease = self.config.lease_seconds
        last_sweep = 0.0
        while not self._stop.wait(lease / 3):
            try:
                self.jobs.renew_leases(self.owner, lease)
                if time.monotonic() - last_sweep >= lease:
                    last_sweep = time.monotonic()
                    self.sweep()
            except Exception:  # the loop must survive a database or broker hiccup
                log.exception("lease keeper error")

    def sweep(self) -> int:
        """Send again the tasks of jobs whose worker died and of jobs Pending for longer than
        the visibility timeout; each at most once per lease (resp. visibility timeout)."""
        now = time.monotonic()
        kinds = list(self.handlers)
        orphans = [job for job in self.jobs.orphans(self.owner, all_foreign=False) if job.kind in kinds]
        before = datetime.now(UTC) - timedelta(seconds=self.config.visibility_timeout)
        waiting = self.jobs.waiting_since(before, kinds)
        sent = 0
        for jobs, every in ((orphans, self.config.lease_seconds), (waiting, self.config.visibility_timeout)):
            for job in jobs:
                if now - self._sent.get(job.pk, -every) >= every:
                    self._sent[job.pk] = now
                    self.send(job)
                    sent += 1
        live = {job.pk for job in orphans} | {job.pk for job in waiting}
        self._sent = {pk: when for pk, when in self._sent.items() if pk in live}
        if sent:
            log.info("job tasks sent again", extra={"count": sent})
        return sent
