"""Shared pieces of the benchmarks: starting servers as child processes and driving load.

Load comes from ``wrk`` when installed (``apt-get install wrk``), else from a small asyncio
keep-alive client; every target in one run is measured the same way, so ratios are fair.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def client(service: str, url: str, **config: Any) -> Any:
    """A boto3 client of ``service`` at ``url``: bench credentials, us-east-1, no retries, ``config``
    as botocore Config options; RoboMaker's from the project's own model."""
    import boto3
    import botocore.session
    from botocore.config import Config

    session = boto3.Session()
    if service == "robomaker":
        from jobforge.model_files import models_data_path

        core = botocore.session.Session()
        core.get_component("data_loader").search_paths.insert(0, str(models_data_path()))
        session = boto3.Session(botocore_session=core)
    return session.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="bench-secret",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` field in kB (``VmHWM``: the peak RSS, ``VmRSS``...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class ChildServer:
    """A server command in a child process, ready once ``ready_url`` answers."""

    def __init__(self, argv: list[str], ready_url: str, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.ready_url = ready_url
        self.env = {**os.environ, **(env or {})}
        self.log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChildServer:
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                httpx.get(self.ready_url, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.argv} did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float

    def __str__(self) -> str:
        return f"{self.rps:9.0f} req/s   p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms"


def run_load(
    url: str, method: str, body: bytes, headers: dict[str, str], seconds: float, connections: int
) -> LoadResult:
    if shutil.which("wrk"):
        return _wrk(url, method, body, headers, seconds, connections)
    return asyncio.run(_python_load(url, method, body, headers, seconds, connections))


def _wrk(
    url: str, method: str, body: bytes, headers: dict[str, str], seconds: float, connections: int
) -> LoadResult:
    lines = [f'wrk.method = "{method}"', f"wrk.body = {_lua_string(body)}"]
    lines += [
        f"wrk.headers[{_lua_string(k.encode())}] = {_lua_string(v.encode())}" for k, v in headers.items()
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers under load:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return LoadResult(rps, _wrk_latency(out, "50%"), _wrk_latency(out, "99%"))


def _wrk_latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _lua_string(raw: bytes) -> str:
    return '"' + "".join(f"\\{byte:03d}" for byte in raw) + '"'


async def _python_load(
    url: str, method: str, body: bytes, headers: dict[str, str], seconds: float, connections: int
) -> LoadResult:
    parsed = httpx.URL(url)
    head = f"{method} {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_headers = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", status_headers).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
        writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return LoadResult(
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


PYTHON = sys.executable
