"""Executors run job handlers. The in-process one (``jobforge serve``, the default): a dispatcher
thread, a thread pool for job orchestration and a process pool for CPU-heavy pieces, so the API
never stalls. The Celery one is :mod:`jobforge.engine.celery_executor`.

Restart recovery happens when the in-process executor starts: jobs left Running or Canceling by
a worker that is gone are resumed (handlers that can resume) or ended Canceled/Failed with a clear
reason; for those, the handler's ``cleanup(job)`` removes what the interrupted run left behind.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from jobforge.engine.control import JobControl
from jobforge.engine.errors import IllegalTransition, JobCanceled, JobTimedOut
from jobforge.engine.handlers import JobHandler, check_handler
from jobforge.engine.jobs import Job, JobStore
from jobforge.engine.running import execute, settle_orphan
from jobforge.engine.states import JobState

log = logging.getLogger("jobforge.jobs")

T = TypeVar("T")


class JobContext:
    """A running job's view of the engine: its record, progress reports, cancellation."""

    def __init__(
        self,
        job: Job,
        jobs: JobStore,
        control: JobControl,
        cpu_pool: Callable[[], Executor],
        check_interval: float = 0.2,
    ) -> None:
        self.job = job
        self.result: dict[str, Any] = dict(job.result)
        self.progress: dict[str, Any] = dict(job.progress)
        self._jobs = jobs
        self._control = control
        self._cpu_pool = cpu_pool
        self._check_interval = check_interval
        self._last_check = 0.0
        self._unsaved_workers = False
        self.cancelled = threading.Event()
        self._deadline = (
            job.started_at + timedelta(seconds=job.timeout_seconds)
            if job.started_at is not None and job.timeout_seconds
            else None
        )

    @property
    def request(self) -> dict[str, Any]:
        return self.job.request

    @property
    def cpu_pool(self) -> Executor:
        """Worker processes for CPU-bound pieces of work (shared by all jobs)."""
        return self._cpu_pool()

    def report(self, progress: dict[str, Any] | None = None, result: dict[str, Any] | None = None) -> None:
        """Persist progress counters and/or the partial result (visible to Describe/Get at once)."""
        if progress is not None:
            self.progress.update(progress)
        if result is not None:
            self.result = result
        self._unsaved_workers = False
        self._jobs.save_progress(self.job.pk, self.progress, self.result)

    def _note_worker(self, future: Future[Any]) -> None:
        """Count a finished piece under the worker that ran it, in ``progress["workers"]`` (pools
        of other machines name it on their futures: ``future.worker``); saved with the next report."""
        worker = getattr(future, "worker", None)
        if isinstance(worker, str):
            workers = self.progress.setdefault("workers", {})
            workers[worker] = workers.get(worker, 0) + 1
            self._unsaved_workers = True

    def is_cancel_requested(self) -> bool:
        now = time.monotonic()
        if not self.cancelled.is_set() and now - self._last_check >= self._check_interval:
            self._last_check = now
            if self._jobs.cancel_requested(self.job.pk):
                self.cancelled.set()
        return self.cancelled.is_set()

    def check(self) -> None:
        """Raise JobCanceled / JobTimedOut at a safe point if the job must stop."""
        if self.is_cancel_requested():
            raise JobCanceled()
        if self._deadline is not None and datetime.now(UTC) > self._deadline:
            raise JobTimedOut()

    def step(self) -> None:
        """Between units of work: honour the pace set through the control API, then check."""
        self._control.step(self.job.job_id, self.is_cancel_requested)
        self.check()

    def run_bounded(
        self,
        tasks: Sequence[Callable[[], T]],
        limit: int,
        *,
        on_result: Callable[[int, T | Exception], None] | None = None,
        processes: bool = False,
        pace: bool = False,
        on_stop: Callable[[], None] | None = None,
        wait_on_stop: bool = True,
    ) -> list[T | Exception]:
        """Run ``tasks`` at most ``limit`` at a time; each one's result or exception, in task order.

        Tasks run on threads of their own, or with ``processes`` on the engine's worker processes
        (then they must pickle: a ``functools.partial`` of a module-level function). As each task
        finishes, ``on_result(index, result)`` sees it; what it raises (JobFailed, JobCanceled...)
        stops the run. Between tasks the job is checked for cancellation and its time limit, and with
        ``pace`` it takes a :meth:`step` whenever tasks finished and more wait to start.

        When the run stops early, tasks not started are dropped; with ``wait_on_stop`` the ones in
        flight are signalled (``on_stop``) and waited for, their results still going to ``on_result``
        (errors it raises then are ignored), so the caller knows all they produced before it cleans
        up. Without it, local worker processes finish their tasks unheeded (threads are always waited
        for) and the Celery pool stops them on their workers.
        """
        results: list[T | Exception | None] = [None] * len(tasks)
        pending = deque(enumerate(tasks))
        running: dict[Future[T], int] = {}
        own = None if processes else ThreadPoolExecutor(limit, thread_name_prefix=f"job-{self.job.job_id}")
        pool = self.cpu_pool if own is None else own
        try:
            while pending or running:
                while pending and len(running) < limit:
                    index, task = pending.popleft()
                    running[pool.submit(task)] = index
                finished, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=running.__getitem__):
                    index = running.pop(future)
                    self._note_worker(future)
                    results[index] = _result(future)
                    if on_result is not None:
                        on_result(index, results[index])  # type: ignore[arg-type]
                if pace and finished and pending:
                    self.step()
                else:
                    self.check()
        finally:
            if running:
                self._stop_running(running, on_result, on_stop, wait_on_stop or own is not None, pool)
            if own is not None:
                own.shutdown(wait=False)
            if self._unsaved_workers:
                self.report()
        return results  # type: ignore[return-value]

    @staticmethod
    def _stop_running(
        running: dict[Future[T], int],
        on_result: Callable[[int, T | Exception], None] | None,
        on_stop: Callable[[], None] | None,
        wait_for: bool,
        pool: Executor,
    ) -> None:
        """The early end of :meth:`run_bounded`: drop what has not started, drain what has (or,
        without ``wait_for``, leave it to the pool: one that can stop started work, ``abandon``)."""
        started = {future: index for future, index in running.items() if not future.cancel()}
        if not started:
            return
        if not wait_for:
            abandon = getattr(pool, "abandon", None)
            if abandon is not None:
                abandon(list(started))
            return
        if on_stop is not None:
            on_stop()
        wait(list(started))
        for future, index in sorted(started.items(), key=lambda item: item[1]):
            if on_result is not None:
                try:
                    on_result(index, _result(future))
                except Exception:  # the run is ending for another reason already
                    pass


