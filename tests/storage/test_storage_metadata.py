"""User metadata and kept headers travel with an object through the writer and copy, on both
backends (S3: moto over HTTP); the local store keeps them in the file's extended attribute only."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.support import MotoServer

PART = 5 * 1024 * 1024
META = {"owner": "alice", "run": "7"}
HEADERS = {"CacheControl": "no-cache", "ContentDisposition": "attachment"}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    moto = MotoServer().start()
    yield moto.url
    moto.stop()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "data")
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    url = request.getfixturevalue("moto_url")
    return S3ObjectStore.connect(
        url, part_size=PART, copy_threshold=PART, region_name="us-east-1", **credentials
    )


@pytest.mark.parametrize("size", [10, PART + 1])  # one PutObject; a multipart upload
def test_metadata_is_kept_and_copied(store: ObjectStore, size: int) -> None:
    bucket = f"meta-{uuid.uuid4().hex[:12]}"
    store.create_bucket(bucket)
    with store.writer(bucket, "obj", "text/plain", metadata=META, headers=HEADERS) as out:
        out.write(os.urandom(size))
    assert out.info.metadata == META
    info = store.head(bucket, "obj")
    assert (info.content_type, dict(info.metadata), dict(info.headers)) == ("text/plain", META, HEADERS)
    store.put_bytes(bucket, "plain", b"x")
    assert store.head(bucket, "plain").metadata == {}
    store.copy(bucket, "obj", bucket, "copy")  # the large one in parts on S3
    copied = store.head(bucket, "copy")
    assert (dict(copied.metadata), dict(copied.headers)) == (META, HEADERS)


def test_local_metadata_has_no_sidecar_and_follows_the_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "data")
    store.create_bucket("meta-local")
    store.put_bytes("meta-local", "a/b.txt", b"first")  # no metadata
    with store.writer("meta-local", "a/b.txt", metadata=META) as out:
        out.write(b"second")
    bucket_dir = tmp_path / "data" / "buckets" / "meta-local"
    assert sorted(p.name for p in bucket_dir.rglob("*")) == ["a", "b.txt"]
    assert [info.key for info in store.list_objects("meta-local")] == ["a/b.txt"]
    assert store.head("meta-local", "a/b.txt").metadata == META
    (bucket_dir / "a" / "b.txt").write_bytes(b"edited by hand")  # size and mtime change
    assert store.head("meta-local", "a/b.txt").metadata == {}
