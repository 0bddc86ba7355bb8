"""What goes wrong, and how it is reported: request errors (ValidationException with reason and
fieldList, 404 on unknown jobs) and job-level failures (Failed, Error.Code ValidationError, a clear
message, and no output left behind)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from jobforge.services.location.file_worker import FileTask, transform_file
from jobforge.services.location.pieces import MergeTask, merge_pieces
from jobforge.services.location.stop import StopSignal
from jobforge.storage import LocalObjectStore, StoreSpec
from tests.location.fixtures import cases_table, input_table, parquet_bytes
from tests.location.helpers import (
    ROLE,
    files_under,
    make_bucket,
    put_local,
    start,
    start_past_first_file,
    wait_job,
)
from tests.support import JobforgeServer, client

GOOD = {"Location": "s3://loc-fail-in/good/", "Format": "Parquet"}
OUT = {"Location": "s3://loc-fail-out/out/", "Format": "Parquet"}


def request(**changes: Any) -> dict[str, Any]:
    return {
        "Action": "ValidateAddress",
        "ExecutionRoleArn": ROLE,
        "InputOptions": GOOD,
        "OutputOptions": OUT,
        **changes,
    }


def error_of(call: Any, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"], response


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"InputOptions": {**GOOD, "Location": "http://example.com/in/"}}, "InputOptions.Location"),
        ({"OutputOptions": {**OUT, "Location": "s3://loc-fail-out/no-slash"}}, "OutputOptions.Location"),
        ({"Action": "Geocode"}, "Action"),
        ({"Name": "not a name!"}, "Name"),
        ({"ExecutionRoleArn": "arn:aws:iam::000000000000:user/someone"}, "ExecutionRoleArn"),
        ({"InputOptions": {"Location": "s3://ab..c/in/", "Format": "Parquet"}}, "InputOptions.Location"),
        ({"InputOptions": {"Location": "arn:aws:geo:us-east-1:000000000000:job/x", "Format": "Parquet"}},
         "InputOptions.Location"),
        ({"ActionOptions": {"ValidateAddress": {"AdditionalFeatures": ["Position", "Address", "x"]}}},
         "ActionOptions.ValidateAddress.AdditionalFeatures"),
        ({"Tags": {"aws:reserved": "no"}}, "Tags"),
        ({"ClientToken": "has space"}, "ClientToken"),
    ],
)  # fmt: skip
def test_malformed_start_job(server: JobforgeServer, changes: dict[str, Any], field: str) -> None:
    location = client("location", server.url)
    status, error, response = error_of(location.start_job, **request(**changes))
    assert (status, error["Code"], response["Reason"]) == (
        400,
        "ValidationException",
        "FieldValidationFailed",
    )
    assert field in [item["Name"] for item in response["FieldList"]]
    assert all(item["Message"] for item in response["FieldList"])


def test_execution_role_of_another_account_is_refused(server: JobforgeServer) -> None:
    """The model: "The IAM role must be created in the same Amazon Web Services account where you
    plan to run your job"; a 12-digit key is account 111111111111 on a server without auth. (The
    role of the caller's own account is what every other test starts jobs with.)"""
    for key, role in (("test", "arn:aws:iam::111111111111:role/R"), ("111111111111", ROLE)):
        location = client("location", server.url, access_key=key)
        status, error, response = error_of(location.start_job, **request(ExecutionRoleArn=role))
        assert (status, error["Code"]) == (400, "ValidationException")
        assert response["Reason"] == "FieldValidationFailed"
        assert [item["Name"] for item in response["FieldList"]] == ["ExecutionRoleArn"]
        assert "must be in the account that runs the job" in error["Message"], error
        assert location.list_jobs()["Entries"] == [] or key == "test"


