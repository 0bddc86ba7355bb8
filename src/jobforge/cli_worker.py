"""``jobforge worker``: a Celery worker for the jobs that ``jobforge serve --executor celery`` queues.

A job task waits for its pieces, so job tasks must never hold the slots pieces need. One command
runs two Celery workers: the pieces queue on a prefork pool of ``--concurrency`` processes (CPU
work), in this process; the jobs queue on ``--workers`` threads (orchestration is I/O), in a child
process started with the same flags. ``--queues jobs`` or ``--queues pieces`` runs only one.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from jobforge.cli_common import CliError, add_node_arguments, database_errors, node_settings

if TYPE_CHECKING:
    from jobforge.engine.celery_executor import CeleryExecutor

QUEUES = ("jobs", "pieces")
log = logging.getLogger("jobforge.worker")


def add_worker_parser(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="run a Celery worker for the jobs of `jobforge serve --executor celery`"
    )
    worker.add_argument(
        "--concurrency", help="processes for the pieces of jobs (JOBFORGE_CPU_WORKERS, default: cores)"
    )
    worker.add_argument("--workers", help="jobs run at once, on threads (JOBFORGE_WORKERS, default 4)")
    worker.add_argument("--queues", default="jobs,pieces", help="jobs, pieces or both (default jobs,pieces)")
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    add_node_arguments(worker)
    worker.set_defaults(func=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    from jobforge.logs import configure_logging
    from jobforge.services.registry import check_settings

    queues = [name.strip() for name in args.queues.split(",") if name.strip()]
    unknown = sorted(set(queues) - set(QUEUES)) or ([] if queues else ["(none)"])
    if unknown:
        raise CliError(f"--queues must name jobs, pieces or both, not {', '.join(unknown)}", 2)
    settings = node_settings(args, "workers", executor="celery", cpu_workers=args.concurrency)
    check_settings(settings)
    _check_privileges()
    configure_logging(settings.log_level, settings.log_format)
    if args.parent_pid:
        _exit_with(args.parent_pid)
    name = f"{socket.gethostname()}.{args.parent_pid or os.getpid()}"  # the command's pid names both
    if "jobs" in queues and "pieces" in queues:
        again = [*args.argv, "--queues", "jobs", "--parent-pid", str(os.getpid())]  # the last --queues wins
        child = subprocess.Popen([sys.executable, "-m", "jobforge.cli", *again])
        stopping = threading.Event()
        _follow(child, stopping)
        try:
            return _pieces(settings, name)
        finally:
            stopping.set()
            child.terminate()
            child.wait(timeout=30)
    if "jobs" in queues:
        return _jobs(settings, name)
    return _pieces(settings, name)


def _check_privileges() -> None:
    """Celery refuses pickle (the pieces' payload) to a worker running as root unless told to
    (``C_FORCE_ROOT=1``): say so in one line before it prints its banner."""
    from jobforge.config import celery_root_allowed

    if hasattr(os, "geteuid") and os.geteuid() == 0 and not celery_root_allowed():
        raise CliError(
            "jobforge worker runs pieces of jobs sent as pickles: run it as an unprivileged user,"
            " or set C_FORCE_ROOT=1 to let Celery run it as root (the broker must be trusted)"
        )


def _pieces(settings: Any, name: str) -> int:
    from jobforge.engine.celery_app import PIECES_QUEUE

    executor = _node(settings)
    executor.warm_up()  # the job libraries, imported once before the pool forks its processes
    executor.jobs.db.dispose()  # no database connection is shared with the forked processes
    app = executor.app
    concurrency = settings.cpu_workers or os.cpu_count() or 1
    log.info("pieces worker starting", extra={"worker": f"pieces@{name}", "concurrency": concurrency})
    _celery(app, "prefork", concurrency, PIECES_QUEUE, f"pieces@{name}", settings.log_level)
    return 0


def _jobs(settings: Any, name: str) -> int:
    from jobforge.engine.celery_app import JOBS_QUEUE, serve_jobs

    executor = _node(settings)
    serve_jobs(executor.serve())
    log.info("jobs worker starting", extra={"worker": f"jobs@{name}", "kinds": sorted(executor.handlers)})
    try:
        _celery(executor.app, "threads", settings.workers, JOBS_QUEUE, f"jobs@{name}", settings.log_level)
    finally:
        serve_jobs(None)
        executor.stop()
        executor.jobs.db.dispose()
    return 0


def _node(settings: Any) -> CeleryExecutor:
    """This worker's engine (its handlers registered by the services), as its Celery executor."""
    from jobforge.app import build_node
    from jobforge.engine.celery_executor import CeleryExecutor

    with database_errors(settings):
        engine, _store, _services = build_node(settings)
    assert isinstance(engine.executor, CeleryExecutor)
    return engine.executor


def _celery(app: Any, pool: str, concurrency: int, queue: str, node: str, level: str) -> None:
    from celery.signals import after_setup_logger

    @after_setup_logger.connect(weak=False)
    def _quiet_results(**_: Any) -> None:
        """Celery logs each task's result at info (a piece's: rendered worlds, row counts): only
        at debug here, so worker logs stay about the jobs."""
        if level.lower() != "debug":
            logging.getLogger("celery.app.trace").setLevel(logging.WARNING)

    app.worker_main(
        [
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--queues={queue}",
            f"--hostname={node}",
            f"--loglevel={level.upper()}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


def _follow(child: subprocess.Popen[bytes], stopping: threading.Event) -> None:
    """If the jobs worker (child) ends on its own, end this command too (Celery's warm shutdown)."""

    def watch() -> None:
        child.wait()
        if stopping.is_set():
            return
        log.warning("the jobs worker ended; stopping", extra={"code": child.returncode})
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="jobforge-jobs-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this process once ``parent`` (the command that started it) is gone."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="jobforge-parent-watch", daemon=True).start()
