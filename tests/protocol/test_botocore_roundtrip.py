"""In-process round trips against botocore's own code, for every operation of every model.

Requests: botocore's serializer -> our router + parser == the original parameters.
Responses: our serializer -> botocore's rest-json parser == the original output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSRequest, HeadersDict, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from jobforge.protocol.parser import InputParser
from jobforge.protocol.router import Router, parse_query
from jobforge.protocol.serializer import OutputSerializer
from jobforge.protocol.specs import load_service_model

from .conftest import robomaker_search_paths

SERVICES = ["robomaker", "dataexchange", "location"]
STAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _model(service: str):
    return load_service_model(service, robomaker_search_paths() if service == "robomaker" else ())


def full_value(shape: Shape, name: str = "v", depth: int = 0) -> Any:
    """A value for every member (to a depth), in forms that survive every wire format exactly."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if meta.get("enum"):
            return meta["enum"][-1]
        return f"{name}-é/ x"[: max(int(meta.get("max", 64)), 1)]
    if kind in ("integer", "long"):
        return 7
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return STAMP
    if kind == "blob":
        return b"\x00blob\xff"
    if kind == "list":
        return [full_value(shape.member, name, depth + 1)]
    if kind == "map":
        return {"key": full_value(shape.value, name, depth + 1)}
    if kind == "structure":
        if shape.is_document_type:
            return {"doc": [1, "two", None]}
        if depth > 4:
            return {}
        members = list(shape.members.items())
        if meta.get("union"):
            members = members[:1]
        return {n: full_value(m, n, depth + 1) for n, m in members if not m.metadata.get("eventstream")}
    return None


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if hasattr(value, "read"):
        return value.read()
    return value


def _operations() -> list[tuple[str, str]]:
    return [(s, name) for s in SERVICES for name in _model(s).operation_names]


@pytest.mark.parametrize(("service", "operation"), _operations())
def test_botocore_requests_parse_back(service: str, operation: str) -> None:
    model = _model(service)
    op: OperationModel = model.operation_model(operation)
    params = full_value(op.input_shape) if op.input_shape is not None else {}
    request_dict = create_serializer("rest-json", include_validation=False).serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:4580")
    prepared = AWSRequest(
        method=request_dict["method"], url=request_dict["url"], data=request_dict["body"],
        headers=request_dict["headers"],
    ).prepare()  # fmt: skip
    url = urlsplit(prepared.url)
    match = Router(model).match(prepared.method, url.path, parse_query(url.query))
    assert match.operation.name == operation
    headers = {k.lower(): v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()}
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    parsed = InputParser(op).parse(match.labels, parse_query(url.query), headers, body)
    assert _normalise(parsed) == _normalise(params)


@pytest.mark.parametrize(("service", "operation"), _operations())
def test_our_responses_parse_in_botocore(service: str, operation: str) -> None:
    op = _model(service).operation_model(operation)
    if op.output_shape is None:
        pytest.skip("no output")
    output = full_value(op.output_shape)
    status, headers, body = OutputSerializer(op).serialize(output)
    response = {
        "status_code": status,
        "headers": HeadersDict({k.decode(): v.decode() for k, v in headers}),
        "body": body,
    }
    payload = op.output_shape.serialization.get("payload")
    if payload and op.output_shape.members[payload].type_name == "blob":
        from io import BytesIO

        from botocore.response import StreamingBody

        response["body"] = StreamingBody(BytesIO(body), len(body))
    parsed = create_parser("rest-json").parse(response, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    for name, member in op.output_shape.members.items():
        if member.serialization.get("location") == "headers" and not member.serialization.get("name"):
            parsed[name].pop("content-type")  # a prefix-less header map collects every header
    assert _normalise(parsed) == _normalise(output)
