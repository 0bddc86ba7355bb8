"""What jobs write is listed and downloaded through the S3 API: a world export into a bucket the
same account created with CreateBucket, with only client calls."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

from tests.robomaker.samples import sample_body
from tests.support import JobforgeServer, client

ACCOUNT = "100000000013"  # this module's own account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/export"


def wait(describe: Any, arn: str, done: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while (job := describe(job=arn))["status"] not in done:
        assert time.monotonic() < deadline, job["status"]
        time.sleep(0.3)
    return job


def test_world_export_listed_and_downloaded(server: JobforgeServer) -> None:
    s3 = client("s3", server.url, access_key=ACCOUNT)
    robomaker = client("robomaker", server.url, access_key=ACCOUNT)
    s3.create_bucket(Bucket="s3-export-target")
    template = robomaker.create_world_template(templateBody=sample_body("TwoRooms"))["arn"]
    generation = robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )["arn"]
    generated = wait(
        robomaker.describe_world_generation_job, generation, ("Completed", "Failed", "PartialFailed")
    )
    assert generated["status"] == "Completed", generated
    worlds = generated["finishedWorldsSummary"]["succeededWorlds"]
    export = robomaker.create_world_export_job(
        worlds=worlds,
        outputLocation={"s3Bucket": "s3-export-target", "s3Prefix": "exports"},
        iamRole=ROLE,
    )["arn"]
    job = wait(robomaker.describe_world_export_job, export, ("Completed", "Failed", "Canceled"))
    assert job["status"] == "Completed", job.get("failureReason")
    listed = s3.list_objects_v2(Bucket="s3-export-target", Prefix="exports/", Delimiter="/")
    keys = [item["Key"] for item in listed["Contents"]]
    assert keys == [f"exports/aws-robomaker-worldforge-export-{export.rsplit('/export-', 1)[1]}.zip"]
    body = s3.get_object(Bucket="s3-export-target", Key=keys[0])["Body"].read()
    assert len(body) == listed["Contents"][0]["Size"]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        assert any(name.endswith(".world") for name in archive.namelist())
    # another account neither sees nor reads the output
    other = client("s3", server.url, access_key="100000000014")
    assert "s3-export-target" not in [b["Name"] for b in other.list_buckets()["Buckets"]]
