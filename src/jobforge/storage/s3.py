"""The S3 backend: any S3-compatible endpoint, spoken to through boto3 only.

Writes buffer at most one part in memory (``parts_in_flight`` parts plus one when parts go up in
parallel): small objects go up with one ``PutObject``, larger ones as a multipart upload that is
aborted on any failure so no partial upload lingers. Copies are server-side: one ``CopyObject`` up
to ``copy_threshold`` (5 GiB, S3's limit), a multipart upload of ``UploadPartCopy`` parts beyond.
With an :class:`UploadJournal` (the server's store has one, in ``<data-dir>/s3-uploads/``) every
multipart upload jobforge starts, written or copied, is recorded until it completes or is aborted,
so :meth:`S3ObjectStore.sweep_abandoned_uploads` can abort those a crash (kill -9) left behind.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from jobforge.storage.base import (
    DEFAULT_CHUNK_SIZE,
    STORED_HEADERS,
    MiB,
    ObjectInfo,
    ObjectStore,
    ObjectWriter,
    ServerSideEncryption,
    check_chunk_size,
)
from jobforge.storage.errors import AccessDenied, NoSuchBucket, NoSuchKey, StorageError
from jobforge.storage.journal import UploadJournal, abort_abandoned_uploads
from jobforge.storage.keys import validate_bucket_name, validate_key, validate_prefix
from jobforge.storage.roles import RoleCredentials

DEFAULT_PART_SIZE = 8 * MiB
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_COPY_OBJECT_SIZE = 5 * 1024 * MiB  # above this CopyObject refuses; multipart copy takes over
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000
COPY_PARTS_IN_FLIGHT = 10  # concurrent UploadPartCopy calls of one multipart copy
READ_BUFFER_SIZE = 1 * MiB
_CHECKSUM_FIELDS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")

_BUCKET_MISSING = {"NoSuchBucket"}
_KEY_MISSING = {"NoSuchKey", "404", "NotFound"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AccountProblem",
    "KMS.NotFoundException",  # the encryption key named for a copy
    "KMSAccessDenied",
}
_log = logging.getLogger(__name__)


class S3ObjectStore(ObjectStore):
    """Objects in an S3-compatible service, through a ready boto3 S3 client (thread-safe)."""

    def __init__(
        self,
        client: Any,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        copy_threshold: int = MAX_COPY_OBJECT_SIZE,
        list_page_size: int = 1000,
        journal: UploadJournal | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
        if not MIN_PART_SIZE <= copy_threshold <= MAX_COPY_OBJECT_SIZE:
            raise ValueError(f"copy_threshold must be between {MIN_PART_SIZE} and {MAX_COPY_OBJECT_SIZE}")
        self.client = client
        self.part_size = part_size
        self.copy_threshold = copy_threshold
        self.list_page_size = list_page_size
        self.journal = journal

    def sweep_abandoned_uploads(self) -> int:
        """Abort the multipart uploads journaled by processes that no longer run; how many."""
        if self.journal is None:
            return 0
        return abort_abandoned_uploads(self.journal.directory, self.client)

    def upload_started(self, bucket: str, key: str, upload_id: str) -> None:
        """Journal a multipart upload this process started (no-op without a journal)."""
        if self.journal is not None:
            self.journal.started(self.client.meta.endpoint_url, bucket, key, upload_id)

    def upload_ended(self, upload_id: str) -> None:
        """The upload completed or was aborted."""
        if self.journal is not None:
            self.journal.ended(upload_id)

    @classmethod
    def connect(
        cls,
        endpoint_url: str | None = None,
        *,
        session: boto3.session.Session | None = None,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        config: Config | None = None,
        **store_options: Any,
    ) -> S3ObjectStore:
        """Build a client for ``endpoint_url``; credentials default to the standard AWS chain.

        Explicit credentials (say, from STS AssumeRole) override the environment. Custom endpoints
        get path-style addressing, which S3-compatible servers support without wildcard DNS.
        """
        session = session or boto3.session.Session()
        defaults = Config(s3={"addressing_style": "path"}) if endpoint_url else Config()
        client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region_name or session.region_name or "us-east-1",
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            config=defaults.merge(config) if config else defaults,
        )
        return cls(client, **store_options)

    def with_credentials(self, credentials: RoleCredentials, region: str | None = None) -> S3ObjectStore:
        return S3ObjectStore.connect(
            self.client.meta.endpoint_url,
            region_name=region or self.client.meta.region_name,
            part_size=self.part_size,
            copy_threshold=self.copy_threshold,
            list_page_size=self.list_page_size,
            journal=self.journal,
            **credentials.client_options(),
        )

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.client.meta.endpoint_url!r})"

    # -- buckets --------------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> None:
        validate_bucket_name(bucket)
        params: dict[str, Any] = {"Bucket": bucket}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**params)
        except ClientError as exc:
            if _code(exc) != "BucketAlreadyOwnedByYou":
                raise _translate(exc, "CreateBucket", bucket) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, "CreateBucket", bucket) from exc

    def bucket_exists(self, bucket: str) -> bool:
        validate_bucket_name(bucket)
        try:
            self.client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if _code(exc) in _BUCKET_MISSING | _KEY_MISSING:
                return False
            raise _translate(exc, "HeadBucket", bucket) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, "HeadBucket", bucket) from exc
        return True

    # -- reading --------------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> ObjectInfo:
        self._check(bucket, key)
        try:
            response = self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _KEY_MISSING and not self.bucket_exists(bucket):
                raise _no_such_bucket(bucket) from exc  # a bare 404 does not say which is missing
            raise _translate(exc, "HeadObject", bucket, key) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, "HeadObject", bucket, key) from exc
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=response["ContentLength"],
            etag=_etag(response),
            last_modified=response["LastModified"],
            content_type=response.get("ContentType"),
            metadata=response.get("Metadata") or {},
            headers={name: response[name] for name in STORED_HEADERS if response.get(name)},
        )

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        info = self.head(bucket, key)
        raw = _RangeReader(self.client, info)
        return io.BufferedReader(raw, READ_BUFFER_SIZE)  # type: ignore[return-value]

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        self._check(bucket, key)
        check_chunk_size(chunk_size)
        return self._iter_chunks(bucket, key, chunk_size)

    def _iter_chunks(self, bucket: str, key: str, chunk_size: int) -> Iterator[bytes]:
        body = self._get_body(bucket, key)
        try:
            while chunk := _call(body.read, chunk_size, op="GetObject", bucket=bucket, key=key):
                yield chunk
        finally:
            body.close()

    def get_bytes(self, bucket: str, key: str) -> bytes:
        self._check(bucket, key)
        body = self._get_body(bucket, key)
        try:
            return _call(body.read, op="GetObject", bucket=bucket, key=key)
        finally:
            body.close()

    def _get_body(self, bucket: str, key: str) -> Any:
        return self._request("get_object", "GetObject", bucket, key, Bucket=bucket, Key=key)["Body"]

    def list_objects(
        self, bucket: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[ObjectInfo]:
        validate_bucket_name(bucket)
        validate_prefix(prefix, bucket=bucket, allow_empty_segments=True)
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if start_after:
            params["StartAfter"] = start_after
        return self._list(bucket, params)

    def _list(self, bucket: str, params: dict[str, Any]) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(**params, PaginationConfig={"PageSize": self.list_page_size})
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    yield ObjectInfo(
                        bucket=bucket,
                        key=item["Key"],
                        size=item["Size"],
                        etag=item["ETag"].strip('"'),
                        last_modified=item["LastModified"],
                    )
        except ClientError as exc:
            raise _translate(exc, "ListObjectsV2", bucket) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, "ListObjectsV2", bucket) from exc

    # -- writing --------------------------------------------------------------------------------
    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str | None = None,
        *,
        parts_in_flight: int = 1,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ObjectWriter:
        self._check(bucket, key)
        if parts_in_flight < 1:
            raise ValueError(f"parts_in_flight must be at least 1, got {parts_in_flight}")
        writer = _S3Writer(self, bucket, key, content_type, parts_in_flight)
        writer.extra = {**(headers or {}), **({"Metadata": dict(metadata)} if metadata else {})}
        return writer

    def put_bytes(
        self, bucket: str, key: str, data: bytes | bytearray | memoryview, content_type: str | None = None
    ) -> ObjectInfo:
        self._check(bucket, key)
        if len(data) > self.part_size:
            return super().put_bytes(bucket, key, data, content_type)
        return self._put_object(bucket, key, bytes(data), content_type)

    def _put_object(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None,
        more: Mapping[str, Any] | None = None,
    ) -> ObjectInfo:
        extra = {**(more or {}), **({"ContentType": content_type} if content_type else {})}
        response = self._request(
            "put_object", "PutObject", bucket, key, Bucket=bucket, Key=key, Body=data, **extra
        )
        return _written(bucket, key, len(data), response, content_type)

    def delete(self, bucket: str, key: str) -> None:
        self._check(bucket, key)
        self._request("delete_object", "DeleteObject", bucket, key, Bucket=bucket, Key=key)

    def copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        size: int | None = None,
        encryption: ServerSideEncryption | None = None,
    ) -> ObjectInfo:
        self._check(src_bucket, src_key)
        self._check(dst_bucket, dst_key)
        source = None
        if size is None:
            source = self.head(src_bucket, src_key)
            size = source.size
        if (src_bucket, src_key) == (dst_bucket, dst_key) and encryption is None:
            return source or self.head(src_bucket, src_key)  # S3 refuses a copy that changes nothing
        extra: dict[str, Any] = dict(_encryption_args(encryption))
        if size <= self.copy_threshold:  # one CopyObject: atomic, keeps metadata and the MD5 ETag
            response = self._request(
                "copy_object",
                "CopyObject",
                dst_bucket,
                dst_key,
                CopySource={"Bucket": src_bucket, "Key": src_key},
                Bucket=dst_bucket,
                Key=dst_key,
                **extra,
            )
            result = response.get("CopyObjectResult", {})
            modified = result.get("LastModified") or datetime.now(UTC)
            content_type = source.content_type if source is not None else None
            return ObjectInfo(dst_bucket, dst_key, size, _etag(result), modified, content_type)
        if source is None:
            source = self.head(src_bucket, src_key)  # the new upload must carry its content type
        if source.content_type:
            extra["ContentType"] = source.content_type
        extra.update(source.headers)  # a new upload: its metadata must be given again
        if source.metadata:
            extra["Metadata"] = dict(source.metadata)
        self._copy_in_parts(source, dst_bucket, dst_key, extra)
        return self.head(dst_bucket, dst_key)

    def _copy_in_parts(self, source: ObjectInfo, bucket: str, key: str, extra: dict[str, Any]) -> None:
        """A journaled multipart upload of ranged ``UploadPartCopy`` parts, several at once.

        Parts grow beyond ``part_size`` when 10,000 of them would not hold the object.
        """
        part_size = min(max(self.part_size, -(-source.size // MAX_PARTS)), MAX_PART_SIZE)
        count = -(-source.size // part_size)
        copy_source = {"Bucket": source.bucket, "Key": source.key}
        upload_id = self._start_upload(bucket, key, extra)

        def copy_part(number: int) -> dict[str, Any]:
            first = (number - 1) * part_size
            last = min(first + part_size, source.size) - 1
            response = self._request(
                "upload_part_copy",
                "UploadPartCopy",
                bucket,
                key,
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource=copy_source,
                CopySourceRange=f"bytes={first}-{last}",
            )
            return _part(number, response["CopyPartResult"])

        pool = ThreadPoolExecutor(min(COPY_PARTS_IN_FLIGHT, count), thread_name_prefix="s3-copy-part")
        try:
            futures = [pool.submit(copy_part, number) for number in range(1, count + 1)]
            self._complete_upload(bucket, key, upload_id, [future.result() for future in futures])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            try:
                self._abort_upload(bucket, key, upload_id)
            except StorageError:
                _log.warning("Could not abort the copy to %r in bucket %r", key, bucket, exc_info=True)
            raise
        finally:
            pool.shutdown(wait=False)

    # -- multipart uploads, journaled -----------------------------------------------------------
    def _start_upload(self, bucket: str, key: str, extra: Mapping[str, Any]) -> str:
        """Create a multipart upload and journal it before any part is sent."""
        response = self._request(
            "create_multipart_upload", "CreateMultipartUpload", bucket, key, Bucket=bucket, Key=key, **extra
        )
        upload_id = str(response["UploadId"])
        self.upload_started(bucket, key, upload_id)
        return upload_id

    def _complete_upload(self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]) -> Any:
        response = self._request(
            "complete_multipart_upload",
            "CompleteMultipartUpload",
            bucket,
            key,
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
        self.upload_ended(upload_id)
        return response

    def _abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort; an upload that could not be aborted stays journaled for the next start's sweep."""
        self._request(
            "abort_multipart_upload",
            "AbortMultipartUpload",
            bucket,
            key,
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
        )
        self.upload_ended(upload_id)

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _check(bucket: str, key: str) -> None:
        validate_bucket_name(bucket)
        validate_key(key, bucket=bucket, allow_empty_segments=True)

    def _request(self, method: str, op: str, bucket: str, key: str | None, **params: Any) -> Any:
        """Call a client method, turning boto errors into storage errors."""
        try:
            return getattr(self.client, method)(**params)
        except ClientError as exc:
            raise _translate(exc, op, bucket, key) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, op, bucket, key) from exc


