"""Parquet I/O: schema checks, exact output columns, streaming by row group, cancellation."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobforge.services.location.addresses import INPUT_COLUMNS, AddressValidator, ValidationOptions
from jobforge.services.location.addresses.columns import (
    ADDRESS_COLUMNS,
    COUNTRY_SPECIFIC_COLUMNS,
    ERROR_COLUMNS,
    POSITION_COLUMNS,
    RESULT_COLUMNS,
)
from jobforge.services.location.parquet_io import (
    InputSchemaError,
    iter_input_batches,
    open_input,
    output_schema,
    process_file,
    validate_batches,
)

ROWS = [
    {"Id": "r1", "AddressLines_1": "120 E Quillfeather St", "AddressComponents_Locality": "Seattle",
     "AddressComponents_Region": "WA", "AddressComponents_PostalCode": "98112",
     "AddressComponents_Country": "US"},
    {"Id": "r2", "AddressLines_1": "Pike Place", "AddressLines_2": "Apartment 4B",
     "AddressComponents_Country": "USA", "AddressComponents_PostalCode": "98101"},
    {"Id": "r3", "AddressLines_1": "1 Rue de Rivoli", "AddressComponents_Country": "France"},
    {"Id": "r4"},
    {"Id": "r5", "AddressLines_1": "14 Kookaburra St, Sydney NSW 2000", "AddressComponents_Country": "AU"},
]  # fmt: skip


def parquet_bytes(
    rows: list[dict[str, Any]], schema: pa.Schema | None = None, row_group_size: int = 1000
) -> bytes:
    schema = schema or pa.schema([pa.field(c, pa.string()) for c in INPUT_COLUMNS])
    table = pa.Table.from_pylist(rows, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size)
    return buf.getvalue()


def run(
    data: bytes, validator: AddressValidator, options: ValidationOptions, **kw: Any
) -> tuple[pa.Table, Any]:
    out = io.BytesIO()
    stats = process_file(io.BytesIO(data), out, validator, options, **kw)
    out.seek(0)
    return pq.read_table(out), stats


def expected_columns(options: ValidationOptions, extra: tuple[str, ...] = ()) -> list[str]:
    cols = [f"Input_{c}" for c in INPUT_COLUMNS] + [f"Input_{c}" for c in extra] + ["Output_Id"]
    cols += [n for n, _ in ADDRESS_COLUMNS] + [n for n, _ in RESULT_COLUMNS]
    if options.position:
        cols += [n for n, _ in POSITION_COLUMNS]
    if options.country_specific:
        cols += [n for n, _ in COUNTRY_SPECIFIC_COLUMNS]
    return cols + [n for n, _ in ERROR_COLUMNS]


@pytest.mark.parametrize(
    "features", [[], ["Position"], ["CountrySpecificAttributes"], ["Position", "CountrySpecificAttributes"]]
)
def test_round_trip_exact_columns(validator: AddressValidator, features: list[str]) -> None:
    options = ValidationOptions.from_features(features)
    table, stats = run(parquet_bytes(ROWS), validator, options)
    assert table.column_names == expected_columns(options)
    assert (stats.rows, stats.error_rows, stats.cancelled) == (5, 2, False)
    rows = table.to_pylist()
    assert [r["Input_Id"] for r in rows] == ["r1", "r2", "r3", "r4", "r5"]
    assert len({r["Output_Id"] for r in rows}) == 5
    assert rows[0]["Output_ValidationResults_ValidationGranularity"] == "Premise"
    assert rows[0]["ErrorType"] is None
    assert rows[2]["ErrorType"] == "ValidationError" and "Unsupported country" in rows[2]["ErrorMessage"]
    assert rows[3]["ErrorType"] == "ValidationError"
    assert rows[1]["Input_AddressLines_2"] == "Apartment 4B"
    if options.position:
        assert rows[0]["Output_Position_Longitude"] == pytest.approx(-122.2972)
        assert rows[2]["Output_Position_Longitude"] is None
    if options.country_specific:
        assert rows[0]["Output_CountrySpecificAttributes_USA_Usps_ZipValid"] is True
        assert rows[0]["Output_CountrySpecificAttributes_USA_Usps_Zip9"] is None


def test_output_types(validator: AddressValidator) -> None:
    options = ValidationOptions(True, True)
    table, _ = run(parquet_bytes(ROWS), validator, options)
    schema = table.schema
    assert schema.field("Output_ValidationResults_MatchConfidenceScore").type == pa.float64()
    assert schema.field("Output_Position_Latitude").type == pa.float64()
    assert schema.field("Output_AddressMetadata_DeliveryIndicators_Locatable").type == pa.bool_()
    assert schema.field("Output_CountrySpecificAttributes_USA_Usps_ZipValid").type == pa.bool_()
    assert schema.field("Input_Id").type == pa.string()
    assert schema.field("Output_Address_Street").type == pa.string()


def test_subset_of_columns_and_extra_columns(validator: AddressValidator) -> None:
    schema = pa.schema([("Id", pa.string()), ("AddressLines_1", pa.large_string()), ("Tenant", pa.int64())])
    row = {"Id": "a", "AddressLines_1": "120 E Quillfeather St, Seattle, WA 98112", "Tenant": 7}
    data = parquet_bytes([row], schema)
    table, _ = run(data, validator, ValidationOptions())
    assert table.column_names == expected_columns(ValidationOptions(), extra=("Tenant",))
    row = table.to_pylist()[0]
    assert row["Input_Tenant"] == 7 and row["Input_AddressComponents_Country"] is None
    assert row["Output_ValidationResults_ValidationGranularity"] == "Premise"


def test_dictionary_encoded_strings_are_accepted(validator: AddressValidator) -> None:
    table = pa.table(
        {"AddressLines_1": pa.array(["120 E Quillfeather St, Seattle, WA 98112"]).dictionary_encode()}
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    out, _ = run(buf.getvalue(), validator, ValidationOptions())
    assert out.column("Output_Address_PostalCode").to_pylist() == ["98112"]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (pa.schema([("AddressLines_1", pa.string()), ("AddressComponents_PostalCode", pa.int64())]),
         "AddressComponents_PostalCode"),
        (pa.schema([("Id", pa.int32()), ("AddressLines_1", pa.string())]), "Id (int32)"),
        (pa.schema([("Id", pa.string()), ("Foo", pa.string())]), "no address columns"),
        (pa.schema([("AddressLines_1", pa.string()), ("Output_Id", pa.string())]), "clash"),
    ],
)  # fmt: skip
def test_schema_errors(validator: AddressValidator, schema: pa.Schema, message: str) -> None:
    data = parquet_bytes([], schema)
    with pytest.raises(InputSchemaError, match=re.escape(message)):
        run(data, validator, ValidationOptions())


def test_not_parquet() -> None:
    with pytest.raises(InputSchemaError, match="not a readable Parquet"):
        open_input(io.BytesIO(b"PAR1 this is not parquet"))


def test_empty_file_writes_schema_only(validator: AddressValidator) -> None:
    table, stats = run(parquet_bytes([]), validator, ValidationOptions(position=True))
    assert table.num_rows == 0 and stats.rows == 0
    assert table.column_names == expected_columns(ValidationOptions(position=True))


class CountingFile(io.BytesIO):
    """Counts bytes read so tests can see the reader does not slurp the file."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def many_rows(n: int) -> list[dict[str, Any]]:
    return [{**ROWS[i % 2], "Id": f"row-{i}"} for i in range(n)]


