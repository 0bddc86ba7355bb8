"""``/metrics`` of an API node on the Celery executor (Redis broker started here, SQLite shared with
one worker): jobs queued while no worker runs show in the queue depth and the broker's jobs queue;
once a worker ran them, jobs by state say so, their durations are in the histogram (the worker
recorded them) and no job slot is busy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.engine.diagnostics import KIND as DIAGNOSTIC
from tests.distributed.cluster import RedisMissing, RedisServer, Worker, node_env
from tests.metrics.scrape import scrape
from tests.support import JobforgeServer, eventually


@pytest.fixture
def celery_node(tmp_path: Path) -> Iterator[tuple[JobforgeServer, dict[str, str]]]:
    try:
        redis = RedisServer(tmp_path / "redis").start()
    except RedisMissing as missing:
        pytest.skip(str(missing))
    database = f"sqlite:///{tmp_path / 'jobforge.db'}"
    env = node_env(tmp_path, redis.url, database, JOBFORGE_DIAGNOSTIC_JOBS="1")
    server = JobforgeServer(tmp_path / "data", "--executor", "celery", env=env)
    try:
        yield server.start(), env
    finally:
        server.stop()
        redis.stop()


def test_queue_depth_broker_queue_and_jobs_by_state_on_celery(
    celery_node: tuple[JobforgeServer, dict[str, str]], tmp_path: Path
) -> None:
    server, env = celery_node
    idle = scrape(server.url)
    assert idle.value("jobforge_broker_queue_length", queue="jobs") == 0
    assert idle.value("jobforge_workers_busy", executor="celery") == 0
    assert "jobforge_workers" not in idle.names  # a Celery cluster's job slots are not known here
    jobs = [server.control("diagnostic-job", seconds=0.2)["jobId"] for _ in range(3)]
    queued = scrape(server.url)
    assert queued.value("jobforge_queue_depth") == 3
    assert queued.value("jobforge_broker_queue_length", queue="jobs") == 3
    assert queued.value("jobforge_jobs", service="jobforge", kind=DIAGNOSTIC, state="PENDING") == 3

    worker = Worker(tmp_path / "worker.log", "--concurrency", "1", env=env).start()
    try:
        succeeded = {"service": "jobforge", "kind": DIAGNOSTIC, "state": "SUCCEEDED"}
        finished = lambda: scrape(server.url).value("jobforge_jobs", **succeeded) == len(jobs)  # noqa: E731
        assert eventually(finished, timeout=90), worker.log()[-3000:]
    finally:
        worker.stop()
    ended = scrape(server.url)
    assert ended.value("jobforge_queue_depth") == 0
    assert ended.value("jobforge_broker_queue_length", queue="jobs") == 0
    assert ended.value("jobforge_workers_busy", executor="celery") == 0
    assert ended.value("jobforge_jobs", service="jobforge", kind=DIAGNOSTIC, state="RUNNING") == 0
    # run on the worker, which serves no /metrics: their durations are the API node's to tell
    assert ended.value("jobforge_job_duration_seconds_count", **succeeded) == len(jobs)
    assert ended.value("jobforge_job_duration_seconds_bucket", **succeeded, le="0.1") == 0
    assert ended.value("jobforge_job_duration_seconds_bucket", **succeeded, le="+Inf") == len(jobs)
    assert ended.value("jobforge_job_duration_seconds_sum", **succeeded) >= 0.2 * len(jobs)
