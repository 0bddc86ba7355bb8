"""Model-driven fuzzing of every implemented operation against one real server.

Hypothesis strategies are built from each operation's botocore input shape; the valid-shaped
values go through botocore's own rest-json serializer (path labels, query string, headers, JSON
body), and invalid variants mutate that wire form: wrong types, nulls, lone surrogates, over- and
under-length strings, bad enums and patterns, path traversal, huge strings, deep nesting, garbage
bodies. Generation is derandomized (a fixed seed for CI); the requests go out afterwards from a
small thread pool. Asserts: no 5xx but the 501 of unimplemented operations, every 4xx in the AWS
JSON error shape, and afterwards a healthy server whose List* operations all still answer 200.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore import xform_name
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jobforge.services.dataexchange.provider import DataExchangeProvider
from jobforge.services.location.provider import LocationProvider
from jobforge.services.robomaker.provider import RoboMakerProvider
from tests.server.test_invalid_text_and_nulls import LONE, MODELS
from tests.support import JobforgeServer, client

pytestmark = pytest.mark.filterwarnings("ignore")

PROVIDERS = {
    "robomaker": RoboMakerProvider,
    "dataexchange": DataExchangeProvider,
    "location": LocationProvider,
}
EXAMPLES_PER_OPERATION = 110  # x 55 implemented operations, plus a few for each unimplemented one
UNIMPLEMENTED_EXAMPLES = 2
SERIALIZER = create_serializer("rest-json", include_validation=False)

TRAVERSAL = [
    "..",
    "../..",
    "../../etc/passwd",
    "%2e%2e",
    "%2e%2e%2f%2e%2e",
    "..%2f..%2fetc",
    "%2E%2E%5C",
    "..\\..\\windows",
    "%252e%252e%252f",
    ".",
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%ZZ",
    "%",
    "~root",
    "jobforge-dataexchange",
    "arn:aws:s3:::jobforge-dataexchange/..",
    "%2F%2F",
    "a" * 5000,
]  # fmt: skip  (raw path segments / query values, some already percent-encoded)
EVIL_TEXT = [
    "../../../../etc/passwd", "..\\..\\", "%2e%2e%2f", "/", "", " ", "\x00", "a\x00b", LONE,
    f"x{LONE}y", "\udfff", "\u202e", "\ufeff", "💥" * 40, "'; DROP TABLE resources; --", '{"a":1}',
    "${jndi:ldap://x}", "\r\nX-Injected: 1", "jobforge-dataexchange",
]  # fmt: skip
SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDJOBFORGETEST/20260101/us-east-1/{}/aws4_request, SignedHeaders=host"
HOSTILE_HEADERS: list[dict[str, str]] = [
    {"authorization": "AWS4-HMAC-SHA256"},
    {"authorization": "AWS4-HMAC-SHA256 Credential=////, SignedHeaders=, Signature="},
    {"authorization": "Bearer ../../etc/passwd"},
    {"authorization": SCOPE.format("s3")},
    {"authorization": SCOPE.format("%ED%A0%80")},
    {"authorization": SCOPE.format("geo") + ", Signature=" + "a" * 10_000},
    {"content-type": "application/x-amz-json-1.1"},
    {"content-type": "text/plain; charset=utf-16"},
    {"content-type": "multipart/form-data; boundary=x"},
    {"content-encoding": "gzip"},
    {"x-amz-date": "not-a-date"},
    {"x-amz-security-token": "t" * 10_000},
    {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
    {"host": "geo.us-east-1.amazonaws.com"},
    {"host": "dataexchange.us-east-1.amazonaws.com"},
    {"host": "h" * 300},
    {"x-amz-target": "DataExchange.DeleteDataSet"},
]  # the service is still found from the path: hints and garbage in headers must not confuse it
WRONG_TYPES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    2**70,
    -(2**70),
    1e308,
    "",
    "x",
    [],
    [None],
    {},
    {"a": None},
]


def implemented(service: str, operation: str) -> bool:
    return hasattr(PROVIDERS[service], xform_name(operation))


# --- valid-shaped values ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def strings(shape: Shape, known: list[str]) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if meta.get("enum"):
        return st.sampled_from(meta["enum"])
    low = int(meta.get("min", 0))
    high = max(low, min(int(meta.get("max", 40)), 40))
    options = [st.text(min_size=low, max_size=high)]
    if meta.get("pattern"):
        try:
            options.append(st.from_regex(re.compile(meta["pattern"]), fullmatch=True))
        except re.error:  # a Java-only construct such as \\p{L}: plain text is still a fine input
            pass
    if known:
        options.append(st.sampled_from(known))
    return st.one_of(options)


def valid(shape: Shape, known: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape`` that botocore's serializer accepts (not necessarily ones AWS would)."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        return strings(shape, known)
    if kind in ("integer", "long"):
        bound = 2**31 if kind == "integer" else 2**63
        return st.integers(int(meta.get("min", -bound)), int(meta.get("max", bound - 1)))
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32 if kind == "float" else 64)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 4_000_000_000)
    if kind == "blob":
        return st.binary(max_size=32)
    if kind == "list":
        low = int(meta.get("min", 0))
        return st.lists(
            valid(shape.member, known, depth + 1), min_size=low, max_size=max(low, 3) if depth < 4 else low
        )
    if kind == "map":
        return st.dictionaries(
            strings(shape.key, []), valid(shape.value, known, depth + 1), max_size=3 if depth < 4 else 0
        )
    if kind == "structure":
        if shape.is_document_type:
            return json_values
        members = {name: m for name, m in shape.members.items()}
        if meta.get("union"):
            return st.one_of(
                [st.fixed_dictionaries({n: valid(m, known, depth + 1)}) for n, m in members.items()]
            )
        required = set(shape.required_members)
        optional = (
            {}
            if depth > 5
            else {n: valid(m, known, depth + 1) for n, m in members.items() if n not in required}
        )
        return st.fixed_dictionaries(
            {n: valid(members[n], known, depth + 1) for n in required}, optional=optional
        )
    return st.none()


# --- invalid variants, applied to the serialized request --------------------------------------


def invalid_for(shape: Shape | None) -> st.SearchStrategy[Any]:
    """A value that ``shape`` should refuse (or any hostile value when the shape is unknown)."""
    options: list[st.SearchStrategy[Any]] = [st.sampled_from(WRONG_TYPES), st.sampled_from(EVIL_TEXT)]
    if shape is not None:
        meta, kind = shape.metadata, shape.type_name
        if kind == "string":
            if "max" in meta:
                options.append(st.just("a" * (int(meta["max"]) + 1)))
            if int(meta.get("min", 0)) > 0:
                options.append(st.just("a" * (int(meta["min"]) - 1)))
            if meta.get("enum"):
                options.append(st.sampled_from([meta["enum"][0].lower() + "x", "", "NOT_AN_ENUM"]))
            if meta.get("pattern"):
                options.append(st.sampled_from(["!!!", " ", "\n", "a b", "*" * 3]))
            options.append(st.just("z" * 100_000))
        elif kind in ("integer", "long", "float", "double"):
            options.append(st.sampled_from([meta.get("min", 0) - 1, meta.get("max", 2**63) + 1, "1", "NaN"]))
        elif kind == "timestamp":
            options.append(st.sampled_from(["not-a-time", -1e20, 1e20, "2024-13-45T99:99:99Z"]))
        elif kind == "blob":
            options.append(st.sampled_from(["!!not base64!!", "eA", 7]))
        elif kind == "list":
            options.append(st.just(["x"] * (int(meta.get("max", 1000)) + 1)))
    return st.one_of(options)


def body_slots(value: Any, shape: Shape | None, path: tuple = ()) -> Iterator[tuple[tuple, Shape | None]]:
    """Every (path, shape) inside a serialized JSON body."""
    yield path, shape
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        if kind == "structure" and not shape.is_document_type:
            wires = {m.serialization.get("name", n): m for n, m in shape.members.items()}
            for key, item in value.items():
                yield from body_slots(item, wires.get(key), (*path, key))
        else:
            for key, item in value.items():
                yield from body_slots(item, shape.value if kind == "map" else None, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from body_slots(item, shape.member if kind == "list" else None, (*path, index))


def replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = replace(value[path[0]], path[1:], new)
    return value


def legal_header(value: str | bytes) -> bytes:
    """A header value HTTP can carry (else uvicorn refuses the request before jobforge sees it;
    names likewise keep only token characters)."""
    raw = value.encode() if isinstance(value, str) else value
    return bytes(c for c in raw if 0x20 <= c < 0x7F).strip()


DEEP_MARKER = "JOBFORGEFUZZDEEP"


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@dataclass
class Sent:
    service: str
    operation: str
    variant: str
    method: str
    target: str  # raw path and query, exactly as sent
    headers: dict[str, Any]
    body: bytes


BODY_VARIANTS = ["type", "null", "unknown", "deep", "raw"]
VARIANTS = ["valid", "valid", "missing", "path", "query", "headers", *BODY_VARIANTS]


def requests_for(service: str, operation: OperationModel, known: list[str], count: int) -> list[Sent]:
    """``count`` requests for ``operation``: a quarter valid-shaped, the rest hostile variants."""
    shape = operation.input_shape
    params_strategy = valid(shape, known) if shape is not None else st.just({})
    labels = [
        n for n, m in (shape.members.items() if shape else []) if m.serialization.get("location") == "uri"
    ]
    queries = {
        m.serialization.get("name", n): m
        for n, m in (shape.members.items() if shape else [])
        if m.serialization.get("location") == "querystring"
    }
    out: list[Sent] = []

    @settings(
        max_examples=max(1, count // len(VARIANTS)), derandomize=True, database=None, deadline=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(params=params_strategy, data=st.data())
    def generate(variant: str, params: dict[str, Any], data: st.DataObject) -> None:
        if variant == "missing" and shape is not None and shape.required_members:
            member = data.draw(st.sampled_from(shape.required_members))
            if member in labels:
                params[member] = ""  # botocore cannot leave a label out: an empty one
            else:
                params.pop(member)
        marker = "JOBFORGEFUZZLABEL"
        label = data.draw(st.sampled_from(labels)) if variant == "path" and labels else None
        if label is not None:
            params[label] = marker
        try:
            wire = SERIALIZER.serialize_to_request(params, operation)
        except Exception as exc:  # a fuzzer bug, not a server one
            raise AssertionError(f"botocore cannot serialize {operation.name} {params!r}") from exc
        path = wire["url_path"]
        if label is not None:
            path = path.replace(marker, data.draw(st.sampled_from(TRAVERSAL)))
        pairs = [
            (quote(str(k), safe=""), quote(str(item), safe=""))
            for k, v in wire["query_string"].items()
            for item in (v if isinstance(v, list) else [v])
        ]
        if variant == "query":  # a hostile value, sent raw (some are percent-encoded already)
            key = data.draw(st.sampled_from([*queries, "maxResults", "x"]))
            raw = data.draw(
                st.sampled_from([*TRAVERSAL, "-1", "0", "1e9", "99999999999999999999", "a" * 3000])
            )
            pairs = [pair for pair in pairs if pair[0] != key] + [(key, raw)]
        query = "&".join(f"{k}={v}" for k, v in pairs)
        target = f"{path}{'&' if '?' in path else '?'}{query}" if query else path
        body = wire["body"] if isinstance(wire["body"], bytes) else str(wire["body"]).encode()
        if variant in BODY_VARIANTS:
            body = mutate_body(data, body, shape, variant)
        headers = {re.sub(r"[^A-Za-z0-9-]", "", k): legal_header(v) for k, v in wire["headers"].items()}
        if variant == "headers":
            headers |= {k: v.encode() for k, v in data.draw(st.sampled_from(HOSTILE_HEADERS)).items()}
        out.append(Sent(service, operation.name, variant, wire["method"], target, headers, body))

    for variant in VARIANTS:  # one run per variant: an even mix, whatever hypothesis favours
        generate(variant=variant)
    return out


def mutate_body(data: st.DataObject, body: bytes, shape: Shape | None, variant: str) -> bytes:
    """A hostile version of a serialized JSON body."""
    if variant == "raw":
        return data.draw(
            st.sampled_from(
                [b"{", b"[1,2", b"\xff\xfe{}", b"null", b"[]", b'"x"', b"1e999", b'{"a":NaN}', b"\x00"]
            )
            | st.binary(max_size=64)
        )
    try:
        value = json.loads(body) if body else {}
    except ValueError:
        value = {}
    if variant == "deep":  # the whole body, or one member, nested 50 to 100,000 levels deep
        nested = deep(data.draw(st.sampled_from([50, 1_000, 100_000])))
        slots = list(body_slots(value, shape))[1:] if isinstance(value, dict) else []
        if not slots or data.draw(st.booleans()):
            return nested
        spliced = json.dumps(replace(value, data.draw(st.sampled_from(slots))[0], DEEP_MARKER)).encode()
        return spliced.replace(json.dumps(DEEP_MARKER).encode(), nested, 1)
    if variant == "unknown" or not isinstance(value, dict) or not value:
        if not isinstance(value, dict):
            value = {}
        value[data.draw(st.sampled_from(["__proto__", "constructor", "Unknown", "", LONE]))] = data.draw(
            invalid_for(None)
        )
        return json.dumps(value).encode()
    slots = list(body_slots(value, shape))[1:]  # not the whole body: that is "raw"
    slot, slot_shape = data.draw(st.sampled_from(slots))
    new = None if variant == "null" else data.draw(invalid_for(slot_shape))
    return json.dumps(replace(value, slot, new)).encode()


# --- the run ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    running = JobforgeServer(tmp_path_factory.mktemp("fuzz") / "data", "--auth", "none").start()
    yield running
    running.stop()


def seed_resources(server: JobforgeServer) -> list[str]:
    """A data set, revision and template whose ids the strategies mix in, to get past lookups."""
    dataexchange = client("dataexchange", server.url)
    data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="fuzz", Description="d")
    revision = dataexchange.create_revision(DataSetId=data_set["Id"])
    return [data_set["Id"], data_set["Arn"], revision["Id"], revision["Arn"]]


def send(http: httpx.Client, request: Sent) -> httpx.Response:
    headers = {"content-type": "application/json", **request.headers}  # --auth none: no signature
    return http.request(
        request.method, request.target, content=request.body, headers=headers,
        extensions={"target": request.target.encode("ascii", "backslashreplace")},  # "..": not normalized
    )  # fmt: skip


def problem(request: Sent, response: httpx.Response) -> str | None:
    """Why ``response`` breaks the contract, or None."""
    status = response.status_code
    if status == 501 and not implemented(request.service, request.operation):
        return None
    if status >= 500:
        return f"{status}"
    if status >= 400:
        try:
            payload = response.json()
        except ValueError:
            return f"{status} without a JSON body"
        if not (response.headers.get("x-amzn-errortype") or payload.get("__type") or payload.get("code")):
            return f"{status} without an error type"
        if not (payload.get("message") or payload.get("Message")):
            return f"{status} without a message"
    return None


def test_model_fuzz(fuzz_server: JobforgeServer) -> None:
    started = time.monotonic()
    known = seed_resources(fuzz_server)
    planned: list[Sent] = []
    for service, model in MODELS.items():
        for name in model.operation_names:
            count = EXAMPLES_PER_OPERATION if implemented(service, name) else UNIMPLEMENTED_EXAMPLES
            pool = [] if name == "CreateWorldGenerationJob" else known
            planned += requests_for(service, model.operation_model(name), pool, count)
    planned += [  # one body over the 32 MiB limit per service: 413, still in the AWS shape
        Sent(service, operation, "huge", "POST", path, {}, b'{"Name":"' + b"x" * (33 << 20) + b'"}')
        for service, operation, path in [
            ("robomaker", "CreateWorldTemplate", "/createWorldTemplate"),
            ("dataexchange", "CreateDataSet", "/v1/data-sets"),
            ("location", "TagResource", "/tags/arn%3Aaws%3Ageo%3Aus-east-1%3A000000000000%3Ajob%2Fx"),
        ]
    ]
    generated = time.monotonic()

    sent: Counter[str] = Counter()
    statuses: dict[str, Counter[int]] = {service: Counter() for service in MODELS}
    by_variant: dict[str, Counter[int]] = {}
    failures: list[str] = []
    with httpx.Client(base_url=fuzz_server.url, timeout=60) as http, ThreadPoolExecutor(4) as pool_:
        for request, response in zip(planned, pool_.map(lambda r: send(http, r), planned), strict=True):
            sent[request.service] += 1
            statuses[request.service][response.status_code] += 1
            by_variant.setdefault(request.variant, Counter())[response.status_code] += 1
            why = problem(request, response)
            if why:
                failures.append(
                    f"{why}: {request.service} {request.operation} [{request.variant}] {request.method} "
                    f"{request.target[:200]} {request.body[:200]!r} -> {response.text[:300]}"
                )
    finished = time.monotonic()
    print(f"\nmodel fuzz: {sum(sent.values())} requests, generated in {generated - started:.1f}s, "
          f"sent in {finished - generated:.1f}s")  # fmt: skip
    for service in MODELS:
        print(f"  {service}: {sent[service]} requests, statuses {dict(sorted(statuses[service].items()))}")
    for variant, counts in by_variant.items():
        print(f"  variant {variant}: {dict(sorted(counts.items()))}")
    assert sum(sent.values()) >= 5000
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:50])
    assert_still_healthy(fuzz_server)
    logged = [
        json.loads(line) for line in fuzz_server.log_path.read_text().splitlines() if line.startswith("{")
    ]
    assert [r for r in logged if r["level"] not in ("debug", "info")] == []  # no error, no traceback


def assert_still_healthy(server: JobforgeServer) -> None:
    """Health answers 200 and every implemented List* operation 200 for the default account."""
    assert server.health().status_code == 200
    dataexchange = client("dataexchange", server.url)
    data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="after", Description="d")
    revision = dataexchange.create_revision(DataSetId=data_set["Id"])
    robomaker = client("robomaker", server.url)
    template = robomaker.create_world_template(name="after", templateBody=json.dumps({"Version": "1"}))
    location = client("location", server.url)
    arguments = {
        ("dataexchange", "ListDataSetRevisions"): {"DataSetId": data_set["Id"]},
        ("dataexchange", "ListRevisionAssets"): {"DataSetId": data_set["Id"], "RevisionId": revision["Id"]},
        ("dataexchange", "ListTagsForResource"): {"ResourceArn": data_set["Arn"]},
        ("robomaker", "ListTagsForResource"): {"resourceArn": template["arn"]},
    }
    jobs = location.list_jobs()["Entries"]
    if jobs:
        arguments["location", "ListTagsForResource"] = {"ResourceArn": jobs[0]["JobArn"]}
    clients = {"dataexchange": dataexchange, "robomaker": robomaker, "location": location}
    checked = []
    for service, model in MODELS.items():
        for name in model.operation_names:
            if not name.startswith("List") or not implemented(service, name):
                continue
            if model.operation_model(name).input_shape.required_members and (service, name) not in arguments:
                continue
            operation = getattr(clients[service], xform_name(name))
            response = operation(**arguments.get((service, name), {}))
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, (service, name)
            for _ in range(20):  # every page: all the fuzzed records still read back
                token = response.get("NextToken") or response.get("nextToken")
                if not token:
                    break
                key = "NextToken" if "NextToken" in response else "nextToken"
                response = operation(**arguments.get((service, name), {}), **{key: token})
                assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, (service, name)
            checked.append(f"{service}.{name}")
    print(f"  after the fuzz, {len(checked)} List* operations answer 200: {', '.join(checked)}")
