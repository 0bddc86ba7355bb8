"""Object features through boto3: user metadata, CopyObject, DeleteObjects, ListObjects (v1),
conditional GET/HEAD, presigned GET, the bucket's region, and keys the local store refuses."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.s3.conftest import S3_SCOPED, error_of
from tests.support import JobforgeServer, client


def new_bucket(s3: Any, **kwargs: Any) -> str:
    name = f"s3-feat-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, **kwargs)
    return name


def test_user_metadata_and_headers_are_kept(s3: Any, server: JobforgeServer) -> None:
    bucket = new_bucket(s3)
    s3.put_object(
        Bucket=bucket,
        Key="doc/report.txt",
        Body=b"hello",
        ContentType="text/plain",
        Metadata={"Owner": "alice", "run-id": "42"},
        ContentDisposition='attachment; filename="r.txt"',
        CacheControl="max-age=60",
    )
    head = s3.head_object(Bucket=bucket, Key="doc/report.txt")
    assert head["Metadata"] == {"owner": "alice", "run-id": "42"}
    assert head["ContentDisposition"] == 'attachment; filename="r.txt"'
    assert head["CacheControl"] == "max-age=60"
    got = s3.get_object(Bucket=bucket, Key="doc/report.txt")
    assert got["Metadata"] == {"owner": "alice", "run-id": "42"} and got["Body"].read() == b"hello"
    # the bytes stay at the documented place, and no sidecar is listed or left on disk
    bucket_dir = server.data_dir / "buckets" / bucket
    assert sorted(p.relative_to(bucket_dir).as_posix() for p in bucket_dir.rglob("*")) == [
        "doc",
        "doc/report.txt",
    ]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["doc/report.txt"]
    # replacing the object replaces its metadata
    s3.put_object(Bucket=bucket, Key="doc/report.txt", Body=b"v2")
    assert s3.head_object(Bucket=bucket, Key="doc/report.txt").get("Metadata") == {}


def test_metadata_too_large_is_refused(s3: Any) -> None:
    bucket = new_bucket(s3)
    code = error_of(s3.put_object, Bucket=bucket, Key="big", Body=b"x", Metadata={"a": "x" * 3000})
    assert code == ("MetadataTooLarge", 400)
    assert error_of(s3.head_object, Bucket=bucket, Key="big") == ("404", 404)


def test_copy_object_copy_and_replace(s3: Any) -> None:
    src, dst = new_bucket(s3), new_bucket(s3)
    s3.put_object(Bucket=src, Key="a", Body=b"data", ContentType="text/csv", Metadata={"k": "v"})
    result = s3.copy_object(Bucket=dst, Key="b", CopySource={"Bucket": src, "Key": "a"})
    etag = s3.head_object(Bucket=src, Key="a")["ETag"]
    assert result["CopyObjectResult"]["ETag"] == etag
    copied = s3.get_object(Bucket=dst, Key="b")
    assert copied["Body"].read() == b"data"
    assert copied["ContentType"] == "text/csv" and copied["Metadata"] == {"k": "v"}
    # REPLACE onto itself changes the metadata; COPY onto itself is illegal, as on S3
    s3.copy_object(
        Bucket=src,
        Key="a",
        CopySource=f"{src}/a",
        MetadataDirective="REPLACE",
        Metadata={"new": "1"},
        ContentType="text/plain",
    )
    head = s3.head_object(Bucket=src, Key="a")
    assert head["Metadata"] == {"new": "1"} and head["ContentType"] == "text/plain"
    assert head["ETag"] == etag
    assert error_of(s3.copy_object, Bucket=src, Key="a", CopySource=f"{src}/a") == ("InvalidRequest", 400)
    assert error_of(s3.copy_object, Bucket=dst, Key="c", CopySource=f"{src}/missing") == ("NoSuchKey", 404)
    failed = error_of(s3.copy_object, Bucket=dst, Key="c", CopySource=f"{src}/a", CopySourceIfMatch='"nope"')
    assert failed == ("PreconditionFailed", 412)
    # a key with characters that need encoding
    s3.put_object(Bucket=src, Key="dir/with space+plus.txt", Body=b"s")
    s3.copy_object(Bucket=dst, Key="space copy", CopySource={"Bucket": src, "Key": "dir/with space+plus.txt"})
    assert s3.get_object(Bucket=dst, Key="space copy")["Body"].read() == b"s"


def test_delete_objects(s3: Any) -> None:
    bucket = new_bucket(s3)
    for key in ("a", "b/c", "d"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b/c"}, {"Key": "missing"}, {"Key": "../x"}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b/c", "missing"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("../x", "InvalidArgument")]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_body_digest_is_checked(s3: Any, server: JobforgeServer) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    body = b"<Delete><Object><Key>kept</Key></Object></Delete>"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = httpx.post(
        f"{server.url}/{bucket}?delete", content=body, headers={**S3_SCOPED, "Content-MD5": wrong}
    )
    assert response.status_code == 400 and "<Code>BadDigest</Code>" in response.text
    assert s3.head_object(Bucket=bucket, Key="kept")["ContentLength"] == 1


def test_list_objects_v1_with_markers(s3: Any) -> None:
    bucket = new_bucket(s3)
    keys = [f"k{i:03d}" for i in range(25)] + ["dir/a", "dir/b", "zed"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    listed = [
        obj["Key"]
        for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 7})
        for obj in page.get("Contents", [])
    ]
    assert listed == sorted(keys)
    first = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["dir/"] and first["NextMarker"] == "dir/"
    assert "Contents" not in first and first["IsTruncated"]
    second = s3.list_objects(Bucket=bucket, Delimiter="/", Marker="dir/", MaxKeys=25)
    assert [o["Key"] for o in second["Contents"]] == keys[:25] and "CommonPrefixes" not in second
    assert second["IsTruncated"] and second["NextMarker"] == "k024"
    third = s3.list_objects(Bucket=bucket, Delimiter="/", Marker="k024")
    assert [o["Key"] for o in third["Contents"]] == ["zed"] and "CommonPrefixes" not in third
    assert not third["IsTruncated"]


def test_conditional_get_and_head(s3: Any) -> None:
    bucket = new_bucket(s3)
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"other"') == ("PreconditionFailed", 412)
    assert error_of(s3.head_object, Bucket=bucket, Key="c", IfMatch='"other"') == ("412", 412)
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag) == ("304", 304)
    assert error_of(s3.head_object, Bucket=bucket, Key="c", IfNoneMatch="*") == ("304", 304)
    s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"other"')
    later, earlier = modified + timedelta(hours=1), modified - timedelta(hours=1)
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=later) == ("304", 304)
    s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)
    code = error_of(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
    assert code == ("PreconditionFailed", 412)
    s3.head_object(Bucket=bucket, Key="c", IfUnmodifiedSince=later)
    # If-Match wins over a failing If-Unmodified-Since (RFC 7232 order, as S3 does)
    s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=earlier)


def test_presigned_get(s3: Any) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="shared/file.bin", Body=os.urandom(1000), Metadata={"m": "1"})
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/file.bin"})
    response = httpx.get(url)
    assert response.status_code == 200 and len(response.content) == 1000
    assert response.headers["x-amz-meta-m"] == "1"
    missing = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "nope"})
    assert httpx.get(missing).status_code == 404


def test_bucket_location_is_the_buckets_region(server: JobforgeServer) -> None:
    east = client("s3", server.url)
    west = client("s3", server.url, region="eu-west-1")
    bucket = new_bucket(west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert east.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-west-1"
    assert east.head_bucket(Bucket=bucket)["BucketRegion"] == "eu-west-1"
    plain = new_bucket(east)
    assert west.get_bucket_location(Bucket=plain)["LocationConstraint"] is None


@pytest.mark.parametrize("key", ["folder/", "a//b", "x/y/"])
def test_folder_markers_and_empty_segments_are_refused_clearly(s3: Any, key: str) -> None:
    bucket = new_bucket(s3)
    code = error_of(s3.put_object, Bucket=bucket, Key=key, Body=b"")
    assert code == ("InvalidArgument", 400)
    with pytest.raises(Exception) as info:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    assert "local store" in str(info.value)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
