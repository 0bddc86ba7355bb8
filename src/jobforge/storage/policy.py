"""Which buckets a user request may name: the one place that keeps accounts out of internal buckets.

Services keep their own data in internal buckets of the same store (Data Exchange asset bytes in
``jobforge-dataexchange``). They declare those with :meth:`BucketPolicy.reserve`; every bucket a
user names (a job's source, destination or location, a template location) goes through
:meth:`BucketPolicy.check` before it is read or written, at the API call and again when the job
runs. A refusal is :class:`BucketAccessDenied`, whose message names only the bucket.

Every other bucket belongs to one account: the one ``owners`` names for it, else ``default_owner``
(jobs create no buckets, so this map is the record), unless the bucket was created through the S3
API: then ``recorded_owner`` (set by the server, backed by a durable record) names its creator and
takes precedence. A request of another account is refused the
same way. A policy without a default owner (a store used outside a server) checks reservations only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

from jobforge.storage.errors import AccessDenied


class BucketAccessDenied(AccessDenied):
    """A user request named a bucket it may not use (reserved, or another account's)."""


class BucketPolicy:
    """The reserved (internal) buckets and the bucket owners of one server; thread-safe."""

    def __init__(self, owners: Mapping[str, str] | None = None, default_owner: str | None = None) -> None:
        self._reserved: set[str] = set()
        self._lock = threading.Lock()
        self.owners = dict(owners or {})
        self.default_owner = default_owner
        # bucket -> the account that created it through the S3 API (None: no such record)
        self.recorded_owner: Callable[[str], str | None] | None = None

    def owner(self, bucket: str) -> str | None:
        """The account ``bucket`` belongs to (None: ownership is not enforced)."""
        recorded = self.recorded_owner(bucket) if self.recorded_owner is not None else None
        return recorded or self.owners.get(bucket, self.default_owner)

    def usable(self, buckets: Iterable[str], account: str, recorded: Mapping[str, str]) -> list[str]:
        """The ``buckets`` a request of ``account`` may use, given every ``recorded`` owner at once
        (bucket -> account: one read for a whole listing instead of one per bucket)."""
        reserved = self.reserved
        return [
            bucket
            for bucket in buckets
            if bucket not in reserved
            and (recorded.get(bucket) or self.owners.get(bucket, self.default_owner)) in (None, account)
        ]

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
        owner = self.owner(bucket)
        if account is not None and owner is not None and owner != account:
            raise BucketAccessDenied(
                f"Access to bucket {bucket} is denied: it is not a bucket of this account", bucket=bucket
            )
        return bucket
