"""A real jobforge server for a test suite: ``jobforge serve`` (the command users run) in a child
process on a free port and a data directory of its own; with the Celery executor, one
``jobforge worker`` beside it. Usable without pytest (``with JobforgeServer(path) as server:``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from jobforge.testing.clients import make_client
from jobforge.testing.control import JobforgeControl, ResetReport

ACCOUNT_ID = "000000000000"  # the server's default account: every request's under --auth none
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs: ``auth`` ``none`` or ``sigv4`` (then clients sign with a generated
    key, the control API with a generated admin key), ``executor`` ``local`` or ``celery`` (needs
    ``broker_url``; a ``jobforge worker`` is started too), the ``pace`` it starts with, and more
    ``jobforge serve`` flags. ``JOBFORGE_*`` variables of the environment apply as usual."""

    auth: str = "none"
    executor: str = "local"
    pace: str = "instant"
    broker_url: str | None = None
    serve_args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)


class JobforgeServer:
    """One server (and its worker): ``endpoint_url``, ``data_dir``, ``client()``, ``control``,
    ``reset()``, ``log()``."""

    def __init__(self, root: Path, options: ServerOptions | None = None) -> None:
        self.options = options or ServerOptions()
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.account_id, self.region = ACCOUNT_ID, REGION
        self.access_key, self.secret_key = "AKIDJOBFORGETEST", secrets.token_hex(16)
        self.admin_key = ("AKIDJOBFORGEADMIN", secrets.token_hex(16))
        signed = self.options.auth == "sigv4"
        self.control = JobforgeControl(self.endpoint_url, self.admin_key if signed else None, REGION)
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    # -- clients ---------------------------------------------------------------------------------
    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client of ``service`` (robomaker, dataexchange, location, s3) for this server."""
        return make_client(
            service,
            self.endpoint_url,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            **config,
        )

    def reset(self, timeout: float = 60.0) -> ResetReport:
        """Every job canceled and deleted, every resource and bucket deleted (see the control API)."""
        return self.control.reset(timeout)

    def log(self, name: str = "serve") -> str:
        """What the server (``serve``) or its worker (``worker``) wrote so far."""
        path = self._log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    # -- life cycle ------------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> Self:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.options.env}
        common = ["--data-dir", str(self.data_dir)]
        if self.options.broker_url:
            common += ["--broker-url", self.options.broker_url]
        serve = ["serve", "--port", str(self.port), "--auth", self.options.auth, "--pace", self.options.pace]
        serve += ["--executor", self.options.executor, "--control", "on", *common]
        if self.options.auth == "sigv4":
            serve += ["--credentials-file", str(self._write_credentials())]
        self._launch("serve", [*serve, *self.options.serve_args], env)
        try:
            self._wait_healthy(timeout)
            if self.options.executor == "celery":
                self._launch("worker", ["worker", *common], env)
                self._wait_worker(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for _name, process in reversed(self._processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
        self._processes.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _log_path(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def _launch(self, name: str, args: list[str], env: dict[str, str]) -> None:
        with self._log_path(name).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "jobforge.cli", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: stop() ends its worker processes too
            )
        self._processes.append((name, process))

    def _write_credentials(self) -> Path:
        path = self.root / "credentials.json"
        keys = {
            self.access_key: {"secret": self.secret_key, "account": self.account_id},
            self.admin_key[0]: {"secret": self.admin_key[1], "account": self.account_id, "admin": True},
        }
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
        return path

    def _check_running(self, name: str) -> None:
        for launched, process in self._processes:
            if launched == name and process.poll() is not None:
                raise RuntimeError(
                    f"jobforge {name} exited ({process.returncode}):\n{self.log(name)[-4000:]}"
                )

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_running("serve")
            try:
                if httpx.get(f"{self.endpoint_url}/_jobforge/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"jobforge serve was not healthy within {timeout:g} s:\n{self.log()[-4000:]}")

    def _wait_worker(self, timeout: float) -> None:
        """Until both Celery workers of ``jobforge worker`` (jobs and pieces) say they are ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_running("worker")
            text = self.log("worker")
            if "jobs@" in text and "pieces@" in text and text.count(" ready") >= 2:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"jobforge worker was not ready within {timeout:g} s:\n{self.log('worker')[-4000:]}"
        )
