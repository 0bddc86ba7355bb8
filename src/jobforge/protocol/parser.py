"""Turn the HTTP pieces of a rest-json request into the operation's input dict, typed by shape.

Wire values become Python values (ints, floats, bools, UTC datetimes, bytes, lists, dicts);
anything that does not fit the shape raises :class:`RequestParseError`, which the gateway answers
with the service's own validation error, never a 500. Text with lone surrogates (``\\ud800`` in
JSON, or percent-encoded bytes that are not UTF-8) and ``null`` list items or map values are
refused here, wherever they occur, naming the member: nothing downstream could handle them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.model import OperationModel, Shape, StructureShape

from jobforge.protocol.validate import format_validation_message

_NO_VALUE = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestParseError(Exception):
    """The request does not fit the operation's input shape (bad JSON, wrong types...)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _constraint_error(path: str, shown: str | None, constraint: str) -> RequestParseError:
    """A parse failure worded like the validator's (``1 validation error detected: ...``)."""
    return RequestParseError(format_validation_message([(path, shown, constraint)]), path)


def check_text(text: str, path: str) -> str:
    """``text`` itself, unless it holds a lone surrogate (not Unicode: it could never be stored or
    answered as UTF-8); the value is not echoed, its place is named."""
    if not text.isascii() and _SURROGATE.search(text) is not None:
        raise _constraint_error(path, None, "Member must be valid Unicode text (no lone surrogates)")
    return text


def _null_item(path: str) -> RequestParseError:
    return _constraint_error(path, "null", "Member must not be null")


def check_document(value: Any, path: str) -> Any:
    """A free-form JSON value whose strings and keys are all valid Unicode (returned unchanged)."""
    if isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_document(item, f"{path}.{i + 1}.member" if path else f"{i + 1}.member")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, f"{path}.key" if path else "key")
            check_document(item, _join(path, key))
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_error(path: str, expected: str, value: Any) -> RequestParseError:
    where = f" at '{path}'" if path else ""
    return RequestParseError(
        f"Invalid type for value{where}: expected {expected}, got {_describe(value)}", path
    )


def parse_timestamp(value: Any, path: str = "") -> datetime:
    """Epoch seconds (number or numeric string), ISO-8601 or RFC-822 -> aware UTC datetime."""
    if isinstance(value, bool):
        raise _type_error(path, "timestamp", value)
    try:
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError(value)
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            text = value.strip()
            try:
                return datetime.fromtimestamp(float(text), UTC)
            except ValueError:
                pass
            if "," in text or text.endswith("GMT"):
                parsed = parsedate_to_datetime(text)
            else:
                parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError, TypeError, IndexError):
        pass
    where = f" at '{path}'" if path else ""
    raise RequestParseError(f"Invalid timestamp{where}: {value!r}", path)


_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _check_int_range(kind: str, value: int, path: str) -> int:
    """AWS's integers are Java ints and longs; bigger numbers would only fail later, in storage."""
    low, high = _INT_RANGES[kind]
    if not low <= value <= high:
        raise RequestParseError(f"Value at '{path}' is out of range for type {kind}", path)
    return value


def _parse_number_text(text: str, shape: Shape, path: str) -> Any:
    try:
        if shape.type_name in ("integer", "long"):
            return _check_int_range(shape.type_name, int(text), path)
        return float(text)
    except ValueError:
        raise RequestParseError(f"Invalid {shape.type_name} value at '{path}': {text!r}", path) from None


