"""Durable job records: creation (idempotency, quotas, tags), state changes, listing, leases.

Every state change is a compare-and-set on the current state, checked against the state
machine in :mod:`jobforge.engine.states`, so concurrent workers and API calls can never make
an illegal transition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row

from jobforge.engine.db import Database, jobs
from jobforge.engine.durations import record_duration
from jobforge.engine.errors import IllegalTransition, NotFound, QuotaExceeded
from jobforge.engine.idempotency import ClientToken, IdempotencyTokens
from jobforge.engine.listing import Page, keyset_page
from jobforge.engine.pagination import PageTokens
from jobforge.engine.resources import Scope, first_row, record_values, transaction
from jobforge.engine.states import JobState, can_transition
from jobforge.engine.tags import TagStore


@dataclass
class Job:
    pk: int
    job_id: str
    service: str
    kind: str
    account_id: str
    region: str
    arn: str
    state: JobState
    created_at: datetime
    updated_at: datetime
    request: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    cancel_requested: bool = False
    attempt: int = 0
    timeout_seconds: int | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Job:
        values = record_values(cls, row)
        values["state"] = JobState(values["state"])
        values["cancel_requested"] = bool(values["cancel_requested"])
        return cls(**values)


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` jobs of ``kinds`` in ``states`` per account and region."""

    name: str
    limit: int
    kinds: tuple[str, ...]
    states: frozenset[JobState] = frozenset({JobState.PENDING, JobState.RUNNING, JobState.CANCELING})


