"""Moving asset bytes: copies for imports and exports, streaming writes for signed-URL uploads.

Everything goes through the object store, except two S3 fast paths that the generic interface
cannot express: a copy that applies the export's server-side encryption and skips the extra HEAD
requests (the source size is known), and an upload that sends a few multipart parts at once.
Both stay atomic: a copy is one CopyObject (or a managed multipart copy above 5 GiB), and an
unfinished multipart upload is aborted, so nothing appears under the key.
"""

from __future__ import annotations

import io
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from jobforge.storage import (
    AccessDenied,
    NoSuchBucket,
    NoSuchKey,
    ObjectInfo,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    validate_bucket_name,
    validate_key,
)

PARTS_IN_FLIGHT = 3  # concurrent UploadPart calls of one signed-URL upload
COPY_CHUNK = 8 * 1024 * 1024
MAX_SINGLE_COPY = 5 * 1024**3  # CopyObject's limit


class ByteSink(Protocol):
    """What an upload writes into: an ObjectWriter or a :class:`ParallelS3Upload`."""

    def write(self, data: bytes | bytearray) -> int: ...

    def commit(self) -> ObjectInfo: ...

    def abort(self) -> None: ...


def encryption_args(encryption: dict[str, Any] | None) -> dict[str, str]:
    """ExportServerSideEncryption -> S3 copy arguments."""
    if not encryption:
        return {}
    args = {"ServerSideEncryption": encryption["Type"]}
    if encryption["Type"] == "aws:kms" and encryption.get("KmsKeyArn"):
        args["SSEKMSKeyId"] = encryption["KmsKeyArn"]
    return args


def _storage_error(exc: ClientError | BotoCoreError, op: str, bucket: str, key: str | None) -> StorageError:
    if isinstance(exc, BotoCoreError):
        return StorageError(f"{op} on s3://{bucket}/{key} failed: {exc}", bucket, key)
    code = str(exc.response.get("Error", {}).get("Code", ""))
    message = (
        f"{op} on s3://{bucket}/{key} failed: {code}: {exc.response.get('Error', {}).get('Message', '')}"
    )
    if code == "NoSuchBucket":
        return NoSuchBucket(message, bucket)
    if code in ("NoSuchKey", "404", "NotFound"):
        return NoSuchKey(message, bucket, key)
    if code in ("AccessDenied", "403", "Forbidden", "KMS.NotFoundException", "KMSAccessDenied"):
        return AccessDenied(message, bucket, key)
    return StorageError(message, bucket, key)


def copy_object(
    store: ObjectStore,
    src_bucket: str,
    src_key: str,
    dst_bucket: str,
    dst_key: str,
    encryption: dict[str, Any] | None = None,
    source: ObjectInfo | None = None,
) -> ObjectInfo:
    """Copy one object atomically (``source``: its HEAD, when the caller has it already).

    On S3 the copy is server-side and encrypted as ``encryption`` asks; the local store has no
    encryption at rest, so there the setting is recorded by the job, not applied.
    """
    if not isinstance(store, S3ObjectStore):
        return _stream_copy(store, src_bucket, src_key, dst_bucket, dst_key)
    validate_bucket_name(dst_bucket)
    validate_key(dst_key, bucket=dst_bucket, allow_empty_segments=True)
    if source is None:
        source = store.head(src_bucket, src_key)
    extra: dict[str, Any] = encryption_args(encryption)  # content type and metadata are copied
    client = store.client
    try:
        if source.size <= MAX_SINGLE_COPY:
            response = client.copy_object(
                CopySource={"Bucket": src_bucket, "Key": src_key},
                Bucket=dst_bucket,
                Key=dst_key,
                **extra,
            )
            result = response.get("CopyObjectResult", {})
            return ObjectInfo(
                dst_bucket,
                dst_key,
                source.size,
                str(result.get("ETag", "")).strip('"'),
                result.get("LastModified") or datetime.now(UTC),
                source.content_type,
            )
        config = TransferConfig(multipart_threshold=MAX_SINGLE_COPY, multipart_chunksize=store.part_size)
        client.copy(
            {"Bucket": src_bucket, "Key": src_key},
            dst_bucket,
            dst_key,
            ExtraArgs=extra,
            Config=config,
            SourceClient=client,
        )
    except (ClientError, BotoCoreError) as exc:
        raise _storage_error(exc, "CopyObject", dst_bucket, dst_key) from exc
    return store.head(dst_bucket, dst_key)


def probe(store: ObjectStore, bucket: str, key: str) -> ObjectInfo | int:
    """Check a source object exists and learn its size, as cheaply as the store allows: a HEAD on
    S3; elsewhere opening the file (HEAD would hash files that were dropped in by hand)."""
    if isinstance(store, S3ObjectStore):
        return store.head(bucket, key)
    with store.open_read(bucket, key) as stream:
        return stream.seek(0, io.SEEK_END)


