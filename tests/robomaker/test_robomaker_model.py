"""Tests for jobforge's bundled RoboMaker model: parity with AWS, botocore usability, install."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from jobforge.model_files import install_models, load_robomaker_model, models_data_path
from tests.support import AWS_MODELS, REPO

AWS_MODEL_DIR = AWS_MODELS / "robomaker" / "2018-06-29"
OUR_MODEL_DIR = models_data_path() / "robomaker" / "2018-06-29"

WORLD_OPERATIONS = {
    "CreateWorldTemplate",
    "UpdateWorldTemplate",
    "DescribeWorldTemplate",
    "GetWorldTemplateBody",
    "ListWorldTemplates",
    "DeleteWorldTemplate",
    "CreateWorldGenerationJob",
    "DescribeWorldGenerationJob",
    "ListWorldGenerationJobs",
    "CancelWorldGenerationJob",
    "DescribeWorld",
    "ListWorlds",
    "BatchDeleteWorlds",
    "CreateWorldExportJob",
    "DescribeWorldExportJob",
    "ListWorldExportJobs",
    "CancelWorldExportJob",
}
TAG_OPERATIONS = {"TagResource", "UntagResource", "ListTagsForResource"}
KEPT_OPERATIONS = WORLD_OPERATIONS | TAG_OPERATIONS
PAGINATED = {"list_world_templates", "list_world_generation_jobs", "list_worlds", "list_world_export_jobs"}
PROSE_KEYS = {"documentation", "documentationUrl", "deprecated", "deprecatedMessage"}
MEMBER_FACTS = ("shape", "location", "locationName", "idempotencyToken", "jsonvalue", "timestampFormat")
SHAPE_FACTS = ("type", "min", "max", "pattern", "enum", "exception", "error", "fault", "timestampFormat")
FAKE_ENDPOINT = "http://127.0.0.1:1"


# --------------------------------------------------------------------------- helpers


def _snake(name: str) -> str:
    """Convert an operation name to the boto3 method name (no acronyms occur in ours)."""
    return "".join(f"_{ch.lower()}" if ch.isupper() and i else ch.lower() for i, ch in enumerate(name))


def _walk_keys(node: Any) -> Iterator[str]:
    """Yield every dict key at any depth of a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _walk_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_keys(item)


def _strip_prose(node: Any) -> Any:
    """Drop prose keys at any depth (independent of the generator's own implementation)."""
    if isinstance(node, dict):
        return {k: _strip_prose(v) for k, v in node.items() if k not in PROSE_KEYS}
    if isinstance(node, list):
        return [_strip_prose(v) for v in node]
    return node


def _closure(shapes: dict[str, Any], operations: dict[str, Any]) -> set[str]:
    """Shape names reachable from the operations' inputs, outputs and errors."""
    pending = [
        ref["shape"]
        for op in operations.values()
        for ref in [op.get("input"), op.get("output"), *op.get("errors", [])]
        if ref
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            shape = shapes[name]
            pending += [m["shape"] for m in shape.get("members", {}).values()]
            pending += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
    return seen


def _client(search_path: Path, **kwargs: Any) -> Any:
    """Build a robomaker client whose botocore loader sees ``search_path`` first."""
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(search_path))
    return session.create_client(
        "robomaker",
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        **kwargs,
    )


class _Body:
    """Minimal raw body for an ``AWSResponse`` returned from a ``before-send`` hook."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _capture(client: Any, reply: dict[str, Any]) -> list[AWSPreparedRequest]:
    """Short-circuit sending: record prepared requests and answer with ``reply`` as JSON."""
    sent: list[AWSPreparedRequest] = []

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        sent.append(request)
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": "req-1"}
        return AWSResponse(request.url, 200, headers, _Body(json.dumps(reply).encode()))

    client.meta.events.register("before-send.robomaker", before_send)
    return sent


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    return load_robomaker_model()


@pytest.fixture(scope="module")
def aws() -> dict[str, Any]:
    path = AWS_MODEL_DIR / "service-2.json.gz"
    if not path.is_file():
        pytest.skip(f"AWS's last RoboMaker model not found at {path} (clone shared/ next to the repo)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture()
def client() -> Any:
    return _client(models_data_path(), endpoint_url=FAKE_ENDPOINT)


# --------------------------------------------------------------------------- model content


def test_operation_set_is_exactly_world_plus_tagging(ours: dict[str, Any]) -> None:
    assert set(ours["operations"]) == KEPT_OPERATIONS
    assert len(ours["operations"]) == 20


def test_declared_failure_codes_are_the_models_enums(ours: dict[str, Any]) -> None:
    """The codes a job may end with (also through the control API) are exactly the model's."""
    from jobforge.services.robomaker.errors import EXPORT_FAILURE_CODES, GENERATION_FAILURE_CODES

    shapes = ours["shapes"]
    assert set(shapes["WorldGenerationJobErrorCode"]["enum"]) == GENERATION_FAILURE_CODES
    assert set(shapes["WorldExportJobErrorCode"]["enum"]) == EXPORT_FAILURE_CODES


