"""One input Parquet file (or a range of its row groups) -> one output Parquet file, run in the
engine's worker processes.

Validation is CPU-bound Python, so it runs outside the server process and never stalls the API.
A task carries only picklable values; the worker opens its own object store
(:meth:`StoreSpec.open`) and keeps one :class:`AddressValidator` per reference index (re-opened
when the index file changes). The output goes through an atomic store writer: it appears only
when the whole file is written, and a cancelled or failed file leaves nothing behind. Cancellation
reaches the worker, on any node, as the job's :class:`~jobforge.services.location.stop.StopSignal`,
looked at between batches.

A task is idempotent: its output key is fixed by the job, and with ``id_seed`` its bytes too, so a
task delivered twice rewrites the same object with the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow and the address engine load in the worker processes only
    from jobforge.services.location.addresses import AddressValidator

from jobforge.services.location.stop import StopSignal
from jobforge.storage import AccessDenied, NoSuchBucket, NoSuchKey, StorageError, StoreSpec

PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
VALIDATION_ERROR = "ValidationError"
INTERNAL_ERROR = "InternalServerError"


@dataclass(frozen=True)
class FileTask:
    """Validate ``source`` (or its ``row_groups``) into ``target``; stop (writing nothing) once
    ``stop`` is sent."""

    store: StoreSpec
    reference: str | None  # the address index (None: the ZIP table only)
    features: tuple[str, ...]
    source: tuple[str, str]  # bucket, key
    target: tuple[str, str]
    stop: StopSignal
    row_groups: tuple[int, int] | None = None  # first, end (exclusive); None: the whole file
    id_seed: bytes | None = None  # fixes each row's Output_Id (None: random)
    target_store: StoreSpec | None = None  # where ``target`` is (None: ``store``)
    live: tuple[str, str] | None = None  # a staged piece: the job's live marker in ``target_store``


@lru_cache(maxsize=2)
def _validator(reference: str | None, version: tuple[int, int]) -> AddressValidator:
    from jobforge.services.location.addresses import AddressValidator

    return AddressValidator(reference)


class ReferenceMissing(FileNotFoundError):
    """The job named an address index this worker does not have (a node without the data)."""


def validator_for(reference: str | None) -> AddressValidator:
    """The process's validator for this index (None: the ZIP table only); a re-import (new
    mtime/size) opens a fresh one. :class:`ReferenceMissing` if the index is not there: validating
    without it would silently give other results than the job's other workers."""
    if reference is None:
        return _validator(None, (0, 0))
    try:
        stat = os.stat(reference)
    except FileNotFoundError:
        raise ReferenceMissing(reference) from None
    return _validator(reference, (stat.st_mtime_ns, stat.st_size))


def transform_file(task: FileTask) -> dict[str, Any]:
    """Run one file; never raises: ``{"rows", "errorRows", "cancelled"}`` or ``{"error": {...}}``."""
    import pyarrow as pa

    from jobforge.services.location.addresses import ValidationOptions
    from jobforge.services.location.parquet_io import InputSchemaError, process_file

    source_uri = f"s3://{task.source[0]}/{task.source[1]}"
    try:
        store = task.store.open()
        target_store = (task.target_store or task.store).open()
        validator = validator_for(task.reference)
        options = ValidationOptions.from_features(task.features)
        with store.open_read(*task.source) as source:
            writer = target_store.writer(*task.target, content_type=PARQUET_CONTENT_TYPE)
            try:
                stats = process_file(
                    source,
                    writer,
                    validator,
                    options,
                    should_cancel=task.stop.watch(),
                    row_groups=task.row_groups,
                    id_seed=task.id_seed,
                )
            except BaseException:
                writer.abort()
                raise
            if stats.cancelled:
                writer.abort()  # a cut-short file must never look like a finished one
                return {"cancelled": True, "rows": stats.rows}
            info = writer.commit()
        if task.live is not None and not target_store.exists(*task.live):
            target_store.delete(*task.target)  # the job ended meanwhile: nobody will merge or delete it
            return {"cancelled": True, "rows": stats.rows}
        return {"rows": stats.rows, "errorRows": stats.error_rows, "size": info.size, "cancelled": False}
    except ReferenceMissing as exc:
        return _error(INTERNAL_ERROR, f"The address index {exc} is missing on a validation worker")
    except InputSchemaError as exc:
        return _error(VALIDATION_ERROR, f"{source_uri}: {exc}")
    except (NoSuchBucket, NoSuchKey) as exc:
        return _error(VALIDATION_ERROR, _missing(task, exc))
    except AccessDenied as exc:
        return _error(VALIDATION_ERROR, f"Access to {source_uri} or the output location was denied: {exc}")
    except (pa.ArrowInvalid, pa.ArrowIOError) as exc:
        return _error(VALIDATION_ERROR, f"{source_uri} is not a readable Parquet file: {exc}")
    except StorageError as exc:
        return _error(INTERNAL_ERROR, f"Could not write s3://{task.target[0]}/{task.target[1]}: {exc}")
    except Exception as exc:  # a bug must fail this job clearly, not kill the worker
        return _error(INTERNAL_ERROR, f"Validating {source_uri} failed: {type(exc).__name__}: {exc}")


def _missing(task: FileTask, exc: NoSuchBucket | NoSuchKey) -> str:
    """What was removed while the job ran: the output bucket (when the error names it and it is not
    also the input's), else the input file."""
    source_bucket, target_bucket = task.source[0], task.target[0]
    if isinstance(exc, NoSuchBucket) and exc.bucket == target_bucket != source_bucket:
        what = "output" if task.live is None else "staging"  # a piece is staged in the internal bucket
        return f"The {what} bucket {target_bucket} does not exist (it was removed while the job ran)"
    return f"s3://{source_bucket}/{task.source[1]} does not exist (it was removed while the job ran)"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
