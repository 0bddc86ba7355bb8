"""Number and pose formatting shared by the SDF writers (short, stable text)."""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape


def _number(value: float) -> str:
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def fmt(value: float | Iterable[float]) -> str:
    """``1.5`` -> "1.5"; a sequence -> space-separated numbers."""
    if isinstance(value, int | float):
        return _number(value)
    return " ".join(map(_number, value))


def pose_text(
    x: float = 0, y: float = 0, z: float = 0, roll: float = 0, pitch: float = 0, yaw: float = 0
) -> str:
    return fmt((x, y, z, roll, pitch, yaw))


def text(value: str) -> str:
    """XML-escaped character data."""
    return escape(value)
