"""Pieces of the export job that need no server: object keys, roles, aborted multipart uploads."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from jobforge.services.robomaker.export import ExportWorld, write_archive
from jobforge.services.robomaker.export_job import archive_key, role_store
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import generate_world, world_description
from jobforge.storage import LocalObjectStore, S3ObjectStore
from tests.robomaker.samples import sample_body
from tests.support import free_port


def test_archive_key() -> None:
    assert (
        archive_key("exports", "export-47kzhtt2yf3g")
        == "exports/aws-robomaker-worldforge-export-47kzhtt2yf3g.zip"
    )
    assert archive_key("a/b/", "export-x") == "a/b/aws-robomaker-worldforge-export-x.zip"
    # a leading "/" stays, for the key check to refuse: no silent move to "lead/"
    assert archive_key("/lead", "export-x") == "/lead/aws-robomaker-worldforge-export-x.zip"
    assert archive_key("/", "export-x") == "/aws-robomaker-worldforge-export-x.zip"
    assert (
        archive_key(None, "export-x")
        == archive_key("", "export-x")
        == "aws-robomaker-worldforge-export-x.zip"
    )


def test_an_endpoint_without_sts_only_records_the_role(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    store = LocalObjectStore(tmp_path)
    assert role_store(store, closed, "arn:aws:iam::123456789012:role/r", "jobforge-test", "us-east-1") is None


@pytest.fixture
def aws() -> Iterator[None]:
    keys = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(keys)
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_interrupted_export_aborts_its_multipart_upload(aws: None) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="exports")
    store = S3ObjectStore(client, part_size=5 * 1024 * 1024)
    noise = os.urandom(1024 * 1024)  # previews are stored uncompressed: 1 MiB per world

    def worlds() -> Iterator[ExportWorld]:
        for n in range(1, 20):
            w = generate_world(
                parse_template_body(sample_body("OneRoom")), n, n, world_id=f"generation_x_world_{n}"
            )
            yield ExportWorld(w, json.dumps(world_description(w)), noise + bytes([n]))

    written = 0

    def stop_after_eight() -> None:
        nonlocal written
        written += 1
        if written == 9:
            assert client.list_multipart_uploads(Bucket="exports").get("Uploads"), (
                "a multipart upload is open"
            )
            raise RuntimeError("canceled")

    with pytest.raises(RuntimeError), store.writer("exports", "a.zip") as out:
        write_archive(out, worlds(), between_worlds=stop_after_eight)
    assert client.list_multipart_uploads(Bucket="exports").get("Uploads") is None
    assert client.list_objects_v2(Bucket="exports").get("KeyCount") == 0
