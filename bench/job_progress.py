"""The job progress endpoints' reads with many jobs: a page of ``GET /_jobforge/jobs`` (every
service, by service, by status, one account's by status) and one job by id or ARN, against the
baseline of the same page through a service's own ListJobs query (``JobStore.list``), on one
database holding ``--jobs`` jobs of the three services.

    python bench/job_progress.py [--jobs 10000] [--database-url postgresql+psycopg://...]

Prints milliseconds per read and the ratio to the baseline. Target: every page under 300 ms
(what the console needs), within a few times the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from sqlalchemy import insert

from jobforge.engine import JobEngine, JobState
from jobforge.engine.db import jobs
from jobforge.engine.progress import JobKind
from jobforge.services.dataexchange.progress import JOB_KINDS as DATAEXCHANGE
from jobforge.services.location.progress import JOB_KINDS as LOCATION
from jobforge.services.robomaker.progress import JOB_KINDS as ROBOMAKER

KINDS: list[tuple[str, JobKind, dict[str, Any]]] = [  # (engine service, kind, request)
    ("robomaker", ROBOMAKER[0], {"worldCount": {"floorplanCount": 2, "interiorCountPerFloorplan": 3}}),
    ("geo", LOCATION[0], {"Action": "ValidateAddress"}),
    ("dataexchange", DATAEXCHANGE[0], {"Type": "IMPORT_ASSETS_FROM_S3", "AssetIds": ["a", "b"]}),
]
STATES = [JobState.SUCCEEDED, JobState.RUNNING, JobState.FAILED, JobState.PENDING]
ACCOUNTS = [f"{n:012d}" for n in range(5)]


@dataclass(frozen=True)
class Owner:
    account_id: str
    region: str


def fill(engine: JobEngine, count: int) -> None:
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        service, kind, request = KINDS[n % len(KINDS)]
        job_id = uuid.uuid4().hex[:12]
        rows.append(
            {
                "job_id": job_id,
                "service": service,
                "kind": kind.kind,
                "account_id": ACCOUNTS[n % len(ACCOUNTS)],
                "region": "us-east-1",
                "arn": f"arn:aws:{service}:us-east-1:{ACCOUNTS[n % len(ACCOUNTS)]}:job/{job_id}",
                "state": STATES[n % len(STATES)].value,
                "created_at": now - timedelta(seconds=n),
                "updated_at": now,
                "started_at": now - timedelta(seconds=n),
                "request": request,
                "result": {},
                "progress": {"finishedCount": 3, "rows": 500, "rowsTotal": 1000},
                "cancel_requested": False,
                "attempt": 1,
            }
        )
    with engine.db.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(insert(jobs), rows[start : start + 1000])


def per_call_ms(call: Callable[[], object], repeat: int) -> float:
    call()  # warm
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-progress-')}/jobs.db"
    engine = JobEngine(url)
    engine.progress.declare([kind for _, kind, _ in KINDS])
    fill(engine, args.jobs)
    scope = Owner(ACCOUNTS[1], "us-east-1")
    baseline = per_call_ms(
        lambda: engine.jobs.list(scope, "geo", [LOCATION[0].kind], max_results=100, newest_first=True),
        args.repeat,
    )
    known = engine.jobs.list(scope, "geo", [LOCATION[0].kind], max_results=1).items[0]
    reads: dict[str, Callable[[], object]] = {
        "every job, newest first": lambda: engine.progress.list(),
        "service=location": lambda: engine.progress.list(service="location"),
        "status=Running": lambda: engine.progress.list(status="Running"),
        "one account, status=Failed": lambda: engine.progress.list(ACCOUNTS[1], status="Failed"),
        "one job by id": lambda: engine.progress.find(known.job_id),
        "one job by ARN": lambda: engine.progress.find(known.arn),
    }
    print(f"{args.jobs} jobs on {engine.db.engine.url.drivername}; pages of 100")
    print(f"  baseline: one account's Location ListJobs page      {baseline:7.1f} ms")
    for name, read in reads.items():
        ms = per_call_ms(read, args.repeat)
        print(f"  {name:<50} {ms:7.1f} ms  ({ms / baseline:.2f}x baseline)")
    engine.stop()


if __name__ == "__main__":
    main()
