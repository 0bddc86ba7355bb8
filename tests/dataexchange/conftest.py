"""Data Exchange through boto3 against real servers: one on local buckets, one on moto's S3."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import MOTO_CREDENTIALS, JobforgeServer, MotoServer, client, eventually

TERMINAL = ("COMPLETED", "ERROR", "CANCELLED", "TIMED_OUT")


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class Buckets:
    """The user's buckets, wherever the server keeps them."""

    def create(self, bucket: str) -> str:
        raise NotImplementedError

    def put(self, bucket: str, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, bucket: str, key: str) -> bytes | None:
        raise NotImplementedError

    def keys(self, bucket: str) -> list[str]:
        raise NotImplementedError


class LocalBuckets(Buckets):
    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, bucket: str) -> str:
        (self.root / bucket).mkdir(parents=True, exist_ok=True)
        return bucket

    def put(self, bucket: str, key: str, data: bytes) -> None:
        path = self.root / bucket / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def get(self, bucket: str, key: str) -> bytes | None:
        path = self.root / bucket / key
        return path.read_bytes() if path.is_file() else None

    def keys(self, bucket: str) -> list[str]:
        base = self.root / bucket
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


class S3Buckets(Buckets):
    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def create(self, bucket: str) -> str:
        self.s3.create_bucket(Bucket=bucket)
        return bucket

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)

    def get(self, bucket: str, key: str) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError:
            return None

    def keys(self, bucket: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@dataclass
class DataExchangeEnv:
    kind: str
    server: JobforgeServer
    dx: Any
    buckets: Buckets

    def bucket(self) -> str:
        return self.buckets.create(f"dx-test-{uuid.uuid4().hex[:12]}")

    def data_set(self, name: str = "prices", asset_type: str = "S3_SNAPSHOT") -> str:
        return self.dx.create_data_set(AssetType=asset_type, Name=name, Description="test data")["Id"]

    def revision(self, data_set_id: str) -> str:
        return self.dx.create_revision(DataSetId=data_set_id, Comment="r")["Id"]

    def with_asset(self, name: str = "a.csv", data: bytes = b"abc") -> tuple[str, str, str]:
        """(data set, revision, asset) ids: a new revision holding ``data`` imported from S3 as ``name``."""
        source = self.bucket()
        self.buckets.put(source, name, data)
        ds = self.data_set()
        rev = self.revision(ds)
        sources = [{"Bucket": source, "Key": name}]
        details = {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}}
        job = self.run("IMPORT_ASSETS_FROM_S3", details)
        assert job["State"] == "COMPLETED", job["Errors"]
        asset = self.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"][0]
        return ds, rev, asset["Id"]

    def run(self, job_type: str, details: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        job = self.dx.create_job(Type=job_type, Details=details)
        assert job["State"] == "WAITING"
        self.dx.start_job(JobId=job["Id"])
        return self.wait(job["Id"], timeout)

    def wait(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.dx.get_job(JobId=job_id)
            if job["State"] in TERMINAL:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['State']}"
            time.sleep(0.1)

    def internal_keys(self) -> list[str]:
        try:
            return self.buckets.keys("jobforge-dataexchange")
        except (FileNotFoundError, ClientError):
            return []


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    moto = MotoServer().start()
    yield moto.url
    moto.stop()


def start_server(
    kind: str, data_dir: Path, moto_url: str | None = None, limits: str | None = None, *, account: str
) -> tuple[JobforgeServer, Buckets]:
    """A server on which every user bucket belongs to ``account`` (the one the tests call as)."""
    env = {**MOTO_CREDENTIALS, "JOBFORGE_BUCKET_OWNERS": json.dumps({"*": account})}
    if limits:
        env["JOBFORGE_DATAEXCHANGE_LIMITS"] = limits
    args: list[str] = []
    if kind == "s3":
        assert moto_url is not None
        args = ["--s3-endpoint-url", moto_url]
        s3 = boto3.client(
            "s3",
            endpoint_url=moto_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )
        buckets: Buckets = S3Buckets(s3)
    else:
        buckets = LocalBuckets(data_dir / "buckets")
    server = JobforgeServer(data_dir, *args, env=env).start()
    # copies run on the worker processes: a job started while they still import the job libraries
    # waits for them, too long for the limited server's 4 s jobs on a busy machine
    assert eventually(lambda: not server.health().json()["warming"], timeout=60), "workers never warmed up"
    return server, buckets


@pytest.fixture(scope="session", params=["local", "s3"])
def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DataExchangeEnv]:
    kind = request.param
    moto_url = request.getfixturevalue("moto_endpoint") if kind == "s3" else None
    data_dir = tmp_path_factory.mktemp(f"dx-{kind}") / "data"
    server, buckets = start_server(kind, data_dir, moto_url, account="111122223333")
    try:
        yield DataExchangeEnv(
            kind, server, client("dataexchange", server.url, access_key="111122223333"), buckets
        )
    finally:
        server.stop()


LIMITED = {
    "Import signed URL lifetime in seconds": 2,
    "Job time limit in seconds": 4,
    "Assets per revision": 3,
    "Assets per import job from Amazon S3": 3,
    "Concurrent in progress jobs to import assets from Amazon S3": 1,
    "Auto export event actions per data set": 1,
}


@pytest.fixture(scope="session")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataExchangeEnv]:
    """A local server with small limits: 2 s upload URLs, 4 s jobs, 3 assets per revision..."""
    server, buckets = start_server(
        "local",
        tmp_path_factory.mktemp("dx-limited") / "data",
        None,
        json.dumps(LIMITED),
        account="222233334444",
    )
    try:
        yield DataExchangeEnv(
            "local", server, client("dataexchange", server.url, access_key="222233334444"), buckets
        )
    finally:
        server.stop()
