"""Run times of ended jobs, for the whole deployment: a histogram kept in the database.

The transaction that ends a job (``JobStore.transition`` to a terminal state) adds its run time,
from its start to its end, to the row of its service, kind, final state and bucket
(``job_durations``), whichever process ends it: an API node, or a Celery worker that serves no
/metrics. So the counts are never lost between a job's end and its record, and every API node
reads the same totals (metrics/jobs.py). Jobs that ended without starting are not recorded.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from jobforge.engine.db import Database, job_durations

if TYPE_CHECKING:
    from jobforge.engine.jobs import Job

# seconds: from instant test jobs to hours-long Location validations and large exports
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)


@dataclass(frozen=True, slots=True)
class Durations:
    """The recorded run times of one (service, kind, final state)."""

    service: str
    kind: str
    state: str
    counts: tuple[int, ...]  # jobs per bucket (not cumulative), the last above every bound
    seconds: float  # their run times added up


def bucket_of(seconds: float) -> int:
    """The bucket of a run time: the first bound it does not exceed (Prometheus' ``le``), or
    ``len(DURATION_BUCKETS)`` above them all."""
    return bisect_left(DURATION_BUCKETS, seconds)


def record_duration(conn: Connection, job: Job) -> None:
    """Add ``job``'s run time (it has just ended) in the transaction of ``conn``."""
    if job.started_at is None or job.ended_at is None:
        return
    seconds = max((job.ended_at - job.started_at).total_seconds(), 0.0)
    values = {
        "service": job.service,
        "kind": job.kind,
        "state": job.state.value,
        "bucket": bucket_of(seconds),
        "jobs": 1,
        "seconds": seconds,
    }
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(job_durations)
    conn.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=["service", "kind", "state", "bucket"],
            set_={"jobs": job_durations.c.jobs + 1, "seconds": job_durations.c.seconds + seconds},
        )
    )


def read_durations(db: Database) -> list[Durations]:
    """Every (service, kind, final state) recorded, with its jobs per bucket."""
    with db.read() as conn:
        rows = conn.execute(select(job_durations)).all()
    counts: dict[tuple[str, str, str], list[int]] = {}
    seconds: dict[tuple[str, str, str], float] = {}
    for service, kind, state, bucket, jobs, total in rows:
        key = (service, kind, state)
        counts.setdefault(key, [0] * (len(DURATION_BUCKETS) + 1))[min(bucket, len(DURATION_BUCKETS))] += jobs
        seconds[key] = seconds.get(key, 0.0) + total
    return [Durations(*key, tuple(counts[key]), seconds[key]) for key in sorted(counts)]
