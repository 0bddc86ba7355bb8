"""A user's suite using every fixture of jobforge.pytest_plugin, against one real server. The tests
run in this order and some depend on the one before (what a reset removes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

TEMPLATE = (Path(__file__).parent / "template.json").read_text()  # a one-room WorldForge template
ONE_WORLD = {"floorplanCount": 1, "interiorCountPerFloorplan": 1}


def generation_job(robomaker: Any) -> str:
    template = robomaker.create_world_template(templateBody=TEMPLATE)["arn"]
    return str(robomaker.create_world_generation_job(template=template, worldCount=ONE_WORLD)["arn"])


def status_becomes(robomaker: Any, job: str, wanted: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (described := robomaker.describe_world_generation_job(job=job))["status"] != wanted:
        assert time.monotonic() < deadline, f"{job} still {described['status']}, not {wanted}"
        time.sleep(0.05)
    return described


def test_world_generation_through_every_status(jobforge_client: Any, jobforge_control: Any) -> None:
    robomaker = jobforge_client("robomaker")
    jobforge_control.set_pace("step")
    job = generation_job(robomaker)
    time.sleep(0.5)  # held: no step credit yet
    assert robomaker.describe_world_generation_job(job=job)["status"] == "Pending"
    jobforge_control.advance(job)  # starting is one step
    status_becomes(robomaker, job, "Running")
    time.sleep(0.5)
    assert robomaker.describe_world_generation_job(job=job)["status"] == "Running"
    jobforge_control.advance(job)  # the one world
    done = status_becomes(robomaker, job, "Completed")
    assert done["finishedWorldsSummary"]["finishedCount"] == 1
    by_job = [{"name": "generationJobId", "values": [job.rsplit("/", 1)[-1]]}]
    assert len(robomaker.list_worlds(filters=by_job)["worldSummaries"]) == 1


def test_the_pace_was_restored(jobforge_control: Any) -> None:
    assert jobforge_control.state().pace == "instant"


def test_an_injected_failure_is_seen(jobforge_client: Any, jobforge_control: Any) -> None:
    robomaker = jobforge_client("robomaker")
    jobforge_control.fail("robomaker.world-generation", "InternalServiceError", "forced by the test")
    assert (
        jobforge_control.state().forced_failures["robomaker.world-generation"]["code"]
        == "InternalServiceError"
    )
    failed = status_becomes(robomaker, generation_job(robomaker), "Failed")
    assert (failed["failureCode"], failed["failureReason"]) == ("InternalServiceError", "forced by the test")
    assert jobforge_control.state().forced_failures == {}  # used up: the next job runs
    assert status_becomes(robomaker, generation_job(robomaker), "Completed")


def test_a_data_set_is_made(jobforge_client: Any) -> None:
    dataexchange = jobforge_client("dataexchange")
    dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="kept", Description="until the reset")
    assert [d["Name"] for d in dataexchange.list_data_sets()["DataSets"]] == ["kept"]


def test_the_data_set_is_gone_after_a_reset(jobforge_client: Any, jobforge_reset: Any) -> None:
    assert jobforge_client("dataexchange").list_data_sets()["DataSets"] == []
    # three templates, two worlds and the data set; three generation jobs
    assert (jobforge_reset.rows["resources"], jobforge_reset.rows["jobs"]) == (6, 3)


def test_s3_put_and_get(jobforge_client: Any) -> None:
    s3 = jobforge_client("s3")
    s3.create_bucket(Bucket="plugin-bucket")
    s3.put_object(Bucket="plugin-bucket", Key="a/b.txt", Body=b"hello")
    assert s3.get_object(Bucket="plugin-bucket", Key="a/b.txt")["Body"].read() == b"hello"


def test_the_bucket_is_gone_after_a_reset(jobforge_client: Any, jobforge_reset: Any) -> None:
    assert jobforge_reset.buckets_deleted == ["plugin-bucket"]
    s3 = jobforge_client("s3")
    assert s3.list_buckets()["Buckets"] == []
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket="plugin-bucket")
    assert missing.value.response["Error"]["Code"] == "404"


def test_a_reset_cancels_running_jobs(jobforge_client: Any, jobforge_server: Any) -> None:
    robomaker = jobforge_client("robomaker")
    jobforge_server.control.set_pace("step")
    job = generation_job(robomaker)
    jobforge_server.control.advance(job)
    status_becomes(robomaker, job, "Running")
    report = jobforge_server.reset()
    assert (report.jobs_canceled, report.rows["jobs"], report.state.pace) == (1, 1, "instant")
    with pytest.raises(ClientError) as gone:
        robomaker.describe_world_generation_job(job=job)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_location_client(jobforge_client: Any, jobforge_server: Any) -> None:
    assert jobforge_client("location").list_jobs()["Entries"] == []
    assert (jobforge_server.data_dir / "jobforge.db").is_file()
    assert jobforge_server.endpoint_url.startswith("http://127.0.0.1:")
