"""Fixtures of the Location tests.

Address engine (``addresses/``, ``test_parquet_io.py``): a fictional reference index (US CSV +
CA/GB/AU GeoJSON) and a validator on it. ValidateAddress jobs: servers, one on local buckets, one on
moto's S3 server, both given the fictional reference data through ``jobforge location import``
before they start (the S3 one on the session's ``moto``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.services.location.addresses import AddressValidator, import_openaddresses
from tests.location.fixtures import location_server
from tests.support import JobforgeServer, MotoServer

from .addresses.refdata import intl_points, us_points, write_csv, write_geojson


@pytest.fixture(scope="session")
def reference_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    index = root / "index.sqlite"
    import_openaddresses(write_csv(root / "us.csv", us_points()), index, "US")
    intl = intl_points()
    import_openaddresses(write_geojson(root / "ca.geojson", intl["CA"]), index, "CA")
    import_openaddresses(write_geojson(root / "gb.geojson", intl["GB"], line_delimited=True), index, "GB")
    import_openaddresses(write_csv(root / "au.csv", intl["AU"]), index, "AUS")
    return index


@pytest.fixture(scope="session")
def validator(reference_index: Path) -> AddressValidator:
    return AddressValidator(reference_index)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    running = location_server(tmp_path_factory.mktemp("location"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory, moto: MotoServer) -> Iterator[JobforgeServer]:
    args, env = moto.jobforge_args()
    running = location_server(tmp_path_factory.mktemp("location-s3"), *args, env=env)
    yield running
    running.stop()


@pytest.fixture
def stepping(server: JobforgeServer) -> Iterator[JobforgeServer]:
    """Jobs wait for /_jobforge/control/advance before starting and between steps."""
    server.control("pace", pace="step")
    yield server
    server.control("pace", pace="instant")