def _parse_bool_text(text: str, path: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise RequestParseError(f"Invalid boolean value at '{path}': {text!r}", path)


def parse_text_value(shape: Shape, text: str, path: str) -> Any:
    """A scalar that arrived as text (URI label, query parameter, header) -> typed value."""
    kind = shape.type_name
    if kind == "string":
        return check_text(text, path)
    if kind in ("integer", "long", "float", "double"):
        return _parse_number_text(text, shape, path)
    if kind == "boolean":
        return _parse_bool_text(text, path)
    if kind == "timestamp":
        return parse_timestamp(text, path)
    if kind == "blob":
        return _decode_base64(text, path)
    raise RequestParseError(f"Unsupported text binding for {kind} at '{path}'", path)


def _decode_base64(text: str, path: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RequestParseError(f"Invalid base64 value at '{path}'", path) from None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def parse_json_value(shape: Shape, value: Any, path: str) -> Any:
    """A decoded JSON value -> Python value of ``shape``; ``null`` members are dropped upstream,
    ``null`` list items and map values are refused (providers could only crash on them)."""
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "string", value)
        return check_text(value, path)
    if kind == "structure":
        if shape.is_document_type:
            return check_document(value, path)
        if not isinstance(value, dict):
            raise _type_error(path, "object", value)
        return _parse_structure_body(shape, value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, "array", value)
        member = shape.member
        items = []
        for i, item in enumerate(value):
            item_path = f"{path}.{i + 1}.member"
            if item is None:
                raise _null_item(item_path)
            items.append(parse_json_value(member, item, item_path))
        return items
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(path, "object", value)
        key_shape, value_shape = shape.key, shape.value
        result = {}
        for key, item in value.items():
            parsed_key = parse_json_value(key_shape, key, _join(path, "key"))  # first: paths name keys
            if item is None:
                raise _null_item(_join(path, key))
            result[parsed_key] = parse_json_value(value_shape, item, _join(path, key))
        return result
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(path, kind, value)
        if isinstance(value, float):
            if not value.is_integer():
                raise _type_error(path, kind, value)
            value = int(value)
        return _check_int_range(kind, value, path)
    if kind in ("float", "double"):
        if isinstance(value, bool):
            raise _type_error(path, kind, value)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        raise _type_error(path, kind, value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "boolean", value)
        return value
    if kind == "timestamp":
        return parse_timestamp(value, path)
    if kind == "blob":
        if not isinstance(value, str):
            raise _type_error(path, "base64 string", value)
        return _decode_base64(value, path)
    return value  # unknown/future types: pass through


# id(shape) -> (shape, {wire name: (member name, member shape)}) for body members.
_BODY_PLANS: dict[int, tuple[Shape, dict[str, tuple[str, Shape]]]] = {}


def _body_plan(shape: StructureShape) -> dict[str, tuple[str, Shape]]:
    cached = _BODY_PLANS.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    plan = {
        member.serialization.get("name", name): (name, member)
        for name, member in shape.members.items()
        if member.serialization.get("location") is None  # URI/query/header members never come from the body
    }
    _BODY_PLANS[id(shape)] = (shape, plan)
    return plan


def _parse_structure_body(shape: StructureShape, body: dict, path: str) -> dict:
    plan = _body_plan(shape)
    result = {}
    for wire, raw in body.items():
        bound = plan.get(wire)
        if bound is None or raw is None:
            continue  # unknown members are ignored, like AWS does
        result[bound[0]] = parse_json_value(bound[1], raw, f"{path}.{wire}" if path else wire)
    return result


def decode_json_body(body: bytes) -> Any:
    """Body bytes -> JSON value; an empty body is ``{}``."""
    if not body or not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestParseError(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise RequestParseError("Request body is nested too deeply") from None


@dataclass(frozen=True)
class _Binding:
    name: str
    wire: str
    shape: Shape
    jsonvalue: bool = False


class InputParser:
    """Precomputed member bindings of one operation's input shape."""

    def __init__(self, operation: OperationModel) -> None:
        self.operation = operation
        shape = operation.input_shape
        self.shape: StructureShape | None = shape
        self.uri: list[_Binding] = []
        self.query: list[_Binding] = []
        self.query_map: _Binding | None = None
        self.headers: list[_Binding] = []
        self.header_maps: list[_Binding] = []  # wire = the header name prefix (lower-cased)
        self.payload: _Binding | None = None
        self.has_body_members = False
        if shape is None:
            return
        payload_name = shape.serialization.get("payload")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                self.uri.append(_Binding(name, wire, member))
            elif location == "querystring":
                if member.type_name == "map":
                    self.query_map = _Binding(name, wire, member)
                else:
                    self.query.append(_Binding(name, wire, member))
            elif location == "header":
                jsonvalue = bool(member.serialization.get("jsonvalue"))
                self.headers.append(_Binding(name, wire.lower(), member, jsonvalue))
            elif location == "headers":
                self.header_maps.append(_Binding(name, wire.lower(), member))
            elif name == payload_name:
                self.payload = _Binding(name, wire, member)
            elif location is None:
                self.has_body_members = True
        # Query names claimed by members or by the requestUri itself never land in a query map.
        literal_query = operation.http.get("requestUri", "").partition("?")[2]
        self._query_names = {b.wire for b in self.query} | {
            part.partition("=")[0] for part in literal_query.split("&") if part
        }

    def parse(
        self,
        labels: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        """Build the input dict; raises :class:`RequestParseError` on anything ill-typed."""
        if self.shape is None:
            return {}
        params: dict[str, Any] = {}
        if self.payload is not None:
            self._parse_payload(body, params)
        elif self.has_body_members:
            decoded = decode_json_body(body)
            if not isinstance(decoded, dict):
                raise RequestParseError(f"Request body must be a JSON object, got {_describe(decoded)}")
            params.update(_parse_structure_body(self.shape, decoded, ""))
        for b in self.uri:
            text = labels.get(b.wire)
            if text is not None:
                params[b.name] = parse_text_value(b.shape, text, b.wire)
        for b in self.query:
            values = query.get(b.wire)
            if values is None:
                continue
            if b.shape.type_name == "list":
                params[b.name] = [parse_text_value(b.shape.member, v, b.wire) for v in values]
            else:
                params[b.name] = parse_text_value(b.shape, values[-1], b.wire)
        if self.query_map is not None:
            self._parse_query_map(query, params)
        for b in self.headers:
            text = headers.get(b.wire)
            if text is not None:
                params[b.name] = self._parse_header(b, text)
        for b in self.header_maps:
            found = {
                key[len(b.wire) :]: value
                for key, value in headers.items()
                if key.startswith(b.wire) and len(key) > len(b.wire)
            }
            if found:
                params[b.name] = found
        return params

    def _parse_payload(self, body: bytes, params: dict[str, Any]) -> None:
        assert self.payload is not None
        b = self.payload
        kind = b.shape.type_name
        if kind == "blob":
            if body:
                params[b.name] = body
        elif kind == "string":
            if body:
                try:
                    params[b.name] = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise RequestParseError("Request body is not valid UTF-8 text", b.wire) from None
        else:
            decoded = decode_json_body(body)
            if kind == "structure" and not b.shape.is_document_type and not isinstance(decoded, dict):
                raise RequestParseError(f"Request body must be a JSON object, got {_describe(decoded)}")
            if body.strip():
                params[b.name] = parse_json_value(b.shape, decoded, b.wire)

    def _parse_query_map(self, query: dict[str, list[str]], params: dict[str, Any]) -> None:
        assert self.query_map is not None
        value_shape = self.query_map.shape.value
        wire = self.query_map.wire
        result: dict[str, Any] = {}
        for key, values in query.items():
            if key in self._query_names:
                continue
            check_text(key, f"{wire}.key")
            for value in values:
                check_text(value, f"{wire}.{key}")
            if value_shape.type_name == "list":
                result[key] = list(values)
            else:
                result[key] = values[-1]
        if result:
            params[self.query_map.name] = result

    @staticmethod
    def _parse_header(b: _Binding, text: str) -> Any:
        if b.jsonvalue:
            try:
                decoded = json.loads(base64.b64decode(text))
            except (ValueError, binascii.Error):
                raise RequestParseError(f"Invalid JSON value in header '{b.wire}'", b.wire) from None
            return check_document(decoded, b.wire)
        if b.shape.type_name == "list":
            return [parse_text_value(b.shape.member, part.strip(), b.wire) for part in text.split(",")]
        return parse_text_value(b.shape, text, b.wire)
