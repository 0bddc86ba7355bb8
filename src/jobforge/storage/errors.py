"""Storage errors: backend-neutral, each naming the bucket and key so services can say what to fix."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every object-store failure; ``bucket``/``key`` say which object it concerns."""

    def __init__(self, message: str, bucket: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.bucket = bucket
        self.key = key


class InvalidObjectName(StorageError):
    """A bucket name, key or prefix that is malformed or could escape the store root."""


class KeyTooLong(InvalidObjectName):
    """A key or prefix longer than S3's 1,024 bytes of UTF-8."""


class InvalidBucketName(InvalidObjectName):
    """A bucket name that breaks S3's naming rules (an :class:`InvalidObjectName` too)."""


class KeyConflict(StorageError):
    """The local backend cannot hold both ``a`` and ``a/b``: a file cannot also be a directory."""


class NoSuchBucket(StorageError):
    """The bucket does not exist."""


class NoSuchKey(StorageError):
    """The bucket exists but holds no object under the key."""


class AccessDenied(StorageError):
    """The backend refused the operation (S3 403, or a filesystem permission error)."""


class BucketNotEmpty(StorageError):
    """A bucket cannot be deleted while it holds objects."""


class NoSuchUpload(StorageError):
    """No multipart upload with that id for that bucket and key (never begun, completed or aborted)."""


class InvalidPart(StorageError):
    """A part a multipart completion names was not uploaded, or not with that ETag."""


class MultipartUnsupported(StorageError):
    """The backend does not stage multipart uploads itself (the S3 backend: the API is off there)."""


class NotSupported(StorageError):
    """Something this backend cannot do where it runs (e.g. keep metadata without extended attributes)."""
