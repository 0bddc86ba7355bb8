"""Run times of ended jobs (engine/durations.py): recorded in the transaction that ends each job,
whichever engine (node or worker) ends it, and read back as one histogram, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from jobforge.engine import JobEngine, JobState
from jobforge.engine.db import jobs
from jobforge.engine.durations import DURATION_BUCKETS, bucket_of, read_durations
from tests.engine.helpers import wait_for
from tests.engine.test_engine import create


def _counts(engine: JobEngine) -> dict[tuple[str, str, str], tuple[tuple[int, ...], float]]:
    return {(d.service, d.kind, d.state): (d.counts, d.seconds) for d in read_durations(engine.db)}


def test_jobs_run_elsewhere_are_in_every_nodes_histogram(nodes: tuple[JobEngine, JobEngine]) -> None:
    api, worker = nodes
    assert read_durations(api.db) == []
    ran = [create(api, n=2, job_id=f"j{i}", request={"delay": 0.15}) for i in range(3)]
    for job in ran:
        wait_for(worker, job, {JobState.SUCCEEDED})
    counts, seconds = _counts(api)[("test", "test.count", "SUCCEEDED")]
    assert sum(counts) == 3 and counts[0] == 0  # none under 0.1 s: two steps of 0.15 s each
    assert 0.9 <= seconds < 30
    waiting = create(api, n=1, job_id="never-started", state=JobState.WAITING)
    api.jobs.transition(waiting, JobState.CANCELED)  # ended without starting: no run time
    assert ("test", "test.count", "CANCELED") not in _counts(api)


def test_a_run_time_lands_in_the_first_bucket_it_does_not_exceed() -> None:
    assert [bucket_of(s) for s in (0, 0.1, 0.1001, 0.5, 7200, 7200.5, 21600, 10**6)] == [
        0,
        0,
        1,
        1,
        DURATION_BUCKETS.index(7200),
        DURATION_BUCKETS.index(21600),
        DURATION_BUCKETS.index(21600),
        len(DURATION_BUCKETS),
    ]


def test_run_times_add_up_per_bucket(database_url: str) -> None:
    engine = JobEngine(database_url, workers=1, cpu_workers=1)
    try:
        ran = (0.05, 0.3, 0.3, 5000, 10**6)
        for i, seconds in enumerate(ran):
            job = create(engine, job_id=f"t{i}", state=JobState.WAITING)
            engine.jobs.transition(job, JobState.PENDING)
            started = engine.jobs.transition(job, JobState.RUNNING)
            assert started.started_at is not None
            with engine.db.begin() as conn:  # as if it started ``seconds`` ago
                earlier = started.started_at - timedelta(seconds=seconds)
                conn.execute(update(jobs).where(jobs.c.pk == job.pk).values(started_at=earlier))
            engine.jobs.transition(job, JobState.FAILED, failure_code="X", failure_reason="test")
        counts, total = _counts(engine)[("test", "test.count", "FAILED")]
    finally:
        engine.stop()
    expected = [0] * (len(DURATION_BUCKETS) + 1)
    for seconds in ran:
        expected[bucket_of(seconds)] += 1
    assert list(counts) == expected and expected[1] == 2
    assert total == pytest.approx(sum(ran), abs=1.0)
