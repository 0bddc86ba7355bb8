"""Internal buckets are reserved: no account reaches Data Exchange asset bytes through a job.

Two accounts on one server (12-digit access keys are accounts under ``--auth none``): account A
imports an asset, account B tries every user-supplied location against the internal bucket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import JobforgeServer, client

A, B = "111111111111", "222222222222"
INTERNAL = "jobforge-dataexchange"
SECRET = b"account A's private asset bytes"
ROLE = f"arn:aws:iam::{B}:role/LocationServiceJobExecutionRole"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    running = JobforgeServer(tmp_path_factory.mktemp("isolation") / "data").start()
    yield running
    running.stop()


def _wait(dx: Any, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (job := dx.get_job(JobId=job_id))["State"] not in ("COMPLETED", "ERROR", "CANCELLED"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job


def _run(dx: Any, job_type: str, details: dict[str, Any]) -> dict[str, Any]:
    job = dx.create_job(Type=job_type, Details=details)
    dx.start_job(JobId=job["Id"])
    return _wait(dx, job["Id"])


@pytest.fixture(scope="module")
def asset_a(server: JobforgeServer) -> dict[str, str]:
    """Account A's data set, revision and imported asset; returns the ids and the storage key."""
    source = server.data_dir / "buckets" / "a-private" / "secret.csv"
    source.parent.mkdir(parents=True)
    source.write_bytes(SECRET)
    dx = client("dataexchange", server.url, access_key=A)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="a", Description="a")["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]
    job = _run(
        dx,
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": data_set,
                "RevisionId": revision,
                "AssetSources": [{"Bucket": "a-private", "Key": "secret.csv"}],
            }
        },
    )
    assert job["State"] == "COMPLETED", job
    asset = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"][0]["Id"]
    key = f"assets/{A}/us-east-1/{data_set}/{revision}/{asset}"
    assert (server.data_dir / "buckets" / INTERNAL / key).read_bytes() == SECRET
    return {"data_set": data_set, "revision": revision, "asset": asset, "key": key}


@pytest.fixture(scope="module")
def asset_b(server: JobforgeServer) -> dict[str, str]:
    """Account B's own data set with one asset (something B may legitimately export)."""
    source = server.data_dir / "buckets" / "b-private" / "mine.csv"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"account B's bytes")
    dx = client("dataexchange", server.url, access_key=B)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="b", Description="b")["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]
    job = _run(
        dx,
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": data_set,
                "RevisionId": revision,
                "AssetSources": [{"Bucket": "b-private", "Key": "mine.csv"}],
            }
        },
    )
    assert job["State"] == "COMPLETED", job
    asset = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"][0]["Id"]
    return {"data_set": data_set, "revision": revision, "asset": asset}


def _refused(info: pytest.ExceptionInfo[ClientError], code: str, *secrets: str) -> str:
    error = info.value.response["Error"]
    assert error["Code"] == code, error
    message = error["Message"]
    assert INTERNAL in message and "reserved" in message, message
    for secret in secrets:
        assert secret not in message, message
    return message


def _untouched(server: JobforgeServer, asset_a: dict[str, str]) -> None:
    assert (server.data_dir / "buckets" / INTERNAL / asset_a["key"]).read_bytes() == SECRET


def test_dataexchange_import_from_internal_bucket_is_refused(
    server: JobforgeServer, asset_a: dict[str, str], asset_b: dict[str, str]
) -> None:
    dx = client("dataexchange", server.url, access_key=B)
    with pytest.raises(ClientError) as info:
        dx.create_job(
            Type="IMPORT_ASSETS_FROM_S3",
            Details={
                "ImportAssetsFromS3": {
                    "DataSetId": asset_b["data_set"],
                    "RevisionId": asset_b["revision"],
                    "AssetSources": [{"Bucket": INTERNAL, "Key": asset_a["key"]}],
                }
            },
        )
    _refused(info, "ValidationException")
    with pytest.raises(ClientError) as info:
        dx.create_job(
            Type="CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
            Details={
                "CreateS3DataAccessFromS3Bucket": {
                    "DataSetId": asset_b["data_set"],
                    "RevisionId": asset_b["revision"],
                    "AssetSource": {"Bucket": INTERNAL, "KeyPrefixes": [f"assets/{A}/"]},
                }
            },
        )
    _refused(info, "ValidationException")


