"""Per-operation body limits: never below the largest valid body (a property test serializing
maximal inputs generated from the model with botocore), and a body over the limit is refused with
an AWS-shaped 413 before it is read, declared or chunked."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.protocol.body_limits import NO_BODY_LIMIT, operation_body_limit
from jobforge.protocol.gateway import DEFAULT_MAX_BODY_BYTES
from jobforge.protocol.specs import load_service_model

from .conftest import LiveServer, build_gateway, robomaker_search_paths
from .inputs import minimal_value

# Characters whose JSON encoding is longest: astral (escaped surrogate pair), control, quote,
# backslash, non-ASCII BMP, and plain ASCII.
WORST_CHARS = '\U0001f600\U0010fffd\x00\x1f"\\\u00e9\u4e2d\u2028a'
MODELS = {
    "robomaker": load_service_model("robomaker", robomaker_search_paths()),
    "dataexchange": load_service_model("dataexchange"),
    "location": load_service_model("location"),
}


def _bounded_operations() -> list[tuple[str, str]]:
    """Operations with a body member whose limit comes from their shape (not the global one)."""
    found = []
    for service, model in MODELS.items():
        for name in model.operation_names:
            operation = model.operation_model(name)
            shape = operation.input_shape
            has_body = shape is not None and any(
                member.serialization.get("location") is None for member in shape.members.values()
            )
            if has_body and operation_body_limit(operation, DEFAULT_MAX_BODY_BYTES) < DEFAULT_MAX_BODY_BYTES:
                found.append((service, name))
    return found


BOUNDED = _bounded_operations()


def _repeat_to(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=WORST_CHARS, min_size=1, max_size=6).map(lambda t: (t * length)[:length])


def maximal(shape: Shape) -> st.SearchStrategy[Any]:
    """Values of ``shape`` as large as its constraints allow (patterns are ignored: a bound that
    holds for these holds for every valid value)."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        if meta.get("enum"):
            return st.sampled_from(meta["enum"])
        return _repeat_to(meta["max"])
    if kind == "blob":
        return st.just(b"\xff" * meta["max"])
    if kind in ("integer", "long"):
        return st.sampled_from([meta.get("min", -(2**31)), meta.get("max", 2**31 - 1)])
    if kind in ("float", "double"):
        return st.sampled_from([-1.7976931348623157e308, -2.2250738585072014e-308, 0.1 + 0.2])
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.just(datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    if kind == "list":
        return st.lists(maximal(shape.member), min_size=meta["max"], max_size=meta["max"])
    if kind == "map":
        count, key = meta["max"], shape.key
        longest = max(map(len, key.metadata["enum"])) if key.metadata.get("enum") else key.metadata["max"]
        keys = [f"{i:0{longest}d}"[-longest:] for i in range(count)] if longest >= len(str(count)) else []
        if not keys:
            return st.dictionaries(maximal(key), maximal(shape.value), max_size=count)
        return st.tuples(*(maximal(shape.value) for _ in keys)).map(
            lambda values: dict(zip(keys, values, strict=True))
        )
    assert kind == "structure" and not shape.is_document_type, shape.name
    members = {name: maximal(member) for name, member in shape.members.items()}
    if meta.get("union"):
        return st.sampled_from(sorted(members)).flatmap(lambda n: members[n].map(lambda v: {n: v}))
    return st.fixed_dictionaries(members)


def _body_input(operation: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """Maximal body members; URI, query and header members small (they are not in the body)."""
    shape = operation.input_shape
    assert shape is not None
    return st.fixed_dictionaries(
        {
            name: maximal(member)
            if member.serialization.get("location") is None
            else st.just(minimal_value(member))
            for name, member in shape.members.items()
        }
    )


def _wire_body(operation: OperationModel, params: dict[str, Any]) -> bytes:
    request = create_serializer("rest-json", include_validation=False).serialize_to_request(params, operation)
    body = request["body"]
    return body.encode("utf-8") if isinstance(body, str) else body


def test_there_are_bounded_operations_of_every_service() -> None:
    assert {service for service, _ in BOUNDED} == set(MODELS)
    assert ("robomaker", "CreateWorldTemplate") in BOUNDED


@pytest.mark.parametrize(("service", "name"), BOUNDED)
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(data=st.data())
def test_maximal_valid_body_fits_the_limit(service: str, name: str, data: st.DataObject) -> None:
    operation = MODELS[service].operation_model(name)
    params = data.draw(_body_input(operation))
    body = _wire_body(operation, params)
    limit = operation_body_limit(operation, DEFAULT_MAX_BODY_BYTES)
    assert len(body) <= limit, f"{service}.{name}: {len(body)} bytes > limit {limit}"


def test_create_world_template_limit_covers_the_largest_template_body() -> None:
    operation = MODELS["robomaker"].operation_model("CreateWorldTemplate")
    longest = operation.input_shape.members["templateBody"].metadata["max"]
    worst = _wire_body(operation, {"templateBody": "\U0001f600" * longest, "name": "n" * 255})
    assert len(worst) > 12 * longest  # every character as an escaped surrogate pair
    assert len(worst) <= operation_body_limit(operation, DEFAULT_MAX_BODY_BYTES) < DEFAULT_MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("service", "name"),
    [("dataexchange", "GetDataSet"), ("location", "DescribeKey"), ("robomaker", "UntagResource")],
)
def test_operations_without_body_members_get_the_small_limit(service: str, name: str) -> None:
    assert (
        operation_body_limit(MODELS[service].operation_model(name), DEFAULT_MAX_BODY_BYTES) == NO_BODY_LIMIT
    )


@pytest.mark.parametrize(
    ("service", "name"),
    [("dataexchange", "CreateJob"), ("location", "StartJob"), ("location", "PutGeofence")],
)
def test_unbounded_shapes_keep_the_global_limit(service: str, name: str) -> None:
    operation = MODELS[service].operation_model(name)
    assert operation_body_limit(operation, DEFAULT_MAX_BODY_BYTES) == DEFAULT_MAX_BODY_BYTES
    assert operation_body_limit(operation, 1000) == 1000  # never above the global limit


# --- the gateway -------------------------------------------------------------------------------

LIST_WORLDS = "/listWorlds"  # RoboMaker ListWorlds (POST): a bounded body


def _list_worlds_limit(server: LiveServer) -> int:
    service = next(s for s in server.gateway.services if s.name == "robomaker")
    return service.operations["ListWorlds"].body_limit


def _connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _read_response(sock: socket.socket, raw: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One response (``raw``: its first bytes, already received)."""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, raw
        raw += chunk
    status, headers, body = _parse_response(raw)
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return status, headers, body


def _assert_413(status: int, headers: dict[str, str], body: bytes, limit: int) -> None:
    assert status == 413
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert headers["content-type"].startswith("application/json")
    assert headers["x-amzn-requestid"]
    assert headers["connection"] == "close"
    assert str(limit) in json.loads(body)["message"]


def test_limits_are_computed_once_per_operation(live: LiveServer) -> None:
    limit = _list_worlds_limit(live)
    assert NO_BODY_LIMIT < limit < DEFAULT_MAX_BODY_BYTES
    unvalidated, _ = build_gateway(validate_requests=False)
    try:
        for service in unvalidated.services:
            assert {op.body_limit for op in service.operations.values()} == {unvalidated.body_limit}
    finally:
        unvalidated.close()


def test_declared_length_over_the_operation_limit_is_413_before_reading(live: LiveServer) -> None:
    limit = _list_worlds_limit(live)
    with _connect(live) as sock:
        head = f"POST {LIST_WORLDS} HTTP/1.1\r\nHost: x\r\nContent-Length: {limit + 1}\r\n\r\n"
        sock.sendall(head.encode() + b"{")  # the rest is never sent: the answer must not wait
        _assert_413(*_read_response(sock), limit)


def test_body_at_the_operation_limit_is_read(live: LiveServer) -> None:
    limit = _list_worlds_limit(live)
    body = b"{" + b" " * (limit - 2) + b"}"  # valid JSON of exactly the limit
    with _connect(live) as sock:
        head = f"POST {LIST_WORLDS} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        status, _, _ = _read_response(sock)
    assert status == 200


def test_chunked_body_over_the_operation_limit_is_413_once_over(live: LiveServer) -> None:
    limit = _list_worlds_limit(live)
    chunk = b" " * 4096
    with _connect(live) as sock:
        sock.sendall(f"POST {LIST_WORLDS} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        sent = 0
        sock.settimeout(0.05)
        answer = b""
        while sent <= limit + 16 * len(chunk) and not answer:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                pass
        deadline = time.monotonic() + 5
        while not answer and time.monotonic() < deadline:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                pass
        assert answer, "no answer to an endless chunked body"
        assert sent > limit  # refused only once over the limit, without the final chunk
        sock.settimeout(10)
        _assert_413(*_read_response(sock, answer), limit)


def test_get_without_body_members_refuses_a_large_body(live: LiveServer) -> None:
    with _connect(live) as sock:
        head = f"GET /v1/data-sets HTTP/1.1\r\nHost: x\r\nContent-Length: {NO_BODY_LIMIT + 1}\r\n\r\n"
        sock.sendall(head.encode())
        _assert_413(*_read_response(sock), NO_BODY_LIMIT)


def test_unknown_route_keeps_the_global_limit_and_answers_404(live: LiveServer) -> None:
    body = b"x" * (NO_BODY_LIMIT * 4)
    with _connect(live) as sock:
        head = f"POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        status, headers, _ = _read_response(sock)
    assert (status, headers["x-amzn-errortype"]) == (404, "UnknownOperationException")
