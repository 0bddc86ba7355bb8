"""Internal buckets are reserved and every other bucket has one owner account.

Two accounts on one server (12-digit access keys are accounts under ``--auth none``): account A
imports an asset from its bucket ``a-private``, account B tries every user-supplied location
against the internal bucket and against A's bucket (``JOBFORGE_BUCKET_OWNERS``; B owns the rest).
"""

from __future__ import annotations

import json
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
    owners = json.dumps({"a-private": A, "*": B})
    data_dir = tmp_path_factory.mktemp("isolation") / "data"
    running = JobforgeServer(data_dir, env={"JOBFORGE_BUCKET_OWNERS": owners}).start()
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
    ids = _imported_asset(server, A, "a-private", "secret.csv", SECRET)
    key = f"assets/{A}/us-east-1/{ids['data_set']}/{ids['revision']}/{ids['asset']}"
    assert (server.data_dir / "buckets" / INTERNAL / key).read_bytes() == SECRET
    return {**ids, "key": key}


@pytest.fixture(scope="module")
def asset_b(server: JobforgeServer) -> dict[str, str]:
    """Account B's own data set with one asset (something B may legitimately export)."""
    return _imported_asset(server, B, "b-private", "mine.csv", b"account B's bytes")


def _imported_asset(
    server: JobforgeServer, account: str, bucket: str, name: str, data: bytes
) -> dict[str, str]:
    """``data`` put in ``account``'s bucket and imported into a new data set and revision: their ids."""
    source = server.data_dir / "buckets" / bucket / name
    source.parent.mkdir(parents=True)
    source.write_bytes(data)
    dx = client("dataexchange", server.url, access_key=account)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name=name, Description=name)["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]
    job = _run(
        dx,
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": data_set,
                "RevisionId": revision,
                "AssetSources": [{"Bucket": bucket, "Key": name}],
            }
        },
    )
    assert job["State"] == "COMPLETED", job
    asset = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"][0]["Id"]
    return {"data_set": data_set, "revision": revision, "asset": asset}


def _refused(
    info: pytest.ExceptionInfo[ClientError], code: str, *secrets: str, bucket: str = INTERNAL
) -> str:
    error = info.value.response["Error"]
    assert error["Code"] == code, error
    message = error["Message"]
    why = "reserved" if bucket == INTERNAL else "is not a bucket of this account"
    assert f"Access to bucket {bucket} is denied" in message and why in message, message
    for secret in secrets:
        assert secret not in message, message
    return message


def _untouched(server: JobforgeServer, asset_a: dict[str, str]) -> None:
    assert (server.data_dir / "buckets" / INTERNAL / asset_a["key"]).read_bytes() == SECRET


