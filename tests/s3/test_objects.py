"""Buckets and objects through boto3 against a running ``jobforge serve`` (path-style and
virtual-hosted addressing), and the errors S3 clients expect."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.s3.conftest import S3_SCOPED, error_of, virtual_hosted
from tests.support import JobforgeServer


def new_bucket(s3: Any) -> str:
    name = f"s3-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def test_bucket_lifecycle(s3: Any) -> None:
    bucket = new_bucket(s3)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=bucket)
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None
    assert error_of(s3.create_bucket, Bucket=bucket) == ("BucketAlreadyOwnedByYou", 409)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    assert error_of(s3.delete_bucket, Bucket=bucket) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert error_of(s3.head_bucket, Bucket=bucket) == ("404", 404)
    assert error_of(s3.list_objects_v2, Bucket=bucket) == ("NoSuchBucket", 404)
    s3.create_bucket(Bucket=bucket)  # a deleted bucket's name is free again
    s3.delete_bucket(Bucket=bucket)


def test_put_get_head_delete(s3: Any, server: JobforgeServer) -> None:
    bucket = new_bucket(s3)
    data = os.urandom(3 * 1024 * 1024 + 17)
    put = s3.put_object(Bucket=bucket, Key="dir/blob.bin", Body=data, ContentType="application/x-test")
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/blob.bin")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/x-test" and got["ContentLength"] == len(data)
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dir/blob.bin")
    assert head["ContentLength"] == len(data) and head["ETag"] == put["ETag"]
    assert head["LastModified"].year >= 2024
    # the local store's layout is the contract: the object is a file
    assert (server.data_dir / "buckets" / bucket / "dir" / "blob.bin").read_bytes() == data
    s3.put_object(Bucket=bucket, Key="dir/blob.bin", Body=b"replaced")
    assert s3.get_object(Bucket=bucket, Key="dir/blob.bin")["Body"].read() == b"replaced"
    assert s3.get_object(Bucket=bucket, Key="dir/blob.bin")["ContentType"] == "binary/octet-stream"
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    s3.delete_object(Bucket=bucket, Key="dir/blob.bin")
    s3.delete_object(Bucket=bucket, Key="dir/blob.bin")  # deleting a missing key is no error
    assert error_of(s3.get_object, Bucket=bucket, Key="dir/blob.bin") == ("NoSuchKey", 404)
    assert error_of(s3.head_object, Bucket=bucket, Key="dir/blob.bin") == ("404", 404)
    assert error_of(s3.get_object, Bucket="no-such-bucket-here", Key="k") == ("NoSuchBucket", 404)
    assert error_of(s3.put_object, Bucket="no-such-bucket-here", Key="k", Body=b"x") == ("NoSuchBucket", 404)


def test_upload_and_download_file(s3: Any, tmp_path: Path) -> None:
    """boto3's transfer manager (single part under its threshold) both ways."""
    bucket = new_bucket(s3)
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(5 * 1024 * 1024))
    s3.upload_file(str(source), bucket, "files/in.bin")
    target = tmp_path / "out.bin"
    s3.download_file(bucket, "files/in.bin", str(target))
    assert target.read_bytes() == source.read_bytes()


def test_ranged_get(s3: Any) -> None:
    bucket = new_bucket(s3)
    data = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    for header, (first, last) in {
        "bytes=0-0": (0, 0),
        "bytes=10-19": (10, 19),
        "bytes=10000-": (10000, len(data) - 1),
        "bytes=-5": (len(data) - 5, len(data) - 1),
        "bytes=100-999999": (100, len(data) - 1),
    }.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == data[first : last + 1]
        assert got["ContentRange"] == f"bytes {first}-{last}/{len(data)}"
        assert got["ContentLength"] == last - first + 1
    assert error_of(s3.get_object, Bucket=bucket, Key="r", Range=f"bytes={len(data)}-") == (
        "InvalidRange",
        416,
    )


def test_list_with_delimiter_and_pagination(s3: Any) -> None:
    bucket = new_bucket(s3)
    keys = [f"logs/{day:02d}/{n:04d}.txt" for day in range(1, 4) for n in range(400)]  # 1,200 keys
    keys += ["top-a", "top-b", "zeta/one"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 250}))
    listed = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert listed == sorted(keys) and len(pages) == 5
    assert all(page["KeyCount"] <= 250 for page in pages)
    first = pages[0]["Contents"][0]
    assert (
        first["Size"] == len(first["Key"])
        and first["ETag"] == f'"{hashlib.md5(first["Key"].encode()).hexdigest()}"'
    )
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["logs/", "zeta/"]
    assert [c["Key"] for c in top["Contents"]] == ["top-a", "top-b"]
    days = s3.list_objects_v2(Bucket=bucket, Prefix="logs/", Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in days["CommonPrefixes"]] == ["logs/01/", "logs/02/"]
    assert days["IsTruncated"] is True
    rest = s3.list_objects_v2(
        Bucket=bucket, Prefix="logs/", Delimiter="/", ContinuationToken=days["NextContinuationToken"]
    )
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["logs/03/"] and not rest["IsTruncated"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="logs/03/0398.txt", MaxKeys=3)
    assert [c["Key"] for c in after["Contents"]] == ["logs/03/0399.txt", "top-a", "top-b"]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="nothing/")["KeyCount"] == 0
    assert error_of(s3.list_objects_v2, Bucket=bucket, ContinuationToken="not-a-token") == (
        "InvalidArgument",
        400,
    )


