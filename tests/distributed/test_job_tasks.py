"""What a job task does in each state of its job (the database decides), and what the sweep sends
again: the Celery executor's worker side on SQLite, without a broker (sending is recorded)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from jobforge.engine import Job, JobEngine, JobState
from jobforge.engine.celery_app import CeleryConfig
from jobforge.engine.celery_executor import CeleryExecutor
from jobforge.engine.db import jobs
from jobforge.engine.running import INTERRUPTED
from tests.engine.helpers import Scope
from tests.engine.test_engine import CountingHandler, create


class FragileHandler(CountingHandler):
    """A counting job kind that cannot resume; records its cleanups."""

    kind = "test.fragile"
    resumable = False

    def __init__(self) -> None:
        self.cleaned: dict[str, JobState] = {}

    def cleanup(self, job: Job) -> None:
        self.cleaned[job.job_id] = job.state


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[JobEngine, CeleryExecutor, list[int]]]:
    config = CeleryConfig("redis://127.0.0.1:9/0", "redis://127.0.0.1:9/0", visibility_timeout=3)
    engine = JobEngine(f"sqlite:///{tmp_path / 'jobs.db'}", celery=config)
    executor = engine.executor
    assert isinstance(executor, CeleryExecutor)
    sent: list[int] = []
    executor.send = lambda job: sent.append(job.pk)  # type: ignore[method-assign]
    engine.jobs.on_created[:] = [executor.send]
    engine.register(CountingHandler())
    engine.register(FragileHandler())
    yield engine, executor, sent
    engine.stop()


def fragile(engine: JobEngine, job_id: str) -> Job:
    job, _ = engine.jobs.create(
        Scope(),
        service="test",
        kind=FragileHandler.kind,
        job_id=job_id,
        arn=f"arn:aws:test:us-east-1:000000000000:job/{job_id}",
        request={"n": 2},
    )
    return job


def abandoned(engine: JobEngine, job: Job, *, seconds: float = 0.05, cancel: bool = False) -> Job:
    """``job`` claimed by a worker that died ``seconds`` before its lease ran out."""
    claimed = engine.jobs.claim(job.pk, "dead-worker", seconds)
    assert claimed is not None
    engine.jobs.save_progress(job.pk, {"done": 1}, {"done": 1})
    if cancel:
        claimed = engine.jobs.request_cancel(claimed)
    time.sleep(seconds + 0.05)
    return claimed


def test_a_pending_job_runs_once_however_often_its_task_comes(worker: tuple) -> None:
    engine, executor, sent = worker
    job = create(engine, n=3)
    assert sent == [job.pk]  # sent when it became Pending
    for _ in range(3):
        executor.run_task(job.pk, "jobs@test")
    done = engine.jobs.load(job.pk)
    assert done.state is JobState.SUCCEEDED and done.attempt == 1 and done.result == {"done": 3}


def test_a_job_under_a_live_lease_is_left_alone(worker: tuple) -> None:
    engine, executor, _ = worker
    job = create(engine, n=3)
    assert engine.jobs.claim(job.pk, "busy-worker", 30) is not None
    executor.run_task(job.pk, "jobs@test")
    still = engine.jobs.load(job.pk)
    assert still.state is JobState.RUNNING and still.lease_owner == "busy-worker" and still.attempt == 1


def test_a_resumable_job_of_a_dead_worker_is_taken_over_with_its_partial_result(worker: tuple) -> None:
    engine, executor, _ = worker
    job = abandoned(engine, create(engine, n=4))
    executor.run_task(job.pk, "jobs@test")
    done = engine.jobs.load(job.pk)
    assert done.state is JobState.SUCCEEDED and done.attempt == 2 and done.result == {"done": 4}


def test_other_jobs_of_a_dead_worker_end_as_restart_recovery_ends_them(worker: tuple) -> None:
    engine, executor, _ = worker
    handler = executor.handlers["test.fragile"]
    failed = abandoned(engine, fragile(engine, "f1"))
    canceled = abandoned(engine, fragile(engine, "f2"), cancel=True)
    for job in (failed, canceled):
        executor.run_task(job.pk, "jobs@test")
    ended = engine.jobs.load(failed.pk)
    assert ended.state is JobState.FAILED and ended.failure_reason == INTERRUPTED
    assert engine.jobs.load(canceled.pk).state is JobState.CANCELED
    assert handler.cleaned == {"f1": JobState.FAILED, "f2": JobState.CANCELED}


def test_the_sweep_sends_again_the_tasks_of_dead_workers_and_long_pending_jobs(worker: tuple) -> None:
    engine, executor, sent = worker
    orphan = abandoned(engine, create(engine, job_id="o1"))
    live = create(engine, job_id="l1")
    assert engine.jobs.claim(live.pk, "busy-worker", 30) is not None
    waiting = create(engine, job_id="w1")
    create(engine, job_id="w2")  # Pending, but not for long: its task is surely still queued
    with engine.db.begin() as conn:  # Pending for longer than the visibility timeout (3 s)
        stale = datetime.now(UTC) - timedelta(seconds=10)
        conn.execute(update(jobs).where(jobs.c.pk == waiting.pk).values(updated_at=stale))
    sent.clear()
    assert executor.sweep() == 2 and sorted(sent) == sorted([orphan.pk, waiting.pk])
    assert executor.sweep() == 0  # not again within the lease (1 s), nor the visibility timeout


def test_step_credits_send_again_the_task_of_that_job_only(worker: tuple) -> None:
    """A control call giving step credits to one job re-sends that job's task (a worker dropped
    it while step mode held the job); a pace change re-sends every Pending job's."""
    engine, executor, sent = worker
    pending = [create(engine, job_id=f"held-{i}") for i in range(3)]
    running = engine.jobs.claim(create(engine, job_id="busy").pk, "some-worker", 60)
    assert running is not None
    sent.clear()
    executor.wake("held-1")
    assert sent == [pending[1].pk]
    executor.wake("busy")  # Running: its worker waits for the credits itself
    assert sent == [pending[1].pk]
    sent.clear()
    executor.wake()
    assert sent == [job.pk for job in pending]
