"""What every executor does with one job, wherever it runs: run its handler to an end state
(:func:`execute`), and settle a job whose worker is gone (:func:`settle_orphan`).

The in-process executor calls these from its threads; the Celery executor from its job tasks.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from jobforge.engine.control import JobControl
from jobforge.engine.errors import IllegalTransition, JobCanceled, JobFailed, JobTimedOut
from jobforge.engine.handlers import JobHandler, JobOutcome
from jobforge.engine.jobs import Job, JobStore
from jobforge.engine.states import JobState

if TYPE_CHECKING:
    from jobforge.engine.executor import JobContext

log = logging.getLogger("jobforge.jobs")

INTERRUPTED = "The job was interrupted: the jobforge worker running it stopped"


def execute(ctx: JobContext, handler: JobHandler[Any], jobs: JobStore, control: JobControl) -> None:
    """Run ``handler`` on the claimed job of ``ctx`` and record how it ended."""
    job = ctx.job
    started = time.monotonic()
    log.info("job started", extra={"job": job.arn, "kind": job.kind, "attempt": job.attempt})
    try:
        forced = control.take_failure(job.job_id, job.kind)
        if forced is not None:
            raise JobFailed(forced.code, forced.reason)
        outcome = handler.run(ctx, handler.plan(ctx))
        finish(jobs, job, outcome.state, outcome.result, outcome.failure_code, outcome.failure_reason)
    except JobCanceled:
        finish(jobs, job, JobState.CANCELED, ctx.result, None, "Canceled on request")
    except JobTimedOut:
        finish(jobs, job, JobState.TIMED_OUT, ctx.result, "TimedOut", "The job exceeded its time limit")
    except JobFailed as failure:
        finish(jobs, job, JobState.FAILED, ctx.result, failure.code, failure.reason)
    except Exception as exc:
        log.exception("job handler crashed", extra={"job": job.arn})
        code, reason = handler.internal_failure_code, f"Internal error: {exc}"
        finish(jobs, job, JobState.FAILED, ctx.result, code, reason)
    log.info(
        "job finished",
        extra={"job": job.arn, "duration_ms": round((time.monotonic() - started) * 1000)},
    )


def finish(
    jobs: JobStore,
    job: Job,
    state: JobState,
    result: dict[str, Any] | None,
    code: str | None,
    reason: str | None,
) -> None:
    """Move ``job`` to its end state (Canceled instead, if a cancel arrived meanwhile)."""
    current = jobs.load(job.pk)
    if current.state is JobState.CANCELING and state is not JobState.FAILED:
        state, code, reason = JobState.CANCELED, None, reason or "Canceled on request"
    try:
        jobs.transition(current, state, failure_code=code, failure_reason=reason, result=result)
    except IllegalTransition:
        log.warning("job state changed under the worker", extra={"job": job.arn, "target": state.value})


def settle_orphan(jobs: JobStore, job: Job, handler: JobHandler[Any] | None, max_attempts: int) -> Job:
    """A Running or Canceling job whose worker is gone: a resumable handler's job goes back to
    Pending (to run again with its saved partial result), the others end Canceled or as the
    handler's ``interrupted`` says (then the caller runs the handler's ``cleanup``). The job as
    settled; IllegalTransition if another process settled it first."""
    if job.state is JobState.CANCELING:
        return jobs.transition(job, JobState.CANCELED, failure_reason="Canceled; the worker stopped")
    if handler is not None and handler.resumable and job.attempt < max_attempts:
        log.info("job resumed after restart", extra={"job": job.arn, "attempt": job.attempt})
        return jobs.transition(job, JobState.PENDING)
    if handler is None:
        outcome = JobOutcome(JobState.FAILED, None, "InternalServiceError", INTERRUPTED)
    else:
        outcome = handler.interrupted(job, INTERRUPTED)
    log.warning("interrupted job ended", extra={"job": job.arn, "state": outcome.state.value})
    return jobs.transition(
        job,
        outcome.state,
        failure_code=outcome.failure_code,
        failure_reason=outcome.failure_reason,
        result=outcome.result,
    )
