"""Validate a parsed input dict against the model's constraints, reporting every problem.

Messages follow AWS's wording (``1 validation error detected: Value 'x' at 'name' failed to
satisfy constraint: Member must ...``). Model patterns are Java regexes applied as a full match;
they are translated to Python's ``re`` where needed, and a pattern that still cannot compile is
skipped with a warning rather than failing requests.
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
import warnings
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

logger = logging.getLogger(__name__)

Problem = tuple[str, str]  # (path, "Member must ...")

# Known-broken patterns in published models, replaced by what they evidently mean.
PATTERN_FIXES: dict[str, str] = {
    # dataexchange AwsAccountId: a JS regex literal pasted into the model.
    r".*/^[\d]{12}$/.*": r"[\d]{12}",
}

_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}


@cache
def _category_table() -> dict[str, list[tuple[int, int]]]:
    """Code-point ranges of every two-letter Unicode general category, built in one pass."""
    table: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    for cp in range(sys.maxunicode + 1):
        ranges = table.setdefault(category(chr(cp)), [])
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return table


@cache
def _unicode_category_ranges(category: str) -> str:
    """Character-class body for a Unicode general category (``L``, ``Lu``, ``N``...)."""
    ranges = sorted(r for name, rs in _category_table().items() if name.startswith(category) for r in rs)
    if not ranges:
        raise ValueError(f"unknown Unicode category {category}")
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and merged[-1][1] == a - 1:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in merged)


def _property_class(name: str) -> str:
    name = name.removeprefix("Is").removeprefix("general_category=").removeprefix("gc=")
    if name in _POSIX_CLASSES:
        return _POSIX_CLASSES[name]
    aliases = {"Alphabetic": "L", "Letter": "L", "Digit": "Nd", "Punctuation": "P", "White_Space": "Z"}
    name = aliases.get(name, name)
    if len(name) in (1, 2) and name[0].isupper():
        return _unicode_category_ranges(name)
    raise ValueError(f"unsupported property class \\p{{{name}}}")


def java_to_python_regex(pattern: str) -> str:
    """Translate the Java-only bits AWS models use (``\\p{..}``, ``\\x{..}``, ``\\z``) to ``re``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "pP":
                if i + 2 < n and pattern[i + 2] == "{":
                    end = pattern.index("}", i + 3)
                    name = pattern[i + 3 : end]
                    i = end + 1
                else:
                    name = pattern[i + 2]
                    i += 3
                body = _property_class(name)
                if nxt == "P":
                    if in_class:
                        raise ValueError("negated property class inside a character class")
                    out.append(f"[^{body}]")
                else:
                    out.append(body if in_class else f"[{body}]")
                continue
            if nxt == "x" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.index("}", i + 3)
                out.append(f"\\U{int(pattern[i + 3 : end], 16):08x}")
                i = end + 1
                continue
            if nxt == "z":
                out.append("\\Z")
                i += 2
                continue
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            # a leading ']' or '^]' is literal in a class
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "[" and in_class:
            if pattern.startswith("[:", i):
                out.append("[")  # let re complain; rare
            else:
                raise ValueError("nested character classes are not supported")
        if c == "]" and in_class:
            in_class = False
        if in_class and pattern.startswith("&&", i):
            raise ValueError("character class intersection is not supported")
        out.append(c)
        i += 1
    return "".join(out)


