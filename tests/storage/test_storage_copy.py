"""The store's copy, size and parallel writer, on both backends (S3: moto over HTTP).

Multipart copies and uploads are journaled like every multipart upload jobforge starts: ended
when they complete or are aborted, so only a crash leaves work for the start-up sweep.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jobforge.storage import (
    AccessDenied,
    LocalObjectStore,
    NoSuchBucket,
    NoSuchKey,
    ObjectStore,
    S3ObjectStore,
    ServerSideEncryption,
    StorageError,
    UploadJournal,
)
from jobforge.storage.s3 import _translate
from tests.support import MotoServer

MiB = 1024 * 1024
PART = 5 * MiB
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    moto = MotoServer().start()
    yield moto.url
    moto.stop()


@pytest.fixture
def s3_store(moto_url: str, tmp_path: Path) -> S3ObjectStore:
    journal = UploadJournal(tmp_path / "s3-uploads")  # not the shared one: each test reads its own
    return S3ObjectStore.connect(
        moto_url, part_size=PART, copy_threshold=PART, journal=journal, **CREDENTIALS
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "data")
    return request.getfixturevalue("s3_store")


@pytest.fixture
def bucket(store: ObjectStore) -> str:
    name = f"copy-{uuid.uuid4().hex[:12]}"
    store.create_bucket(name)
    return name


def _data(size: int) -> bytes:
    return (uuid.uuid4().bytes * (size // 16 + 1))[:size]


def _calls(store: S3ObjectStore, operation: str) -> list[dict[str, Any]]:
    """The parameters of every ``operation`` request the store's client sends from now on."""
    seen: list[dict[str, Any]] = []
    store.client.meta.events.register(
        f"before-parameter-build.s3.{operation}", lambda params, **_: seen.append(params)
    )
    return seen


def _fail(store: S3ObjectStore, operation: str, part_number: int) -> None:
    """Make the ``part_number``-th part of ``operation`` fail as S3 would."""

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("PartNumber") == part_number:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, operation)

    store.client.meta.events.register(f"before-parameter-build.s3.{operation}", refuse)


def _pending_uploads(store: S3ObjectStore, bucket: str) -> list[str]:
    return [u["UploadId"] for u in store.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def _journaled(store: S3ObjectStore) -> str:
    """What the store's journal still holds (empty once every upload it recorded has ended)."""
    assert store.journal is not None
    files = list(store.journal.directory.glob("uploads-*.jsonl"))
    return "".join(path.read_text() for path in files)


# -- size ------------------------------------------------------------------------------------------
def test_size_and_its_errors(store: ObjectStore, bucket: str) -> None:
    store.put_bytes(bucket, "k", b"12345")
    assert store.size(bucket, "k") == 5
    with pytest.raises(NoSuchKey):
        store.size(bucket, "missing")
    with pytest.raises(NoSuchBucket):
        store.size(f"missing-{uuid.uuid4().hex[:8]}", "k")


def test_local_size_does_not_hash_a_dropped_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "data")
    store.create_bucket("inputs")
    dropped = tmp_path / "data" / "buckets" / "inputs" / "by-hand.bin"
    dropped.write_bytes(b"x" * 1000)
    assert store.size("inputs", "by-hand.bin") == 1000
    with pytest.raises(OSError):
        os.getxattr(dropped, "user.jobforge")  # no ETag was computed (and remembered) for it
    dropped.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(AccessDenied):
            store.size("inputs", "by-hand.bin")  # unreadable: refused before any copy starts


# -- copy ------------------------------------------------------------------------------------------
def test_copy_with_a_known_size_sends_no_head(s3_store: S3ObjectStore) -> None:
    bucket = f"copy-{uuid.uuid4().hex[:12]}"
    s3_store.create_bucket(bucket)
    data = _data(1000)
    s3_store.put_bytes(bucket, "src", data, content_type="text/csv")
    heads = _calls(s3_store, "HeadObject")
    info = s3_store.copy(bucket, "src", bucket, "dst", size=len(data))
    assert heads == []
    assert (info.size, info.etag) == (len(data), s3_store.head(bucket, "src").etag)
    assert s3_store.head(bucket, "dst").content_type == "text/csv"  # S3 copies the metadata itself


