"""The object-store contract, run against both backends: a local directory and S3 (moto over HTTP).

moto runs in a subprocess rather than a thread so that tracemalloc measures only our side of an
upload, not the server's copy of the data.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from jobforge.storage import (
    AccessDenied,
    InvalidBucketName,
    InvalidObjectName,
    KeyConflict,
    LocalObjectStore,
    NoSuchBucket,
    NoSuchKey,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    make_object_store,
)
from jobforge.storage.s3 import _translate
from tests.support import HalfWrittenObject, MotoServer, free_port

MiB = 1024 * 1024
PART = 5 * MiB  # S3's minimum part size: the smallest that still forces multipart uploads
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}

TRAVERSAL_KEYS = [
    "../x",
    "a/../../x",
    "/etc/passwd",
    "%2e%2e/x",
    "a/%2E%2E/%2e%2e/x",
    "%252e%252e/x",
    "a%2f..%2fx",
    "..%2fx",
    "a\\b",
    "..\\x",
    "a\x00b",
    "a\nb",
    ".",
    "..",
    "a/./b",
    "a/..",
    "",
    "x" * 1025,
    "é" * 513,
]
BAD_BUCKETS = ["..", "../x", "ab", "A-bucket", "a_b", "-abc", "abc-", "a..b", "192.168.1.1", ".tmp", "x" * 64]


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    moto = MotoServer().start()
    yield moto.url
    moto.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    return S3ObjectStore.connect(moto_endpoint, **CREDENTIALS).client  # clients are thread-safe


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, data_dir: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(data_dir)
    return S3ObjectStore(request.getfixturevalue("s3_client"), part_size=PART)


@pytest.fixture
def bucket(store: ObjectStore) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    store.create_bucket(name)
    return name


def _pattern(size: int, seed: int = 0) -> bytes:
    """Deterministic, incompressible-enough test data."""
    block = hashlib.sha256(str(seed).encode()).digest() * 32  # 1 KiB
    return (block * (size // len(block) + 1))[:size]


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# -- round trips -----------------------------------------------------------------------------------
def test_put_get_head_round_trip(store: ObjectStore, bucket: str) -> None:
    data = _pattern(100_000)
    info = store.put_bytes(bucket, "dir/sub/file.bin", data, content_type="application/x-test")
    assert (info.bucket, info.key, info.size, info.etag) == (
        bucket,
        "dir/sub/file.bin",
        len(data),
        _md5(data),
    )
    assert info.last_modified.tzinfo is not None

    assert store.get_bytes(bucket, "dir/sub/file.bin") == data
    head = store.head(bucket, "dir/sub/file.bin")
    assert (head.size, head.etag, head.content_type) == (len(data), _md5(data), "application/x-test")
    assert b"".join(store.iter_chunks(bucket, "dir/sub/file.bin", chunk_size=4096)) == data
    assert max(len(c) for c in store.iter_chunks(bucket, "dir/sub/file.bin", chunk_size=4096)) <= 4096

    store.put_bytes(bucket, "empty", b"")
    assert store.get_bytes(bucket, "empty") == b""
    assert store.head(bucket, "empty").size == 0
    assert list(store.iter_chunks(bucket, "empty")) == []
    with store.open_read(bucket, "empty") as stream:
        assert stream.read() == b""


def test_chunk_size_must_be_positive(store: ObjectStore, bucket: str) -> None:
    store.put_bytes(bucket, "k", b"data")
    with pytest.raises(ValueError, match="chunk_size"):
        list(store.iter_chunks(bucket, "k", chunk_size=0))


def test_overwrite_replaces_content(store: ObjectStore, bucket: str) -> None:
    store.put_bytes(bucket, "k", b"first version")
    info = store.put_bytes(bucket, "k", b"second")
    assert store.get_bytes(bucket, "k") == b"second"
    assert store.head(bucket, "k").etag == info.etag == _md5(b"second")


@pytest.mark.parametrize(
    "key", ["with space/and%20percent", "unicode/日本語.txt", "a.b/..c/...", "100%", "x" * 255]
)
def test_unusual_but_valid_keys(store: ObjectStore, bucket: str, key: str) -> None:
    store.put_bytes(bucket, key, b"ok")
    assert store.get_bytes(bucket, key) == b"ok"
    assert [o.key for o in store.list_objects(bucket)] == [key]


def test_open_read_is_seekable(store: ObjectStore, bucket: str) -> None:
    data = _pattern(3 * MiB + 123, seed=1)
    store.put_bytes(bucket, "blob", data)
    with store.open_read(bucket, "blob") as stream:
        assert stream.seekable()
        assert stream.read(10) == data[:10]
        stream.seek(-100, io.SEEK_END)
        assert stream.read() == data[-100:]
        stream.seek(MiB - 5)
        assert stream.read(2 * MiB) == data[MiB - 5 : 3 * MiB - 5]
        assert stream.tell() == 3 * MiB - 5
        stream.seek(0)
        assert stream.read() == data
        assert stream.read(1) == b""


def test_s3_reads_use_few_requests(moto_endpoint: str) -> None:
    store = S3ObjectStore.connect(moto_endpoint, part_size=PART, **CREDENTIALS)
    bucket = f"reads-{uuid.uuid4().hex[:8]}"
    store.create_bucket(bucket)
    data = _pattern(3 * MiB, seed=6)
    store.put_bytes(bucket, "blob", data)
    gets: list[str] = []
    store.client.meta.events.register("before-call.s3.GetObject", lambda params, **_: gets.append(params))
    with store.open_read(bucket, "blob") as stream:
        assert stream.read() == data
    assert len(gets) == 1
    with store.open_read(bucket, "blob") as stream:
        while stream.read(1000):  # small reads are served from a 1 MiB buffer
            pass
    assert len(gets) == 1 + 3


def test_reader_never_mixes_two_versions(store: ObjectStore, bucket: str) -> None:
    old, new = _pattern(2 * MiB, seed=7), _pattern(2 * MiB, seed=8)
    store.put_bytes(bucket, "v", old)
    with store.open_read(bucket, "v") as stream:
        assert stream.read(10) == old[:10]
        store.put_bytes(bucket, "v", new)
        stream.seek(MiB + MiB // 2)
        if isinstance(store, S3ObjectStore):  # each ranged GET is pinned to the first version's ETag
            with pytest.raises(StorageError, match="changed while being read"):
                stream.read()
        else:  # the open file keeps the replaced version
            assert stream.read() == old[MiB + MiB // 2 :]
    assert store.get_bytes(bucket, "v") == new


def test_parquet_through_the_store(store: ObjectStore, bucket: str) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"id": list(range(50_000)), "name": [f"row {i}" for i in range(50_000)]})
    with store.writer(bucket, "tables/t.parquet", "application/vnd.apache.parquet") as out:
        pq.write_table(table, out, row_group_size=10_000)
    with store.open_read(bucket, "tables/t.parquet") as stream:
        assert pq.read_table(stream, columns=["name"]).column("name").to_pylist()[-1] == "row 49999"
    with store.open_read(bucket, "tables/t.parquet") as stream:
        assert pq.ParquetFile(stream).metadata.num_rows == 50_000


def test_zip_archive_streams_into_a_writer(store: ObjectStore, bucket: str) -> None:
    with store.writer(bucket, "export/world.zip", "application/zip") as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
            archive.writestr("model.sdf", "<sdf/>" * 1000)
            archive.writestr("meshes/a.dae", _pattern(200_000))
    with store.open_read(bucket, "export/world.zip") as stream, zipfile.ZipFile(stream) as archive:
        assert archive.namelist() == ["model.sdf", "meshes/a.dae"]
        assert archive.read("meshes/a.dae") == _pattern(200_000)


# -- streaming writes ------------------------------------------------------------------------------
def test_large_streamed_write_keeps_memory_bounded(store: ObjectStore, bucket: str) -> None:
    chunk = _pattern(MiB, seed=2)
    total = 20 * MiB
    digest = hashlib.md5()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with store.writer(bucket, "big.bin") as out:
            for i in range(total // MiB):
                piece = chunk[:-1] + bytes([i])  # fresh bytes each time, like a real producer
                out.write(piece)
                digest.update(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # At most one part buffered (S3) plus the producer's 1 MiB chunks; never the 20 MiB object.
    assert peak < 2 * PART + 2 * MiB, f"peak {peak / MiB:.1f} MiB"
    info = out.info
    assert info.size == total
    head = store.head(bucket, "big.bin")
    assert head.size == total
    if isinstance(store, S3ObjectStore):
        assert info.etag.endswith(f"-{-(-total // PART)}")  # a multipart upload of 4 parts
    else:
        assert info.etag == digest.hexdigest()
    assert info.etag == head.etag

    check = hashlib.md5()
    tracemalloc.start()
    try:
        for piece in store.iter_chunks(bucket, "big.bin", chunk_size=MiB):
            check.update(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert check.hexdigest() == digest.hexdigest()
    assert peak < 4 * MiB, f"iter_chunks peak {peak / MiB:.1f} MiB"


def test_put_stream_and_big_put_bytes(store: ObjectStore, bucket: str) -> None:
    chunks = [_pattern(700_000, seed=i) for i in range(12)]
    info = store.put_stream(bucket, "stream.bin", iter(chunks), content_type="text/plain")
    data = b"".join(chunks)
    assert info.size == len(data)
    assert store.get_bytes(bucket, "stream.bin") == data
    assert store.head(bucket, "stream.bin").content_type == "text/plain"
    big = _pattern(PART + 1, seed=3)
    assert store.put_bytes(bucket, "big-put", big).size == len(big)
    assert store.get_bytes(bucket, "big-put") == big


def _assert_no_leftovers(store: ObjectStore, bucket: str, data_dir: Path) -> None:
    assert list(store.list_objects(bucket)) == []
    if isinstance(store, S3ObjectStore):
        assert store.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    else:
        assert list((data_dir / "buckets" / ".tmp").iterdir()) == []


def test_writer_aborted_by_exception_leaves_nothing(store: ObjectStore, bucket: str, data_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="producer failed"):
        with store.writer(bucket, "partial.bin") as out:
            out.write(_pattern(PART + MiB))  # past one part: a multipart upload is under way on S3
            out.write(b"more")
            raise RuntimeError("producer failed")
    with pytest.raises(NoSuchKey):
        store.head(bucket, "partial.bin")
    with pytest.raises(StorageError):
        out.write(b"after abort")
    with pytest.raises(StorageError):
        _ = out.info
    _assert_no_leftovers(store, bucket, data_dir)


def test_explicit_abort_and_failing_iterable(store: ObjectStore, bucket: str, data_dir: Path) -> None:
    out = store.writer(bucket, "aborted")
    out.write(_pattern(PART * 2 + 10))
    out.abort()
    out.abort()  # idempotent
    assert out.closed

    def chunks() -> Iterator[bytes]:
        yield _pattern(PART + 1)
        raise ValueError("source broke")

    with pytest.raises(ValueError, match="source broke"):
        store.put_stream(bucket, "from-iterable", chunks())
    _assert_no_leftovers(store, bucket, data_dir)


def test_s3_failed_part_aborts_the_upload_and_keeps_the_first_error(s3_client: Any) -> None:
    class FlakyClient:
        """The real client, except that parts fail and so, optionally, does the abort."""

        def __init__(self, real: Any, abort_fails: bool) -> None:
            self.real, self.abort_fails, self.aborted = real, abort_fails, 0

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

        def upload_part(self, **params: object) -> None:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "disk on fire"}}, "UploadPart")

        def abort_multipart_upload(self, **params: object) -> object:
            self.aborted += 1
            if self.abort_fails:
                raise ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "AbortMultipartUpload")
            return self.real.abort_multipart_upload(**params)

    bucket = f"flaky-{uuid.uuid4().hex[:8]}"
    s3_client.create_bucket(Bucket=bucket)
    for abort_fails in (False, True):
        flaky = FlakyClient(s3_client, abort_fails)
        store = S3ObjectStore(flaky, part_size=PART)
        with pytest.raises(StorageError, match="disk on fire"):
            with store.writer(bucket, "k") as out:
                out.write(_pattern(PART + 1))
        assert flaky.aborted == 1
    uploads = s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert len(uploads) == 1  # only the one whose abort was made to fail


def test_previous_version_survives_failed_overwrite(store: ObjectStore, bucket: str) -> None:
    store.put_bytes(bucket, "k", b"good")
    with pytest.raises(RuntimeError):
        with store.writer(bucket, "k") as out:
            out.write(_pattern(PART + 1))
            raise RuntimeError
    assert store.get_bytes(bucket, "k") == b"good"


def test_writer_commit_is_explicit_and_idempotent(store: ObjectStore, bucket: str) -> None:
    out = store.writer(bucket, "explicit", content_type="text/csv")
    out.write(b"a,b\n")
    with pytest.raises(NoSuchKey):
        store.head(bucket, "explicit")  # nothing visible before commit
    info = out.commit()
    assert out.commit() is info
    assert out.info.etag == _md5(b"a,b\n") == store.head(bucket, "explicit").etag


# -- listing ---------------------------------------------------------------------------------------
LIST_KEYS = ["dir-x", "dir.txt", "dir/a", "dir/b/c", "dir/b/d", "dir/b0", "dir0", "e", "é/x", "z/y/x"]


@pytest.mark.parametrize(
    ("prefix", "start_after"),
    [
        ("", None),
        ("dir", None),
        ("dir/", None),
        ("dir/b", None),
        ("dir/b/", None),
        ("nothing", None),
        ("", "dir/"),
        ("", "dir/a"),
        ("", "dir/b"),
        ("", "dir/b/c"),
        ("dir/", "dir/b/c"),
        ("", "dir0"),
        ("", "a"),
        ("", "zzz"),
        ("z/y/", "z"),
    ],
)
def test_list_objects_prefix_and_start_after(
    store: ObjectStore, bucket: str, prefix: str, start_after: str | None
) -> None:
    for key in LIST_KEYS:
        store.put_bytes(bucket, key, key.encode())
    expected = [
        k for k in sorted(LIST_KEYS) if k.startswith(prefix) and (start_after is None or k > start_after)
    ]
    listed = list(store.list_objects(bucket, prefix=prefix, start_after=start_after))
    assert [o.key for o in listed] == expected
    for obj in listed:
        assert (obj.bucket, obj.size, obj.etag) == (bucket, len(obj.key.encode()), _md5(obj.key.encode()))


def test_list_is_in_s3_byte_order(store: ObjectStore, bucket: str) -> None:
    keys = ["a-b", "a/b", "a0", "A", "a b", "a.b", "a~", "ä"]
    for key in keys:
        store.put_bytes(bucket, key, b"")
    assert [o.key for o in store.list_objects(bucket)] == sorted(keys, key=lambda k: k.encode())


def test_list_many_pages(store: ObjectStore, bucket: str) -> None:
    if isinstance(store, S3ObjectStore):
        store = S3ObjectStore(store.client, part_size=PART, list_page_size=7)  # many ListObjectsV2 pages
    keys = [f"p/{i:03d}" for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: store.put_bytes(bucket, k, b"x"), keys))
    assert [o.key for o in store.list_objects(bucket, prefix="p/")] == keys
    assert [o.key for o in store.list_objects(bucket, prefix="p/", start_after="p/020")] == keys[21:]


# -- head, delete, copy ----------------------------------------------------------------------------
def test_delete_is_idempotent(store: ObjectStore, bucket: str) -> None:
    store.put_bytes(bucket, "a/b/c", b"1")
    store.delete(bucket, "a/b/c")
    store.delete(bucket, "a/b/c")
    store.delete(bucket, "never/existed")
    with pytest.raises(NoSuchKey):
        store.head(bucket, "a/b/c")
    assert list(store.list_objects(bucket)) == []
    store.put_bytes(bucket, "a", b"now a plain object")  # no leftover directory blocks 'a'
    assert store.get_bytes(bucket, "a") == b"now a plain object"


def test_copy(store: ObjectStore, bucket: str) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}"
    store.create_bucket(other)
    data = _pattern(300_000, seed=4)
    store.put_bytes(bucket, "src/file", data, content_type="image/png")
    info = store.copy(bucket, "src/file", other, "dst/file")
    assert (info.bucket, info.key, info.size, info.etag) == (other, "dst/file", len(data), _md5(data))
    assert info.content_type == "image/png"
    assert store.get_bytes(other, "dst/file") == data
    store.copy(bucket, "src/file", bucket, "src/file")  # onto itself
    assert store.get_bytes(bucket, "src/file") == data
    with pytest.raises(NoSuchKey):
        store.copy(bucket, "missing", other, "x")
    with pytest.raises(NoSuchBucket):
        store.copy(bucket, "src/file", "no-such-bucket-here", "x")


def test_s3_multipart_copy(moto_endpoint: str) -> None:
    store = S3ObjectStore.connect(moto_endpoint, part_size=PART, copy_threshold=PART, **CREDENTIALS)
    bucket = f"copy-{uuid.uuid4().hex[:8]}"
    store.create_bucket(bucket)
    data = _pattern(2 * PART + 7, seed=5)
    store.put_bytes(bucket, "big", data, content_type="video/mp4")
    info = store.copy(bucket, "big", bucket, "big-copy")
    assert info.etag.endswith("-3")  # really copied part by part
    assert info.content_type == "video/mp4"
    assert store.get_bytes(bucket, "big-copy") == data


# -- errors ----------------------------------------------------------------------------------------
def test_missing_bucket_and_key(store: ObjectStore, bucket: str) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    assert store.bucket_exists(bucket)
    assert not store.bucket_exists(missing)
    for call in (
        lambda: store.head(missing, "k"),
        lambda: store.get_bytes(missing, "k"),
        lambda: store.open_read(missing, "k"),
        lambda: list(store.iter_chunks(missing, "k")),
        lambda: list(store.list_objects(missing)),
        lambda: store.put_bytes(missing, "k", b"x"),
        lambda: store.put_stream(missing, "k", [b"x"]),
        lambda: store.delete(missing, "k"),
    ):
        with pytest.raises(NoSuchBucket) as err:
            call()
        assert err.value.bucket == missing
    for call in (
        lambda: store.head(bucket, "nope"),
        lambda: store.get_bytes(bucket, "nope"),
        lambda: store.open_read(bucket, "nope"),
        lambda: list(store.iter_chunks(bucket, "nope")),
    ):
        with pytest.raises(NoSuchKey) as err:
            call()
        assert (err.value.bucket, err.value.key) == (bucket, "nope")
    store.put_bytes(bucket, "dir/file", b"x")
    with pytest.raises(NoSuchKey):
        store.head(bucket, "dir")  # a "directory" is not an object
    store.create_bucket(bucket)  # creating an existing bucket is a no-op


@pytest.mark.parametrize("key", TRAVERSAL_KEYS)
def test_traversal_keys_are_rejected(store: ObjectStore, bucket: str, tmp_path: Path, key: str) -> None:
    before = _tree(tmp_path)
    calls = [
        lambda: store.put_bytes(bucket, key, b"evil"),
        lambda: store.put_stream(bucket, key, [b"evil"]),
        lambda: store.writer(bucket, key),
        lambda: store.get_bytes(bucket, key),
        lambda: store.head(bucket, key),
        lambda: store.open_read(bucket, key),
        lambda: list(store.iter_chunks(bucket, key)),
        lambda: store.delete(bucket, key),
        lambda: store.copy(bucket, key, bucket, "ok"),
    ]
    if key:
        calls.append(lambda: list(store.list_objects(bucket, prefix=key)))
    store.put_bytes(bucket, "ok", b"fine")
    calls.append(lambda: store.copy(bucket, "ok", bucket, key))
    for call in calls:
        with pytest.raises(InvalidObjectName) as err:
            call()
        assert err.value.key == key
        assert repr(key)[:40] in str(err.value) or len(key) > 40
    assert [o.key for o in store.list_objects(bucket)] == ["ok"]
    if isinstance(store, LocalObjectStore):
        assert _tree(tmp_path) - before <= {f"data/buckets/{bucket}/ok"}


@pytest.mark.parametrize("name", BAD_BUCKETS)
def test_bad_bucket_names_are_rejected(store: ObjectStore, name: str, tmp_path: Path) -> None:
    before = _tree(tmp_path)
    for call in (
        lambda: store.create_bucket(name),
        lambda: store.bucket_exists(name),
        lambda: store.put_bytes(name, "k", b"x"),
        lambda: store.get_bytes(name, "k"),
        lambda: list(store.list_objects(name)),
    ):
        with pytest.raises(InvalidBucketName) as err:
            call()
        assert err.value.bucket == name
        assert isinstance(err.value, InvalidObjectName)
    assert _tree(tmp_path) == before


def test_s3_error_codes_map_onto_storage_errors() -> None:
    def client_error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "msg"}}, "GetObject")

    assert isinstance(_translate(client_error("NoSuchBucket"), "Op", "b", "k"), NoSuchBucket)
    assert isinstance(_translate(client_error("NoSuchKey"), "Op", "b", "k"), NoSuchKey)
    assert isinstance(_translate(client_error("404"), "Op", "b", "k"), NoSuchKey)
    assert isinstance(_translate(client_error("404"), "Op", "b"), NoSuchBucket)
    for code in ("AccessDenied", "403", "InvalidAccessKeyId"):
        denied = _translate(client_error(code), "Op", "b", "k")
        assert isinstance(denied, AccessDenied)
        assert (denied.bucket, denied.key) == ("b", "k")
    other = _translate(client_error("SlowDown"), "Op", "b", "k")
    assert type(other) is StorageError
    assert "SlowDown" in str(other)


def test_s3_unreachable_endpoint_is_a_storage_error() -> None:
    config = Config(retries={"max_attempts": 1}, connect_timeout=2)
    store = S3ObjectStore.connect(f"http://127.0.0.1:{free_port()}", config=config, **CREDENTIALS)
    with pytest.raises(StorageError, match="HeadObject"):
        store.head("some-bucket", "k")


# -- the local backend's public layout and its limits ----------------------------------------------
def test_local_layout_is_the_public_contract(data_dir: Path) -> None:
    store = LocalObjectStore(data_dir)
    store.create_bucket("inputs")
    assert (data_dir / "buckets" / "inputs").is_dir()
    store.put_bytes("inputs", "a/b/result.json", b"{}")
    assert (data_dir / "buckets" / "inputs" / "a" / "b" / "result.json").read_bytes() == b"{}"

    dropped = data_dir / "buckets" / "inputs" / "by-hand" / "plan.png"
    dropped.parent.mkdir()
    dropped.write_bytes(b"\x89PNG dropped by a user")
    assert store.get_bytes("inputs", "by-hand/plan.png") == b"\x89PNG dropped by a user"
    assert store.head("inputs", "by-hand/plan.png").etag == _md5(b"\x89PNG dropped by a user")
    assert [o.key for o in store.list_objects("inputs")] == ["a/b/result.json", "by-hand/plan.png"]

    (data_dir / "buckets" / "by-hand-bucket").mkdir()
    assert store.bucket_exists("by-hand-bucket")

    time.sleep(0.01)
    dropped.write_bytes(b"edited by hand")  # a remembered ETag must not go stale
    assert store.head("inputs", "by-hand/plan.png").etag == _md5(b"edited by hand")


def test_local_rejects_empty_segments_but_s3_allows_them(store: ObjectStore, bucket: str) -> None:
    if isinstance(store, LocalObjectStore):
        for key in ("a//b", "dir/"):
            with pytest.raises(InvalidObjectName):
                store.put_bytes(bucket, key, b"x")
    else:
        store.put_bytes(bucket, "a//b", b"x")
        store.put_bytes(bucket, "dir/", b"")
        assert [o.key for o in store.list_objects(bucket)] == ["a//b", "dir/"]


def test_local_file_and_directory_conflict(data_dir: Path) -> None:
    store = LocalObjectStore(data_dir)
    store.create_bucket("bkt")
    store.put_bytes("bkt", "a", b"file")
    with pytest.raises(KeyConflict, match="'a'"):
        store.put_bytes("bkt", "a/b", b"x")
    store.put_bytes("bkt", "c/d", b"x")
    with pytest.raises(KeyConflict, match="'c'"):
        store.put_bytes("bkt", "c", b"x")
    assert store.get_bytes("bkt", "a") == b"file"
    assert list((data_dir / "buckets" / ".tmp").iterdir()) == []
    with pytest.raises(NoSuchKey):
        store.head("bkt", "a/b")


def test_local_symlinks_cannot_escape_the_bucket(data_dir: Path, tmp_path: Path) -> None:
    store = LocalObjectStore(data_dir)
    store.create_bucket("bkt")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_bytes(b"root:x")
    bucket_dir = data_dir / "buckets" / "bkt"
    (bucket_dir / "escape").symlink_to(secret)
    (bucket_dir / "leak").symlink_to(secret / "passwd")
    store.put_bytes("bkt", "real", b"inside")
    (bucket_dir / "alias").symlink_to(bucket_dir / "real")

    for call in (
        lambda: store.get_bytes("bkt", "escape/passwd"),
        lambda: store.get_bytes("bkt", "leak"),
        lambda: store.put_bytes("bkt", "escape/new", b"x"),
        lambda: store.delete("bkt", "leak"),
        lambda: list(store.list_objects("bkt", prefix="escape/")),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert sorted(p.name for p in secret.iterdir()) == ["passwd"]
    assert store.get_bytes("bkt", "alias") == b"inside"
    assert [o.key for o in store.list_objects("bkt")] == ["alias", "real"]
    store.put_bytes("bkt", "alias", b"replaced")  # replaces the link, not the file behind it
    assert store.get_bytes("bkt", "real") == b"inside"
    assert not (bucket_dir / "alias").is_symlink()
    (bucket_dir / "alias2").symlink_to(bucket_dir / "real")
    store.delete("bkt", "alias2")
    assert store.get_bytes("bkt", "real") == b"inside"
    assert [o.key for o in store.list_objects("bkt")] == ["alias", "real"]


def test_local_invisible_temp_dir_and_concurrent_writers(data_dir: Path) -> None:
    store = LocalObjectStore(data_dir)
    store.create_bucket("bkt")
    payloads = [bytes([i]) * 200_000 for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        infos = list(pool.map(lambda p: store.put_bytes("bkt", "same/key", p), payloads))
    assert store.get_bytes("bkt", "same/key") in payloads
    assert store.head("bkt", "same/key").etag in {i.etag for i in infos}
    assert list((data_dir / "buckets" / ".tmp").iterdir()) == []
    assert sorted(p.name for p in (data_dir / "buckets").iterdir()) == [".tmp", "bkt"]


def test_local_sweeps_uploads_left_by_a_crash(data_dir: Path) -> None:
    tmp_dir = data_dir / "buckets" / ".tmp"
    tmp_dir.mkdir(parents=True)
    stale, live = tmp_dir / "upload-old.part", tmp_dir / "upload-new.part"
    stale.write_bytes(b"half")
    live.write_bytes(b"in progress")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    LocalObjectStore(data_dir)
    assert sorted(p.name for p in tmp_dir.iterdir()) == ["upload-new.part"]


def test_local_start_removes_temp_files_of_dead_writers_only(data_dir: Path) -> None:
    LocalObjectStore(data_dir).create_bucket("bkt")
    dead, live = HalfWrittenObject(data_dir, "bkt", "dead"), HalfWrittenObject(data_dir, "bkt", "live")
    dead_tmp, live_tmp = Path(dead.leftover), Path(live.leftover)
    try:
        dead.kill()  # kill -9 mid-write: no abort runs
        assert dead_tmp.exists() and live_tmp.exists()
        store = LocalObjectStore(data_dir)  # a (re)start
        assert not dead_tmp.exists()
        assert live_tmp.exists()  # another process's writer is still at work
        with store.writer("bkt", "mine") as out:  # our own open writer survives a sweep too
            out.write(b"abc")
            LocalObjectStore(data_dir)
            assert out._tmp.exists()  # type: ignore[attr-defined]
        assert store.get_bytes("bkt", "mine") == b"abc"
    finally:
        live.kill()
    LocalObjectStore(data_dir)
    assert list((data_dir / "buckets" / ".tmp").iterdir()) == []
    assert [o.key for o in LocalObjectStore(data_dir).list_objects("bkt")] == ["mine"]


def _pending_uploads(client: Any, bucket: str) -> set[str]:
    return {u["UploadId"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}


def test_s3_start_aborts_uploads_of_dead_writers_only(data_dir: Path, moto_endpoint: str) -> None:
    client = S3ObjectStore.connect(moto_endpoint, **CREDENTIALS).client
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    users = client.create_multipart_upload(Bucket=bucket, Key="dead")["UploadId"]  # same key, not ours
    dead = HalfWrittenObject(data_dir, bucket, "dead", moto_endpoint)
    live = HalfWrittenObject(data_dir, bucket, "live", moto_endpoint)
    try:
        dead.kill()
        assert _pending_uploads(client, bucket) == {users, dead.leftover, live.leftover}
        store = make_object_store(data_dir, moto_endpoint, part_size=PART, **CREDENTIALS)  # a (re)start
        assert store.sweep_abandoned_uploads() == 1
        assert _pending_uploads(client, bucket) == {users, live.leftover}
        with store.writer(bucket, "mine") as out:  # our own writer's upload survives a sweep too
            out.write(_pattern(PART + 1))
            assert make_object_store(data_dir, moto_endpoint, **CREDENTIALS).sweep_abandoned_uploads() == 0
            assert len(_pending_uploads(client, bucket)) == 3
        assert store.head(bucket, "mine").size == PART + 1
    finally:
        live.kill()
    store = make_object_store(data_dir, moto_endpoint, **CREDENTIALS)
    assert store.sweep_abandoned_uploads() == 1  # the live writer is dead now
    assert _pending_uploads(client, bucket) == {users}
    assert [p.stat().st_size for p in (data_dir / "s3-uploads").iterdir()] == [0]  # ours: none pending


def test_local_etag_without_extended_attributes(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(*args: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "setxattr", unsupported)
    monkeypatch.setattr(os, "getxattr", unsupported)
    store = LocalObjectStore(data_dir)
    store.create_bucket("bkt")
    info = store.put_bytes("bkt", "k", b"data", content_type="text/plain")
    assert info.etag == _md5(b"data") == store.head("bkt", "k").etag
    assert [o.etag for o in store.list_objects("bkt")] == [_md5(b"data")]


# -- the factory -----------------------------------------------------------------------------------
def test_make_object_store(data_dir: Path, moto_endpoint: str) -> None:
    local = make_object_store(data_dir)
    assert isinstance(local, LocalObjectStore)
    assert local.root == data_dir / "buckets"

    s3 = make_object_store(data_dir, moto_endpoint, part_size=6 * MiB, **CREDENTIALS)
    assert isinstance(s3, S3ObjectStore)
    assert s3.part_size == 6 * MiB
    s3.create_bucket("factory-made")
    assert s3.bucket_exists("factory-made")

    client = boto3.client("s3", endpoint_url=moto_endpoint, **CREDENTIALS)
    ready = make_object_store(data_dir, client=client)
    assert isinstance(ready, S3ObjectStore)
    assert ready.bucket_exists("factory-made")
    with pytest.raises(ValueError):
        make_object_store(data_dir, part_size=6 * MiB)
    with pytest.raises(ValueError):
        S3ObjectStore(client, part_size=MiB)


# -- bucket policy: reserved buckets and owners ---------------------------------------------------


def test_bucket_policy_reserves_and_checks_owners() -> None:
    from jobforge.storage import BucketAccessDenied, BucketPolicy

    policy = BucketPolicy({"a-bucket": "111111111111"}, default_owner="000000000000")
    policy.reserve("internal")
    assert policy.check("a-bucket", "111111111111") == "a-bucket"
    assert policy.check("other", "000000000000") == "other"
    for bucket, account, why in (
        ("internal", "000000000000", "reserved"),
        ("a-bucket", "000000000000", "is not a bucket of this account"),
        ("other", "111111111111", "is not a bucket of this account"),
    ):
        with pytest.raises(BucketAccessDenied, match=why) as info:
            policy.check(bucket, account)
        assert info.value.bucket == bucket and info.value.key is None
    assert BucketPolicy().check("anything", "111111111111") == "anything"  # owners not enforced


def test_bucket_owners_setting() -> None:
    from jobforge.config import Settings, SettingsError

    settings = Settings.from_env({"JOBFORGE_BUCKET_OWNERS": '{"a": "111111111111", "*": "222222222222"}'})
    assert settings.validate().parsed_bucket_owners() == ({"a": "111111111111"}, "222222222222")
    assert Settings().parsed_bucket_owners() == ({}, "000000000000")
    for bad, fragment in (("[1]", "JSON object"), ('{"a": "12"}', "12-digit"), ("{", "not valid JSON")):
        with pytest.raises(SettingsError, match=fragment) as info:
            Settings.from_env({"JOBFORGE_BUCKET_OWNERS": bad}).validate()
        assert "JOBFORGE_BUCKET_OWNERS" in str(info.value)


def test_usable_buckets_agree_with_check_for_every_ownership() -> None:
    """ListBuckets' one-read filter (BucketPolicy.usable) decides as check does, bucket by bucket."""
    from jobforge.storage.policy import BucketAccessDenied, BucketPolicy

    buckets = [
        "recorded-mine",
        "recorded-theirs",
        "configured-mine",
        "configured-theirs",
        "plain",
        "internal",
    ]
    recorded = {"recorded-mine": "111", "recorded-theirs": "222", "configured-theirs": "111"}
    for default in (None, "111", "222"):
        policy = BucketPolicy({"configured-mine": "111", "configured-theirs": "222"}, default)
        policy.recorded_owner = recorded.get
        policy.reserve("internal")
        for account in ("111", "222"):
            expected = []
            for bucket in buckets:
                try:
                    policy.check(bucket, account)
                except BucketAccessDenied:
                    continue
                expected.append(bucket)
            assert policy.usable(buckets, account, recorded) == expected, (default, account)
