"""CreateJob / StartJob / GetJob / ListJobs / CancelJob.

CreateJob checks everything that can be checked synchronously (the Details member matches the
Type, data set / revision / assets exist, the data set's asset type fits, imports target an
open revision, list sizes and key patterns) and stores a WAITING job. StartJob moves it to
IN_PROGRESS under the per-type concurrency quota; the handlers in :mod:`job_handlers` do the work.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from jobforge.engine import IllegalTransition, Job, JobState, Quota, Resource, Scope, check_tags
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    JOB_STATES,
    REVISION,
    SERVICE,
    UPLOAD,
    AssetStorage,
    DataExchangeBase,
    DataExchangeRuntime,
    conflict,
    invalid,
    iso,
    job_arn,
    limit_exceeded,
    new_dx_id,
    not_found,
)
from jobforge.services.dataexchange.errors import JOB_FAILURE_CODES, JOB_INTERNAL_ERROR
from jobforge.services.dataexchange.job_types import (
    API_SPEC_MAX_BYTES,
    GB,
    JOB_TYPES,
    KINDS,
    JobType,
)
from jobforge.services.dataexchange.key_patterns import JOB_DEFAULT, KeyPattern, KeyPatternError
from jobforge.services.dataexchange.signed_urls import UPLOAD_ACTION, expires_at
from jobforge.storage import (
    BucketAccessDenied,
    InvalidObjectName,
    ObjectStore,
    validate_bucket_name,
    validate_key,
)

_TIMESTAMP_FIELDS = ("SignedUrlExpiresAt", "ApiSpecificationUploadUrlExpiresAt")
_DATASHARE_ARN = re.compile(r"arn:aws[a-z-]*:redshift:[a-z0-9-]+:\d{12}:datashare:[0-9a-fA-F-]{36}/[^/\s]+")


def job_view(job: Job) -> dict[str, Any]:
    """GetJob's shape: Arn, CreatedAt, Details, Errors, Id, State, Type, UpdatedAt."""
    spec = JOB_TYPES[job.request["Type"]]
    details = {**job.request["Details"][spec.member], **job.result.get("Details", {})}
    for name in _TIMESTAMP_FIELDS:
        if isinstance(details.get(name), str):
            details[name] = datetime.fromisoformat(details[name].replace("Z", "+00:00"))
    errors = list(job.result.get("Errors") or [])
    if not errors and job.state in (JobState.FAILED, JobState.PARTIALLY_SUCCEEDED):
        code = job.failure_code if job.failure_code in JOB_FAILURE_CODES else JOB_INTERNAL_ERROR
        errors.append({"Code": code, "Message": job.failure_reason or "The job failed"})
    return {
        "Arn": job.arn,
        "CreatedAt": job.created_at,
        "Details": {spec.member: details},
        "Errors": errors,
        "Id": job.job_id,
        "State": JOB_STATES.word(job.state),
        "Type": spec.name,
        "UpdatedAt": job.updated_at,
    }


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


def create_revision_export_job(
    runtime: DataExchangeRuntime,
    scope: Scope,
    data_set_id: str,
    revision_id: str,
    destination: dict[str, Any],
    encryption: dict[str, Any] | None,
    event_action_arn: str,
) -> Job:
    """An EXPORT_REVISIONS_TO_S3 job started at once on behalf of an event action."""
    details: dict[str, Any] = {
        "DataSetId": data_set_id,
        "RevisionDestinations": [{**destination, "RevisionId": revision_id}],
        "EventActionArn": event_action_arn,
    }
    if encryption:
        details["Encryption"] = encryption
    spec = JOB_TYPES["EXPORT_REVISIONS_TO_S3"]
    job_id = new_dx_id()
    job, _ = runtime.engine.jobs.create(
        scope,
        service=SERVICE,
        kind=spec.kind,
        job_id=job_id,
        arn=job_arn(scope, job_id),
        request={
            "Type": spec.name,
            "Details": {spec.member: details},
            "DataSetId": data_set_id,
            "RevisionIds": [revision_id],
        },
        state=JobState.PENDING,
        parent_id=data_set_id,
        timeout_seconds=int(runtime.limits["Job time limit in seconds"]),
    )
    return job


