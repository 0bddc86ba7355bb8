"""The ``jobforge`` CLI as a user runs it (a child process, stdout a pipe: plain output) against a
real server with real jobs: jobs list / watch / cancel, worlds generate, location validate."""

from __future__ import annotations

import copy
import itertools
import json
import os
import pty
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import STEP_DELAY
from tests.cli.helpers import (
    TEMPLATE,
    CountingProxy,
    cases_file,
    generation_job,
    import_job,
    jobforge,
    location_job,
    progress,
    wait_terminal,
)
from tests.location.helpers import local_output
from tests.support import REPO, JobforgeServer, client, eventually


@pytest.fixture
def held(server: JobforgeServer) -> Iterator[JobforgeServer]:
    """The server in ``step`` pace: a job waits in Pending until advanced."""
    server.control("pace", pace="step")
    yield server
    server.control("pace", pace="realistic", stepDelay=STEP_DELAY)


def test_jobs_list_filters_by_service_and_status(server: JobforgeServer) -> None:
    located, _ = location_job(server)
    generated = generation_job(server, 1, 1)
    wait_terminal(server, located)
    wait_terminal(server, generated)

    table = jobforge("jobs", "list", "--service", "location", "--endpoint-url", server.url)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "SERVICE", "TYPE", "STATUS", "PROGRESS", "CREATED"]
    assert rows and all(row.split()[1] == "location" for row in rows)
    assert any(row.split()[0] == located and "Completed" in row for row in rows)

    listed = jobforge(
        "jobs",
        "list",
        "--service",
        "robomaker",
        "--status",
        "Completed",
        "--json",
        "--endpoint-url",
        server.url,
    )
    docs = json.loads(listed.stdout)
    assert generated in [doc["arn"] for doc in docs]
    assert {(doc["service"], doc["status"]) for doc in docs} == {("robomaker", "Completed")}
    limited = jobforge("jobs", "list", "--limit", "1", "--json", "--endpoint-url", server.url)
    assert len(json.loads(limited.stdout)) == 1

    refused = jobforge("jobs", "list", "--service", "s4", "--endpoint-url", server.url)
    assert refused.returncode == 1 and "unknown service 's4'" in refused.stderr


def test_watch_follows_a_job_to_its_end_asking_at_most_once_a_second(held: JobforgeServer) -> None:
    server = held
    arn = generation_job(server, 1, 3)

    def release() -> None:  # the job's steps, one every 0.7 s once the watcher has looked
        time.sleep(2.5)
        for _ in range(8):
            server.control("advance", jobId=arn.rsplit("/", 1)[1], steps=1)
            time.sleep(0.7)

    releaser = threading.Thread(target=release)
    with CountingProxy(server.url) as proxy:
        releaser.start()
        watched = jobforge("jobs", "watch", arn, "--endpoint-url", proxy.url)
        releaser.join()
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[0].split()[1:4] == [arn, "Pending", "0/3"]
    assert lines[-1].split()[1:5] == [arn, "Completed", "3/3", "worlds"]
    assert len(lines) == len({line.split(" ", 1)[1] for line in lines})  # one line per change
    asked = [moment for moment, path in proxy.seen if path.startswith("/_jobforge/jobs/")]
    assert len(asked) == len(proxy.seen) >= 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(asked)]
    assert min(gaps) >= 0.99, gaps  # at most one request per second
    assert len(asked) <= (asked[-1] - asked[0]) + 1


def test_watch_of_a_failed_job_exits_non_zero_with_the_reason(server: JobforgeServer) -> None:
    job_id, _ = location_job(server, input_bucket=f"missing-{uuid.uuid4().hex[:8]}")
    watched = jobforge("jobs", "watch", job_id, "--endpoint-url", server.url)
    assert watched.returncode == 1
    assert watched.stdout.splitlines()[-1].split()[2] == "Failed"
    assert "ValidationError" in watched.stderr and "does not exist" in watched.stderr


def test_watch_of_an_unknown_job_fails(server: JobforgeServer) -> None:
    watched = jobforge("jobs", "watch", "no-such-job", "--endpoint-url", server.url)
    assert watched.returncode == 1 and "no job no-such-job" in watched.stderr


def test_cancel_goes_through_each_services_own_api(held: JobforgeServer) -> None:
    server = held
    arn = generation_job(server, 2, 3)
    server.control("advance", jobId=arn.rsplit("/", 1)[1], steps=1)  # claimed, held before its first world
    assert eventually(lambda: progress(server, arn).json()["status"] == "Running")
    canceled = jobforge("jobs", "cancel", arn, "--endpoint-url", server.url)
    assert canceled.returncode == 0, canceled.stderr
    assert canceled.stdout.split()[0] == "CancelWorldGenerationJob"
    assert canceled.stdout.split()[-1] in ("Canceling", "Canceled")
    watched = jobforge("jobs", "watch", arn, "--endpoint-url", server.url)
    assert watched.returncode == 3 and "Canceled" in watched.stderr
    robomaker = client("robomaker", server.url)
    assert robomaker.describe_world_generation_job(job=arn)["status"] == "Canceled"

    job_id, _ = location_job(server)  # Pending
    canceled = jobforge("jobs", "cancel", job_id, "--endpoint-url", server.url)
    assert canceled.returncode == 0 and canceled.stdout.split() == ["CancelJob", job_id + ":", "Cancelled"]
    assert client("location", server.url).get_job(JobId=job_id)["Status"] == "Cancelled"

    dx, job = import_job(server, "anywhere", ["a.csv"])  # WAITING
    canceled = jobforge("jobs", "cancel", job["Arn"], "--endpoint-url", server.url)
    assert canceled.returncode == 0 and canceled.stdout.split()[-1] == "CANCELLED"
    assert dx.get_job(JobId=job["Id"])["State"] == "CANCELLED"
    again = jobforge("jobs", "cancel", job["Id"], "--endpoint-url", server.url)
    assert again.returncode == 0 and "already ended: CANCELLED" in again.stdout


