"""The world generation job: builds every world of a job from its template snapshot.

Worlds are built in parallel on the engine's worker processes. Each finished world is stored
with its artifacts in one transaction, so there are never half-made worlds; the job's
``finishedWorldsSummary`` grows as worlds finish. After a restart the job resumes and keeps
the worlds that were already stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from jobforge.engine import Job, JobCanceled, JobContext, JobEngine, JobHandler, JobOutcome, JobState
from jobforge.services.robomaker.common import SERVICE, WORLD
from jobforge.services.robomaker.errors import (
    ALL_WORLD_GENERATION_FAILED,
    INTERNAL_SERVICE_ERROR,
    INVALID_INPUT,
)
from jobforge.services.robomaker.template_format import (
    WorldTemplateSpec,
    parse_template_body,
    template_version,
)

KIND = "robomaker.world-generation"
PREVIEW = "preview.png"
WORLD_DOCUMENT = "world.json"


@lru_cache(maxsize=8)
def _spec(body: str) -> WorldTemplateSpec:
    return parse_template_body(body)


def build_world(body: str, job_seed: int, floorplan: int, interior: int, world_id: str) -> dict[str, Any]:
    """One world with its description, preview and quality report (runs in a worker process).

    The generator's libraries (numpy, shapely, Pillow...) are imported here, in the worker, so the
    API process does not carry them. A template the generator cannot satisfy comes back as
    ``{"failure": reason}``.
    """
    from jobforge.services.robomaker.worldgen import (
        WorldGenerationError,
        generate_world,
        quality_report,
        render_preview,
        world_description,
        world_seeds,
    )

    floorplan_seed, interior_seed = world_seeds(job_seed, floorplan, interior)
    spec = _spec(body)
    try:
        world = generate_world(spec, floorplan_seed, interior_seed, world_id=world_id)
    except WorldGenerationError as exc:
        return {"failure": str(exc)}
    return {
        "world": world.to_dict(),
        "description": json.dumps(world_description(world), separators=(",", ":")),
        "preview": render_preview(world),
        "quality": quality_report(world, template_defaults=spec.defaults_applied),
    }


def world_id(job_id: str, number: int) -> str:
    return f"generation_{job_id}_world_{number}"


def world_number(arn: str) -> int:
    """The number ``n`` of a generated world's ARN (``..._world_<n>``): its place in the job."""
    return int(arn.rsplit("_", 1)[1])


