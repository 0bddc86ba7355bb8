"""S3 object features beyond put/get: metadata, conditional requests, CopyObject, DeleteObjects and
ListObjects (v1), as a mixin of :class:`jobforge.services.s3.provider.S3Provider`.

User metadata (``x-amz-meta-*``) and :data:`STORED_HEADERS` travel with the object through the
store's writer, so they are published in the same atomic commit as its bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.rest_xml import s3_error
from jobforge.services.s3.checksums import is_checksum
from jobforge.storage import (
    STORED_HEADERS,
    AccessDenied,
    InvalidObjectName,
    ObjectInfo,
    StorageError,
    validate_key,
)

if TYPE_CHECKING:
    from jobforge.storage import ObjectStore

MAX_METADATA_BYTES = 2048  # S3's limit on the user metadata of one object
MAX_DELETE_KEYS = 1000


def quoted_etag(info: ObjectInfo) -> str:
    return f'"{info.etag}"'


def metadata_of(request: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(user metadata, stored headers) a PutObject / CopyObject request gives, within S3's limit."""
    metadata = {name.lower(): value for name, value in (request.get("Metadata") or {}).items()}
    size = sum(len(name.encode()) + len(value.encode()) for name, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise s3_error(
            "MetadataTooLarge",
            f"Your metadata headers exceed the maximum allowed metadata size "
            f"({size} > {MAX_METADATA_BYTES} bytes)",
        )
    headers = {name: request[name] for name in STORED_HEADERS if request.get(name)}
    return metadata, headers


def describe(info: ObjectInfo, default_content_type: str, *, checksums: bool = False) -> dict[str, Any]:
    """The response headers of HeadObject / GetObject for ``info``; its checksum with ``checksums``
    (``x-amz-checksum-mode: ENABLED`` on a request for the whole object)."""
    return {
        "ContentLength": info.size,
        "ContentType": info.content_type or default_content_type,
        "ETag": quoted_etag(info),
        "LastModified": info.last_modified,
        "AcceptRanges": "bytes",
        "Metadata": dict(info.metadata) or None,
        **{name: value for name, value in info.headers.items() if checksums or not is_checksum(name)},
    }


def _etag_matches(header: str, info: ObjectInfo) -> bool:
    candidates = [part.strip().removeprefix("W/").strip('"') for part in header.split(",")]
    return "*" in candidates or info.etag in candidates


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)  # HTTP dates have whole seconds


def check_conditions(
    info: ObjectInfo, request: dict[str, Any], prefix: str = "", *, not_modified: str = "NotModified"
) -> None:
    """Evaluate If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since
    (``not_modified``: 304 for GET/HEAD, 412 for a copy source), in RFC 7232's order.

    ``prefix``: ``CopySource`` for CopyObject's ``x-amz-copy-source-if-*`` headers."""
    if_match = request.get(f"{prefix}IfMatch")
    unmodified_since = request.get(f"{prefix}IfUnmodifiedSince")
    if if_match is not None:
        if not _etag_matches(if_match, info):
            raise s3_error(
                "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
            )
    elif unmodified_since is not None and _seconds(info.last_modified) > unmodified_since:
        raise s3_error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
    if_none_match = request.get(f"{prefix}IfNoneMatch")
    modified_since = request.get(f"{prefix}IfModifiedSince")
    if if_none_match is not None:
        if _etag_matches(if_none_match, info):
            raise _not_modified(not_modified, info)
    elif modified_since is not None and _seconds(info.last_modified) <= modified_since:
        raise _not_modified(not_modified, info)


def _not_modified(code: str, info: ObjectInfo) -> Exception:
    if code == "NotModified":  # a 304 names the object's current version, as RFC 7232 asks
        headers = {
            "ETag": quoted_etag(info),
            "Last-Modified": format_datetime(info.last_modified, usegmt=True),
        }
        return s3_error("NotModified", "Not Modified", headers=headers)
    return s3_error(code, "At least one of the pre-conditions you specified did not hold")


def parse_copy_source(source: str) -> tuple[str, str]:
    """(bucket, key) of ``x-amz-copy-source`` (``bucket/key`` or ``/bucket/key``, URL-encoded)."""
    path, _, query = source.partition("?")
    if query:
        raise s3_error(
            "NotImplemented", "jobforge keeps no object versions: x-amz-copy-source takes no versionId"
        )
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        raise s3_error(
            "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
        )
    return bucket, key


def page(
    store: ObjectStore,
    bucket: str,
    prefix: str,
    delimiter: str,
    max_keys: int,
    start_after: str | None,
    skip_prefix: str | None,
) -> tuple[list[ObjectInfo], list[str], bool, tuple[str, bool] | None]:
    """One listing page: (objects, common prefixes, truncated, (last key or prefix, is_prefix))."""
    contents: list[ObjectInfo] = []
    prefixes: list[str] = []
    last: tuple[str, bool] | None = None
    listing: Iterator[ObjectInfo] = store.list_objects(bucket, prefix, start_after or None)
    for info in listing:
        key = info.key
        if skip_prefix is not None and key.startswith(skip_prefix):
            continue
        common = None
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
        if common is not None and prefixes and prefixes[-1] == common:
            continue
        if len(contents) + len(prefixes) >= max_keys:
            return contents, prefixes, True, last
        if common is not None:
            prefixes.append(common)
            skip_prefix = common
            last = (common, True)
        else:
            contents.append(info)
            last = (key, False)
    return contents, prefixes, False, last


