"""CreateJob's part of each job type: the checks that can be made at once and the job's plan.

Each ``plan_<type>(ops, ctx, spec, job_id, details, plan)`` checks the type's Details member (the
data set's asset type, the revision's state, list sizes against ``spec.job_limit``, object names)
and fills ``plan`` (the stored job request: data set, revisions, new asset ids and storage keys,
upload limits); it may add response fields to ``details`` (signed URLs). :mod:`job_types` pairs
each with its type's handler.
"""

from __future__ import annotations

import re
from datetime import datetime
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


def _target(
    ops: JobOperations, ctx: RequestContext, spec: JobType, details: dict[str, Any]
) -> tuple[Resource, Resource]:
    """The data set and revision a job works on, checked for type and (imports) openness."""
    data_set = ops._data_set(ctx, details["DataSetId"])
    if data_set.data["AssetType"] != spec.asset_type:
        raise invalid(
            f"A {spec.name} job needs a data set of asset type {spec.asset_type}; "
            f"data set {data_set.resource_id} is {data_set.data['AssetType']}"
        )
    revision = ops._revision(ctx, data_set.resource_id, details["RevisionId"])
    _check_revision(spec, revision)
    return data_set, revision


def _check_revision(spec: JobType, revision: Resource) -> None:
    if revision.data.get("Revoked"):
        raise conflict(f"Revision {revision.resource_id} is revoked", REVISION, revision.resource_id)
    if spec.imports and revision.data.get("Finalized"):
        raise conflict(
            f"Revision {revision.resource_id} is finalized; assets can only be added to a revision "
            "that is not finalized",
            REVISION,
            revision.resource_id,
        )


def _new_assets(
    ctx: RequestContext, plan: dict[str, Any], data_set_id: str, revision_id: str, count: int
) -> None:
    plan["DataSetId"], plan["RevisionIds"] = data_set_id, [revision_id]
    plan["AssetIds"] = [new_dx_id() for _ in range(count)]
    plan["StorageKeys"] = [AssetStorage.key(ctx, data_set_id, revision_id, a) for a in plan["AssetIds"]]


def _upload_url(
    ops: JobOperations,
    ctx: RequestContext,
    job_id: str,
    plan: dict[str, Any],
    lifetime: float,
    max_bytes: int,
) -> tuple[str, datetime]:
    from jobforge.services.dataexchange.signed_urls import UPLOAD_ACTION, expires_at  # it imports job_types

    expires = expires_at(lifetime)
    url = ops.runtime.signer.url(ctx.base_url, UPLOAD_ACTION, ctx, job_id, expires)
    plan["UploadMaxBytes"] = max_bytes
    return url, expires


def _check_count(ops: JobOperations, spec: JobType, items: list[Any], member: str, noun: str) -> None:
    """At least one item, and no more than the type's per-job quota allows."""
    if not items:
        raise invalid(f"{member} must name at least one {noun}")
    limit_name = spec.job_limit or ""
    limit = ops.limits.count(limit_name)
    if len(items) > limit:
        raise limit_exceeded(limit_name, limit)


def plan_import_assets_from_s3(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    sources = details["AssetSources"]
    _check_count(ops, spec, sources, "AssetSources", "object")
    for source in sources:
        check_object_name(ops.store, ctx, source["Bucket"], source["Key"])
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(sources))


def plan_import_asset_from_signed_url(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    name = details["AssetName"]
    if not name or len(name) > 1024:
        raise invalid("AssetName must be 1 to 1024 characters long")
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)
    max_bytes = int(ops.limits["Signed URL import size in GB"] * GB)
    url, expires = _upload_url(
        ops, ctx, job_id, plan, ops.limits["Import signed URL lifetime in seconds"], max_bytes
    )
    details.update(SignedUrl=url, SignedUrlExpiresAt=iso(expires))


def plan_import_asset_from_api_gateway_api(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    for field in ("ApiId", "ApiName", "Stage"):
        if not details[field].strip():
            raise invalid(f"{field} must not be empty")
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)
    url, expires = _upload_url(
        ops, ctx, job_id, plan, ops.limits["Import signed URL lifetime in seconds"], API_SPEC_MAX_BYTES
    )
    details.update(ApiSpecificationUploadUrl=url, ApiSpecificationUploadUrlExpiresAt=iso(expires))


