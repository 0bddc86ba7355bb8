"""Which buckets a user request may name: the one place that keeps accounts out of internal buckets.

Services keep their own data in internal buckets of the same store (Data Exchange asset bytes in
``jobforge-dataexchange``). They declare those with :meth:`BucketPolicy.reserve`; every bucket a
user names (a job's source, destination or location, a template location) goes through
:meth:`BucketPolicy.check` before it is read or written, at the API call and again when the job
runs. A refusal is :class:`BucketAccessDenied`, whose message names only the bucket.
"""

from __future__ import annotations

import threading

from jobforge.storage.errors import AccessDenied


class BucketAccessDenied(AccessDenied):
    """A user request named a bucket it may not use (reserved, or another account's)."""


class BucketPolicy:
    """The reserved (internal) buckets of one server; safe to share between threads."""

    def __init__(self) -> None:
        self._reserved: set[str] = set()
        self._lock = threading.Lock()

    def reserve(self, bucket: str) -> None:
        """Declare ``bucket`` internal: no user-supplied bucket, key or location may name it."""
        with self._lock:
            self._reserved.add(bucket)

    @property
    def reserved(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._reserved)

    def is_reserved(self, bucket: str) -> bool:
        with self._lock:
            return bucket in self._reserved

    def check(self, bucket: str, account: str | None = None) -> str:
        """Return ``bucket`` if a request of ``account`` may read or write it, else raise."""
        if self.is_reserved(bucket):
            raise BucketAccessDenied(
                f"Access to bucket {bucket} is denied: it is reserved for jobforge's internal use",
                bucket=bucket,
            )
        return bucket