def test_reader_streams_row_group_by_row_group() -> None:
    rows = [{**r, "AddressLines_5": uuid.uuid4().hex * 4} for r in many_rows(20_000)]  # incompressible
    data = parquet_bytes(rows, row_group_size=1000)
    f = CountingFile(data)
    pf = open_input(f)
    assert pf.num_row_groups == 20
    batches = iter_input_batches(pf, batch_size=640)
    first = next(batches)
    after_first = f.bytes_read
    assert first.num_rows == 640
    assert after_first < len(data) / 5  # footer + first row group only
    sizes = [first.num_rows, *(b.num_rows for b in batches)]
    assert sum(sizes) == 20_000 and max(sizes) <= 640
    assert sizes.count(360) == 20  # each row group ends its own batch: 640 + 360 per group
    assert f.bytes_read >= len(data) * 0.9


def test_validate_batches_is_lazy(validator: AddressValidator, tmp_path: Path) -> None:
    data = parquet_bytes(many_rows(1000), row_group_size=100)
    pulled: list[int] = []

    def source():
        for i, b in enumerate(iter_input_batches(io.BytesIO(data), batch_size=100)):
            pulled.append(i)
            yield b

    progress: list[int] = []
    out = validate_batches(source(), validator, ValidationOptions(), on_progress=progress.append)
    first = next(out)
    assert pulled == [0] and progress == [100] and first.num_rows == 100
    rest = list(out)
    assert len(rest) == 9 and pulled == list(range(10)) and sum(progress) == 1000


def test_cancellation_stops_between_batches(validator: AddressValidator) -> None:
    data = parquet_bytes(many_rows(1000), row_group_size=100)
    progress: list[int] = []
    table, stats = run(
        data,
        validator,
        ValidationOptions(),
        should_cancel=lambda: len(progress) >= 3,
        on_progress=progress.append,
        batch_size=100,
    )
    assert stats.cancelled and stats.rows == 300 and stats.batches == 3
    assert table.num_rows == 300  # the partial output is a valid Parquet file
    assert table.column("Input_Id").to_pylist()[-1] == "row-299"


def test_output_schema_helper() -> None:
    schema = output_schema(pa.schema([("AddressLines_1", pa.string())]), ValidationOptions(position=True))
    assert schema.names == expected_columns(ValidationOptions(position=True))
