"""Fixtures: a fictional reference index (US CSV + CA/GB/AU GeoJSON) and a validator on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.services.location.addresses import AddressValidator, import_openaddresses

from .refdata import intl_points, us_points, write_csv, write_geojson


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
