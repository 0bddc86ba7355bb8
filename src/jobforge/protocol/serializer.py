"""Serialize provider output and errors as rest-json responses that botocore parses back unchanged.

Output: header/headers/statusCode members go to the HTTP envelope, a ``payload`` member is the
body, the rest is a JSON object keyed by wire names. Errors: status from the error shape (or the
``ServiceError``), ``x-amzn-ErrorType`` header, JSON body with the modeled members plus ``message``.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import partial
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from jobforge.protocol.errors import ServiceError

Headers = list[tuple[bytes, bytes]]
JSON_CONTENT_TYPE = b"application/json"

_BODY_TIMESTAMP_DEFAULT = "unixtimestamp"
_HEADER_TIMESTAMP_DEFAULT = "rfc822"
_NO_BODY_STATUSES = frozenset({204, 304})


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo is UTC:
            return value
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    raise TypeError(f"cannot serialize {type(value).__name__} as a timestamp")


def format_timestamp(value: Any, fmt: str) -> Any:
    """``datetime`` (naive = UTC) -> wire form: epoch number, ISO-8601 or RFC-822 text."""
    moment = _as_datetime(value)  # naive or UTC from here on
    if fmt == "iso8601":
        text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
        return f"{text[:-6] if moment.tzinfo is not None else text}Z"
    if fmt == "rfc822":
        return format_datetime(moment.replace(tzinfo=UTC), usegmt=True)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    epoch = moment.timestamp()
    return int(epoch) if epoch.is_integer() else round(epoch, 3)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if hasattr(value, "read"):
        data = value.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise TypeError(f"cannot serialize {type(value).__name__} as a blob")


Encoder = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _encode_blob(value: Any) -> str:
    return base64.b64encode(_as_bytes(value)).decode("ascii")


def _encode_float(value: Any) -> Any:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return value


def _encode_int(value: Any) -> int:
    return value if type(value) is int else int(value)


# id(shape) -> (shape, encoder). Shapes live as long as their model; keeping the shape in the
# value pins its id. Encoders are built once per shape, so a response costs no model walk.
_ENCODERS: dict[int, tuple[Shape, Encoder]] = {}


def encoder_for(shape: Shape) -> Encoder:
    """A function turning a Python value of ``shape`` into its JSON-ready wire form."""
    cached = _ENCODERS.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    kind = shape.type_name
    encoder: Encoder
    if kind in ("string", "boolean") or (kind == "structure" and shape.is_document_type):
        encoder = _identity
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", _BODY_TIMESTAMP_DEFAULT)
        encoder = partial(format_timestamp, fmt=fmt)
    elif kind == "blob":
        encoder = _encode_blob
    elif kind in ("float", "double"):
        encoder = _encode_float
    elif kind in ("integer", "long"):
        encoder = _encode_int
    elif kind in ("structure", "list", "map"):
        slot: list[Encoder] = []  # filled below; lets recursive shapes refer to themselves
        encoder = _deferred(slot)
        _ENCODERS[id(shape)] = (shape, encoder)
        try:
            slot.append(_build_container_encoder(shape))
        except BaseException:
            del _ENCODERS[id(shape)]
            raise
        return encoder
    else:
        encoder = _identity
    _ENCODERS[id(shape)] = (shape, encoder)
    return encoder


def _deferred(slot: list[Encoder]) -> Encoder:
    def encode(value: Any) -> Any:
        return slot[0](value)

    return encode


def _build_container_encoder(shape: Shape) -> Encoder:
    kind = shape.type_name
    if kind == "list":
        item_encoder = encoder_for(shape.member)
        if item_encoder is _identity:
            return list
        return lambda value: [None if item is None else item_encoder(item) for item in value]
    if kind == "map":
        value_encoder = encoder_for(shape.value)
        return lambda value: {str(k): value_encoder(v) for k, v in value.items() if v is not None}
    plan = {
        name: (member.serialization.get("name", name), encoder_for(member))
        for name, member in shape.members.items()
        if member.serialization.get("location") is None
    }
    for wire, encoder in list(plan.values()):  # also accept wire names ("fieldList"), as errors do
        plan.setdefault(wire, (wire, encoder))

    def encode_structure(value: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, item in value.items():
            if item is not None:
                bound = plan.get(name)
                if bound is not None:
                    body[bound[0]] = bound[1](item)
        return body

    return encode_structure


def to_json_value(shape: Shape, value: Any) -> Any:
    """A Python value of ``shape`` -> a JSON-ready value (wire names, encoded scalars)."""
    return encoder_for(shape)(value)


def _structure_body(shape: StructureShape, value: dict[str, Any]) -> dict[str, Any]:
    return encoder_for(shape)(value)


def _header_text(shape: Shape, value: Any) -> str:
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")
    kind = shape.type_name
    if kind == "timestamp":
        return str(
            format_timestamp(value, shape.serialization.get("timestampFormat", _HEADER_TIMESTAMP_DEFAULT))
        )
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return base64.b64encode(_as_bytes(value)).decode("ascii")
    if kind == "list":
        return ",".join(_header_text(shape.member, item) for item in value)
    return str(value)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps would build one per call
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def dump_json(data: Any) -> bytes:
    """Compact JSON bytes; non-ASCII kept as UTF-8 like AWS.

    Text holding a lone surrogate (stored before requests were checked for it) has no UTF-8 form:
    such a document is written with ``\\uXXXX`` escapes instead, which is still valid JSON and
    reads back as the very same string, rather than failing the whole response.
    """
    text = _ENCODER.encode(data)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII_ENCODER.encode(data).encode("ascii")


class OutputSerializer:
    """Precomputed member bindings of one operation's output shape."""

    def __init__(self, operation: OperationModel) -> None:
        self.status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        self.shape: StructureShape | None = shape
        self.payload: tuple[str, Shape] | None = None
        self.headers: list[tuple[str, bytes, Shape]] = []
        self.header_maps: list[tuple[str, str, Shape]] = []
        self.status_member: str | None = None
        if shape is None:
            return
        payload_name = shape.serialization.get("payload")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "header":
                self.headers.append((name, wire.lower().encode("latin-1"), member))
            elif location == "headers":
                self.header_maps.append((name, wire, member))
            elif location == "statusCode":
                self.status_member = name
            elif name == payload_name:
                self.payload = (name, member)

    def serialize(self, output: dict[str, Any] | None) -> tuple[int, Headers, bytes]:
        """Output dict -> (status, headers, body)."""
        output = output or {}
        status = self.status
        headers: Headers = []
        if self.shape is None:
            body = b"{}"
            content_type = JSON_CONTENT_TYPE
        else:
            for name, wire, member in self.headers:
                value = output.get(name)
                if value is not None:
                    headers.append((wire, _header_text(member, value).encode("utf-8", "replace")))
            for name, prefix, _member in self.header_maps:
                for key, value in (output.get(name) or {}).items():
                    header = (prefix + key).lower().encode("latin-1", "replace")
                    headers.append((header, str(value).encode("utf-8", "replace")))
            if self.status_member is not None and output.get(self.status_member) is not None:
                status = int(output[self.status_member])
            body, content_type = self._body(output)
        if status in _NO_BODY_STATUSES:
            return status, headers, b""
        if not any(name == b"content-type" for name, _ in headers):
            headers.append((b"content-type", content_type))
        return status, headers, body

    def _body(self, output: dict[str, Any]) -> tuple[bytes, bytes]:
        assert self.shape is not None
        if self.payload is None:
            return dump_json(_structure_body(self.shape, output)), JSON_CONTENT_TYPE
        name, member = self.payload
        value = output.get(name)
        if member.type_name == "blob":
            return (b"" if value is None else _as_bytes(value)), b"application/octet-stream"
        if member.type_name == "string":
            return (b"" if value is None else _as_bytes(value)), b"text/plain; charset=utf-8"
        if value is None:
            return b"{}", JSON_CONTENT_TYPE
        return dump_json(to_json_value(member, value)), JSON_CONTENT_TYPE


