"""Checksums returned when asked (``x-amz-checksum-mode: ENABLED``), through boto3: what a
single-request upload carried, a multipart object's COMPOSITE or FULL_OBJECT checksum made from its
parts', and the refusals of missing or wrong part and object checksums. Also what a multipart upload
keeps (user metadata, content type, stored headers) and a 304's ETag."""

from __future__ import annotations

import base64
import os
import random
import zlib
from typing import Any

import pytest
from awscrt import checksums as crt

from jobforge.services.s3.checksums import _CRCS, crc_combine
from tests.s3.conftest import error_of
from tests.support import client

MIB = 1024 * 1024


def _b64(value: int, size: int = 4) -> str:
    return base64.b64encode(value.to_bytes(size, "big")).decode()


CRC = {  # algorithm -> (function, size in bytes)
    "crc32": (zlib.crc32, 4),
    "crc32c": (crt.crc32c, 4),
    "crc64nvme": (crt.crc64nvme, 8),
}


@pytest.mark.parametrize("algorithm", sorted(CRC))
def test_crc_combine_gives_the_crc_of_the_concatenation(algorithm: str) -> None:
    function, _size = CRC[algorithm]
    polynomial, width = _CRCS[algorithm]
    rng = random.Random(algorithm)
    for _ in range(20):
        a, b = rng.randbytes(rng.randrange(0, 3000)), rng.randbytes(rng.randrange(0, 3000))
        combined = crc_combine(function(a, 0), function(b, 0), len(b), polynomial, width)
        assert combined == function(a + b, 0), (len(a), len(b))


def test_a_put_objects_checksum_comes_back_only_when_asked(s3: Any) -> None:
    s3.create_bucket(Bucket="sums")
    body = os.urandom(100_000)
    put = s3.put_object(Bucket="sums", Key="a.bin", Body=body)  # boto3 sends x-amz-checksum-crc32
    expected = _b64(zlib.crc32(body))
    assert put["ChecksumCRC32"] == expected
    head = s3.head_object(Bucket="sums", Key="a.bin", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (expected, "FULL_OBJECT")
    assert "ChecksumCRC32" not in s3.head_object(Bucket="sums", Key="a.bin")
    got = s3.get_object(Bucket="sums", Key="a.bin", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == expected
    assert got["Body"].read() == body  # botocore checked the body against the checksum
    ranged = s3.get_object(Bucket="sums", Key="a.bin", ChecksumMode="ENABLED", Range="bytes=0-9")
    assert "ChecksumCRC32" not in ranged  # a checksum describes the whole object only
    assert ranged["Body"].read() == body[:10]


@pytest.mark.parametrize(
    ("algorithm", "member"),
    [("SHA256", "ChecksumSHA256"), ("CRC64NVME", "ChecksumCRC64NVME"), ("CRC32C", "ChecksumCRC32C")],
)
def test_other_algorithms_are_kept_too(s3: Any, algorithm: str, member: str) -> None:
    bucket = f"sums-{algorithm.lower()}"
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(5000)
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=body, ChecksumAlgorithm=algorithm)
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert head[member] == put[member]
    got = s3.get_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got[member] == put[member]


def _parts(s3: Any, bucket: str, key: str, upload_id: str, parts: list[bytes], algorithm: str) -> list[dict]:
    done = []
    for number, data in enumerate(parts, start=1):
        sent = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm=algorithm,
        )
        member = f"Checksum{algorithm}"
        done.append({"PartNumber": number, "ETag": sent["ETag"], member: sent[member]})
    return done


