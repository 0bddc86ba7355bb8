"""Servers every area may use: ``server`` (one jobforge on the embedded defaults, SQLite + local
buckets, shared by the session), ``fresh_server`` (one per test) and ``moto`` (moto's S3 server).
An area that needs its servers set up otherwise overrides these names in its own conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JobforgeServer, MotoServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    # robomaker/test_world_export.py's buckets (and the missing one it exports to) belong to its own account;
    # every other bucket to the default one
    owners = {bucket: "100000000004" for bucket in ("exports-local", "exports-denied", "no-such-bucket")}
    owners["exports-formats"] = "100000000017"  # robomaker/test_export_formats.py's
    data_dir = tmp_path_factory.mktemp("jobforge") / "data"
    running = JobforgeServer(data_dir, env={"JOBFORGE_BUCKET_OWNERS": json.dumps(owners)}).start()
    yield running
    running.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[JobforgeServer]:
    """A server of this test's own (for kills, restarts and special flags)."""
    running = JobforgeServer(tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    running = MotoServer().start()
    yield running
    running.stop()
