"""The durable record of which account created each bucket through the S3 API.

Kept in the engine's database (``resources`` table, service ``s3``, kind ``bucket``) under one
server-wide scope, since bucket names are global; :class:`jobforge.storage.BucketPolicy` consults
it before its configured owners, so every service sees the same owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobforge.engine import JobEngine
from jobforge.engine.errors import AlreadyExists, NotFound

KIND = "bucket"


@dataclass(frozen=True)
class _ServerScope:
    account_id: str = "-"
    region: str = "-"


_SCOPE = _ServerScope()


class BucketOwners:
    """Bucket -> the account that created it (thread-safe: every call is its own transaction)."""

    def __init__(self, engine: JobEngine) -> None:
        self._resources = engine.resources("s3")

    def _record(self, bucket: str) -> dict[str, Any]:
        """The bucket's record (empty: not created through the API)."""
        try:
            return self._resources.get(_SCOPE, KIND, bucket).data
        except NotFound:
            return {}

    def owner(self, bucket: str) -> str | None:
        owner = self._record(bucket).get("owner")
        return str(owner) if owner else None

    def all(self) -> dict[str, str]:
        """Every recorded bucket -> its owner, in one read per thousand buckets."""
        found: dict[str, str] = {}
        token: str | None = None
        while True:
            page = self._resources.list(_SCOPE, KIND, max_results=1000, next_token=token)
            found.update({r.resource_id: str(r.data["owner"]) for r in page.items if r.data.get("owner")})
            token = page.next_token
            if not token:
                return found

    def region(self, bucket: str) -> str | None:
        """The region the bucket was created in (None: not created through the API)."""
        region = self._record(bucket).get("region")
        return str(region) if region else None

    def record(self, bucket: str, account_id: str, region: str | None = None) -> bool:
        """Claim ``bucket`` for ``account_id`` (created in ``region``); False if another create
        claimed it first."""
        data = {"owner": account_id, "region": region}
        try:
            self._resources.create(_SCOPE, KIND, bucket, f"arn:aws:s3:::{bucket}", data)
        except AlreadyExists:
            return False
        return True

    def forget(self, bucket: str) -> None:
        try:
            self._resources.delete(_SCOPE, KIND, bucket)
        except NotFound:
            pass
