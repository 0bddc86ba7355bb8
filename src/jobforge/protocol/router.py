"""Route an HTTP request (method, raw path, query) to an operation of a rest-json service model.

Tables are built once per model: fully literal paths go into a dict, templated paths are regexes
bucketed by method and first path segment, ordered most specific first (more literal segments,
more required query parameters, fewer greedy labels), so a request costs one dict lookup or a few
regex matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel

from jobforge.protocol.errors import ServiceError

_LABEL = re.compile(r"\{([^}]+)\}")


class UnknownRoute(ServiceError):
    """No operation of the model matches the request's method and path."""

    def __init__(self, method: str, path: str, allowed: list[str] | None = None) -> None:
        detail = f" (allowed methods: {', '.join(sorted(allowed))})" if allowed else ""
        super().__init__(
            "UnknownOperationException",
            f"No operation matches {method} {path}{detail}",
            status=404,
        )


@dataclass(frozen=True)
class RouteMatch:
    """The operation a request resolved to, with its URI label values (percent-decoded)."""

    operation: OperationModel
    labels: dict[str, str]


@dataclass
class _Route:
    operation: OperationModel
    method: str
    path: str  # template path, trailing slash removed
    regex: re.Pattern[str] | None  # None for fully literal paths
    label_names: tuple[str, ...]  # group index -> label name (without '+')
    literal_segments: int
    greedy_labels: int
    required_query: tuple[tuple[str, str | None], ...]  # literal query parts of requestUri
    extra_query: tuple[str, ...] = field(default=())  # required querystring members (disambiguation)
    extra_headers: tuple[str, ...] = field(default=())  # required header members (S3's CopyObject)

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        return (
            self.literal_segments,
            len(self.required_query) + len(self.extra_query) + len(self.extra_headers),
            -self.greedy_labels,
            len(self.path),
        )

    def query_matches(self, query: dict[str, list[str]], headers: Mapping[str, str] | None = None) -> bool:
        for key, value in self.required_query:
            values = query.get(key)
            if values is None or (value is not None and value not in values):
                return False
        if self.extra_headers and (headers is None or any(h not in headers for h in self.extra_headers)):
            return False
        return all(key in query for key in self.extra_query)


def _strip_slash(path: str) -> str:
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _first_segment(path: str) -> str:
    return path[1:].split("/", 1)[0]


def _compile_route(operation: OperationModel) -> _Route:
    method = operation.http.get("method", "POST").upper()
    request_uri = operation.http.get("requestUri", "/")
    path, _, query = request_uri.partition("?")
    path = _strip_slash(path or "/")
    required_query = tuple(
        (key, value if sep else None)
        for key, sep, value in (part.partition("=") for part in query.split("&") if part)
    )
    label_names: list[str] = []
    greedy = 0
    pattern_parts: list[str] = []
    pos = 0
    for match in _LABEL.finditer(path):
        pattern_parts.append(re.escape(path[pos : match.start()]))
        name = match.group(1)
        if name.endswith("+"):
            greedy += 1
            pattern_parts.append("(.+)")
            name = name[:-1]
        else:
            pattern_parts.append("([^/]+)")
        label_names.append(name)
        pos = match.end()
    pattern_parts.append(re.escape(path[pos:]))
    segments = [s for s in path.split("/") if s]
    literal_segments = sum(1 for s in segments if "{" not in s)
    regex = re.compile("".join(pattern_parts)) if label_names else None
    return _Route(
        operation=operation,
        method=method,
        path=path,
        regex=regex,
        label_names=tuple(label_names),
        literal_segments=literal_segments,
        greedy_labels=greedy,
        required_query=required_query,
    )


def _required_members(operation: OperationModel, location: str) -> tuple[str, ...]:
    """Wire names of the input's required members at ``location`` (header names lower-cased)."""
    shape = operation.input_shape
    if shape is None:
        return ()
    required = set(shape.required_members)
    names = tuple(
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if name in required and member.serialization.get("location") == location
    )
    return tuple(name.lower() for name in names) if location == "header" else names


def parse_query(query_string: str) -> dict[str, list[str]]:
    """Query string -> {name: [values...]} (percent-decoded, blank values kept). Bytes that are not
    UTF-8 become lone surrogates, which the parser refuses, rather than silently turning into U+FFFD."""
    query: dict[str, list[str]] = {}
    if query_string:
        for key, value in parse_qsl(query_string, keep_blank_values=True, errors="surrogateescape"):
            query.setdefault(key, []).append(value)
    return query


class Router:
    """Precomputed routing table for one service model."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        routes = [_compile_route(model.operation_model(name)) for name in model.operation_names]
        # Operations sharing method + path template are told apart by their required query members.
        by_template: dict[tuple[str, str], list[_Route]] = {}
        for route in routes:
            by_template.setdefault((route.method, _LABEL.sub("{}", route.path)), []).append(route)
        for group in by_template.values():
            if len(group) > 1:
                for route in group:
                    route.extra_query = _required_members(route.operation, "querystring")
                    route.extra_headers = _required_members(route.operation, "header")
        self._literal: dict[tuple[str, str], list[_Route]] = {}
        self._templated: dict[tuple[str, str], list[_Route]] = {}
        self._templated_any: dict[str, list[_Route]] = {}  # first segment is itself a label
        self._methods_by_path: list[_Route] = routes
        for route in routes:
            if route.regex is None:
                self._literal.setdefault((route.method, route.path), []).append(route)
            else:
                first = _first_segment(route.path)
                if "{" in first:
                    self._templated_any.setdefault(route.method, []).append(route)
                else:
                    self._templated.setdefault((route.method, first), []).append(route)
        for table in (self._literal, self._templated, self._templated_any):
            for bucket in table.values():
                bucket.sort(key=lambda r: r.specificity, reverse=True)

    def match(
        self,
        method: str,
        raw_path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str] | None = None,
    ) -> RouteMatch:
        """Resolve a request; ``raw_path`` is still percent-encoded. Raises :class:`UnknownRoute`.
        ``headers`` (lower-case names) tell apart operations that differ only by a required
        header; without them such operations never match."""
        method = method.upper()
        path = _strip_slash(raw_path or "/")
        for route in self._literal.get((method, path), ()):
            if route.query_matches(query, headers):
                return RouteMatch(route.operation, {})
        candidates = self._templated.get((method, _first_segment(path)), [])
        extra = self._templated_any.get(method)
        if extra:
            candidates = sorted([*candidates, *extra], key=lambda r: r.specificity, reverse=True)
        for route in candidates:
            assert route.regex is not None
            m = route.regex.fullmatch(path)
            if m is not None and route.query_matches(query, headers):
                labels = {
                    name: unquote(m.group(i + 1), errors="surrogateescape")  # see parse_query
                    for i, name in enumerate(route.label_names)
                }
                return RouteMatch(route.operation, labels)
        raise UnknownRoute(method, path, self._allowed_methods(path) or None)

    def _allowed_methods(self, path: str) -> list[str]:
        allowed = set()
        for route in self._methods_by_path:
            if route.path == path or (route.regex is not None and route.regex.fullmatch(path)):
                allowed.add(route.method)
        return list(allowed)
