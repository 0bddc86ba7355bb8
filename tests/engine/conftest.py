"""Database URLs for the engine tests: SQLite always, PostgreSQL when a server is configured
(``JOBFORGE_TEST_POSTGRES_URL``, set by scripts/test-services.sh and CI); two engines on one
database, as two nodes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.engine import JobEngine
from tests.support import fresh_postgres_database

POSTGRES_URL = os.environ.get("JOBFORGE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("JOBFORGE_TEST_POSTGRES_URL is not set (scripts/test starts PostgreSQL)")
    with fresh_postgres_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def nodes(database_url: str) -> Iterator[tuple[JobEngine, JobEngine]]:
    """A node that only takes calls (no handler: it runs nothing) and one that runs the jobs
    (tests/engine/test_engine.py's CountingHandler), on one database."""
    from tests.engine.test_engine import CountingHandler

    api = JobEngine(database_url, workers=1, cpu_workers=1, single_node=False)
    runner = JobEngine(database_url, workers=2, cpu_workers=1, single_node=False)
    runner.register(CountingHandler())
    api.start()
    runner.start()
    yield api, runner
    runner.stop()
    api.stop()