def test_invalid_bucket_names(s3: Any) -> None:
    for name in ("ab", "UPPER-case", "under_score", "ends-with-", "192.168.1.1", "a..b", "x" * 64):
        assert error_of(s3.create_bucket, Bucket=name)[0] == "InvalidBucketName", name


def test_internal_bucket_is_never_addressable(s3: Any) -> None:
    for call, kwargs in (
        (s3.create_bucket, {}),
        (s3.list_objects_v2, {}),
        (s3.get_object, {"Key": "anything"}),
        (s3.put_object, {"Key": "anything", "Body": b"x"}),
        (s3.delete_bucket, {}),
    ):
        assert error_of(call, Bucket="jobforge-dataexchange", **kwargs) == ("AccessDenied", 403)
    assert "jobforge-dataexchange" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_traversal_keys_never_leave_the_bucket(s3: Any, server: JobforgeServer) -> None:
    bucket = new_bucket(s3)
    for key in ("../escaped", "a/../../escaped", "a/./b", "..", "a/%2e%2e/b", "a\\b", "/abs", "folder/"):
        code, status = error_of(s3.put_object, Bucket=bucket, Key=key, Body=b"x")
        assert (code, status) in (("InvalidArgument", 400), ("MethodNotAllowed", 405)), key
    root = server.data_dir / "buckets"
    assert not list(root.parent.rglob("escaped"))
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # 'folder/' did not become 'folder'


def test_unimplemented_operations_answer_501(s3: Any) -> None:
    bucket = new_bucket(s3)
    with pytest.raises(ClientError) as info:
        s3.get_bucket_tagging(Bucket=bucket)
    error = info.value.response["Error"]
    assert error["Code"] == "NotImplemented" and "GetBucketTagging" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error_of(s3.get_object_acl, Bucket=bucket, Key="a") == (
        "NotImplemented",
        501,
    )


def test_xml_error_document(server: JobforgeServer) -> None:
    """The raw error: S3's XML shape, with the request id also in x-amz-request-id."""
    response = httpx.get(f"{server.url}/no-such-bucket-raw/key", headers=S3_SCOPED)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/xml"
    text = response.text
    assert "<Code>NoSuchBucket</Code>" in text and "<Resource>" in text
    assert f"<RequestId>{response.headers['x-amz-request-id']}</RequestId>" in text


def test_virtual_hosted_addressing(server: JobforgeServer) -> None:
    s3 = virtual_hosted(server.url)
    bucket = f"vhost-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="nested/key.txt", Body=b"virtual", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="nested/key.txt")
    assert got["Body"].read() == b"virtual" and got["ContentType"] == "text/plain"
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["nested/key.txt"]
    assert (server.data_dir / "buckets" / bucket / "nested" / "key.txt").read_bytes() == b"virtual"
    s3.delete_object(Bucket=bucket, Key="nested/key.txt")
    s3.delete_bucket(Bucket=bucket)


def test_create_bucket_configuration_is_xml(s3: Any, server: JobforgeServer) -> None:
    bucket = f"s3-conf-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.head_bucket(Bucket=bucket)
    for body in (b"<CreateBucketConfiguration><LocationConstraint>", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'):
        response = httpx.put(f"{server.url}/{bucket}-bad", content=body, headers=S3_SCOPED)
        assert response.status_code == 400 and "<Code>MalformedXML</Code>" in response.text
        assert error_of(s3.head_bucket, Bucket=f"{bucket}-bad") == ("404", 404)


def test_digests_are_checked_as_the_body_streams(s3: Any, server: JobforgeServer) -> None:
    bucket = new_bucket(s3)
    body = b"checked body"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    url = f"{server.url}/{bucket}/digest"
    for header, value in (
        ("x-amz-checksum-crc32", "AAAAAA=="),
        ("content-md5", base64.b64encode(hashlib.md5(b"other").digest()).decode()),
        ("x-amz-checksum-sha256", base64.b64encode(hashlib.sha256(b"other").digest()).decode()),
        ("x-amz-content-sha256", hashlib.sha256(b"other").hexdigest()),
    ):
        response = httpx.put(url, content=body, headers={**S3_SCOPED, header: value})
        assert response.status_code == 400, header
        assert "<Code>BadDigest</Code>" in response.text or "XAmzContentSHA256Mismatch" in response.text
        assert error_of(s3.head_object, Bucket=bucket, Key="digest") == ("404", 404)
    headers = {**S3_SCOPED, "x-amz-checksum-crc32": crc, "content-md5": md5}
    assert httpx.put(url, content=body, headers=headers).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="digest")["Body"].read() == body


def test_a_long_key_and_a_negative_page_size_get_s3s_codes(s3: Any) -> None:
    s3.create_bucket(Bucket="limits")
    longest = "/".join(["k" * 200] * 5) + "/" + "k" * 19  # 1,024 bytes, in segments the disk takes
    assert len(longest) == 1024
    too_long = longest + "k"
    assert error_of(s3.put_object, Bucket="limits", Key=too_long, Body=b"x") == ("KeyTooLongError", 400)
    s3.put_object(Bucket="limits", Key=longest, Body=b"x")  # the limit itself is fine
    assert error_of(s3.list_objects_v2, Bucket="limits", MaxKeys=-1) == ("InvalidArgument", 400)
    assert s3.list_objects_v2(Bucket="limits", MaxKeys=0)["KeyCount"] == 0