class _S3Writer(ObjectWriter):
    """Buffers at most one part; switches to a multipart upload once a full part is reached.

    With ``parts_in_flight`` > 1 parts go up from a small thread pool, the writer blocking while
    that many are under way; a failed part fails the next write or the commit.
    """

    def __init__(
        self, store: S3ObjectStore, bucket: str, key: str, content_type: str | None, parts_in_flight: int
    ) -> None:
        super().__init__(bucket, key)
        self._store = store
        self._content_type = content_type
        self.extra: dict[str, Any] = {}  # Metadata and stored headers for PutObject / CreateMultipartUpload
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._in_flight = parts_in_flight
        self._slots = threading.BoundedSemaphore(parts_in_flight)
        self._pool: ThreadPoolExecutor | None = None

    def _write(self, data: memoryview) -> None:
        part_size = self._store.part_size
        while data:
            room = part_size - len(self._buffer)
            self._buffer += data[:room]
            data = data[room:]
            if len(self._buffer) >= part_size:
                self._send_part()

    def _send_part(self) -> None:
        if self._upload_id is None:
            extra = {**self.extra, **({"ContentType": self._content_type} if self._content_type else {})}
            self._upload_id = self._store._start_upload(self.bucket, self.key, extra)
            if self._in_flight > 1:
                self._pool = ThreadPoolExecutor(self._in_flight, thread_name_prefix="s3-part")
        body, self._buffer = self._buffer, bytearray()  # hand the buffer over: no copy
        number = len(self._parts) + 1
        if self._pool is None:
            done: Future[dict[str, Any]] = Future()
            done.set_result(self._upload_part(self._upload_id, number, body))
            self._parts.append(done)
            return
        for earlier in self._parts:  # surface a failed part early
            if earlier.done() and (error := earlier.exception()) is not None:
                raise error
        self._slots.acquire()
        try:
            self._parts.append(self._pool.submit(self._upload_part, self._upload_id, number, body, True))
        except BaseException:
            self._slots.release()
            raise

    def _upload_part(
        self, upload_id: str, number: int, body: bytearray, slot: bool = False
    ) -> dict[str, Any]:
        try:
            response = self._store._request(
                "upload_part",
                "UploadPart",
                self.bucket,
                self.key,
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
            )
            return _part(number, response)
        finally:
            if slot:
                self._slots.release()

    def _commit(self) -> ObjectInfo:
        store = self._store
        if self._upload_id is None:
            data, self._buffer = bytes(self._buffer), bytearray()
            return self._kept(store._put_object(self.bucket, self.key, data, self._content_type, self.extra))
        if self._buffer:
            self._send_part()
        parts = [future.result() for future in self._parts]
        response = store._complete_upload(self.bucket, self.key, self._upload_id, parts)
        self._upload_id = None
        self._stop_pool(wait=False)
        return self._kept(_written(self.bucket, self.key, self._written, response, self._content_type))

    def _kept(self, info: ObjectInfo) -> ObjectInfo:
        """``info`` with the metadata and headers this upload stored."""
        headers = {name: self.extra[name] for name in STORED_HEADERS if name in self.extra}
        return dataclasses.replace(info, metadata=self.extra.get("Metadata", {}), headers=headers)

    def _abort(self) -> None:
        self._buffer = bytearray()
        self._stop_pool(wait=True)  # no part may land after the abort
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            self._store._abort_upload(self.bucket, self.key, upload_id)

    def _stop_pool(self, wait: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None


class _RangeReader(io.RawIOBase):
    """Random access to one object version through ranged GETs, each pinned by ``If-Match``.

    Wrapped in a BufferedReader, so each GET fetches at least a buffer's worth; the ETag pin makes
    a concurrent overwrite fail the read instead of mixing two versions.
    """

    def __init__(self, client: Any, info: ObjectInfo) -> None:
        super().__init__()
        self._client = client
        self._info = info
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._info.size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._pos + view.nbytes, self._info.size)
        if end <= self._pos:
            return 0
        info = self._info
        count = 0
        try:
            response = self._client.get_object(
                Bucket=info.bucket,
                Key=info.key,
                Range=f"bytes={self._pos}-{end - 1}",
                IfMatch=f'"{info.etag}"',
            )
            with response["Body"] as body:
                while count < end - self._pos:  # straight into the caller's buffer, 1 MiB at a time
                    piece = body.read(min(end - self._pos - count, READ_BUFFER_SIZE))
                    if not piece:
                        break
                    view[count : count + len(piece)] = piece
                    count += len(piece)
        except ClientError as exc:
            if _code(exc) in {"PreconditionFailed", "412"}:
                raise StorageError(
                    f"Object {info.key!r} in bucket {info.bucket!r} changed while being read",
                    info.bucket,
                    info.key,
                ) from exc
            raise _translate(exc, "GetObject", info.bucket, info.key) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, "GetObject", info.bucket, info.key) from exc
        self._pos += count
        return count

    def readall(self) -> bytes:
        """The rest of the object in one GET (the default would issue one per 8 KiB)."""
        remaining = bytearray(max(self._info.size - self._pos, 0))
        filled = 0
        while filled < len(remaining) and (count := self.readinto(memoryview(remaining)[filled:])):
            filled += count
        del remaining[filled:]
        return bytes(remaining)


