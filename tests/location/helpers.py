"""Calls the ValidateAddress tests share: start a job, wait for it, read its output."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.location.fixtures import cases_table, parquet_bytes
from tests.support import JobforgeServer, client, eventually

ROLE = "arn:aws:iam::000000000000:role/LocationServiceJobExecutionRole"
TERMINAL = ("Completed", "Failed", "Cancelled")


def put_local(server: JobforgeServer, bucket: str, key: str, data: bytes) -> None:
    """Drop a file into a local bucket (``<data-dir>/buckets/<bucket>/<key>``, the public layout)."""
    path = server.data_dir / "buckets" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_bucket(server: JobforgeServer, bucket: str) -> Path:
    path = server.data_dir / "buckets" / bucket
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(location: Any, source: str, output: str, role: str = ROLE, **extra: Any) -> dict[str, Any]:
    return location.start_job(
        Action="ValidateAddress",
        ExecutionRoleArn=role,
        InputOptions={"Location": source, "Format": "Parquet"},
        OutputOptions={"Location": output, "Format": "Parquet"},
        **extra,
    )


def wait_job(location: Any, job_id: str, timeout: float = 90, until: tuple[str, ...] = TERMINAL) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = location.get_job(JobId=job_id)
        if job["Status"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['Status']} after {timeout}s")
        time.sleep(0.2)


def local_output(server: JobforgeServer, bucket: str, prefix: str, job_id: str) -> tuple[dict, list[dict]]:
    """The manifest and every output row of a job that wrote to a local bucket."""
    folder = server.data_dir / "buckets" / bucket / prefix / job_id
    manifest = json.loads((folder / "manifest.json").read_text())
    rows: list[dict] = []
    for entry in manifest["files"]:
        key = entry["output"].split("/", 3)[3]
        rows.extend(pq.read_table(server.data_dir / "buckets" / bucket / key).to_pylist())
    return manifest, rows


def s3_output(s3: Any, bucket: str, prefix: str, job_id: str) -> tuple[dict, list[dict], list[str]]:
    """Manifest, rows and the schema's column names of a job that wrote to S3."""
    folder = f"{prefix}{job_id}/"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=folder + "manifest.json")["Body"].read())
    rows: list[dict] = []
    names: list[str] = []
    for entry in manifest["files"]:
        key = entry["output"].split("/", 3)[3]
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        names = table.schema.names
        rows.extend(table.to_pylist())
    return manifest, rows, names


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def whole_file_part(data: bytes, job_id: str, reference: Path, work: Path) -> tuple[bytes, int]:
    """(part file, rows) that validating ``data`` whole in this process gives for the first input
    file of job ``job_id`` (the same row ids): what a split file's merged part must equal."""
    from jobforge.services.location.file_worker import FileTask, transform_file
    from jobforge.services.location.pieces import row_id_seed
    from jobforge.services.location.stop import StopSignal
    from jobforge.storage import LocalObjectStore, StoreSpec

    local = LocalObjectStore(work)
    for bucket in ("whole-in", "whole-out"):
        local.create_bucket(bucket)
    local.put_bytes("whole-in", "a.parquet", data)
    task = FileTask(
        StoreSpec(str(work)),
        str(reference),
        ("Position",),
        ("whole-in", "a.parquet"),
        ("whole-out", "a.parquet"),
        StopSignal(StoreSpec(str(work)), "whole-in", "never"),
        id_seed=row_id_seed(job_id, 0),
    )
    rows = transform_file(task)["rows"]
    return local.get_bytes("whole-out", "a.parquet"), rows


def start_past_first_file(
    server: JobforgeServer, source: str, output: str, prefix: str
) -> tuple[Any, str, Path]:
    """On a stepping server: a job over more input files (in bucket ``source``) than worker
    processes, advanced until its first part is published under ``output``/``prefix``:
    (location client, job id, the output bucket's folder)."""
    for n in range((os.cpu_count() or 1) + 2):
        put_local(server, source, f"many/{n:03d}.parquet", parquet_bytes(cases_table()))
    out = make_bucket(server, output)
    location = client("location", server.url)
    job_id = start(location, f"s3://{source}/many/", f"s3://{output}/{prefix}")["JobId"]
    server.control("advance", jobId=job_id, steps=2)  # start, then run the first files
    assert eventually(lambda: "part-00000.parquet" in files_under(out / prefix / job_id), 60)
    return location, job_id, out
