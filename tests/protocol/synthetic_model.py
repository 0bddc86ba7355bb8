"""A small rest-json model using every HTTP binding the three real models use (and a few more).

Written to a temporary botocore data directory so real boto3 clients and the gateway share it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

SERVICE = "jftest"
API_VERSION = "2020-01-01"


def _s(name: str, **shape: Any) -> tuple[str, dict[str, Any]]:
    return name, shape


def _echo_members(locations: bool) -> dict[str, Any]:
    """Members of EchoItem's input (``locations``) or output (header ones stay headers)."""
    members: dict[str, Any] = {
        "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
        "Key": {"shape": "String", "location": "uri", "locationName": "Key"},
        "Tags": {"shape": "StringList", "location": "querystring", "locationName": "tag"},
        "Limit": {"shape": "Limit", "location": "querystring", "locationName": "limit"},
        "Flag": {"shape": "Boolean", "location": "querystring", "locationName": "flag"},
        "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
        "Filters": {"shape": "StringMap", "location": "querystring"},
        "When": {"shape": "Timestamp", "location": "header", "locationName": "x-jf-when"},
        "Count": {"shape": "Integer", "location": "header", "locationName": "x-jf-count"},
        "Enabled": {"shape": "Boolean", "location": "header", "locationName": "x-jf-enabled"},
        "Doc": {"shape": "String", "location": "header", "locationName": "x-jf-doc", "jsonvalue": True},
        "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-jf-meta-"},
        "Name": {"shape": "Name"},
        "Stamp": {"shape": "Timestamp"},
        "IsoStamp": {"shape": "Timestamp", "timestampFormat": "iso8601"},
        "Data": {"shape": "Blob"},
        "Nested": {"shape": "Nested", "locationName": "nested"},
        "Attrs": {"shape": "StringMap"},
        "Document": {"shape": "Document"},
        "Color": {"shape": "Color"},
    }
    if not locations:
        for name in ("Bucket", "Key", "Tags", "Limit", "Flag", "Since", "Filters"):
            members[name] = {"shape": members[name]["shape"]}
    return members


