"""Lone surrogates, null list items and incomplete filters: validation errors naming the member,
nothing stored, never a 500 (and records stored before that was checked still read back)."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from jobforge.protocol.specs import load_service_model
from jobforge.protocol.validate import format_validation_message
from tests.support import JobforgeServer, client

LONE = "\ud800"
JOB_ARN = "arn:aws:geo:us-east-1:000000000000:job/x"
ROLE = "arn:aws:iam::000000000000:role/r"
SIGNING = {"robomaker": "robomaker", "dataexchange": "dataexchange", "location": "geo"}
VALIDATION = {"robomaker": "InvalidParameterException"} | dict.fromkeys(
    ("dataexchange", "location"), "ValidationException"
)


def _headers(service: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "authorization": f"AWS4-HMAC-SHA256 Credential=AKIDJOBFORGETEST/20260101/us-east-1/"
        f"{SIGNING[service]}/aws4_request, SignedHeaders=host, Signature=abc",
    }


def send(server: JobforgeServer, service: str, method: str, path: str, body: Any = None) -> httpx.Response:
    """A raw request; ``json.dumps`` escapes lone surrogates as ``\\ud800``, as a JSON client may."""
    content = None if body is None else json.dumps(body, ensure_ascii=True)
    return httpx.request(method, server.url + path, content=content, headers=_headers(service), timeout=30)


def assert_refused(response: httpx.Response, service: str, member: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["x-amzn-errortype"] == VALIDATION[service]
    message = response.json()["message"]
    assert f"at '{member}'" in message, message


def _data_set(server: JobforgeServer, name: str = "ds") -> dict[str, Any]:
    return client("dataexchange", server.url).create_data_set(
        AssetType="S3_SNAPSHOT", Name=name, Description="d"
    )


# --- lone surrogates --------------------------------------------------------------------------


def test_lone_surrogate_in_create_data_set_is_refused_and_not_stored(server: JobforgeServer) -> None:
    response = send(
        server, "dataexchange", "POST", "/v1/data-sets",
        {"AssetType": "S3_SNAPSHOT", "Name": "lone-surrogate", "Description": LONE},
    )  # fmt: skip
    assert_refused(response, "dataexchange", "Description")
    assert LONE not in response.text  # named, not echoed
    names = [d["Name"] for d in client("dataexchange", server.url).list_data_sets()["DataSets"]]
    assert "lone-surrogate" not in names


def test_lone_surrogate_in_revision_comment_and_update(server: JobforgeServer) -> None:
    data_set = _data_set(server)
    base = f"/v1/data-sets/{data_set['Id']}"
    assert_refused(
        send(server, "dataexchange", "POST", f"{base}/revisions", {"Comment": LONE}),
        "dataexchange",
        "Comment",
    )
    assert_refused(send(server, "dataexchange", "PATCH", base, {"Name": f"a{LONE}"}), "dataexchange", "Name")
    dataexchange = client("dataexchange", server.url)
    assert dataexchange.list_data_set_revisions(DataSetId=data_set["Id"])["Revisions"] == []
    assert dataexchange.get_data_set(DataSetId=data_set["Id"])["Name"] == "ds"


def test_lone_surrogate_in_import_asset_name_is_refused_before_a_job_exists(server: JobforgeServer) -> None:
    dataexchange = client("dataexchange", server.url)
    data_set = _data_set(server)
    revision = dataexchange.create_revision(DataSetId=data_set["Id"])
    details = {
        "ImportAssetFromSignedUrl": {
            "AssetName": f"x{LONE}.csv", "DataSetId": data_set["Id"], "RevisionId": revision["Id"],
            "Md5Hash": base64.b64encode(b"0" * 16).decode(),
        }
    }  # fmt: skip
    response = send(
        server,
        "dataexchange",
        "POST",
        "/v1/jobs",
        {"Type": "IMPORT_ASSET_FROM_SIGNED_URL", "Details": details},
    )
    assert_refused(response, "dataexchange", "Details.ImportAssetFromSignedUrl.AssetName")
    jobs = dataexchange.list_jobs(DataSetId=data_set["Id"])["Jobs"]
    assert jobs == []


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "member"),
    [
        ("robomaker", "POST", "/createWorldTemplate", {"name": LONE, "templateBody": "{}"}, "name"),
        ("robomaker", "POST", "/createWorldTemplate", {"tags": {LONE: "v"}}, "tags.key"),  # a map key
        ("dataexchange", "GET", "/v1/data-sets/%ED%A0%80", None, "DataSetId"),  # a path label, not UTF-8
        ("dataexchange", "GET", "/v1/data-sets?nextToken=%ED%A0%80", None, "nextToken"),  # query
        ("location", "POST", f"/tags/{quote(JOB_ARN, safe='')}", {"Tags": {"k": LONE}}, "Tags.k"),
    ],
)  # fmt: skip
def test_lone_surrogates_anywhere_are_refused(
    server: JobforgeServer, service: str, method: str, path: str, body: Any, member: str
) -> None:
    response = send(server, service, method, path, body)
    assert_refused(response, service, member)
    assert "Member must be valid Unicode text" in response.json()["message"]


# --- null list items and incomplete filters ---------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path", "body", "member"),
    [
        ("robomaker", "/batchDeleteWorlds", {"worlds": [None]}, "worlds.1.member"),
        (
            "robomaker", "/createWorldExportJob",
            {"worlds": [None], "outputLocation": {"s3Bucket": "b"}, "iamRole": ROLE},
            "worlds.1.member",
        ),
        (
            "dataexchange", "/v1/jobs",
            {"Type": "IMPORT_ASSETS_FROM_S3", "Details": {"ImportAssetsFromS3": {"AssetSources": [None], "DataSetId": "d", "RevisionId": "r"}}},  # noqa: E501
            "Details.ImportAssetsFromS3.AssetSources.1.member",
        ),
        (
            "dataexchange", "/v1/jobs",
            {"Type": "EXPORT_ASSETS_TO_S3", "Details": {"ExportAssetsToS3": {"AssetDestinations": [None], "DataSetId": "d", "RevisionId": "r"}}},  # noqa: E501
            "Details.ExportAssetsToS3.AssetDestinations.1.member",
        ),
        (
            "dataexchange", "/v1/jobs",
            {"Type": "EXPORT_REVISIONS_TO_S3", "Details": {"ExportRevisionsToS3": {"RevisionDestinations": [None], "DataSetId": "d"}}},  # noqa: E501
            "Details.ExportRevisionsToS3.RevisionDestinations.1.member",
        ),
        (
            "dataexchange", "/v1/jobs",
            {"Type": "IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES", "Details": {"ImportAssetsFromRedshiftDataShares": {"AssetSources": [None], "DataSetId": "d", "RevisionId": "r"}}},  # noqa: E501
            "Details.ImportAssetsFromRedshiftDataShares.AssetSources.1.member",
        ),
        (
            "dataexchange", "/v1/jobs",
            {"Type": "IMPORT_ASSETS_FROM_LAKE_FORMATION_TAG_POLICY", "Details": {
                "ImportAssetsFromLakeFormationTagPolicy": {
                    "CatalogId": "000000000000", "RoleArn": ROLE, "DataSetId": "d", "RevisionId": "r",
                    "Database": {"Expression": [None], "Permissions": ["DESCRIBE"]},
                }
            }},
            "Details.ImportAssetsFromLakeFormationTagPolicy.Database.Expression.1.member",
        ),
        ("dataexchange", "/v1/data-sets", {"AssetType": "S3_SNAPSHOT", "Name": "n", "Description": "d", "Tags": {"k": None}}, "Tags.k"),  # noqa: E501
    ],
)  # fmt: skip
def test_null_list_items_are_refused(
    server: JobforgeServer, service: str, path: str, body: Any, member: str
) -> None:
    response = send(server, service, "POST", path, body)
    assert_refused(response, service, member)
    assert "Member must not be null" in response.json()["message"]


@pytest.mark.parametrize("operation", ["list_worlds", "list_world_generation_jobs", "list_world_export_jobs"])
@pytest.mark.parametrize(
    ("filters", "missing"),
    [([{}], ["name", "values"]), ([{"name": "status"}], ["values"]), ([{"values": ["x"]}], ["name"])],
)
def test_incomplete_filters_are_refused(
    server: JobforgeServer, operation: str, filters: list, missing: list
) -> None:
    robomaker = client("robomaker", server.url, parameter_validation=False)
    with pytest.raises(ClientError) as info:
        getattr(robomaker, operation)(filters=filters)
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidParameterException"
    expected = [(f"filters.1.member.{m}", "null", "Member must not be null") for m in missing]
    assert error["Message"] == format_validation_message(expected)


# --- records stored before the check ----------------------------------------------------------


def test_stored_lone_surrogates_still_read_back(fresh_server: JobforgeServer) -> None:
    fresh_server.start()
    data_set = _data_set(fresh_server, "stored")
    fresh_server.stop()
    database = sqlite3.connect(Path(fresh_server.data_dir) / "jobforge.db")
    with database:
        (data,) = database.execute(
            "SELECT data FROM resources WHERE resource_id = ?", (data_set["Id"],)
        ).fetchone()
        assert '"Description": "d"' in data or '"Description":"d"' in data
        raw = data.replace('"Description": "d"', '"Description": "a\\ud800"').replace(
            '"Description":"d"', '"Description":"a\\ud800"'
        )  # SQLAlchemy's JSON column escapes as json.dumps does: what the server stored before
        database.execute("UPDATE resources SET data = ? WHERE resource_id = ?", (raw, data_set["Id"]))
    database.close()
    fresh_server.start()
    dataexchange = client("dataexchange", fresh_server.url)
    listed = dataexchange.list_data_sets()["DataSets"]
    assert [d["Description"] for d in listed if d["Id"] == data_set["Id"]] == [f"a{LONE}"]
    assert dataexchange.get_data_set(DataSetId=data_set["Id"])["Description"] == f"a{LONE}"


# --- every operation: [null] for lists, a lone surrogate for strings ----------------------------


def _sample(shape: Shape, mode: str, depth: int = 0) -> Any:
    """A value of ``shape`` with every member filled: lists ``[null]`` (mode "null") or strings
    a lone surrogate (mode "surrogate")."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if mode == "surrogate":
            return LONE
        return meta["enum"][0] if meta.get("enum") else "a" * max(int(meta.get("min", 1)), 1)
    if kind in ("integer", "long", "float", "double"):
        return meta.get("min", 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1_700_000_000
    if kind == "blob":
        return "eA=="
    if kind == "list":
        return [None] if mode == "null" else [_sample(shape.member, mode, depth + 1)]
    if kind == "map":
        key = LONE if mode == "surrogate" else "k"
        return {key: _sample(shape.value, mode, depth + 1)}
    if kind == "structure":
        if shape.is_document_type:
            return {"d": LONE} if mode == "surrogate" else {}
        if depth > 5:
            return {}
        members = list(shape.members.items())
        if meta.get("union"):
            members = members[:1]
        return {
            m.serialization.get("name", name): _sample(m, mode, depth + 1)
            for name, m in members
            if m.serialization.get("location") is None
        }
    return None


def _request(operation: OperationModel, mode: str) -> tuple[str, str, Any]:
    """(method, path with query, JSON body) of ``operation`` with every member sampled."""
    shape = operation.input_shape
    uri, _, literal_query = operation.http["requestUri"].partition("?")
    query = [literal_query] if literal_query else []
    body: Any = None
    if shape is not None:
        payload = shape.serialization.get("payload")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            text = LONE if mode == "surrogate" and member.type_name == "string" else "a"
            encoded = quote(text, safe="", errors="surrogatepass")
            if location == "uri":
                uri = uri.replace(f"{{{wire}+}}", encoded).replace(f"{{{wire}}}", encoded)
            elif location == "querystring" and member.type_name != "map":
                value = (
                    str(member.metadata.get("min", 1)) if member.type_name in ("integer", "long") else encoded
                )
                query.append(f"{quote(wire)}={value}")
            elif name == payload and member.type_name == "structure":
                body = _sample(member, mode)
        if payload is None:
            body = _sample(shape, mode)
    return operation.http["method"], uri + ("?" + "&".join(query) if query else ""), body


MODELS = {service: load_service_model(service) for service in SIGNING}
CASES = [(service, name) for service, model in MODELS.items() for name in model.operation_names]


def test_every_operation_answers_nulls_and_lone_surrogates_with_a_modeled_error(
    server: JobforgeServer,
) -> None:
    failures = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for service, name in CASES:
            operation = MODELS[service].operation_model(name)
            for mode in ("null", "surrogate"):
                method, path, body = _request(operation, mode)
                content = None if body is None else json.dumps(body, ensure_ascii=True)
                response = http.request(method, path, content=content, headers=_headers(service))
                status = response.status_code
                if status >= 500 and status != 501:
                    failures.append((service, name, mode, status, response.text[:200]))
                elif status >= 400:
                    shaped = response.headers.get("x-amzn-errortype") and "message" in response.json()
                    if not shaped:
                        failures.append((service, name, mode, status, response.text[:200]))
    assert not failures, "\n".join(map(str, failures))
