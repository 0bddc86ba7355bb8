"""Real jobs of all three services for one account, made through boto3 against a real server:
a world template, a world generation job (1 floorplan x 2 interiors) and an export of its worlds,
a Data Exchange import from S3, and a ValidateAddress job with positions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.cli.helpers import TEMPLATE
from tests.location.fixtures import cases_table, parquet_bytes
from tests.support import client


@dataclass
class AccountJobs:
    """What :func:`make_jobs` made, by id and ARN."""

    account: str
    bucket: str
    template: str = ""
    generation_job: str = ""
    worlds: list[str] = field(default_factory=list)
    export_job: str = ""
    data_set: str = ""
    revision: str = ""
    import_job: str = ""
    location_job: str = ""


def wait(
    read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], timeout: float = 180
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout}s: {answer}")
        time.sleep(0.3)


def make_jobs(url: str, access_key: str, secret_key: str, account: str, bucket: str) -> AccountJobs:
    """Every kind of job the console shows, finished, for the account of ``access_key``."""
    keys = {"access_key": access_key, "secret_key": secret_key}
    made = AccountJobs(account, bucket)
    s3 = client("s3", url, **keys)
    s3.create_bucket(Bucket=bucket)
    robomaker = client("robomaker", url, **keys)
    made.template = robomaker.create_world_template(name="flat", templateBody=json.dumps(TEMPLATE))["arn"]
    job = robomaker.create_world_generation_job(
        template=made.template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 2}
    )
    job = wait(
        lambda: robomaker.describe_world_generation_job(job=job["arn"]),
        lambda j: j["status"] not in ("Pending", "Running"),
    )
    assert job["status"] == "Completed", job
    made.generation_job, made.worlds = job["arn"], job["finishedWorldsSummary"]["succeededWorlds"]
    export = robomaker.create_world_export_job(
        worlds=made.worlds,
        outputLocation={"s3Bucket": bucket, "s3Prefix": "exports"},
        iamRole=f"arn:aws:iam::{account}:role/export",
    )
    wait(lambda: robomaker.describe_world_export_job(job=export["arn"]), lambda j: j["status"] == "Completed")
    made.export_job = export["arn"]

    s3.put_object(Bucket=bucket, Key="data/prices.csv", Body=b"day,price\n1,10\n2,11\n")
    dx = client("dataexchange", url, **keys)
    made.data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="Prices", Description="daily prices")[
        "Id"
    ]
    made.revision = dx.create_revision(DataSetId=made.data_set, Comment="first")["Id"]
    created = dx.create_job(
        Type="IMPORT_ASSETS_FROM_S3",
        Details={
            "ImportAssetsFromS3": {
                "DataSetId": made.data_set,
                "RevisionId": made.revision,
                "AssetSources": [{"Bucket": bucket, "Key": "data/prices.csv"}],
            }
        },
    )
    dx.start_job(JobId=created["Id"])
    wait(lambda: dx.get_job(JobId=created["Id"]), lambda j: j["State"] == "COMPLETED")
    made.import_job = created["Id"]

    s3.put_object(Bucket=bucket, Key="addresses/in.parquet", Body=parquet_bytes(cases_table()))
    location = client("location", url, **keys)
    started = location.start_job(
        Action="ValidateAddress",
        ExecutionRoleArn=f"arn:aws:iam::{account}:role/LocationServiceJobExecutionRole",
        InputOptions={"Location": f"s3://{bucket}/addresses/in.parquet", "Format": "Parquet"},
        OutputOptions={"Location": f"s3://{bucket}/validated/", "Format": "Parquet"},
        ActionOptions={"ValidateAddress": {"AdditionalFeatures": ["Position"]}},
        Name="cases",
    )
    wait(lambda: location.get_job(JobId=started["JobId"]), lambda j: j["Status"] == "Completed")
    made.location_job = started["JobId"]
    return made
