"""Scale-out on the Celery executor: worlds/s and Location rows/s with one and two worker nodes,
the cost of the Celery path against the in-process executor, and the per-task costs behind the
model of docs/deploy.md.

    python bench/scale.py [--worlds 40] [--jobs 2] [--rows 960000] [--row-group 8000] [--settle 10.5]

Everything is real and started here: a ``redis-server`` of its own on a free port, a fresh
PostgreSQL database (on ``JOBFORGE_TEST_POSTGRES_URL``: ``eval "$(bash scripts/test-services.sh)"``),
one ``jobforge serve --executor celery`` API node and ``jobforge worker --concurrency 1`` processes
(tests/distributed/cluster.py starts them, as for the tests), then ``jobforge serve`` alone
(``JOBFORGE_CPU_WORKERS=2``) on another fresh database for the in-process numbers.

Scale-out is one worker node against two (each ``--concurrency 1``: one piece process, plus its
jobs process), not one worker with ``--concurrency 2``: adding nodes is what a deployment does, and
each node brings its own broker connections and job poller, which is what 10 and 100 nodes multiply.

Counted per job with the single worker: Redis commands and bytes (``INFO``: broker and result
backend, one server), PostgreSQL committed transactions and row writes of the job's database
(``pg_stat_database``; its counters lag up to 10 s, so each counted job is followed by ``--settle``
seconds of quiet), both less the idle rate measured first (lease renewals, workers' polls).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*
from jobforge.engine.celery_app import CeleryConfig, make_app
from jobforge.engine.celery_executor import PiecePool
from jobforge.engine.db import jobs
from jobforge.engine.states import TERMINAL_STATES, JobState
from jobforge.services.location.pieces import split_row_groups
from tests.distributed.cluster import RedisServer, Worker, node_env, running_nodes
from tests.location.fixtures import cases_table, import_reference, parquet_bytes
from tests.location.helpers import start as start_validation
from tests.robomaker.samples import sample_body
from tests.support import JobforgeServer, client, descendants, fresh_postgres_database

FEATURES = {"ValidateAddress": {"AdditionalFeatures": ["Position"]}}
TEMPLATE = sample_body("SixRoomsV2")  # about 0.12 s of one core per world
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1")
MACHINE = "machine"  # every process of the machine, ours and others
Costs = tuple[dict[str, float], dict[str, float]]
DONE = {JobState.SUCCEEDED, JobState.PARTIALLY_SUCCEEDED}  # a world may fail its quality checks


@dataclass
class Counters:
    """Redis and PostgreSQL counters at one moment."""

    at: float
    redis: dict[str, int]
    pg: dict[str, int]

    def minus(self, before: Counters) -> Counters:
        return Counters(
            self.at - before.at,
            {k: v - before.redis.get(k, 0) for k, v in self.redis.items()},
            {k: v - before.pg[k] for k, v in self.pg.items()},
        )

    def scaled(self, factor: float) -> Counters:
        return Counters(self.at * factor, {k: round(v * factor) for k, v in self.redis.items()},
                        {k: round(v * factor) for k, v in self.pg.items()})  # fmt: skip

    def net_of(self, idle: Counters) -> Counters:
        """These deltas less what the idle rate ``idle`` (deltas over ``idle.at`` s) adds in as long."""
        base = idle.scaled(self.at / idle.at)
        return Counters(
            self.at,
            {k: v - base.redis.get(k, 0) for k, v in self.redis.items()},
            {k: v - base.pg[k] for k, v in self.pg.items()},
        )


class Meter:
    """Reads the counters of one Redis server and one PostgreSQL database."""

    def __init__(self, redis_url: str, database_url: str) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.db = create_engine(database_url, poolclass=NullPool)  # a connection per read: no held stats

    def read(self) -> Counters:
        info = self.redis.info("stats")
        red = {
            "commands": int(info["total_commands_processed"]),
            "bytes_in": int(info["total_net_input_bytes"]),
            "bytes_out": int(info["total_net_output_bytes"]),
        }
        for name, stats in self.redis.info("commandstats").items():
            red[name.removeprefix("cmdstat_")] = int(stats["calls"])
        query = text(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        with self.db.connect() as conn:  # rolled back on close: not a commit of its own
            row = conn.execute(query).one()
        pg = {"commits": row[0], "rows_written": row[1] + row[2] + row[3]}
        return Counters(time.monotonic(), red, pg)

    def settled(self, seconds: float) -> Counters:
        """The counters once every backend has flushed its statistics (idle ``seconds``)."""
        time.sleep(seconds)
        return self.read()

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


def cpu_seconds(pids: set[int]) -> float:
    """User and system CPU seconds of ``pids`` so far (those that ended meanwhile are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def machine_cpu_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle, not waiting on I/O) so far."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of each part of a deployment: worker nodes split into their pieces processes and
    their jobs process, API nodes (or the single server, pool included), the PostgreSQL backends of
    the database, Redis, and this process (which polls the job records)."""

    def __init__(self, database_url: str) -> None:
        self.db = create_engine(database_url, poolclass=NullPool)
        self.parts: dict[str, Callable[[], set[int]]] = {"bench": lambda: {os.getpid()}}

    def add_worker(self, label: str, worker: Worker) -> None:
        assert worker.process is not None
        root = worker.process.pid

        def jobs_tree() -> set[int]:
            for pid in descendants(root):
                try:
                    if b"--queues\x00jobs" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        return {pid} | descendants(pid)
                except OSError:
                    continue
            return set()

        self.parts[f"{label} jobs"] = jobs_tree
        self.parts[f"{label} pieces"] = lambda: ({root} | descendants(root)) - jobs_tree()

    def add_tree(self, label: str, pid: int) -> None:
        self.parts[label] = lambda: {pid} | descendants(pid)

    def backends(self) -> set[int]:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        with self.db.connect() as conn:
            return {int(row[0]) for row in conn.execute(query)}

    def read(self) -> dict[str, float]:
        found = {label: cpu_seconds(pids()) for label, pids in self.parts.items()}
        found["postgres"] = cpu_seconds(self.backends())
        found[MACHINE] = machine_cpu_seconds()
        return found

    def around(self, job: Callable[[], Run]) -> tuple[Run, dict[str, float]]:
        """Run ``job``; its CPU seconds per part (PostgreSQL: backends alive at both reads)."""
        before = self.read()
        run = job()
        after = self.read()
        return run, {label: after[label] - before.get(label, 0.0) for label in after}

    def close(self) -> None:
        self.db.dispose()


def cpu_line(cpu: dict[str, float], run: Run, unit: str, per: int = 1) -> str:
    """CPU ms of each part per ``per`` units, and the total against the run's wall time."""
    scale = 1000 * per / run.units
    ours = {label: seconds for label, seconds in cpu.items() if label != MACHINE}
    parts = ", ".join(f"{label} {seconds * scale:.1f}" for label, seconds in ours.items() if seconds > 0)
    total = sum(ours.values())
    others = max(0.0, cpu[MACHINE] - total) / run.seconds
    cores = f"{total / run.seconds:.2f} cores busy with this run, {others:.2f} with other processes"
    return f"CPU ms per {unit}: {parts}; {cores}"