@cache
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The compiled (full-match) form of a model pattern, or None when it cannot be used."""
    source = PATTERN_FIXES.get(pattern, pattern)
    try:
        translated = java_to_python_regex(source)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(translated, re.ASCII)
    except (re.error, ValueError, OverflowError) as exc:
        logger.warning("Skipping model pattern %r that Python cannot use: %s", pattern, exc)
        return None


_SENSITIVE = object()  # stands for a value the model marks sensitive: never echoed back


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, Any, str]] = []  # (path, value, constraint)

    def fail(self, path: str, value: Any, constraint: str) -> None:
        self.problems.append((path, value, constraint))

    def check(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if shape.is_document_type or not isinstance(value, dict):
                return
            members = shape.members
            for name in shape.required_members:
                if value.get(name) is None:
                    wire = members[name].serialization.get("name", name) if name in members else name
                    self.fail(_join(path, wire), None, "Member must not be null")
            for name, item in value.items():
                member = members.get(name)
                if member is not None and item is not None:
                    self.check(member, item, _join(path, member.serialization.get("name", name)))
        elif kind == "string":
            if not isinstance(value, str):
                return
            shown = _SENSITIVE if meta.get("sensitive") else value
            self._length(meta, shown, len(value), path)
            enum = meta.get("enum")
            if enum and value not in enum:
                self.fail(path, shown, f"Member must satisfy enum value set: [{', '.join(enum)}]")
            pattern = meta.get("pattern")
            if pattern is not None:
                compiled = compile_pattern(pattern)
                if compiled is not None and compiled.fullmatch(value) is None:
                    self.fail(path, shown, f"Member must satisfy regular expression pattern: {pattern}")
        elif kind == "list":
            if not isinstance(value, list):
                return
            self._length(meta, _SENSITIVE if meta.get("sensitive") else value, len(value), path)
            member = shape.member
            for i, item in enumerate(value):
                if item is not None:
                    self.check(member, item, f"{path}.{i + 1}.member" if path else f"{i + 1}.member")
        elif kind == "map":
            if not isinstance(value, dict):
                return
            self._length(meta, value, len(value), path)
            key_shape, value_shape = shape.key, shape.value
            for key, item in value.items():
                self.check(key_shape, key, f"{path}.key" if path else "key")
                if item is not None:
                    self.check(value_shape, item, _join(path, str(key)))
        elif kind == "blob":
            if isinstance(value, bytes | str):
                self._length(meta, value, len(value), path)
        elif kind in ("integer", "long", "float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            low, high = meta.get("min"), meta.get("max")
            shown = _SENSITIVE if meta.get("sensitive") else value
            if low is not None and value < low:
                self.fail(path, shown, f"Member must have value greater than or equal to {low}")
            if high is not None and value > high:
                self.fail(path, shown, f"Member must have value less than or equal to {high}")

    def _length(self, meta: dict, value: Any, length: int, path: str) -> None:
        low, high = meta.get("min"), meta.get("max")
        if low is not None and length < low:
            self.fail(path, value, f"Member must have length greater than or equal to {low}")
        if high is not None and length > high:
            self.fail(path, value, f"Member must have length less than or equal to {high}")


def validate_input(shape: Shape | None, params: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """Every constraint violation of ``params`` as ``(path, shown value, constraint)``."""
    if shape is None:
        return []
    walker = _Walker()
    walker.check(shape, params, "")
    return [(path, _display(value), constraint) for path, value, constraint in walker.problems]


def _display(value: Any) -> str | None:
    """How a value appears in a message: quoted, ``null``, or None (sensitive: left out)."""
    if value is _SENSITIVE:
        return None
    if value is None:
        return "null"
    return f"'{_show(value)}'"


def format_problem(path: str, shown: str | None, constraint: str) -> str:
    """``shown`` comes from :func:`validate_input` (already quoted; None for sensitive values)."""
    if shown is None:
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def format_validation_message(problems: list[tuple[str, str | None, str]]) -> str:
    """AWS's summary: ``N validation error(s) detected: ...; ...``."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    details = "; ".join(format_problem(*p) for p in problems)
    return f"{count} validation {noun} detected: {details}"


def validate(shape: Shape | None, params: dict[str, Any]) -> tuple[str, list[Problem]] | None:
    """``None`` when valid, else (AWS-style message, [(path, message)...]) for the service's error."""
    problems = validate_input(shape, params)
    if not problems:
        return None
    fields = [(path, format_problem(path, shown, constraint)) for path, shown, constraint in problems]
    return format_validation_message(problems), fields