def _result(future: Future[T]) -> T | Exception:
    """A finished task's result, or the exception it raised (a crashed worker process too)."""
    try:
        return future.result()
    except Exception as exc:
        return exc


def import_modules(modules: tuple[str, ...]) -> dict[str, str]:
    """Worker side of the warm-up: import each module; return {module: error} for those that fail."""
    failed: dict[str, str] = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # an import can raise anything; the server must hear of it
            failed[module] = str(exc) or type(exc).__name__
    return failed


def _exit_with(server_pid: int) -> None:
    """Worker initializer: end this worker once the server process is gone.

    A server killed outright (SIGKILL, out of memory) cannot shut its pool down; without this its
    workers would live on, idle or still finishing a task for a job that recovery has moved on.
    The worker exits within about a second (plus any native call holding the GIL); its process
    entry lingers as a zombie until init reaps it, which some container inits do only every few
    seconds.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid was reused by someone else's process
                os._exit(0)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver/spawn: forking a process that runs threads (uvicorn, workers) is unsafe.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_exit_with,
        initargs=(os.getpid(),),
    )


class InProcessExecutor:
    """Claims pending jobs from the database and runs them on local threads.

    It is the only executor of its database: at start, every job some other process left Running
    is an orphan (restart recovery). Several nodes on one database run the Celery executor."""

    def __init__(
        self,
        jobs: JobStore,
        control: JobControl,
        *,
        workers: int = 4,
        cpu_workers: int | None = None,
        lease_seconds: float = 30.0,
        poll_interval: float = 1.0,
        max_attempts: int = 3,
        cleanup_wait: float = 10.0,
    ) -> None:
        self.jobs = jobs
        self.control = control
        self.handlers: dict[str, JobHandler[Any]] = {}
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.workers = workers
        self.cpu_workers = cpu_workers or os.cpu_count() or 1
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.cleanup_wait = cleanup_wait  # how long recovery waits for handlers' cleanups
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jobforge-job")
        self._cpu: ProcessPoolExecutor | None = None
        self._cpu_lock = threading.Lock()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._preload: dict[str, str] = {}  # module -> the service whose jobs need it
        self._warming = False
        self._problems: list[dict[str, str]] = []
        jobs.on_created.append(lambda _job: self._wake.set())

    def register(self, handler: JobHandler[Any]) -> None:
        """Run jobs of ``handler.kind`` with it; TypeError if it does not fit the JobHandler contract."""
        check_handler(handler)
        self.handlers[handler.kind] = handler

    def preload(self, module: str, service: str) -> None:
        """Import ``module`` in every worker process when the executor starts (warm start).

        ``service`` names whose jobs need it: a failed import makes that service unhealthy."""
        self._preload[module] = service

    @property
    def warming(self) -> bool:
        """True while the worker processes are still importing the job libraries."""
        return self._warming

    def problems(self) -> list[dict[str, str]]:
        """Why services cannot run their jobs: ``[{"service", "module", "reason"}]`` (empty: fine)."""
        return list(self._problems)

    @property
    def busy(self) -> int:
        """Job slots of this node running a job now (of ``workers``)."""
        return self._busy

    def cpu_pool(self) -> Executor:
        with self._cpu_lock:
            if self._cpu is None:
                self._cpu = _spawn_pool(self.cpu_workers)
            return self._cpu

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="jobforge-dispatcher", daemon=True
        )
        self._dispatcher.start()
        if self._preload:
            self._warming = True
            threading.Thread(target=self._warm_up, name="jobforge-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        """Start the worker processes and import the job libraries before the first job needs them.

        A module that fails to import, or a pool that cannot start, is recorded as a problem of the
        service(s) concerned (see :meth:`problems`): their jobs would fail."""
        failed: dict[str, str] = {}
        try:
            pool = self.cpu_pool()
            futures = [pool.submit(import_modules, tuple(self._preload)) for _ in range(self.cpu_workers)]
            for future in futures:
                failed.update(future.result(timeout=120))
        except Exception as exc:
            detail = str(exc) or type(exc).__name__
            failed = dict.fromkeys(self._preload, detail)
        finally:
            problems: dict[str, dict[str, str]] = {}
            for module, error in failed.items():
                service = self._preload[module]
                reason = f"worker warm-up failed: {error}"
                problems.setdefault(service, {"service": service, "module": module, "reason": reason})
                log.warning(
                    "worker warm-up failed", extra={"service": service, "import": module, "error": error}
                )
            self._problems = list(problems.values())
            self._warming = False

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=5)
        self._threads.shutdown(wait=wait, cancel_futures=True)
        with self._cpu_lock:
            if self._cpu is not None:
                self._cpu.shutdown(wait=wait, cancel_futures=True)
                self._cpu = None

    def wake(self, job_id: str | None = None) -> None:
        """Look for runnable jobs now (the pace changed, or ``job_id`` got step credits)."""
        self._wake.set()

    # -- recovery ----------------------------------------------------------------------------

    def recover(self) -> None:
        """Resume or fail the jobs a previous run of this node left Running or Canceling."""
        ended: list[tuple[Callable[[Job], None], Job]] = []
        for job in self.jobs.orphans(self.owner, all_foreign=True):
            handler = self.handlers.get(job.kind)
            try:
                settled = settle_orphan(self.jobs, job, handler, self.max_attempts)
            except IllegalTransition:
                continue  # somebody else got to it first
            if settled.state is not JobState.PENDING and handler is not None and handler.cleans_up:
                ended.append((handler.cleanup, settled))
        if ended:
            self._clean_up(ended)

    def _clean_up(self, ended: list[tuple[Callable[[Job], None], Job]]) -> None:
        """Handlers' cleanups of the jobs recovery ended, on a side thread: recovery waits for them
        at most ``cleanup_wait`` seconds (a slow or unreachable store must not hold up the start)."""

        def run() -> None:
            for hook, job in ended:
                try:
                    hook(job)
                    log.info("interrupted job cleaned up", extra={"job": job.arn})
                except Exception:
                    log.warning("cleanup of an interrupted job failed", extra={"job": job.arn}, exc_info=True)

        worker = threading.Thread(target=run, name="jobforge-cleanup", daemon=True)
        worker.start()
        worker.join(self.cleanup_wait)
        if worker.is_alive():
            log.warning("cleanup of interrupted jobs goes on in the background", extra={"jobs": len(ended)})

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.poll_interval)
            self._wake.clear()
            try:
                self._fill_slots()
            except Exception:  # the loop must survive a database hiccup
                log.exception("job dispatcher error")
                time.sleep(self.poll_interval)

    def _fill_slots(self) -> None:
        kinds = list(self.handlers)
        while not self._stop.is_set():
            with self._busy_lock:
                if self._busy >= self.workers:
                    return
            job = self._claim(kinds)
            if job is None:
                return
            with self._busy_lock:
                self._busy += 1
            self._threads.submit(self._run, job)

    def _claim(self, kinds: list[str]) -> Job | None:
        if self.control.pace == "step":
            # only jobs that were given a step credit may start
            for job in self.jobs.list_pending(kinds):
                if self.control.may_start(job.job_id):
                    claimed = self.jobs.claim(job.pk, self.owner, self.lease_seconds)
                    if claimed is not None:
                        return claimed
            return None
        return self.jobs.claim_next(self.owner, kinds, self.lease_seconds)

    def _run(self, job: Job) -> None:
        try:
            self._execute(job)
        finally:
            with self._busy_lock:
                self._busy -= 1
            self._wake.set()

    def _execute(self, job: Job) -> None:
        ctx = JobContext(job, self.jobs, self.control, self.cpu_pool)
        execute(ctx, self.handlers[job.kind], self.jobs, self.control)
