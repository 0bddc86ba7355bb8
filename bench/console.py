"""Console page times with 10,000 jobs in the database (goal: every page under 300 ms).

    python bench/console.py                  # 10,000 jobs, 20 timed requests per page
    python bench/console.py --jobs 2000 --repeat 10

A server on the embedded defaults makes one real job of each kind through boto3 (a world
generation and its export, a Data Exchange import, a ValidateAddress job on the test suite's
fictional reference data); it stops, and ``--jobs`` copies of those records (90 % succeeded,
10 % failed with a reason) go into its database through the engine's job store, not HTTP. The
server starts again and every console page is timed. The baseline, timed in the same run, is
``GET /_jobforge/jobs`` (the JSON list of the same 50 jobs the console's first page shows), so the
ratio is what the HTML costs over the bare data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for the scenario and data
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import PYTHON, ChildServer, free_port
from jobforge.engine import JobEngine, JobState
from jobforge.engine.db import jobs, sqlite_url
from tests.console.scenario import AccountJobs, make_jobs
from tests.location.fixtures import import_reference

GOAL_MS = 300.0


@dataclass(frozen=True)
class Owner:
    account_id: str
    region: str


def serve(data_dir: Path, port: int) -> ChildServer:
    argv = [PYTHON, "-m", "jobforge.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    return ChildServer(argv, f"http://127.0.0.1:{port}/_jobforge/health")


def insert_jobs(data_dir: Path, count: int) -> float:
    """``count`` copies of the jobs already in the database, through JobStore.create; seconds taken."""
    engine = JobEngine(sqlite_url(data_dir), workers=1, single_node=False)
    with engine.db.read() as conn:
        rows = conn.execute(select(jobs.c.pk).where(jobs.c.parent_id.is_(None))).all()
    models = [engine.jobs.load(row.pk) for row in rows]
    started = time.perf_counter()
    for n in range(count):
        model = models[n % len(models)]
        job_id = f"{model.job_id[:40]}-bench{n}-{uuid.uuid4().hex[:6]}"
        job, _ = engine.jobs.create(
            Owner(model.account_id, model.region),
            service=model.service,
            kind=model.kind,
            job_id=job_id,
            arn=model.arn.rsplit("/", 1)[0] + "/" + job_id,
            request=model.request,
            result=model.result,
        )
        engine.jobs.transition(job, JobState.RUNNING)
        engine.jobs.save_progress(job.pk, model.progress)
        if n % 10 == 9:
            engine.jobs.transition(
                job, JobState.FAILED, failure_code="BenchFailure", failure_reason=f"copy {n}"
            )
        else:
            engine.jobs.transition(job, JobState.SUCCEEDED)
    engine.db.dispose()
    return time.perf_counter() - started


def time_get(http: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    """Median and worst milliseconds of ``repeat`` GETs (after two warm-ups), and the status."""
    for _ in range(2):
        status = http.get(path).status_code
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        response = http.get(path)
        times.append((time.perf_counter() - begin) * 1000)
        status = response.status_code
    return statistics.median(times), max(times), status


def pages(made: AccountJobs, next_link: str) -> list[str]:
    world, export = quote(made.worlds[0], safe=""), quote(made.export_job, safe="")
    return [
        "/console/jobs",
        next_link,
        "/console/jobs?service=location&state=FAILED",
        "/console/jobs?partial=1",
        "/console/robomaker/worlds",
        f"/console/robomaker/world?arn={world}",
        f"/console/robomaker/preview.png?arn={world}",
        "/console/robomaker/templates",
        f"/console/robomaker/template?arn={quote(made.template, safe='')}",
        "/console/robomaker/exports",
        f"/console/robomaker/job?arn={export}",
        "/console/dataexchange/data-sets",
        f"/console/dataexchange/revision?data_set={made.data_set}&id={made.revision}",
        f"/console/dataexchange/job?id={made.import_job}",
        "/console/location/jobs",
        f"/console/location/job?id={made.location_job}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        data_dir = Path(tmp) / "data"
        import_reference(data_dir, Path(tmp) / "reference")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with serve(data_dir, port):
            made = make_jobs(url, "test", "test", "000000000000", "bench-data")
        seconds = insert_jobs(data_dir, args.jobs)
        print(f"inserted {args.jobs} jobs through JobStore in {seconds:.1f} s")
        with serve(data_dir, port), httpx.Client(base_url=url, timeout=60) as http:
            first = http.get("/console/jobs").text
            token = first.split('class="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            baseline, _, _ = time_get(http, "/_jobforge/jobs?maxResults=50", args.repeat)
            print(f"baseline GET /_jobforge/jobs?maxResults=50: median {baseline:.1f} ms")
            print(f"{'page':<72} {'median ms':>9} {'max ms':>7} {'ratio':>6}")
            slowest = 0.0
            for path in pages(made, token):
                median, worst, status = time_get(http, path, args.repeat)
                assert status == 200, (path, status)
                slowest = max(slowest, median)
                shown = path if len(path) <= 72 else path[:69] + "..."
                print(f"{shown:<72} {median:>9.1f} {worst:>7.1f} {median / baseline:>6.2f}")
        verdict = "meets" if slowest < GOAL_MS else "MISSES"
        print(f"slowest page median {slowest:.1f} ms: {verdict} the {GOAL_MS:.0f} ms goal")


if __name__ == "__main__":
    main()
