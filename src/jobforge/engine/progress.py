"""Progress of any job, in one shape for every service: what is done of how much, in which unit,
how fast, and how long it may still take.

The engine does not know how a service counts its work: each service declares its job kinds as
:class:`JobKind` (its package's binding lists them), saying what ``done``/``total`` are for a job
record of that kind (from the ``progress`` counters its handler reports, its request or result),
the unit (``worlds``, ``rows``, ``assets``...), the service's own status words and the operation
that cancels such a job. :class:`JobProgress` answers for any job of a declared kind; jobs of
other kinds (the control API's diagnostic jobs) are not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from jobforge.engine.db import jobs
from jobforge.engine.jobs import Job, JobStore
from jobforge.engine.listing import keyset_page
from jobforge.engine.resources import first_row
from jobforge.engine.states import JobState, StatusWords

# done and total of a job, in its kind's unit (None: not known yet)
Counts = Callable[[Job], tuple[float | None, float | None]]
# the service operation that cancels a job, and its parameters: ("CancelJob", {"JobId": ...})
CancelCall = Callable[[Job], tuple[str, dict[str, Any]]]

MAX_RESULTS = 100
_OUTCOMES = {
    JobState.SUCCEEDED: "succeeded",
    JobState.PARTIALLY_SUCCEEDED: "partial",
    JobState.FAILED: "failed",
    JobState.TIMED_OUT: "failed",
    JobState.CANCELED: "canceled",
}


@dataclass(frozen=True)
class JobKind:
    """How one service counts and names the jobs of one engine kind."""

    kind: str  # the engine's job kind
    service: str  # the API's service name, as SDK clients name it ("location", not "geo")
    type: Callable[[Job], str]  # what the service calls the job ("WorldGenerationJob", a Type enum)
    unit: str  # what done and total count
    statuses: StatusWords  # the service's status words
    counts: Counts
    cancel: CancelCall | None = None  # None: the service cannot cancel such jobs
    # the failure codes such a job may end with (its model's enum), for the control API's
    # forced failures; None: not declared, any code is taken
    failure_codes: Collection[str] | None = None


def counter(progress_key: str, total: Callable[[Job], float | None]) -> Counts:
    """Counts from one ``progress`` counter and a total; a succeeded job has done all of it."""

    def counts(job: Job) -> tuple[float | None, float | None]:
        whole = total(job)
        done = job.progress.get(progress_key)
        if job.state is JobState.SUCCEEDED and whole is not None:
            done = whole
        return (done if done is not None else (0 if whole is not None else None)), whole

    return counts


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UnknownFilter(ValueError):
    """A list filter naming no declared service or status word."""


class JobProgress:
    """The declared job kinds, and the progress of any job of one of them."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.kinds: dict[str, JobKind] = {}

    def declare(self, kinds: Iterable[JobKind]) -> None:
        for kind in kinds:
            self.kinds[kind.kind] = kind

    @property
    def services(self) -> list[str]:
        return sorted({kind.service for kind in self.kinds.values()})

    # -- one job -----------------------------------------------------------------------------

    def describe(self, job: Job, now: datetime | None = None) -> dict[str, Any]:
        """The job's progress document (see docs/cli.md); ``job`` must be of a declared kind."""
        kind = self.kinds[job.kind]
        done, total = kind.counts(job)
        now = now or datetime.now(UTC)
        start = job.started_at
        end = job.ended_at if job.state.terminal else now
        elapsed = max((end - start).total_seconds(), 0.0) if start is not None and end is not None else None
        rate = done / elapsed if done and elapsed else None
        eta = None
        if rate and total is not None and done is not None and not job.state.terminal:
            eta = max(total - done, 0) / rate
        cancel = None
        if kind.cancel is not None and not job.state.terminal:
            operation, parameters = kind.cancel(job)
            cancel = {"operation": operation, "parameters": parameters}
        return {
            "id": job.job_id,
            "arn": job.arn,
            "service": kind.service,
            "kind": job.kind,
            "type": kind.type(job),
            "status": kind.statuses.word(job.state),
            "state": job.state.value,
            "terminal": job.state.terminal,
            "outcome": _OUTCOMES.get(job.state),
            "done": done,
            "total": total,
            "unit": kind.unit,
            "fraction": min(done / total, 1.0) if done is not None and total else None,
            "ratePerSecond": rate,
            "etaSeconds": eta,
            "elapsedSeconds": elapsed,
            "createdAt": _iso(job.created_at),
            "startedAt": _iso(job.started_at),
            "endedAt": _iso(job.ended_at),
            "updatedAt": _iso(job.updated_at),
            "failureCode": job.failure_code,
            "failureReason": job.failure_reason,
            "accountId": job.account_id,
            "region": job.region,
            "cancel": cancel,
        }

    def find(self, ref: str, account: str | None = None) -> Job | None:
        """The job whose ARN or id is ``ref``, of a declared kind; only ``account``'s when given."""
        column = jobs.c.arn if ref.startswith("arn:") else jobs.c.job_id
        query = select(jobs).where(column == ref, jobs.c.kind.in_(list(self.kinds)))
        if account is not None:
            query = query.where(jobs.c.account_id == account)
        row = first_row(self.store.db, query.order_by(jobs.c.pk).limit(1), None)
        return None if row is None else Job.from_row(row)

    # -- many jobs ---------------------------------------------------------------------------

    def list(
        self,
        account: str | None = None,
        *,
        service: str | None = None,
        status: str | None = None,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first: the progress of ``account``'s jobs (everyone's when None), of ``service``
        and with ``status`` (the service's word, e.g. ``Running``/``IN_PROGRESS``, or an engine
        state) when given; and the token of the next page."""
        kinds = [kind for kind in self.kinds.values() if service in (None, kind.service)]
        if service is not None and not kinds:
            raise UnknownFilter(f"unknown service {service!r}: one of {', '.join(self.services)}")
        where = [self._kinds_in_status(kinds, status)]
        if account is not None:
            where.append(jobs.c.account_id == account)
        with self.store.db.read() as conn:
            page = keyset_page(
                conn,
                jobs,
                where,
                tokens=self.store.tokens,
                token_scope=["jobforge-jobs", account, service, status],
                max_results=max_results,
                next_token=next_token,
                newest_first=True,
                build=Job.from_row,
            )
        now = datetime.now(UTC)
        return [self.describe(job, now) for job in page.items], page.next_token

    @staticmethod
    def _kinds_in_status(kinds: list[JobKind], status: str | None) -> Any:
        if status is None:
            return jobs.c.kind.in_([kind.kind for kind in kinds])
        clauses = []
        for kind in kinds:
            states = kind.statuses.states(status)
            if status in JobState.__members__:  # an engine state, spelled as the engine does
                states.append(JobState(status))
            if states:
                clauses.append(
                    and_(jobs.c.kind == kind.kind, jobs.c.state.in_(sorted({s.value for s in states})))
                )
        if not clauses:
            raise UnknownFilter(f"no job of the services asked for has status {status!r}")
        return or_(*clauses)
