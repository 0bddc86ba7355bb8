"""Round trips through a real boto3 client and the gateway, on a model using every HTTP binding."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
import pytest
from botocore.config import Config

from jobforge.protocol.auth import Authenticator
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import AwsGateway, ServiceBinding
from jobforge.protocol.specs import load_service_model

from .conftest import LiveServer, start_server
from .synthetic_model import SERVICE, write_model


class EchoProvider:
    """Hands every request back as the response, so parser and serializer are checked together."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def echo_item(self, ctx: RequestContext, request: dict) -> dict:
        self.requests.append(request)
        return dict(request)

    def put_blob(self, ctx: RequestContext, request: dict) -> dict:
        self.requests.append(request)
        return {"Body": request.get("Body", b""), "ContentType": request.get("ContentType")}

    def put_doc(self, ctx: RequestContext, request: dict) -> dict:
        self.requests.append(request)
        return request

    def get_thing(self, ctx: RequestContext, request: dict) -> dict:
        if request["Id"] == "missing":
            raise ServiceError("ThingNotFound", "no such thing", thingId="missing")
        if request["Id"] == "teapot":
            raise ServiceError("ImATeapot", "short and stout", status=418, Spout=True)
        if request["Id"] == "boom":
            raise KeyError("boom")
        return {"Id": request["Id"], "Operation": ctx.operation}

    def create_thing(self, ctx: RequestContext, request: dict) -> dict:
        return {"Id": request["Name"], "Operation": ctx.operation}

    def delete_thing(self, ctx: RequestContext, request: dict) -> dict:
        return {}

    async def ping(self, ctx: RequestContext, request: dict) -> dict:
        return {"Operation": "Ping", "Id": ctx.base_url}


def _validation_error(message: str, fields: list[tuple[str, str]]) -> ServiceError:
    return ServiceError("ValidationException", message, status=400, fields=[p for p, _ in fields])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def echo(data_dir: Path) -> EchoProvider:
    return EchoProvider()


@pytest.fixture(scope="module")
def server(data_dir: Path, echo: EchoProvider) -> Iterator[LiveServer]:
    model = load_service_model(SERVICE, (str(data_dir),))
    gateway = AwsGateway([ServiceBinding(model, echo, _validation_error)], Authenticator())
    live = start_server(gateway, {SERVICE: echo})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer, data_dir: Path) -> Any:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data_dir))
    return boto3.Session(botocore_session=session).client(
        SERVICE,
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id="123456789012",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False),
    )


