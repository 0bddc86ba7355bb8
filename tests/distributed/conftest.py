"""A jobforge cluster of real parts for the distributed tests: Redis (started here), a fresh
PostgreSQL database (``JOBFORGE_TEST_POSTGRES_URL``), one data directory, two API nodes
(``jobforge serve --executor celery``) and two workers (``jobforge worker --concurrency 1``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from tests.distributed.cluster import RedisServer, Worker
from tests.support import JobforgeServer, fresh_postgres_database

POSTGRES_URL = os.environ.get("JOBFORGE_TEST_POSTGRES_URL")
VISIBILITY_TIMEOUT = 3  # seconds; the lease is a third of it: a dead worker's job is taken over fast
SPLIT_BYTES = 4096  # Location inputs over it are split by row groups (a few KB of test data is)


@dataclass
class Cluster:
    redis: RedisServer
    database_url: str
    db: Engine  # the test's own connection, to read the records
    apis: list[JobforgeServer]
    workers: list[Worker]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not POSTGRES_URL:
        pytest.skip("JOBFORGE_TEST_POSTGRES_URL is not set (scripts/test starts PostgreSQL)")
    root = tmp_path_factory.mktemp("cluster")
    redis = RedisServer(root / "redis").start()
    try:
        with fresh_postgres_database(POSTGRES_URL) as database_url:
            yield from _nodes(root, redis, database_url)
    finally:
        redis.stop()


def _nodes(root: Path, redis: RedisServer, database_url: str) -> Iterator[Cluster]:
    env = {
        **os.environ,
        "JOBFORGE_DATABASE_URL": database_url,
        "JOBFORGE_BROKER_URL": redis.url,
        "JOBFORGE_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "JOBFORGE_PIECES_PER_JOB": "4",  # what a killed job task leaves queued runs for nothing
        "JOBFORGE_DIAGNOSTIC_JOBS": "1",
        "JOBFORGE_LOCATION_SPLIT_BYTES": str(SPLIT_BYTES),
        "JOBFORGE_DATA_DIR": str(root / "data"),
        "C_FORCE_ROOT": "1",  # CI runs as root; Celery wants to be told that pickles are trusted
    }
    apis = [JobforgeServer(root / "data", "--executor", "celery", env=env) for _ in range(2)]
    workers = [Worker(root / f"worker-{n}.log", "--concurrency", "1", env=env) for n in range(2)]
    db = create_engine(database_url)
    try:
        for n, api in enumerate(apis):
            api.log_path = root / f"api-{n}.log"
        apis[0].start()  # creates the schema; then the others start on it
        for worker in workers:
            worker.launch()
        apis[1].start()
        for worker in workers:
            worker.wait_ready()
        yield Cluster(redis, database_url, db, apis, workers)
    finally:
        for worker in workers:
            worker.stop()
        for api in apis:
            api.stop()
        db.dispose()
