"""Neighbouring postcodes (a grid over the reference's postcode centroids) and street continuation."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jobforge.services.location.addresses import ReferenceIndex, import_openaddresses
from jobforge.services.location.addresses.neighbours import (
    CONTINUE_KM,
    NEIGHBOUR_KM,
    Neighbours,
    continues,
    distance_km,
)
from jobforge.services.location.addresses.reference import AddressPoint, StreetGroup

from .refdata import RefPoint, write_csv

_KM_PER_DEGREE_LAT = 111.19


def test_distance_km_matches_known_distances() -> None:
    assert distance_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(_KM_PER_DEGREE_LAT, rel=1e-3)
    assert distance_km(0.0, 60.0, 1.0, 60.0) == pytest.approx(_KM_PER_DEGREE_LAT / 2, rel=1e-2)
    # Minneapolis 55414 to Saint Paul 55114 (ZIP centroids): about 2 km
    assert distance_km(-93.2199, 44.9779, -93.1981, 44.9680) == pytest.approx(2.04, abs=0.05)


@pytest.mark.parametrize("lat", [44.97, 60.0, -37.8])
def test_neighbours_are_the_postcodes_within_reach_nearest_first(tmp_path: Path, lat: float) -> None:
    km_per_lon = _KM_PER_DEGREE_LAT * math.cos(math.radians(lat))
    east = {"10001": 0.0, "10002": 5.5, "10003": 2.0, "10004": NEIGHBOUR_KM + 1.0, "10005": 40.0}
    points = [
        RefPoint(10.0 + km / km_per_lon, lat, "1", "Quill Street", "", f"Town{pc}", "", pc)
        for pc, km in east.items()
    ]
    index = tmp_path / "n.sqlite"
    import_openaddresses(write_csv(tmp_path / "n.csv", points), index, "GB")
    ref = ReferenceIndex(index)
    try:
        neighbours = Neighbours(ref)
        assert neighbours.of("GB", "10001") == ("10003", "10002")
        assert neighbours.of("GB", "10005") == ()
        assert neighbours.of("GB", "99999") == ()  # not in the reference
    finally:
        ref.close()


def _group(*coords: tuple[float, float]) -> StreetGroup:
    group = StreetGroup("Quill St")
    for i, (lon, lat) in enumerate(coords):
        group.add(AddressPoint(str(i), str(i), "Quill St", "QUILL ST", None, "A", "A", None, None, lon, lat))
    return group


def test_a_street_continues_only_when_its_sides_meet() -> None:
    step = CONTINUE_KM * 0.8 / _KM_PER_DEGREE_LAT  # degrees of latitude a little under CONTINUE_KM
    west = _group((0.0, 0.0), (0.0, step))
    assert continues(west, _group((0.0, 2 * step), (0.0, 3 * step)))
    assert not continues(west, _group((0.0, 4 * step), (0.0, 5 * step)))
    assert not continues(west, _group((None, None)))  # type: ignore[arg-type]
