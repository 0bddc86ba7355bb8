"""ValidateAddress jobs on an S3 endpoint (moto's S3 server): input listed and read from S3,
output written there as multipart-capable atomic uploads, failures reported the same way."""

from __future__ import annotations

import pytest

from jobforge.services.location.roles import assume_role
from jobforge.storage import StoreSpec
from tests.location.fixtures import CASES, cases_table, parquet_bytes
from tests.location.helpers import s3_output, start, wait_job
from tests.support import MOTO_CREDENTIALS, JobforgeServer, MotoServer, client

G = "Output_ValidationResults_"


def test_validate_on_s3(s3_server: JobforgeServer, moto: MotoServer) -> None:
    s3 = moto.s3()
    for bucket in ("loc-s3-in", "loc-s3-out"):
        s3.create_bucket(Bucket=bucket)
    table = cases_table()
    s3.put_object(Bucket="loc-s3-in", Key="batch/first.parquet", Body=parquet_bytes(table.slice(0, 5)))
    s3.put_object(Bucket="loc-s3-in", Key="batch/second.parquet", Body=parquet_bytes(table.slice(5)))
    s3.put_object(Bucket="loc-s3-in", Key="batch/", Body=b"")  # a console "folder" marker
    location = client("location", s3_server.url)
    started = start(
        location,
        "arn:aws:s3:::loc-s3-in/batch/",
        "s3://loc-s3-out/results/",
        "arn:aws:iam::123456789012:role/EndpointRole",  # the endpoint's account, not the caller's
        ActionOptions={"ValidateAddress": {"AdditionalFeatures": ["Position"]}},
    )
    job = wait_job(location, started["JobId"])
    assert job["Status"] == "Completed", job.get("Error")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="loc-s3-out")["Contents"])
    folder = f"results/{started['JobId']}/"
    assert keys == [folder + "manifest.json", folder + "part-00000.parquet", folder + "part-00001.parquet"]
    manifest, rows, names = s3_output(s3, "loc-s3-out", "results/", started["JobId"])
    assert manifest["rows"] == len(rows) == len(CASES)
    assert (
        "Output_Position_Longitude" in names
        and "Output_CountrySpecificAttributes_USA_Usps_ZipValid" not in names
    )
    by_id = {row["Input_Id"]: row for row in rows}
    assert by_id["exact"][G + "ValidationGranularity"] == "Premise"
    assert (by_id["exact"]["Output_Position_Longitude"], by_id["exact"]["Output_Position_Latitude"]) == (
        -122.3301,
        47.611,
    )
    assert by_id["typo-street"][G + "Components_Address_Street_StatusDetail"] == "Corrected"
    assert by_id["empty"]["ErrorType"] == "ValidationError"
    head = s3.head_object(Bucket="loc-s3-out", Key=folder + "part-00000.parquet")
    assert head["ContentType"] == "application/vnd.apache.parquet"


def test_failures_on_s3(s3_server: JobforgeServer, moto: MotoServer) -> None:
    s3 = moto.s3()
    s3.create_bucket(Bucket="loc-s3-bad")
    s3.put_object(Bucket="loc-s3-bad", Key="in/notes.txt", Body=b"hello")
    location = client("location", s3_server.url)
    jobs = {
        "s3://loc-s3-bad/in/": "s3://loc-s3-bad/in/notes.txt",
        "s3://loc-s3-missing/in/": "loc-s3-missing does not exist",
        "s3://loc-s3-bad/nothing/": "No input files found",
    }
    started = {
        start(location, source, "s3://loc-s3-bad/out/")["JobId"]: text for source, text in jobs.items()
    }
    for job_id, text in started.items():
        job = wait_job(location, job_id)
        assert (job["Status"], job["Error"]["Code"]) == ("Failed", "ValidationError")
        assert text in " ".join(job["Error"]["Messages"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="loc-s3-bad").get("Contents", [])]
    assert keys == ["in/notes.txt"]
    uploads = s3.list_multipart_uploads(Bucket="loc-s3-bad").get("Uploads", [])
    assert uploads == []


def test_execution_role_is_assumed_where_sts_exists(
    moto: MotoServer, server: JobforgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in MOTO_CREDENTIALS.items():  # the server's own credentials call AssumeRole
        monkeypatch.setenv(name, value)
    role = "arn:aws:iam::123456789012:role/LocationServiceJobExecutionRole"
    with_sts = assume_role(moto.url, role, "job.with_odd/chars" * 5, "us-east-1")
    assert with_sts is not None and all(with_sts.client_options().values())
    store = StoreSpec("/nonexistent", moto.url, with_sts).open()
    moto.s3().create_bucket(Bucket="loc-role-check")
    assert store.bucket_exists("loc-role-check")  # the role's credentials reach S3
    assert assume_role(server.url, role, "job", "us-east-1") is None  # jobforge has no STS: recorded only
