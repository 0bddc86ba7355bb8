"""Jobs and listings end to end with only client calls (issue #13): a ValidateAddress job and Data
Exchange imports and exports over buckets made and read through jobforge's S3 API, and listings of
2,500 keys through boto3's paginators and ``aws s3 ls``. No test here reads or writes the data dir."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.dataexchange.conftest import DataExchangeEnv, S3Buckets
from tests.location.fixtures import CASES, cases_table, location_server, parquet_bytes
from tests.location.helpers import s3_output, start, wait_job
from tests.s3.test_aws_cli import aws_s3
from tests.support import JobforgeServer, client

ACCOUNT = "100000000015"  # this module's own account
G = "Output_ValidationResults_"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    """A server of this module's own, given the Location reference data before it starts."""
    running = location_server(tmp_path_factory.mktemp("s3-flows"))
    yield running
    running.stop()


@pytest.fixture
def s3(server: JobforgeServer) -> Any:
    return client("s3", server.url, access_key=ACCOUNT)


def test_validate_address_through_s3(server: JobforgeServer, s3: Any) -> None:
    s3.create_bucket(Bucket="flow-loc-in")
    s3.create_bucket(Bucket="flow-loc-out")
    s3.put_object(Bucket="flow-loc-in", Key="batch/cases.parquet", Body=parquet_bytes(cases_table()))
    location = client("location", server.url, access_key=ACCOUNT)
    role = f"arn:aws:iam::{ACCOUNT}:role/LocationServiceJobExecutionRole"  # a role of the caller's account
    job_id = start(location, "s3://flow-loc-in/batch/", "s3://flow-loc-out/results/", role)["JobId"]
    job = wait_job(location, job_id)
    assert job["Status"] == "Completed", job.get("Error")
    folder = f"results/{job_id}/"
    manifest, rows, _ = s3_output(s3, "flow-loc-out", "results/", job_id)  # GetObject only
    assert manifest["rows"] == len(rows) == len(CASES)
    listed = s3.list_objects_v2(Bucket="flow-loc-out", Prefix=folder)["Contents"]
    parts = [entry["output"].split("/", 3)[3] for entry in manifest["files"]]
    assert [item["Key"] for item in listed] == sorted([folder + "manifest.json", *parts])
    by_id = {row["Input_Id"]: row for row in rows}
    assert by_id["exact"][G + "ValidationGranularity"] == "Premise"
    assert by_id["typo-street"][G + "Components_Address_Street_StatusDetail"] == "Corrected"
    assert by_id["empty"]["ErrorType"] == "ValidationError"


def test_data_exchange_import_and_export_through_s3(server: JobforgeServer, s3: Any) -> None:
    data = b"day,price\n1,10\n2,11\n" * 500
    dx = client("dataexchange", server.url, access_key=ACCOUNT)
    env = DataExchangeEnv("local", server, dx, S3Buckets(s3))  # its buckets go through the S3 API
    env.buckets.create("flow-dx-source")
    env.buckets.create("flow-dx-target")
    env.buckets.put("flow-dx-source", "daily/prices.csv", data)
    ds = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="Flow prices", Description="prices")["Id"]
    rev = dx.create_revision(DataSetId=ds, Comment="r")["Id"]
    source = [{"Bucket": "flow-dx-source", "Key": "daily/prices.csv"}]
    imported = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": source}},
    )
    assert imported["State"] == "COMPLETED", imported["Errors"]
    asset = dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"][0]
    destination = {"AssetId": asset["Id"], "Bucket": "flow-dx-target", "Key": "copies/prices.csv"}
    exported = env.run(
        "EXPORT_ASSETS_TO_S3",
        {"ExportAssetsToS3": {"DataSetId": ds, "RevisionId": rev, "AssetDestinations": [destination]}},
    )
    assert exported["State"] == "COMPLETED", exported["Errors"]
    assert env.buckets.get("flow-dx-target", "copies/prices.csv") == data
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    pattern = "${DataSet.Name}/${Revision.Id}/${Asset.Name}"
    revisions = env.run(
        "EXPORT_REVISIONS_TO_S3",
        {
            "ExportRevisionsToS3": {
                "DataSetId": ds,
                "RevisionDestinations": [
                    {"Bucket": "flow-dx-target", "RevisionId": rev, "KeyPattern": pattern}
                ],
            }
        },
    )
    assert revisions["State"] == "COMPLETED", revisions["Errors"]
    assert env.buckets.keys("flow-dx-target") == [
        "Flow prices/" + rev + "/daily/prices.csv",
        "copies/prices.csv",
    ]
    assert env.buckets.get("flow-dx-target", f"Flow prices/{rev}/daily/prices.csv") == data


PREFIXES = ("alpha/", "beta/deep/", "gamma/", "")  # "" puts keys at the top level


def test_listing_2500_keys(server: JobforgeServer) -> None:
    # the access key aws_s3 signs with, so that the CLI's account owns the bucket
    s3 = client("s3", server.url, access_key="AKIDCLI", max_pool_connections=16)
    bucket = "flow-many-keys"
    s3.create_bucket(Bucket=bucket)
    keys = sorted(f"{PREFIXES[i % len(PREFIXES)]}k{i:05d}.txt" for i in range(2500))
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=key.encode()), keys))

    v2 = s3.get_paginator("list_objects_v2")
    pages = list(v2.paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}))
    assert [len(page["Contents"]) for page in pages] == [1000, 1000, 500]
    assert [item["Key"] for page in pages for item in page["Contents"]] == keys

    pages = list(v2.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1000}))
    top = [item["Key"] for page in pages for item in page.get("Contents", [])]
    common = [item["Prefix"] for page in pages for item in page.get("CommonPrefixes", [])]
    assert top == [key for key in keys if "/" not in key]
    assert common == ["alpha/", "beta/", "gamma/"]
    deep = v2.paginate(Bucket=bucket, Prefix="beta/", Delimiter="/", PaginationConfig={"PageSize": 100})
    assert [p["Prefix"] for page in deep for p in page.get("CommonPrefixes", [])] == ["beta/deep/"]

    v1 = s3.get_paginator("list_objects")
    pages = list(v1.paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}))
    assert [item["Key"] for page in pages for item in page["Contents"]] == keys
    pages = list(v1.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 7}))
    assert [item["Key"] for page in pages for item in page.get("Contents", [])] == top
    assert [item["Prefix"] for page in pages for item in page.get("CommonPrefixes", [])] == common

    listing = aws_s3(server, "ls", f"s3://{bucket}/", "--recursive")
    assert [line.split()[-1] for line in listing.splitlines()] == keys