@pytest.mark.parametrize("size", [1000, 2 * PART + 3], ids=["single", "multipart"])
def test_s3_copy_applies_server_side_encryption(s3_store: S3ObjectStore, size: int) -> None:
    bucket = f"copy-{uuid.uuid4().hex[:12]}"
    s3_store.create_bucket(bucket)
    data = _data(size)
    s3_store.put_bytes(bucket, "src", data, content_type="video/mp4")
    info = s3_store.copy(bucket, "src", bucket, "dst", encryption=ServerSideEncryption("AES256"))
    head = s3_store.client.head_object(Bucket=bucket, Key="dst")
    assert head["ServerSideEncryption"] == "AES256"
    assert (info.size, info.content_type) == (size, "video/mp4")
    assert s3_store.get_bytes(bucket, "dst") == data


def test_local_copy_keeps_content_type_and_ignores_encryption(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "data")
    store.create_bucket("bkt")
    store.put_bytes("bkt", "src", b"abc", content_type="text/plain")
    info = store.copy("bkt", "src", "bkt", "dst", size=3, encryption=ServerSideEncryption("aws:kms", "key"))
    assert (info.size, info.content_type) == (3, "text/plain")
    assert store.head("bkt", "dst").content_type == "text/plain"
    assert store.get_bytes("bkt", "dst") == b"abc"


def test_multipart_copy_is_journaled_until_it_completes(s3_store: S3ObjectStore) -> None:
    bucket = f"copy-{uuid.uuid4().hex[:12]}"
    s3_store.create_bucket(bucket)
    data = _data(2 * PART + 3)
    s3_store.put_bytes(bucket, "src", data)
    journal_during_parts: list[str] = []
    s3_store.client.meta.events.register(
        "before-call.s3.UploadPartCopy", lambda **_: journal_during_parts.append(_journaled(s3_store))
    )
    info = s3_store.copy(bucket, "src", bucket, "dst")
    assert info.etag.endswith("-3")
    assert all('"op": "start"' in text and bucket in text for text in journal_during_parts)
    assert len(journal_during_parts) == 3
    assert _journaled(s3_store) == ""  # completed: nothing left for a sweep
    assert s3_store.get_bytes(bucket, "dst") == data


def test_failed_multipart_copy_is_aborted_and_leaves_nothing(s3_store: S3ObjectStore) -> None:
    bucket = f"copy-{uuid.uuid4().hex[:12]}"
    s3_store.create_bucket(bucket)
    s3_store.put_bytes(bucket, "src", _data(2 * PART + 3))
    _fail(s3_store, "UploadPartCopy", 2)
    with pytest.raises(StorageError, match="UploadPartCopy"):
        s3_store.copy(bucket, "src", bucket, "dst")
    assert _pending_uploads(s3_store, bucket) == []
    assert _journaled(s3_store) == ""
    with pytest.raises(NoSuchKey):
        s3_store.head(bucket, "dst")


# -- the parallel writer ---------------------------------------------------------------------------
def test_parallel_writer_round_trip(store: ObjectStore, bucket: str) -> None:
    data = _data(3 * PART + PART // 2)
    with store.writer(bucket, "out", "text/plain", parts_in_flight=3) as out:
        for offset in range(0, len(data), MiB):
            out.write(data[offset : offset + MiB])
    assert out.info.size == len(data)
    assert store.get_bytes(bucket, "out") == data
    if isinstance(store, S3ObjectStore):
        assert out.info.etag.endswith("-4")
        assert store.head(bucket, "out").content_type == "text/plain"
        assert _journaled(store) == ""


def test_parallel_writer_failed_part_aborts_the_upload(s3_store: S3ObjectStore) -> None:
    bucket = f"copy-{uuid.uuid4().hex[:12]}"
    s3_store.create_bucket(bucket)
    _fail(s3_store, "UploadPart", 2)
    out = s3_store.writer(bucket, "out", parts_in_flight=2)
    with pytest.raises(StorageError, match="UploadPart"):
        with out:
            for _ in range(4):
                out.write(_data(PART))
    assert out.closed
    assert _pending_uploads(s3_store, bucket) == []
    assert _journaled(s3_store) == ""


def test_writer_refuses_no_parts_in_flight(s3_store: S3ObjectStore) -> None:
    with pytest.raises(ValueError, match="parts_in_flight"):
        s3_store.writer("some-bucket", "k", parts_in_flight=0)


# -- one error mapping -----------------------------------------------------------------------------
def test_kms_refusals_are_access_denied() -> None:
    for code in ("KMS.NotFoundException", "KMSAccessDenied"):
        error = ClientError({"Error": {"Code": code, "Message": "no key"}}, "CopyObject")
        denied = _translate(error, "CopyObject", "b", "k")
        assert isinstance(denied, AccessDenied)
        assert (denied.bucket, denied.key) == ("b", "k")
