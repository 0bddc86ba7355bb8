"""Parquet input/output for ValidateAddress jobs: schema checks, streaming read, transform, write.

Everything streams: input is read one row group at a time (in batches of at most `batch_size`
rows) and output is written batch by batch, so memory stays flat in the file size. A range of row
groups can be processed alone (a piece of a split file); with an ``id_seed`` the ``Output_Id`` of
a row depends only on the seed and the row's index in the file, so a piece's output is the same
bytes whenever it runs, and the pieces of a file hold the very rows the whole file would give.
"""

from __future__ import annotations

import gc
import io
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .addresses.columnar import outcome_arrays
from .addresses.columns import (
    ADDRESS_COLUMNS,
    COUNTRY_SPECIFIC_COLUMNS,
    ERROR_COLUMNS,
    POSITION_COLUMNS,
    RESULT_COLUMNS,
)
from .addresses.record import ADDRESS_LINE_COLUMNS, COMPONENT_COLUMNS, INPUT_COLUMNS
from .addresses.validator import (
    AddressValidator,
    ValidationOptions,
)

MAX_ROW_GROUP_BYTES = 1 << 30  # 1 GB per row group (service quota)
MAX_FILE_BYTES = 10 << 30  # 10 GB per input file
DEFAULT_BATCH_SIZE = 16_384

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "InputSchemaError",
    "OutputWriter",
    "ProcessStats",
    "RowGroups",
    "check_input_schema",
    "iter_input_batches",
    "open_input",
    "output_schema",
    "process_file",
    "rows_before",
    "validate_batches",
]


class InputSchemaError(ValueError):
    """The input file cannot be processed (bad Parquet, wrong column types, quota exceeded).

    The job turns this into Status=Failed with Error.Code=ValidationError and str(exc) as message.
    """


_STRING_TYPES = (pa.string(), pa.large_string(), pa.null())


def _is_stringish(t: pa.DataType) -> bool:
    if t in _STRING_TYPES or (hasattr(pa, "string_view") and t == pa.string_view()):
        return True
    return pa.types.is_dictionary(t) and (
        pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    )


def check_input_schema(schema: pa.Schema) -> None:
    """Validate the input columns (docs/location.md, "Input"): known ones must be strings; one address
    column at least must exist."""
    names = schema.names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputSchemaError(f"Duplicate input columns: {', '.join(dupes)}")
    wrong = [f"{f.name} ({f.type})" for f in schema if f.name in INPUT_COLUMNS and not _is_stringish(f.type)]
    if wrong:
        raise InputSchemaError(f"Input columns must be of type string; wrong type for: {', '.join(wrong)}")
    if not any(n in names for n in (*ADDRESS_LINE_COLUMNS, *COMPONENT_COLUMNS)):
        raise InputSchemaError(
            "Input has no address columns; expected AddressLines_1..5 and/or AddressComponents_* columns"
        )
    clashes = [
        n
        for n in names
        if n not in INPUT_COLUMNS and (n.startswith("Output_") or n in ("ErrorType", "ErrorMessage"))
    ]
    if clashes:
        raise InputSchemaError(f"Input column names clash with output columns: {', '.join(clashes)}")


def open_input(file_obj: IO[bytes]) -> pq.ParquetFile:
    """Open a seekable binary file object as Parquet and check schema and size quotas."""
    try:
        size = file_obj.seek(0, io.SEEK_END)
        file_obj.seek(0)
    except (AttributeError, OSError, ValueError):
        size = None
    if size is not None and size > MAX_FILE_BYTES:
        raise InputSchemaError(f"Input file is {size} bytes; the limit is 10 GB per file")
    try:
        pf = pq.ParquetFile(file_obj)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise InputSchemaError(f"Input is not a readable Parquet file: {exc}") from exc
    check_input_schema(pf.schema_arrow)
    meta = pf.metadata
    for i in range(meta.num_row_groups):
        size = meta.row_group(i).total_byte_size
        if size > MAX_ROW_GROUP_BYTES:
            raise InputSchemaError(f"Row group {i} is {size} bytes; the limit is 1 GB per row group")
    return pf


RowGroups = tuple[int, int]  # a contiguous range of row groups: first, end (exclusive)


