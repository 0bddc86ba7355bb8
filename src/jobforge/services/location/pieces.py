"""Input files split by row groups into pieces, and the pieces' outputs merged back into one file.

An input file larger than ``split_bytes`` (``JOBFORGE_LOCATION_SPLIT_BYTES``) is cut into contiguous
ranges of row groups of at most about ``split_bytes`` compressed bytes each (:func:`split_row_groups`,
from the footer alone). Each range is validated on its own worker task
(:func:`~jobforge.services.location.file_worker.transform_file` with ``row_groups``) into an object
of the internal bucket (:class:`Staging`), keyed by job id, file index and piece index, so that a
task delivered twice rewrites the same key. :func:`merge_pieces`, a worker task too, then streams
the staged row groups in order into the file's part file (one row group in memory at a time) and
publishes it atomically; the job deletes the staged objects when it ends, however it ends, and
restart recovery's cleanup deletes those of a job that died. A piece that commits after that (a
revoked task on another node, a task delivered twice) finds the job's *live* marker gone and
deletes what it wrote: the marker is made before the pieces are sent and deleted first when the
staged objects go, so a piece's object is either listed for deletion or deleted by the piece.

Row ids are fixed by the job, the file and the row's index in the file, and output row groups
never span input row groups, so the merged file holds exactly the rows, in the same order and row
groups, that validating the whole file at once gives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Protocol

from jobforge.services.location.file_worker import INTERNAL_ERROR, PARQUET_CONTENT_TYPE, VALIDATION_ERROR
from jobforge.services.location.stop import StopSignal
from jobforge.storage import NoSuchBucket, ObjectStore, StorageError, StoreSpec

PIECES = "pieces/"  # the staging objects' prefix in the internal bucket

log = logging.getLogger("jobforge.location")


class _RowGroup(Protocol):
    num_columns: int

    def column(self, index: int) -> Any: ...


class FooterMetadata(Protocol):
    """What :func:`split_row_groups` reads of a footer (``pyarrow.parquet.FileMetaData``)."""

    num_row_groups: int

    def row_group(self, index: int) -> _RowGroup: ...


def split_row_groups(metadata: FooterMetadata, size: int, split_bytes: int) -> list[tuple[int, int]]:
    """The pieces of a file of ``size`` bytes: ranges (first, end) of row groups, in order.

    One piece, the whole file, when splitting is off (``split_bytes`` 0), the file is not larger
    than ``split_bytes`` or it has fewer than two row groups. Otherwise consecutive row groups go
    together while their compressed bytes stay within ``split_bytes`` (a larger row group is a
    piece of its own)."""
    groups = metadata.num_row_groups
    if split_bytes <= 0 or size <= split_bytes or groups < 2:
        return [(0, groups)]
    pieces: list[tuple[int, int]] = []
    first = held = 0
    for index in range(groups):
        group = metadata.row_group(index)
        size_of = sum(group.column(c).total_compressed_size for c in range(group.num_columns))
        if index > first and held + size_of > split_bytes:
            pieces.append((first, index))
            first, held = index, 0
        held += size_of
    pieces.append((first, groups))
    return pieces


def row_id_seed(job_id: str, file_index: int) -> bytes:
    """The seed of the ``Output_Id`` values of one input file of a job (16 bytes)."""
    return sha256(f"jobforge-location/{job_id}/{file_index}".encode()).digest()[:16]


class Staging:
    """The internal bucket holding the pieces' outputs, at ``pieces/<job id>/<file>/<piece>.parquet``.

    The bucket is reserved (:meth:`~jobforge.storage.BucketPolicy.reserve`): no user request can
    name it. It is reached with the server's own access, never a job's execution role."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self.store = store
        self.bucket = bucket
        store.policy.reserve(bucket)

    def ensure_bucket(self) -> None:
        self.store.create_bucket(self.bucket)

    @staticmethod
    def prefix(job_id: str) -> str:
        return f"{PIECES}{job_id}/"

    def live_marker(self, job_id: str) -> tuple[str, str]:
        """The object that exists while the job may stage pieces (bucket, key)."""
        return self.bucket, f"{self.prefix(job_id)}live"

    def open_for(self, job_id: str) -> None:
        """Make the bucket and the job's live marker, before its pieces are sent."""
        self.ensure_bucket()
        self.store.put_bytes(*self.live_marker(job_id), b"")

    def stop_signal(self, spec: StoreSpec, job_id: str, attempt: int) -> StopSignal:
        """The signal that stops this attempt's pieces (``spec``: the server's access to the bucket)."""
        return StopSignal(spec, self.bucket, f"{self.prefix(job_id)}stop-{attempt}")

    def key(self, job_id: str, file_index: int, piece_index: int) -> str:
        return f"{self.prefix(job_id)}{file_index:05d}/{piece_index:05d}.parquet"

    def keys(self, job_id: str) -> list[str]:
        """The staged objects of a job (none when the bucket does not exist)."""
        try:
            return [info.key for info in self.store.list_objects(self.bucket, self.prefix(job_id))]
        except NoSuchBucket:
            return []

    def discard(self, job_id: str) -> int:
        """Delete a job's staged objects, its live marker first; how many there were. Never raises:
        it runs while a job ends for another reason, and a store that refuses is logged, not allowed
        to change that."""
        try:
            self.store.delete(*self.live_marker(job_id))
        except NoSuchBucket:
            pass
        except StorageError as exc:
            log.warning("could not delete a live marker", extra={"job_id": job_id, "error": str(exc)})
        try:
            keys = self.keys(job_id)
        except StorageError as exc:
            log.warning("could not list staged pieces", extra={"job_id": job_id, "error": str(exc)})
            return 0
        for key in keys:
            try:
                self.store.delete(self.bucket, key)
            except StorageError as exc:
                log.warning("could not delete a staged piece", extra={"key": key, "error": str(exc)})
        return len(keys)


