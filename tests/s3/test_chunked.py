"""aws-chunked uploads (``STREAMING-...`` payloads) as newer SDKs send them: bodies framed by
botocore's own :class:`AwsChunkedWrapper` with every trailing checksum algorithm, signed chunks
(signatures computed here from the SigV4 rules, the seed signed by botocore), and the failures:
wrong checksums, bad chunk signatures, truncated bodies. Nothing is published when a check fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from typing import Any

import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpchecksum import _CHECKSUM_CLS, AwsChunkedWrapper

from tests.s3.conftest import ALICE, BOB, S3_SCOPED, as_person, error_of
from tests.support import JobforgeServer

ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"]
DATA = bytes(range(256)) * 700  # 179,200 bytes: several chunks
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _unsigned_trailer_body(data: bytes, algorithm: str, chunk_size: int = 64 * 1024) -> bytes:
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data), _CHECKSUM_CLS[algorithm], f"x-amz-checksum-{algorithm}", chunk_size
    )
    return wrapper.read()


def _checksum(data: bytes, algorithm: str) -> str:
    checksum = _CHECKSUM_CLS[algorithm]()
    checksum.update(data)
    return checksum.b64digest()


def _put(url: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.put(f"{url}{path}", content=body, headers=headers, timeout=30)


def _trailer_headers(data: bytes, algorithm: str) -> dict[str, str]:
    return {
        **S3_SCOPED,
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": f"x-amz-checksum-{algorithm}",
    }


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_unsigned_trailer_upload_every_algorithm(server: JobforgeServer, s3: Any, algorithm: str) -> None:
    bucket = f"chunked-{algorithm}"
    s3.create_bucket(Bucket=bucket)
    body = _unsigned_trailer_body(DATA, algorithm)
    response = _put(server.url, f"/{bucket}/obj", body, _trailer_headers(DATA, algorithm))
    assert response.status_code == 200, response.text
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == DATA
    assert got["ETag"] == f'"{hashlib.md5(DATA).hexdigest()}"'
    assert "ContentEncoding" not in got  # aws-chunked describes the transfer, not the object


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_trailing_checksum_is_bad_digest(server: JobforgeServer, s3: Any, algorithm: str) -> None:
    bucket = f"chunked-bad-{algorithm}"
    s3.create_bucket(Bucket=bucket)
    body = _unsigned_trailer_body(DATA, algorithm)
    good = _checksum(DATA, algorithm).encode()
    wrong = _checksum(DATA + b"x", algorithm).encode()
    assert good in body
    response = _put(
        server.url, f"/{bucket}/obj", body.replace(good, wrong), _trailer_headers(DATA, algorithm)
    )
    assert response.status_code == 400
    assert "<Code>BadDigest</Code>" in response.text
    assert error_of(s3.head_object, Bucket=bucket, Key="obj")[1] == 404


def test_malformed_or_missing_trailer_is_invalid_request(server: JobforgeServer, s3: Any) -> None:
    s3.create_bucket(Bucket="chunked-malformed")
    body = _unsigned_trailer_body(DATA, "crc32c")
    good = _checksum(DATA, "crc32c").encode()
    for changed in (
        body.replace(good, b"not-base64!"),
        body.replace(b"x-amz-checksum-crc32c:" + good + b"\r\n", b""),
    ):
        response = _put(server.url, "/chunked-malformed/obj", changed, _trailer_headers(DATA, "crc32c"))
        assert response.status_code == 400
        assert "<Code>InvalidRequest</Code>" in response.text
    assert error_of(s3.head_object, Bucket="chunked-malformed", Key="obj")[1] == 404


def test_truncated_or_overlong_body_is_refused(server: JobforgeServer, s3: Any) -> None:
    s3.create_bucket(Bucket="chunked-short")
    body = _unsigned_trailer_body(DATA, "crc32")
    headers = _trailer_headers(DATA, "crc32")
    assert _put(server.url, "/chunked-short/a", body[: len(body) // 2], headers).status_code == 400
    longer = {**headers, "x-amz-decoded-content-length": str(len(DATA) - 1)}
    assert "IncompleteBody" in _put(server.url, "/chunked-short/a", body, longer).text
    assert error_of(s3.head_object, Bucket="chunked-short", Key="a")[1] == 404


def test_header_checksums_crc32c_and_crc64nvme_are_verified(server: JobforgeServer, s3: Any) -> None:
    s3.create_bucket(Bucket="header-checksums")
    for algorithm in ("crc32c", "crc64nvme"):
        headers = {**S3_SCOPED, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
        headers[f"x-amz-checksum-{algorithm}"] = _checksum(DATA, algorithm)
        assert _put(server.url, "/header-checksums/ok", DATA, headers).status_code == 200
        headers[f"x-amz-checksum-{algorithm}"] = _checksum(b"other", algorithm)
        response = _put(server.url, "/header-checksums/bad", DATA, headers)
        assert "<Code>BadDigest</Code>" in response.text
    assert error_of(s3.head_object, Bucket="header-checksums", Key="bad")[1] == 404


def test_chunked_upload_part(server: JobforgeServer, s3: Any) -> None:
    s3.create_bucket(Bucket="chunked-parts")
    upload = s3.create_multipart_upload(Bucket="chunked-parts", Key="big")["UploadId"]
    body = _unsigned_trailer_body(DATA, "crc64nvme")
    path = f"/chunked-parts/big?partNumber=1&uploadId={upload}"
    response = _put(server.url, path, body, _trailer_headers(DATA, "crc64nvme"))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{hashlib.md5(DATA).hexdigest()}"'
    parts = [{"PartNumber": 1, "ETag": response.headers["etag"]}]
    s3.complete_multipart_upload(
        Bucket="chunked-parts", Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket="chunked-parts", Key="big")["Body"].read() == DATA


# -- signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) under --auth sigv4 --


class _StreamingAuth(S3SigV4Auth):
    """botocore's S3 signer, signing a streaming payload form as the seed's payload hash."""

    def __init__(self, credentials: Credentials, form: str) -> None:
        super().__init__(credentials, "s3", "us-east-1")
        self.form = form

    def payload(self, request: Any) -> str:
        return self.form


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _signed_chunked(
    data: bytes, seed: str, key: bytes, amz_date: str, trailer: str | None, chunk: int = 64 * 1024
) -> bytes:
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    previous, out = seed, bytearray()
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for piece in pieces:
        text = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n"
            + hashlib.sha256(piece).hexdigest()
        )
        previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        out += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece
        out += b"\r\n" if piece else b""
    if trailer is None:
        return bytes(out + b"\r\n")
    digest = hashlib.sha256(f"{trailer}\n".encode()).hexdigest()
    text = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n{digest}"
    signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return bytes(out + f"{trailer}\r\nx-amz-trailer-signature:{signature}\r\n\r\n".encode())


def _signed_put(
    url: str, path: str, data: bytes, *, trailer: str | None = None, tamper: Any = None, person: Any = ALICE
) -> Any:
    form = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = trailer.split(":", 1)[0]
    placeholder = _signed_chunked(data, "0" * 64, b"k", "20260101T000000Z", trailer)
    headers["Content-Length"] = str(len(placeholder))
    request = AWSRequest("PUT", f"{url}{path}", headers=headers)
    _StreamingAuth(Credentials(person[0], person[1]), form).add_auth(request)
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = request.headers["X-Amz-Date"]
    key = f"AWS4{person[1]}".encode()
    for part in (amz_date[:8], "us-east-1", "s3", "aws4_request"):
        key = _hmac(key, part)
    body = _signed_chunked(data, seed, key, amz_date, trailer)
    if tamper is not None:
        body = tamper(body)
    return httpx.put(request.url, content=body, headers=dict(request.headers.items()), timeout=30)


def test_signed_chunks_verified(signed: JobforgeServer) -> None:
    s3 = as_person(signed, ALICE)
    s3.create_bucket(Bucket="signed-chunks")
    ok = _signed_put(signed.url, "/signed-chunks/a", DATA)
    assert ok.status_code == 200, ok.text
    assert s3.get_object(Bucket="signed-chunks", Key="a")["Body"].read() == DATA

    flipped = _signed_put(
        signed.url, "/signed-chunks/b", DATA, tamper=lambda b: b.replace(b"\x05\x06", b"\x06\x05", 1)
    )
    assert flipped.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in flipped.text
    assert error_of(s3.head_object, Bucket="signed-chunks", Key="b")[1] == 404

    bobs = _signed_put(signed.url, "/signed-chunks/c", DATA, person=BOB)  # alice's bucket
    assert bobs.status_code == 403 and "<Code>AccessDenied</Code>" in bobs.text
    assert error_of(s3.head_object, Bucket="signed-chunks", Key="c")[1] == 404


def test_signed_trailer_verified(signed: JobforgeServer) -> None:
    s3 = as_person(signed, ALICE)
    s3.create_bucket(Bucket="signed-trailer")
    trailer = f"x-amz-checksum-sha256:{_checksum(DATA, 'sha256')}"
    ok = _signed_put(signed.url, "/signed-trailer/a", DATA, trailer=trailer)
    assert ok.status_code == 200, ok.text
    assert s3.get_object(Bucket="signed-trailer", Key="a")["Body"].read() == DATA

    def resign(body: bytes) -> bytes:  # a trailer signature that signs something else
        head, _, signature = body.rstrip(b"\r\n").rpartition(b"x-amz-trailer-signature:")
        return head + b"x-amz-trailer-signature:" + b"0" * len(signature) + b"\r\n\r\n"

    bad = _signed_put(signed.url, "/signed-trailer/b", DATA, trailer=trailer, tamper=resign)
    assert bad.status_code == 403
    assert error_of(s3.head_object, Bucket="signed-trailer", Key="b")[1] == 404


def test_encoded_checksum_header_value() -> None:
    """The checksums compared above are S3's encoding: base64 of the big-endian CRC."""
    assert _checksum(b"123456789", "crc32c") == base64.b64encode(bytes.fromhex("e3069283")).decode()
