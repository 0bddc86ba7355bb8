"""Restart recovery of ValidateAddress jobs: when the server died while a job was Cancelling, or
while it was Running with no attempts left, recovery ends the job without running it and the part
files the dead run had published are removed (unless the manifest says the output is complete);
the pieces it had staged in the internal bucket are removed in every case. A job whose dead run
wrote its manifest ends Succeeded with that output, whether attempts are left or not."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from jobforge.engine import Job, JobEngine, JobState
from jobforge.engine.db import jobs as jobs_table
from tests.location.fixtures import input_table, parquet_bytes
from tests.location.helpers import files_under, make_bucket, put_local, start, wait_job
from tests.support import JobforgeServer, client

PARTS = ["part-00000.parquet", "part-00001.parquet"]


def _job(engine: JobEngine, job_id: str) -> Job:
    with engine.db.read() as conn:
        row = conn.execute(select(jobs_table).where(jobs_table.c.job_id == job_id)).one()
    return Job.from_row(row)


def test_recovery_removes_published_parts_of_the_jobs_it_ends(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = JobforgeServer(data, "--pace", "step").start()
    try:
        table = input_table([{"Id": "1", "AddressLines_1": "120 Quillfeather Ave, Seattle, WA 98101"}])
        put_local(server, "loc-rec-in", "in/a.parquet", parquet_bytes(table))
        make_bucket(server, "loc-rec-out")
        location = client("location", server.url)
        names = ("cancelling", "exhausted", "finished", "resumed", "exhausted-done", "resumed-done")
        ids = {
            name: start(location, "s3://loc-rec-in/in/", "s3://loc-rec-out/out/")["JobId"] for name in names
        }
        for name in names[:4]:  # the executor's slots: the last two jobs stay Pending
            server.control("advance", jobId=ids[name], steps=1)  # claimed, then held before any work
            wait_job(location, ids[name], until=("Running",))
        workers = server.descendants()
        assert workers  # the worker pool (and its fork server)
        server.kill()  # SIGKILL: no handler gets to clean up
    finally:
        server.stop()
    deadline = time.monotonic() + 10  # workers exit within ~1 s; init may reap them later
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], (
        "worker processes outlived the server"
    )

    # What the dead runs left: published parts, no manifest (but one job got as far as its manifest),
    # and the job states a crash at that moment leaves behind.
    engine = JobEngine(f"sqlite:///{data.resolve() / 'jobforge.db'}")
    try:
        engine.jobs.request_cancel(_job(engine, ids["cancelling"]))
        engine.jobs.request_cancel(_job(engine, ids["finished"]))
        for name in ("resumed-done", "exhausted-done"):  # a dead worker had claimed them too
            assert engine.jobs.claim(_job(engine, ids[name]).pk, "dead-worker", 30) is not None
        for name in ("exhausted", "exhausted-done"):
            exhausted = _job(engine, ids[name])
            for _ in range(2):  # attempts 2 and 3 died too
                engine.jobs.transition(exhausted, JobState.PENDING)
                exhausted = engine.jobs.claim(exhausted.pk, "dead-worker", 30)
                assert exhausted is not None
            assert exhausted.attempt == 3
    finally:
        engine.db.dispose()
    out = data / "buckets" / "loc-rec-out"
    for job_id in ids.values():
        for part in PARTS:
            (out / "out" / job_id).mkdir(parents=True, exist_ok=True)
            (out / "out" / job_id / part).write_bytes(parquet_bytes(table))
        (out / "out" / job_id / "notes" / "part-00009.parquet").parent.mkdir()
        (out / "out" / job_id / "notes" / "part-00009.parquet").write_bytes(b"not ours")
    (out / "out" / ids["finished"] / "manifest.json").write_text("{}")
    manifest = json.dumps({"files": [{"key": part} for part in PARTS]})
    for name in ("exhausted-done", "resumed-done"):  # the dead run got as far as its manifest
        (out / "out" / ids[name] / "manifest.json").write_text(manifest)
    staging = data / "buckets" / "jobforge-location" / "pieces"
    for job_id in ids.values():  # pieces of a split file the dead runs had staged
        for piece in ("00000/00000.parquet", "00000/00001.parquet"):
            (staging / job_id / piece).parent.mkdir(parents=True, exist_ok=True)
            (staging / job_id / piece).write_bytes(parquet_bytes(table))
    (staging / "another-job" / "00000" / "00000.parquet").parent.mkdir(parents=True)
    (staging / "another-job" / "00000" / "00000.parquet").write_bytes(b"a live job's")

    restarted = JobforgeServer(data).start()  # recovery (and its cleanup) runs before it serves
    try:
        location = client("location", restarted.url)
        cancelled = location.get_job(JobId=ids["cancelling"])
        assert cancelled["Status"] == "Cancelled"
        assert files_under(out / "out" / ids["cancelling"]) == ["notes/part-00009.parquet"]
        failed = location.get_job(JobId=ids["exhausted"])
        assert (failed["Status"], failed["Error"]["Code"]) == ("Failed", "InternalServerError")
        assert files_under(out / "out" / ids["exhausted"]) == ["notes/part-00009.parquet"]
        # a manifest means the output is complete: nothing is deleted
        assert location.get_job(JobId=ids["finished"])["Status"] == "Cancelled"
        assert files_under(out / "out" / ids["finished"]) == sorted(
            ["manifest.json", "notes/part-00009.parquet", *PARTS]
        )
        # a job with attempts left runs again: its one input rewrites part 0, the stale part 1 goes
        resumed = wait_job(location, ids["resumed"])
        assert resumed["Status"] == "Completed", resumed.get("Error")
        assert files_under(out / "out" / ids["resumed"]) == sorted(
            ["manifest.json", "notes/part-00009.parquet", PARTS[0]]
        )
        # a manifest written by the dead run: the job succeeded with that output, untouched
        for name in ("exhausted-done", "resumed-done"):
            done = wait_job(location, ids[name])
            assert done["Status"] == "Completed", (name, done.get("Error"))
            assert files_under(out / "out" / ids[name]) == sorted(
                ["manifest.json", "notes/part-00009.parquet", *PARTS]
            )
            assert (out / "out" / ids[name] / PARTS[1]).read_bytes() == parquet_bytes(table)
        # no job's staged pieces are left (the resumed one removed its own when it ended)
        assert files_under(staging) == ["another-job/00000/00000.parquet"]
    finally:
        restarted.stop()
