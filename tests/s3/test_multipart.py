"""Multipart uploads through boto3 and the AWS CLI: transfers of large files, the explicit API and
its errors, abort, listing, ownership under SigV4, and uploads that outlive a server crash."""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from jobforge.storage import (
    LocalObjectStore,
    MultipartUnsupported,
    NoSuchKey,
    NoSuchUpload,
    S3ObjectStore,
)
from jobforge.storage.local import _LocalWriter
from jobforge.storage.local_multipart import MANIFEST_NAME, MAX_UPLOAD_AGE_SECONDS
from tests.s3.conftest import ALICE, BOB, S3_SCOPED, as_person, error_of
from tests.s3.test_streaming import _status_kib
from tests.support import JobforgeServer, client, eventually

MIB = 1024 * 1024
AWS_CLI = Path("/tmp/venv-fresh/bin/aws")


def _etag_of(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(part).digest() for part in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def _write_file(path: Path, size: int) -> str:
    """A file of ``size`` pseudo-random bytes written 8 MiB at a time; its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(8 * MIB)
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = block[: size - written]
            chunk = hashlib.sha256(written.to_bytes(8, "big")).digest() + chunk[32:]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest()


def _staged(server: JobforgeServer) -> list[str]:
    staging = server.data_dir / "buckets" / ".tmp" / "multipart"
    return sorted(p.name for p in staging.iterdir()) if staging.is_dir() else []


@pytest.fixture
def s3(server: JobforgeServer) -> Any:
    return client("s3", server.url)


def test_upload_file_and_download_file_of_200_mb(fresh_server: JobforgeServer, tmp_path: Path) -> None:
    server = fresh_server.start()
    assert server.process is not None
    s3 = client("s3", server.url)
    s3.create_bucket(Bucket="mp-large")
    source, back = tmp_path / "source.bin", tmp_path / "back.bin"
    expected = _write_file(source, 200 * MIB)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    warm = {"Bucket": "mp-large", "Key": "warm"}  # first-request imports and caches
    warm_id = s3.create_multipart_upload(**warm)["UploadId"]
    s3.upload_part(**warm, UploadId=warm_id, PartNumber=1, Body=b"warm-up")
    s3.abort_multipart_upload(**warm, UploadId=warm_id)
    before = _status_kib(server.process.pid, "VmRSS")
    s3.upload_file(str(source), "mp-large", "data/large.bin", Config=config)
    grown = _status_kib(server.process.pid, "VmHWM") - before
    assert grown < 48 * 1024, f"server peak RSS grew by {grown // 1024} MiB for 10 parts in flight"
    head = s3.head_object(Bucket="mp-large", Key="data/large.bin")
    assert head["ContentLength"] == 200 * MIB
    assert head["ETag"].endswith('-25"')  # 25 parts of 8 MiB
    assert s3.list_multipart_uploads(Bucket="mp-large").get("Uploads") is None
    s3.download_file("mp-large", "data/large.bin", str(back), Config=config)
    assert _sha256(back) == expected


def test_the_explicit_api_publishes_the_parts_as_one_object(s3: Any) -> None:
    s3.create_bucket(Bucket="mp-explicit")
    upload_id = s3.create_multipart_upload(Bucket="mp-explicit", Key="a/b.txt", ContentType="text/plain")[
        "UploadId"
    ]
    first, second, last = b"1" * (5 * MIB), b"2" * (5 * MIB), b"tail"
    etags = []
    for number, body in enumerate((first, second, last), start=1):
        etag = s3.upload_part(
            Bucket="mp-explicit", Key="a/b.txt", UploadId=upload_id, PartNumber=number, Body=body
        )["ETag"]
        assert etag == f'"{hashlib.md5(body).hexdigest()}"'
        etags.append(etag)
    # a part uploaded again replaces the earlier one
    etags[1] = s3.upload_part(
        Bucket="mp-explicit", Key="a/b.txt", UploadId=upload_id, PartNumber=2, Body=b"3" * (5 * MIB)
    )["ETag"]
    second = b"3" * (5 * MIB)
    listed = s3.list_parts(Bucket="mp-explicit", Key="a/b.txt", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == [
        (1, etags[0], 5 * MIB),
        (2, etags[1], 5 * MIB),
        (3, etags[2], 4),
    ]
    uploads = s3.list_multipart_uploads(Bucket="mp-explicit")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("a/b.txt", upload_id)]
    # nothing appears before completion
    assert error_of(s3.head_object, Bucket="mp-explicit", Key="a/b.txt") == ("404", 404)
    done = s3.complete_multipart_upload(
        Bucket="mp-explicit",
        Key="a/b.txt",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    assert done["ETag"] == _etag_of([first, second, last])
    got = s3.get_object(Bucket="mp-explicit", Key="a/b.txt")
    assert got["Body"].read() == first + second + last
    assert got["ETag"] == done["ETag"] and got["ContentType"] == "text/plain"
    assert s3.list_objects_v2(Bucket="mp-explicit")["Contents"][0]["ETag"] == done["ETag"]
    assert s3.list_multipart_uploads(Bucket="mp-explicit").get("Uploads") is None
    assert error_of(s3.list_parts, Bucket="mp-explicit", Key="a/b.txt", UploadId=upload_id) == (
        "NoSuchUpload",
        404,
    )


def test_completion_checks_the_part_list(s3: Any) -> None:
    s3.create_bucket(Bucket="mp-checks")
    key = {"Bucket": "mp-checks", "Key": "k"}
    upload_id = s3.create_multipart_upload(**key)["UploadId"]
    ids = {**key, "UploadId": upload_id}
    small = s3.upload_part(**ids, PartNumber=1, Body=b"small")["ETag"]
    other = s3.upload_part(**ids, PartNumber=2, Body=b"x" * (5 * MIB))["ETag"]
    big = s3.upload_part(**ids, PartNumber=3, Body=b"y" * (5 * MIB))["ETag"]

    def complete(*parts: tuple[int, str]) -> tuple[str, int]:
        listed = [{"PartNumber": n, "ETag": e} for n, e in parts]
        return error_of(s3.complete_multipart_upload, **ids, MultipartUpload={"Parts": listed})

    assert complete((2, other), (1, small)) == ("InvalidPartOrder", 400)
    assert complete((2, other), (2, other)) == ("InvalidPartOrder", 400)
    assert complete((2, big)) == ("InvalidPart", 400)  # another part's ETag
    assert complete((2, other), (4, big)) == ("InvalidPart", 400)  # never uploaded
    assert complete((1, small), (2, other)) == ("EntityTooSmall", 400)
    assert error_of(s3.head_object, **key) == ("404", 404)
    for number in (0, 10001):
        assert error_of(s3.upload_part, **ids, PartNumber=number, Body=b"z") == ("InvalidArgument", 400)
    # a body that does not match its Content-MD5 is refused and the earlier part stays
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert error_of(s3.upload_part, **ids, PartNumber=3, Body=b"changed", ContentMD5=wrong) == (
        "BadDigest",
        400,
    )
    assert [p["ETag"] for p in s3.list_parts(**ids)["Parts"]] == [small, other, big]
    # the last part may be small; parts left out are dropped
    done = s3.complete_multipart_upload(
        **ids, MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": other}, {"PartNumber": 3, "ETag": big}]}
    )
    assert done["ETag"] == _etag_of([b"x" * (5 * MIB), b"y" * (5 * MIB)])
    assert s3.head_object(**key)["ContentLength"] == 10 * MIB


def test_unknown_and_aborted_uploads_are_no_such_upload(s3: Any, server: JobforgeServer) -> None:
    s3.create_bucket(Bucket="mp-abort")
    key = {"Bucket": "mp-abort", "Key": "gone.bin"}
    upload_id = s3.create_multipart_upload(**key)["UploadId"]
    s3.upload_part(**key, UploadId=upload_id, PartNumber=1, Body=b"part")
    assert upload_id in _staged(server)
    # the id belongs to its own key only
    assert error_of(s3.list_parts, Bucket="mp-abort", Key="other", UploadId=upload_id) == (
        "NoSuchUpload",
        404,
    )
    s3.abort_multipart_upload(**key, UploadId=upload_id)
    assert upload_id not in _staged(server)
    for bad_id in (upload_id, "0" * 32, "../../etc"):
        ids = {**key, "UploadId": bad_id}
        assert error_of(s3.upload_part, **ids, PartNumber=1, Body=b"late") == ("NoSuchUpload", 404)
        assert error_of(s3.list_parts, **ids) == ("NoSuchUpload", 404)
        assert error_of(s3.abort_multipart_upload, **ids) == ("NoSuchUpload", 404)
        parts = {"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}
        assert error_of(s3.complete_multipart_upload, **ids, MultipartUpload=parts) == ("NoSuchUpload", 404)
    assert error_of(s3.head_object, **key) == ("404", 404)
    assert error_of(s3.create_multipart_upload, Bucket="mp-missing", Key="k") == ("NoSuchBucket", 404)


def test_listing_pages_through_parts_and_uploads(s3: Any) -> None:
    s3.create_bucket(Bucket="mp-list")
    upload_id = s3.create_multipart_upload(Bucket="mp-list", Key="dir/one")["UploadId"]
    ids = {"Bucket": "mp-list", "Key": "dir/one", "UploadId": upload_id}
    for number in (1, 2, 3, 7):
        s3.upload_part(**ids, PartNumber=number, Body=str(number).encode())
    page = s3.list_parts(**ids, MaxParts=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2] and page["IsTruncated"]
    rest = s3.list_parts(**ids, MaxParts=2, PartNumberMarker=page["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [3, 7] and not rest["IsTruncated"]
    other_ids = [s3.create_multipart_upload(Bucket="mp-list", Key=k)["UploadId"] for k in ("dir/two", "top")]
    seen, markers = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket="mp-list", MaxUploads=1, **markers)
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == [("dir/one", upload_id), ("dir/two", other_ids[0]), ("top", other_ids[1])]
    grouped = s3.list_multipart_uploads(Bucket="mp-list", Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["top"]
    spaced = s3.create_multipart_upload(Bucket="mp-list", Key="top two")["UploadId"]
    encoded = s3.list_multipart_uploads(Bucket="mp-list", Prefix="top", EncodingType="url")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in encoded] == [("top", other_ids[1]), ("top%20two", spaced)]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket="mp-list", Prefix="dir/")["Uploads"]] == [
        "dir/one",
        "dir/two",
    ]


def test_upload_part_copy_takes_parts_from_other_objects(s3: Any) -> None:
    s3.create_bucket(Bucket="mp-copy")
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket="mp-copy", Key="source.bin", Body=source)
    key = {"Bucket": "mp-copy", "Key": "joined.bin"}
    ids = {**key, "UploadId": s3.create_multipart_upload(**key)["UploadId"]}
    whole = s3.upload_part_copy(**ids, PartNumber=1, CopySource="mp-copy/source.bin")["CopyPartResult"]
    assert whole["ETag"] == f'"{hashlib.md5(source).hexdigest()}"'
    ranged = s3.upload_part_copy(
        **ids,
        PartNumber=2,
        CopySource={"Bucket": "mp-copy", "Key": "source.bin"},
        CopySourceRange="bytes=10-19",
    )["CopyPartResult"]
    assert ranged["ETag"] == f'"{hashlib.md5(source[10:20]).hexdigest()}"'
    for bad_range, code in (("bytes=5-1", "InvalidArgument"), (f"bytes=0-{6 * MIB}", "InvalidRange")):
        copy = {"CopySource": "mp-copy/source.bin", "CopySourceRange": bad_range}
        assert error_of(s3.upload_part_copy, **ids, PartNumber=3, **copy)[0] == code
    missing = {"CopySource": "mp-copy/none.bin"}
    assert error_of(s3.upload_part_copy, **ids, PartNumber=3, **missing) == ("NoSuchKey", 404)
    parts = [{"PartNumber": 1, "ETag": whole["ETag"]}, {"PartNumber": 2, "ETag": ranged["ETag"]}]
    s3.complete_multipart_upload(**ids, MultipartUpload={"Parts": parts})
    assert s3.get_object(**key)["Body"].read() == source + source[10:20]


def test_uploads_survive_a_crash_and_half_written_parts_are_swept(fresh_server: JobforgeServer) -> None:
    server = fresh_server.start()
    s3 = client("s3", server.url)
    s3.create_bucket(Bucket="mp-crash")
    key = {"Bucket": "mp-crash", "Key": "resumed.bin"}
    upload_id = s3.create_multipart_upload(**key, ContentType="application/x-test")["UploadId"]
    first = os.urandom(5 * MIB)
    etag1 = s3.upload_part(**key, UploadId=upload_id, PartNumber=1, Body=first)["ETag"]
    # a second part is half sent when the server dies
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        headers = {
            **S3_SCOPED,
            "Host": f"127.0.0.1:{server.port}",
            "Content-Length": str(20 * MIB),
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        }
        head = f"PUT /mp-crash/resumed.bin?partNumber=2&uploadId={upload_id} HTTP/1.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        raw.sendall(head.encode() + b"h" * (2 * MIB))
        directory = server.data_dir / "buckets" / ".tmp" / "multipart" / upload_id
        assert eventually(lambda: any(p.name.startswith("upload-") for p in directory.iterdir()), timeout=10)
        server.kill()
    server.start()
    assert not [p.name for p in directory.iterdir() if p.name.startswith("upload-")]
    listed = s3.list_parts(**key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, etag1)]
    etag2 = s3.upload_part(**key, UploadId=upload_id, PartNumber=2, Body=b"end")["ETag"]
    parts = [{"PartNumber": 1, "ETag": etag1}, {"PartNumber": 2, "ETag": etag2}]
    done = s3.complete_multipart_upload(**key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert done["ETag"] == _etag_of([first, b"end"])
    got = s3.get_object(**key)
    assert got["Body"].read() == first + b"end" and got["ContentType"] == "application/x-test"
    assert _staged(server) == []


def test_another_accounts_bucket_refuses_its_uploads(signed: JobforgeServer) -> None:
    as_alice, as_bob = as_person(signed, ALICE), as_person(signed, BOB)
    as_alice.create_bucket(Bucket="alice-mp")
    key = {"Bucket": "alice-mp", "Key": "k"}
    upload_id = as_alice.create_multipart_upload(**key)["UploadId"]
    etag = as_alice.upload_part(**key, UploadId=upload_id, PartNumber=1, Body=b"alice")["ETag"]
    ids = {**key, "UploadId": upload_id}
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    for call, kwargs in (
        (as_bob.create_multipart_upload, key),
        (as_bob.upload_part, {**ids, "PartNumber": 1, "Body": b"bob"}),
        (as_bob.list_parts, ids),
        (as_bob.complete_multipart_upload, {**ids, "MultipartUpload": parts}),
        (as_bob.abort_multipart_upload, ids),
        (as_bob.list_multipart_uploads, {"Bucket": "alice-mp"}),
    ):
        assert error_of(call, **kwargs) == ("AccessDenied", 403), call
    uploads = as_alice.list_multipart_uploads(Bucket="alice-mp")["Uploads"]
    assert [(u["UploadId"], u["Initiator"]["ID"]) for u in uploads] == [(upload_id, ALICE[2])]
    as_alice.complete_multipart_upload(**ids, MultipartUpload=parts)
    assert as_alice.get_object(**key)["Body"].read() == b"alice"


def test_a_deleted_buckets_uploads_go_with_it(signed: JobforgeServer) -> None:
    """An unfinished upload neither keeps its bucket alive nor passes to the account that makes a
    bucket of the same name next (it would read and complete the first account's parts)."""
    as_alice, as_bob = as_person(signed, ALICE), as_person(signed, BOB)
    as_alice.create_bucket(Bucket="handover")
    key = {"Bucket": "handover", "Key": "payroll.csv"}
    ids = {**key, "UploadId": as_alice.create_multipart_upload(**key)["UploadId"]}
    etag = as_alice.upload_part(**ids, PartNumber=1, Body=b"alice,100000\n")["ETag"]
    as_alice.delete_bucket(Bucket="handover")
    assert ids["UploadId"] not in _staged(signed)

    as_bob.create_bucket(Bucket="handover")
    assert "Uploads" not in as_bob.list_multipart_uploads(Bucket="handover")
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    for call, kwargs in (
        (as_bob.list_parts, ids),
        (as_bob.upload_part, {**ids, "PartNumber": 2, "Body": b"bob"}),
        (as_bob.complete_multipart_upload, {**ids, "MultipartUpload": parts}),
        (as_bob.abort_multipart_upload, ids),
    ):
        assert error_of(call, **kwargs) == ("NoSuchUpload", 404), call
    assert error_of(as_bob.get_object, **key) == ("NoSuchKey", 404)


def test_aws_cli_copies_a_large_file_up_and_down(server: JobforgeServer, tmp_path: Path) -> None:
    if not AWS_CLI.exists():
        pytest.skip(f"the AWS CLI is not installed at {AWS_CLI}")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def aws(*args: str) -> str:
        done = subprocess.run(
            [str(AWS_CLI), "s3", *args, "--endpoint-url", server.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    source, back = tmp_path / "cli.bin", tmp_path / "cli-back.bin"
    expected = _write_file(source, 50 * MIB)
    aws("mb", "s3://mp-cli")
    aws("cp", str(source), "s3://mp-cli/big/cli.bin")
    assert "cli.bin" in aws("ls", "s3://mp-cli/big/")
    aws("cp", "s3://mp-cli/big/cli.bin", str(back))
    assert _sha256(back) == expected
    head = client("s3", server.url).head_object(Bucket="mp-cli", Key="big/cli.bin")
    assert head["ContentLength"] == 50 * MIB and head["ETag"].endswith('-7"')  # 8 MiB parts


def test_the_sweep_drops_idle_and_half_ended_uploads(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("swept")
    idle = store.create_multipart_upload("swept", "idle")
    store.upload_part(idle, 1, [b"old"])
    kept = store.create_multipart_upload("swept", "kept")
    half_ended = store.create_multipart_upload("swept", "half-ended")
    staging = tmp_path / "buckets" / ".tmp" / "multipart"
    (staging / half_ended.upload_id / MANIFEST_NAME).unlink()  # a crash while completing
    week_ago = time.time() - MAX_UPLOAD_AGE_SECONDS - 60
    for path in [staging / idle.upload_id, *(staging / idle.upload_id).iterdir()]:
        os.utime(path, (week_ago, week_ago))
    os.utime(staging / half_ended.upload_id, (week_ago, week_ago))
    assert store.sweep_abandoned_uploads() == 2
    assert sorted(p.name for p in staging.iterdir()) == [kept.upload_id]
    assert [u.key for u in store.list_multipart_uploads("swept")] == ["kept"]
    with pytest.raises(NoSuchUpload):
        store.multipart_upload("swept", "idle", idle.upload_id)


def test_the_s3_backend_does_not_stage_multipart_uploads() -> None:
    store = S3ObjectStore(boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(MultipartUnsupported, match="does not stage multipart uploads"):
        store.create_multipart_upload("bucket", "key")


def test_a_completion_that_fails_midway_publishes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("atomic")
    upload = store.create_multipart_upload("atomic", "whole.bin")
    parts = [(n, store.upload_part(upload, n, [bytes([n]) * MIB]).etag) for n in (1, 2, 3)]
    appended: list[int] = []
    original = _LocalWriter.append_file

    def fail_on_third(self: _LocalWriter, source: Any, length: int) -> None:
        if len(appended) == 2:
            raise OSError(errno.EIO, "disk failed")
        original(self, source, length)
        appended.append(1)

    monkeypatch.setattr(_LocalWriter, "append_file", fail_on_third)
    with pytest.raises(OSError, match="disk failed"):
        store.complete_multipart_upload(upload, parts)
    with pytest.raises(NoSuchKey):
        store.head("atomic", "whole.bin")
    assert [p.name for p in (tmp_path / "buckets" / ".tmp").glob("upload-*")] == []
    monkeypatch.undo()
    assert [p.number for p in store.list_parts(upload)] == [1, 2, 3]  # the upload can be completed again
    info = store.complete_multipart_upload(upload, parts)
    assert store.get_bytes("atomic", "whole.bin") == b"\x01" * MIB + b"\x02" * MIB + b"\x03" * MIB
    assert info.etag == _etag_of([bytes([n]) * MIB for n in (1, 2, 3)]).strip('"')
