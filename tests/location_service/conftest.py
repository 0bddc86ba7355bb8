"""Servers for the ValidateAddress job tests: one on local buckets, one on moto's S3 server.

Both get the fictional reference data through ``jobforge location import`` before they start.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.location_service.fixtures import import_reference
from tests.support import JobforgeServer, MotoServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    root = tmp_path_factory.mktemp("location")
    import_reference(root / "data", root / "reference")
    running = JobforgeServer(root / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    running = MotoServer().start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory, moto: MotoServer) -> Iterator[JobforgeServer]:
    root = tmp_path_factory.mktemp("location-s3")
    import_reference(root / "data", root / "reference")
    args, env = moto.jobforge_args()
    running = JobforgeServer(root / "data", *args, env=env).start()
    yield running
    running.stop()
