"""Object features under ``--auth sigv4``: CopyObject checks the caller may use both buckets,
DeleteObjects another account's bucket is refused, presigned GET URLs are verified."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tests.s3.conftest import ALICE, BOB, as_person, error_of
from tests.support import JobforgeServer


def test_copy_and_bulk_delete_check_both_accounts(signed: JobforgeServer) -> None:
    alice, bob = as_person(signed, ALICE), as_person(signed, BOB)
    alice.create_bucket(Bucket="alice-objects")
    bob.create_bucket(Bucket="bob-objects")
    alice.put_object(Bucket="alice-objects", Key="a", Body=b"alice's")
    bob.put_object(Bucket="bob-objects", Key="b", Body=b"bob's")
    denied = ("AccessDenied", 403)
    assert error_of(bob.copy_object, Bucket="bob-objects", Key="x", CopySource="alice-objects/a") == denied
    assert error_of(bob.copy_object, Bucket="alice-objects", Key="x", CopySource="bob-objects/b") == denied
    assert error_of(bob.delete_objects, Bucket="alice-objects", Delete={"Objects": [{"Key": "a"}]}) == denied
    assert error_of(bob.list_objects, Bucket="alice-objects") == denied
    assert [o["Key"] for o in alice.list_objects(Bucket="alice-objects")["Contents"]] == ["a"]
    alice.copy_object(Bucket="alice-objects", Key="copy", CopySource="alice-objects/a")
    assert alice.get_object(Bucket="alice-objects", Key="copy")["Body"].read() == b"alice's"


@pytest.mark.parametrize("version", [None, "s3v4"])  # boto3's default presigns with SigV2
def test_presigned_get_is_verified(signed: JobforgeServer, version: str | None) -> None:
    alice = as_person(signed, ALICE, **({"signature_version": version} if version else {}))
    bucket = f"alice-shared-{version or 'v2'}"
    alice.create_bucket(Bucket=bucket)
    alice.put_object(Bucket=bucket, Key="out/result.zip", Body=b"zip bytes")
    params = {"Bucket": bucket, "Key": "out/result.zip"}
    url = alice.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"zip bytes"
    parts = urlsplit(url)
    tampered = urlunsplit(parts._replace(path=f"/{bucket}/out/other.zip"))
    assert httpx.get(tampered).status_code == 403
    query = dict(parse_qsl(parts.query))
    signature = "X-Amz-Signature" if version else "Signature"
    query[signature] = "0" * 64 if version else "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    forged = httpx.get(urlunsplit(parts._replace(query=urlencode(query))))
    assert forged.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in forged.text
    bob = as_person(signed, BOB, **({"signature_version": version} if version else {}))
    assert httpx.get(bob.generate_presigned_url("get_object", Params=params)).status_code == 403
    expired = alice.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    time.sleep(2.1)
    assert httpx.get(expired).status_code == 403


@pytest.mark.parametrize(
    "expires", ["%C2%B2", "9" * 5000, "-1", ""], ids=["superscript", "5000-digits", "neg", "empty"]
)
def test_a_malformed_sigv2_expires_is_access_denied(signed: JobforgeServer, expires: str) -> None:
    """Query-string (SigV2) Expires must be ASCII digits, few enough to read: never a 500."""
    url = f"{signed.url}/any-bucket/k?AWSAccessKeyId={ALICE[0]}&Expires={expires}&Signature=x"
    response = httpx.get(url)
    assert response.status_code == 403 and "<Code>AccessDenied</Code>" in response.text, response.text
