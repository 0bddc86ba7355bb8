"""One object-store interface for every job's inputs and outputs, with two backends.

* :class:`LocalObjectStore` (default): files at ``<data-dir>/buckets/<bucket>/<key>``. This
  layout is a public contract: drop inputs there, pick results up there.
* :class:`S3ObjectStore`: any S3-compatible endpoint through boto3 (``--s3-endpoint-url`` plus
  the standard AWS credential variables, or a ready boto3 client).

The interface (:class:`ObjectStore`)::

    create_bucket(bucket) -> None                      # no-op if it exists
    bucket_exists(bucket) -> bool
    head(bucket, key) -> ObjectInfo                    # NoSuchBucket / NoSuchKey
    open_read(bucket, key) -> BinaryIO                 # seekable; use as a context manager
    iter_chunks(bucket, key, chunk_size=8 MiB) -> Iterator[bytes]
    get_bytes(bucket, key) -> bytes                    # small objects only
    size(bucket, key) -> int                           # without hashing a local file
    put_bytes(bucket, key, data, content_type=None) -> ObjectInfo
    writer(bucket, key, content_type=None, *, parts_in_flight=1) -> ObjectWriter
    put_stream(bucket, key, chunks, content_type=None) -> ObjectInfo
    list_objects(bucket, prefix="", start_after=None) -> Iterator[ObjectInfo]   # key order
    delete(bucket, key) -> None                        # idempotent
    copy(src_bucket, src_key, dst_bucket, dst_key, *, size=None, encryption=None) -> ObjectInfo
    with_credentials(credentials, region=None) -> ObjectStore   # a role's access; local: itself
    create_multipart_upload / multipart_upload / upload_part / list_parts /
    list_multipart_uploads / complete_multipart_upload / abort_multipart_upload
                                                       # the S3 API's; local only (MultipartUnsupported)

Stores are built in one place (:mod:`jobforge.storage.factory`): :func:`make_object_store` for the
server, :class:`StoreSpec` (picklable) with ``spec.open()`` for worker processes.

:class:`ObjectWriter` streams in bounded memory and publishes atomically: ``with
store.writer(b, k) as out: out.write(...)`` commits on a clean exit and aborts on an exception
(no object, no temp file, no pending multipart upload); ``out.info`` is the result.

Every bucket name, key and prefix is validated (:mod:`jobforge.storage.keys`) so that user input
can never leave a bucket; violations raise :class:`InvalidObjectName` (:class:`InvalidBucketName`
for buckets), which services turn into their own validation error. Errors derive from
:class:`StorageError` and carry ``bucket`` and ``key``: :class:`NoSuchBucket`, :class:`NoSuchKey`,
:class:`AccessDenied`, :class:`KeyConflict`; each backend translates its own failures (filesystem
errors, S3 error codes) into these, so no caller sees a backend's exceptions. Stores are safe
to share between threads; a single writer or reader belongs to one thread.

User-supplied buckets go through ``store.policy.check(bucket, account)`` first
(:mod:`jobforge.storage.policy`): internal buckets are reserved there, and refused with
:class:`BucketAccessDenied` (an :class:`AccessDenied`) naming only the bucket.

Where the backends differ, because files are not S3 objects: the local one refuses empty key
segments (``a//b``, ``dir/``) and segments over 255 bytes, cannot hold ``a`` beside ``a/b``
(:class:`KeyConflict`), and reports ``content_type=None`` for files dropped in by hand; S3 reports
``binary/octet-stream`` for objects stored without a content type.
"""

from __future__ import annotations

from jobforge.storage.base import (
    DEFAULT_CHUNK_SIZE,
    STORED_HEADERS,
    MultipartUpload,
    ObjectInfo,
    ObjectStore,
    ObjectWriter,
    PartInfo,
    ServerSideEncryption,
    multipart_etag,
)
from jobforge.storage.errors import (
    AccessDenied,
    BucketNotEmpty,
    InvalidBucketName,
    InvalidObjectName,
    InvalidPart,
    KeyConflict,
    KeyTooLong,
    MultipartUnsupported,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    NotSupported,
    StorageError,
)
from jobforge.storage.factory import StoreSpec, make_object_store
from jobforge.storage.journal import UploadJournal
from jobforge.storage.keys import validate_bucket_name, validate_key, validate_prefix
from jobforge.storage.local import LocalObjectStore
from jobforge.storage.policy import BucketAccessDenied, BucketPolicy
from jobforge.storage.roles import RoleCredentials
from jobforge.storage.s3 import S3ObjectStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "STORED_HEADERS",
    "AccessDenied",
    "BucketAccessDenied",
    "BucketNotEmpty",
    "BucketPolicy",
    "InvalidBucketName",
    "InvalidObjectName",
    "InvalidPart",
    "KeyConflict",
    "KeyTooLong",
    "LocalObjectStore",
    "MultipartUnsupported",
    "MultipartUpload",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NotSupported",
    "ObjectInfo",
    "ObjectStore",
    "ObjectWriter",
    "PartInfo",
    "RoleCredentials",
    "S3ObjectStore",
    "ServerSideEncryption",
    "StorageError",
    "StoreSpec",
    "UploadJournal",
    "make_object_store",
    "multipart_etag",
    "validate_bucket_name",
    "validate_key",
    "validate_prefix",
]
