"""StartJob / GetJob / ListJobs / CancelJob for ValidateAddress jobs, on the job engine."""

from __future__ import annotations

import re
import uuid
from typing import Any

from jobforge.engine import ClientToken, IllegalTransition, Job, JobState, NotFound, Quota
from jobforge.protocol.context import RequestContext
from jobforge.services.location.common import (
    JOB_STATUS,
    SERVICE,
    LocationBase,
    check_tag_keys,
    invalid,
    job_arn,
    not_found,
)
from jobforge.services.location.errors import JOB_ERROR_CODES
from jobforge.services.location.file_worker import INTERNAL_ERROR
from jobforge.services.location.job_handler import KIND
from jobforge.services.location.locations import LocationError, parse_location, parse_output_location
from jobforge.storage import BucketAccessDenied

_ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}")
_JOB_ID = re.compile(r"[-._\w]{1,200}")
_MESSAGE_CHARS = 200
_MAX_MESSAGES = 4


def error_messages(reason: str) -> list[str]:
    """The failure reason as JobError.Messages: 1..4 strings of at most 200 characters."""
    words, messages, current = reason.split(), [], ""
    for word in words:
        while len(word) > _MESSAGE_CHARS:
            if current:
                messages.append(current)
                current = ""
            messages.append(word[:_MESSAGE_CHARS])
            word = word[_MESSAGE_CHARS:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > _MESSAGE_CHARS:
            messages.append(current)
            current = word
        else:
            current = candidate
    if current:
        messages.append(current)
    if len(messages) > _MAX_MESSAGES:
        last = messages[_MAX_MESSAGES - 1][: _MESSAGE_CHARS - 3] + "..."
        messages = [*messages[: _MAX_MESSAGES - 1], last]
    return messages or ["The job failed"]


def job_entry(job: Job) -> dict[str, Any]:
    """A ListJobsResponseEntry (GetJob's shape without Tags)."""
    request = job.request
    entry: dict[str, Any] = {
        "Action": request["Action"],
        "CreatedAt": job.created_at,
        "ExecutionRoleArn": request["ExecutionRoleArn"],
        "InputOptions": request["InputOptions"],
        "JobArn": job.arn,
        "JobId": job.job_id,
        "OutputOptions": request["OutputOptions"],
        "Status": JOB_STATUS.word(job.state),
        "UpdatedAt": job.updated_at,
    }
    if request.get("ActionOptions"):
        entry["ActionOptions"] = request["ActionOptions"]
    if request.get("Name"):
        entry["Name"] = request["Name"]
    if job.state.terminal:
        entry["EndedAt"] = job.ended_at or job.updated_at
    if job.state in (JobState.FAILED, JobState.TIMED_OUT):
        code = job.failure_code if job.failure_code in JOB_ERROR_CODES else INTERNAL_ERROR
        entry["Error"] = {"Code": code, "Messages": error_messages(job.failure_reason or "The job failed")}
    return entry


class JobOperations(LocationBase):
    def _job(self, ctx: RequestContext, job_id: str) -> Job:
        if not _JOB_ID.fullmatch(job_id):
            raise invalid(
                "JobId must be 1 to 200 letters, digits, '-', '.' or '_'", "JobId", "FieldValidationFailed"
            )
        try:
            job = self.engine.jobs.get(ctx, SERVICE, job_id)
        except NotFound:
            raise not_found(f"Job {job_id} was not found") from None
        if job.kind != KIND:
            raise not_found(f"Job {job_id} was not found")
        return job

    def _check_role(self, ctx: RequestContext, role: str) -> None:
        """An IAM role ARN of the caller's account: the model's "The IAM role must be created in the
        same Amazon Web Services account where you plan to run your job". With an S3 endpoint the
        role is that endpoint's (assumed through its STS), whose accounts are not jobforge's: any
        account goes there."""
        match = _ROLE_ARN.fullmatch(role)
        if match is None:
            raise invalid(
                f"ExecutionRoleArn {role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                "ExecutionRoleArn",
            )
        if self.settings.s3_endpoint_url is None and match["account"] != ctx.account_id:
            raise invalid(
                f"ExecutionRoleArn {role!r} is a role of account {match['account']}: the role must be in"
                f" the account that runs the job ({ctx.account_id})",
                "ExecutionRoleArn",
            )

    def start_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        self._check_role(ctx, request["ExecutionRoleArn"])
        for field, parse in (("InputOptions", parse_location), ("OutputOptions", parse_output_location)):
            try:
                location = parse(request[field]["Location"])
                self.store.policy.check(location.bucket, ctx.account_id)
            except (LocationError, BucketAccessDenied) as exc:
                raise invalid(str(exc), f"{field}.Location") from None
        check_tag_keys(request.get("Tags") or {})
        params = {key: value for key, value in request.items() if key != "ClientToken"}
        token = request.get("ClientToken")
        name = request.get("Name")
        job_id = f"{name}-{uuid.uuid4()}" if name else str(uuid.uuid4())
        quotas = []
        if self.limits.concurrent_jobs > 0:
            quotas.append(Quota("concurrent ValidateAddress jobs", self.limits.concurrent_jobs, (KIND,)))
        job, _ = self.engine.jobs.create(
            ctx,
            service=SERVICE,
            kind=KIND,
            job_id=job_id,
            arn=job_arn(ctx, job_id),
            request=params,
            client_token=ClientToken("location:StartJob", token, params) if token else None,
            quotas=quotas,
            tags=request.get("Tags") or {},
        )
        return {
            "CreatedAt": job.created_at,
            "JobArn": job.arn,
            "JobId": job.job_id,
            "Status": JOB_STATUS.word(JobState.PENDING),  # StartJob always answers Pending
        }

    def get_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        job = self._job(ctx, request["JobId"])
        return {**job_entry(job), "Tags": self.engine.tags.list(ctx.account_id, job.arn)}

    def list_jobs(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        states = None
        status = (request.get("Filter") or {}).get("JobStatus")
        if status is not None:
            states = JOB_STATUS.states(status)
        page = self.engine.jobs.list(
            ctx,
            SERVICE,
            [KIND],
            max_results=int(request.get("MaxResults") or 100),
            next_token=request.get("NextToken"),
            states=states,
            newest_first=True,
            token_scope=status,
        )
        response: dict[str, Any] = {"Entries": [job_entry(job) for job in page.items]}
        if page.next_token:
            response["NextToken"] = page.next_token
        return response

    def cancel_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Pending jobs end Cancelled at once, Running ones go Cancelling; ended jobs stay as they are."""
        self._throttle(ctx)
        job = self._job(ctx, request["JobId"])
        if not job.state.terminal:
            try:
                job = self.engine.jobs.request_cancel(job)
            except IllegalTransition:  # it ended meanwhile: report how
                job = self._job(ctx, job.job_id)
        return {"JobArn": job.arn, "JobId": job.job_id, "Status": JOB_STATUS.word(job.state)}
