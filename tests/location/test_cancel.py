"""Cancelling ValidateAddress jobs: Pending ends Cancelled at once; Running goes Cancelling then
Cancelled (even while it waits for pace credits), and the part files it had already published are
removed; a worker told to stop mid-file publishes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from jobforge.services.location.file_worker import FileTask, transform_file
from jobforge.services.location.stop import StopSignal
from jobforge.storage import LocalObjectStore, StoreSpec
from tests.location.fixtures import cases_table, parquet_bytes
from tests.location.helpers import (
    files_under,
    make_bucket,
    put_local,
    start,
    start_past_first_file,
    wait_job,
)
from tests.support import JobforgeServer, client


def test_cancel_pending_and_running(stepping: JobforgeServer) -> None:
    server = stepping
    put_local(server, "loc-cancel-in", "one/a.parquet", parquet_bytes(cases_table()))
    out = make_bucket(server, "loc-cancel-out")
    location = client("location", server.url)
    pending = start(location, "s3://loc-cancel-in/one/", "s3://loc-cancel-out/out/")
    assert location.get_job(JobId=pending["JobId"])["Status"] == "Pending"
    assert "EndedAt" not in location.get_job(JobId=pending["JobId"])
    cancelled = location.cancel_job(JobId=pending["JobId"])
    assert cancelled == {**cancelled, "JobId": pending["JobId"], "Status": "Cancelled"}
    job = location.get_job(JobId=pending["JobId"])
    assert job["Status"] == "Cancelled" and "EndedAt" in job and "Error" not in job

    running = start(location, "s3://loc-cancel-in/one/", "s3://loc-cancel-out/out/")
    server.control("advance", jobId=running["JobId"], steps=1)  # claimed; waits before any work
    job = wait_job(location, running["JobId"], until=("Running",))
    assert "EndedAt" not in job and "Error" not in job
    answer = location.cancel_job(JobId=running["JobId"])
    assert (answer["Status"], answer["JobArn"]) == ("Cancelling", running["JobArn"])
    # a cancelled job does not wait for pace credits: it ends as soon as it notices
    assert location.get_job(JobId=running["JobId"])["Status"] in ("Cancelling", "Cancelled")
    assert location.cancel_job(JobId=running["JobId"])["Status"] in ("Cancelling", "Cancelled")
    job = wait_job(location, running["JobId"])
    assert job["Status"] == "Cancelled" and job["EndedAt"] >= job["CreatedAt"] and "Error" not in job
    cancelled_ids = [e["JobId"] for e in location.list_jobs(Filter={"JobStatus": "Cancelled"})["Entries"]]
    assert {pending["JobId"], running["JobId"]} <= set(cancelled_ids)
    assert location.cancel_job(JobId=running["JobId"])["Status"] == "Cancelled"  # ended: unchanged
    assert files_under(out) == []


def test_cancel_after_some_files_removes_published_parts(stepping: JobforgeServer) -> None:
    server = stepping
    location, job_id, out = start_past_first_file(server, "loc-cancel-in", "loc-cancel-out", "parts/")
    folder = out / "parts" / job_id
    assert "manifest.json" not in files_under(folder)  # not complete: no manifest
    assert location.cancel_job(JobId=job_id)["Status"] == "Cancelling"
    assert wait_job(location, job_id)["Status"] == "Cancelled"
    assert files_under(folder) == []


def test_worker_told_to_stop_publishes_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("in-bucket")
    store.create_bucket("out-bucket")
    store.put_bytes("in-bucket", "a.parquet", parquet_bytes(cases_table()))
    flag = StopSignal(StoreSpec(str(tmp_path)), "signals", "stop")
    source, target = ("in-bucket", "a.parquet"), ("out-bucket", "o.parquet")
    task = FileTask(StoreSpec(str(tmp_path)), None, ("Position",), source, target, flag)
    flag.send()  # by another process, here another store object: what a node that shares the store sees
    assert transform_file(task)["cancelled"] is True
    assert list(store.list_objects("out-bucket")) == []
    store.delete("signals", "stop")
    done = transform_file(task)
    assert (done["cancelled"], done["rows"]) == (False, cases_table().num_rows)
    assert [info.key for info in store.list_objects("out-bucket")] == ["o.parquet"]
    store.put_bytes("in-bucket", "b.parquet", b"this is not parquet")
    broken = FileTask(task.store, None, (), ("in-bucket", "b.parquet"), ("out-bucket", "p.parquet"), flag)
    error = transform_file(broken)["error"]
    assert error["code"] == "ValidationError" and "s3://in-bucket/b.parquet" in error["message"]
    assert [info.key for info in store.list_objects("out-bucket")] == ["o.parquet"]


def test_cancel_mid_file_while_the_api_stays_responsive(server: JobforgeServer) -> None:
    """A big file validates on a worker process; GetJob answers quickly meanwhile, and a cancel
    stops the worker at its next batch without publishing the half-written file."""
    rows = 300_000
    numbers = pa.array([str(n) for n in range(1, rows + 1)])
    table = pa.table(
        {
            "Id": numbers,
            "AddressLines_1": pc.binary_join_element_wise(numbers, pa.scalar(" Quillfeather Ave"), ""),
            "AddressComponents_Locality": pa.array(["Seattle"] * rows),
            "AddressComponents_Region": pa.array(["WA"] * rows),
            "AddressComponents_PostalCode": pa.array(["98101"] * rows),
            "AddressComponents_Country": pa.array(["US"] * rows),
        }
    )
    put_local(server, "loc-cancel-in", "big/a.parquet", parquet_bytes(table, row_group_size=50_000))
    out = make_bucket(server, "loc-cancel-out")
    location = client("location", server.url)
    job_id = start(location, "s3://loc-cancel-in/big/a.parquet", "s3://loc-cancel-out/big/")["JobId"]
    wait_job(location, job_id, until=("Running",))
    time.sleep(1.0)  # the worker is inside the file now
    slowest = 0.0
    for _ in range(5):
        began = time.monotonic()
        assert location.get_job(JobId=job_id)["Status"] == "Running"
        slowest = max(slowest, time.monotonic() - began)
    assert slowest < 0.5, slowest
    assert location.cancel_job(JobId=job_id)["Status"] == "Cancelling"
    job = wait_job(location, job_id, timeout=60)
    assert job["Status"] == "Cancelled"
    assert files_under(out / "big" / job_id) == []