class JobStore:
    def __init__(self, db: Database, tokens: PageTokens, tags: TagStore) -> None:
        self.db = db
        self.tokens = tokens
        self.tags = tags
        self.idempotency = IdempotencyTokens()
        self.on_created: list[Callable[[Job], None]] = []  # the executor listens to wake up
        self.on_ended: list[Callable[[Job], None]] = []  # services listen to start queued jobs

    # -- creation ----------------------------------------------------------------------------

    def create(
        self,
        scope: Scope,
        *,
        service: str,
        kind: str,
        job_id: str,
        arn: str,
        request: dict[str, Any],
        state: JobState = JobState.PENDING,
        parent_id: str | None = None,
        result: dict[str, Any] | None = None,
        timeout_seconds: int | None = None,
        client_token: ClientToken | None = None,
        quotas: Iterable[Quota] = (),
        tags: dict[str, str] | None = None,
        on_insert: Callable[[Connection, Job], None] | None = None,
        failure: tuple[str, str] | None = None,
    ) -> tuple[Job, bool]:
        """Create a job, or return the one an identical earlier request made: ``(job, created)``.
        With ``state`` FAILED and ``failure`` (code, reason), the job is created already ended: a
        request the service accepts but fails at once, as its model documents (no handler runs)."""
        with self.db.begin() as conn:
            if client_token is not None:
                existing_arn = self.idempotency.earlier(conn, scope, client_token)
                if existing_arn is not None:
                    return self._get_by_arn(conn, existing_arn), False
            for quota in quotas:
                self._check_quota(conn, scope, quota)
            now = datetime.now(UTC)
            values = {
                "job_id": job_id,
                "service": service,
                "kind": kind,
                "account_id": scope.account_id,
                "region": scope.region,
                "arn": arn,
                "state": state.value,
                "parent_id": parent_id,
                "created_at": now,
                "updated_at": now,
                "request": request,
                "result": result or {},
                "progress": {},
                "cancel_requested": False,
                "attempt": 0,
                "timeout_seconds": timeout_seconds,
            }
            if failure is not None:
                values.update(failure_code=failure[0], failure_reason=failure[1], ended_at=now)
            pk = conn.execute(insert(jobs).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            job = self._get_pk(conn, pk)
            if client_token is not None:
                self.idempotency.remember(conn, scope, client_token, arn)
            if tags:
                self.tags.tag(scope.account_id, arn, tags, conn)
            if on_insert is not None:
                on_insert(conn, job)
        self._notify(job)
        return job, True

    def _check_quota(self, conn: Connection, scope: Scope, quota: Quota) -> None:
        self.db.lock_scope(conn, f"quota:{scope.account_id}:{scope.region}:{quota.name}")
        count = conn.execute(
            select(func.count())
            .select_from(jobs)
            .where(
                jobs.c.account_id == scope.account_id,
                jobs.c.region == scope.region,
                jobs.c.kind.in_(quota.kinds),
                jobs.c.state.in_([state.value for state in quota.states]),
            )
        ).scalar_one()
        if count >= quota.limit:
            raise QuotaExceeded(
                f"The limit of {quota.limit} {quota.name} was reached", quota.name, quota.limit
            )

    def _notify(self, job: Job) -> None:
        if job.state is JobState.PENDING:
            for listener in self.on_created:
                listener(job)
        elif job.state.terminal:
            for listener in self.on_ended:
                listener(job)

    # -- reads ------------------------------------------------------------------------------

    def _get_pk(self, conn: Connection, pk: int) -> Job:
        return Job.from_row(conn.execute(select(jobs).where(jobs.c.pk == pk)).one())

    def _get_by_arn(self, conn: Connection, arn: str) -> Job:
        return Job.from_row(conn.execute(select(jobs).where(jobs.c.arn == arn)).one())

    def find(self, scope: Scope, service: str, job_id: str, conn: Connection | None = None) -> Job | None:
        query = select(jobs).where(
            jobs.c.service == service,
            jobs.c.account_id == scope.account_id,
            jobs.c.region == scope.region,
            jobs.c.job_id == job_id,
        )
        row = first_row(self.db, query, conn)
        return None if row is None else Job.from_row(row)

    def get(self, scope: Scope, service: str, job_id: str, conn: Connection | None = None) -> Job:
        job = self.find(scope, service, job_id, conn)
        if job is None:
            raise NotFound("job", job_id)
        return job

    def find_by_arn(
        self, scope: Scope, service: str, arn: str, kinds: Iterable[str], conn: Connection | None = None
    ) -> Job | None:
        """The caller's job of one of ``kinds`` whose ARN is ``arn``, or None."""
        query = select(jobs).where(
            jobs.c.arn == arn,
            jobs.c.service == service,
            jobs.c.kind.in_(list(kinds)),
            jobs.c.account_id == scope.account_id,
            jobs.c.region == scope.region,
        )
        row = first_row(self.db, query, conn)
        return None if row is None else Job.from_row(row)

    def load(self, pk: int) -> Job:
        with self.db.read() as conn:
            return self._get_pk(conn, pk)

    def list(
        self,
        scope: Scope,
        service: str,
        kinds: Iterable[str],
        *,
        max_results: int = 100,
        next_token: str | None = None,
        states: Iterable[JobState] | None = None,
        parent_id: str | None = None,
        keep: Callable[[Job], bool] | None = None,
        newest_first: bool = False,
        token_scope: Any = None,
    ) -> Page[Job]:
        kinds = list(kinds)
        where = [
            jobs.c.service == service,
            jobs.c.kind.in_(kinds),
            jobs.c.account_id == scope.account_id,
            jobs.c.region == scope.region,
        ]
        state_values = None if states is None else sorted(state.value for state in states)
        if state_values is not None:
            where.append(jobs.c.state.in_(state_values))
        if parent_id is not None:
            where.append(jobs.c.parent_id == parent_id)
        fingerprint = [service, kinds, scope.account_id, scope.region, state_values, parent_id, token_scope]
        with self.db.read() as conn:
            return keyset_page(
                conn,
                jobs,
                where,
                tokens=self.tokens,
                token_scope=fingerprint,
                max_results=max_results,
                next_token=next_token,
                newest_first=newest_first,
                build=Job.from_row,
                keep=keep,
            )

    # -- state changes -----------------------------------------------------------------------

    def transition(
        self,
        job: Job | int,
        target: JobState,
        *,
        failure_code: str | None = None,
        failure_reason: str | None = None,
        result: dict[str, Any] | None = None,
        conn: Connection | None = None,
        allowed_from: Iterable[JobState] | None = None,
    ) -> Job:
        """Move a job to ``target`` if the state machine allows it from its current state."""
        pk = job if isinstance(job, int) else job.pk
        with transaction(self.db, conn) as tx:
            current = self._get_pk(tx, pk)
            if not can_transition(current.state, target) or (
                allowed_from is not None and current.state not in set(allowed_from)
            ):
                raise IllegalTransition(current.job_id, current.state.value, target.value)
            now = datetime.now(UTC)
            values: dict[str, Any] = {"state": target.value, "updated_at": now}
            if target is JobState.RUNNING and current.started_at is None:
                values["started_at"] = now
            if target.terminal:
                values["ended_at"] = now
                values["lease_owner"] = None
                values["lease_expires_at"] = None
            if target is JobState.PENDING:
                values["lease_owner"] = None
                values["lease_expires_at"] = None
            if target is JobState.CANCELING:
                values["cancel_requested"] = True
            if failure_code is not None:
                values["failure_code"] = failure_code
            if failure_reason is not None:
                values["failure_reason"] = failure_reason
            if result is not None:
                values["result"] = result
            changed = tx.execute(
                update(jobs).where(jobs.c.pk == pk, jobs.c.state == current.state.value).values(**values)
            ).rowcount
            if changed != 1:  # lost a race with another writer: report what is there now
                latest = self._get_pk(tx, pk)
                raise IllegalTransition(latest.job_id, latest.state.value, target.value)
            updated = self._get_pk(tx, pk)
            if target.terminal:  # every job's end passes here, in the process that ran or ended it
                record_duration(tx, updated)  # its run time, with its end (engine/durations.py)
        if conn is None:
            self._notify(updated)
        return updated

    def start(self, scope: Scope, job: Job, quotas: Iterable[Quota] = ()) -> Job:
        """Queue a WAITING job (an explicit start, e.g. Data Exchange StartJob) within quotas."""
        with self.db.begin() as conn:
            for quota in quotas:
                self._check_quota(conn, scope, quota)
            started = self.transition(job, JobState.PENDING, conn=conn, allowed_from=[JobState.WAITING])
        self._notify(started)
        return started

    def request_cancel(self, job: Job) -> Job:
        """Cancel: jobs not yet running end Canceled at once; running ones go Canceling."""
        if job.state in (JobState.WAITING, JobState.PENDING):
            try:
                return self.transition(job, JobState.CANCELED, failure_reason="Canceled before it started")
            except IllegalTransition:
                job = self.load(job.pk)  # it started meanwhile: fall through
        if job.state is JobState.CANCELING:
            return job
        return self.transition(job, JobState.CANCELING)

    def save_progress(
        self, pk: int, progress: dict[str, Any] | None = None, result: dict[str, Any] | None = None
    ) -> None:
        """Store progress counters and partial results of a running job."""
        values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if progress is not None:
            values["progress"] = progress
        if result is not None:
            values["result"] = result
        with self.db.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.pk == pk).values(**values))

    def cancel_requested(self, pk: int) -> bool:
        with self.db.read() as conn:
            return bool(conn.execute(select(jobs.c.cancel_requested).where(jobs.c.pk == pk)).scalar_one())

    def count_by_state(self) -> list[tuple[str, str, str, int]]:
        """(service, kind, state, jobs) of every account, in one grouped query (for metrics)."""
        query = select(jobs.c.service, jobs.c.kind, jobs.c.state, func.count()).group_by(
            jobs.c.service, jobs.c.kind, jobs.c.state
        )
        with self.db.read() as conn:
            return [(service, kind, state, count) for service, kind, state, count in conn.execute(query)]

    # -- executor support --------------------------------------------------------------------

    def list_pending(self, kinds: Iterable[str], limit: int = 20, job_id: str | None = None) -> list[Job]:
        """Pending jobs of ``kinds``, oldest first (only those called ``job_id``, when given)."""
        query = select(jobs).where(jobs.c.state == JobState.PENDING.value, jobs.c.kind.in_(list(kinds)))
        if job_id is not None:
            query = query.where(jobs.c.job_id == job_id)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(jobs.c.created_at, jobs.c.pk).limit(limit)).all()
        return [Job.from_row(row) for row in rows]

    def claim(self, pk: int, owner: str, lease_seconds: float) -> Job | None:
        """Move one pending job to Running under this owner's lease, unless someone else did."""
        with self.db.begin() as conn:
            current = self._get_pk(conn, pk)
            now = datetime.now(UTC)
            changed = conn.execute(
                update(jobs)
                .where(jobs.c.pk == pk, jobs.c.state == JobState.PENDING.value)
                .values(
                    state=JobState.RUNNING.value,
                    started_at=current.started_at or now,
                    updated_at=now,
                    attempt=current.attempt + 1,
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                )
            ).rowcount
            return self._get_pk(conn, pk) if changed == 1 else None

    def claim_next(self, owner: str, kinds: Iterable[str], lease_seconds: float) -> Job | None:
        """Take the oldest pending job of a kind this executor runs, and lease it."""
        kinds = list(kinds)
        if not kinds:
            return None
        for job in self.list_pending(kinds, limit=5):
            claimed = self.claim(job.pk, owner, lease_seconds)
            if claimed is not None:
                return claimed
        return None

    def renew_leases(self, owner: str, lease_seconds: float) -> None:
        now = datetime.now(UTC)
        with self.db.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.lease_owner == owner)
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
            )

    def orphans(self, owner: str, *, all_foreign: bool) -> list[Job]:
        """Running or canceling jobs whose worker is gone (another owner, lease expired)."""
        query = select(jobs).where(
            jobs.c.state.in_([JobState.RUNNING.value, JobState.CANCELING.value]),
            (jobs.c.lease_owner != owner) | jobs.c.lease_owner.is_(None),
        )
        if not all_foreign:
            query = query.where(
                (jobs.c.lease_expires_at < datetime.now(UTC)) | jobs.c.lease_expires_at.is_(None)
            )
        with self.db.read() as conn:
            return [Job.from_row(row) for row in conn.execute(query).all()]

    def waiting_since(self, before: datetime, kinds: Iterable[str], limit: int = 100) -> list[Job]:
        """Pending jobs of ``kinds`` unchanged since ``before`` (their task may be lost)."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(jobs)
                .where(
                    jobs.c.state == JobState.PENDING.value,
                    jobs.c.kind.in_(list(kinds)),
                    jobs.c.updated_at < before,
                )
                .order_by(jobs.c.created_at, jobs.c.pk)
                .limit(limit)
            ).all()
        return [Job.from_row(row) for row in rows]

    def overdue(self) -> list[Job]:
        """Running jobs past their time limit."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(jobs).where(
                    jobs.c.state == JobState.RUNNING.value, jobs.c.timeout_seconds.is_not(None)
                )
            ).all()
        now = datetime.now(UTC)
        return [
            job
            for job in map(Job.from_row, rows)
            if job.started_at is not None
            and job.timeout_seconds is not None
            and now - job.started_at > timedelta(seconds=job.timeout_seconds)
        ]
