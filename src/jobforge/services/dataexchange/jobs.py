"""CreateJob / StartJob / GetJob / ListJobs / CancelJob.

CreateJob checks everything that can be checked synchronously (the Details member matches the
Type, data set / revision / assets exist, the data set's asset type fits, imports target an
open revision, list sizes and key patterns) and stores a WAITING job. StartJob moves it to
IN_PROGRESS under the per-type concurrency quota; the handlers in :mod:`job_handlers` do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jobforge.engine import IllegalTransition, Job, JobState, Quota, QuotaExceeded, Scope, check_tags
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    JOB_STATES,
    SERVICE,
    UPLOAD,
    DataExchangeBase,
    DataExchangeRuntime,
    conflict,
    invalid,
    job_arn,
    new_dx_id,
    not_found,
)
from jobforge.services.dataexchange.errors import JOB_FAILURE_CODES, JOB_INTERNAL_ERROR
from jobforge.services.dataexchange.job_plans import Planning
from jobforge.services.dataexchange.job_types import JOB_TYPES, KINDS

_TIMESTAMP_FIELDS = ("SignedUrlExpiresAt", "ApiSpecificationUploadUrlExpiresAt")
AUTO_START = "AutoStart"  # job request: an event action's export, started as soon as the quota allows

log = logging.getLogger("jobforge.dataexchange")


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


def create_revision_export_job(
    runtime: DataExchangeRuntime,
    scope: Scope,
    data_set_id: str,
    revision_id: str,
    destination: dict[str, Any],
    encryption: dict[str, Any] | None,
    event_action_arn: str,
) -> Job:
    """An EXPORT_REVISIONS_TO_S3 job on behalf of an event action, queued WAITING; it starts at
    once if the concurrent export quota allows, else when an export ends
    (:func:`start_queued_auto_exports`)."""
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
            AUTO_START: True,
        },
        state=JobState.WAITING,
        parent_id=data_set_id,
        timeout_seconds=int(runtime.limits["Job time limit in seconds"]),
    )
    start_queued_auto_exports(runtime, scope)
    return job


def start_queued_auto_exports(runtime: DataExchangeRuntime, scope: Scope) -> None:
    """Start the scope's queued auto-exports, oldest first, while the concurrent export quota allows."""
    spec = JOB_TYPES["EXPORT_REVISIONS_TO_S3"]
    quota = Quota(spec.concurrency_limit, runtime.limits.count(spec.concurrency_limit), (spec.kind,))
    token: str | None = None
    while True:
        page = runtime.engine.jobs.list(
            scope,
            SERVICE,
            [spec.kind],
            states=[JobState.WAITING],
            keep=lambda job: bool(job.request.get(AUTO_START)),
            next_token=token,
        )
        for job in page.items:
            try:
                runtime.engine.jobs.start(scope, job, [quota])
            except QuotaExceeded:
                return
            except IllegalTransition:
                continue  # cancelled, or started by another process
        if not page.next_token:
            return
        token = page.next_token


def auto_export_listener(runtime: DataExchangeRuntime) -> Callable[[Job], None]:
    """For the job store's ``on_ended``: an export that ends frees a slot for a queued auto-export."""
    kind = JOB_TYPES["EXPORT_REVISIONS_TO_S3"].kind

    def ended(job: Job) -> None:
        if job.kind != kind:
            return
        try:
            start_queued_auto_exports(runtime, job)
        except Exception:  # the job's own end is recorded already; the next end retries
            log.exception("queued auto-exports could not be started", extra={"job": job.arn})

    return ended


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
        spec.plan(Planning(self, ctx, spec, job_id, details, plan))
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
    spec = JOB_TYPES.get(job.request.get("Type") or "")
    if spec is None or spec.upload_md5 is None:
        return
    for key in job.request.get("StorageKeys", []):
        runtime.storage.discard(key)
    if runtime.resources.find(job, UPLOAD, job.job_id) is not None:
        runtime.resources.delete(job, UPLOAD, job.job_id)
