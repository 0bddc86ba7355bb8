"""CreateJob's part of each job type: the checks that can be made at once and the job's plan.

Each ``plan_<type>(p)`` checks the type's Details member ``p.details`` (the data set's asset type,
the revision's state, list sizes against ``spec.job_limit``, object names) and fills ``p.plan``
(the stored job request: data set, revisions, new asset ids and storage keys, upload limits); it
may add response fields to ``p.details`` (signed URLs). :mod:`job_types` pairs each with its
type's handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobforge.engine import Resource, Scope
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    REVISION,
    AssetStorage,
    conflict,
    invalid,
    iso,
    limit_exceeded,
    new_dx_id,
)
from jobforge.services.dataexchange.job_handlers import GB
from jobforge.services.dataexchange.key_patterns import JOB_DEFAULT, KeyPattern, KeyPatternError
from jobforge.storage import (
    BucketAccessDenied,
    InvalidObjectName,
    ObjectStore,
    validate_bucket_name,
    validate_key,
)

if TYPE_CHECKING:
    from jobforge.services.dataexchange.job_types import JobType
    from jobforge.services.dataexchange.jobs import JobOperations

API_SPEC_MAX_BYTES = 10 * 1024 * 1024
_DATASHARE_ARN = re.compile(r"arn:aws[a-z-]*:redshift:[a-z0-9-]+:\d{12}:datashare:[0-9a-fA-F-]{36}/[^/\s]+")


def check_encryption(encryption: dict[str, Any] | None) -> None:
    if not encryption:
        return
    if encryption["Type"] == "aws:kms" and not encryption.get("KmsKeyArn"):
        raise invalid("Encryption.KmsKeyArn is required when Encryption.Type is aws:kms")
    if encryption["Type"] == "AES256" and encryption.get("KmsKeyArn"):
        raise invalid("Encryption.KmsKeyArn is only allowed when Encryption.Type is aws:kms")


def check_object_name(store: ObjectStore, scope: Scope, bucket: str, key: str | None = None) -> None:
    """A well-formed bucket and key that the caller may use (ValidationException otherwise)."""
    try:
        validate_bucket_name(bucket)
        if key is not None:
            validate_key(key, bucket=bucket, allow_empty_segments=True)
        store.policy.check(bucket, scope.account_id)
    except (InvalidObjectName, BucketAccessDenied) as exc:
        raise invalid(str(exc)) from None


@dataclass
class Planning:
    """One CreateJob being planned, with the provider's lookups (``ops``)."""

    ops: JobOperations
    ctx: RequestContext
    spec: JobType
    job_id: str
    details: dict[str, Any]  # the request's Details member (response fields are added to it)
    plan: dict[str, Any]  # the stored job request

    def data_set(self) -> Resource:
        """The job's data set, of the type's asset type."""
        data_set = self.ops._data_set(self.ctx, self.details["DataSetId"])
        found, wanted = data_set.data["AssetType"], self.spec.asset_type
        if found != wanted and self.spec.imports:
            raise invalid(
                f"A {self.spec.name} job needs a data set of asset type {wanted}; "
                f"data set {data_set.resource_id} is {found}"
            )
        if found != wanted:
            raise invalid(f"Only {wanted} data sets can be exported; this one is {found}")
        return data_set

    def revision(self, data_set: Resource, revision_id: str) -> Resource:
        """A revision of the data set the job may use (not revoked; for imports, not finalized)."""
        revision = self.ops._revision(self.ctx, data_set.resource_id, revision_id)
        if revision.data.get("Revoked"):
            raise conflict(f"Revision {revision.resource_id} is revoked", REVISION, revision.resource_id)
        if self.spec.imports and revision.data.get("Finalized"):
            raise conflict(
                f"Revision {revision.resource_id} is finalized; assets can only be added to a revision "
                "that is not finalized",
                REVISION,
                revision.resource_id,
            )
        return revision

    def new_assets(self, count: int) -> None:
        """An import of ``count`` assets into the Details' revision: their ids and storage keys."""
        revision = self.revision(self.data_set(), self.details["RevisionId"])
        data_set_id, revision_id = self.details["DataSetId"], revision.resource_id
        self.plan["DataSetId"], self.plan["RevisionIds"] = data_set_id, [revision_id]
        self.plan["AssetIds"] = [new_dx_id() for _ in range(count)]
        self.plan["StorageKeys"] = [
            AssetStorage.key(self.ctx, data_set_id, revision_id, a) for a in self.plan["AssetIds"]
        ]

    def export_assets(self, asset_ids: list[str]) -> None:
        """An export of existing assets of the Details' revision."""
        data_set, revision_id = self.data_set(), self.details["RevisionId"]
        revision = self.revision(data_set, revision_id)
        for asset_id in asset_ids:
            self.ops._asset(self.ctx, data_set.resource_id, revision.resource_id, asset_id)
        self.plan["DataSetId"], self.plan["RevisionIds"] = self.details["DataSetId"], [revision_id]

    def upload_url(self, max_bytes: int) -> tuple[str, str]:
        """A signed URL for the job's upload, and its expiry (ISO)."""
        from jobforge.services.dataexchange.signed_urls import UPLOAD_ACTION, expires_at  # imports job_types

        expires = expires_at(self.ops.limits["Import signed URL lifetime in seconds"])
        url = self.ops.runtime.signer.url(self.ctx.base_url, UPLOAD_ACTION, self.ctx, self.job_id, expires)
        self.plan["UploadMaxBytes"] = max_bytes
        return url, iso(expires)

    def check_count(self, items: list[Any], member: str, noun: str) -> None:
        """At least one item, and no more than the type's per-job quota allows."""
        if not items:
            raise invalid(f"{member} must name at least one {noun}")
        limit_name = self.spec.job_limit or ""
        limit = self.ops.limits.count(limit_name)
        if len(items) > limit:
            raise limit_exceeded(limit_name, limit)

    def check_object_name(self, bucket: str, key: str | None = None) -> None:
        check_object_name(self.ops.store, self.ctx, bucket, key)