def test_no_prose_anywhere() -> None:
    for path in OUR_MODEL_DIR.glob("*.json"):
        keys = set(_walk_keys(json.loads(path.read_text(encoding="utf-8"))))
        assert not keys & PROSE_KEYS, f"{path.name} carries prose keys {keys & PROSE_KEYS}"


def test_metadata_matches_aws(ours: dict[str, Any], aws: dict[str, Any]) -> None:
    assert ours["version"] == aws["version"]
    assert ours["metadata"] == _strip_prose(aws["metadata"])
    meta = ours["metadata"]
    assert (meta["protocol"], meta["signingName"], meta["endpointPrefix"]) == (
        "rest-json",
        "robomaker",
        "robomaker",
    )
    assert meta["uid"] == "robomaker-2018-06-29"


def test_routes_match_aws(ours: dict[str, Any], aws: dict[str, Any]) -> None:
    for name, op in ours["operations"].items():
        theirs = aws["operations"][name]
        assert op["name"] == name
        for key in ("method", "requestUri", "responseCode"):
            assert op["http"].get(key) == theirs["http"].get(key), (name, key)
        for key in ("input", "output"):
            assert op.get(key) == theirs.get(key), (name, key)
        assert [e["shape"] for e in op.get("errors", [])] == [e["shape"] for e in theirs.get("errors", [])]


def test_shape_set_is_exact_closure(ours: dict[str, Any], aws: dict[str, Any]) -> None:
    assert set(ours["shapes"]) == _closure(aws["shapes"], ours["operations"])
    assert set(ours["shapes"]) == _closure(ours["shapes"], ours["operations"])


def test_shapes_match_aws(ours: dict[str, Any], aws: dict[str, Any]) -> None:
    for name, shape in ours["shapes"].items():
        theirs = aws["shapes"][name]
        for key in SHAPE_FACTS:
            assert shape.get(key) == theirs.get(key), (name, key)
        assert shape.get("required", []) == theirs.get("required", []), name
        # Member order is not a wire fact (the generator writes sorted JSON); names must match.
        assert sorted(shape.get("members", {})) == sorted(theirs.get("members", {})), name
        for member, ref in shape.get("members", {}).items():
            for key in MEMBER_FACTS:
                assert ref.get(key) == theirs["members"][member].get(key), (name, member, key)
        for key in ("member", "key", "value"):
            assert (shape.get(key) or {}).get("shape") == (theirs.get(key) or {}).get("shape"), (name, key)
        # Catch-all: nothing beyond prose may differ.
        assert shape == _strip_prose(theirs), name


def test_paginators_cover_list_operations() -> None:
    data = json.loads((OUR_MODEL_DIR / "paginators-1.json").read_text(encoding="utf-8"))
    assert set(data["pagination"]) == {
        "ListWorldTemplates",
        "ListWorldGenerationJobs",
        "ListWorlds",
        "ListWorldExportJobs",
    }


