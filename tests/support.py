"""Test support shared by the suites: a real jobforge server process and SDK clients for it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
from botocore.config import Config

from jobforge.model_files import models_data_path

REPO = Path(__file__).resolve().parents[1]
# AWS's last published RoboMaker model (botocore layout; current botocore no longer ships it). Optional:
# a ``shared/models`` directory beside the repository; the tests that compare with it skip without it.
AWS_MODELS = REPO.parent / "shared" / "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JobforgeServer:
    """``jobforge serve`` in a child process, exactly as a user starts it."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    def start(self, timeout: float = 60, *, expect_status: int = 200) -> JobforgeServer:
        """Start the server; return once health answers ``expect_status`` (503: expected degraded)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jobforge.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jobforge exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/_jobforge/health", timeout=1).status_code == expect_status:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        tail = self.log_path.read_text()[-4000:]
        raise RuntimeError(f"jobforge health never answered {expect_status}:\n{tail}")

    def descendants(self) -> set[int]:
        """Pids of the server's child processes, and theirs (its worker pool), from /proc."""
        assert self.process is not None
        return descendants(self.process.pid)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.url}/_jobforge/health", timeout=10)

    def control(self, action: str, **body: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/_jobforge/control/{action}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()


def descendants(pid: int) -> set[int]:
    """Pids of the child processes of ``pid``, and theirs, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def server_without_scipy(tmp_path: Path) -> JobforgeServer:
    """A server (not started) whose processes cannot import scipy: RoboMaker's worker warm-up
    fails, so its health answers 503 ``degraded`` once it has started."""
    shadow = tmp_path / "shadow" / "scipy"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'scipy' (test shadow)\")\n")
    pythonpath = os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))
    return JobforgeServer(tmp_path / "data", env={"PYTHONPATH": pythonpath})


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url`` (its URL); dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"jobforge_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def node_with_packages(directory: Path, package: str) -> str:
    """The ``node`` executable, once ``directory``'s pinned packages are installed (``npm ci``, when
    ``package`` is missing); the test is skipped without Node.js and npm."""
    import pytest  # only the tests that run node use it (bench scripts import this module too)

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the JavaScript SDK tests need Node.js 18+ and npm)")
    if not (directory / "node_modules" / package).is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"npm is not installed (needed to install {directory.name}'s packages)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=directory, check=True, timeout=600)
    return node


def eventually(check: Callable[[], bool], timeout: float = 30, interval: float = 0.1) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


class StalledStorageProcess:
    """A process of jobforge's storage code stopped in the middle of an upload to ``bucket/key``.

    ``leftover`` is what it has under way: the temp file (local store) or the multipart upload id
    (S3). ``kill()`` is kill -9, as a crash of the server or of one of its workers.
    """

    script = ""  # run with argv: data_dir, S3 endpoint (or ""), bucket, key; prints the leftover

    def __init__(self, data_dir: Path, bucket: str, key: str, s3_endpoint: str | None = None) -> None:
        env = {**os.environ, **(MOTO_CREDENTIALS if s3_endpoint else {})}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
        args = [str(data_dir), s3_endpoint or "", bucket, key]
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.script, *args], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            self.process.wait(10)
            raise RuntimeError(f"{type(self).__name__}: the process failed before its upload began")
        self.leftover = line

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


class HalfWrittenObject(StalledStorageProcess):
    """A store writer stopped after its first part (on S3, a multipart upload is under way)."""

    script = """
import sys, time
from jobforge.storage import make_object_store
data_dir, endpoint, bucket, key = sys.argv[1:5]
options = {"part_size": 5 * 1024 * 1024} if endpoint else {}
store = make_object_store(data_dir, endpoint or None, **options)
out = store.writer(bucket, key)
out.write(b"x" * (5 * 1024 * 1024 + 1))  # one full part: on S3 a multipart upload is under way
print(getattr(out, "_upload_id", None) or out._tmp, flush=True)
time.sleep(600)
"""


class HalfCopiedObject(StalledStorageProcess):
    """``store.copy(bucket/src -> bucket/key)`` on S3 stopped in its first part copy (the copy
    threshold lowered to 5 MiB, so a ``src`` over it is copied part by part)."""

    script = """
import sys, threading, time
from jobforge.storage import make_object_store
data_dir, endpoint, bucket, key = sys.argv[1:5]
store = make_object_store(data_dir, endpoint, part_size=5 * 1024 * 1024, copy_threshold=5 * 1024 * 1024)

told = threading.Lock()

def stall(params, **_):
    if told.acquire(blocking=False):  # parts are copied in parallel: say the upload id once
        print(params["UploadId"], flush=True)
    time.sleep(600)

store.client.meta.events.register("before-parameter-build.s3.UploadPartCopy", stall)
store.copy(bucket, "src", bucket, key)
"""


def session_with_models(*search_paths: Path) -> boto3.Session:
    """A boto3 session whose botocore loader also looks in ``search_paths`` (first)."""
    core = botocore.session.Session()
    loader = core.get_component("data_loader")
    for path in reversed(search_paths):
        loader.search_paths.insert(0, str(path))
    return boto3.Session(botocore_session=core)


def client(
    service: str,
    url: str,
    *,
    models: Path | None = None,
    access_key: str = "AKIDJOBFORGETEST",
    secret_key: str = "secret",
    region: str = "us-east-1",
    **config: Any,
) -> Any:
    """A boto3 client for ``service`` at ``url``; RoboMaker uses the project's model by default."""
    if service == "robomaker" and models is None:
        models = models_data_path()
    session = session_with_models(models) if models is not None else boto3.Session()
    if service == "location":
        config.setdefault("inject_host_prefix", False)
    return session.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}, **config),
    )


MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoServer:
    """moto's server in a child process: a real S3 (and STS) protocol peer over HTTP."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}  # e.g. INITIAL_NO_AUTH_ACTION_COUNT to enforce IAM
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto server exited")
            try:  # a bare connect: no request that moto would count against its no-auth budget
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def jobforge_args(self) -> tuple[list[str], dict[str, str]]:
        """Arguments and environment for a jobforge server that stores objects in this moto."""
        return ["--s3-endpoint-url", self.url], dict(MOTO_CREDENTIALS)
