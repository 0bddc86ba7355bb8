"""The object-store interface every backend implements, and the helpers shared by all of them."""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import BinaryIO, Self

from jobforge.storage.errors import MultipartUnsupported, NoSuchBucket, NoSuchKey, StorageError
from jobforge.storage.policy import BucketPolicy
from jobforge.storage.roles import RoleCredentials

MiB = 1024 * 1024
_log = logging.getLogger(__name__)
DEFAULT_CHUNK_SIZE = 8 * MiB


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing or HEAD says about one object."""

    bucket: str
    key: str
    size: int
    etag: str  # without quotes; MD5 hex locally, whatever S3 returned on S3
    last_modified: datetime  # timezone-aware (UTC)
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata (x-amz-meta-*), lowercase names
    headers: Mapping[str, str] = field(default_factory=dict)  # STORED_HEADERS kept with the object


# Standard headers S3 keeps with an object besides its content type (botocore member names).
STORED_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")


@dataclass(frozen=True)
class MultipartUpload:
    """A multipart upload in progress: the parts it receives become ``key`` once it is completed."""

    bucket: str
    key: str
    upload_id: str
    initiated: datetime  # timezone-aware (UTC)
    content_type: str | None = None
    initiator: str | None = None  # the account that began it
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata the object will carry
    headers: Mapping[str, str] = field(default_factory=dict)  # stored headers, checksum algorithm and type


@dataclass(frozen=True)
class PartInfo:
    """One uploaded part of a multipart upload."""

    number: int
    etag: str  # MD5 hex of the part, without quotes
    size: int
    last_modified: datetime
    checksums: Mapping[str, str] = field(default_factory=dict)  # verified ChecksumCRC32... of the part


def multipart_etag(part_etags: Sequence[str]) -> str:
    """S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then ``-<part count>``."""
    digest = hashlib.md5(usedforsecurity=False)
    for etag in part_etags:
        digest.update(bytes.fromhex(etag))
    return f"{digest.hexdigest()}-{len(part_etags)}"


@dataclass(frozen=True)
class ServerSideEncryption:
    """How a backend that encrypts at rest should encrypt a new object (S3's SSE settings)."""

    algorithm: str  # "AES256" or "aws:kms"
    kms_key_id: str | None = None


class ObjectWriter(ABC):
    """A streaming upload that becomes visible under its key only when committed.

    Use it as a context manager: a clean exit commits, an exception aborts (no object is created
    and nothing is left behind). One writer belongs to one thread.
    """

    def __init__(self, bucket: str, key: str) -> None:
        self.bucket = bucket
        self.key = key
        self._info: ObjectInfo | None = None
        self._aborted = False
        self._written = 0
        self.late_headers: dict[str, str] = {}  # see keep_headers

    # -- what backends implement ----------------------------------------------------------------
    @abstractmethod
    def _write(self, data: memoryview) -> None:
        """Accept the next bytes of the object."""

    @abstractmethod
    def _commit(self) -> ObjectInfo:
        """Publish the object atomically and describe it."""

    @abstractmethod
    def _abort(self) -> None:
        """Discard everything written so far; must not raise for an already-clean state."""

    # -- public API -----------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once the writer was committed or aborted."""
        return self._info is not None or self._aborted

    @property
    def info(self) -> ObjectInfo:
        """The committed object; only available after :meth:`commit`."""
        if self._info is None:
            raise StorageError(f"Object {self.key!r} has not been committed", self.bucket, self.key)
        return self._info

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data`` to the object; returns the number of bytes accepted (all of them)."""
        if self.closed:
            raise StorageError(f"Writer for {self.key!r} is already closed", self.bucket, self.key)
        view = memoryview(data).cast("B")
        if view.nbytes:
            try:
                self._write(view)
            except BaseException:
                self._abort_after_failure()
                raise
            self._written += view.nbytes
        return view.nbytes

    def keep_headers(self, headers: Mapping[str, str]) -> None:
        """Headers known only once the bytes are written (verified trailing checksums), kept with
        the object when it is committed. The local store keeps them; the S3 backend leaves them to
        S3, which computes its own checksums."""
        self.late_headers.update(headers)

    def tell(self) -> int:
        """Bytes written so far (lets zipfile and similar writers stream into us)."""
        return self._written

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        """Nothing to push early: data becomes visible only at commit."""
        if self._aborted:
            raise StorageError(f"Writer for {self.key!r} was aborted", self.bucket, self.key)

    def commit(self) -> ObjectInfo:
        """Publish the object under its key; idempotent once committed."""
        if self._info is not None:
            return self._info
        if self._aborted:
            raise StorageError(f"Writer for {self.key!r} was aborted", self.bucket, self.key)
        try:
            self._info = self._commit()
        except BaseException:
            self._abort_after_failure()
            raise
        return self._info

    def abort(self) -> None:
        """Discard the upload; nothing appears under the key. Idempotent; no-op after commit."""
        if self.closed:
            return
        self._aborted = True
        self._abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self._abort_after_failure()

    def _abort_after_failure(self) -> None:
        """Abort while another exception is on its way: a failing abort is logged, not raised over it."""
        try:
            self.abort()
        except Exception:
            _log.warning(
                "Could not abort the upload of %r to bucket %r", self.key, self.bucket, exc_info=True
            )

    def __del__(self) -> None:
        # A writer dropped without commit must not leave a temp file or a pending multipart upload.
        try:
            if not self.closed:
                self.abort()
        except Exception:
            pass


class ObjectStore(ABC):
    """A flat namespace of buckets holding immutable objects, addressed by key.

    ``policy`` says which buckets user requests may name (see :mod:`jobforge.storage.policy`);
    the store's own methods do not consult it, so services can still reach their internal buckets.
    """

    _policy: BucketPolicy | None = None

    @property
    def policy(self) -> BucketPolicy:
        """The server's bucket policy (created empty on first use)."""
        if self._policy is None:
            self._policy = BucketPolicy()
        return self._policy

    @policy.setter
    def policy(self, value: BucketPolicy) -> None:
        self._policy = value

    def with_credentials(self, credentials: RoleCredentials, region: str | None = None) -> ObjectStore:
        """The same store reached with ``credentials`` (a role's, from STS); with the same options.

        A backend without a notion of credentials (the local one) returns itself.
        """
        return self

    def sweep_abandoned_uploads(self) -> int:
        """Remove what writers of processes that no longer run left behind; the server calls it at start."""
        return 0

    @abstractmethod
    def create_bucket(self, bucket: str) -> None:
        """Create ``bucket``; a no-op if it already exists."""

    @abstractmethod
    def bucket_exists(self, bucket: str) -> bool:
        """Whether ``bucket`` exists (and is reachable)."""

    @abstractmethod
    def head(self, bucket: str, key: str) -> ObjectInfo:
        """Describe one object; raises NoSuchBucket or NoSuchKey."""

    def exists(self, bucket: str, key: str) -> bool:
        """Whether the object is there (False too when its bucket is not)."""
        try:
            self.head(bucket, key)
        except (NoSuchBucket, NoSuchKey):
            return False
        return True

    @abstractmethod
    def open_read(self, bucket: str, key: str) -> BinaryIO:
        """A readable, seekable binary file over the object; close it (use ``with``)."""

    @abstractmethod
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
        """Start a streaming, atomic upload of ``key``; see :class:`ObjectWriter`.

        ``parts_in_flight``: how many parts a backend that uploads in parts may send at once (each
        one held in memory until sent); backends that write in one stream ignore it.
        ``metadata`` (user metadata) and ``headers`` (:data:`STORED_HEADERS`) are kept with the
        object, published with it in the same commit.
        """

    @abstractmethod
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
        """Copy an object atomically, keeping its content type, metadata and stored headers; a copy
        onto itself is a no-op.

        ``size``: the source's size when the caller knows it, which spares a backend a look-up
        (the result's ``content_type`` may then be None). ``encryption`` applies where the backend
        encrypts at rest; others ignore it.
        """

    @abstractmethod
    def list_objects(
        self, bucket: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix`` and sorts after ``start_after``, in key order."""

    @abstractmethod
    def delete(self, bucket: str, key: str) -> None:
        """Remove an object; deleting a missing key is not an error (a missing bucket is)."""

    def list_buckets(self) -> list[tuple[str, datetime]]:
        """Every bucket with its creation time, by name (backends that serve the S3 API implement it)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list buckets")

    def delete_bucket(self, bucket: str) -> None:
        """Remove an empty bucket and its unfinished multipart uploads; raises NoSuchBucket, or
        BucketNotEmpty while it holds objects."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete buckets")

    # -- multipart uploads (the S3 API's); backends that cannot stage them raise MultipartUnsupported
    def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        content_type: str | None = None,
        initiator: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MultipartUpload:
        """Begin a multipart upload of ``key``; nothing appears under the key until it is completed,
        then with ``metadata`` and ``headers``."""
        raise self._no_multipart(bucket, key)

    def multipart_upload(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        """The upload ``upload_id`` of ``bucket``/``key``; raises NoSuchUpload."""
        raise self._no_multipart(bucket, key)

    def upload_part(
        self,
        upload: MultipartUpload,
        number: int,
        chunks: Iterable[bytes],
        checksums: Callable[[], Mapping[str, str]] | None = None,
        size: int | None = None,
    ) -> PartInfo:
        """Store part ``number`` (replacing an earlier one), streamed from ``chunks``; if the
        iterable raises, the earlier part (if any) stays. ``checksums``, called once the chunks are
        exhausted and before the part is kept (it may raise to refuse it), gives the part's verified
        checksums to keep with it. ``size``: the part's length when known before its bytes (lets a
        backend place it directly; chunks that differ from it are refused)."""
        raise self._no_multipart(upload.bucket, upload.key)

    def list_parts(self, upload: MultipartUpload) -> list[PartInfo]:
        """The parts uploaded so far, by part number."""
        raise self._no_multipart(upload.bucket, upload.key)

    def list_multipart_uploads(self, bucket: str) -> list[MultipartUpload]:
        """The uploads in progress in ``bucket``, by key then initiation time."""
        raise self._no_multipart(bucket, None)

    def complete_multipart_upload(
        self,
        upload: MultipartUpload,
        parts: Sequence[tuple[int, str]],
        headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Publish the concatenation of ``parts`` (part number, ETag) atomically under the key, with
        :func:`multipart_etag` as its ETag, the upload's metadata and headers plus ``headers`` (the
        object's checksum), and end the upload; raises InvalidPart for a part that was not uploaded
        with that ETag."""
        raise self._no_multipart(upload.bucket, upload.key)

    def abort_multipart_upload(self, upload: MultipartUpload) -> None:
        """End the upload and discard its parts; raises NoSuchUpload if it already ended."""
        raise self._no_multipart(upload.bucket, upload.key)

    def _no_multipart(self, bucket: str, key: str | None) -> MultipartUnsupported:
        return MultipartUnsupported(f"{type(self).__name__} does not stage multipart uploads", bucket, key)

    # -- defaults built on the primitives above; backends override where they can do better -----
    def size(self, bucket: str, key: str) -> int:
        """The object's size in bytes; raises NoSuchBucket or NoSuchKey like :meth:`head`."""
        return self.head(bucket, key).size

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """The object's bytes as chunks of at most ``chunk_size`` bytes, in memory bounded by it."""
        check_chunk_size(chunk_size)
        with self.open_read(bucket, key) as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """The whole object in memory: for small objects only."""
        with self.open_read(bucket, key) as stream:
            return stream.read()

    def put_bytes(
        self, bucket: str, key: str, data: bytes | bytearray | memoryview, content_type: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` under ``key``, replacing any previous object atomically."""
        with self.writer(bucket, key, content_type) as out:
            out.write(data)
        return out.info

    def put_stream(
        self, bucket: str, key: str, chunks: Iterable[bytes], content_type: str | None = None
    ) -> ObjectInfo:
        """Store the concatenation of ``chunks``; nothing is published if the iterable raises."""
        with self.writer(bucket, key, content_type) as out:
            for chunk in chunks:
                out.write(chunk)
        return out.info


def check_chunk_size(chunk_size: int) -> None:
    """A zero chunk size would silently yield an empty object."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
