"""Postcodes next to a postcode, and whether a street in one continues into the other.

A house number missing from a street in the postcode given may lie on the same street just across
a postcode boundary, in a neighbouring locality ("Saint Paul 55114" for an address of Minneapolis
55414 on a street that runs through both). Neighbours are the reference's postcodes whose centroid
(the mean of their points) lies within :data:`NEIGHBOUR_KM` of the given one's; a street is the
same across the boundary only when its points on both sides come within :data:`CONTINUE_KM` of
each other (a same-named street elsewhere in the next town is not it).
"""

from __future__ import annotations

import math
from itertools import islice

from .reference import ReferenceIndex, StreetGroup

NEIGHBOUR_KM = 6.0
CONTINUE_KM = 0.5
_EARTH_KM = 6371.0
_SAMPLE = 200  # points of a street compared per side (a long street's ends are enough)


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (equirectangular approximation: exact enough below 100 km)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _EARTH_KM * math.hypot(x, y)


def _positions(group: StreetGroup) -> list[tuple[float, float]]:
    """(lon, lat) of up to _SAMPLE positioned points of the street."""
    return [(p.lon, p.lat) for p in islice(group.points, _SAMPLE) if p.lon is not None and p.lat is not None]


def continues(a: StreetGroup, b: StreetGroup) -> bool:
    """Whether some positioned point of ``a`` lies within CONTINUE_KM of one of ``b``."""
    second = _positions(b)
    return any(distance_km(x1, y1, x2, y2) <= CONTINUE_KM for x1, y1 in _positions(a) for x2, y2 in second)


_CELL = 0.1  # degrees: postcodes are bucketed in a grid of this size, looked up cell by cell
_KM_PER_DEGREE = math.pi * _EARTH_KM / 180


class Neighbours:
    """Neighbouring postcodes per (country, postcode), nearest first; computed once each."""

    def __init__(self, reference: ReferenceIndex) -> None:
        self._ref = reference
        self._grids: dict[str, dict[tuple[int, int], list[tuple[str, float, float]]]] = {}
        self._memo: dict[tuple[str, str], tuple[str, ...]] = {}

    def of(self, country: str, postcode: str) -> tuple[str, ...]:
        key = (country, postcode)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= 32_768:
                self._memo.clear()
            found = self._memo[key] = self._near(country, postcode)
        return found

    def _grid(self, country: str) -> dict[tuple[int, int], list[tuple[str, float, float]]]:
        grid = self._grids.get(country)
        if grid is None:
            grid = self._grids[country] = {}
            for code, info in self._ref.postcodes(country).items():
                if info.lon is not None and info.lat is not None:
                    cell = (math.floor(info.lat / _CELL), math.floor(info.lon / _CELL))
                    grid.setdefault(cell, []).append((code, info.lon, info.lat))
        return grid

    def _near(self, country: str, postcode: str) -> tuple[str, ...]:
        home = self._ref.postcodes(country).get(postcode)
        if home is None or home.lon is None or home.lat is None:
            return ()
        lon, lat = home.lon, home.lat
        grid = self._grid(country)
        row, col = math.floor(lat / _CELL), math.floor(lon / _CELL)
        rows = math.ceil(NEIGHBOUR_KM / (_CELL * _KM_PER_DEGREE))
        lon_km = _CELL * _KM_PER_DEGREE * max(math.cos(math.radians(abs(lat) + _CELL)), 0.01)
        cols = min(math.ceil(NEIGHBOUR_KM / lon_km), round(360 / _CELL))
        near = []
        for r in range(row - rows, row + rows + 1):
            for q in range(col - cols, col + cols + 1):
                for code, x, y in grid.get((r, q), ()):
                    if code != postcode and (km := distance_km(lon, lat, x, y)) <= NEIGHBOUR_KM:
                        near.append((km, code))
        return tuple(code for _, code in sorted(near))