@dataclass
class Run:
    """One timed job: seconds from creation to its end, and its units (worlds or rows)."""

    seconds: float
    units: int
    state: str
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.units / self.seconds


class Jobs:
    """Starts jobs through one API node and times them from the database's own timestamps."""

    def __init__(self, api_url: str, database_url: str, name: str) -> None:
        self.api_url = api_url
        self.location = client("location", api_url)
        self.s3 = client("s3", api_url)
        self.db: Engine = create_engine(database_url, poolclass=NullPool)
        self.templates: dict[str, tuple[Any, str]] = {}  # region -> (client, template arn)
        self.inputs, self.outputs = f"scale-{name}-in", f"scale-{name}-out"
        for bucket in (self.inputs, self.outputs):
            self.s3.create_bucket(Bucket=bucket)
        self.count = 0

    def wait(self, arns: list[str], units: int, timeout: float = 600) -> Run:
        """Once every job of ``arns`` ended: from the first creation to the last end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.connect() as conn:
                rows = [row._mapping for row in conn.execute(select(jobs).where(jobs.c.arn.in_(arns)))]
            if len(rows) == len(arns) and all(row["state"] in TERMINAL_STATES for row in rows):
                seconds = (
                    max(r["ended_at"] for r in rows) - min(r["created_at"] for r in rows)
                ).total_seconds()
                failed = sorted({row["state"] for row in rows} - DONE)
                workers: dict[str, int] = {}
                for row in rows:
                    for name, count in (row["progress"] or {}).get("workers", {}).items():
                        workers[name] = workers.get(name, 0) + count
                pieces = sum(int((row["progress"] or {}).get("pieces", 0)) for row in rows)
                return Run(
                    seconds, units, ",".join(failed) or "SUCCEEDED", {"workers": workers, "pieces": pieces}
                )
            time.sleep(0.05)
        raise RuntimeError(f"{arns} did not end in {timeout} s")

    def worlds(self, count: int, jobs_at_once: int = 1) -> Run:
        """``jobs_at_once`` generation jobs of ``count`` SixRoomsV2 worlds, each in a region of its
        own (the quota is 3 running jobs per account and region), started together."""
        arns = []
        for n in range(jobs_at_once):
            region = REGIONS[n]
            if region not in self.templates:
                api = client("robomaker", self.api_url, region=region)
                self.templates[region] = (api, api.create_world_template(templateBody=TEMPLATE)["arn"])
            api, template = self.templates[region]
            worlds = {"floorplanCount": count, "interiorCountPerFloorplan": 1}
            arns.append(api.create_world_generation_job(template=template, worldCount=worlds)["arn"])
        run = self.wait(arns, count * jobs_at_once)
        if run.state != "SUCCEEDED":
            raise RuntimeError(f"generation jobs ended {run.state}")  # failed or canceled
        return run

    def validate(self, data: bytes, rows: int) -> Run:
        self.count += 1
        prefix = f"in-{self.count}/"
        self.s3.put_object(Bucket=self.inputs, Key=prefix + "a.parquet", Body=data)
        source, output = f"s3://{self.inputs}/{prefix}", f"s3://{self.outputs}/out-{self.count}/"
        job = start_validation(self.location, source, output, ActionOptions=FEATURES)
        run = self.wait([job["JobArn"]], rows)
        if run.state != "SUCCEEDED":
            raise RuntimeError(f"the ValidateAddress job ended {run.state}")
        return run

    def warm_up(self, data: bytes, rows: int) -> None:
        """A few worlds and a split file first: every piece process imports and opens what it
        needs (the generator, the reference index) before the timed jobs."""
        self.worlds(4, 2)
        self.validate(data, rows)

    def close(self) -> None:
        self.db.dispose()


def location_input(rows: int, row_group: int) -> bytes:
    """The test cases (every kind of row, error rows among them) repeated to ``rows`` rows."""
    cases = cases_table()
    table = pa.concat_tables([cases] * (rows // cases.num_rows + 1)).slice(0, rows)
    return parquet_bytes(table, row_group_size=row_group)


def piece_round_trips(redis_url: str, sequential: int, parallel: int) -> tuple[float, float]:
    """Empty pieces through the real piece path (``PiecePool``: send, a worker runs it, the result
    read back by the batched poll): median seconds of one alone, and pieces/s with many out."""
    pool = PiecePool(make_app(CeleryConfig(redis_url, redis_url)))
    try:
        alone = []
        for _ in range(sequential):
            started = time.perf_counter()
            pool.submit(int).result(timeout=30)
            alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        for future in [pool.submit(int) for _ in range(parallel)]:
            future.result(timeout=60)
        return statistics.median(alone), parallel / (time.perf_counter() - started)
    finally:
        pool.shutdown()


def postgres_commit_seconds(database_url: str, commits: int = 200) -> float:
    """Seconds per one-row UPDATE commit on one connection (this server's commit latency)."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_commit (n integer)"))
            conn.execute(text("INSERT INTO bench_commit VALUES (0)"))
        with engine.connect() as conn:
            started = time.perf_counter()
            for _ in range(commits):
                conn.execute(text("UPDATE bench_commit SET n = n + 1"))
                conn.commit()
            return (time.perf_counter() - started) / commits
    finally:
        engine.dispose()


def redis_capacity(port: int) -> dict[str, float]:
    """Requests/s of one Redis server for the commands a piece uses, from ``redis-benchmark``
    (20 clients, no pipelining); empty when it is not installed."""
    try:
        out = subprocess.run(
            ["redis-benchmark", "-p", str(port), "-q", "-n", "40000", "-c", "20", "-t", "set,get,lpush,mget"],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[str, float] = {}
    for line in out.replace("\r", "\n").splitlines():
        name, _, rest = line.partition(":")
        if "requests per second" in rest:
            found[name.strip()] = float(rest.split()[0])
    return found


def per_unit(small: Counters, big: Counters, small_size: tuple[int, int], big_size: tuple[int, int]) -> Costs:
    """Per job and per unit (world, piece) costs from two runs of (jobs, units) each, solving
    ``jobs * per_job + units * per_unit = measured`` for both: ({counter: per job}, {counter: per unit})."""
    (j1, u1), (j2, u2) = small_size, big_size
    det = j1 * u2 - j2 * u1
    fixed: dict[str, float] = {}
    each: dict[str, float] = {}
    for name in ("commands", "bytes_in", "bytes_out", "commits", "rows_written"):
        a = small.redis[name] if name in small.redis else small.pg[name]
        b = big.redis[name] if name in big.redis else big.pg[name]
        fixed[name] = (a * u2 - b * u1) / det
        each[name] = (j1 * b - j2 * a) / det
    return fixed, each


def top_commands(delta: Counters, units: int, limit: int = 8) -> str:
    skip = {"commands", "bytes_in", "bytes_out", "info"}
    calls = sorted(((v, k) for k, v in delta.redis.items() if k not in skip and v > 0), reverse=True)
    return ", ".join(f"{name} {count / units:.1f}" for count, name in calls[:limit])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worlds", type=int, default=40, help="worlds per generation job (at most 50)")
    parser.add_argument("--jobs", type=int, default=2, help="generation jobs at once (regions of their own)")
    parser.add_argument("--rows", type=int, default=960000, help="rows of the timed ValidateAddress input")
    parser.add_argument("--row-group", type=int, default=8000, help="rows per row group (one piece each)")
    parser.add_argument("--settle", type=float, default=10.5, help="quiet seconds before reading pg_stat")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers and workers started here
    postgres = os.environ.get("JOBFORGE_TEST_POSTGRES_URL")
    if not postgres:
        print('JOBFORGE_TEST_POSTGRES_URL is not set: eval "$(bash scripts/test-services.sh)" first')
        return 2
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
          f" (1/5/15 min), {os.cpu_count()} cores")  # fmt: skip
    data = location_input(args.rows, args.row_group)
    small = location_input(args.row_group, args.row_group)
    warm = location_input(args.row_group * 4, args.row_group)
    groups = pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups
    split_bytes = max(1024, len(data) // (groups * 4))  # below one row group: one piece per group
    pieces = len(split_row_groups(pq.ParquetFile(io.BytesIO(data)).metadata, len(data), split_bytes))
    worlds = args.worlds * args.jobs
    print(f"inputs: {args.jobs} generation jobs of {args.worlds} SixRoomsV2 worlds at once;", end=" ")
    print(f"{args.rows} rows in {groups} row groups,")
    print(f"  {len(data)} bytes, split into {pieces} pieces (JOBFORGE_LOCATION_SPLIT_BYTES={split_bytes})")
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scale-")))
        import_reference(root / "data", root / "reference")
        red = RedisServer(root / "redis").start()
        stack.callback(red.stop)
        url = stack.enter_context(fresh_postgres_database(postgres))
        env = node_env(root, red.url, url, JOBFORGE_LOCATION_SPLIT_BYTES=str(split_bytes))
        apis, workers = stack.enter_context(running_nodes(root, env, 1, [("--concurrency", "1")]))
        meter = Meter(red.url, url)
        stack.callback(meter.close)
        driver = Jobs(apis[0].url, url, "celery")
        stack.callback(driver.close)

        driver.warm_up(warm, args.row_group * 4)
        cpu = CpuMeter(url)
        stack.callback(cpu.close)
        cpu.add_worker("worker-1", workers[0])
        cpu.add_tree("api", apis[0].process.pid)
        cpu.add_tree("redis", red.process.pid)

        # idle rates, then the piece path alone
        alone, piece_rate = piece_round_trips(red.url, 20, 200)
        before = meter.settled(args.settle)
        last = [meter.settled(args.settle)]  # settled: the start of the next counted job
        idle = last[0].minus(before)
        print("\n== Celery, 1 worker node (jobforge worker --concurrency 1) ==")
        print(f"idle: {idle.redis['commands'] / idle.at:.1f} Redis commands/s,"
              f" {idle.pg['commits'] / idle.at:.2f} PostgreSQL commits/s")  # fmt: skip
        print(f"empty piece: {alone * 1000:.0f} ms round trip alone (send, run, batched result poll"
              f" every 100 ms); {piece_rate:.0f} pieces/s with 200 out, one piece process")  # fmt: skip

        def counted(job: Callable[[], Run]) -> tuple[Run, Counters]:
            run, used = cpu.around(job)
            costs.append(used)
            start, last[0] = last[0], meter.settled(args.settle)
            return run, last[0].minus(start).net_of(idle)

        costs: list[dict[str, float]] = []

        w1, w1_cost = counted(lambda: driver.worlds(1))
        wn, wn_cost = counted(lambda: driver.worlds(args.worlds, args.jobs))
        l1, l1_cost = counted(lambda: driver.validate(small, args.row_group))
        ln, ln_cost = counted(lambda: driver.validate(data, args.rows))
        print(f"worlds: {wn.rate:.2f} worlds/s ({wn.seconds:.1f} s for {worlds};", end=" ")
        print(f"1 world: {w1.seconds:.2f} s)")
        print("  " + cpu_line(costs[1], wn, "world"))
        print(
            f"location: {ln.rate:.0f} rows/s ({ln.seconds:.1f} s for {args.rows}, progress"
            f" {ln.progress.get('pieces')} pieces; one row group: {l1.seconds:.2f} s)"
        )
        print("  " + cpu_line(costs[3], ln, "1000 rows", 1000))  # fmt: skip
        jobs_of_w, per_world = per_unit(w1_cost, wn_cost, (1, 1), (args.jobs, worlds))
        jobs_of_l, per_group = per_unit(l1_cost, ln_cost, (1, 1), (1, pieces))
        print("\nper-task costs (net of idle; per job = intercept, per unit = slope of two jobs):")
        print(f"{'':24}{'Redis cmds':>11}{'Redis KB in':>12}{'KB out':>9}{'PG commits':>11}{'PG rows':>9}")
        for label, costs in (("generation job", jobs_of_w), ("  per world", per_world),
                             ("location job", jobs_of_l), ("  per row-group piece", per_group)):  # fmt: skip
            kb_in, kb_out = costs["bytes_in"] / 1024, costs["bytes_out"] / 1024
            print(f"{label:24}{costs['commands']:11.1f}{kb_in:12.1f}{kb_out:9.1f}", end="")
            print(f"{costs['commits']:11.1f}{costs['rows_written']:9.1f}")
        print(f"Redis commands per world: {top_commands(wn_cost, worlds)}")
        print(f"Redis commands per row-group piece: {top_commands(ln_cost, pieces)}")

        # a second worker node
        second = Worker(root / "worker-extra.log", "--concurrency", "1", env=env).start()
        stack.callback(second.stop)
        driver.warm_up(warm, args.row_group * 4)
        cpu.add_worker("worker-2", second)
        wn2, wn2_cpu = cpu.around(lambda: driver.worlds(args.worlds, args.jobs))
        ln2, ln2_cpu = cpu.around(lambda: driver.validate(data, args.rows))
        print("\n== Celery, 2 worker nodes (each --concurrency 1) ==")
        print(f"worlds: {wn2.rate:.2f} worlds/s ({wn2.seconds:.1f} s), workers {wn2.progress.get('workers')}")
        print("  " + cpu_line(wn2_cpu, wn2, "world"))
        print(f"location: {ln2.rate:.0f} rows/s ({ln2.seconds:.1f} s), workers {ln2.progress.get('workers')}")
        print("  " + cpu_line(ln2_cpu, ln2, "1000 rows", 1000))
        worlds_x, rows_x = wn2.rate / wn.rate, ln2.rate / ln.rate
        print(f"scale 1 -> 2 nodes: worlds x{worlds_x:.2f}, rows x{rows_x:.2f} (goal >= 1.8)")
        for worker in (*workers, second):
            worker.stop()

        # the in-process executor, same pieces in parallel (2), another fresh database
        local_url = stack.enter_context(fresh_postgres_database(postgres))
        local_env = {**env, "JOBFORGE_DATABASE_URL": local_url, "JOBFORGE_CPU_WORKERS": "2"}
        local_env.pop("JOBFORGE_BROKER_URL")
        apis[0].stop()
        server = JobforgeServer(root / "data", env=local_env)
        server.log_path = root / "inprocess.log"
        server.start()
        stack.callback(server.stop)
        local = Jobs(server.url, local_url, "local")
        stack.callback(local.close)
        local.warm_up(warm, args.row_group * 4)
        local_cpu = CpuMeter(local_url)
        stack.callback(local_cpu.close)
        local_cpu.add_tree("server", server.process.pid)
        wl, wl_cpu = local_cpu.around(lambda: local.worlds(args.worlds, args.jobs))
        ll, ll_cpu = local_cpu.around(lambda: local.validate(data, args.rows))
        print("\n== in-process executor (jobforge serve, JOBFORGE_CPU_WORKERS=2) ==")
        print(f"worlds: {wl.rate:.2f} worlds/s ({wl.seconds:.1f} s);", end=" ")
        print(f"location: {ll.rate:.0f} rows/s ({ll.seconds:.1f} s)")
        print("  " + cpu_line(wl_cpu, wl, "world"))
        print("  " + cpu_line(ll_cpu, ll, "1000 rows", 1000))
        print(f"Celery (2 nodes x 1) time / in-process time: worlds {wn2.seconds / wl.seconds:.2f},"
              f" location {ln2.seconds / ll.seconds:.2f} (goal <= 1.10)")  # fmt: skip

        commit = postgres_commit_seconds(local_url)
        capacity = redis_capacity(red.port)
        print("\n== capacities of this machine (for the model in docs/deploy.md) ==")
        print(f"PostgreSQL: {commit * 1000:.2f} ms per one-row UPDATE commit on one connection")
        print(
            "Redis (redis-benchmark, 20 clients): "
            + (", ".join(f"{k} {v:.0f}/s" for k, v in capacity.items()) or "redis-benchmark not installed")
        )
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
