"""Build minimal request parameters for any operation from its input shape (required members only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, Shape


def minimal_value(shape: Shape, depth: int = 0) -> Any:
    """A small value of the right type; strings honour enums and lengths, not patterns."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if meta.get("enum"):
            return meta["enum"][0]
        return "a" * max(int(meta.get("min", 1)), 1)
    if kind in ("integer", "long"):
        return int(meta.get("min", 1))
    if kind in ("float", "double"):
        return float(meta.get("min", 1))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    if kind == "blob":
        return b"x" * max(int(meta.get("min", 1)), 1)
    if kind == "list":
        return [minimal_value(shape.member, depth + 1) for _ in range(max(int(meta.get("min", 1)), 1))]
    if kind == "map":
        return {"k": minimal_value(shape.value, depth + 1)}
    if kind == "structure":
        if shape.is_document_type:
            return {}
        if meta.get("union"):
            name, member = next(iter(shape.members.items()))
            return {name: minimal_value(member, depth + 1)}
        return {name: minimal_value(shape.members[name], depth + 1) for name in shape.required_members}
    return None


def minimal_params(operation: OperationModel) -> dict[str, Any]:
    shape = operation.input_shape
    return {} if shape is None else minimal_value(shape)
