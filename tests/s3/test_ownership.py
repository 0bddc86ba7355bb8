"""Who may use a bucket under ``--auth sigv4``: its creator's account only; signatures are checked
for S3 requests (header-signed payload hashes included); with ``--s3-endpoint-url`` the API is off."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from tests.s3.conftest import ALICE, BOB, as_person, error_of, virtual_hosted
from tests.support import JobforgeServer, MotoServer, client


def test_another_accounts_bucket_is_access_denied(signed: JobforgeServer) -> None:
    alice, bob = as_person(signed, ALICE), as_person(signed, BOB)
    alice.create_bucket(Bucket="alice-data")
    alice.put_object(Bucket="alice-data", Key="secret.txt", Body=b"for alice")
    assert alice.get_object(Bucket="alice-data", Key="secret.txt")["Body"].read() == b"for alice"
    for call, kwargs in (
        (bob.get_object, {"Key": "secret.txt"}),
        (bob.put_object, {"Key": "secret.txt", "Body": b"overwritten"}),
        (bob.delete_object, {"Key": "secret.txt"}),
        (bob.list_objects_v2, {}),
        (bob.delete_bucket, {}),
        (bob.get_bucket_location, {}),
    ):
        assert error_of(call, Bucket="alice-data", **kwargs) == ("AccessDenied", 403), call
    assert error_of(bob.head_bucket, Bucket="alice-data") == ("403", 403)
    assert error_of(bob.create_bucket, Bucket="alice-data") == ("BucketAlreadyExists", 409)
    assert "alice-data" not in [b["Name"] for b in bob.list_buckets()["Buckets"]]
    assert "alice-data" in [b["Name"] for b in alice.list_buckets()["Buckets"]]
    assert alice.get_object(Bucket="alice-data", Key="secret.txt")["Body"].read() == b"for alice"


def test_ownership_survives_a_restart(signed: JobforgeServer) -> None:
    alice, bob = as_person(signed, ALICE), as_person(signed, BOB)
    alice.create_bucket(Bucket="alice-durable")
    signed.stop()
    signed.start()
    assert error_of(bob.list_objects_v2, Bucket="alice-durable") == ("AccessDenied", 403)
    assert alice.list_objects_v2(Bucket="alice-durable")["KeyCount"] == 0
    alice.delete_bucket(Bucket="alice-durable")
    bob.create_bucket(Bucket="alice-durable")  # deleted: the name is free for anyone
    assert error_of(alice.list_objects_v2, Bucket="alice-durable") == ("AccessDenied", 403)


def test_a_missing_bucket_is_no_such_bucket_to_every_account(signed: JobforgeServer) -> None:
    """Not "AccessDenied, it belongs to another account": SDK code that creates a bucket it finds
    missing (404) works for every account, as on S3."""
    alice = as_person(signed, ALICE)
    assert error_of(alice.list_objects_v2, Bucket="nobody-has-this") == ("NoSuchBucket", 404)
    assert error_of(alice.head_bucket, Bucket="nobody-has-this") == ("404", 404)
    alice.create_bucket(Bucket="alice-brief")
    alice.delete_bucket(Bucket="alice-brief")
    assert error_of(alice.get_object, Bucket="alice-brief", Key="k") == ("NoSuchBucket", 404)
    assert error_of(alice.delete_bucket, Bucket="alice-brief") == ("NoSuchBucket", 404)


def test_signatures_are_verified(signed: JobforgeServer) -> None:
    alice = as_person(signed, ALICE)
    alice.create_bucket(Bucket="alice-signed")
    wrong = client("s3", signed.url, access_key=ALICE[0], secret_key="wrong")
    assert error_of(wrong.list_objects_v2, Bucket="alice-signed") == ("SignatureDoesNotMatch", 403)
    assert error_of(wrong.put_object, Bucket="alice-signed", Key="k", Body=b"x") == (
        "SignatureDoesNotMatch",
        403,
    )
    unknown = client("s3", signed.url, access_key="AKIDNOBODY", secret_key="x")
    assert error_of(unknown.list_buckets) == ("InvalidAccessKeyId", 403)
    anonymous = client("s3", signed.url, signature_version=UNSIGNED)  # unsigned path-style: refused
    assert error_of(anonymous.list_objects_v2, Bucket="alice-signed")[1] == 403
    anonymous_virtual = virtual_hosted(signed.url, signature_version=UNSIGNED)
    assert error_of(anonymous_virtual.list_objects_v2, Bucket="alice-signed") == ("AccessDenied", 403)
    # an upload whose bytes differ from the payload hash it signed is refused, and not stored
    good = b"the signed body"
    url = f"{signed.url}/alice-signed/tampered"
    presigner = as_person(signed, ALICE, signature_version="s3v4")
    presigned = presigner.generate_presigned_url(
        "put_object", Params={"Bucket": "alice-signed", "Key": "presigned"}, ExpiresIn=60
    )
    assert httpx.put(presigned, content=good).status_code == 200
    assert alice.get_object(Bucket="alice-signed", Key="presigned")["Body"].read() == good
    headers = signed_headers(alice, url, good)
    response = httpx.put(url, content=b"other bytes, same len", headers=headers)
    assert response.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in response.text
    assert error_of(alice.head_object, Bucket="alice-signed", Key="tampered") == ("404", 404)


def test_a_header_signature_must_bind_the_body(signed: JobforgeServer) -> None:
    """Without x-amz-content-sha256 a SigV4 header signature covers no body: such a request is
    refused (S3's InvalidRequest), else a captured signed PUT could be replayed with any bytes."""
    alice = as_person(signed, ALICE)
    alice.create_bucket(Bucket="alice-bound")
    url = f"{signed.url}/alice-bound/marker"
    headers = signed_headers(alice, url, b"", payload_hash=None)
    assert "x-amz-content-sha256" not in {name.lower() for name in headers}
    for body in (b"", b"replayed with other bytes"):
        response = httpx.put(url, content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert "<Code>InvalidRequest</Code>" in response.text and "x-amz-content-sha256" in response.text
    assert error_of(alice.head_object, Bucket="alice-bound", Key="marker") == ("404", 404)


def test_time_and_digest_refusals_carry_s3s_codes(signed: JobforgeServer) -> None:
    """A header signature off by more than the skew is RequestTimeTooSkewed (SDKs correct their
    clock on it); an expired presigned URL AccessDenied; a malformed Content-MD5 InvalidDigest."""
    alice = as_person(signed, ALICE)
    alice.create_bucket(Bucket="alice-clock")
    url = f"{signed.url}/alice-clock/k"
    for skew in (-20, 20):
        headers = signed_headers(alice, url, b"x", at=datetime.now(UTC) + timedelta(minutes=skew))
        response = httpx.put(url, content=b"x", headers=headers)
        assert response.status_code == 403 and "<Code>RequestTimeTooSkewed</Code>" in response.text
    expired = httpx.get(presigned_url(alice, url, expires=60, at=datetime.now(UTC) - timedelta(hours=2)))
    assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text
    assert "Request has expired" in expired.text
    headers = signed_headers(alice, url, b"x")
    response = httpx.put(url, content=b"x", headers={**headers, "Content-MD5": "zz"})
    assert response.status_code == 400 and "<Code>InvalidDigest</Code>" in response.text


def signed_headers(
    s3: Any, url: str, body: bytes, *, payload_hash: str | None = "sha256", at: datetime | None = None
) -> dict[str, str]:
    """Headers boto3's signer gives a PUT of ``body`` to ``url``: its SHA-256 signed and sent as
    x-amz-content-sha256 (``payload_hash=None``: the empty body's hash signed, no such header), dated
    ``at`` (default now)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="PUT", url=url, data=body)
    credentials = s3._request_signer._credentials
    signer = S3SigV4Auth if payload_hash else SigV4Auth  # SigV4Auth sends no payload header
    if payload_hash:
        request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    with freeze_signing_clock(at or datetime.now(UTC)):
        signer(credentials, "s3", "us-east-1").add_auth(request)
    return dict(request.headers)


def presigned_url(s3: Any, url: str, *, expires: int, at: datetime) -> str:
    """A SigV4 query-signed GET of ``url`` made ``at``, valid ``expires`` seconds from then."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=url)
    signer = S3SigV4QueryAuth(s3._request_signer._credentials, "s3", "us-east-1", expires=expires)
    with freeze_signing_clock(at):
        signer.add_auth(request)
    return str(request.url)


@contextlib.contextmanager
def freeze_signing_clock(at: datetime) -> Iterator[None]:
    """botocore's signers date what they sign ``at``."""
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        yield


def test_s3_api_is_off_with_an_s3_endpoint(moto: MotoServer, tmp_path: Path) -> None:
    args, env = moto.jobforge_args()
    server = JobforgeServer(tmp_path / "data", *args, env=env).start()
    try:
        s3 = client("s3", server.url)
        with pytest.raises(ClientError) as info:
            s3.list_buckets()
        error = info.value.response["Error"]
        assert error["Code"] == "NotImplemented" and moto.url in error["Message"]
        robomaker = client("robomaker", server.url)  # the JSON services still answer
        assert robomaker.list_world_templates()["templateSummaries"] == []
    finally:
        server.stop()
