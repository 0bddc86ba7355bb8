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

from tests.distributed.cluster import RedisMissing, RedisServer, Worker, node_env, running_nodes
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
    try:
        redis = RedisServer(root / "redis").start()
    except RedisMissing as missing:
        pytest.skip(str(missing))
    try:
        with fresh_postgres_database(POSTGRES_URL) as database_url:
            yield from _nodes(root, redis, database_url)
    finally:
        redis.stop()


def _nodes(root: Path, redis: RedisServer, database_url: str) -> Iterator[Cluster]:
    env = node_env(
        root,
        redis.url,
        database_url,
        JOBFORGE_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        JOBFORGE_PIECES_PER_JOB="4",  # what a killed job task leaves queued runs for nothing
        JOBFORGE_DIAGNOSTIC_JOBS="1",
        JOBFORGE_LOCATION_SPLIT_BYTES=str(SPLIT_BYTES),
    )
    db = create_engine(database_url)
    try:
        with running_nodes(root, env, 2, [("--concurrency", "1")] * 2) as (apis, workers):
            yield Cluster(redis, database_url, db, apis, workers)
    finally:
        db.dispose()
