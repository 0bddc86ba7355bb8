"""What metrics cost: DescribeWorldTemplate throughput of a server with metrics on and of one with
them off (``JOBFORGE_METRICS=off``), measured in alternating rounds in the same run (the ratio of
each pair of adjacent rounds, then their median: steadier than whole-run medians on a busy machine),
the time the gateway's observation itself takes per request (measured in this process), and the time
one ``GET /metrics`` scrape takes with 10,000 jobs in the job store.

    python bench/metrics.py [--rounds 30] [--seconds 1] [--connections 16] [--jobs 10000]
                            [--database-url postgresql+psycopg://...]

Targets: metrics on at most 5% slower than off; a scrape well under a second with 10,000 jobs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples
from api import bench_template, describe_load, jobforge_argv
from harness import PYTHON, ChildServer, free_port

KINDS = (
    ("robomaker", "robomaker.world-generation"),
    ("robomaker", "robomaker.world-export"),
    ("dataexchange", "dataexchange.import-assets-from-s3"),
    ("geo", "location.validate-address"),
)
STATES = ("SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "CANCELED", "PENDING", "RUNNING")
ENDED = ("SUCCEEDED", "FAILED", "CANCELED")


def throughput(rounds: int, seconds: float, connections: int) -> tuple[list[float], list[float]]:
    """Requests/s of each round, with metrics on and off (both servers up, measured in turns)."""
    on_port, off_port = free_port(), free_port()
    on_url, off_url = f"http://127.0.0.1:{on_port}", f"http://127.0.0.1:{off_port}"
    on = ChildServer(jobforge_argv(on_port), f"{on_url}/_jobforge/health")
    off = ChildServer(jobforge_argv(off_port), f"{off_url}/_jobforge/health", env={"JOBFORGE_METRICS": "off"})
    with on, off:
        arns = {on_url: bench_template(on_url), off_url: bench_template(off_url)}
        assert httpx.get(f"{on_url}/metrics").status_code == 200
        assert httpx.get(f"{off_url}/metrics").status_code == 404
        for url, arn in arns.items():  # warm-up
            describe_load(url, arn, 3, connections)
        results: dict[str, list[float]] = {on_url: [], off_url: []}
        for n in range(rounds):
            order = (on_url, off_url) if n % 2 == 0 else (off_url, on_url)
            for url in order:
                results[url].append(describe_load(url, arns[url], seconds, connections).rps)
    return results[on_url], results[off_url]


def observation_seconds(calls: int = 200_000) -> float:
    """Seconds one request's observation takes (the counter and histogram of a warm label set)."""
    from prometheus_client import CollectorRegistry

    from jobforge.metrics.requests import RequestMetrics

    observe = RequestMetrics(CollectorRegistry())
    observe("robomaker", "DescribeWorldTemplate", 200, 0.001)
    started = time.perf_counter()
    for _ in range(calls):
        observe("robomaker", "DescribeWorldTemplate", 200, 0.001)
    return (time.perf_counter() - started) / calls


def fill_jobs(database_url: str, count: int) -> None:
    """``count`` jobs of four kinds in seven states (a few hundred bytes of request and result each)."""
    from sqlalchemy import insert

    from jobforge.engine.db import Database, jobs

    db = Database(database_url)
    db.migrate()
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        service, kind = KINDS[n % len(KINDS)]
        state = STATES[n % len(STATES)]
        created = now - timedelta(seconds=count - n)
        rows.append(
            {
                "job_id": f"bench-{n:08d}",
                "service": service,
                "kind": kind,
                "account_id": f"{100000000000 + n % 50}",
                "region": "us-east-1",
                "arn": f"arn:aws:{service}:us-east-1:{100000000000 + n % 50}:job/bench-{n:08d}",
                "state": state,
                "created_at": created,
                "updated_at": created,
                "started_at": created if state != "PENDING" else None,
                "ended_at": created + timedelta(seconds=3) if state in ENDED else None,
                "request": {"template": "arn:aws:robomaker:us-east-1:1:world-template/x" * 4, "n": n},
                "result": {"worlds": [f"arn:aws:robomaker:us-east-1:1:world/w{i}" for i in range(4)]},
                "progress": {"done": 4, "total": 4},
                "cancel_requested": False,
                "attempt": 1,
            }
        )
    with db.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(insert(jobs), rows[start : start + 1000])
    db.dispose()


def scrape_times(count: int, database_url: str | None, scrapes: int = 20) -> list[float]:
    """Seconds per ``GET /metrics`` of a server whose job store holds ``count`` jobs."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    database_url = database_url or f"sqlite:///{data_dir / 'jobforge.db'}"
    fill_jobs(database_url, count)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [PYTHON, "-m", "jobforge.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    env = {"JOBFORGE_DATABASE_URL": database_url, "JOBFORGE_PACE": "step"}  # the jobs stay as they are
    with ChildServer(argv, f"{url}/_jobforge/health", env=env), httpx.Client() as session:
        first = session.get(f"{url}/metrics")
        assert first.status_code == 200 and "jobforge_jobs{" in first.text
        times = []
        for _ in range(scrapes):
            started = time.perf_counter()
            session.get(f"{url}/metrics").raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--database-url", help="the job store for the scrape test (default: SQLite)")
    args = parser.parse_args()
    on, off = throughput(args.rounds, args.seconds, args.connections)
    for label, rates in (("on ", on), ("off", off)):
        rounds = ", ".join(f"{rate:.0f}" for rate in rates)
        median = statistics.median(rates)
        print(f"metrics {label}  DescribeWorldTemplate  {median:9.0f} req/s   (rounds: {rounds})")
    ratio = statistics.median(a / b for a, b in zip(on, off, strict=True))
    print(f"ratio on / off (median of pairs)    {ratio:9.3f}   (target >= 0.95)")
    cost = observation_seconds()
    share = cost * statistics.median(off)
    print(f"one request's observation           {cost * 1e6:9.2f} us   ({share:.2%} of a request, off rate)")
    times = scrape_times(args.jobs, args.database_url)
    print(
        f"GET /metrics with {args.jobs} jobs      median {statistics.median(times) * 1000:7.1f} ms"
        f"   max {max(times) * 1000:7.1f} ms"
    )


if __name__ == "__main__":
    main()
