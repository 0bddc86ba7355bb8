"""A server for the CLI and job progress tests: local buckets, the Location reference data
imported, jobs paced (each step takes 0.3 s) so that their progress can be watched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.location.fixtures import location_server
from tests.support import JobforgeServer

STEP_DELAY = 0.3


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    running = location_server(tmp_path_factory.mktemp("cli"))
    running.control("pace", pace="realistic", stepDelay=STEP_DELAY)
    yield running
    running.stop()
