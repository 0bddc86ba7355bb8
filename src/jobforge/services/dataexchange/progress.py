"""How Data Exchange's jobs count their progress: assets imported, exported or created (copies
count as each finishes; the other job types have done all their assets when they complete)."""

from __future__ import annotations

from jobforge.engine import Job
from jobforge.engine.progress import JobKind, counter
from jobforge.services.dataexchange.common import JOB_STATES
from jobforge.services.dataexchange.job_handlers import ASSETS_DONE, ASSETS_TOTAL
from jobforge.services.dataexchange.job_types import JOB_TYPES


def _assets(job: Job) -> int | None:
    """The assets the job works on: those it creates, or those its export reported."""
    if job.progress.get(ASSETS_TOTAL) is not None:
        return int(job.progress[ASSETS_TOTAL])
    ids = job.request.get("AssetIds")
    if ids:
        return len(ids)
    details = job.request["Details"][JOB_TYPES[job.request["Type"]].member]
    return 1 if "AssetId" in details else None  # an export of one asset to a signed URL


JOB_KINDS = tuple(
    JobKind(
        spec.kind,
        "dataexchange",
        lambda job: str(job.request["Type"]),
        "assets",
        JOB_STATES,
        counter(ASSETS_DONE, _assets),
        lambda job: ("CancelJob", {"JobId": job.job_id}),
    )
    for spec in JOB_TYPES.values()
)
