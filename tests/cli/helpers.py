"""Jobs of every service for the CLI tests, started through boto3, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.location.fixtures import cases_table, parquet_bytes
from tests.location.helpers import make_bucket, put_local, start
from tests.support import REPO, JobforgeServer, client

TEMPLATE = {
    "Version": "2",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Rooms": [
                            {
                                "Type": "Bedroom",
                                "Name": "Bedroom",
                                "DesiredShape": {"Area": 20, "AspectRatio": {"x": 1, "y": 1.2}},
                            },
                            {
                                "Type": "Living",
                                "Name": "Living room",
                                "DesiredShape": {"Area": 30, "AspectRatio": {"x": 1, "y": 1.5}},
                            },
                        ]
                    },
                    "Interior": {},
                }
            ]
        }
    ],
}
CLI_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


def jobforge(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``jobforge ARGS`` in a child process (stdout a pipe: plain output), this worktree's code."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    full_env = {**os.environ, **CLI_ENV, "PYTHONPATH": pythonpath, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "jobforge.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def progress(server: JobforgeServer, ref: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}/_jobforge/jobs/{ref}", headers=headers, timeout=10)


def wait_terminal(server: JobforgeServer, ref: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        doc = progress(server, ref).json()
        if doc["terminal"]:
            return doc
        assert time.monotonic() < deadline, f"{ref} still {doc['status']}"
        time.sleep(0.2)


def generation_job(server: JobforgeServer, floorplans: int = 1, interiors: int = 2, **keys: str) -> str:
    """A world generation job's ARN (a new template of its own)."""
    robomaker = client("robomaker", server.url, **keys)
    template = robomaker.create_world_template(
        name=f"t-{uuid.uuid4().hex[:8]}", templateBody=json.dumps(TEMPLATE)
    )
    job = robomaker.create_world_generation_job(
        template=template["arn"],
        worldCount={"floorplanCount": floorplans, "interiorCountPerFloorplan": interiors},
    )
    return str(job["arn"])


def location_job(server: JobforgeServer, *, input_bucket: str | None = None) -> tuple[str, str]:
    """(job id, output bucket) of a ValidateAddress job on the crafted cases; ``input_bucket``
    another bucket to read from (a missing one: the job fails)."""
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    make_bucket(server, bucket)
    put_local(server, bucket, "in/cases.parquet", parquet_bytes(cases_table()))
    source = f"s3://{input_bucket or bucket}/in/"
    job = start(client("location", server.url), source, f"s3://{bucket}/out/")
    return str(job["JobId"]), bucket


def cases_file(directory: Path) -> Path:
    path = directory / "cases.parquet"
    path.write_bytes(parquet_bytes(cases_table()))
    return path


class CountingProxy:
    """An HTTP proxy in front of ``target`` that notes when each request arrived (GETs only: what the
    CLI's progress requests are), to count what a watcher asks."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[tuple[float, str]] = []  # (monotonic time, path)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.seen.append((time.monotonic(), self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.get(proxy.target + self.path, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for name in ("content-type", "x-amzn-errortype"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> CountingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def import_job(server: JobforgeServer, bucket: str, keys: list[str]) -> tuple[Any, dict[str, Any]]:
    """(the Data Exchange client, a WAITING IMPORT_ASSETS_FROM_S3 job of ``keys`` of ``bucket``
    into a new data set's revision)."""
    dx = client("dataexchange", server.url)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="cli", Description="d")["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]
    sources = [{"Bucket": bucket, "Key": key} for key in keys]
    details = {"ImportAssetsFromS3": {"DataSetId": data_set, "RevisionId": revision, "AssetSources": sources}}
    return dx, dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
