"""Operator settings: a reference index at a path of one's choosing (JOBFORGE_LOCATION_REFERENCE,
``jobforge location import --reference``) and quotas from JOBFORGE_LOCATION_LIMITS."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.location.fixtures import input_table, parquet_bytes, write_reference
from tests.location.helpers import local_output, make_bucket, put_local, start, wait_job
from tests.support import JobforgeServer, client


def test_reference_path_and_limits(tmp_path: Path) -> None:
    index = tmp_path / "elsewhere" / "addresses.sqlite"
    us, _ = write_reference(tmp_path / "reference")
    done = subprocess.run(
        [sys.executable, "-m", "jobforge.cli", "location", "import", str(us), "--reference", str(index)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and index.exists(), done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "jobforge.cli", "location", "import", str(us), "--country", "FR",
         "--reference", str(tmp_path / "fr.sqlite")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and "country must be one of" in bad.stderr
    limits = {"StartJob requests per second": 1, "Concurrent jobs": 1}
    server = JobforgeServer(
        tmp_path / "data",
        "--pace",
        "step",
        env={"JOBFORGE_LOCATION_REFERENCE": str(index), "JOBFORGE_LOCATION_LIMITS": json.dumps(limits)},
    ).start()
    try:
        table = input_table([{"Id": "1", "AddressLines_1": "120 Quillfeather Ave, Seattle, WA 98101"}])
        put_local(server, "loc-set-in", "in/a.parquet", parquet_bytes(table))
        make_bucket(server, "loc-set-out")
        location = boto3.client(
            "location",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIDLIMITS",
            aws_secret_access_key="secret",
            config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),  # no retries
        )
        first = start(location, "s3://loc-set-in/in/", "s3://loc-set-out/out/")
        with pytest.raises(ClientError) as info:  # a second StartJob within the same second
            start(location, "s3://loc-set-in/in/", "s3://loc-set-out/out/")
        assert info.value.response["Error"]["Code"] == "ThrottlingException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        time.sleep(1.1)
        with pytest.raises(ClientError) as info:  # one job is still Pending
            start(location, "s3://loc-set-in/in/", "s3://loc-set-out/out/")
        assert info.value.response["Error"]["Code"] == "ThrottlingException"
        assert "concurrent" in info.value.response["Error"]["Message"]
        server.control("pace", pace="instant")
        server.control("advance", jobId=first["JobId"], steps=1)
        assert wait_job(location, first["JobId"])["Status"] == "Completed"
        _, rows = local_output(server, "loc-set-out", "out", first["JobId"])
        assert rows[0]["Output_ValidationResults_ValidationGranularity"] == "Premise"  # the custom index
        time.sleep(1.1)
        assert start(location, "s3://loc-set-in/in/", "s3://loc-set-out/out/")["Status"] == "Pending"
    finally:
        server.stop()


def test_job_running_when_the_server_dies_is_resumed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = JobforgeServer(data, "--pace", "step").start()
    try:
        table = input_table([{"Id": "1", "AddressLines_1": "1 Main St, Seattle, WA 98101"}])
        put_local(server, "loc-crash-in", "in/a.parquet", parquet_bytes(table))
        make_bucket(server, "loc-crash-out")
        location = client("location", server.url)
        job_id = start(location, "s3://loc-crash-in/in/", "s3://loc-crash-out/out/")["JobId"]
        server.control("advance", jobId=job_id, steps=1)
        wait_job(location, job_id, until=("Running",))
        server.kill()  # SIGKILL while Running
    finally:
        server.stop()
    restarted = JobforgeServer(data).start()
    try:
        location = client("location", restarted.url)
        job = wait_job(location, job_id)
        assert job["Status"] == "Completed", job.get("Error")
        manifest, rows = local_output(restarted, "loc-crash-out", "out", job_id)
        assert manifest["rows"] == len(rows) == 1
    finally:
        restarted.stop()


def test_documented_quota_names_are_the_ones_the_server_takes() -> None:
    """Every quota name docs/location.md gives in ``JOBFORGE_LOCATION_LIMITS`` is a key it accepts."""
    from jobforge.services.location.limits import DEFAULT_LIMITS, LocationLimits

    docs = (Path(__file__).resolve().parents[2] / "docs" / "location.md").read_text()
    quotas = docs[docs.index("**Quotas**") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([^`]+)`", " ".join(quotas.split())))
    named -= {"JOBFORGE_LOCATION_LIMITS", '{"Concurrent jobs": 4}', "ThrottlingException"}
    assert named == set(DEFAULT_LIMITS)
    LocationLimits.parse(json.dumps(dict.fromkeys(named, 1)))  # refused names raise ValueError
