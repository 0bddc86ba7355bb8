"""Who may use a bucket under ``--auth sigv4``: its creator's account only; signatures are checked
for S3 requests (header-signed payload hashes included); with ``--s3-endpoint-url`` the API is off."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

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


def signed_headers(s3: Any, url: str, body: bytes) -> dict[str, str]:
    """Headers boto3's signer gives a PUT of ``body`` to ``url`` (payload SHA-256 signed)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="PUT", url=url, data=body)
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    credentials = s3._request_signer._credentials
    S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    return dict(request.headers)


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
