"""Servers every area may use: ``server`` (one jobforge on the embedded defaults, SQLite + local
buckets, shared by the session), ``fresh_server`` (one per test) and ``moto`` (moto's S3 server).
An area that needs its servers set up otherwise overrides these names in its own conftest.py.

Under pytest-xdist (scripts/test runs ``-n 2 --dist loadfile``) a test file goes to one worker as a
whole, so its module-scoped fixtures start once; the folders in ``ONE_WORKER`` go to one worker as a
whole, so their session-scoped servers start once (and the parametrized ``env`` of dataexchange/
starts each of its servers once rather than once per file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import JobforgeServer, MotoServer

# folders whose session-scoped servers are costly to start: all their files go to the same worker
ONE_WORKER = ("tests/dataexchange/", "tests/location/", "tests/cli/", "tests/console/")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the files of each ``ONE_WORKER`` folder as one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FolderOrFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            folder = next((f for f in ONE_WORKER if nodeid.startswith(f)), None)
            return folder or super()._split_scope(nodeid)

    return FolderOrFileScheduling(config, log)


# pytest's own fixture for running small test suites (tests/pytest_plugin); pytest accepts
# pytest_plugins only in the top-level conftest.
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    # robomaker/test_world_export.py's buckets (and the missing one it exports to) belong to its own account;
    # every other bucket to the default one
    owners = {bucket: "100000000004" for bucket in ("exports-local", "exports-denied", "no-such-bucket")}
    owners["exports-formats"] = "100000000017"  # robomaker/test_export_formats.py's
    owners["exports-nav2"] = "100000000018"  # robomaker/test_export_nav2.py's
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