@dataclass(frozen=True)
class MergeTask:
    """Stream the staged ``pieces`` (in order) into ``target``; stop (publishing nothing) once
    ``stop`` is sent."""

    staging: StoreSpec
    pieces: tuple[tuple[str, str], ...]  # bucket, key
    store: StoreSpec  # where ``target`` is
    target: tuple[str, str]
    stop: StopSignal


def merge_pieces(task: MergeTask) -> dict[str, Any]:
    """Run one merge; never raises: ``{"rows", "errorRows", "cancelled"}`` or ``{"error": {...}}``."""
    import pyarrow as pa

    target_uri = f"s3://{task.target[0]}/{task.target[1]}"
    try:
        staging = task.staging.open()
        writer = task.store.open().writer(*task.target, content_type=PARQUET_CONTENT_TYPE)
        try:
            rows, error_rows, cancelled = _copy_row_groups(staging, task, writer)
        except BaseException:
            writer.abort()
            raise
        if cancelled:
            writer.abort()  # a cut-short file must never look like a finished one
            return {"cancelled": True, "rows": rows}
        writer.commit()
        return {"rows": rows, "errorRows": error_rows, "cancelled": False}
    except NoSuchBucket as exc:
        if exc.bucket != task.target[0]:
            return _error(f"Could not merge the pieces of {target_uri}: {exc}")
        message = f"The output bucket {exc.bucket} does not exist (it was removed while the job ran)"
        return _error(message, VALIDATION_ERROR)
    except (StorageError, pa.ArrowInvalid, pa.ArrowIOError) as exc:
        return _error(f"Could not merge the pieces of {target_uri}: {exc}")
    except Exception as exc:  # a bug must fail this job clearly, not kill the worker
        return _error(f"Merging the pieces of {target_uri} failed: {type(exc).__name__}: {exc}")


def _copy_row_groups(staging: ObjectStore, task: MergeTask, out: Any) -> tuple[int, int, bool]:
    """Row group by row group from every piece into ``out``: (rows, error rows, cancelled)."""
    import pyarrow.parquet as pq

    from jobforge.services.location.parquet_io import OutputWriter

    rows = error_rows = 0
    stopped = task.stop.watch()
    writer: OutputWriter | None = None
    try:
        for bucket, key in task.pieces:
            with staging.open_read(bucket, key) as stream:
                piece = pq.ParquetFile(stream)
                if writer is None:
                    writer = OutputWriter(out, piece.schema_arrow)
                for index in range(piece.num_row_groups):
                    if stopped():
                        return rows, error_rows, True
                    table = piece.read_row_group(index, use_threads=False)
                    writer.write_row_group(table)
                    rows += table.num_rows
                    error_rows += table.num_rows - table.column("ErrorType").null_count
    finally:
        if writer is not None:
            writer.close()
    return rows, error_rows, False


def _error(message: str, code: str = INTERNAL_ERROR) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
