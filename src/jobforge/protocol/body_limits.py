"""Per-operation request-body limits, derived once from each operation's input shape.

A valid request never needs more bytes than its input shape allows, so the gateway refuses a
larger body (413) before reading it:

* an operation whose input has no body member (everything in the URI, query or headers) gets
  ``NO_BODY_LIMIT``;
* an input whose body strings, blobs, lists and maps all have a modeled maximum gets the largest
  JSON encoding of a maximal value, counted the worst way (every character escaped, ``\\uXXXX``
  or a surrogate pair: 12 bytes per character of a string, 6 per base64 character of a blob),
  times ``OVERHEAD_FACTOR`` plus ``OVERHEAD_BYTES`` for whitespace and number spellings;
* anything unbounded (no maximum, documents, recursive shapes, streaming payloads without a
  maximum) keeps the global limit.

No limit is ever larger than the global one. Members the model does not know are ignored by the
parser; bodies padded with them are not valid requests and are not provided for.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.model import OperationModel, Shape

NO_BODY_LIMIT = 8 * 1024
OVERHEAD_FACTOR = 2
OVERHEAD_BYTES = 4 * 1024
STRING_CHAR_BYTES = 12  # "\ud83d\ude00": one code point written as an escaped surrogate pair
ASCII_CHAR_BYTES = 6  # "\u0041": one ASCII character escaped
SCALAR_BYTES = {"boolean": 5, "integer": 64, "long": 64, "float": 64, "double": 64, "timestamp": 64}
NULL_BYTES = 4


def _string_bytes(shape: Shape) -> int | None:
    enum = shape.metadata.get("enum")
    longest = max((len(value) for value in enum), default=0) if enum else shape.metadata.get("max")
    return None if longest is None else STRING_CHAR_BYTES * longest + 2


def _blob_bytes(shape: Shape) -> int | None:
    longest = shape.metadata.get("max")
    return None if longest is None else ASCII_CHAR_BYTES * 4 * -(-longest // 3) + 2


def _key_bytes(name: str) -> int:
    return ASCII_CHAR_BYTES * len(name) + 2


def _members_bytes(members: Mapping[str, Shape], seen: frozenset[str]) -> int | None:
    """Largest JSON object of these members: ``{"name": value, ...}``."""
    total = 2
    for name, member in members.items():
        value = json_bytes(member, seen)
        if value is None:
            return None
        total += _key_bytes(member.serialization.get("name", name)) + 1 + max(value, NULL_BYTES) + 1
    return total


def json_bytes(shape: Shape, seen: frozenset[str] = frozenset()) -> int | None:
    """The largest JSON encoding of a valid value of ``shape`` (None: unbounded)."""
    kind = shape.type_name
    if kind == "string":
        return _string_bytes(shape)
    if kind == "blob":
        return _blob_bytes(shape)
    if kind in SCALAR_BYTES:
        return SCALAR_BYTES[kind]
    if kind == "structure":
        if getattr(shape, "is_document_type", False) or shape.name in seen:
            return None
        return _members_bytes(shape.members, seen | {shape.name})
    count = shape.metadata.get("max")
    if count is None:
        return None
    if kind == "list":
        item = json_bytes(shape.member, seen)
        return None if item is None else 2 + count * (max(item, NULL_BYTES) + 1)
    if kind == "map":
        key, value = json_bytes(shape.key, seen), json_bytes(shape.value, seen)
        if key is None or value is None:
            return None
        return 2 + count * (key + 1 + max(value, NULL_BYTES) + 1)
    return None  # unknown types: no bound


def _payload_bytes(member: Shape) -> int | None:
    """A payload member is the whole body: raw bytes or text, else its JSON."""
    longest = member.metadata.get("max")
    if member.type_name == "blob":
        return longest
    if member.type_name == "string":
        return None if longest is None else 4 * longest  # UTF-8: at most 4 bytes per code point
    return json_bytes(member)


def operation_body_limit(operation: OperationModel, default: int) -> int:
    """The largest body a valid request of ``operation`` can have, capped at ``default``."""
    shape = operation.input_shape
    if shape is None:
        return min(NO_BODY_LIMIT, default)
    payload = shape.serialization.get("payload")
    if payload is not None:
        largest = _payload_bytes(shape.members[payload])
    else:
        body = {n: m for n, m in shape.members.items() if m.serialization.get("location") is None}
        if not body:
            return min(NO_BODY_LIMIT, default)
        largest = _members_bytes(body, frozenset({shape.name}))
    if largest is None:
        return default
    return min(default, max(NO_BODY_LIMIT, OVERHEAD_FACTOR * largest + OVERHEAD_BYTES))
