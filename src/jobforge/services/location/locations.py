"""S3 locations of ValidateAddress jobs: ``s3://bucket/prefix/`` URIs and S3 ARNs, read once here.

Input may name a whole bucket, a prefix (every Parquet file under it) or a single object; output
always names a bucket or a prefix, under which each job writes its own ``<JobId>/`` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobforge.storage import InvalidObjectName, validate_bucket_name, validate_prefix

_S3_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:s3:::(?P<path>.+)")


class LocationError(ValueError):
    """A location the service cannot use; the message says why (for ValidationException)."""


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key or key prefix inside it (``key`` is "" for the whole bucket)."""

    bucket: str
    key: str

    @property
    def is_prefix(self) -> bool:
        """A bucket or a ``/``-terminated prefix; otherwise it may name one object."""
        return self.key == "" or self.key.endswith("/")

    def as_prefix(self) -> S3Location:
        """The same location read as a folder (``key/``)."""
        return self if self.is_prefix else S3Location(self.bucket, self.key + "/")

    def child(self, name: str) -> S3Location:
        return S3Location(self.bucket, self.as_prefix().key + name)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_location(value: str) -> S3Location:
    """``s3://bucket[/key...]`` or ``arn:aws:s3:::bucket[/key...]``; LocationError otherwise."""
    if value.startswith("s3://"):
        path = value[len("s3://") :]
    elif match := _S3_ARN.fullmatch(value):
        path = match.group("path")
    elif value.startswith("arn:"):
        raise LocationError(f"{value} is not an Amazon S3 ARN (expected arn:aws:s3:::bucket[/prefix/])")
    else:
        raise LocationError(f"{value} is neither an s3:// URI nor an Amazon S3 ARN")
    bucket, _, key = path.partition("/")
    try:
        validate_bucket_name(bucket)
        if key:
            validate_prefix(key)
    except InvalidObjectName as exc:
        raise LocationError(f"{value}: {exc}") from None
    if "//" in key:
        raise LocationError(f"{value}: empty path segments are not allowed")
    return S3Location(bucket, key)


def parse_output_location(value: str) -> S3Location:
    """An output location is always a folder: ``arn:aws:s3:::bucket/out`` means ``out/``."""
    return parse_location(value).as_prefix()
