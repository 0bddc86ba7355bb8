"""What the Data Exchange operation groups and job handlers share: resource kinds, ids, ARNs,
state words, configurable limits and the runtime objects (stores, signer); the modeled errors
are declared in :mod:`errors` (re-exported here)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from jobforge.engine import (
    JobEngine,
    JobState,
    Resource,
    ResourceQuota,
    Scope,
    StatusWords,
)
from jobforge.services.arns import build_arn
from jobforge.services.base import ServiceProvider
from jobforge.services.dataexchange.errors import NAMES, not_found
from jobforge.services.dataexchange.errors import conflict as conflict  # re-exported
from jobforge.services.dataexchange.errors import invalid as invalid  # re-exported
from jobforge.services.dataexchange.errors import limit_exceeded as limit_exceeded  # re-exported
from jobforge.storage import ObjectStore

if TYPE_CHECKING:
    from jobforge.services.dataexchange.settings import DataExchangeSettings

SERVICE = "dataexchange"

DATA_SET = "data-set"
REVISION = "revision"
ASSET = "asset"
EVENT_ACTION = "event-action"
UPLOAD = "signed-upload"  # one per signed-URL import job: what arrived at its upload URL

# Engine states -> the model's job State enum.
JOB_STATES = StatusWords(
    {
        JobState.WAITING: "WAITING",
        JobState.PENDING: "IN_PROGRESS",
        JobState.RUNNING: "IN_PROGRESS",
        JobState.CANCELING: "IN_PROGRESS",
        JobState.SUCCEEDED: "COMPLETED",
        JobState.PARTIALLY_SUCCEEDED: "ERROR",
        JobState.FAILED: "ERROR",
        JobState.CANCELED: "CANCELLED",
        JobState.TIMED_OUT: "TIMED_OUT",
    }
)

# Limit names are the model's LimitName enum values, verbatim; values are AWS's defaults.
DEFAULT_LIMITS: dict[str, float] = {
    "Data sets per account": 3000,
    "Revisions per data set": 10000,
    "Assets per revision": 10000,
    "Asset size in GB": 100,
    "Assets per import job from Amazon S3": 100,
    "Asset per export job from Amazon S3": 100,
    "Concurrent in progress jobs to import assets from Amazon S3": 10,
    "Concurrent in progress jobs to import assets from a signed URL": 10,
    "Concurrent in progress jobs to export assets to Amazon S3": 10,
    "Concurrent in progress jobs to export assets to a signed URL": 10,
    "Concurrent in progress jobs to export revisions to Amazon S3": 5,
    "Concurrent in progress jobs to import assets from Amazon Redshift datashares": 10,
    "Concurrent in progress jobs to import assets from an API Gateway API": 10,
    "Concurrent in progress jobs to create Amazon S3 data access assets from S3 buckets": 5,
    "Concurrent in progress jobs to import assets from an AWS Lake Formation tag policy": 5,
    "Event actions per account": 50,
    "Auto export event actions per data set": 5,
    "Amazon Redshift datashare assets per import job from Redshift": 10,
    "Amazon Redshift datashare assets per revision": 20,
    "Revisions per Amazon Redshift datashare data set": 20,
    "Amazon API Gateway API assets per revision": 20,
    "Revisions per Amazon API Gateway API data set": 20,
    "Amazon S3 data access assets per revision": 5,
    "Revisions per Amazon S3 data access data set": 5,
    "AWS Lake Formation data permission assets per revision": 20,
    "Revisions per AWS Lake Formation data permission data set": 20,
    # jobforge's own knobs (not AWS quota names)
    "Signed URL import size in GB": 5,
    "Job time limit in seconds": 24 * 3600,
    "Import signed URL lifetime in seconds": 3600,
    "Export signed URL lifetime in seconds": 60,
    "API specification download URL lifetime in seconds": 3600,
}

REVISION_LIMITS = {
    "S3_SNAPSHOT": "Revisions per data set",
    "REDSHIFT_DATA_SHARE": "Revisions per Amazon Redshift datashare data set",
    "API_GATEWAY_API": "Revisions per Amazon API Gateway API data set",
    "S3_DATA_ACCESS": "Revisions per Amazon S3 data access data set",
    "LAKE_FORMATION_DATA_PERMISSION": "Revisions per AWS Lake Formation data permission data set",
}


@dataclass(frozen=True)
class Limits:
    """AWS's quota defaults, overridden by ``JOBFORGE_DATAEXCHANGE_LIMITS`` (a JSON object)."""

    values: Mapping[str, float]

    @classmethod
    def parse(cls, raw: str | None) -> Limits:
        """The defaults with the overrides of ``raw`` (JSON); ValueError or TypeError if impossible."""
        overrides = dict(json.loads(raw or "{}"))
        unknown = set(overrides) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(
                f"Unknown Data Exchange limits {sorted(unknown)}; known: {sorted(DEFAULT_LIMITS)}"
            )
        return cls({**DEFAULT_LIMITS, **{k: float(v) for k, v in overrides.items()}})

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def count(self, name: str) -> int:
        return int(self.values[name])

    def quota(self, name: str, kind: str, parent_id: str | None = None) -> ResourceQuota:
        """The named limit on resources of ``kind`` (below ``parent_id``), for the engine to enforce."""
        return ResourceQuota(name, self.count(name), kind, parent_id)