def _strip(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_echo_every_binding(client: Any, echo: EchoProvider) -> None:
    when = datetime(2024, 2, 29, 12, 30, 15, tzinfo=UTC)
    stamp = datetime(2023, 1, 1, 0, 0, 1, 250000, tzinfo=UTC)
    params = {
        "Bucket": "bkt",
        "Key": "dir/sub dir/ünïcode+plus%.txt",
        "Tags": ["a", "b c", "d&e"],
        "Limit": 7,
        "Flag": False,
        "Since": when,
        "Filters": {"color": "red", "size": "x l"},
        "When": when,
        "Count": 42,
        "Enabled": True,
        "Doc": {"nested": [1, 2, {"k": None}]},
        "Meta": {"owner": "ann", "team": "robots"},
        "Name": "name-1",
        "Stamp": stamp.replace(microsecond=0),  # botocore sends epoch seconds as an integer
        "IsoStamp": stamp,
        "Data": b"\x00\x01binary\xff",
        "Nested": {"Values": [1, 2, 3], "Ratio": 0.5},
        "Attrs": {"k": "v", "empty": ""},
        "Document": {"any": ["json", 1, True, None]},
        "Color": "GREEN",
    }
    response = client.echo_item(**params)
    request = echo.requests[-1]
    assert request == params
    assert isinstance(request["Since"], datetime) and request["Since"].tzinfo is not None
    got = _strip(response)
    assert got == params


def test_empty_collections_are_kept_and_none_dropped(client: Any, echo: EchoProvider) -> None:
    response = client.echo_item(Bucket="b", Key="k", Attrs={}, Nested={"Values": []})
    assert response["Attrs"] == {}
    assert response["Nested"] == {"Values": []}
    assert "Name" not in response


def test_blob_payload_and_content_type_header(client: Any) -> None:
    payload = bytes(range(256)) * 10
    response = client.put_blob(Name="blob", Body=payload, ContentType="image/png")
    assert response["Body"].read() == payload
    assert response["ContentType"] == "image/png"


def test_structure_payload(client: Any, echo: EchoProvider) -> None:
    response = client.put_doc(Nested={"Values": [5], "Ratio": 1.5})
    assert echo.requests[-1] == {"Nested": {"Values": [5], "Ratio": 1.5}}
    assert response["Nested"] == {"Values": [5], "Ratio": 1.5}


def test_response_codes_and_context(client: Any) -> None:
    created = client.create_thing(Name="thing")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    deleted = client.delete_thing(Id="thing")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    thing = client.get_thing(Id="a/b c")
    assert thing["Id"] == "a/b c"
    assert thing["Operation"] == "GetThing"


def test_async_provider_method_and_base_url(client: Any, server: LiveServer) -> None:
    response = client.ping()
    assert response["Id"] == server.url


def test_modeled_error_with_members(client: Any) -> None:
    with pytest.raises(client.exceptions.ThingNotFound) as info:
        client.get_thing(Id="missing")
    error = info.value.response
    assert error["Error"] == {"Code": "ThingNotFound", "Message": "no such thing"}
    assert error["ThingId"] == "missing"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["ResponseMetadata"]["RequestId"]


def test_unmodeled_error_code_and_status(client: Any) -> None:
    with pytest.raises(client.exceptions.ClientError) as info:
        client.get_thing(Id="teapot")
    error = info.value.response
    assert error["Error"]["Code"] == "ImATeapot"
    assert error["Error"]["Message"] == "short and stout"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 418


def test_provider_crash_is_a_json_500(client: Any, server: LiveServer) -> None:
    with pytest.raises(client.exceptions.InternalServerException) as info:
        client.get_thing(Id="boom")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    raw = httpx.get(f"{server.url}/things/boom")
    assert raw.status_code == 500
    assert raw.headers["x-amzn-errortype"] == "InternalServerException"
    assert raw.headers["content-type"] == "application/json"
    assert "KeyError" not in raw.text and "Traceback" not in raw.text
    assert raw.json()["message"]


def test_timestamp_wire_formats(server: LiveServer) -> None:
    """Body timestamps default to epoch seconds, iso8601 when the member says so; headers rfc822."""
    body = {"Stamp": 1700000000.5, "IsoStamp": "2024-01-02T03:04:05Z"}
    response = httpx.put(
        f"{server.url}/items/b/k?mode=echo",
        json=body,
        headers={"x-jf-when": "Tue, 02 Jan 2024 03:04:05 GMT"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["Stamp"] == 1700000000.5
    assert response.json()["IsoStamp"] == "2024-01-02T03:04:05Z"
    assert response.headers["x-jf-when"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    # an ISO string where epoch is the default, and an epoch number where ISO is declared: both accepted
    body = {"Stamp": "2024-01-02T03:04:05.123+00:00", "IsoStamp": 1704164645}
    response = httpx.put(f"{server.url}/items/b/k?mode=echo", json=body)
    assert response.json() == {
        "Bucket": "b",
        "Key": "k",
        "Stamp": 1704164645.123,
        "IsoStamp": "2024-01-02T03:04:05Z",
    }


def test_jsonvalue_header_is_base64_json(server: LiveServer) -> None:
    doc = base64.b64encode(json.dumps({"a": [1]}).encode()).decode()
    response = httpx.put(f"{server.url}/items/b/k?mode=echo", headers={"x-jf-doc": doc})
    assert json.loads(base64.b64decode(response.headers["x-jf-doc"])) == {"a": [1]}


def test_request_id_on_every_response(server: LiveServer) -> None:
    for response in (
        httpx.get(f"{server.url}/things/x"),
        httpx.get(f"{server.url}/no/such/route"),
        httpx.post(f"{server.url}/things", content=b"{not json"),
    ):
        assert len(response.headers["x-amzn-requestid"]) == 36