class WorldGenerationHandler(JobHandler[list[tuple[int, int, int]]]):
    kind = KIND
    resumable = True

    def __init__(self, engine: JobEngine, parallelism: int) -> None:
        self.engine = engine
        self.worlds = engine.resources(SERVICE)
        self.parallelism = max(1, parallelism)

    def plan(self, ctx: JobContext) -> list[tuple[int, int, int]]:
        """(number, floorplan, interior) of every world not yet finished (a resumed job keeps those)."""
        counts = ctx.request["worldCount"]
        interiors = range(counts["interiorCountPerFloorplan"])
        worlds = ((fp, i) for fp in range(counts["floorplanCount"]) for i in interiors)
        summary = ctx.result.get("summary") or {}
        done = {entry["number"] for entry in summary.get("finished", [])}
        return [(number, fp, i) for number, (fp, i) in enumerate(worlds, start=1) if number not in done]

    def run(self, ctx: JobContext, plan: list[tuple[int, int, int]]) -> JobOutcome:
        job, request = ctx.job, ctx.request
        counts = request["worldCount"]
        summary = ctx.result.get("summary") or {"succeeded": [], "failures": {}}
        tasks = [
            partial(build_world, request["templateBody"], request["seed"], fp, i, world_id(job.job_id, n))
            for n, fp, i in plan
        ]
        ctx.step()  # honour pace controls before the first world
        ctx.run_bounded(
            tasks,
            self.parallelism,
            on_result=lambda index, built: self._record(ctx, summary, plan[index][0], built),
            processes=True,
            pace=True,
            wait_on_stop=False,  # cancel promptly even while long worlds are being built
        )
        return self._outcome(summary, counts["floorplanCount"] * counts["interiorCountPerFloorplan"])

    def _record(
        self, ctx: JobContext, summary: dict[str, Any], number: int, built: dict[str, Any] | Exception
    ) -> None:
        finished = summary.setdefault("finished", [])
        if isinstance(built, Exception):  # a crashed worker process, a bug: the world failed, not the job
            self._fail(summary, INTERNAL_SERVICE_ERROR, f"World generation failed: {built}")
            finished.append({"number": number})
        else:
            if "failure" in built:  # the template cannot be satisfied for this world
                self._fail(summary, INVALID_INPUT, built["failure"])
                finished.append({"number": number})
                ctx.report(progress={"finishedCount": len(finished)}, result={"summary": summary})
                return
            if ctx.is_cancel_requested():
                raise JobCanceled()  # a canceled job stores no further worlds
            arn = self._store(ctx, number, built)
            summary["succeeded"].append(arn)  # in completion order: described in world order
            finished.append({"number": number, "arn": arn})
        ctx.report(progress={"finishedCount": len(finished)}, result={"summary": summary})

    def _store(self, ctx: JobContext, number: int, built: dict[str, Any]) -> str:
        """The world, its tags and artifacts, in one transaction."""
        job, request = ctx.job, ctx.request
        identifier = world_id(job.job_id, number)
        arn = f"arn:aws:robomaker:{job.region}:{job.account_id}:world/{identifier}"
        with self.engine.db.begin() as conn:
            if self.worlds.find(job, WORLD, identifier, conn) is not None:
                return arn  # stored before a restart
            self.worlds.create(
                job,
                WORLD,
                identifier,
                arn,
                {
                    "generationJob": job.arn,
                    "template": request["template"],
                    # Served by DescribeWorld for Version 2 worlds only (see worlds.py); always
                    # kept for exports and /_jobforge/worlds/description.
                    "worldDescriptionBody": built["description"],
                    "templateVersion": template_version(request["templateBody"]),
                    "quality": built["quality"],
                    "floorplanIndex": built["world"].get("floorplan_index"),
                },
                parent_id=job.job_id,
                name=identifier,
                created_at=datetime.now(UTC),
                conn=conn,
            )
            self.engine.tags.tag(job.account_id, arn, request.get("worldTags") or {}, conn)
            self.engine.artifacts.put(conn, arn, PREVIEW, built["preview"], "image/png")
            self.engine.artifacts.put(
                conn, arn, WORLD_DOCUMENT, json.dumps(built["world"]).encode(), "application/json"
            )
        return arn

    def interrupted(self, job: Job, reason: str) -> JobOutcome:
        """The worlds it stored stand: the worlds it never finished count as failed with
        ``InternalServiceError``, so a job with stored worlds ends PartialFailed, not Failed."""
        summary = (job.result or {}).get("summary") or {"succeeded": [], "failures": {}}
        counts = job.request["worldCount"]
        total = counts["floorplanCount"] * counts["interiorCountPerFloorplan"]
        for _ in range(total - len(summary.get("finished", []))):
            self._fail(summary, INTERNAL_SERVICE_ERROR, reason)
        if not summary["succeeded"]:
            return super().interrupted(job, reason)
        return self._outcome(summary, total)

    @staticmethod
    def _fail(summary: dict[str, Any], code: str, reason: str) -> None:
        group = summary["failures"].setdefault(code, {"count": 0, "sample": reason})
        group["count"] += 1

    @staticmethod
    def _outcome(summary: dict[str, Any], total: int) -> JobOutcome:
        succeeded = len(summary["succeeded"])
        result = {"summary": summary}
        if succeeded == total:
            return JobOutcome(JobState.SUCCEEDED, result)
        if succeeded == 0:
            sample = next(iter(summary["failures"].values()), {}).get("sample", "no world could be generated")
            return JobOutcome(JobState.FAILED, result, ALL_WORLD_GENERATION_FAILED, sample)
        return JobOutcome(JobState.PARTIALLY_SUCCEEDED, result)