def _stream_copy(
    store: ObjectStore, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str
) -> ObjectInfo:
    """One read pass through the store's atomic writer (which computes the MD5 as it writes)."""
    if (src_bucket, src_key) == (dst_bucket, dst_key):
        return store.head(src_bucket, src_key)
    with store.open_read(src_bucket, src_key) as stream, store.writer(dst_bucket, dst_key) as out:
        shutil.copyfileobj(stream, out, COPY_CHUNK)  # type: ignore[misc]
    return out.info


def open_sink(store: ObjectStore, bucket: str, key: str) -> ByteSink:
    """A streaming, atomic upload of ``key``: parallel multipart on S3, the store's writer elsewhere."""
    if isinstance(store, S3ObjectStore):
        validate_bucket_name(bucket)
        validate_key(key, bucket=bucket, allow_empty_segments=True)
        return ParallelS3Upload(store, bucket, key)
    return store.writer(bucket, key)


class ParallelS3Upload:
    """A multipart upload sending up to PARTS_IN_FLIGHT parts at once; at most that many parts
    plus one being filled are in memory. Small objects go up in one PutObject."""

    def __init__(self, store: S3ObjectStore, bucket: str, key: str) -> None:
        self.store = store
        self.bucket = bucket
        self.key = key
        self.part_size = store.part_size
        self._buffer = bytearray()
        self._size = 0
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._slots = threading.BoundedSemaphore(PARTS_IN_FLIGHT)
        self._pool: ThreadPoolExecutor | None = None
        self._done = False

    def _call(self, method: str, op: str, **params: Any) -> Any:
        try:
            return getattr(self.store.client, method)(Bucket=self.bucket, Key=self.key, **params)
        except (ClientError, BotoCoreError) as exc:
            raise _storage_error(exc, op, self.bucket, self.key) from exc

    def write(self, data: bytes | bytearray) -> int:
        """Parts are at least ``part_size`` (S3 allows parts of any size from 5 MiB up), so a big
        piece becomes a part as it is, without copying."""
        self._size += len(data)
        if not self._buffer and len(data) >= self.part_size:
            self._send(data)
            return len(data)
        self._buffer += data
        if len(self._buffer) >= self.part_size:
            part, self._buffer = self._buffer, bytearray()
            self._send(part)
        return len(data)

    def _send(self, part: bytes | bytearray) -> None:
        if self._upload_id is None:
            self._upload_id = self._call("create_multipart_upload", "CreateMultipartUpload")["UploadId"]
            self.store.upload_started(self.bucket, self.key, self._upload_id)
            self._pool = ThreadPoolExecutor(PARTS_IN_FLIGHT, thread_name_prefix="dataexchange-part")
        for earlier in self._parts:  # surface a failed part early
            if earlier.done() and earlier.exception() is not None:
                raise earlier.exception()  # type: ignore[misc]
        self._slots.acquire()
        number = len(self._parts) + 1
        assert self._pool is not None
        self._parts.append(self._pool.submit(self._upload_part, number, part))

    def _upload_part(self, number: int, body: bytes | bytearray) -> dict[str, Any]:
        try:
            response = self._call(
                "upload_part", "UploadPart", UploadId=self._upload_id, PartNumber=number, Body=body
            )
            return {"PartNumber": number, "ETag": response["ETag"]}
        finally:
            self._slots.release()

    def commit(self) -> ObjectInfo:
        try:
            if self._upload_id is None:
                body, self._buffer = bytes(self._buffer), bytearray()
                response = self._call("put_object", "PutObject", Body=body)
                etag = str(response.get("ETag", "")).strip('"')
            else:
                if self._buffer:
                    part, self._buffer = self._buffer, bytearray()
                    self._send(part)
                parts = [future.result() for future in self._parts]
                response = self._call(
                    "complete_multipart_upload",
                    "CompleteMultipartUpload",
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": parts},
                )
                self.store.upload_ended(self._upload_id)
                etag = str(response.get("ETag", "")).strip('"')
        except BaseException:
            self.abort()
            raise
        self._finish()
        return ObjectInfo(self.bucket, self.key, self._size, etag, datetime.now(UTC), None)

    def abort(self) -> None:
        if self._done:
            return
        self._buffer = bytearray()
        for future in self._parts:
            future.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._upload_id is not None:
            try:
                self._call("abort_multipart_upload", "AbortMultipartUpload", UploadId=self._upload_id)
                self.store.upload_ended(self._upload_id)
            finally:
                self._finish()
        self._finish()

    def _finish(self) -> None:
        self._done = True
        self._upload_id = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