def _call(func: Any, *args: Any, op: str, bucket: str, key: str | None) -> Any:
    try:
        return func(*args)
    except ClientError as exc:
        raise _translate(exc, op, bucket, key) from exc
    except BotoCoreError as exc:
        raise _unreachable(exc, op, bucket, key) from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: ClientError, op: str, bucket: str, key: str | None = None) -> StorageError:
    """Map an S3 error code onto the backend-neutral storage errors."""
    code = _code(exc)
    message = exc.response.get("Error", {}).get("Message") or code
    if code in _BUCKET_MISSING or (code in _KEY_MISSING and key is None):
        return _no_such_bucket(bucket)
    if code in _KEY_MISSING:
        return NoSuchKey(f"The key {key!r} does not exist in bucket {bucket!r}", bucket, key)
    if code in _DENIED:
        where = f"{key!r} in bucket {bucket!r}" if key else f"bucket {bucket!r}"
        return AccessDenied(f"{op} on {where} was denied: {message}", bucket, key)
    return StorageError(f"{op} failed for bucket {bucket!r} key {key!r}: {code}: {message}", bucket, key)


def _unreachable(exc: BotoCoreError, op: str, bucket: str, key: str | None = None) -> StorageError:
    return StorageError(f"{op} failed for bucket {bucket!r} key {key!r}: {exc}", bucket, key)


