"""Real parts of a distributed jobforge: a Redis server of its own, ``jobforge worker`` processes
(each its own process group, so a kill -9 takes its pieces and jobs processes too), and the nodes
of a cluster started in the right order. Used by tests/distributed and by bench/scale.py (no pytest
here: a missing ``redis-server`` is :class:`RedisMissing`, which the tests turn into a skip)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support import JobforgeServer, free_port


class RedisMissing(RuntimeError):
    """``redis-server`` is not installed and cannot be installed here."""


def redis_server_binary() -> str:
    """``redis-server``, installed with apt-get when missing (as root, as scripts/test-services.sh)."""
    found = shutil.which("redis-server")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=False, env=env)
        found = shutil.which("redis-server")
    if found is None:
        raise RedisMissing(
            "redis-server is missing and cannot be installed here (scripts/test-services.sh does)"
        )
    return found


class RedisServer:
    """``redis-server`` on a free port, in memory only (no snapshots, no append-only file)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Worker:
    """``jobforge worker`` as a user starts it; ``kill()`` is kill -9 of its whole process group."""

    def __init__(self, log_path: Path, *args: str, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.args = list(args)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> Worker:
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        log = self.log_path.open("ab")
        self._offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobforge.cli", "worker", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> Worker:
        """Once both of its Celery workers (pieces and jobs) said they are ready."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jobforge worker exited early:\n{self.log()[-4000:]}")
            text = self.log_path.read_bytes()[self._offset :].decode(errors="replace")
            if f"pieces@{self.name} ready" in text and f"jobs@{self.name} ready" in text:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"jobforge worker never got ready:\n{self.log()[-4000:]}")

    @property
    def name(self) -> str:
        """The host and pid that name this worker's Celery nodes (``pieces@<name>``, ``jobs@<name>``)."""
        assert self.process is not None
        return f"{socket.gethostname()}.{self.process.pid}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def node_env(root: Path, redis_url: str, database_url: str, **settings: str) -> dict[str, str]:
    """The environment every node of one cluster shares (database, broker, data directory
    ``root/data``), plus ``settings`` (``JOBFORGE_*`` names)."""
    return {
        **os.environ,
        "JOBFORGE_DATABASE_URL": database_url,
        "JOBFORGE_BROKER_URL": redis_url,
        "JOBFORGE_DATA_DIR": str(root / "data"),
        "C_FORCE_ROOT": "1",  # CI runs as root; Celery wants to be told that pickles are trusted
        **settings,
    }


@contextmanager
def running_nodes(
    root: Path, env: dict[str, str], apis: int, workers: Sequence[Sequence[str]]
) -> Iterator[tuple[list[JobforgeServer], list[Worker]]]:
    """``apis`` API nodes (``serve --executor celery``) and one ``jobforge worker`` per entry of
    ``workers`` (its arguments), logs under ``root``; the first API node creates the schema before
    the others open it. Stopped (workers first) when the block ends."""
    data = Path(env["JOBFORGE_DATA_DIR"])
    servers = [JobforgeServer(data, "--executor", "celery", env=env) for _ in range(apis)]
    started = [Worker(root / f"worker-{n}.log", *args, env=env) for n, args in enumerate(workers)]
    try:
        for n, api in enumerate(servers):
            api.log_path = root / f"api-{n}.log"
        servers[0].start()
        for worker in started:
            worker.launch()
        for api in servers[1:]:
            api.start()
        for worker in started:
            worker.wait_ready()
        yield servers, started
    finally:
        for worker in started:
            worker.stop()
        for api in servers:
            api.stop()
