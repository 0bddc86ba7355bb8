"""S3's multipart uploads over the store's staging (:meth:`ObjectStore.create_multipart_upload` and
siblings): CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
ListParts and ListMultipartUploads.

An upload lives in the bucket it targets, so the bucket policy decides who may use it: another
account's bucket is ``AccessDenied``, as for every object operation. Part ETags are the parts'
MD5s; the completed object's is S3's MD5 of the part MD5s with ``-<count>``. Completion checks
the part list (ascending numbers, known ETags, every part but the last at least 5 MiB) before the
store concatenates the parts and publishes the object atomically.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote, unquote

from jobforge.protocol.context import RequestContext
from jobforge.protocol.rest_xml import s3_error
from jobforge.protocol.s3_gateway import declared_size, verified_checksums
from jobforge.services.s3.checksums import (
    ALGORITHM,
    CHECKSUM_TYPE,
    MEMBERS,
    members,
    multipart_checksum,
    require_part_checksum,
    upload_checksum,
)
from jobforge.services.s3.objects import metadata_of
from jobforge.services.s3.provider import Handler, S3Provider, _storage_errors, _Window
from jobforge.storage import (
    InvalidPart,
    MultipartUnsupported,
    MultipartUpload,
    NoSuchUpload,
    PartInfo,
    validate_bucket_name,
    validate_key,
)

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
DEFAULT_MAX_PARTS = 1000
DEFAULT_MAX_UPLOADS = 1000
STORAGE_CLASS = "STANDARD"
COPY_CHUNK = 1024 * 1024
_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


def _upload_errors(method: Handler) -> Handler:
    """The store's multipart errors as S3's; the others as for every operation."""

    @_storage_errors
    @functools.wraps(method)
    def call(self: S3Provider, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return method(self, ctx, request)
        except NoSuchUpload:
            raise s3_error(
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload "
                "may have been aborted or completed.",
                request.get("UploadId"),
            ) from None
        except InvalidPart as exc:
            raise s3_error("InvalidPart", exc.message, request.get("Key")) from None
        except MultipartUnsupported as exc:
            raise s3_error("NotImplemented", exc.message) from None

    return call


def _etag(value: str) -> str:
    return f'"{value}"'


def _person(account: str | None) -> dict[str, str] | None:
    return {"ID": account, "DisplayName": account} if account else None


class MultipartS3Provider(S3Provider):
    """:class:`S3Provider` plus the multipart upload operations."""

    def _upload(self, ctx: RequestContext, request: dict[str, Any]) -> MultipartUpload:
        bucket, key = self._object(ctx, request)
        upload = self.store.multipart_upload(bucket, key, request["UploadId"])
        if not _initiated_by(upload, ctx.account_id):
            raise NoSuchUpload(f"No upload {request['UploadId']} of {bucket}/{key}", bucket, key)
        return upload

    @_upload_errors
    def create_multipart_upload(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket, key = self._object(ctx, request)
        metadata, headers = metadata_of(request)
        checksum = upload_checksum(request)
        upload = self.store.create_multipart_upload(
            bucket,
            key,
            request.get("ContentType"),
            ctx.account_id,
            metadata=metadata,
            headers={**headers, **checksum},
        )
        return {"Bucket": bucket, "Key": key, "UploadId": upload.upload_id, **checksum}

    @_upload_errors
    def upload_part(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        number = _part_number(request)
        upload = self._upload(ctx, request)
        body = request.get("Body") or iter(())

        def checksums() -> dict[str, str]:
            found = members(verified_checksums(body))
            require_part_checksum(upload.headers, found)
            return found

        part = self.store.upload_part(upload, number, body, checksums, declared_size(body))
        return {"ETag": _etag(part.etag), **part.checksums}

    @_upload_errors
    def upload_part_copy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """A part copied from an object (or a byte range of it) the caller may read."""
        number = _part_number(request)
        upload = self._upload(ctx, request)
        source_bucket, source_key = _copy_source(request["CopySource"])
        self._bucket(ctx, source_bucket)
        validate_key(source_key, bucket=source_bucket)
        size = self.store.head(source_bucket, source_key).size
        first, length = _copy_range(request.get("CopySourceRange"), size)
        with self.store.open_read(source_bucket, source_key) as stream:
            stream.seek(first)
            window = _Window(stream, length)
            chunks = iter(lambda: window.read(COPY_CHUNK), b"")
            part = self.store.upload_part(upload, number, chunks, size=length)
        return {"CopyPartResult": {"ETag": _etag(part.etag), "LastModified": part.last_modified}}

    @_upload_errors
    def complete_multipart_upload(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(ctx, request)
        given = (request.get("MultipartUpload") or {}).get("Parts") or []
        if not given:
            raise s3_error("MalformedXML", "You must specify at least one part")
        numbers = [part.get("PartNumber") for part in given]
        if any(n is None for n in numbers) or numbers != sorted(set(numbers)):
            raise s3_error("InvalidPartOrder", "The list of parts was not in ascending order.")
        uploaded = {part.number: part for part in self.store.list_parts(upload)}
        chosen: list[tuple[int, str]] = []
        for index, item in enumerate(given):
            number, etag = item["PartNumber"], (item.get("ETag") or "").strip('"')
            part = uploaded.get(number)
            if part is None or part.etag != etag:
                raise s3_error(
                    "InvalidPart",
                    "One or more of the specified parts could not be found. The part may not have "
                    "been uploaded, or the specified entity tag may not match the part's entity tag.",
                    f"part {number}",
                )
            if index < len(given) - 1 and part.size < MIN_PART_SIZE:
                raise s3_error(
                    "EntityTooSmall",
                    f"Your proposed upload is smaller than the minimum allowed size: part {number} "
                    f"has {part.size} bytes, every part but the last needs {MIN_PART_SIZE}",
                )
            chosen.append((number, etag))
        checksum = _object_checksum(upload, request, [uploaded[number] for number, _etag in chosen], given)
        info = self.store.complete_multipart_upload(upload, chosen, checksum)
        return {
            "Location": f"{ctx.base_url}/{upload.bucket}/{upload.key}",
            "Bucket": upload.bucket,
            "Key": upload.key,
            "ETag": _etag(info.etag),
            **checksum,
        }

    @_upload_errors
    def abort_multipart_upload(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.store.abort_multipart_upload(self._upload(ctx, request))
        return {}

    @_upload_errors
    def list_parts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(ctx, request)
        max_parts = min(max(request.get("MaxParts", DEFAULT_MAX_PARTS), 0), DEFAULT_MAX_PARTS)
        marker = request.get("PartNumberMarker") or 0
        after = [part for part in self.store.list_parts(upload) if part.number > marker]
        page, truncated = after[:max_parts], len(after) > max_parts
        parts = [
            {
                "PartNumber": p.number,
                "LastModified": p.last_modified,
                "ETag": _etag(p.etag),
                "Size": p.size,
                **p.checksums,
            }
            for p in page
        ]
        return {
            "Bucket": upload.bucket,
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "NextPartNumberMarker": page[-1].number if truncated and page else None,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Parts": parts or None,
            "Initiator": _person(upload.initiator),
            "Owner": _person(upload.initiator),
            "StorageClass": STORAGE_CLASS,
            ALGORITHM: upload.headers.get(ALGORITHM),
            CHECKSUM_TYPE: upload.headers.get(CHECKSUM_TYPE),
        }

    @_upload_errors
    def list_multipart_uploads(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, request["Bucket"])
        prefix = request.get("Prefix") or ""
        delimiter = request.get("Delimiter") or ""
        key_marker = request.get("KeyMarker") or ""
        id_marker = request.get("UploadIdMarker") or ""
        max_uploads = min(max(request.get("MaxUploads", DEFAULT_MAX_UPLOADS), 0), DEFAULT_MAX_UPLOADS)
        uploads: list[MultipartUpload] = []
        prefixes: list[str] = []
        truncated = False
        last: tuple[str, str] | None = None
        for upload in _after(self.store.list_multipart_uploads(bucket), key_marker, id_marker):
            if not upload.key.startswith(prefix) or not _initiated_by(upload, ctx.account_id):
                continue
            common = None
            if delimiter:
                cut = upload.key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = upload.key[: cut + len(delimiter)]
            if common is not None and (common in prefixes or (key_marker and common <= key_marker)):
                continue
            if len(uploads) + len(prefixes) >= max_uploads:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = (common, "")
            else:
                uploads.append(upload)
                last = (upload.key, upload.upload_id)
        encode = (lambda text: quote(text, safe="/")) if request.get("EncodingType") == "url" else str
        return {
            "Bucket": bucket,
            "KeyMarker": encode(key_marker),
            "UploadIdMarker": id_marker,
            "NextKeyMarker": encode(last[0]) if truncated and last else None,
            "NextUploadIdMarker": last[1] if truncated and last and last[1] else None,
            "Prefix": encode(prefix),
            "Delimiter": encode(delimiter) if delimiter else None,
            "EncodingType": request.get("EncodingType"),
            "MaxUploads": max_uploads,
            "IsTruncated": truncated,
            "Uploads": [
                {
                    "UploadId": u.upload_id,
                    "Key": encode(u.key),
                    "Initiated": u.initiated,
                    "StorageClass": STORAGE_CLASS,
                    "Owner": _person(u.initiator),
                    "Initiator": _person(u.initiator),
                }
                for u in uploads
            ]
            or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes] or None,
        }


def _object_checksum(
    upload: MultipartUpload, request: dict[str, Any], parts: list[PartInfo], given: list[dict[str, Any]]
) -> dict[str, str]:
    """The completed object's checksum members, from the parts' (empty when the upload asked for
    none); a part checksum or object checksum the request states must match (``InvalidPart``,
    ``BadDigest``), and so must ``x-amz-mp-object-size``."""
    size = request.get("MpuObjectSize")
    if size is not None and size != sum(part.size for part in parts):
        raise s3_error("InvalidRequest", f"The upload's size is not the x-amz-mp-object-size given ({size})")
    algorithm = upload.headers.get(ALGORITHM, "").lower()
    if not algorithm:
        return {}
    member = MEMBERS[algorithm]
    values: list[tuple[str, int]] = []
    for part, item in zip(parts, given, strict=True):
        stored = part.checksums.get(member)
        if stored is None:
            raise s3_error("InvalidPart", f"Part {part.number} was uploaded without a {algorithm} checksum")
        if item.get(member) not in (None, stored):
            raise s3_error("InvalidPart", f"The {algorithm} checksum of part {part.number} does not match")
        values.append((stored, part.size))
    checksum = multipart_checksum(upload.headers, values)
    stated = request.get(member)
    if stated is not None and stated not in (checksum[member], checksum[member].split("-")[0]):
        raise s3_error(
            "BadDigest", f"The {algorithm.upper()} you specified did not match the calculated checksum."
        )
    return checksum


def _initiated_by(upload: MultipartUpload, account: str) -> bool:
    """Whether ``account`` started the upload: a bucket has one owner, so its own uploads are all
    its owner's; another's is one left from an earlier bucket of the name, never to be handed over."""
    return upload.initiator in (None, account)


def _after(uploads: list[MultipartUpload], key_marker: str, id_marker: str) -> list[MultipartUpload]:
    """The uploads after a ListMultipartUploads page's markers (in the store's order: by key, then
    initiation): after the marker upload itself, or after every upload of the marker key."""
    if not key_marker:
        return uploads
    if id_marker:
        for index, upload in enumerate(uploads):
            if (upload.key, upload.upload_id) == (key_marker, id_marker):
                return uploads[index + 1 :]
    return [upload for upload in uploads if upload.key > key_marker]


def _part_number(request: dict[str, Any]) -> int:
    number: int = request["PartNumber"]
    if not 1 <= number <= MAX_PART_NUMBER:
        raise s3_error(
            "InvalidArgument", f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        )
    return number


def _copy_source(header: str) -> tuple[str, str]:
    """(bucket, key) of ``x-amz-copy-source`` (``[/]bucket/key[?versionId=...]``, URL-encoded)."""
    bucket, _, key = unquote(header.split("?", 1)[0]).lstrip("/").partition("/")
    if not bucket or not key:
        raise s3_error("InvalidArgument", "Copy Source must mention the source bucket and key: bucket/key")
    return validate_bucket_name(bucket), key


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    """(first byte, length) of ``x-amz-copy-source-range`` (``bytes=first-last``), else the whole."""
    if not header:
        return 0, size
    match = _COPY_RANGE.fullmatch(header.strip())
    if match is None or int(match.group(1)) > int(match.group(2)):
        raise s3_error(
            "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last"
        )
    first, last = int(match.group(1)), int(match.group(2))
    if last >= size:
        raise s3_error("InvalidRange", f"The requested range is not satisfiable (object size {size})")
    return first, last - first + 1