def test_a_multipart_upload_gets_a_composite_checksum_by_default(s3: Any) -> None:
    s3.create_bucket(Bucket="sums-mpu")
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1234)]
    created = s3.create_multipart_upload(Bucket="sums-mpu", Key="big", ChecksumAlgorithm="CRC32")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC32", "COMPOSITE")
    upload_id = created["UploadId"]
    done = _parts(s3, "sums-mpu", "big", upload_id, parts, "CRC32")
    listed = s3.list_parts(Bucket="sums-mpu", Key="big", UploadId=upload_id)
    assert [part["ChecksumCRC32"] for part in listed["Parts"]] == [_b64(zlib.crc32(p)) for p in parts]
    assert listed["ChecksumAlgorithm"] == "CRC32"
    completed = s3.complete_multipart_upload(
        Bucket="sums-mpu", Key="big", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    raw = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    expected = f"{_b64(zlib.crc32(raw))}-3"
    assert (completed["ChecksumCRC32"], completed["ChecksumType"]) == (expected, "COMPOSITE")
    head = s3.head_object(Bucket="sums-mpu", Key="big", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (expected, "COMPOSITE")
    got = s3.get_object(Bucket="sums-mpu", Key="big", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(parts)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_a_full_object_checksum_is_the_crc_of_the_whole_object(s3: Any, algorithm: str) -> None:
    bucket = f"sums-full-{algorithm.lower()}"
    s3.create_bucket(Bucket=bucket)
    parts = [os.urandom(5 * MIB), os.urandom(777)]
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="o", ChecksumAlgorithm=algorithm, ChecksumType="FULL_OBJECT"
    )
    done = _parts(s3, bucket, "o", created["UploadId"], parts, algorithm)
    function, size = CRC[algorithm.lower()]
    whole = _b64(function(b"".join(parts), 0), size)
    completed = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="o",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": done},
        ChecksumType="FULL_OBJECT",
        **{f"Checksum{algorithm}": whole},
    )
    assert (completed[f"Checksum{algorithm}"], completed["ChecksumType"]) == (whole, "FULL_OBJECT")
    got = s3.get_object(Bucket=bucket, Key="o", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == whole
    assert got["Body"].read() == b"".join(parts)  # botocore validated the full-object CRC


def test_wrong_or_missing_checksums_are_refused(server: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="sums-bad")
    created = s3.create_multipart_upload(Bucket="sums-bad", Key="k", ChecksumAlgorithm="CRC32")
    upload_id = created["UploadId"]
    plain = client("s3", server.url, request_checksum_calculation="when_required")
    code = error_of(
        plain.upload_part, Bucket="sums-bad", Key="k", UploadId=upload_id, PartNumber=1, Body=b"x"
    )
    assert code == ("InvalidRequest", 400)  # the upload asked for CRC32 parts
    assert "Parts" not in s3.list_parts(Bucket="sums-bad", Key="k", UploadId=upload_id)
    parts = [os.urandom(5 * MIB), b"tail"]
    done = _parts(s3, "sums-bad", "k", upload_id, parts, "CRC32")
    wrong = [dict(done[0]), dict(done[1], ChecksumCRC32=_b64(12345))]
    upload = {"Bucket": "sums-bad", "Key": "k", "UploadId": upload_id}
    for extra, expected in (
        ({"MultipartUpload": {"Parts": wrong}}, "InvalidPart"),
        (
            {"MultipartUpload": {"Parts": done}, "ChecksumCRC32": _b64(1), "ChecksumType": "COMPOSITE"},
            "BadDigest",
        ),
        ({"MultipartUpload": {"Parts": done}, "MpuObjectSize": 1}, "InvalidRequest"),
    ):
        assert error_of(s3.complete_multipart_upload, **upload, **extra) == (expected, 400)
    # the refusals kept the upload: it still completes
    s3.complete_multipart_upload(
        Bucket="sums-bad", Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    assert error_of(
        s3.create_multipart_upload,
        Bucket="sums-bad",
        Key="k2",
        ChecksumAlgorithm="SHA256",
        ChecksumType="FULL_OBJECT",
    ) == ("InvalidRequest", 400)


def test_a_multipart_object_keeps_metadata_content_type_and_headers(s3: Any) -> None:
    s3.create_bucket(Bucket="sums-meta")
    created = s3.create_multipart_upload(
        Bucket="sums-meta",
        Key="doc",
        ContentType="text/csv",
        Metadata={"owner": "team-a"},
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="d.csv"',
    )
    sent = s3.upload_part(
        Bucket="sums-meta", Key="doc", UploadId=created["UploadId"], PartNumber=1, Body=b"a,b\n"
    )
    s3.complete_multipart_upload(
        Bucket="sums-meta",
        Key="doc",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": sent["ETag"]}]},
    )
    head = s3.head_object(Bucket="sums-meta", Key="doc")
    assert head["ContentType"] == "text/csv"
    assert head["Metadata"] == {"owner": "team-a"}
    assert head["CacheControl"] == "max-age=60"
    assert head["ContentDisposition"] == 'attachment; filename="d.csv"'


def test_not_modified_names_the_current_etag(s3: Any) -> None:
    s3.create_bucket(Bucket="sums-304")
    etag = s3.put_object(Bucket="sums-304", Key="k", Body=b"v1")["ETag"]
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(Exception) as info:
            call(Bucket="sums-304", Key="k", IfNoneMatch=etag)
        response = info.value.response  # type: ignore[attr-defined]
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 304
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["etag"] == etag
        assert headers["last-modified"].endswith("GMT")