def test_malformed_list_and_unknown_jobs(server: JobforgeServer) -> None:
    location = client("location", server.url)
    status, error, response = error_of(location.list_jobs, Filter={"JobStatus": "Done"})
    assert (status, error["Code"], response["FieldList"][0]["Name"]) == (
        400,
        "ValidationException",
        "Filter.JobStatus",
    )
    status, error, response = error_of(location.list_jobs, NextToken="not-a-token")
    assert (status, response["FieldList"][0]["Name"]) == (400, "NextToken")
    for job_id in ("a/b", "x" * 201, "bad job"):
        status, error, response = error_of(location.get_job, JobId=job_id)
        assert (status, error["Code"], response["FieldList"][0]["Name"]) == (
            400,
            "ValidationException",
            "JobId",
        )
    for call in (location.get_job, location.cancel_job):
        status, error, _ = error_of(call, JobId="no-such-job")
        assert (status, error["Code"]) == (404, "ResourceNotFoundException")
        assert "no-such-job" in error["Message"]
    for arn in (
        "arn:aws:geo:us-east-1:000000000000:job/no-such-job",
        "arn:aws:geo:us-east-1:000000000000:map/some-map",  # not served by jobforge
    ):
        for call, kwargs in (
            (location.list_tags_for_resource, {}),
            (location.tag_resource, {"Tags": {"a": "b"}}),
            (location.untag_resource, {"TagKeys": ["a"]}),
        ):
            status, error, _ = error_of(call, ResourceArn=arn, **kwargs)
            assert (status, error["Code"]) == (404, "ResourceNotFoundException")


def test_job_in_another_region_is_not_found(server: JobforgeServer) -> None:
    put_local(server, "loc-fail-in", "good/a.parquet", parquet_bytes(cases_table()))
    make_bucket(server, "loc-fail-out")
    east = client("location", server.url)
    job = start(east, GOOD["Location"], OUT["Location"])
    west = client("location", server.url, region="us-west-2")
    assert error_of(west.get_job, JobId=job["JobId"])[1]["Code"] == "ResourceNotFoundException"
    assert error_of(west.list_tags_for_resource, ResourceArn=job["JobArn"])[0] == 404
    assert job["JobId"] not in [entry["JobId"] for entry in west.list_jobs()["Entries"]]
    wait_job(east, job["JobId"])


def _corrupt_pages(data: bytes) -> bytes:
    """A Parquet file whose footer is fine but whose first data page is garbage."""
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    offset = meta.row_group(0).column(1).data_page_offset
    broken = bytearray(data)
    for i in range(offset + 20, offset + 60):
        broken[i] ^= 0xFF
    return bytes(broken)


def _failures(server: JobforgeServer) -> dict[str, tuple[str, str]]:
    """Input location -> text the failure message must contain; the inputs are made here."""
    good = parquet_bytes(cases_table())
    make_bucket(server, "loc-fail-in")
    make_bucket(server, "loc-fail-out")
    put_local(server, "loc-fail-in", "good/a.parquet", good)
    put_local(server, "loc-fail-in", "csv/a.parquet", good)
    put_local(server, "loc-fail-in", "csv/b.csv", b"Id,AddressLines_1\n1,120 Quillfeather Ave\n")
    ints = input_table([{"Id": "1", "AddressLines_1": "120 Quillfeather Ave"}]).append_column(
        "AddressComponents_PostalCode", pa.array([98101], pa.int64())
    )
    put_local(server, "loc-fail-in", "types/a.parquet", parquet_bytes(ints))
    put_local(
        server, "loc-fail-in", "noaddr/a.parquet", parquet_bytes(pa.table({"Id": ["1"], "Other": ["x"]}))
    )
    put_local(server, "loc-fail-in", "pages/a.parquet", good)
    put_local(server, "loc-fail-in", "pages/b.parquet", _corrupt_pages(good))
    for n in range(1001):
        put_local(server, "loc-fail-in", f"many/{n:04d}.parquet", b"PAR1")
    return {
        "s3://no-such-input-bucket/in/": ("input bucket no-such-input-bucket does not exist", ""),
        "s3://loc-fail-in/missing/": ("No input files found at s3://loc-fail-in/missing/", ""),
        "s3://loc-fail-in/good/absent.parquet": ("No input files found", ""),
        "s3://loc-fail-in/csv/": ("s3://loc-fail-in/csv/b.csv", "not a readable Parquet file"),
        "s3://loc-fail-in/types/": ("AddressComponents_PostalCode (int64)", "must be of type string"),
        "s3://loc-fail-in/noaddr/": ("no address columns", ""),
        "s3://loc-fail-in/many/": ("More than 1000 input files", ""),
        "s3://loc-fail-in/pages/": ("s3://loc-fail-in/pages/b.parquet", ""),
    }


