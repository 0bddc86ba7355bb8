"""Every operation of every served model routes to its provider method, through real clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore import UNSIGNED, xform_name
from botocore.model import ServiceModel

from jobforge.protocol.router import Router, UnknownRoute, parse_query
from jobforge.protocol.specs import load_service_model

from .conftest import LiveServer, make_client, robomaker_search_paths
from .inputs import minimal_params
from .synthetic_model import build_model

SERVICES = ["robomaker", "dataexchange", "location"]
# Same method + path in several services: only the credential scope tells them apart.
SHARED_TAG_ROUTES = {"ListTagsForResource", "TagResource", "UntagResource"}


def _model(service: str) -> ServiceModel:
    return load_service_model(service, robomaker_search_paths() if service == "robomaker" else ())


def _operations(service: str) -> list[tuple[str, str]]:
    return [(service, name) for name in _model(service).operation_names]


ALL_OPERATIONS = [pair for service in SERVICES for pair in _operations(service)]


def _call(client: Any, operation: str, params: dict[str, Any]) -> None:
    response = getattr(client, xform_name(operation))(**params)
    body = response.get("Body") or response.get("Blob")
    if hasattr(body, "read"):
        body.read()


@pytest.mark.parametrize(("service", "operation"), ALL_OPERATIONS)
def test_every_operation_routes(lenient: LiveServer, service: str, operation: str) -> None:
    client = make_client(lenient.url, service, validate=False)
    params = minimal_params(client.meta.service_model.operation_model(operation))
    _call(client, operation, params)
    provider = lenient.providers[service]
    assert provider.last.operation == xform_name(operation)
    assert provider.last.ctx.operation == operation
    assert provider.last.ctx.service == service


@pytest.mark.parametrize(
    ("service", "operation"), [p for p in ALL_OPERATIONS if p[1] not in SHARED_TAG_ROUTES]
)
def test_unsigned_requests_route_by_path(lenient: LiveServer, service: str, operation: str) -> None:
    client = make_client(lenient.url, service, validate=False, signature_version=UNSIGNED)
    params = minimal_params(client.meta.service_model.operation_model(operation))
    _call(client, operation, params)
    assert lenient.providers[service].last.operation == xform_name(operation)
    assert lenient.providers[service].last.ctx.account_id == "000000000000"
    assert lenient.providers[service].last.ctx.region == "us-east-1"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(ServiceModel(build_model(), service_name="jftest"))


@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "labels"),
    [
        ("GET", "/things/abc", "", "GetThing", {"Id": "abc"}),
        ("GET", "/things/abc/", "", "GetThing", {"Id": "abc"}),
        ("GET", "/things/a%2Fb%20c", "", "GetThing", {"Id": "a/b c"}),
        ("GET", "/things/special", "", "GetSpecialThing", {}),
        ("GET", "/things/abc", "versions", "ListThingVersions", {"Id": "abc"}),
        ("GET", "/things/abc", "versions&x=1", "ListThingVersions", {"Id": "abc"}),
        ("DELETE", "/things/abc", "", "DeleteThing", {"Id": "abc"}),
        ("POST", "/things", "", "CreateThing", {}),
        ("POST", "/things/", "", "CreateThing", {}),
        ("GET", "/ping", "", "Ping", {}),
        ("GET", "/ping/", "", "Ping", {}),
        ("PUT", "/items/b/k", "mode=echo", "EchoItem", {"Bucket": "b", "Key": "k"}),
        (
            "PUT",
            "/items/b/dir/sub/file%20x.txt",
            "mode=echo",
            "EchoItem",
            {"Bucket": "b", "Key": "dir/sub/file x.txt"},
        ),
    ],
)
def test_router_matches(
    router: Router, method: str, path: str, query: str, operation: str, labels: dict[str, str]
) -> None:
    match = router.match(method, path, parse_query(query))
    assert match.operation.name == operation
    assert match.labels == labels


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/nothing", ""),
        ("PATCH", "/things/abc", ""),
        ("PUT", "/items/b/k", ""),  # the literal ?mode=echo is required
        ("PUT", "/items/b/k", "mode=other"),
        ("GET", "/things/a/b", ""),  # a plain label is one segment only
    ],
)
def test_router_rejects(router: Router, method: str, path: str, query: str) -> None:
    with pytest.raises(UnknownRoute) as info:
        router.match(method, path, parse_query(query))
    assert info.value.status == 404
    assert path.rstrip("/") in info.value.message


def test_unknown_method_names_allowed_methods(router: Router) -> None:
    with pytest.raises(UnknownRoute) as info:
        router.match("PATCH", "/things/abc", {})
    assert "DELETE" in info.value.message and "GET" in info.value.message


@pytest.mark.parametrize(
    ("service", "arn"),
    [
        ("dataexchange", "arn:aws:dataexchange:us-east-1:123456789012:data-sets/abc"),
        ("location", "arn:aws:geo:us-east-1:123456789012:tracker/t"),
        ("robomaker", "arn:aws:robomaker:us-east-1:123456789012:world-template/w"),
    ],
)
def test_unsigned_shared_tag_routes_follow_the_arn(lenient: LiveServer, service: str, arn: str) -> None:
    client = make_client(lenient.url, service, validate=False, signature_version=UNSIGNED)
    arn_member = "resourceArn" if service == "robomaker" else "ResourceArn"
    client.list_tags_for_resource(**{arn_member: arn})
    assert lenient.providers[service].last.operation == "list_tags_for_resource"
    assert lenient.providers[service].last.request == {arn_member: arn}