def new_dx_id() -> str:
    """AWS Data Exchange ids are 32 lowercase hex characters."""
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Millisecond UTC text, as AWS writes ``CreatedAt`` (also used in key patterns)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def data_set_arn(scope: Scope, data_set_id: str) -> str:
    return build_arn(SERVICE, scope, "data-sets", data_set_id)


def revision_arn(scope: Scope, data_set_id: str, revision_id: str) -> str:
    return build_arn(SERVICE, scope, "data-sets", f"{data_set_id}/revisions/{revision_id}")


def asset_arn(scope: Scope, data_set_id: str, revision_id: str, asset_id: str) -> str:
    return build_arn(SERVICE, scope, "data-sets", f"{data_set_id}/revisions/{revision_id}/assets/{asset_id}")


def job_arn(scope: Scope, job_id: str) -> str:
    return build_arn(SERVICE, scope, "jobs", job_id)


def event_action_arn(scope: Scope, event_action_id: str) -> str:
    return build_arn(SERVICE, scope, "event-actions", event_action_id)


# -- runtime ------------------------------------------------------------------------------------


class AssetStorage:
    """Where asset bytes live: one internal bucket of the server's object store, one object per
    asset at ``assets/<account>/<region>/<data-set>/<revision>/<asset>`` (renames move nothing)."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self.store = store
        self.bucket = bucket
        self._ready = False
        store.policy.reserve(bucket)  # no user request may name it (jobforge.storage.policy)

    def ensure_bucket(self) -> None:
        if not self._ready:
            self.store.create_bucket(self.bucket)
            self._ready = True

    @staticmethod
    def key(scope: Scope, data_set_id: str, revision_id: str, asset_id: str) -> str:
        return f"assets/{scope.account_id}/{scope.region}/{data_set_id}/{revision_id}/{asset_id}"

    def discard(self, key: str) -> None:
        """Best-effort removal (cleanup after failures, deletes): never raises."""
        try:
            self.store.delete(self.bucket, key)
        except Exception:
            pass


class DataExchangeRuntime:
    """The objects the provider, the job handlers and the signed-URL endpoint share."""

    def __init__(self, engine: JobEngine, store: ObjectStore, settings: DataExchangeSettings) -> None:
        from jobforge.services.dataexchange.signed_urls import UrlSigner

        self.engine = engine
        self.store = store
        self.settings = settings
        self.resources = engine.resources(SERVICE)
        self.limits = settings.limits
        self.storage = AssetStorage(store, settings.bucket)
        self.store_spec = settings.store  # ``store`` as worker processes reopen it
        self.signer = UrlSigner(engine.secret("dataexchange-signed-urls"))

    def children(self, scope: Scope, kind: str, parent_id: str) -> list[Resource]:
        """Every resource of ``kind`` below ``parent_id``, oldest first (walks all pages)."""
        found: list[Resource] = []
        token: str | None = None
        while True:
            page = self.resources.list(scope, kind, parent_id=parent_id, max_results=500, next_token=token)
            found.extend(page.items)
            if not page.next_token:
                return found
            token = page.next_token


class DataExchangeBase(ServiceProvider):
    """State and lookups shared by every operation group."""

    errors = NAMES

    def __init__(self, runtime: DataExchangeRuntime) -> None:
        self.runtime = runtime
        self.engine = runtime.engine
        self.store = runtime.store
        self.resources = runtime.resources
        self.limits = runtime.limits

    def _data_set(self, scope: Scope, data_set_id: str, conn: Connection | None = None) -> Resource:
        found = self.resources.find(scope, DATA_SET, data_set_id, conn)
        if found is None:
            raise not_found(DATA_SET, data_set_id)
        return found

    def _revision(
        self, scope: Scope, data_set_id: str, revision_id: str, conn: Connection | None = None
    ) -> Resource:
        found = self.resources.find(scope, REVISION, revision_id, conn)
        if found is None or found.parent_id != data_set_id:
            self._data_set(scope, data_set_id, conn)
            raise not_found(REVISION, revision_id)
        return found

    def _asset(
        self,
        scope: Scope,
        data_set_id: str,
        revision_id: str,
        asset_id: str,
        conn: Connection | None = None,
    ) -> Resource:
        found = self.resources.find(scope, ASSET, asset_id, conn)
        if found is None or found.parent_id != revision_id or found.data.get("DataSetId") != data_set_id:
            self._revision(scope, data_set_id, revision_id, conn)
            raise not_found(ASSET, asset_id)
        return found

    @staticmethod
    def _page_size(request: dict[str, Any], default: int = 50) -> int:
        return int(request.get("MaxResults") or default)
