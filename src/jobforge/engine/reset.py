"""Wipe an engine back to empty (the control API's ``reset``, for test suites): every job ends
first (canceled through the state machine, so handlers stop and clean up as on any cancel), then
every row of every table but ``settings`` (the server's secrets) and ``revoked_tokens`` (signed
tokens ended early must stay ended) is deleted in one transaction and the read caches are
cleared. Nothing here names a service: a table added later is wiped too.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select

from jobforge.engine.core import JobEngine
from jobforge.engine.db import jobs, metadata, revoked_tokens, settings
from jobforge.engine.errors import IllegalTransition
from jobforge.engine.jobs import Job
from jobforge.engine.states import TERMINAL_STATES, JobState

KEPT_TABLES = frozenset({settings.name, revoked_tokens.name})


class JobsStillRunning(RuntimeError):
    """Jobs did not end within the reset's time limit; nothing was deleted."""


def _unfinished(engine: JobEngine) -> list[Job]:
    with engine.db.read() as conn:
        rows = conn.execute(select(jobs).where(jobs.c.state.not_in([s.value for s in TERMINAL_STATES])))
        return [Job.from_row(row) for row in rows.all()]


def end_all_jobs(engine: JobEngine, timeout: float) -> int:
    """Cancel every job not ended yet and wait (``timeout`` seconds at most) until all have ended;
    the number canceled. :class:`JobsStillRunning` if some are still running then."""
    canceled = 0
    for job in _unfinished(engine):
        if job.state is JobState.CANCELING:
            continue  # canceled already
        try:
            engine.jobs.request_cancel(job)
            canceled += 1
        except IllegalTransition:
            pass  # it ended meanwhile
    engine.executor.wake()
    deadline = time.monotonic() + timeout
    while remaining := _unfinished(engine):
        if time.monotonic() >= deadline:
            names = ", ".join(job.arn for job in remaining[:5])
            raise JobsStillRunning(f"{len(remaining)} jobs did not end within {timeout:g} s: {names}")
        time.sleep(0.05)
    return canceled


def wipe(engine: JobEngine, timeout: float = 60.0) -> dict[str, int]:
    """End every job, then delete every row but the settings and revoked tokens; rows deleted per
    table (and ``jobsCanceled``). The control's pace returns to the one the server started with."""
    counts = {"jobsCanceled": end_all_jobs(engine, timeout)}
    with engine.db.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # children before parents
            if table.name not in KEPT_TABLES:
                counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
                conn.execute(delete(table))
    engine.clear_caches()
    engine.control.reset()
    return counts