class ErrorSerializer:
    """Errors of one service model (``None`` for errors outside any service)."""

    def __init__(self, model: ServiceModel | None) -> None:
        self.shapes: dict[str, StructureShape] = {}
        if model is not None:
            for shape in model.error_shapes:
                self.shapes[shape.name] = shape
                code = shape.metadata.get("error", {}).get("code")
                if code:
                    self.shapes.setdefault(code, shape)
        self.internal_code = (
            "InternalServerException" if "InternalServerException" in self.shapes else ("InternalFailure")
        )

    def serialize(self, error: ServiceError) -> tuple[int, Headers, bytes]:
        """A ``ServiceError`` -> (status, headers, body) the way botocore's rest-json parser reads it."""
        shape = self.shapes.get(error.code)
        body: dict[str, Any] = {}
        status = error.status
        if shape is not None:
            if status is None:
                status = shape.metadata.get("error", {}).get("httpStatusCode")
            by_wire = {}
            for name, member in shape.members.items():
                wire = member.serialization.get("name", name)
                by_wire[name] = by_wire[wire] = (wire, member)
            for key, value in error.fields.items():
                if value is None:
                    continue
                bound = by_wire.get(key)
                if bound is None:
                    body[key] = value
                else:
                    try:
                        body[bound[0]] = to_json_value(bound[1], value)
                    except (TypeError, ValueError, AttributeError):
                        body[bound[0]] = value
            for name, member in shape.members.items():
                if name.lower() == "message":
                    body.setdefault(member.serialization.get("name", name), error.message)
        else:
            body.update({k: v for k, v in error.fields.items() if v is not None})
        body.setdefault("message", error.message)
        status = int(status or 400)
        headers: Headers = [
            (b"x-amzn-errortype", error.code.encode("utf-8", "replace")),
            (b"content-type", JSON_CONTENT_TYPE),
        ]
        try:
            encoded = dump_json(body)
        except (TypeError, ValueError):
            encoded = dump_json({"message": error.message})
        return status, headers, encoded

    def internal_error(self, message: str = "An internal error occurred") -> ServiceError:
        """The service's 500 error (``InternalServerException`` when modeled, else ``InternalFailure``)."""
        return ServiceError(self.internal_code, message, status=500)
