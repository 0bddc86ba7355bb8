"""A jobforge server shared by the server tests (embedded defaults: SQLite + local buckets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JobforgeServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    running = JobforgeServer(tmp_path_factory.mktemp("jobforge") / "data").start()
    yield running
    running.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[JobforgeServer]:
    """A server of this test's own (for kills, restarts and special flags)."""
    running = JobforgeServer(tmp_path / "data")
    yield running
    running.stop()