def plan_import_assets_from_s3(p: Planning) -> None:
    sources = p.details["AssetSources"]
    p.check_count(sources, "AssetSources", "object")
    for source in sources:
        p.check_object_name(source["Bucket"], source["Key"])
    p.new_assets(len(sources))


def plan_import_asset_from_signed_url(p: Planning) -> None:
    name = p.details["AssetName"]
    if not name or len(name) > 1024:
        raise invalid("AssetName must be 1 to 1024 characters long")
    p.new_assets(1)
    url, expires = p.upload_url(int(p.ops.limits["Signed URL import size in GB"] * GB))
    p.details.update(SignedUrl=url, SignedUrlExpiresAt=expires)


def plan_import_asset_from_api_gateway_api(p: Planning) -> None:
    for field in ("ApiId", "ApiName", "Stage"):
        if not p.details[field].strip():
            raise invalid(f"{field} must not be empty")
    p.new_assets(1)
    url, expires = p.upload_url(API_SPEC_MAX_BYTES)
    p.details.update(ApiSpecificationUploadUrl=url, ApiSpecificationUploadUrlExpiresAt=expires)


def plan_import_assets_from_redshift_data_shares(p: Planning) -> None:
    sources = p.details["AssetSources"]
    p.check_count(sources, "AssetSources", "datashare")
    for source in sources:
        if not _DATASHARE_ARN.fullmatch(source["DataShareArn"]):
            raise invalid(
                f"{source['DataShareArn']!r} is not a datashare ARN "
                "(arn:aws:redshift:<region>:<account>:datashare:<namespace-guid>/<name>)"
            )
    p.new_assets(len(sources))


def plan_create_s3_data_access_from_s3_bucket(p: Planning) -> None:
    source = p.details["AssetSource"]
    p.check_object_name(source["Bucket"])
    for key in [*source.get("Keys", []), *source.get("KeyPrefixes", [])]:
        p.check_object_name(source["Bucket"], key)
    p.new_assets(1)


def plan_import_assets_from_lake_formation_tag_policy(p: Planning) -> None:
    policies = [p.details.get(name) for name in ("Database", "Table") if p.details.get(name)]
    if not policies:
        raise invalid("Give a Database or a Table LF-tag policy (or both)")
    for policy in policies:
        if not policy["Expression"] or not policy["Permissions"]:
            raise invalid("An LF-tag policy needs at least one expression and one permission")
        for tag in policy["Expression"]:
            if not tag["TagValues"]:
                raise invalid(f"LF-tag {tag['TagKey']!r} needs at least one value")
    p.new_assets(len(policies))


def plan_export_assets_to_s3(p: Planning) -> None:
    destinations = p.details["AssetDestinations"]
    p.check_count(destinations, "AssetDestinations", "asset")
    check_encryption(p.details.get("Encryption"))
    for destination in destinations:
        p.check_object_name(destination["Bucket"], destination.get("Key"))
    p.export_assets([d["AssetId"] for d in destinations])


def plan_export_asset_to_signed_url(p: Planning) -> None:
    p.export_assets([p.details["AssetId"]])


def plan_export_revisions_to_s3(p: Planning) -> None:
    destinations = p.details["RevisionDestinations"]
    if len(destinations) != 1:
        raise invalid("An EXPORT_REVISIONS_TO_S3 job exports exactly one revision")
    check_encryption(p.details.get("Encryption"))
    data_set = p.data_set()
    for destination in destinations:
        p.check_object_name(destination["Bucket"])
        destination.setdefault("KeyPattern", JOB_DEFAULT)
        try:
            KeyPattern(destination["KeyPattern"])
        except KeyPatternError as exc:
            raise invalid(str(exc)) from None
        p.revision(data_set, destination["RevisionId"])
    p.plan["DataSetId"] = data_set.resource_id
    p.plan["RevisionIds"] = [d["RevisionId"] for d in destinations]
