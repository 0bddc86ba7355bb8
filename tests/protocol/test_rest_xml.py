"""The rest-xml pieces on botocore's ``s3`` model: routing (operations told apart by a required
header), XML bodies both ways, S3's error document, virtual-hosted bucket names."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from botocore.parsers import RestXMLParser

from jobforge.protocol.errors import ServiceError
from jobforge.protocol.rest_xml import (
    XmlInputParser,
    XmlOutputSerializer,
    serialize_error,
    virtual_host_bucket,
)
from jobforge.protocol.router import Router
from jobforge.protocol.specs import load_service_model

MODEL = load_service_model("s3")
ROUTER = Router(MODEL)


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/", {}, {}, "ListBuckets"),
        ("PUT", "/b", {}, {}, "CreateBucket"),
        ("GET", "/b", {"list-type": ["2"]}, {}, "ListObjectsV2"),
        ("GET", "/b", {}, {}, "ListObjects"),
        ("GET", "/b", {"location": [""]}, {}, "GetBucketLocation"),
        ("PUT", "/b/k/e/y", {}, {}, "PutObject"),
        ("PUT", "/b/k", {}, {"x-amz-copy-source": "b/a"}, "CopyObject"),
        ("PUT", "/b/k", {"partNumber": ["1"], "uploadId": ["u"]}, {}, "UploadPart"),
        (
            "PUT",
            "/b/k",
            {"partNumber": ["1"], "uploadId": ["u"]},
            {"x-amz-copy-source": "b/a"},
            "UploadPartCopy",
        ),
        ("GET", "/b/k", {"tagging": [""]}, {}, "GetObjectTagging"),
    ],
)
def test_routes(method: str, path: str, query: dict, headers: dict, operation: str) -> None:
    assert ROUTER.match(method, path, query, headers).operation.name == operation


def test_header_bound_routes_never_match_without_headers() -> None:
    assert ROUTER.match("PUT", "/b/k", {}).operation.name == "PutObject"


def test_xml_payload_and_uri_members_parse() -> None:
    parser = XmlInputParser(MODEL.operation_model("CreateBucket"))
    body = (
        b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<LocationConstraint>eu-west-1</LocationConstraint><Unknown>x</Unknown>"
        b"</CreateBucketConfiguration>"
    )
    parsed = parser.parse({"Bucket": "b"}, {}, {"x-amz-acl": "private"}, body)
    assert parsed == {
        "Bucket": "b",
        "ACL": "private",
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
    }
    assert XmlInputParser(MODEL.operation_model("PutObject")).streams


def test_list_output_reads_back_through_botocore() -> None:
    operation = MODEL.operation_model("ListObjectsV2")
    when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    output = {
        "Name": "b",
        "Prefix": "a/",
        "KeyCount": 2,
        "MaxKeys": 2,
        "IsTruncated": True,
        "NextContinuationToken": "t<&>",
        "Contents": [{"Key": "a/1", "Size": 3, "ETag": '"e"', "LastModified": when}],
        "CommonPrefixes": [{"Prefix": "a/b/"}],
    }
    status, headers, body = XmlOutputSerializer(operation).serialize(output)
    assert status == 200 and (b"content-type", b"application/xml") in headers
    parsed = RestXMLParser().parse(
        {"headers": {}, "status_code": status, "body": body}, operation.output_shape
    )
    assert parsed["Contents"] == output["Contents"] and parsed["CommonPrefixes"] == output["CommonPrefixes"]
    assert parsed["NextContinuationToken"] == "t<&>" and parsed["IsTruncated"] is True


def test_header_members_and_status_override() -> None:
    operation = MODEL.operation_model("HeadObject")
    status, headers, body = XmlOutputSerializer(operation).serialize(
        {"ContentLength": 5, "ETag": '"e"', "__status__": 206}
    )
    assert status == 206 and body == b""
    assert (b"content-length", b"5") in headers and (b"etag", b'"e"') in headers


def test_error_document() -> None:
    status, headers, body = serialize_error(
        ServiceError("NoSuchKey", "gone <&>", status=404, resource="k"), "rid", "/b/k"
    )
    root = ElementTree.fromstring(body)
    assert status == 404 and (b"content-type", b"application/xml") in headers
    assert [child.tag for child in root] == ["Code", "Message", "Resource", "RequestId"]
    assert root.findtext("Message") == "gone <&>" and root.findtext("Resource") == "k"
    status, _, body = serialize_error(ServiceError("InvalidSignatureException", "bad", status=403), "r", "/")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("my-bucket.localhost:4580", "my-bucket"),
        ("my.dotted.bucket.localhost", "my.dotted.bucket"),
        ("b1.s3.localhost:80", "b1"),
        ("localhost:4580", None),
        ("127.0.0.1:4580", None),
        ("geo.us-east-1.amazonaws.com", None),
        ("", None),
    ],
)
def test_virtual_host_bucket(host: str, bucket: str | None) -> None:
    assert virtual_host_bucket(host) == bucket