def _dataexchange_jobs(
    asset: dict[str, str], bucket: str, key: str, prefix: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """CreateJob requests of ``asset``'s revision naming ``bucket``: 2 imports, then 2 exports."""
    target = {"DataSetId": asset["data_set"], "RevisionId": asset["revision"]}
    source = {"Bucket": bucket, **({"KeyPrefixes": [prefix]} if prefix else {})}
    revision = {"RevisionId": asset["revision"], "Bucket": bucket}
    if prefix:
        revision["KeyPattern"] = f"{prefix}${{Asset.Name}}"
    return [
        (
            "IMPORT_ASSETS_FROM_S3",
            {"ImportAssetsFromS3": {**target, "AssetSources": [{"Bucket": bucket, "Key": key}]}},
        ),
        (
            "CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
            {"CreateS3DataAccessFromS3Bucket": {**target, "AssetSource": source}},
        ),
        (
            "EXPORT_ASSETS_TO_S3",
            {
                "ExportAssetsToS3": {
                    **target,
                    "AssetDestinations": [{"AssetId": asset["asset"], "Bucket": bucket, "Key": key}],
                }
            },
        ),
        (
            "EXPORT_REVISIONS_TO_S3",
            {"ExportRevisionsToS3": {"DataSetId": asset["data_set"], "RevisionDestinations": [revision]}},
        ),
    ]


def test_dataexchange_import_from_internal_bucket_is_refused(
    server: JobforgeServer, asset_a: dict[str, str], asset_b: dict[str, str]
) -> None:
    dx = client("dataexchange", server.url, access_key=B)
    for job_type, details in _dataexchange_jobs(asset_b, INTERNAL, asset_a["key"], f"assets/{A}/")[:2]:
        with pytest.raises(ClientError) as info:
            dx.create_job(Type=job_type, Details=details)
        _refused(info, "ValidationException")


def test_dataexchange_exports_into_internal_bucket_are_refused(
    server: JobforgeServer, asset_a: dict[str, str], asset_b: dict[str, str]
) -> None:
    dx = client("dataexchange", server.url, access_key=B)
    for job_type, details in _dataexchange_jobs(asset_b, INTERNAL, asset_a["key"], f"assets/{A}/")[2:]:
        with pytest.raises(ClientError) as info:
            dx.create_job(Type=job_type, Details=details)
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


@pytest.mark.parametrize(
    ("setting", "value", "why"),
    [
        ("JOBFORGE_DATAEXCHANGE_BUCKET", "zone-b", "reserved"),
        ("JOBFORGE_BUCKET_OWNERS", json.dumps({"zone-b": A}), "is not a bucket of this account"),
    ],
)
def test_jobs_check_the_policy_again_when_they_run(tmp_path: Any, setting: str, value: str, why: str) -> None:
    """A job created before its bucket became internal or another account's is refused when it
    starts, not run."""
    data_dir = tmp_path / "data"
    (data_dir / "buckets" / "zone-b").mkdir(parents=True)
    (data_dir / "buckets" / "zone-b" / "x.csv").write_bytes(b"x")
    first = JobforgeServer(data_dir, env={"JOBFORGE_BUCKET_OWNERS": json.dumps({"*": B})}).start()
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
    env = {"JOBFORGE_BUCKET_OWNERS": json.dumps({"*": B}), setting: value}
    second = JobforgeServer(data_dir, env=env).start()
    try:
        dx = client("dataexchange", second.url, access_key=B)
        dx.start_job(JobId=job["Id"])
        done = _wait(dx, job["Id"])
        assert done["State"] == "ERROR"
        assert [e["Code"] for e in done["Errors"]] == ["ACCESS_DENIED_EXCEPTION"]
        message = done["Errors"][0]["Message"]
        assert "Access to bucket zone-b is denied" in message and why in message
    finally:
        second.stop()


# -- owners: account B may not use account A's bucket --------------------------------------------


def test_dataexchange_jobs_on_another_accounts_bucket_are_refused(
    server: JobforgeServer, asset_a: dict[str, str], asset_b: dict[str, str]
) -> None:
    dx = client("dataexchange", server.url, access_key=B)
    for job_type, details in _dataexchange_jobs(asset_b, "a-private", "secret.csv"):
        with pytest.raises(ClientError) as info:
            dx.create_job(Type=job_type, Details=details)
        _refused(info, "ValidationException", "secret.csv", bucket="a-private")
    with pytest.raises(ClientError) as info:
        dx.create_event_action(
            Event={"RevisionPublished": {"DataSetId": asset_b["data_set"]}},
            Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": "a-private"}}},
        )
    _refused(info, "ValidationException", bucket="a-private")
    assert (server.data_dir / "buckets" / "a-private" / "secret.csv").read_bytes() == SECRET
    assert sorted(p.name for p in (server.data_dir / "buckets" / "a-private").iterdir()) == ["secret.csv"]


@pytest.mark.parametrize("field", ["InputOptions", "OutputOptions"])
def test_location_job_on_another_accounts_bucket_is_refused(server: JobforgeServer, field: str) -> None:
    (server.data_dir / "buckets" / "b-out").mkdir(exist_ok=True)
    location = client("location", server.url, access_key=B)
    options = {
        "InputOptions": {"Location": "s3://b-private/in/", "Format": "Parquet"},
        "OutputOptions": {"Location": "s3://b-out/validated/", "Format": "Parquet"},
    }
    options[field]["Location"] = "s3://a-private/"
    with pytest.raises(ClientError) as info:
        location.start_job(Action="ValidateAddress", ExecutionRoleArn=ROLE, **options)
    _refused(info, "ValidationException", "secret.csv", bucket="a-private")
    assert location.list_jobs()["Entries"] == []


def test_robomaker_on_another_accounts_bucket_is_refused(server: JobforgeServer) -> None:
    (server.data_dir / "buckets" / "a-private" / "t.json").write_text("{}")
    robomaker = client("robomaker", server.url, access_key=B)
    with pytest.raises(ClientError) as info:
        robomaker.create_world_export_job(
            worlds=[f"arn:aws:robomaker:us-east-1:{B}:world/w-1"],
            outputLocation={"s3Bucket": "a-private"},
            iamRole=f"arn:aws:iam::{B}:role/export",
        )
    _refused(info, "InvalidParameterException", bucket="a-private")
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(templateLocation={"s3Bucket": "a-private", "s3Key": "t.json"})
    _refused(info, "InvalidParameterException", bucket="a-private")
    (server.data_dir / "buckets" / "a-private" / "t.json").unlink()


def test_hand_made_buckets_belong_to_the_default_account(tmp_path: Any) -> None:
    """Without JOBFORGE_BUCKET_OWNERS every bucket belongs to JOBFORGE_DEFAULT_ACCOUNT."""
    data_dir = tmp_path / "data"
    (data_dir / "buckets" / "shared").mkdir(parents=True)
    (data_dir / "buckets" / "shared" / "x.csv").write_bytes(b"x")
    running = JobforgeServer(data_dir).start()
    try:
        for access_key, allowed in (("AKIDJOBFORGETEST", True), (B, False)):
            dx = client("dataexchange", running.url, access_key=access_key)
            data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
            revision = dx.create_revision(DataSetId=data_set)["Id"]
            details = {
                "ImportAssetsFromS3": {
                    "DataSetId": data_set,
                    "RevisionId": revision,
                    "AssetSources": [{"Bucket": "shared", "Key": "x.csv"}],
                }
            }
            if allowed:
                assert _run(dx, "IMPORT_ASSETS_FROM_S3", details)["State"] == "COMPLETED"
            else:
                with pytest.raises(ClientError) as info:
                    dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
                _refused(info, "ValidationException", "x.csv", bucket="shared")
    finally:
        running.stop()


def test_a_queued_location_job_is_refused_when_the_owner_changed(tmp_path: Any) -> None:
    """StartJob accepted B's buckets; when the job runs they are A's: it ends Failed, reading nothing."""
    data_dir = tmp_path / "data"
    for bucket in ("zone-in", "zone-out"):
        (data_dir / "buckets" / bucket).mkdir(parents=True)
    (data_dir / "buckets" / "zone-in" / "a.parquet").write_bytes(b"not read")
    first = JobforgeServer(data_dir, "--pace", "step", env={"JOBFORGE_BUCKET_OWNERS": json.dumps({"*": B})})
    first.start()
    try:
        location = client("location", first.url, access_key=B)
        job_id = location.start_job(
            Action="ValidateAddress",
            ExecutionRoleArn=ROLE,
            InputOptions={"Location": "s3://zone-in/", "Format": "Parquet"},
            OutputOptions={"Location": "s3://zone-out/", "Format": "Parquet"},
        )["JobId"]
    finally:
        first.stop()
    owners = json.dumps({"zone-in": A, "*": B})
    second = JobforgeServer(data_dir, env={"JOBFORGE_BUCKET_OWNERS": owners}).start()
    try:
        location = client("location", second.url, access_key=B)
        deadline = time.monotonic() + 60
        while (job := location.get_job(JobId=job_id))["Status"] not in ("Completed", "Failed", "Cancelled"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["Status"] == "Failed" and job["Error"]["Code"] == "ValidationError", job
        assert "InputOptions.Location: Access to bucket zone-in is denied" in job["Error"]["Messages"][0]
        assert list((data_dir / "buckets" / "zone-out").iterdir()) == []
    finally:
        second.stop()