def iter_input_batches(
    file_obj: IO[bytes] | pq.ParquetFile,
    batch_size: int = DEFAULT_BATCH_SIZE,
    row_groups: RowGroups | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield record batches row group by row group (all, or those of ``row_groups``); never
    materializes the whole file."""
    pf = file_obj if isinstance(file_obj, pq.ParquetFile) else open_input(file_obj)
    first, end = row_groups or (0, pf.num_row_groups)
    for rg in range(first, end):
        yield from pf.iter_batches(batch_size=batch_size, row_groups=[rg], use_threads=False)


def rows_before(metadata: pq.FileMetaData, row_group: int) -> int:
    """The index in the file of the first row of ``row_group``."""
    return sum(metadata.row_group(i).num_rows for i in range(row_group))


def _extra_input_fields(input_schema: pa.Schema) -> list[pa.Field]:
    return [
        pa.field(f"Input_{f.name}", f.type if not pa.types.is_dictionary(f.type) else f.type.value_type)
        for f in input_schema
        if f.name not in INPUT_COLUMNS
    ]


def _outcome_fields(options: ValidationOptions) -> list[tuple[str, pa.DataType]]:
    cols = [*ADDRESS_COLUMNS, *RESULT_COLUMNS]
    if options.position:
        cols.extend(POSITION_COLUMNS)
    if options.country_specific:
        cols.extend(COUNTRY_SPECIFIC_COLUMNS)
    cols.extend(ERROR_COLUMNS)
    return cols


def output_schema(input_schema: pa.Schema, options: ValidationOptions) -> pa.Schema:
    """Output columns: Input_<input column> (all, string), Input_<extra>, Output_Id, Output_*, errors.

    Position and CountrySpecificAttributes columns appear only when those features were requested.
    """
    fields = [pa.field(f"Input_{name}", pa.string()) for name in INPUT_COLUMNS]
    fields.extend(_extra_input_fields(input_schema))
    fields.append(pa.field("Output_Id", pa.string()))
    fields.extend(pa.field(name, t) for name, t in _outcome_fields(options))
    return pa.schema(fields)


def _input_column(batch: pa.RecordBatch, name: str) -> pa.Array:
    idx = batch.schema.get_field_index(name)
    if idx < 0:
        return pa.nulls(batch.num_rows, pa.string())
    col = batch.column(idx)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col if col.type == pa.string() else col.cast(pa.string())


def _clean_column(col: pa.Array) -> pa.Array:
    """Trim whitespace and turn empty strings into nulls, vectorized."""
    trimmed = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Where each of the 36 characters of a UUID's text comes from: a hex digit index (0..31) or a dash.
_UUID_LAYOUT = [*range(0, 8), -1, *range(8, 12), -1, *range(12, 16), -1, *range(16, 20), -1, *range(20, 32)]


def _id_octets(n: int, seed: bytes | None, first: int) -> np.ndarray:
    """16 bytes for each of n rows: random, or with a 16-byte ``seed`` those of rows ``first`` ..
    ``first + n - 1`` of a stream fixed by the seed (Philox, counter-based: one block of 32 bytes
    per two rows, so any range of rows is computed alone and agrees with the whole)."""
    if seed is None:
        return np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    generator = np.random.Philox(key=np.frombuffer(seed[:16], dtype=np.uint64), counter=first // 2)
    skip = first % 2
    words = generator.random_raw(2 * (n + skip))[2 * skip :]
    return words.astype("<u8").view(np.uint8).reshape(n, 16).copy()


def _uuid_column(n: int, seed: bytes | None = None, first: int = 0) -> pa.Array:
    """n version 4 UUID strings (see :func:`_id_octets`), formatted with numpy rather than per row."""
    octets = _id_octets(n, seed, first)
    octets[:, 6] = (octets[:, 6] & 0x0F) | 0x40
    octets[:, 8] = (octets[:, 8] & 0x3F) | 0x80
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[octets >> 4]
    digits[:, 1::2] = _HEX[octets & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    for pos, src in enumerate(_UUID_LAYOUT):
        if src >= 0:
            text[:, pos] = digits[:, src]
    offsets = pa.array(np.arange(0, 36 * (n + 1), 36, dtype=np.int32))
    return pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(text.tobytes()))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a file is validated: the per-row objects are acyclic and freed by
    refcounting, while collections that traverse the large reference caches cost ~10% of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _transform(
    batch: pa.RecordBatch,
    validator: AddressValidator,
    options: ValidationOptions,
    schema: pa.Schema,
    ids: tuple[bytes | None, int] = (None, 0),
    columnar: bool = True,
) -> pa.RecordBatch:
    n = batch.num_rows
    inputs = [_input_column(batch, name) for name in INPUT_COLUMNS]
    outcome = outcome_arrays(
        validator, [_clean_column(col) for col in inputs[1:]], _outcome_fields(options), columnar
    )
    arrays: list[pa.Array] = list(inputs)
    for f in schema:
        if f.name.startswith("Input_") and f.name[6:] not in INPUT_COLUMNS:
            col = batch.column(f.name[6:])
            arrays.append(col.dictionary_decode() if pa.types.is_dictionary(col.type) else col)
    arrays.append(_uuid_column(n, *ids))
    arrays.extend(outcome)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def validate_batches(
    batches: Iterable[pa.RecordBatch],
    validator: AddressValidator,
    options: ValidationOptions,
    should_cancel: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int], None] = lambda _n: None,
    id_seed: bytes | None = None,
    first_row: int = 0,
    columnar: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Validate input batches into output batches (schema per `output_schema`).

    Row-level problems land in ErrorType/ErrorMessage. `should_cancel` is checked before each
    batch is read and processed; when it returns True the generator stops. `on_progress` gets the
    number of rows of each finished batch. With `id_seed`, Output_Id is fixed by the seed and the
    row's index in its file (the first batch's first row is row `first_row`); without, random.
    `columnar=False` forces the per-row path (addresses/columnar.py; both give the same output).
    """
    schema: pa.Schema | None = None
    row = first_row
    iterator = iter(batches)
    while True:
        if should_cancel():
            return
        batch = next(iterator, None)
        if batch is None:
            return
        if schema is None:
            check_input_schema(batch.schema)
            schema = output_schema(batch.schema, options)
        out = _transform(batch, validator, options, schema, (id_seed, row), columnar)
        row += batch.num_rows
        on_progress(batch.num_rows)
        yield out


# Columns whose min/max statistics readers can use to skip row groups; statistics of the long
# free-text columns cost a quarter of the write time and help nobody.
_STATISTICS_COLUMNS = (
    "Input_Id",
    "Output_Id",
    "Output_Address_Country_Code2",
    "Output_Address_Region_Code",
    "Output_Address_PostalCode",
    "Output_ValidationResults_ValidationGranularity",
    "Output_ValidationResults_MatchConfidence",
    "Output_ValidationResults_MatchConfidenceScore",
    "ErrorType",
)

# Columns with a value per row: dictionary encoding only costs time there (it gives up anyway).
_NEARLY_UNIQUE_COLUMNS = frozenset(
    {
        "Input_Id",
        "Output_Id",
        "Output_Address_Label",
        "Output_Position_Longitude",
        "Output_Position_Latitude",
        *(f"Input_AddressLines_{i}" for i in range(1, 6)),
        *(f"Output_AddressLines_{i}" for i in range(1, 6)),
    }
)


class OutputWriter:
    """Streaming Parquet writer onto a binary file object (one row group per written batch)."""

    def __init__(self, file_obj: IO[bytes], schema: pa.Schema, compression: str = "snappy") -> None:
        self.schema = schema
        self.rows = 0
        stats = [name for name in _STATISTICS_COLUMNS if name in schema.names]
        dictionary = [name for name in schema.names if name not in _NEARLY_UNIQUE_COLUMNS]
        self._writer = pq.ParquetWriter(
            file_obj, schema, compression=compression, write_statistics=stats, use_dictionary=dictionary
        )

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def write_row_group(self, table: pa.Table) -> None:
        """Write ``table`` as one row group (a row group copied from another output file)."""
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class ProcessStats:
    """What process_file did."""

    rows: int = 0
    batches: int = 0
    error_rows: int = 0
    cancelled: bool = False


def process_file(
    input_obj: IO[bytes],
    output_obj: IO[bytes],
    validator: AddressValidator,
    options: ValidationOptions,
    should_cancel: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int], None] = lambda _n: None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    row_groups: RowGroups | None = None,
    id_seed: bytes | None = None,
    columnar: bool = True,
) -> ProcessStats:
    """Read one input Parquet file (or its ``row_groups``), validate every row, write the output.

    Raises InputSchemaError for job-level input problems (before any output is written).
    On cancellation the output holds the batches finished so far (a valid Parquet file).
    ``id_seed``: see :func:`validate_batches` (the rows are numbered from the file's first row).
    ``columnar=False`` forces the per-row path.
    """
    pf = open_input(input_obj)
    if row_groups is not None and not 0 <= row_groups[0] <= row_groups[1] <= pf.num_row_groups:
        raise InputSchemaError(f"Row groups {row_groups} are not within the file's {pf.num_row_groups}")
    first_row = rows_before(pf.metadata, row_groups[0]) if row_groups else 0
    schema = output_schema(pf.schema_arrow, options)
    stats = ProcessStats()
    cancelled = False

    def cancel_probe() -> bool:
        nonlocal cancelled
        cancelled = should_cancel()
        return cancelled

    err_idx = schema.get_field_index("ErrorType")
    with OutputWriter(output_obj, schema) as writer, _gc_paused():
        for out in validate_batches(
            iter_input_batches(pf, batch_size, row_groups),
            validator,
            options,
            cancel_probe,
            on_progress,
            id_seed,
            first_row,
            columnar,
        ):
            writer.write_batch(out)
            stats.rows += out.num_rows
            stats.batches += 1
            stats.error_rows += out.num_rows - out.column(err_idx).null_count
    stats.cancelled = cancelled
    return stats
