"""The S3 operations jobforge implements, over the server's :class:`~jobforge.storage.ObjectStore`.

One method per operation (botocore's snake_case name) taking ``(ctx, request)`` and returning the
output dict; operations without a method answer ``501 NotImplemented``. Every bucket a request
names goes through the bucket policy: internal buckets and other accounts' buckets are
``AccessDenied``. Object bodies stream: PutObject reads its :class:`StreamedBody` into the store's
atomic writer, GetObject hands the gateway an open reader limited to the requested range.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from jobforge.protocol.context import RequestContext
from jobforge.protocol.rest_xml import STATUS_KEY, s3_error
from jobforge.protocol.s3_gateway import verified_checksums
from jobforge.services.s3.checksums import object_checksums
from jobforge.services.s3.objects import (
    ObjectFeatures,
    check_conditions,
    describe,
    listing,
    metadata_of,
    quoted_etag,
)
from jobforge.services.s3.owners import BucketOwners
from jobforge.storage import (
    AccessDenied,
    BucketNotEmpty,
    InvalidBucketName,
    InvalidObjectName,
    KeyConflict,
    KeyTooLong,
    NoSuchBucket,
    NoSuchKey,
    NotSupported,
    ObjectStore,
    StorageError,
    validate_bucket_name,
)

DEFAULT_MAX_KEYS = 1000
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")

Handler = Callable[..., dict[str, Any]]


def _storage_errors(method: Handler) -> Handler:
    """Translate the store's errors into S3's (the ServiceErrors of the method pass through)."""

    @functools.wraps(method)
    def call(self: S3Provider, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return method(self, ctx, request)
        except NoSuchBucket as exc:
            raise s3_error("NoSuchBucket", "The specified bucket does not exist", exc.bucket) from None
        except NoSuchKey as exc:
            raise s3_error("NoSuchKey", "The specified key does not exist.", exc.key) from None
        except BucketNotEmpty as exc:
            raise s3_error(
                "BucketNotEmpty", "The bucket you tried to delete is not empty", exc.bucket
            ) from None
        except InvalidBucketName as exc:
            raise s3_error("InvalidBucketName", str(exc), exc.bucket) from None
        except KeyTooLong as exc:
            raise s3_error("KeyTooLongError", f"Your key is too long: {exc}", exc.key) from None
        except InvalidObjectName as exc:
            raise s3_error("InvalidArgument", str(exc), exc.key) from None
        except KeyConflict as exc:
            raise s3_error("InvalidRequest", str(exc), exc.key) from None
        except AccessDenied as exc:
            raise s3_error("AccessDenied", str(exc), exc.bucket) from None
        except NotSupported as exc:
            raise s3_error("NotImplemented", str(exc), exc.key) from None
        except StorageError as exc:
            raise s3_error("InternalError", str(exc), exc.bucket) from exc

    return call


class _Window:
    """At most ``length`` bytes of an open object reader (a ranged GET's body)."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        chunk = self._stream.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._stream.close()


def _max_keys(request: dict[str, Any]) -> int:
    """The page size asked for, at most 1,000 (a negative one is S3's InvalidArgument)."""
    asked = request.get("MaxKeys", DEFAULT_MAX_KEYS)
    if asked < 0:
        raise s3_error("InvalidArgument", "Argument max-keys must be an integer between 0 and 2147483647")
    return min(asked, DEFAULT_MAX_KEYS)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a ``Range: bytes=...`` header; None for the whole object.
    Unsatisfiable ranges raise InvalidRange; forms S3 ignores (several ranges) give None."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _invalid_range(size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if first >= size:
        raise _invalid_range(size)
    last = int(last_text) if last_text else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


def _invalid_range(size: int) -> Exception:
    return s3_error("InvalidRange", f"The requested range is not satisfiable (object size {size})")


class _ListToken:
    """Opaque continuation tokens: the last key or common prefix a page ended with."""

    @staticmethod
    def encode(last: str, is_prefix: bool) -> str:
        raw = json.dumps({"k": last, "p": is_prefix}).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    @staticmethod
    def decode(token: str) -> tuple[str, bool]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            return str(data["k"]), bool(data["p"])
        except (ValueError, KeyError, TypeError, UnicodeError):
            raise s3_error("InvalidArgument", "The continuation token provided is incorrect") from None


class S3Provider(ObjectFeatures):
    """S3 over ``store``; ``owners`` records who created buckets through the API."""

    def __init__(self, store: ObjectStore, owners: BucketOwners) -> None:
        self.store = store
        self.owners = owners
        self.policy = store.policy

    # -- access ----------------------------------------------------------------------------------
    def _bucket(self, ctx: RequestContext, bucket: str, *, must_exist: bool = True) -> str:
        """``bucket`` if its name is valid and the caller may use it (and it exists). As on S3, a
        bucket that does not exist is ``NoSuchBucket`` to every account (names are global, and
        CreateBucket tells who holds one anyway), another account's ``AccessDenied``."""
        validate_bucket_name(bucket)
        if must_exist and not self.policy.is_reserved(bucket) and not self.store.bucket_exists(bucket):
            raise NoSuchBucket(f"The bucket {bucket!r} does not exist", bucket)
        self.policy.check(bucket, ctx.account_id)
        return bucket

    def _object(self, ctx: RequestContext, request: dict[str, Any]) -> tuple[str, str]:
        bucket = self._bucket(ctx, request["Bucket"])
        return bucket, self._key(request["Key"], bucket)

    # -- buckets ---------------------------------------------------------------------------------
    @_storage_errors
    def list_buckets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        created = dict(self.store.list_buckets())
        usable = self.policy.usable(created, ctx.account_id, self.owners.all())
        buckets = [{"Name": name, "CreationDate": created[name]} for name in usable]
        return {"Buckets": buckets, "Owner": {"ID": ctx.account_id, "DisplayName": ctx.account_id}}

    @_storage_errors
    def create_bucket(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = validate_bucket_name(request["Bucket"])
        if self.policy.is_reserved(bucket):
            raise s3_error("AccessDenied", f"The bucket name {bucket} is reserved for jobforge", bucket)
        location = (request.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        region = location or ctx.region
        if self.store.bucket_exists(bucket) or not self.owners.record(bucket, ctx.account_id, region):
            if self.policy.owner(bucket) in (ctx.account_id, None):
                raise s3_error(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    bucket,
                )
            raise s3_error("BucketAlreadyExists", "The requested bucket name is not available.", bucket)
        try:
            self.store.create_bucket(bucket)
        except BaseException:
            self.owners.forget(bucket)
            raise
        return {"Location": f"/{bucket}"}

    @_storage_errors
    def head_bucket(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        return {"BucketRegion": self.owners.region(bucket) or ctx.region}

    @_storage_errors
    def get_bucket_location(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        region = self.owners.region(bucket) or ctx.region
        return {"LocationConstraint": None if region == "us-east-1" else region}

    @_storage_errors
    def delete_bucket(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        self.store.delete_bucket(bucket)
        self.owners.forget(bucket)
        return {}

    # -- objects ---------------------------------------------------------------------------------
    @_storage_errors
    def put_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket, key = self._object(ctx, request)
        body: Iterator[bytes] = request.get("Body") or iter(())
        metadata, headers = metadata_of(request)
        writer = self.store.writer(
            bucket, key, request.get("ContentType"), metadata=metadata, headers=headers
        )
        with writer as out:
            for chunk in body:
                out.write(chunk)
            checksums = object_checksums(verified_checksums(body))
            out.keep_headers(checksums)
        return {"ETag": quoted_etag(out.info), **checksums}

    @_storage_errors
    def head_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket, key = self._object(ctx, request)
        info = self.store.head(bucket, key)
        check_conditions(info, request)
        return describe(info, DEFAULT_CONTENT_TYPE, checksums=request.get("ChecksumMode") == "ENABLED")

    @_storage_errors
    def get_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket, key = self._object(ctx, request)
        info = self.store.head(bucket, key)
        check_conditions(info, request)
        span = _byte_range(request.get("Range"), info.size)
        # a checksum describes the whole object: none for a range, as on S3
        whole = span is None and request.get("ChecksumMode") == "ENABLED"
        output = describe(info, DEFAULT_CONTENT_TYPE, checksums=whole)
        stream = self.store.open_read(bucket, key)
        if span is None:
            output["Body"] = stream
            return output
        first, last = span
        try:
            stream.seek(first)
        except BaseException:
            stream.close()
            raise
        output.update(
            Body=_Window(stream, last - first + 1),
            ContentLength=last - first + 1,
            ContentRange=f"bytes {first}-{last}/{info.size}",
        )
        output[STATUS_KEY] = 206
        return output

    @_storage_errors
    def delete_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket, key = self._object(ctx, request)
        self.store.delete(bucket, key)
        return {}

    @_storage_errors
    def list_objects_v2(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        max_keys = _max_keys(request)
        token = request.get("ContinuationToken")
        start_after = request.get("StartAfter")
        skip_prefix: str | None = None
        if token is not None:
            start_after, is_prefix = _ListToken.decode(token)
            skip_prefix = start_after if is_prefix else None
        output, last, encode = listing(self.store, bucket, request, max_keys, start_after, skip_prefix)
        output.update(
            KeyCount=len(output["Contents"] or ()) + len(output["CommonPrefixes"] or ()),
            ContinuationToken=token,
            StartAfter=encode(request["StartAfter"]) if request.get("StartAfter") else None,
        )
        if last is not None:
            output["NextContinuationToken"] = _ListToken.encode(*last)
        return output

    @_storage_errors
    def list_objects(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_objects(ctx, request, _max_keys(request))

    @_storage_errors
    def copy_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._copy_object(ctx, request)

    @_storage_errors
    def delete_objects(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._delete_objects(ctx, request)
