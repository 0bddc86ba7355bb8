"""Write sample_input.parquet: ValidateAddress input rows for the fictional reference file.

    python examples/location/make_sample_input.py            # writes examples/location/sample_input.parquet
    python examples/location/make_sample_input.py out.parquet

The streets are invented (see us_fictional_openaddresses.csv); the city / state / ZIP
combinations are real, so the US ZIP table agrees with them. Every column is a string, as
Amazon Location's ValidateAddress jobs require; CustomerRef is an extra column that comes back
as Input_CustomerRef.
"""

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = (
    "Id",
    "CustomerRef",
    "AddressLines_1",
    "AddressLines_2",
    "AddressComponents_Locality",
    "AddressComponents_Region",
    "AddressComponents_PostalCode",
    "AddressComponents_Country",
    "AddressComponents_Street",
    "AddressComponents_AddressNumber",
)

# Id, CustomerRef, line 1, line 2, locality, region, postcode, country, street, number
ROWS = [
    ("1", "exact", "104 Quillberry Ln", None, "Boulder", "CO", "80302", "US", None, None),
    ("2", "exact, components only", None, None, "Madison", "WI", "53703", "USA", "Oakhollow Rd", "214"),
    (
        "3",
        "exact, one line",
        "302 North Saltcedar St, Boulder, CO 80302",
        None,
        None,
        None,
        None,
        "US",
        None,
        None,
    ),
    (
        "4",
        "exact, with unit",
        "106 Lanternwick Dr",
        "Apt 2",
        "Burlington",
        "VT",
        "05401",
        "United States",
        None,
        None,
    ),
    ("5", "street typo", "110 Quilberry Lane", None, "Boulder", "CO", "80302", "US", None, None),
    ("6", "wrong ZIP", "104 Tinderbox Street", None, "Madison", "WI", "53704", "US", None, None),
    ("7", "no ZIP", "112 Tinderbox St", None, "Madison", "WI", None, "US", None, None),
    ("8", "no house number", "Wrenfeather Ct", None, "Madison", "WI", "53703", "US", None, None),
    ("9", "number not on street", "999 Marrowfield Ave", None, "Boulder", "CO", "80302", "US", None, None),
    ("10", "unknown street", "5 Nowhere Pl", None, "Burlington", "VT", "05401", "US", None, None),
    (
        "11",
        "lower case, directional",
        "214 e copperleaf blvd",
        None,
        "burlington",
        "vt",
        "05401",
        "us",
        None,
        None,
    ),
    ("12", "unsupported country", "Musterstrasse 12", None, "Berlin", None, "10115", "DE", None, None),
    ("13", "empty address", None, None, None, None, None, None, None, None),
]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sample_input.parquet")
    table = pa.table(
        {name: pa.array([row[i] for row in ROWS], pa.string()) for i, name in enumerate(COLUMNS)}
    )
    pq.write_table(table, out)
    print(f"wrote {table.num_rows} rows to {out}")


if __name__ == "__main__":
    main()
