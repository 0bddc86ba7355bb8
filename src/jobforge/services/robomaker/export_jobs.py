"""World export job operations: create, describe, list, cancel."""

from __future__ import annotations

from functools import partial
from typing import Any

from jobforge.engine import Job, Quota, QuotaExceeded
from jobforge.protocol.context import RequestContext
from jobforge.services.arns import parse_arn
from jobforge.services.base import new_id
from jobforge.services.robomaker.common import (
    EXPORT_JOB,
    EXPORT_STATUS,
    SERVICE,
    WORLD,
    RoboMakerBase,
    invalid,
    list_filters,
)
from jobforge.services.robomaker.errors import LIMIT_EXCEEDED
from jobforge.services.robomaker.export_job import KIND, archive_key
from jobforge.storage import InvalidObjectName, validate_bucket_name, validate_key


class ExportOperations(RoboMakerBase):
    def _export_job(self, ctx: RequestContext, arn: str) -> Job:
        return self._job(ctx, arn, KIND, "world export job")

    def create_world_export_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        worlds = list(dict.fromkeys(request["worlds"]))
        for arn in worlds:
            parsed = parse_arn(arn)
            if parsed is None or parsed.service != SERVICE or parsed.resource_type != WORLD:
                raise invalid(f"{arn} is not a world ARN (arn:aws:robomaker:<region>:<account>:world/<id>)")
        location = request["outputLocation"]
        bucket = location.get("s3Bucket")
        if not bucket:
            raise invalid("outputLocation.s3Bucket is required")
        validate_bucket_name(bucket)
        self.store.policy.check(bucket, ctx.account_id)  # InvalidParameterException if refused
        prefix = location.get("s3Prefix")
        try:
            validate_key(archive_key(prefix, "export-" + "0" * 12), bucket=bucket)
        except InvalidObjectName as exc:
            raise invalid(f"Invalid outputLocation.s3Prefix {prefix!r}: {exc}") from None
        _check_formats(request.get("tags") or {})
        output = {"s3Bucket": bucket, **({"s3Prefix": prefix} if prefix is not None else {})}
        params = {
            "worlds": worlds,
            "outputLocation": output,
            "iamRole": request["iamRole"],
            "tags": request.get("tags") or {},
        }
        create = partial(
            self._create_job,
            ctx,
            request,
            operation="CreateWorldExportJob",
            kind=KIND,
            job_id="export-" + new_id(),
            arn_type=EXPORT_JOB,
            params=params,
            stored=self._origins(ctx, worlds),
        )
        try:
            job = create(quota=self._export_quota())
        except QuotaExceeded as exc:  # the model has no LimitExceededException here: a Failed job
            job = create(quota=None, failure=(LIMIT_EXCEEDED, f"{exc}: this job was not run"))
        return self._export_view(ctx, job, detailed=False)

    def _export_view(self, ctx: RequestContext, job: Job, *, detailed: bool) -> dict[str, Any]:
        view = {
            **self._job_fields(ctx, job, EXPORT_STATUS, detailed=detailed),
            "outputLocation": job.request["outputLocation"],
            "iamRole": job.request["iamRole"],
        }
        if detailed:
            view["worlds"] = job.request["worlds"]
        return view

    def _origins(self, ctx: RequestContext, worlds: list[str]) -> dict[str, list[str]]:
        """Generation jobs and templates of the worlds that exist (for the list filters)."""
        jobs, templates = [], []
        for arn in worlds:
            world = self.resources.find_by_arn(ctx, arn, kinds=(WORLD,))
            if world is not None:
                jobs.append(world.data.get("generationJob"))
                templates.append(world.data.get("template"))
        return {
            "generationJobs": sorted({j for j in jobs if j}),
            "templates": sorted({t for t in templates if t}),
        }

    def _export_quota(self) -> Quota:
        limit = self.settings.export_concurrency
        return Quota("concurrent world export jobs", limit, (KIND,))

    def describe_world_export_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._export_view(ctx, self._export_job(ctx, request["job"]), detailed=True)

    def list_world_export_jobs(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        field = value = None
        for name, filter_value in list_filters(request):
            if name == "generationJobId":
                field = "generationJobs"
            elif name == "templateId":
                field = "templates"
            else:
                raise invalid(f"Unknown filter {name!r}: use generationJobId or templateId")
            value = filter_value

        def keep(job: Job) -> bool:
            return any(arn == value or arn.endswith("/" + value) for arn in job.request.get(field, []))

        page = self._list_jobs(
            ctx, request, KIND, keep=keep if field else None, token_scope=[field, value] if field else None
        )
        return {
            "worldExportJobSummaries": [
                {
                    "arn": job.arn,
                    "status": EXPORT_STATUS.word(job.state),
                    "createdAt": job.created_at,
                    "worlds": job.request["worlds"],
                    "outputLocation": job.request["outputLocation"],
                }
                for job in page.items
            ],
            "nextToken": page.next_token,
        }

    def cancel_world_export_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._cancel(self._export_job(ctx, request["job"]), EXPORT_STATUS, "world export job")


def _check_formats(tags: dict[str, str]) -> None:
    """InvalidParameterException for a ``jobforge:formats`` tag naming an unknown format."""
    from jobforge.services.robomaker.export.formats import formats_from_tags

    try:
        formats_from_tags(tags)
    except ValueError as exc:
        raise invalid(str(exc)) from None