def _no_such_bucket(bucket: str) -> NoSuchBucket:
    return NoSuchBucket(f"The bucket {bucket!r} does not exist", bucket)


def _part(number: int, response: Mapping[str, Any]) -> dict[str, Any]:
    """A CompleteMultipartUpload part entry from an UploadPart or UploadPartCopy result."""
    part = {"PartNumber": number, "ETag": response["ETag"]}
    for field in _CHECKSUM_FIELDS:
        if response.get(field):
            part[field] = response[field]
    return part


def _encryption_args(encryption: ServerSideEncryption | None) -> dict[str, str]:
    if encryption is None:
        return {}
    args = {"ServerSideEncryption": encryption.algorithm}
    if encryption.kms_key_id:
        args["SSEKMSKeyId"] = encryption.kms_key_id
    return args


def _etag(response: Mapping[str, Any]) -> str:
    return str(response.get("ETag", "")).strip('"')


def _written(
    bucket: str, key: str, size: int, response: Mapping[str, Any], content_type: str | None
) -> ObjectInfo:
    """ObjectInfo for an upload: S3 returns no LastModified on writes, so its Date header stands in."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        when = parsedate_to_datetime(headers["date"])
    except (KeyError, TypeError, ValueError):
        when = datetime.now(UTC)
    return ObjectInfo(bucket, key, size, _etag(response), when, content_type or "binary/octet-stream")