def listed(info: ObjectInfo, encode: Callable[[str], str]) -> dict[str, Any]:
    return {
        "Key": encode(info.key),
        "LastModified": info.last_modified,
        "ETag": quoted_etag(info),
        "Size": info.size,
        "StorageClass": "STANDARD",
    }


def listing(
    store: ObjectStore,
    bucket: str,
    request: dict[str, Any],
    max_keys: int,
    start_after: str | None,
    skip_prefix: str | None,
) -> tuple[dict[str, Any], tuple[str, bool] | None, Callable[[str], str]]:
    """The members ListObjects and ListObjectsV2 share for one page, the page's last entry (None
    unless truncated) and the key encoder (``encoding-type=url``)."""
    prefix = request.get("Prefix") or ""
    delimiter = request.get("Delimiter") or ""
    contents, prefixes, truncated, last = page(
        store, bucket, prefix, delimiter, max_keys, start_after, skip_prefix
    )
    encode: Callable[[str], str] = str
    if request.get("EncodingType") == "url":
        encode = functools.partial(quote, safe="/")
    output = {
        "Name": bucket,
        "Prefix": encode(prefix),
        "MaxKeys": max_keys,
        "IsTruncated": truncated,
        "Contents": [listed(info, encode) for info in contents] or None,
        "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes] or None,
        "Delimiter": encode(delimiter) if delimiter else None,
        "EncodingType": request.get("EncodingType"),
    }
    return output, last if truncated else None, encode


class ObjectFeatures:
    """CopyObject, DeleteObjects and ListObjects; the host class provides ``store`` and
    ``_bucket``, and applies its storage-error translation to the public methods."""

    store: ObjectStore

    if TYPE_CHECKING:

        def _bucket(self, ctx: RequestContext, bucket: str, *, must_exist: bool = True) -> str: ...

    @staticmethod
    def _key(key: str, bucket: str) -> str:
        """``key`` if the store can hold it; folder markers and ``a//b`` get an explicit refusal."""
        if key.endswith("/") or "//" in key:
            raise s3_error(
                "InvalidArgument",
                f"The key {key!r} ends in '/' or contains '//': jobforge's local store keeps objects as "
                "files under <data-dir>/buckets/<bucket>/<key>, where such a key cannot be a file "
                "(a folder marker 'x/' would be the directory of 'x/y'). Folders need no marker object: "
                "store the keys below them.",
                key,
            )
        return validate_key(key, bucket=bucket)

    def _copy_object(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        src_bucket, src_key = parse_copy_source(request["CopySource"])
        src_bucket = self._bucket(ctx, src_bucket)
        src_key = self._key(src_key, src_bucket)
        bucket = self._bucket(ctx, request["Bucket"])
        key = self._key(request["Key"], bucket)
        source = self.store.head(src_bucket, src_key)
        check_conditions(source, request, "CopySource", not_modified="PreconditionFailed")
        replace = request.get("MetadataDirective") == "REPLACE"
        if (src_bucket, src_key) == (bucket, key) and not replace:
            raise s3_error(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption "
                "attributes.",
            )
        if replace:
            metadata, headers = metadata_of(request)
            with self.store.open_read(src_bucket, src_key) as stream:
                writer = self.store.writer(
                    bucket, key, request.get("ContentType"), metadata=metadata, headers=headers
                )
                with writer as out:
                    while chunk := stream.read(1024 * 1024):
                        out.write(chunk)
            info = out.info
        else:
            info = self.store.copy(src_bucket, src_key, bucket, key)
        return {"CopyObjectResult": {"ETag": quoted_etag(info), "LastModified": info.last_modified}}

    def _delete_objects(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        delete = request.get("Delete") or {}
        objects = delete.get("Objects") or []
        if not objects or len(objects) > MAX_DELETE_KEYS:
            raise s3_error(
                "MalformedXML", f"A DeleteObjects request names between 1 and {MAX_DELETE_KEYS} keys"
            )
        deleted: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for item in objects:
            key = item.get("Key", "")
            try:
                self.store.delete(bucket, self._key(key, bucket))
            except ServiceError as exc:
                errors.append({"Key": key, "Code": exc.code, "Message": exc.message})
                continue
            except StorageError as exc:
                code = "InternalError"
                if isinstance(exc, InvalidObjectName):
                    code = "InvalidArgument"
                elif isinstance(exc, AccessDenied):
                    code = "AccessDenied"
                errors.append({"Key": key, "Code": code, "Message": exc.message})
                continue
            deleted.append({"Key": key})
        return {
            "Deleted": None if delete.get("Quiet") or not deleted else deleted,
            "Errors": errors or None,
        }

    def _list_objects(self, ctx: RequestContext, request: dict[str, Any], max_keys: int) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        delimiter = request.get("Delimiter") or ""
        marker = request.get("Marker") or None
        # a marker that is a common prefix (a NextMarker) skips the keys rolled up under it
        skip = marker if marker and delimiter and marker.endswith(delimiter) else None
        output, last, encode = listing(self.store, bucket, request, max_keys, marker, skip)
        output["Marker"] = encode(marker or "")
        if last is not None and delimiter:
            output["NextMarker"] = encode(last[0])  # S3 sends it only with a delimiter
        return output