def build_model() -> dict[str, Any]:
    shapes = dict(
        [
            _s("String", type="string"),
            _s("Name", type="string", min=1, max=10, pattern="^[a-z][a-z0-9-]*$"),
            _s("Color", type="string", enum=["RED", "GREEN"]),
            _s("Limit", type="integer", min=1, max=100),
            _s("Integer", type="integer"),
            _s("Double", type="double"),
            _s("Boolean", type="boolean"),
            _s("Timestamp", type="timestamp"),
            _s("Blob", type="blob"),
            _s("Document", type="structure", members={}, document=True),
            _s("StringList", type="list", member={"shape": "String"}, max=3),
            _s("IntegerList", type="list", member={"shape": "Integer"}),
            _s("StringMap", type="map", key={"shape": "String"}, value={"shape": "String"}),
            _s(
                "Nested",
                type="structure",
                required=["Values"],
                members={"Values": {"shape": "IntegerList"}, "Ratio": {"shape": "Double"}},
            ),
            _s("EchoItemRequest", type="structure", required=["Bucket", "Key"], members=_echo_members(True)),
            _s("EchoItemResponse", type="structure", members=_echo_members(False)),
            _s(
                "PutBlobRequest",
                type="structure",
                required=["Name"],
                payload="Body",
                members={
                    "Name": {"shape": "Name", "location": "uri", "locationName": "Name"},
                    "ContentType": {"shape": "String", "location": "header", "locationName": "Content-Type"},
                    "Body": {"shape": "Blob"},
                },
            ),
            _s(
                "PutBlobResponse",
                type="structure",
                payload="Body",
                members={
                    "ContentType": {"shape": "String", "location": "header", "locationName": "Content-Type"},
                    "Body": {"shape": "Blob"},
                },
            ),
            _s(
                "PutDocRequest",
                type="structure",
                payload="Nested",
                members={"Nested": {"shape": "Nested"}},
            ),
            _s("PutDocResponse", type="structure", payload="Nested", members={"Nested": {"shape": "Nested"}}),
            _s(
                "ThingRequest",
                type="structure",
                required=["Id"],
                members={"Id": {"shape": "String", "location": "uri", "locationName": "Id"}},
            ),
            _s(
                "ThingVersionsRequest",
                type="structure",
                required=["Id"],
                members={"Id": {"shape": "String", "location": "uri", "locationName": "Id"}},
            ),
            _s(
                "ThingResponse",
                type="structure",
                members={"Id": {"shape": "String"}, "Operation": {"shape": "String"}},
            ),
            _s(
                "CreateThingRequest",
                type="structure",
                required=["Name"],
                members={"Name": {"shape": "Name"}, "Limit": {"shape": "Limit"}},
            ),
            _s("Empty", type="structure", members={}),
            _s(
                "ThingNotFound",
                type="structure",
                members={
                    "Message": {"shape": "String", "locationName": "message"},
                    "ThingId": {"shape": "String", "locationName": "thingId"},
                },
                error={"httpStatusCode": 404, "senderFault": True},
                exception=True,
            ),
            _s(
                "InternalServerException",
                type="structure",
                members={"message": {"shape": "String"}},
                error={"httpStatusCode": 500},
                exception=True,
                fault=True,
            ),
        ]
    )

    def op(name: str, method: str, uri: str, inp: str | None, out: str | None, code: int = 200) -> dict:
        spec: dict[str, Any] = {
            "name": name,
            "http": {"method": method, "requestUri": uri, "responseCode": code},
            "errors": [{"shape": "ThingNotFound"}, {"shape": "InternalServerException"}],
        }
        if inp:
            spec["input"] = {"shape": inp}
        if out:
            spec["output"] = {"shape": out}
        return spec

    operations = [
        op("EchoItem", "PUT", "/items/{Bucket}/{Key+}?mode=echo", "EchoItemRequest", "EchoItemResponse"),
        op("PutBlob", "POST", "/blobs/{Name}", "PutBlobRequest", "PutBlobResponse"),
        op("PutDoc", "POST", "/docs", "PutDocRequest", "PutDocResponse"),
        op("GetThing", "GET", "/things/{Id}", "ThingRequest", "ThingResponse"),
        op("GetSpecialThing", "GET", "/things/special", None, "ThingResponse"),
        op("ListThingVersions", "GET", "/things/{Id}?versions", "ThingVersionsRequest", "ThingResponse"),
        op("CreateThing", "POST", "/things", "CreateThingRequest", "ThingResponse", 201),
        op("DeleteThing", "DELETE", "/things/{Id}", "ThingRequest", None, 204),
        op("Ping", "GET", "/ping/", None, "ThingResponse"),
    ]
    return {
        "version": "2.0",
        "metadata": {
            "apiVersion": API_VERSION,
            "endpointPrefix": SERVICE,
            "protocol": "rest-json",
            "protocols": ["rest-json"],
            "serviceFullName": "jobforge protocol test service",
            "serviceId": "JfTest",
            "signatureVersion": "v4",
            "signingName": SERVICE,
            "uid": f"{SERVICE}-{API_VERSION}",
        },
        "operations": {spec["name"]: spec for spec in operations},
        "shapes": shapes,
    }


def write_model(root: Path) -> Path:
    """Write the model (plus a borrowed generic endpoint rule set) as botocore data under ``root``."""
    target = root / SERVICE / API_VERSION
    target.mkdir(parents=True, exist_ok=True)
    (target / "service-2.json").write_text(json.dumps(build_model()))
    ruleset = Loader().load_service_model("dataexchange", "endpoint-rule-set-1")
    (target / "endpoint-rule-set-1.json").write_text(json.dumps(ruleset))
    return root