def plan_import_assets_from_redshift_data_shares(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    sources = details["AssetSources"]
    _check_count(ops, spec, sources, "AssetSources", "datashare")
    for source in sources:
        if not _DATASHARE_ARN.fullmatch(source["DataShareArn"]):
            raise invalid(
                f"{source['DataShareArn']!r} is not a datashare ARN "
                "(arn:aws:redshift:<region>:<account>:datashare:<namespace-guid>/<name>)"
            )
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(sources))


def plan_create_s3_data_access_from_s3_bucket(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    source = details["AssetSource"]
    check_object_name(ops.store, ctx, source["Bucket"])
    for key in [*source.get("Keys", []), *source.get("KeyPrefixes", [])]:
        check_object_name(ops.store, ctx, source["Bucket"], key)
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)


def plan_import_assets_from_lake_formation_tag_policy(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    policies = [details.get(name) for name in ("Database", "Table") if details.get(name)]
    if not policies:
        raise invalid("Give a Database or a Table LF-tag policy (or both)")
    for policy in policies:
        if not policy["Expression"] or not policy["Permissions"]:
            raise invalid("An LF-tag policy needs at least one expression and one permission")
        for tag in policy["Expression"]:
            if not tag["TagValues"]:
                raise invalid(f"LF-tag {tag['TagKey']!r} needs at least one value")
    _, revision = _target(ops, ctx, spec, details)
    _new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(policies))


def _export_assets(
    ops: JobOperations, ctx: RequestContext, spec: JobType, details: dict[str, Any], asset_ids: list[str]
) -> None:
    data_set = ops._data_set(ctx, details["DataSetId"])
    if data_set.data["AssetType"] != spec.asset_type:
        raise invalid(
            f"Only {spec.asset_type} data sets can be exported; this one is {data_set.data['AssetType']}"
        )
    revision = ops._revision(ctx, data_set.resource_id, details["RevisionId"])
    _check_revision(spec, revision)
    for asset_id in asset_ids:
        ops._asset(ctx, data_set.resource_id, revision.resource_id, asset_id)


def plan_export_assets_to_s3(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    destinations = details["AssetDestinations"]
    _check_count(ops, spec, destinations, "AssetDestinations", "asset")
    check_encryption(details.get("Encryption"))
    for destination in destinations:
        check_object_name(ops.store, ctx, destination["Bucket"], destination.get("Key"))
    _export_assets(ops, ctx, spec, details, [d["AssetId"] for d in destinations])
    plan["DataSetId"], plan["RevisionIds"] = details["DataSetId"], [details["RevisionId"]]


def plan_export_asset_to_signed_url(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    _export_assets(ops, ctx, spec, details, [details["AssetId"]])
    plan["DataSetId"], plan["RevisionIds"] = details["DataSetId"], [details["RevisionId"]]


def plan_export_revisions_to_s3(
    ops: JobOperations,
    ctx: RequestContext,
    spec: JobType,
    job_id: str,
    details: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    destinations = details["RevisionDestinations"]
    if len(destinations) != 1:
        raise invalid("An EXPORT_REVISIONS_TO_S3 job exports exactly one revision")
    check_encryption(details.get("Encryption"))
    data_set = ops._data_set(ctx, details["DataSetId"])
    if data_set.data["AssetType"] != spec.asset_type:
        raise invalid(
            f"Only {spec.asset_type} data sets can be exported; this one is {data_set.data['AssetType']}"
        )
    for destination in destinations:
        check_object_name(ops.store, ctx, destination["Bucket"])
        destination.setdefault("KeyPattern", JOB_DEFAULT)
        try:
            KeyPattern(destination["KeyPattern"])
        except KeyPatternError as exc:
            raise invalid(str(exc)) from None
        revision = ops._revision(ctx, data_set.resource_id, destination["RevisionId"])
        _check_revision(spec, revision)
    plan["DataSetId"] = data_set.resource_id
    plan["RevisionIds"] = [d["RevisionId"] for d in destinations]