def test_dataexchange_exports_into_internal_bucket_are_refused(
    server: JobforgeServer, asset_a: dict[str, str], asset_b: dict[str, str]
) -> None:
    dx = client("dataexchange", server.url, access_key=B)
    with pytest.raises(ClientError) as info:
        dx.create_job(
            Type="EXPORT_ASSETS_TO_S3",
            Details={
                "ExportAssetsToS3": {
                    "DataSetId": asset_b["data_set"],
                    "RevisionId": asset_b["revision"],
                    "AssetDestinations": [
                        {"AssetId": asset_b["asset"], "Bucket": INTERNAL, "Key": asset_a["key"]}
                    ],
                }
            },
        )
    _refused(info, "ValidationException")
    with pytest.raises(ClientError) as info:
        dx.create_job(
            Type="EXPORT_REVISIONS_TO_S3",
            Details={
                "ExportRevisionsToS3": {
                    "DataSetId": asset_b["data_set"],
                    "RevisionDestinations": [
                        {
                            "RevisionId": asset_b["revision"],
                            "Bucket": INTERNAL,
                            "KeyPattern": f"assets/{A}/${{Asset.Name}}",
                        }
                    ],
                }
            },
        )
    _refused(info, "ValidationException")
    with pytest.raises(ClientError) as info:
        dx.create_event_action(
            Event={"RevisionPublished": {"DataSetId": asset_b["data_set"]}},
            Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": INTERNAL}}},
        )
    _refused(info, "ValidationException")
    _untouched(server, asset_a)
    owner = client("dataexchange", server.url, access_key=A)  # A's own account is refused too
    with pytest.raises(ClientError) as info:
        owner.create_job(
            Type="EXPORT_ASSETS_TO_S3",
            Details={
                "ExportAssetsToS3": {
                    "DataSetId": asset_a["data_set"],
                    "RevisionId": asset_a["revision"],
                    "AssetDestinations": [{"AssetId": asset_a["asset"], "Bucket": INTERNAL, "Key": "x"}],
                }
            },
        )
    _refused(info, "ValidationException")


@pytest.mark.parametrize("field", ["InputOptions", "OutputOptions"])
def test_location_job_on_internal_bucket_is_refused(
    server: JobforgeServer, asset_a: dict[str, str], field: str
) -> None:
    (server.data_dir / "buckets" / "b-out").mkdir(exist_ok=True)
    location = client("location", server.url, access_key=B)
    options = {
        "InputOptions": {"Location": "s3://b-private/in/", "Format": "Parquet"},
        "OutputOptions": {"Location": "s3://b-out/validated/", "Format": "Parquet"},
    }
    options[field]["Location"] = f"s3://{INTERNAL}/assets/{A}/"
    with pytest.raises(ClientError) as info:
        location.start_job(Action="ValidateAddress", ExecutionRoleArn=ROLE, **options)
    _refused(info, "ValidationException", asset_a["asset"], asset_a["data_set"], asset_a["revision"])
    assert location.list_jobs()["Entries"] == []
    _untouched(server, asset_a)


def test_robomaker_export_and_template_on_internal_bucket_are_refused(
    server: JobforgeServer, asset_a: dict[str, str]
) -> None:
    robomaker = client("robomaker", server.url, access_key=B)
    with pytest.raises(ClientError) as info:
        robomaker.create_world_export_job(
            worlds=[f"arn:aws:robomaker:us-east-1:{B}:world/w-1"],
            outputLocation={"s3Bucket": INTERNAL, "s3Prefix": f"assets/{A}"},
            iamRole=f"arn:aws:iam::{B}:role/export",
        )
    _refused(info, "InvalidParameterException")
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(templateLocation={"s3Bucket": INTERNAL, "s3Key": asset_a["key"]})
    _refused(info, "InvalidParameterException")
    _untouched(server, asset_a)


def test_jobs_check_the_policy_again_when_they_run(tmp_path: Any) -> None:
    """A job created before its bucket became internal is refused when it starts, not run."""
    data_dir = tmp_path / "data"
    (data_dir / "buckets" / "zone-b").mkdir(parents=True)
    (data_dir / "buckets" / "zone-b" / "x.csv").write_bytes(b"x")
    first = JobforgeServer(data_dir).start()
    try:
        dx = client("dataexchange", first.url, access_key=B)
        data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="b", Description="b")["Id"]
        revision = dx.create_revision(DataSetId=data_set)["Id"]
        job = dx.create_job(
            Type="IMPORT_ASSETS_FROM_S3",
            Details={
                "ImportAssetsFromS3": {
                    "DataSetId": data_set,
                    "RevisionId": revision,
                    "AssetSources": [{"Bucket": "zone-b", "Key": "x.csv"}],
                }
            },
        )
    finally:
        first.stop()
    second = JobforgeServer(data_dir, env={"JOBFORGE_DATAEXCHANGE_BUCKET": "zone-b"}).start()
    try:
        dx = client("dataexchange", second.url, access_key=B)
        dx.start_job(JobId=job["Id"])
        done = _wait(dx, job["Id"])
        assert done["State"] == "ERROR"
        assert [e["Code"] for e in done["Errors"]] == ["ACCESS_DENIED_EXCEPTION"]
        assert "zone-b" in done["Errors"][0]["Message"] and "reserved" in done["Errors"][0]["Message"]
    finally:
        second.stop()
