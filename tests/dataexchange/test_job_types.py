"""The job types beyond S3 snapshots, S3 exports with encryption, limits and time limits."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.dataexchange.conftest import LIMITED, DataExchangeEnv, md5_b64

SHARE = "arn:aws:redshift:us-east-1:111122223333:datashare:0b7e6b3c-2d29-4c5e-8e4b-2f6a0e7e1c11/{}"
ROLE = "arn:aws:iam::111122223333:role/lf-admin"
OPENAPI = json.dumps(
    {"openapi": "3.0.1", "info": {"title": "prices", "version": "1"}, "paths": {"/prices": {"get": {}}}}
).encode()


def _assets(env: DataExchangeEnv, ds: str, rev: str) -> list[dict]:
    return env.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]


def test_redshift_datashares(env: DataExchangeEnv) -> None:
    ds = env.data_set("shares", "REDSHIFT_DATA_SHARE")
    rev = env.revision(ds)
    sources = [{"DataShareArn": SHARE.format("sales")}, {"DataShareArn": SHARE.format("stock")}]
    job = env.run(
        "IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES",
        {"ImportAssetsFromRedshiftDataShares": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}},
    )
    assert job["State"] == "COMPLETED"
    assets = {a["Name"]: a for a in _assets(env, ds, rev)}
    assert set(assets) == {"sales", "stock"}
    assert assets["sales"]["AssetType"] == "REDSHIFT_DATA_SHARE"
    assert assets["sales"]["AssetDetails"] == {"RedshiftDataShareAsset": {"Arn": SHARE.format("sales")}}


def test_api_gateway_api_with_specification_upload(env: DataExchangeEnv) -> None:
    dx = env.dx
    ds = env.data_set("api", "API_GATEWAY_API")
    rev = env.revision(ds)
    details = {
        "DataSetId": ds,
        "RevisionId": rev,
        "ApiId": "a1b2c3d4e5",
        "ApiName": "Prices API",
        "ApiDescription": "# Prices",
        "ApiKey": "key-123",
        "ProtocolType": "REST",
        "Stage": "prod",
        "ApiSpecificationMd5Hash": md5_b64(OPENAPI),
    }
    job = dx.create_job(
        Type="IMPORT_ASSET_FROM_API_GATEWAY_API", Details={"ImportAssetFromApiGatewayApi": details}
    )
    response = job["Details"]["ImportAssetFromApiGatewayApi"]
    assert response["ApiSpecificationUploadUrlExpiresAt"].timestamp() > time.time()
    dx.start_job(JobId=job["Id"])  # start first, upload afterwards: both orders work
    assert dx.get_job(JobId=job["Id"])["State"] == "IN_PROGRESS"
    put = httpx.put(
        response["ApiSpecificationUploadUrl"], content=OPENAPI, headers={"Content-MD5": md5_b64(OPENAPI)}
    )
    assert put.status_code == 200
    assert env.wait(job["Id"])["State"] == "COMPLETED"
    [asset] = _assets(env, ds, rev)
    api = dx.get_asset(DataSetId=ds, RevisionId=rev, AssetId=asset["Id"])["AssetDetails"][
        "ApiGatewayApiAsset"
    ]
    assert (api["ApiId"], api["ApiName"], api["Stage"], api["ApiKey"]) == (
        "a1b2c3d4e5",
        "Prices API",
        "prod",
        "key-123",
    )
    assert api["ApiEndpoint"] == "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    assert httpx.get(api["ApiSpecificationDownloadUrl"]).content == OPENAPI
    # a document that is not an OpenAPI 3 specification is refused by the job
    bad = b'{"swagger": "2.0"}'
    job = dx.create_job(
        Type="IMPORT_ASSET_FROM_API_GATEWAY_API",
        Details={"ImportAssetFromApiGatewayApi": {**details, "ApiSpecificationMd5Hash": md5_b64(bad)}},
    )
    url = job["Details"]["ImportAssetFromApiGatewayApi"]["ApiSpecificationUploadUrl"]
    assert httpx.put(url, content=bad).status_code == 200
    dx.start_job(JobId=job["Id"])
    done = env.wait(job["Id"])
    assert done["State"] == "ERROR" and "not usable" in done["Errors"][0]["Message"]
    assert done["Errors"][0]["Code"] == "VALIDATION_EXCEPTION"
    assert len(_assets(env, ds, rev)) == 1
    # a revoked revision's specification is no longer served, even through a URL issued before
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    dx.revoke_revision(DataSetId=ds, RevisionId=rev, RevocationComment="withdrawn API")
    assert httpx.get(api["ApiSpecificationDownloadUrl"]).status_code == 403


def test_s3_data_access(env: DataExchangeEnv) -> None:
    bucket = env.bucket()
    env.buckets.put(bucket, "reports/2024.csv", b"r")
    env.buckets.put(bucket, "latest.csv", b"l")
    ds = env.data_set("access", "S3_DATA_ACCESS")
    rev = env.revision(ds)
    source = {"Bucket": bucket, "KeyPrefixes": ["reports/"], "Keys": ["latest.csv"]}
    job = env.run(
        "CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
        {"CreateS3DataAccessFromS3Bucket": {"DataSetId": ds, "RevisionId": rev, "AssetSource": source}},
    )
    assert job["State"] == "COMPLETED", job["Errors"]
    [asset] = _assets(env, ds, rev)
    access = asset["AssetDetails"]["S3DataAccessAsset"]
    assert (access["Bucket"], access["Keys"], access["KeyPrefixes"]) == (bucket, ["latest.csv"], ["reports/"])
    assert access["S3AccessPointAlias"].endswith("-s3alias")
    assert access["S3AccessPointArn"].startswith("arn:aws:s3:us-east-1:111122223333:accesspoint/")
    job = env.run(
        "CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
        {
            "CreateS3DataAccessFromS3Bucket": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSource": {"Bucket": bucket, "Keys": ["gone.csv"], "KeyPrefixes": ["nothing/"]},
            }
        },
    )
    assert job["State"] == "ERROR" and job["Errors"][0]["Code"] == "RESOURCE_NOT_FOUND_EXCEPTION"
    assert "gone.csv" in job["Errors"][0]["Message"] and "nothing/" in job["Errors"][0]["Message"]
    assert len(_assets(env, ds, rev)) == 1


def test_lake_formation_tag_policy(env: DataExchangeEnv) -> None:
    ds = env.data_set("lf", "LAKE_FORMATION_DATA_PERMISSION")
    rev = env.revision(ds)
    expression = [{"TagKey": "domain", "TagValues": ["sales"]}]
    job = env.run(
        "IMPORT_ASSETS_FROM_LAKE_FORMATION_TAG_POLICY",
        {
            "ImportAssetsFromLakeFormationTagPolicy": {
                "DataSetId": ds,
                "RevisionId": rev,
                "CatalogId": "111122223333",
                "RoleArn": ROLE,
                "Database": {"Expression": expression, "Permissions": ["DESCRIBE"]},
                "Table": {"Expression": expression, "Permissions": ["DESCRIBE", "SELECT"]},
            }
        },
    )
    assert job["State"] == "COMPLETED"
    assets = {a["Name"]: a["AssetDetails"]["LakeFormationDataPermissionAsset"] for a in _assets(env, ds, rev)}
    table = assets["Table(s) included in LF-tag policy"]
    assert set(assets) == {"Database(s) included in LF-tag policy", "Table(s) included in LF-tag policy"}
    assert table["Permissions"] == ["DESCRIBE", "SELECT"] and table["RoleArn"] == ROLE
    policy = table["LakeFormationDataPermissionDetails"]["LFTagPolicy"]
    assert policy == {
        "CatalogId": "111122223333",
        "ResourceType": "TABLE",
        "ResourceDetails": {"Table": {"Expression": expression}},
    }


def test_export_assets_to_s3_with_keys_and_encryption(env: DataExchangeEnv) -> None:
    source, target = env.bucket(), env.bucket()
    env.buckets.put(source, "in/a.csv", b"aaa")
    env.buckets.put(source, "in/b.csv", b"bbb")
    ds = env.data_set()
    rev = env.revision(ds)
    env.run(
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [
                    {"Bucket": source, "Key": "in/a.csv"},
                    {"Bucket": source, "Key": "in/b.csv"},
                ],
            }
        },
    )
    assets = {a["Name"]: a["Id"] for a in _assets(env, ds, rev)}
    job = env.run(
        "EXPORT_ASSETS_TO_S3",
        {
            "ExportAssetsToS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "Encryption": {"Type": "AES256"},
                "AssetDestinations": [
                    {"AssetId": assets["in/a.csv"], "Bucket": target, "Key": "out/renamed.csv"},
                    {"AssetId": assets["in/b.csv"], "Bucket": target},  # no key: the asset's name
                ],
            }
        },
    )
    assert job["State"] == "COMPLETED", job["Errors"]
    assert job["Details"]["ExportAssetsToS3"]["Encryption"] == {"Type": "AES256"}
    assert (
        env.buckets.get(target, "out/renamed.csv") == b"aaa" and env.buckets.get(target, "in/b.csv") == b"bbb"
    )
    if env.kind == "s3":  # a real S3 endpoint applies the export's server-side encryption
        s3 = env.buckets.s3  # type: ignore[attr-defined]
        assert s3.head_object(Bucket=target, Key="out/renamed.csv")["ServerSideEncryption"] == "AES256"
    # a missing destination bucket fails before anything is written
    job = env.run(
        "EXPORT_ASSETS_TO_S3",
        {
            "ExportAssetsToS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetDestinations": [
                    {"AssetId": assets["in/a.csv"], "Bucket": target, "Key": "second/a.csv"},
                    {"AssetId": assets["in/b.csv"], "Bucket": "dx-missing-destination"},
                ],
            }
        },
    )
    assert job["State"] == "ERROR" and job["Errors"][0]["Code"] == "RESOURCE_NOT_FOUND_EXCEPTION"
    assert env.buckets.get(target, "second/a.csv") is None


def test_limits(limited: DataExchangeEnv) -> None:
    env, dx = limited, limited.dx
    source = env.bucket()
    for number in range(5):
        env.buckets.put(source, f"{number}.csv", str(number).encode())
    ds = env.data_set()
    rev = env.revision(ds)

    def sources(*numbers: int) -> dict:
        return {
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [{"Bucket": source, "Key": f"{n}.csv"} for n in numbers],
            }
        }

    with pytest.raises(ClientError) as caught:
        dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=sources(0, 1, 2, 3))
    response = caught.value.response
    assert response["Error"]["Code"] == "ServiceLimitExceededException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert (response["LimitName"], response["LimitValue"]) == ("Assets per import job from Amazon S3", 3.0)

    assert env.run("IMPORT_ASSETS_FROM_S3", sources(0, 1))["State"] == "COMPLETED"
    job = env.run("IMPORT_ASSETS_FROM_S3", sources(2, 3))
    assert job["State"] == "ERROR"
    error = job["Errors"][0]
    assert error["Code"] == "SERVICE_QUOTA_EXCEEDED_EXCEPTION"
    assert (error["LimitName"], error["LimitValue"]) == (
        "Assets per revision",
        LIMITED["Assets per revision"],
    )
    assert (error["ResourceType"], error["ResourceId"]) == ("REVISION", rev)
    assert len(dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]) == 2

    env.server.control("pace", pace="step")
    try:
        first = dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=sources(2))
        second = dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=sources(2))
        dx.start_job(JobId=first["Id"])
        with pytest.raises(ClientError) as caught:
            dx.start_job(JobId=second["Id"])
        assert caught.value.response["Error"]["Code"] == "ServiceLimitExceededException"
        assert (
            caught.value.response["LimitName"]
            == "Concurrent in progress jobs to import assets from Amazon S3"
        )
        assert dx.get_job(JobId=second["Id"])["State"] == "WAITING"
        dx.cancel_job(JobId=second["Id"])
    finally:
        env.server.control("pace", pace="instant")
    assert env.wait(first["Id"])["State"] == "COMPLETED"

    target = env.bucket()
    action = {"ExportRevisionToS3": {"RevisionDestination": {"Bucket": target}}}
    dx.create_event_action(Event={"RevisionPublished": {"DataSetId": ds}}, Action=action)
    with pytest.raises(ClientError) as caught:
        dx.create_event_action(Event={"RevisionPublished": {"DataSetId": ds}}, Action=action)
    assert caught.value.response["LimitName"] == "Auto export event actions per data set"


def test_job_time_limit(limited: DataExchangeEnv) -> None:
    env, dx = limited, limited.dx
    source = env.bucket()
    env.buckets.put(source, "slow.csv", b"s")
    ds = env.data_set()
    rev = env.revision(ds)
    env.server.control("pace", pace="step")
    try:
        job = dx.create_job(
            Type="IMPORT_ASSETS_FROM_S3",
            Details={
                "ImportAssetsFromS3": {
                    "DataSetId": ds,
                    "RevisionId": rev,
                    "AssetSources": [{"Bucket": source, "Key": "slow.csv"}],
                }
            },
        )
        dx.start_job(JobId=job["Id"])
        env.server.control("advance", jobId=job["Id"], steps=1)  # it starts, then waits for its next step
        time.sleep(LIMITED["Job time limit in seconds"] + 1)
        env.server.control("advance", jobId=job["Id"], steps=5)
        done = env.wait(job["Id"])
    finally:
        env.server.control("pace", pace="instant")
    assert done["State"] == "TIMED_OUT"
    assert dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"] == []
