"""What the Data Exchange operation groups and job handlers share: resource kinds, ids, ARNs,
state words, modeled errors, configurable limits and the runtime objects (stores, signer)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from jobforge.engine import (
    JobEngine,
    JobState,
    NotFound,
    QuotaExceeded,
    Resource,
    ResourceQuota,
    Scope,
    StatusWords,
)
from jobforge.protocol.errors import ServiceError
from jobforge.services.arns import build_arn
from jobforge.services.base import ErrorNames, ServiceProvider
from jobforge.storage import ObjectStore

SERVICE = "dataexchange"

DATA_SET = "data-set"
REVISION = "revision"
ASSET = "asset"
EVENT_ACTION = "event-action"
UPLOAD = "signed-upload"  # one per signed-URL import job: what arrived at its upload URL

DEFAULT_ASSET_BUCKET = "jobforge-dataexchange"

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

_RESOURCE_TYPES = {
    DATA_SET: "DATA_SET",
    REVISION: "REVISION",
    ASSET: "ASSET",
    EVENT_ACTION: "EVENT_ACTION",
    "job": "JOB",
}

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
    def from_settings(cls, settings: Any) -> Limits:
        raw = getattr(settings, "dataexchange_limits", None) or "{}"
        overrides = json.loads(raw) if isinstance(raw, str) else dict(raw)
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


# -- modeled errors -----------------------------------------------------------------------------


def not_found(kind: str, resource_id: str, message: str | None = None) -> ServiceError:
    resource_type = _RESOURCE_TYPES.get(kind, "DATA_SET")
    label = resource_type.replace("_", " ").lower()
    return ServiceError(
        "ResourceNotFoundException",
        message or f"The {label} {resource_id} does not exist",
        ResourceId=resource_id,
        ResourceType=resource_type,
    )


def conflict(message: str, kind: str, resource_id: str) -> ServiceError:
    return ServiceError(
        "ConflictException", message, ResourceId=resource_id, ResourceType=_RESOURCE_TYPES[kind]
    )


def invalid(message: str, cause: str | None = None) -> ServiceError:
    fields = {"ExceptionCause": cause} if cause else {}
    return ServiceError("ValidationException", message, **fields)


def limit_exceeded(name: str, value: float, what: str | None = None) -> ServiceError:
    return ServiceError(
        "ServiceLimitExceededException",
        what or f"The limit '{name}' ({value:g}) was reached",
        LimitName=name,
        LimitValue=float(value),
    )


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

    def __init__(self, engine: JobEngine, store: ObjectStore, settings: Any = None) -> None:
        from jobforge.services.dataexchange.signed_urls import UrlSigner

        self.engine = engine
        self.store = store
        self.settings = settings
        self.resources = engine.resources(SERVICE)
        self.limits = Limits.from_settings(settings)
        bucket = getattr(settings, "dataexchange_bucket", None) or DEFAULT_ASSET_BUCKET
        self.storage = AssetStorage(store, bucket)
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

    errors = ErrorNames(
        invalid="ValidationException",
        limit="ServiceLimitExceededException",
        already_exists="ConflictException",
        idempotency="ConflictException",
    )

    def __init__(self, runtime: DataExchangeRuntime) -> None:
        self.runtime = runtime
        self.engine = runtime.engine
        self.store = runtime.store
        self.resources = runtime.resources
        self.limits = runtime.limits

    def translate(self, exc: Exception) -> ServiceError | None:
        if isinstance(exc, NotFound):
            return not_found(exc.kind, exc.resource_id)
        if isinstance(exc, QuotaExceeded):
            return limit_exceeded(exc.limit_name, exc.limit_value, exc.message)
        return super().translate(exc)

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
