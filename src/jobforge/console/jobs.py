"""The console's job list: one account's jobs of every service, newest first, a page at a time,
with status, progress, duration and failure reason."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from jobforge.engine import Job, JobEngine, JobState, Page
from jobforge.engine.db import jobs
from jobforge.engine.listing import keyset_page

PAGE_SIZE = 50


@dataclass(frozen=True)
class JobRow:
    """One line of the job list, ready to render."""

    job: Job
    link: str | None
    progress: str
    percent: float | None
    duration: str
    active: bool


def list_jobs(
    engine: JobEngine,
    account_id: str,
    region: str,
    services: Collection[str],
    *,
    service: str | None = None,
    state: str | None = None,
    next_token: str | None = None,
    page_size: int = PAGE_SIZE,
) -> Page[Job]:
    """A page of the account's jobs (ValueError for a filter or token that is not valid)."""
    chosen = [service] if service else sorted(services)
    if service and service not in services:
        raise ValueError(f"no service {service!r}")
    where = [jobs.c.account_id == account_id, jobs.c.region == region, jobs.c.service.in_(chosen)]
    if state:
        where.append(jobs.c.state == JobState(state).value)
    with engine.db.read() as conn:
        return keyset_page(
            conn,
            jobs,
            where,
            tokens=engine.jobs.tokens,
            token_scope=["console", account_id, region, chosen, state],
            max_results=page_size,
            next_token=next_token,
            newest_first=True,
            build=Job.from_row,
        )


def duration(job: Job, now: datetime | None = None) -> str:
    """How long the job ran (so far), as ``1h 02m 03s``; empty before it started."""
    if job.started_at is None:
        return ""
    seconds = int(((job.ended_at or now or datetime.now(UTC)) - job.started_at).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def job_row(job: Job, link: str | None, progress: Callable[[Job], tuple[str, float | None]]) -> JobRow:
    text, percent = progress(job)
    return JobRow(job, link, text, percent, duration(job), not job.state.terminal)
