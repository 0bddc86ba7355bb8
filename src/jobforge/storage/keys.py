"""Validation of bucket names, keys and prefixes.

Buckets and keys come from users and become directory and file names in the local backend, so
anything that could leave the bucket root (``..``, absolute paths, backslashes, NUL, encoded
variants of those) is refused here, before any backend sees it. Both backends apply the same rules
so that a job behaves the same whichever store it runs against.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from jobforge.storage.errors import InvalidBucketName, InvalidObjectName, KeyTooLong

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255  # NAME_MAX of common filesystems: the local backend's limit per segment

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP_RE = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3")


def validate_bucket_name(bucket: str) -> str:
    """Return ``bucket`` if it follows S3's general-purpose bucket naming rules, else raise."""

    def bad(reason: str) -> InvalidBucketName:
        return InvalidBucketName(f"Invalid bucket name {bucket!r}: {reason}", bucket=bucket)

    if not isinstance(bucket, str):
        raise bad("must be a string")
    if not 3 <= len(bucket) <= 63:
        raise bad("must be between 3 and 63 characters long")
    if not _BUCKET_RE.fullmatch(bucket):
        raise bad(
            "may contain only lowercase letters, digits, '.' and '-', "
            "and must begin and end with a letter or digit"
        )
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        raise bad("must not contain '..', '.-' or '-.'")
    if _IP_RE.fullmatch(bucket):
        raise bad("must not be formatted as an IP address")
    if bucket.startswith(_RESERVED_BUCKET_PREFIXES) or bucket.endswith(_RESERVED_BUCKET_SUFFIXES):
        raise bad("uses a prefix or suffix reserved by S3")
    return bucket


def validate_key(key: str, *, bucket: str | None = None, allow_empty_segments: bool = False) -> str:
    """Return ``key`` if it is a safe object key, else raise :class:`InvalidObjectName`.

    ``allow_empty_segments`` permits ``a//b`` and a trailing ``/`` (legal on S3, impossible as
    file names in the local backend).
    """
    if not isinstance(key, str) or key == "":
        raise InvalidObjectName(f"Invalid object key {key!r}: must be a non-empty string", bucket, key)
    _check_text(key, bucket=bucket, what="object key", allow_empty_segments=allow_empty_segments)
    return key


def validate_prefix(prefix: str, *, bucket: str | None = None, allow_empty_segments: bool = False) -> str:
    """Return ``prefix`` if listing by it is safe; same rules as keys, but may be empty or end in '/'."""
    if not isinstance(prefix, str):
        raise InvalidObjectName(f"Invalid prefix {prefix!r}: must be a string", bucket, None)
    if prefix == "":
        return prefix
    body = prefix[:-1] if prefix.endswith("/") and len(prefix) > 1 else prefix
    _check_text(prefix, bucket=bucket, what="prefix", allow_empty_segments=allow_empty_segments, body=body)
    return prefix


def _check_text(
    text: str, *, bucket: str | None, what: str, allow_empty_segments: bool, body: str | None = None
) -> None:
    """Shared rules for keys and prefixes; ``body`` is the part whose segments must be non-empty."""

    def bad(reason: str) -> InvalidObjectName:
        return InvalidObjectName(f"Invalid {what} {text!r}: {reason}", bucket, text)

    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad("is not valid UTF-8") from None
    if size > MAX_KEY_BYTES:
        reason = f"is {size} bytes long, the limit is {MAX_KEY_BYTES} bytes of UTF-8"
        raise KeyTooLong(f"Invalid {what} {text!r}: {reason}", bucket, text)
    decoded = _fully_unquoted(text)
    for form in (text, decoded):
        if _CONTROL_RE.search(form):
            raise bad("must not contain NUL or other control characters")
        if "\\" in form:
            raise bad("must not contain backslashes")
        if form.startswith("/"):
            raise bad("must not start with '/'")
    if decoded.count("/") != text.count("/"):
        raise bad("must not contain a percent-encoded '/' (%2F)")
    segments = (text if body is None else body).split("/")
    decoded_segments = _fully_unquoted(text if body is None else body).split("/")
    for segment in (*segments, *decoded_segments):
        if segment in (".", ".."):
            raise bad("must not contain '.' or '..' path segments (plain or percent-encoded)")
    if not allow_empty_segments:
        if "" in segments:
            raise bad("must not contain empty path segments ('//' or a trailing '/')")
        for segment in segments:
            if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
                raise bad(f"has a path segment longer than {MAX_SEGMENT_BYTES} bytes")


def _fully_unquoted(text: str, rounds: int = 4) -> str:
    """Percent-decode until stable, so double-encoded traversal (``%252e``) is caught too."""
    for _ in range(rounds):
        decoded = unquote(text, errors="surrogateescape")
        if decoded == text:
            break
        text = decoded
    return text