class JobOperations(DataExchangeBase):
    def _job(self, ctx: RequestContext, job_id: str) -> Job:
        job = self.engine.jobs.find(ctx, SERVICE, job_id)
        if job is None or job.kind not in KINDS:
            raise not_found("job", job_id)
        return job

    # -- CreateJob ---------------------------------------------------------------------------

    def create_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        spec = JOB_TYPES[request["Type"]]
        given = sorted(name for name, value in request["Details"].items() if value is not None)
        if given != [spec.member]:
            raise invalid(
                f"A {spec.name} job takes exactly one Details member, {spec.member}; "
                f"got {', '.join(given) or 'none'}"
            )
        details = dict(request["Details"][spec.member])
        job_id = new_dx_id()
        plan: dict[str, Any] = {"Type": spec.name, "BaseUrl": ctx.base_url}
        getattr(self, f"_plan_{spec.name.lower()}")(ctx, spec, job_id, details, plan)
        plan["Details"] = {spec.member: details}
        tags = (request.get("AssetConfiguration") or {}).get("Tags") or []
        if tags:
            plan["AssetTags"] = {tag["Key"]: tag["Value"] for tag in tags}
            check_tags(plan["AssetTags"])  # the job tags the assets it creates: refuse bad tags now
        job, _ = self.engine.jobs.create(
            ctx,
            service=SERVICE,
            kind=spec.kind,
            job_id=job_id,
            arn=job_arn(ctx, job_id),
            request=plan,
            state=JobState.WAITING,
            parent_id=plan["DataSetId"],
            timeout_seconds=int(self.limits["Job time limit in seconds"]),
        )
        view = job_view(job)
        if tags:
            view["AssetConfiguration"] = {"Tags": tags}
        return view

    def _target(
        self, ctx: RequestContext, spec: JobType, details: dict[str, Any]
    ) -> tuple[Resource, Resource]:
        """The data set and revision a job works on, checked for type and (imports) openness."""
        data_set = self._data_set(ctx, details["DataSetId"])
        if data_set.data["AssetType"] != spec.asset_type:
            raise invalid(
                f"A {spec.name} job needs a data set of asset type {spec.asset_type}; "
                f"data set {data_set.resource_id} is {data_set.data['AssetType']}"
            )
        revision = self._revision(ctx, data_set.resource_id, details["RevisionId"])
        self._check_revision(spec, revision)
        return data_set, revision

    @staticmethod
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
        self, ctx: RequestContext, plan: dict[str, Any], data_set_id: str, revision_id: str, count: int
    ) -> None:
        plan["DataSetId"], plan["RevisionIds"] = data_set_id, [revision_id]
        plan["AssetIds"] = [new_dx_id() for _ in range(count)]
        plan["StorageKeys"] = [AssetStorage.key(ctx, data_set_id, revision_id, a) for a in plan["AssetIds"]]

    def _upload_url(
        self, ctx: RequestContext, job_id: str, plan: dict[str, Any], lifetime: float, max_bytes: int
    ) -> tuple[str, datetime]:
        expires = expires_at(lifetime)
        url = self.runtime.signer.url(ctx.base_url, UPLOAD_ACTION, ctx, job_id, expires)
        plan["UploadMaxBytes"] = max_bytes
        return url, expires

    def _check_count(self, items: list[Any], member: str, noun: str, limit_name: str) -> None:
        """At least one item, and no more than the named quota allows."""
        if not items:
            raise invalid(f"{member} must name at least one {noun}")
        limit = self.limits.count(limit_name)
        if len(items) > limit:
            raise limit_exceeded(limit_name, limit)

    def _plan_import_assets_from_s3(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        sources = details["AssetSources"]
        self._check_count(sources, "AssetSources", "object", "Assets per import job from Amazon S3")
        for source in sources:
            check_object_name(self.store, ctx, source["Bucket"], source["Key"])
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(sources))

    def _plan_import_asset_from_signed_url(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        name = details["AssetName"]
        if not name or len(name) > 1024:
            raise invalid("AssetName must be 1 to 1024 characters long")
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)
        max_bytes = int(self.limits["Signed URL import size in GB"] * GB)
        url, expires = self._upload_url(
            ctx, job_id, plan, self.limits["Import signed URL lifetime in seconds"], max_bytes
        )
        details.update(SignedUrl=url, SignedUrlExpiresAt=iso(expires))

    def _plan_import_asset_from_api_gateway_api(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        for field in ("ApiId", "ApiName", "Stage"):
            if not details[field].strip():
                raise invalid(f"{field} must not be empty")
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)
        url, expires = self._upload_url(
            ctx, job_id, plan, self.limits["Import signed URL lifetime in seconds"], API_SPEC_MAX_BYTES
        )
        details.update(ApiSpecificationUploadUrl=url, ApiSpecificationUploadUrlExpiresAt=iso(expires))

    def _plan_import_assets_from_redshift_data_shares(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        sources = details["AssetSources"]
        limit_name = "Amazon Redshift datashare assets per import job from Redshift"
        self._check_count(sources, "AssetSources", "datashare", limit_name)
        for source in sources:
            if not _DATASHARE_ARN.fullmatch(source["DataShareArn"]):
                raise invalid(
                    f"{source['DataShareArn']!r} is not a datashare ARN "
                    "(arn:aws:redshift:<region>:<account>:datashare:<namespace-guid>/<name>)"
                )
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(sources))

    def _plan_create_s3_data_access_from_s3_bucket(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        source = details["AssetSource"]
        check_object_name(self.store, ctx, source["Bucket"])
        for key in [*source.get("Keys", []), *source.get("KeyPrefixes", [])]:
            check_object_name(self.store, ctx, source["Bucket"], key)
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, 1)

    def _plan_import_assets_from_lake_formation_tag_policy(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
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
        _, revision = self._target(ctx, spec, details)
        self._new_assets(ctx, plan, details["DataSetId"], revision.resource_id, len(policies))

    def _export_assets(
        self, ctx: RequestContext, spec: JobType, details: dict[str, Any], asset_ids: list[str]
    ) -> None:
        data_set = self._data_set(ctx, details["DataSetId"])
        if data_set.data["AssetType"] != spec.asset_type:
            raise invalid(
                f"Only {spec.asset_type} data sets can be exported; this one is {data_set.data['AssetType']}"
            )
        revision = self._revision(ctx, data_set.resource_id, details["RevisionId"])
        self._check_revision(spec, revision)
        for asset_id in asset_ids:
            self._asset(ctx, data_set.resource_id, revision.resource_id, asset_id)

    def _plan_export_assets_to_s3(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        destinations = details["AssetDestinations"]
        self._check_count(destinations, "AssetDestinations", "asset", "Asset per export job from Amazon S3")
        check_encryption(details.get("Encryption"))
        for destination in destinations:
            check_object_name(self.store, ctx, destination["Bucket"], destination.get("Key"))
        self._export_assets(ctx, spec, details, [d["AssetId"] for d in destinations])
        plan["DataSetId"], plan["RevisionIds"] = details["DataSetId"], [details["RevisionId"]]

    def _plan_export_asset_to_signed_url(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        self._export_assets(ctx, spec, details, [details["AssetId"]])
        plan["DataSetId"], plan["RevisionIds"] = details["DataSetId"], [details["RevisionId"]]

    def _plan_export_revisions_to_s3(
        self, ctx: RequestContext, spec: JobType, job_id: str, details: dict[str, Any], plan: dict[str, Any]
    ) -> None:
        destinations = details["RevisionDestinations"]
        if len(destinations) != 1:
            raise invalid("An EXPORT_REVISIONS_TO_S3 job exports exactly one revision")
        check_encryption(details.get("Encryption"))
        data_set = self._data_set(ctx, details["DataSetId"])
        if data_set.data["AssetType"] != spec.asset_type:
            raise invalid(
                f"Only {spec.asset_type} data sets can be exported; this one is {data_set.data['AssetType']}"
            )
        for destination in destinations:
            check_object_name(self.store, ctx, destination["Bucket"])
            destination.setdefault("KeyPattern", JOB_DEFAULT)
            try:
                KeyPattern(destination["KeyPattern"])
            except KeyPatternError as exc:
                raise invalid(str(exc)) from None
            revision = self._revision(ctx, data_set.resource_id, destination["RevisionId"])
            self._check_revision(spec, revision)
        plan["DataSetId"] = data_set.resource_id
        plan["RevisionIds"] = [d["RevisionId"] for d in destinations]

    # -- StartJob, GetJob, ListJobs, CancelJob -----------------------------------------------

    def start_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(ctx, request["JobId"])
        spec = JOB_TYPES[job.request["Type"]]
        if job.state is not JobState.WAITING:
            raise conflict(
                f"Job {job.job_id} is {JOB_STATES.word(job.state)}; only a WAITING job can be started",
                "job",
                job.job_id,
            )
        quota = Quota(spec.concurrency_limit, self.limits.count(spec.concurrency_limit), (spec.kind,))
        try:
            self.engine.jobs.start(ctx, job, [quota])
        except IllegalTransition:
            raise conflict(f"Job {job.job_id} was started or cancelled already", "job", job.job_id) from None
        return {}

    def get_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return job_view(self._job(ctx, request["JobId"]))

    def list_jobs(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id, revision_id = request.get("DataSetId"), request.get("RevisionId")
        if data_set_id is not None:
            self._data_set(ctx, data_set_id)
        keep = (
            None if revision_id is None else (lambda job: revision_id in job.request.get("RevisionIds", []))
        )
        page = self.engine.jobs.list(
            ctx,
            SERVICE,
            KINDS,
            max_results=self._page_size(request),
            next_token=request.get("NextToken"),
            parent_id=data_set_id,
            keep=keep,
            newest_first=True,
            token_scope=revision_id,
        )
        return {"Jobs": [job_view(job) for job in page.items], "NextToken": page.next_token}

    def cancel_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(ctx, request["JobId"])
        if job.state is not JobState.WAITING:
            raise conflict(
                f"Job {job.job_id} is {JOB_STATES.word(job.state)}; only a WAITING job can be cancelled",
                "job",
                job.job_id,
            )
        try:
            self.engine.jobs.transition(
                job, JobState.CANCELED, failure_reason="Cancelled on request", allowed_from=[JobState.WAITING]
            )
        except IllegalTransition:
            raise conflict(
                f"Job {job.job_id} started meanwhile and can no longer be cancelled", "job", job.job_id
            ) from None
        discard_upload(self.runtime, job)
        return {}


def discard_upload(runtime: DataExchangeRuntime, job: Job) -> None:
    """Drop whatever arrived at a job's upload URL (the job will never turn it into an asset)."""
    if job.request.get("Type") not in ("IMPORT_ASSET_FROM_SIGNED_URL", "IMPORT_ASSET_FROM_API_GATEWAY_API"):
        return
    for key in job.request.get("StorageKeys", []):
        runtime.storage.discard(key)
    if runtime.resources.find(job, UPLOAD, job.job_id) is not None:
        runtime.resources.delete(job, UPLOAD, job.job_id)