def test_worlds_generate_exports_the_worlds_to_the_bucket(server: JobforgeServer, tmp_path: Path) -> None:
    body = copy.deepcopy(TEMPLATE)  # a body of this test's own: no other test's template has it
    body["Buildings"][0]["Floors"][0]["Floorplan"]["Rooms"][0]["Name"] = f"Bedroom {uuid.uuid4().hex[:6]}"
    template = tmp_path / "flat.json"
    template.write_text(json.dumps(body, indent=2))
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    (server.data_dir / "buckets" / bucket).mkdir(parents=True)
    made = jobforge(
        "worlds", "generate", str(template), "--count", "1x2", "--export", f"s3://{bucket}/flat", "--wait",
        "--formats", "mjcf", "--endpoint-url", server.url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = made.stdout
    assert "created template" in out and "Completed 2/2 worlds" in out
    exported = out.splitlines()[-1]
    assert exported.startswith(f"exported s3://{bucket}/flat/aws-robomaker-worldforge-export-")
    archive = server.data_dir / "buckets" / exported.removeprefix("exported s3://")
    with zipfile.ZipFile(archive) as package:
        assert sum(name.endswith(".world") for name in package.namelist()) == 2
        assert sum("/mjcf/" in name for name in package.namelist()) == 2  # --formats mjcf

    # the same body (formatted otherwise) reuses the template; without --wait nothing is waited for
    template.write_text(json.dumps(body))
    again = jobforge("worlds", "generate", str(template), "--count", "1x1", "--endpoint-url", server.url)
    assert again.returncode == 0, again.stderr
    reused = again.stdout.splitlines()[0]
    assert reused == out.splitlines()[0].replace("created", "reusing")
    assert again.stdout.splitlines()[1].startswith("started world generation job")
    assert len(again.stdout.splitlines()) == 2

    bad = jobforge("worlds", "generate", str(template), "--count", "2by3", "--endpoint-url", server.url)
    assert bad.returncode == 2 and "FLOORPLANSxINTERIORS" in bad.stderr
    for options, message in (
        (["--formats", "gz,stl"], "Unknown export format"),
        (["--formats", "gz"], "--export"),
    ):
        args = ["--export", f"s3://{bucket}/x"] if "stl" in options[1] else []
        bad = jobforge("worlds", "generate", str(template), *options, *args, "--endpoint-url", server.url)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr


def test_location_validate_writes_what_the_job_writes(server: JobforgeServer, tmp_path: Path) -> None:
    job_id, bucket = location_job(server)
    assert wait_terminal(server, job_id)["status"] == "Completed"
    manifest, job_rows = local_output(server, bucket, "out", job_id)

    output = tmp_path / "validated"
    ran = jobforge(
        "location",
        "validate",
        str(cases_file(tmp_path)),
        "--output",
        str(output),
        "--data-dir",
        str(server.data_dir),
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-2].split()[2:4] == ["Completed", f"{manifest['rows']}/{manifest['rows']}"]
    local = json.loads((output / "manifest.json").read_text())
    assert (local["rows"], local["errorRows"]) == (manifest["rows"], manifest["errorRows"])
    rows = pq.read_table(output / "part-00000.parquet").to_pylist()

    def without_ids(table: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "Output_Id"} for row in table]

    assert without_ids(rows) == without_ids(job_rows) and len(rows) == manifest["rows"]

    missing = jobforge("location", "validate", str(tmp_path / "none.parquet"), "--output", str(output))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    (tmp_path / "not.parquet").write_text("hello")
    broken = jobforge("location", "validate", str(tmp_path / "not.parquet"), "--output", str(tmp_path / "o"))
    assert broken.returncode == 1 and "not.parquet" in broken.stderr


def test_watch_on_a_terminal_draws_a_progress_bar(server: JobforgeServer) -> None:
    arn = generation_job(server, 1, 2)
    leader, follower = pty.openpty()
    pythonpath = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "jobforge.cli", "jobs", "watch", arn, "--endpoint-url", server.url],
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": pythonpath, "COLUMNS": "160", "TERM": "xterm"},
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the watcher is gone
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert process.wait(60) == 0
    text = drawn.decode(errors="replace")
    assert "━" in text and "2/2 worlds" in text and "Completed" in text
