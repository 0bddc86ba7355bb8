"""Bad input against the running server: the model's errors, never a 500."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.robomaker.samples import MINIMAL_BODY
from tests.support import JobforgeServer, client

BODY = MINIMAL_BODY


@pytest.fixture
def unchecked(server: JobforgeServer):
    """A client that does not validate parameters itself: the server must."""
    return client("robomaker", server.url, parameter_validation=False)


@pytest.mark.parametrize(
    ("call", "kwargs", "fragment"),
    [
        ("describe_world_template", {}, "template"),  # required
        ("describe_world_template", {"template": ""}, "length"),  # min length
        ("describe_world_template", {"template": "x" * 1300}, "length"),  # max length
        ("describe_world_template", {"template": "not-an-arn"}, "pattern"),  # pattern arn:.*
        ("create_world_template", {"templateBody": BODY, "name": "n" * 256}, "length"),
        ("create_world_template", {"templateBody": BODY, "tags": {"bad key!": "v"}}, "pattern"),
        ("create_world_template", {"templateBody": BODY, "clientRequestToken": "spaces are bad"}, "pattern"),
        ("list_world_templates", {"maxResults": 0}, "between 1 and 100"),  # documented range
        ("list_world_templates", {"maxResults": 1000}, "between 1 and 100"),
        (
            "list_world_generation_jobs",
            {"filters": [{"name": "status", "values": ["Running", "Pending"]}]},
            "length",
        ),  # list size
        (
            "create_world_template",
            {"templateBody": BODY, "templateLocation": {"s3Bucket": "B!", "s3Key": "k"}},
            "pattern",
        ),
    ],
)
def test_model_constraints_are_enforced(unchecked, call: str, kwargs: dict, fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        getattr(unchecked, call)(**kwargs)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterException", error
    assert fragment in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_enum_is_enforced_for_data_exchange(server: JobforgeServer) -> None:
    dataexchange = client("dataexchange", server.url, parameter_validation=False)
    with pytest.raises(ClientError) as info:
        dataexchange.create_data_set(AssetType="NOT_A_TYPE", Description="d", Name="n")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "enum" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00", b'{"template": 12}', b'{"template": ["a"]}'],
)
def test_malformed_bodies_get_4xx_json(server: JobforgeServer, raw: bytes) -> None:
    response = httpx.post(
        f"{server.url}/describeWorldTemplate",
        content=raw,
        headers={
            "content-type": "application/json",
            "authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/robomaker/aws4_request, "
            "SignedHeaders=host, Signature=abc",
        },
    )
    assert 400 <= response.status_code < 500
    assert response.headers["x-amzn-errortype"]
    assert "message" in response.json()


def test_unknown_route_and_unimplemented_operation(server: JobforgeServer) -> None:
    response = httpx.post(f"{server.url}/noSuchOperation", content=b"{}")
    assert 400 <= response.status_code < 500 and response.headers.get("x-amzn-errortype")
    location = client("location", server.url)
    with pytest.raises(ClientError) as info:
        location.list_trackers()  # jobforge serves Location's jobs, not its trackers
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ListTrackers" in info.value.response["Error"]["Message"]


def test_health(server: JobforgeServer) -> None:
    health = httpx.get(f"{server.url}/_jobforge/health").json()
    assert health["status"] == "ok" and health["version"]
