"""Validate a parsed input dict against the model's constraints, reporting every problem.

Messages follow AWS's wording (``1 validation error detected: Value 'x' at 'name' failed to
satisfy constraint: Member must ...``). Model patterns are Java regexes applied as a full match;
they are translated to Python's ``re`` where needed, and a pattern that still cannot compile is
skipped with a warning rather than failing requests.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Callable
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


# Planes 4-13 are unassigned and 15-16 are private use: scanning only where categories vary keeps
# start-up fast (the whole table is built once, on the first \p{..} pattern).
_SCANNED_CODE_POINTS = (range(0, 0x32400), range(0xE0000, 0xE1000))
_PRIVATE_USE_PLANES = [(0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)]


@cache
def _category_table() -> dict[str, list[tuple[int, int]]]:
    """Code-point ranges of every two-letter Unicode general category, built in one pass."""
    table: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    for block in _SCANNED_CODE_POINTS:
        for cp in block:
            ranges = table.setdefault(category(chr(cp)), [])
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    table.setdefault("Co", []).extend(_PRIVATE_USE_PLANES)
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


# A checker appends (path, value, constraint) for each violation; None means "nothing to check".
Checker = Callable[[Any, str, list], None]

# id(shape) -> (shape, checker), built once per shape; keeping the shape pins its id.
_CHECKERS: dict[int, tuple[Shape, Checker | None]] = {}


def checker_for(shape: Shape) -> Checker | None:
    """The compiled constraint checker of ``shape`` (None when it and its members have none)."""
    cached = _CHECKERS.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    kind = shape.type_name
    if kind in ("list", "map") or (kind == "structure" and not shape.is_document_type):
        slot: list[Checker | None] = [None]

        def deferred(value: Any, path: str, problems: list) -> None:  # for recursive shapes
            if slot[0] is not None:
                slot[0](value, path, problems)

        _CHECKERS[id(shape)] = (shape, deferred)
        try:
            built = _container_checker(shape)
        except BaseException:
            del _CHECKERS[id(shape)]  # never leave a placeholder that silently checks nothing
            raise
        slot[0] = built
    else:
        built = _scalar_checker(shape)
    _CHECKERS[id(shape)] = (shape, built)
    return built


def _length_messages(meta: dict) -> tuple[int | None, str, int | None, str]:
    low, high = meta.get("min"), meta.get("max")
    return (
        low,
        f"Member must have length greater than or equal to {low}",
        high,
        f"Member must have length less than or equal to {high}",
    )


def _scalar_checker(shape: Shape) -> Checker | None:
    kind = shape.type_name
    meta = shape.metadata
    sensitive = bool(meta.get("sensitive"))
    if kind in ("string", "blob"):
        low, low_msg, high, high_msg = _length_messages(meta)
        enum = frozenset(meta.get("enum") or ()) if kind == "string" else frozenset()
        enum_msg = f"Member must satisfy enum value set: [{', '.join(meta.get('enum') or ())}]"
        pattern = meta.get("pattern") if kind == "string" else None
        compiled = compile_pattern(pattern) if pattern is not None else None
        pattern_msg = f"Member must satisfy regular expression pattern: {pattern}"
        if low is None and high is None and not enum and compiled is None:
            return None
        types = (str,) if kind == "string" else (bytes, str)

        def check_text(value: Any, path: str, problems: list) -> None:
            if not isinstance(value, types):
                return
            shown = _SENSITIVE if sensitive else value
            length = len(value)
            if low is not None and length < low:
                problems.append((path, shown, low_msg))
            if high is not None and length > high:
                problems.append((path, shown, high_msg))
            if enum and value not in enum:
                problems.append((path, shown, enum_msg))
            if compiled is not None and compiled.fullmatch(value) is None:
                problems.append((path, shown, pattern_msg))

        return check_text
    if kind in ("integer", "long", "float", "double"):
        low, high = meta.get("min"), meta.get("max")
        if low is None and high is None:
            return None
        low_msg = f"Member must have value greater than or equal to {low}"
        high_msg = f"Member must have value less than or equal to {high}"

        def check_number(value: Any, path: str, problems: list) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            shown = _SENSITIVE if sensitive else value
            if low is not None and value < low:
                problems.append((path, shown, low_msg))
            if high is not None and value > high:
                problems.append((path, shown, high_msg))

        return check_number
    return None


def _container_checker(shape: Shape) -> Checker | None:
    kind = shape.type_name
    meta = shape.metadata
    sensitive = bool(meta.get("sensitive"))
    low, low_msg, high, high_msg = _length_messages(meta)
    if kind == "list":
        item_checker = checker_for(shape.member)
        if item_checker is None and low is None and high is None:
            return None

        def check_list(value: Any, path: str, problems: list) -> None:
            if not isinstance(value, list):
                return
            length = len(value)
            if low is not None and length < low:
                problems.append((path, _SENSITIVE if sensitive else value, low_msg))
            if high is not None and length > high:
                problems.append((path, _SENSITIVE if sensitive else value, high_msg))
            if item_checker is not None:
                for i, item in enumerate(value):
                    if item is not None:
                        item_checker(item, f"{path}.{i + 1}.member" if path else f"{i + 1}.member", problems)

        return check_list
    if kind == "map":
        key_checker, value_checker = checker_for(shape.key), checker_for(shape.value)
        if key_checker is None and value_checker is None and low is None and high is None:
            return None

        def check_map(value: Any, path: str, problems: list) -> None:
            if not isinstance(value, dict):
                return
            length = len(value)
            if low is not None and length < low:
                problems.append((path, value, low_msg))
            if high is not None and length > high:
                problems.append((path, value, high_msg))
            for key, item in value.items():
                if key_checker is not None:
                    key_checker(key, f"{path}.key" if path else "key", problems)
                if value_checker is not None and item is not None:
                    value_checker(item, _join(path, str(key)), problems)

        return check_map
    members = shape.members
    required = [
        (name, members[name].serialization.get("name", name) if name in members else name)
        for name in shape.required_members
    ]
    nested = {}
    for name, member in members.items():
        member_checker = checker_for(member)
        if member_checker is not None:
            nested[name] = (member.serialization.get("name", name), member_checker)
    if not required and not nested:
        return None

    def check_structure(value: Any, path: str, problems: list) -> None:
        if not isinstance(value, dict):
            return
        for name, wire in required:
            if value.get(name) is None:
                problems.append((_join(path, wire), None, "Member must not be null"))
        for name, item in value.items():
            bound = nested.get(name)
            if bound is not None and item is not None:
                bound[1](item, _join(path, bound[0]), problems)

    return check_structure


def validate_input(shape: Shape | None, params: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """Every constraint violation of ``params`` as ``(path, shown value, constraint)``."""
    checker = checker_for(shape) if shape is not None else None
    if checker is None:
        return []
    problems: list[tuple[str, Any, str]] = []
    checker(params, "", problems)
    return [(path, _display(value), constraint) for path, value, constraint in problems]


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