def test_generator_is_reproducible(tmp_path: Path) -> None:
    if not (AWS_MODEL_DIR / "service-2.json.gz").is_file():
        pytest.skip(f"AWS's last RoboMaker model not found in {AWS_MODEL_DIR}")
    script = REPO / "scripts" / "build_robomaker_model.py"
    subprocess.run(
        [sys.executable, str(script), "--source", str(AWS_MODEL_DIR), "--dest", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for path in OUR_MODEL_DIR.glob("*.json"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name} is stale"


# --------------------------------------------------------------------------- botocore client


def test_client_has_world_methods_and_paginators(client: Any) -> None:
    for name in KEPT_OPERATIONS:
        assert callable(getattr(client, _snake(name), None)), name
    assert client.meta.service_model.signing_name == "robomaker"
    for method in PAGINATED:
        assert client.can_paginate(method), method
    assert not client.can_paginate("list_tags_for_resource")


def test_endpoint_url_override_and_request_shape(client: Any) -> None:
    sent = _capture(client, {"arn": "arn:aws:robomaker:us-east-1:123456789012:world-template/t1"})
    result = client.create_world_template(name="tpl", templateBody='{"a": 1}', tags={"k": "v"})
    assert result["arn"].endswith("world-template/t1")
    (request,) = sent
    assert request.method == "POST"
    assert request.url == f"{FAKE_ENDPOINT}/createWorldTemplate"
    body = json.loads(request.body)
    assert body["name"] == "tpl" and body["templateBody"] == '{"a": 1}' and body["tags"] == {"k": "v"}
    # AWS's model does not flag CreateWorldTemplate's token as an idempotency token.
    assert "clientRequestToken" not in body
    assert "Credential=AKIDTEST/" in request.headers["Authorization"].decode()
    assert "/us-east-1/robomaker/aws4_request" in request.headers["Authorization"].decode()


def test_idempotency_token_autofill(client: Any) -> None:
    sent = _capture(client, {"arn": "arn:aws:robomaker:us-east-1:123456789012:world-export-job/e1"})
    client.create_world_export_job(
        worlds=["arn:aws:robomaker:us-east-1:123456789012:world/w1"],
        outputLocation={"s3Bucket": "bucket", "s3Prefix": "out/"},
        iamRole="arn:aws:iam::123456789012:role/r",
    )
    (request,) = sent
    assert request.url == f"{FAKE_ENDPOINT}/createWorldExportJob"
    assert json.loads(request.body)["clientRequestToken"]


def test_uri_bound_members(client: Any) -> None:
    sent = _capture(client, {"tags": {}})
    arn = "arn:aws:robomaker:us-east-1:123456789012:world/w1"
    client.list_tags_for_resource(resourceArn=arn)
    client.untag_resource(resourceArn=arn, tagKeys=["a", "b"])
    get, delete = sent
    assert get.method == "GET" and get.url.startswith(f"{FAKE_ENDPOINT}/tags/arn%3Aaws%3Arobomaker")
    assert delete.method == "DELETE" and "tagKeys=a&tagKeys=b" in delete.url


def test_default_endpoint_resolution() -> None:
    client = _client(models_data_path())
    assert client.meta.endpoint_url == "https://robomaker.us-east-1.amazonaws.com"


def test_aws_data_path_env_in_subprocess() -> None:
    code = (
        "import boto3; c = boto3.client('robomaker', region_name='eu-west-1', "
        "aws_access_key_id='a', aws_secret_access_key='b', endpoint_url='http://127.0.0.1:1'); "
        "print(c.meta.endpoint_url, c.can_paginate('list_worlds'))"
    )
    env = {**os.environ, "AWS_DATA_PATH": str(models_data_path())}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["http://127.0.0.1:1", "True"]


# --------------------------------------------------------------------------- install


def test_install_models_is_loadable_and_idempotent(tmp_path: Path) -> None:
    written = install_models(tmp_path)
    assert written == tmp_path / "robomaker" / "2018-06-29"
    assert install_models(tmp_path) == written
    assert sorted(p.name for p in written.iterdir()) == sorted(p.name for p in OUR_MODEL_DIR.glob("*.json"))
    for path in OUR_MODEL_DIR.glob("*.json"):
        assert (written / path.name).read_bytes() == path.read_bytes()
    client = _client(tmp_path, endpoint_url=FAKE_ENDPOINT)
    assert client.can_paginate("list_world_export_jobs")
    assert set(client.meta.service_model.operation_names) == KEPT_OPERATIONS


def test_install_models_defaults_to_home_aws_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert install_models() == tmp_path / ".aws" / "models" / "robomaker" / "2018-06-29"
    assert (tmp_path / ".aws" / "models" / "robomaker" / "2018-06-29" / "service-2.json").is_file()
