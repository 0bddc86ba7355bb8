"""Jobs of every service for the CLI tests, started through boto3, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
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
