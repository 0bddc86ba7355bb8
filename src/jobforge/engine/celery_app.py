"""The Celery application of the distributed executor: two queues, two tasks.

- ``jobforge.job`` on the queue ``jobforge.jobs``: one task per job, carrying only the job's key.
  It runs the job's handler (claim, plan, run, finish) in the worker process that consumes the
  jobs queue; that process registers its runner with :func:`serve_jobs`.
- ``jobforge.piece`` on the queue ``jobforge.pieces``: one task per piece of work a running job
  fans out (``JobContext.run_bounded(processes=True)``). Its payload is the handler's picklable
  partial and its result the partial's return value, both **pickled**: the broker and the result
  backend must be trusted (anyone who can write to them can run code on the workers).

Tasks are acknowledged late and rejected when their worker is lost, so a killed worker's tasks
are delivered again (on Redis, once the broker's visibility timeout has passed); each worker
reserves one task at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from celery.backends.redis import RedisBackend

JOBS_QUEUE = "jobforge.jobs"
PIECES_QUEUE = "jobforge.pieces"
JOB_TASK = "jobforge.job"
PIECE_TASK = "jobforge.piece"


@dataclass(frozen=True)
class CeleryConfig:
    """Where the broker and the result backend are, and how long an unacknowledged task waits."""

    broker_url: str
    result_backend: str
    visibility_timeout: float = 300.0  # Redis: a task unacknowledged this long is delivered again
    pieces_per_job: int = 32  # pieces of one job in flight at once, across all workers

    @property
    def lease_seconds(self) -> float:
        """How long a job stays claimed by a worker that stopped renewing it: well under the
        visibility timeout, so a task delivered again finds the lease of a dead worker expired."""
        return max(1.0, min(30.0, self.visibility_timeout / 3))


class PollingRedisBackend(RedisBackend):
    """Redis results, read by polling (``mget``) instead of a subscription per task: the job
    task collects its pieces' results in batches, and unread subscription messages (which carry
    whole results) would pile up in Redis's output buffer for the subscriber."""

    def on_task_call(self, producer: Any, task_id: str) -> None:
        """No subscription to the task's result channel."""


_runner: Callable[[int, str], None] | None = None


def serve_jobs(runner: Callable[[int, str], None] | None) -> None:
    """Let this process run job tasks with ``runner(job_pk, worker_name)`` (None: stop)."""
    global _runner
    _runner = runner


def _backend_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        return f"{PollingRedisBackend.__module__}:{PollingRedisBackend.__name__}+{url}"
    return url


def make_app(config: CeleryConfig) -> Celery:
    """The Celery app for ``config``, with jobforge's two tasks."""
    app = Celery("jobforge", broker=config.broker_url, backend=_backend_url(config.result_backend))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,  # a piece that started is stopped by revoking with terminate
        task_serializer="json",
        accept_content=["json", "pickle"],  # pickle: the piece task only (see the module doc)
        result_serializer="pickle",
        result_accept_content=["json", "pickle"],
        result_expires=3600,
        task_routes={JOB_TASK: {"queue": JOBS_QUEUE}, PIECE_TASK: {"queue": PIECES_QUEUE}},
        task_default_queue=JOBS_QUEUE,
        broker_transport_options={"visibility_timeout": config.visibility_timeout},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
    )

    @app.task(name=JOB_TASK, bind=True, ignore_result=True)
    def run_job(self: Any, pk: int) -> None:
        if _runner is None:
            raise RuntimeError("this worker does not consume the jobs queue")
        _runner(pk, str(self.request.hostname))

    @app.task(name=PIECE_TASK, bind=True, serializer="pickle")
    def run_piece(self: Any, work: Callable[[], Any]) -> dict[str, Any]:
        return {"worker": str(self.request.hostname), "value": work()}

    return app
