"""Error paths: every failure comes back as a protocol-correct JSON error with a request id."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from botocore.exceptions import ClientError

from jobforge.protocol.errors import ServiceError

from .conftest import LiveServer, PartialProvider, build_gateway, make_client, start_server


def _assert_json_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"] == code
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-requestid"]
    body = response.json()
    assert body["message"]
    return body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b'{"Name": 5, "AssetType": "S3_SNAPSHOT", "Description": "d"}', "expected string, got number"),
        (b'{"Name": "n", "AssetType": "S3_SNAPSHOT", "Description": "d", "Tags": []}', "expected object"),
    ],
)
def test_malformed_bodies_are_validation_errors(live: LiveServer, body: bytes, fragment: str) -> None:
    response = httpx.post(f"{live.url}/v1/data-sets", content=body)
    payload = _assert_json_error(response, 400, "ValidationException")
    assert fragment in payload["message"]
    assert live.providers["dataexchange"].calls == []


def test_wrong_types_for_location_report_the_field(live: LiveServer) -> None:
    response = httpx.post(
        f"{live.url}/places/v0/indexes/idx/search/text",
        content=b'{"Text": "x", "MaxResults": "ten"}',
    )
    payload = _assert_json_error(response, 400, "ValidationException")
    assert payload["fieldList"][0]["name"] == "MaxResults"


def test_bad_query_and_header_values(live: LiveServer) -> None:
    response = httpx.get(f"{live.url}/v1/data-sets?maxResults=lots")
    assert (
        "Invalid integer value at 'maxResults'"
        in _assert_json_error(response, 400, "ValidationException")["message"]
    )


def test_empty_body_is_an_empty_object(live: LiveServer) -> None:
    response = httpx.post(f"{live.url}/listWorlds", content=b"")
    assert response.status_code == 200
    assert response.json() == {}
    assert live.providers["robomaker"].last.request == {}


def test_unknown_route_is_404(live: LiveServer) -> None:
    response = httpx.get(f"{live.url}/definitely/not/aws")
    body = _assert_json_error(response, 404, "UnknownOperationException")
    assert "GET /definitely/not/aws" in body["message"]


def test_unknown_route_signed_for_one_service(live: LiveServer, client_factory: Callable) -> None:
    client = client_factory("dataexchange")
    response = httpx.post(
        f"{live.url}/listWorlds",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dataexchange/aws4_request, "
            "SignedHeaders=host, Signature=00"
        },
    )
    _assert_json_error(response, 404, "UnknownOperationException")
    assert client.meta.service_model.service_name == "dataexchange"


def test_provider_key_error_is_clean_500(live: LiveServer, client_factory: Callable) -> None:
    live.providers["dataexchange"].responses["get_job"] = KeyError("JobId")
    client = client_factory("dataexchange")
    with pytest.raises(client.exceptions.InternalServerException) as info:
        client.get_job(JobId="j" * 32)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    # the server is still healthy afterwards
    live.providers["dataexchange"].responses.clear()
    assert client.get_job(JobId="j" * 32)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_robomaker_crash_uses_modeled_internal_error(live: LiveServer, client_factory: Callable) -> None:
    live.providers["robomaker"].responses["list_worlds"] = RuntimeError("database is on fire")
    response = httpx.post(f"{live.url}/listWorlds", content=b"{}")
    body = _assert_json_error(response, 500, "InternalServerException")
    assert "fire" not in body["message"]


def test_modeled_error_members_reach_boto3(live: LiveServer, client_factory: Callable) -> None:
    live.providers["dataexchange"].responses["get_data_set"] = ServiceError(
        "ResourceNotFoundException", "Data set x not found", ResourceId="x", ResourceType="DATA_SET"
    )
    client = client_factory("dataexchange")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_data_set(DataSetId="a" * 32)
    error = info.value.response
    assert error["Error"] == {"Code": "ResourceNotFoundException", "Message": "Data set x not found"}
    assert error["ResourceId"] == "x"
    assert error["ResourceType"] == "DATA_SET"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_status_override_and_unmodeled_code(live: LiveServer, client_factory: Callable) -> None:
    live.providers["location"].responses["describe_key"] = ServiceError("SlowDown", "later", status=503)
    client = make_client(live.url, "location")
    with pytest.raises(ClientError) as info:
        client.describe_key(KeyName="k")
    assert info.value.response["Error"]["Code"] == "SlowDown"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_request_id_on_success(live: LiveServer, client_factory: Callable) -> None:
    response = client_factory("location").list_trackers()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert len(request_id) == 36
    assert live.providers["location"].last.ctx.request_id == request_id


def test_body_size_limit(live: LiveServer) -> None:
    limit = live.gateway.max_body_bytes
    live.gateway.max_body_bytes = 1024
    try:
        response = httpx.post(f"{live.url}/listWorlds", content=b"{" + b" " * 2048 + b"}")
        _assert_json_error(response, 413, "RequestEntityTooLargeException")
    finally:
        live.gateway.max_body_bytes = limit


@pytest.fixture(scope="module")
def partial() -> Iterator[LiveServer]:
    gateway, providers = build_gateway(robomaker_provider=PartialProvider())
    server = start_server(gateway, providers)
    yield server
    server.stop()


def test_missing_provider_method_is_501(partial: LiveServer) -> None:
    client = make_client(partial.url, "robomaker")
    world = "arn:aws:robomaker:us-east-1:123456789012:world/w"
    assert client.describe_world(world=world)["arn"] == world
    with pytest.raises(ClientError) as info:
        client.list_worlds()
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplementedException"
    assert "ListWorlds" in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/v1/data-sets?maxResults=99999999999999999999", b"", "out of range for type integer"),
        ("/tracking/v0/list-trackers", b'{"MaxResults": 3000000000}', "out of range for type integer"),
        ("/tracking/v0/list-trackers", b"[" * 40_000, "nested too deeply"),  # under the 413 limit
    ],
)
def test_numbers_and_nesting_beyond_limits_are_4xx(
    live: LiveServer, path: str, body: bytes, fragment: str
) -> None:
    method = "GET" if path.startswith("/v1/data-sets") else "POST"
    response = httpx.request(method, f"{live.url}{path}", content=body)
    assert fragment in _assert_json_error(response, 400, "ValidationException")["message"]
