"""Database URLs for the engine tests: SQLite always, PostgreSQL when a server is configured
(``JOBFORGE_TEST_POSTGRES_URL``, set by scripts/test-services.sh and CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
