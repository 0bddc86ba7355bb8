"""How RoboMaker's jobs count their progress: worlds generated, worlds written to the export."""

from __future__ import annotations

from jobforge.engine import Job
from jobforge.engine.progress import JobKind, counter
from jobforge.services.robomaker import export_job, generation_job
from jobforge.services.robomaker.common import EXPORT_STATUS, GENERATION_STATUS
from jobforge.services.robomaker.errors import EXPORT_FAILURE_CODES, GENERATION_FAILURE_CODES


def _worlds_requested(job: Job) -> int:
    counts = job.request["worldCount"]
    return int(counts["floorplanCount"]) * int(counts["interiorCountPerFloorplan"])


def _worlds_exported(job: Job) -> int:
    return int(job.progress.get("worldCount") or len(dict.fromkeys(job.request["worlds"])))


JOB_KINDS = (
    JobKind(
        generation_job.KIND,
        "robomaker",
        lambda job: "WorldGenerationJob",
        "worlds",
        GENERATION_STATUS,
        counter("finishedCount", _worlds_requested),
        lambda job: ("CancelWorldGenerationJob", {"job": job.arn}),
        failure_codes=GENERATION_FAILURE_CODES,
    ),
    JobKind(
        export_job.KIND,
        "robomaker",
        lambda job: "WorldExportJob",
        "worlds",
        EXPORT_STATUS,
        counter("worldsWritten", _worlds_exported),
        lambda job: ("CancelWorldExportJob", {"job": job.arn}),
        failure_codes=EXPORT_FAILURE_CODES,
    ),
)
