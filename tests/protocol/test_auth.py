"""SigV4: accounts from access keys, and real signature checks in ``sigv4`` mode."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import botocore.auth
import httpx
import pytest
from botocore import UNSIGNED
from botocore.compat import HAS_CRT
from botocore.exceptions import ClientError

from jobforge.protocol.auth import Authenticator
from jobforge.protocol.router import parse_query

from .conftest import ACCESS_KEY, SECRET_KEY, LiveServer, build_gateway, make_client, start_server

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def strict() -> Iterator[LiveServer]:
    authenticator = Authenticator(mode="sigv4", accounts={ACCESS_KEY: (SECRET_KEY, ACCOUNT)})
    gateway, providers = build_gateway(authenticator)
    server = start_server(gateway, providers)
    yield server
    server.stop()


def _code(call: Callable[[], object]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_correct_signatures_pass_for_every_service(strict: LiveServer) -> None:
    location = make_client(strict.url, "location", region="eu-central-1")
    location.create_tracker(TrackerName="t1", Description="ü spaces & symbols")
    call = strict.providers["location"].last
    assert (call.ctx.account_id, call.ctx.region, call.ctx.access_key) == (
        ACCOUNT,
        "eu-central-1",
        ACCESS_KEY,
    )

    dataexchange = make_client(strict.url, "dataexchange")
    arn = "arn:aws:dataexchange:us-east-1:111122223333:data-sets/abc"
    dataexchange.list_tags_for_resource(ResourceArn=arn)
    assert strict.providers["dataexchange"].last.request == {"ResourceArn": arn}
    dataexchange.list_data_sets(MaxResults=5, NextToken="a+b/c= d~e", Origin="OWNED")
    assert strict.providers["dataexchange"].last.request["NextToken"] == "a+b/c= d~e"
    dataexchange.untag_resource(ResourceArn=arn, TagKeys=["b key", "a&key"])
    assert strict.providers["dataexchange"].last.request["TagKeys"] == ["b key", "a&key"]

    robomaker = make_client(strict.url, "robomaker")
    robomaker.list_worlds(maxResults=3)
    assert strict.providers["robomaker"].last.ctx.account_id == ACCOUNT


def test_wrong_secret_is_invalid_signature(strict: LiveServer) -> None:
    client = make_client(strict.url, "location", secret_key="not-the-secret")
    code, status, message = _code(lambda: client.list_trackers())
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert strict.providers["location"].calls == []


def test_unsigned_is_missing_authentication_token(strict: LiveServer) -> None:
    client = make_client(strict.url, "dataexchange", signature_version=UNSIGNED)
    assert _code(lambda: client.list_data_sets()) == (
        "MissingAuthenticationTokenException",
        403,
        "Missing Authentication Token",
    )


def test_unknown_access_key_is_unrecognized_client(strict: LiveServer) -> None:
    client = make_client(strict.url, "robomaker", access_key="AKIAUNKNOWN")
    assert _code(lambda: client.list_worlds()) == (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    )


def test_clock_skew_is_rejected(strict: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(strict.url, "location")
    stale = datetime.now(UTC) - timedelta(minutes=20)

    def clock(remove_tzinfo: bool = True) -> datetime:
        return stale.replace(tzinfo=None) if remove_tzinfo else stale

    monkeypatch.setattr(botocore.auth, "get_current_datetime", clock)
    if HAS_CRT:  # with awscrt installed botocore signs through the CRT, which reads its own clock
        monkeypatch.setattr("botocore.crt.auth.get_current_datetime", clock)
    code, status, message = _code(lambda: client.list_trackers())
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired:")


def test_tampered_body_is_rejected(strict: LiveServer) -> None:
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{strict.url}/tracking/v0/list-trackers"
    request = AWSRequest(method="POST", url=url, data=b'{"MaxResults": 5}')
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "geo", "us-east-1").add_auth(request)
    headers = dict(request.headers)
    assert httpx.post(url, content=b'{"MaxResults": 5}', headers=headers).status_code == 200
    tampered = httpx.post(url, content=b'{"MaxResults": 6}', headers=headers)
    assert tampered.status_code == 403
    assert tampered.headers["x-amzn-errortype"] == "InvalidSignatureException"


def test_presigned_url(strict: LiveServer) -> None:
    client = make_client(strict.url, "dataexchange")
    url = client.generate_presigned_url("get_data_set", Params={"DataSetId": "a" * 32}, ExpiresIn=60)
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert strict.providers["dataexchange"].last.ctx.account_id == ACCOUNT
    bad = httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert bad.status_code == 403


def test_default_secret_allows_any_key_and_twelve_digit_accounts() -> None:
    authenticator = Authenticator(mode="sigv4", default_secret="test")
    gateway, providers = build_gateway(authenticator)
    server = start_server(gateway, providers)
    try:
        make_client(server.url, "location", access_key="444455556666", secret_key="test").list_trackers()
        assert providers["location"].last.ctx.account_id == "444455556666"
        client = make_client(server.url, "location", access_key="444455556666", secret_key="nope")
        assert _code(lambda: client.list_trackers())[0] == "InvalidSignatureException"
    finally:
        server.stop()


def test_default_mode_accepts_anything(live: LiveServer) -> None:
    make_client(live.url, "location", access_key="123456789012", secret_key="whatever").list_trackers()
    assert live.providers["location"].last.ctx.account_id == "123456789012"
    make_client(live.url, "location", access_key="AKIAANYTHING", region="ap-south-1").list_trackers()
    ctx = live.providers["location"].last.ctx
    assert (ctx.account_id, ctx.region, ctx.access_key) == ("000000000000", "ap-south-1", "AKIAANYTHING")
    response = httpx.post(
        f"{live.url}/tracking/v0/list-trackers",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=k/20240101/eu-west-3/geo/aws4_request, "
            "SignedHeaders=host, Signature=WHATEVER"
        },
    )
    assert response.status_code == 200
    assert live.providers["location"].last.ctx.region == "eu-west-3"


def test_authenticator_unit() -> None:
    auth = Authenticator(accounts={"AK": ("s", "999999999999")})
    assert auth.account_for("AK") == "999999999999"
    assert auth.account_for("000011112222") == "000011112222"
    assert auth.account_for("AKIA0000") == "000000000000"
    identity = auth.authenticate("GET", "/", "", parse_query(""), {}, b"")
    assert (identity.account_id, identity.region, identity.signing_service) == (
        "000000000000",
        "us-east-1",
        None,
    )
    with pytest.raises(ValueError):
        Authenticator(mode="strict")


def test_future_dated_signature_is_rejected() -> None:
    auth = Authenticator(mode="sigv4", accounts={ACCESS_KEY: (SECRET_KEY, ACCOUNT)})
    now = datetime.now(UTC)
    headers = {
        "authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{now:%Y%m%d}/us-east-1/geo/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00",
        "x-amz-date": f"{now:%Y%m%dT%H%M%SZ}",
        "host": "localhost",
    }
    with pytest.raises(Exception) as info:
        auth.authenticate("GET", "/", "", {}, headers, b"", now=now - timedelta(hours=1))
    assert "Signature not yet current" in str(info.value)


def test_payload_hash_header_must_match_the_body(strict: LiveServer) -> None:
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{strict.url}/tracking/v0/list-trackers"
    body = b'{"MaxResults": 5}'
    request = AWSRequest(method="POST", url=url, data=body)
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "geo", "us-east-1").add_auth(request)
    headers = dict(request.headers)
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    swapped = httpx.post(url, content=b'{"MaxResults": 6}', headers=headers)
    assert swapped.status_code == 403
    assert "x-amz-content-sha256" in swapped.json()["message"]


class _QueryAuth(botocore.auth.SigV4QueryAuth):
    """botocore's presigner with a free-form ``X-Amz-Expires`` (or none at all), still correctly
    signed: the server must refuse the value itself, not a signature mismatch."""

    def __init__(self, expires: object) -> None:
        from botocore.credentials import Credentials

        super().__init__(Credentials(ACCESS_KEY, SECRET_KEY), "dataexchange", "us-east-1", expires)  # type: ignore[arg-type]

    def _modify_request_before_signing(self, request: object) -> None:
        super()._modify_request_before_signing(request)
        if self._expires is None:
            url = request.url  # type: ignore[attr-defined]
            request.url = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-Expires="))  # type: ignore[attr-defined]


def _presigned(server: LiveServer, expires: object, signed_at: datetime | None = None) -> str:
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=f"{server.url}/v1/data-sets/{'a' * 32}")
    clock = (signed_at or datetime.now(UTC)).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: clock):
        _QueryAuth(expires).add_auth(request)
    return request.url


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        (None, "requires the X-Amz-Algorithm"),
        ("²", "should be a number"),
        ("١٢", "should be a number"),  # Arabic-Indic digits: int() would take them
        ("10^12", "should be a number"),
        ("-5", "should be a number"),
        ("", "should be a number"),
        ("0", "at least 1 second"),
        ("604801", "less than a week"),
        (10**12, "less than a week"),
        ("9" * 400, "should be a number"),
    ],
)
def test_presigned_url_needs_a_sane_expiry(strict: LiveServer, expires: object, message: str) -> None:
    response = httpx.get(_presigned(strict, expires))
    assert response.status_code == 403, response.text
    assert response.headers["x-amzn-errortype"] == "AuthorizationQueryParametersError"
    assert message in response.json()["message"]


def test_presigned_url_expires_and_is_not_dated_in_the_future(strict: LiveServer) -> None:
    now = datetime.now(UTC)
    assert httpx.get(_presigned(strict, 604800)).status_code == 200
    assert httpx.get(_presigned(strict, 60, now - timedelta(seconds=30))).status_code == 200
    old = httpx.get(_presigned(strict, 60, now - timedelta(seconds=90)))
    assert old.status_code == 403 and old.json()["message"].startswith("Signature expired:")
    future = httpx.get(_presigned(strict, 60, now + timedelta(days=365)))
    assert future.status_code == 403 and "not yet current" in future.json()["message"]
    for extreme in (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)):
        response = httpx.get(_presigned(strict, 604800, extreme))
        assert response.status_code == 403, response.text  # no datetime overflow: a 500


@pytest.mark.parametrize("region", ["", "eu-west-9x", "mars", "US-EAST-1"])
def test_a_scope_must_name_a_region(strict: LiveServer, live: LiveServer, region: str) -> None:
    """Resources are made in the signature's region (their ARNs name it): a scope without a
    well-formed region is refused under sigv4; without auth the default region is used instead."""
    client = make_client(strict.url, "location", region=region or "us-east-1")
    if not region:  # botocore will not sign for an empty region: say it by hand
        response = httpx.post(
            f"{strict.url}/tracking/v0/list-trackers",
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101//geo/aws4_request, "
                "SignedHeaders=host, Signature=0",
                "x-amz-date": "20240101T000000Z",
            },
        )
        assert response.status_code == 403 and "valid region" in response.json()["message"]
    else:
        code, status, message = _code(lambda: client.list_trackers())
        assert (code, status) == ("IncompleteSignatureException", 403) and "valid region" in message
        make_client(live.url, "location", region=region).list_trackers()
        assert live.providers["location"].last.ctx.region == "us-east-1"