def test_job_level_failures_leave_no_output(server: JobforgeServer) -> None:
    location = client("location", server.url)
    failures = _failures(server)  # once: writing the inputs again would race the running jobs
    started = {source: start(location, source, OUT["Location"])["JobId"] for source in failures}
    started["no output bucket"] = start(location, GOOD["Location"], "s3://no-such-output-bucket/out/")[
        "JobId"
    ]
    expected = {**failures, "no output bucket": ("output bucket no-such-output-bucket", "")}
    for source, job_id in started.items():
        job = wait_job(location, job_id)
        assert job["Status"] == "Failed", (source, job)
        assert job["Error"]["Code"] == "ValidationError", (source, job["Error"])
        message = " ".join(job["Error"]["Messages"])
        assert all(len(m) <= 200 for m in job["Error"]["Messages"]) and len(job["Error"]["Messages"]) <= 4
        for text in expected[source]:
            assert text in message, (source, message)
        assert job["EndedAt"] >= job["CreatedAt"]
        assert files_under(server.data_dir / "buckets" / "loc-fail-out" / "out" / job_id) == []
    failed = location.list_jobs(Filter={"JobStatus": "Failed"})["Entries"]
    assert set(started.values()) <= {entry["JobId"] for entry in failed}
    assert all(entry["Error"]["Code"] == "ValidationError" for entry in failed)
    assert not list((server.data_dir / "location" / "cancel").glob("*"))


def test_output_bucket_removed_while_the_job_runs_is_named(stepping: JobforgeServer) -> None:
    server = stepping
    location, job_id, out = start_past_first_file(server, "loc-gone-in", "loc-gone-out", "x/")
    shutil.rmtree(out)  # emptied and deleted
    server.control("advance", jobId=job_id, steps=50)
    job = wait_job(location, job_id)
    assert job["Status"] == "Failed" and job["Error"]["Code"] == "ValidationError", job
    message = " ".join(job["Error"]["Messages"])
    assert "output bucket loc-gone-out does not exist" in message and "loc-gone-in" not in message, message


def test_file_task_names_the_missing_bucket(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("in-bucket")
    store.put_bytes("in-bucket", "a.parquet", parquet_bytes(cases_table()))
    flag = StopSignal(StoreSpec(str(tmp_path)), "signals", "stop")
    task = FileTask(
        StoreSpec(str(tmp_path)), None, (), ("in-bucket", "a.parquet"), ("gone", "o.parquet"), flag
    )
    error = transform_file(task)["error"]
    assert error == {"code": "ValidationError", "message": error["message"]}
    assert error["message"].startswith("The output bucket gone does not exist"), error
    # input and output in one bucket, or the input gone: the input is named
    gone = FileTask(task.store, None, (), ("in-bucket", "b.parquet"), ("in-bucket", "o.parquet"), flag)
    error = transform_file(gone)["error"]
    assert error["message"].startswith("s3://in-bucket/b.parquet does not exist"), error
    # the merge of a split file's pieces into the output
    store.create_bucket("staging")
    piece = FileTask(task.store, None, (), task.source, ("staging", "piece-0"), flag)
    assert transform_file(piece)["cancelled"] is False
    merge = MergeTask(task.store, (("staging", "piece-0"),), task.store, ("gone", "part-00000.parquet"), flag)
    error = merge_pieces(merge)["error"]
    assert error["code"] == "ValidationError" and error["message"].startswith("The output bucket gone"), error


def test_tags_follow_aws_rules(server: JobforgeServer) -> None:
    """The engine's shared tag rules, as Location's ValidationException on the ``Tags`` field."""
    put_local(server, "loc-fail-in", "good/a.parquet", parquet_bytes(cases_table()))
    make_bucket(server, "loc-fail-out")
    location = client("location", server.url)
    job = start(location, GOOD["Location"], OUT["Location"], Tags={f"k{i}": "v" for i in range(50)})
    arn = job["JobArn"]
    for tags in ({"AWS:x": "y"}, {"k51": "y"}):  # reserved in any case; a 51st tag
        status, error, response = error_of(location.tag_resource, ResourceArn=arn, Tags=tags)
        assert (status, error["Code"]) == (400, "ValidationException")
        assert [item["Name"] for item in response["FieldList"]] == ["Tags"]
    location.tag_resource(ResourceArn=arn, Tags={"k0": "overwritten"})
    assert len(location.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50
    wait_job(location, job["JobId"])
