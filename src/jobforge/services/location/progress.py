"""How Location's ValidateAddress jobs count their progress: input rows validated (the total is
the row count of the input files' footers, known once the job has read them)."""

from __future__ import annotations

from jobforge.engine import Job
from jobforge.engine.progress import JobKind, counter
from jobforge.services.location.common import JOB_STATUS
from jobforge.services.location.job_handler import KIND


def _rows_in_inputs(job: Job) -> int | None:
    total = job.progress.get("rowsTotal")
    return None if total is None else int(total)


JOB_KINDS = (
    JobKind(
        KIND,
        "location",
        lambda job: str(job.request.get("Action", "ValidateAddress")),
        "rows",
        JOB_STATUS,
        counter("rows", _rows_in_inputs),
        lambda job: ("CancelJob", {"JobId": job.job_id}),
    ),
)
