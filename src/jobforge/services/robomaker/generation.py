"""World generation job operations: create, describe, list, cancel."""

from __future__ import annotations

import secrets
from typing import Any

from jobforge.engine import Job, Quota, check_tags
from jobforge.protocol.context import RequestContext
from jobforge.services.base import new_id
from jobforge.services.robomaker.common import (
    GENERATION_JOB,
    GENERATION_STATUS,
    RoboMakerBase,
    clip_reason,
    invalid,
    list_filters,
)
from jobforge.services.robomaker.generation_job import KIND, world_number

MAX_WORLDS_PER_JOB = 50


class GenerationOperations(RoboMakerBase):
    def _generation_job(self, ctx: RequestContext, arn: str) -> Job:
        return self._job(ctx, arn, KIND, "world generation job")

    def create_world_generation_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        count = request["worldCount"]
        floorplans = count.get("floorplanCount", 1)
        interiors = count.get("interiorCountPerFloorplan", 1)
        if floorplans < 1 or interiors < 1:
            raise invalid(
                "worldCount.floorplanCount and worldCount.interiorCountPerFloorplan must be at least 1"
            )
        if floorplans * interiors > MAX_WORLDS_PER_JOB:
            raise invalid(
                f"A world generation job makes at most {MAX_WORLDS_PER_JOB} worlds; "
                f"{floorplans} x {interiors} = {floorplans * interiors} requested"
            )
        template = self._resource(ctx, "world-template", request["template"], "world template")
        world_count = {"floorplanCount": floorplans, "interiorCountPerFloorplan": interiors}
        params = {
            "template": template.arn,
            "worldCount": world_count,
            "tags": request.get("tags") or {},
            "worldTags": request.get("worldTags") or {},
        }
        check_tags(params["worldTags"])  # applied later, by the job: refuse bad ones now
        job = self._create_job(
            ctx,
            request,
            operation="CreateWorldGenerationJob",
            kind=KIND,
            job_id=new_id(),
            arn_type=GENERATION_JOB,
            params=params,
            stored={"templateBody": template.data["templateBody"], "seed": secrets.randbits(48)},
            quota=self._generation_quota(),
            parent_id=template.arn,
        )
        return self._generation_view(ctx, job, detailed=False)

    def _generation_view(self, ctx: RequestContext, job: Job, *, detailed: bool) -> dict[str, Any]:
        view = {
            **self._job_fields(ctx, job, GENERATION_STATUS, detailed=detailed),
            "template": job.request["template"],
            "worldCount": job.request["worldCount"],
            "worldTags": job.request["worldTags"],
        }
        if detailed:
            view["finishedWorldsSummary"] = finished_worlds_summary(job)
        return view

    def _generation_quota(self) -> Quota:
        limit = self.settings.generation_concurrency
        return Quota("concurrent world generation jobs", limit, (KIND,))

    def describe_world_generation_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._generation_view(ctx, self._generation_job(ctx, request["job"]), detailed=True)

    def list_world_generation_jobs(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        states, template = None, None
        for name, value in list_filters(request):
            if name == "status":
                states = GENERATION_STATUS.states(value)
                if not states:
                    raise invalid(f"Unknown status {value!r} in filters")
            elif name == "templateId":
                template = value
            else:
                raise invalid(f"Unknown filter {name!r}: use status or templateId")
        page = self._list_jobs(
            ctx,
            request,
            KIND,
            states=states,
            keep=None if template is None else (lambda job: _is_template(job.parent_id, template)),
            token_scope=template,
        )
        summaries = []
        for job in page.items:
            summary = finished_worlds_summary(job)
            summaries.append(
                {
                    "arn": job.arn,
                    "template": job.request["template"],
                    "createdAt": job.created_at,
                    "status": GENERATION_STATUS.word(job.state),
                    "worldCount": job.request["worldCount"],
                    "succeededWorldCount": len(summary["succeededWorlds"]),
                    "failedWorldCount": summary["failureSummary"]["totalFailureCount"],
                }
            )
        return {"worldGenerationJobSummaries": summaries, "nextToken": page.next_token}

    def cancel_world_generation_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        job = self._generation_job(ctx, request["job"])
        return self._cancel(job, GENERATION_STATUS, "world generation job")


def _is_template(template_arn: str | None, wanted: str) -> bool:
    return template_arn is not None and (template_arn == wanted or template_arn.endswith("/" + wanted))


def finished_worlds_summary(job: Job) -> dict[str, Any]:
    """The model's FinishedWorldsSummary from the job's running result; ``succeededWorlds`` in world
    order (``..._world_1`` first), however the worlds finished (also for jobs stored in completion order)."""
    summary = job.result.get("summary") or {"succeeded": [], "failures": {}, "finished": []}
    failures = summary.get("failures", {})
    return {
        "finishedCount": len(summary.get("finished", [])),
        "succeededWorlds": sorted(summary.get("succeeded", []), key=world_number)[:100],
        "failureSummary": {
            "totalFailureCount": sum(group["count"] for group in failures.values()),
            "failures": [
                {
                    "failureCode": code,
                    "sampleFailureReason": clip_reason(group["sample"]),
                    "failureCount": group["count"],
                }
                for code, group in failures.items()
            ],
        },
    }
