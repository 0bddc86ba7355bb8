"""Small fictional OpenAddresses-format reference data for the location tests.

Street names are invented; ZIP/postcodes, cities and regions are real so the ZIP table agrees.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

US_PLACES: list[tuple[str, str, str, float, float]] = [
    ("98112", "Seattle", "WA", 47.6301, -122.2972),
    ("98101", "Seattle", "WA", 47.6114, -122.3305),
    ("62704", "Springfield", "IL", 39.7725, -89.6889),
    ("60614", "Chicago", "IL", 41.9229, -87.6483),
    ("94110", "San Francisco", "CA", 37.7509, -122.4153),
    ("78701", "Austin", "TX", 30.2713, -97.7426),
    ("80202", "Denver", "CO", 39.7491, -104.9946),
    ("02134", "Allston", "MA", 42.3535, -71.1329),
]
_BASES = [
    "Quillfeather", "Brindlecombe", "Lanternwick", "Orchardvale", "Marrowgate", "Thistledown",
    "Copperbeck", "Wrenhollow", "Ambermoor", "Foxglen", "Larkspurrow", "Hazelcroft",
    "Juniperwell", "Mosswhistle", "Cindervale", "Bramblefield", "Elderwick", "Glimmerstone",
    "Kestrelmoor", "Nettlebrook", "Oakhallow", "Pebbleshore", "Rookwood", "Sablecreek",
    "Tansyfield", "Umberlane", "Vetchmoor", "Willowisp", "Yarrowfen", "Zephyrdale",
    "Ashcombe", "Birchlow",
]  # fmt: skip
_TYPES = ["Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Court", "Place"]
_PREFIXES = ["East", "", "North", "", "", "West", "", ""]


@dataclass(frozen=True)
class RefPoint:
    """One fictional address point (raw OpenAddresses spelling)."""

    lon: float
    lat: float
    number: str
    street: str
    unit: str
    city: str
    region: str
    postcode: str


def us_points() -> list[RefPoint]:
    """8 ZIPs x 4 streets x 8 numbers, plus a building with units (256 + 3 points)."""
    points = []
    for z, (zip5, city, state, lat, lon) in enumerate(US_PLACES):
        for s in range(4):
            k = z * 4 + s
            prefix = _PREFIXES[k % len(_PREFIXES)]
            street = " ".join(x for x in (prefix, _BASES[k], _TYPES[k % len(_TYPES)]) if x)
            if k % 3 == 0:
                street = street.upper()  # OpenAddresses sources are often upper case
            for i in range(8):
                number = str(100 + 20 * i)
                points.append(
                    RefPoint(lon + 0.001 * s, lat + 0.0004 * i, number, street, "", city, state, zip5)
                )
    # a multi-unit building on the first Seattle street (E Quillfeather St, 98112)
    for unit in ("1A", "1B", "2A"):
        points.append(
            RefPoint(-122.2990, 47.6320, "500", "E QUILLFEATHER ST", unit, "Seattle", "WA", "98112")
        )
    return points


def intl_points() -> dict[str, list[RefPoint]]:
    """A few CA, GB and AU points (fictional streets in real postcodes)."""

    def run(
        n: int, first: int, step: int, street: str, city: str, region: str, pc: str, lon: float, lat: float
    ):
        return [
            RefPoint(lon, lat + i * 1e-4, str(first + step * i), street, "", city, region, pc)
            for i in range(n)
        ]

    ca = run(6, 10, 2, "Wrenfield Street", "Toronto", "ON", "M5V 2T6", -79.3957, 43.6435)
    ca += run(6, 200, 2, "Glacierview Avenue", "Vancouver", "BC", "V6B1A1", -123.11, 49.28)
    gb = run(6, 1, 1, "Quarrington Lane", "London", "", "SW1A 2AA", -0.1410, 51.5010)
    gb += run(4, 5, 1, "Heatherlow Road", "Manchester", "", "M1 1AE", -2.2426, 53.4808)
    au = run(6, 12, 2, "Kookaburra Street", "Sydney", "NSW", "2000", 151.2070, -33.8675)
    au += [
        RefPoint(151.2071, -33.8676, "12", "Kookaburra Street", u, "Sydney", "NSW", "2000")
        for u in ("5", "6")
    ]
    au += run(4, 1, 1, "Wattlebird Road", "Melbourne", "VIC", "3000", 144.9631, -37.8136)
    return {"CA": ca, "GB": gb, "AU": au}


def write_csv(path: Path, points: list[RefPoint], blank_city: bool = False) -> Path:
    """Classic OpenAddresses CSV (upper-case header)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID", "HASH"]
        )
        for i, p in enumerate(points):
            city = "" if blank_city else p.city
            w.writerow([p.lon, p.lat, p.number, p.street, p.unit, city, "", p.region, p.postcode, i, f"h{i}"])
    return path


def _feature(p: RefPoint, i: int) -> dict:
    props = {"hash": f"h{i}", "number": p.number, "street": p.street, "unit": p.unit, "city": p.city,
             "district": "", "region": p.region, "postcode": p.postcode, "id": str(i)}  # fmt: skip
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
        "properties": props,
    }


def write_geojson(path: Path, points: list[RefPoint], line_delimited: bool = False) -> Path:
    """Newer OpenAddresses GeoJSON (lower-case properties); a FeatureCollection or one per line."""
    feats = [_feature(p, i) for i, p in enumerate(points)]
    with path.open("w", encoding="utf-8") as fh:
        if line_delimited:
            for f in feats:
                fh.write(json.dumps(f) + "\n")
        else:
            json.dump({"type": "FeatureCollection", "features": feats}, fh, indent=1)
    return path
