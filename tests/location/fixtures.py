"""Fictional reference data and input rows for the ValidateAddress job tests.

Street names are invented; ZIP codes, postcodes, cities and regions are real, so that the built-in
US ZIP table agrees with them. Files are written in OpenAddresses' CSV and GeoJSON formats and
imported with ``jobforge location import``, exactly as an operator would.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support import JobforgeServer

US_POINTS = [
    # LON, LAT, NUMBER, STREET, UNIT, CITY, REGION, POSTCODE
    (-122.33010, 47.61100, "120", "Quillfeather Avenue", "", "Seattle", "WA", "98101"),
    (-122.33020, 47.61110, "140", "Quillfeather Avenue", "", "Seattle", "WA", "98101"),
    (-122.33030, 47.61120, "160", "Quillfeather Avenue", "", "Seattle", "WA", "98101"),
    (-122.29700, 47.63000, "200", "East Brindlecombe Street", "", "Seattle", "WA", "98112"),
    (-122.29710, 47.63010, "220", "East Brindlecombe Street", "", "Seattle", "WA", "98112"),
    (-89.65000, 39.78000, "310", "LANTERNWICK ROAD", "", "Springfield", "IL", "62704"),
    (-89.65010, 39.78010, "330", "LANTERNWICK ROAD", "", "Springfield", "IL", "62704"),
    (-97.74260, 30.27130, "1500", "Orchardvale Boulevard", "", "Austin", "TX", "78701"),
]
GB_POINTS = [
    # GeoJSON features: lon, lat, number, street, city, postcode
    (-0.12760, 51.50740, "12", "Marrowgate Lane", "London", "SW1A 1AA"),
    (-0.12770, 51.50750, "14", "Marrowgate Lane", "London", "SW1A 1AA"),
]
US_COLUMNS = [
    "LON",
    "LAT",
    "NUMBER",
    "STREET",
    "UNIT",
    "CITY",
    "DISTRICT",
    "REGION",
    "POSTCODE",
    "ID",
    "HASH",
]


def write_reference(directory: Path) -> tuple[Path, Path]:
    """A US OpenAddresses CSV and a GB GeoJSON FeatureCollection."""
    directory.mkdir(parents=True, exist_ok=True)
    us = directory / "us-fictional.csv"
    with us.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(US_COLUMNS)
        for n, (lon, lat, number, street, unit, city, region, postcode) in enumerate(US_POINTS):
            writer.writerow([lon, lat, number, street, unit, city, "", region, postcode, f"us-{n}", f"h{n}"])
    gb = directory / "gb-fictional.geojson"
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"number": number, "street": street, "city": city, "postcode": postcode},
        }
        for lon, lat, number, street, city, postcode in GB_POINTS
    ]
    gb.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return us, gb


def location_server(root: Path, *args: str, env: dict[str, str] | None = None) -> JobforgeServer:
    """A started server on ``root/data``, given the reference data (``root/reference``) first."""
    import_reference(root / "data", root / "reference")
    return JobforgeServer(root / "data", *args, env=env).start()


def import_reference(data_dir: Path, directory: Path) -> None:
    """``jobforge location import`` for both files, through the command line."""
    us, gb = write_reference(directory)
    for path, country in ((us, "US"), (gb, "GB")):
        done = subprocess.run(
            [sys.executable, "-m", "jobforge.cli", "location", "import", str(path), "--country", country,
             "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "imported" in done.stdout


def seattle(line: str, postcode: str | None = "98101", country: str = "US") -> dict[str, str | None]:
    return {
        "AddressLines_1": line,
        "AddressComponents_Locality": "Seattle",
        "AddressComponents_Region": "WA",
        "AddressComponents_PostalCode": postcode,
        "AddressComponents_Country": country,
    }


# Id -> input row. Expectations live in the tests, next to the assertions.
CASES: dict[str, dict[str, str | None]] = {
    "exact": seattle("120 Quillfeather Ave", country="USA"),
    "typo-street": seattle("140 Quilfeather Avenue"),
    "wrong-zip": seattle("160 Quillfeather Ave", postcode="98112"),
    "missing-zip": {
        "AddressLines_1": "310 Lanternwick Rd",
        "AddressComponents_Locality": "Springfield",
        "AddressComponents_Region": "IL",
        "AddressComponents_Country": "United States",
    },
    "unknown-number": seattle("999 Quillfeather Ave"),
    "typo-locality": {
        "AddressLines_1": "1500 Orchardvale Blvd",
        "AddressComponents_Locality": "Austn",
        "AddressComponents_Region": "TX",
        "AddressComponents_PostalCode": "78701",
        "AddressComponents_Country": "US",
    },
    "zip-only": {"AddressComponents_PostalCode": "62704", "AddressComponents_Country": "US"},
    "city-only": {
        "AddressComponents_Locality": "Seattle",
        "AddressComponents_Region": "WA",
        "AddressComponents_Country": "US",
    },
    "free-form": {
        "AddressLines_1": "200 E Brindlecombe St, Seattle, WA 98112",
        "AddressComponents_Country": "US",
    },
    "multi-line": {
        "AddressLines_1": "220 East Brindlecombe Street",
        "AddressLines_2": "Seattle WA 98112",
        "AddressComponents_Country": "USA",
    },
    "unknown-street": seattle("5 Nowhere Street"),
    "unit": seattle("120 Quillfeather Ave Apt 4B"),
    "unsupported-country": {
        "AddressLines_1": "1 Rue Imaginaire",
        "AddressComponents_Locality": "Paris",
        "AddressComponents_PostalCode": "75001",
        "AddressComponents_Country": "France",
    },
    "empty": {},
    "gb": {
        "AddressLines_1": "14 marrowgate ln",
        "AddressComponents_Locality": "london",
        "AddressComponents_PostalCode": "sw1a1aa",
        "AddressComponents_Country": "United Kingdom",
    },
}
ADDRESS_COLUMNS = [
    "AddressLines_1",
    "AddressLines_2",
    "AddressComponents_Country",
    "AddressComponents_Region",
    "AddressComponents_Locality",
    "AddressComponents_PostalCode",
]


def cases_table() -> pa.Table:
    """Every case as one row, Id first, all columns strings."""
    rows = [{"Id": case_id, **row} for case_id, row in CASES.items()]
    return input_table(rows, ["Id", *ADDRESS_COLUMNS])


def input_table(rows: list[dict[str, str | None]], columns: list[str] | None = None) -> pa.Table:
    """Rows as an all-string table with the given (or every used) column."""
    names = columns or sorted({name for row in rows for name in row}, key=_column_order)
    return pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in names})


def _column_order(name: str) -> tuple[int, str]:
    return (0 if name == "Id" else 1 if name.startswith("AddressLines") else 2, name)


def parquet_bytes(table: pa.Table, row_group_size: int | None = None) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=row_group_size)
    return sink.getvalue().to_pybytes()
