"""The rest-xml protocol (S3): XML bodies in and out, S3's XML errors, bucket addressing.

Routing reuses :class:`jobforge.protocol.router.Router` and URI/query/header members reuse
:class:`jobforge.protocol.parser.InputParser`; what differs from rest-json lives here: a structure
payload is XML, output bodies are XML keyed by ``locationName`` (lists flattened or wrapped as the
model says), a streaming blob payload (PutObject's and GetObject's ``Body``) is never read into
memory, and errors are ``<Error><Code/><Message/><RequestId/><Resource/></Error>``.
"""

from __future__ import annotations

import base64
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from botocore.model import OperationModel, Shape, StructureShape

from jobforge.protocol.errors import ServiceError, SignatureTimeError
from jobforge.protocol.parser import InputParser, RequestParseError, parse_text_value
from jobforge.protocol.serializer import Headers, OutputSerializer, format_timestamp

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_CONTENT_TYPE = b"application/xml"
MAX_XML_BODY_BYTES = 1024 * 1024  # non-streaming S3 bodies (bucket configuration, delete lists)
STATUS_KEY = "__status__"  # an output key that overrides the operation's status (206 for ranges)

# S3's error codes and their HTTP status (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
ERROR_STATUS: dict[str, int] = {
    "AccessDenied": 403,
    "AuthorizationHeaderMalformed": 400,
    "BadDigest": 400,
    "BucketAlreadyExists": 409,
    "BucketAlreadyOwnedByYou": 409,
    "BucketNotEmpty": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "IncompleteBody": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketName": 400,
    "InvalidDigest": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRequest": 400,
    "KeyTooLongError": 400,
    "MalformedXML": 400,
    "MetadataTooLarge": 400,
    "MethodNotAllowed": 405,
    "MissingContentLength": 411,
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NotImplemented": 501,
    "NotModified": 304,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
    "ServiceUnavailable": 503,
    "SignatureDoesNotMatch": 403,
    "SlowDown": 503,
    "XAmzContentSHA256Mismatch": 400,
}

# The protocol layer's own (rest-json flavoured) codes, as S3 names them.
_S3_CODES = {
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "UnrecognizedClientException": "InvalidAccessKeyId",
    "MissingAuthenticationTokenException": "AccessDenied",
    "IncompleteSignatureException": "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError": "AuthorizationQueryParametersError",
    "RequestEntityTooLargeException": "EntityTooLarge",
    "ServiceUnavailableException": "SlowDown",
    "UnknownOperationException": "MethodNotAllowed",
    "NotImplementedException": "NotImplemented",
    "ValidationException": "InvalidArgument",
}


def s3_error(
    code: str, message: str, resource: str | None = None, headers: dict[str, str] | None = None
) -> ServiceError:
    """A ServiceError with S3's code and status (``Resource`` names the bucket or key; ``headers``
    go with the answer, e.g. a 304's ETag)."""
    return ServiceError(code, message, status=ERROR_STATUS.get(code, 400), resource=resource, headers=headers)


def serialize_error(error: ServiceError, request_id: str, resource: str) -> tuple[int, Headers, bytes]:
    """S3's XML error document; the protocol layer's own codes become S3's."""
    code, message = _S3_CODES.get(error.code, error.code), error.message
    if isinstance(error, SignatureTimeError):
        code, message = error.s3_code, error.s3_message
    status = error.status or ERROR_STATUS.get(code, 400)
    where = error.fields.get("resource") or resource
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(where)}</Resource><RequestId>{request_id}</RequestId></Error>"
    ).encode("utf-8", "replace")
    extra = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (error.fields.get("headers") or {}).items()
    ]
    return status, [(b"content-type", XML_CONTENT_TYPE), *extra], body


def virtual_host_bucket(host: str) -> str | None:
    """The bucket a virtual-hosted request names in its Host (``bucket.localhost:4580``), else None."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower().rstrip(".")
    for suffix in (".s3.localhost", ".localhost"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


# -- output ---------------------------------------------------------------------------------------
def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", "iso8601")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    return str(value)


def _element(name: str, shape: Shape, value: Any, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{name}>")
        _members(shape, value, out)  # type: ignore[arg-type]
        out.append(f"</{name}>")
    elif kind == "list":
        item_shape = shape.member  # type: ignore[attr-defined]
        if shape.serialization.get("flattened"):
            for item in value:
                _element(name, item_shape, item, out)
        else:
            item_name = item_shape.serialization.get("name", "member")
            out.append(f"<{name}>")
            for item in value:
                _element(item_name, item_shape, item, out)
            out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{escape(_text(shape, value))}</{name}>")


def _members(shape: StructureShape, value: dict[str, Any], out: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None or member.serialization.get("location"):
            continue
        _element(member.serialization.get("name", name), member, item, out)


def to_xml(root: str, shape: StructureShape, value: dict[str, Any]) -> bytes:
    """An output structure as an S3 XML document under ``root``."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root} xmlns="{S3_NAMESPACE}">']
    _members(shape, value, out)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8", "replace")


class XmlOutputSerializer(OutputSerializer):
    """rest-json's envelope handling (headers, status) with XML bodies; a streaming blob payload is
    left to the caller (see :attr:`streams`)."""

    def __init__(self, operation: OperationModel) -> None:
        super().__init__(operation)
        shape = operation.output_shape
        self.root = (shape.serialization.get("name") if shape is not None else None) or operation.name
        payload = self.payload
        self.streams = payload is not None and payload[1].type_name == "blob"
        # S3 answers GetBucketLocation with the bare constraint as the root's text (botocore
        # parses that operation with a handler of its own).
        self.bare_root = operation.name == "GetBucketLocation"

    def serialize(self, output: dict[str, Any] | None) -> tuple[int, Headers, bytes]:
        output = output or {}
        status, headers, body = super().serialize(output)
        return output.get(STATUS_KEY, status), headers, body

    def _body(self, output: dict[str, Any]) -> tuple[bytes, bytes]:
        assert self.shape is not None
        if self.bare_root:
            value = output.get("LocationConstraint") or ""
            text = f'<{self.root} xmlns="{S3_NAMESPACE}">{escape(value)}</{self.root}>'
            return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode(), XML_CONTENT_TYPE
        if self.payload is None:
            if not any(not m.serialization.get("location") for m in self.shape.members.values()):
                return b"", XML_CONTENT_TYPE
            return to_xml(self.root, self.shape, output), XML_CONTENT_TYPE
        name, member = self.payload
        value = output.get(name)
        if self.streams or value is None:
            return b"", b"binary/octet-stream"
        if member.type_name == "structure":
            root = member.serialization.get("name", name)
            return to_xml(root, member, value), XML_CONTENT_TYPE  # type: ignore[arg-type]
        return str(value).encode("utf-8"), b"text/plain"


# -- input ----------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _from_element(shape: Shape, element: ElementTree.Element, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure_from(shape, list(element), path)  # type: ignore[arg-type]
    if kind == "list":
        item_shape = shape.member  # type: ignore[attr-defined]
        return [_from_element(item_shape, child, f"{path}.member") for child in element]
    text = element.text or ""
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise RequestParseError(f"Invalid base64 at '{path}'", path) from None
    if kind == "timestamp":
        return parse_text_value(shape, text.strip(), path)
    return parse_text_value(shape, text if kind == "string" else text.strip(), path)


def _structure_from(shape: StructureShape, children: list[ElementTree.Element], path: str) -> dict:
    by_wire = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}
    result: dict[str, Any] = {}
    for child in children:
        bound = by_wire.get(_local(child.tag))
        if bound is None:
            continue  # unknown elements are ignored, like S3
        name, member = bound
        where = f"{path}.{name}" if path else name
        if member.type_name == "list" and member.serialization.get("flattened"):
            result.setdefault(name, []).append(_from_element(member.member, child, where))  # type: ignore[attr-defined]
        else:
            result[name] = _from_element(member, child, where)
    return result


def parse_xml_structure(shape: StructureShape, body: bytes, path: str) -> dict[str, Any]:
    """An XML request body -> the structure's dict; malformed XML is S3's ``MalformedXML``."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise s3_error("MalformedXML", "Document type declarations are not accepted")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise s3_error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate"
        ) from None
    return _structure_from(shape, list(root), path)


class XmlInputParser(InputParser):
    """URI, query and header members as rest-json; a structure payload is XML; a streaming blob
    payload is not parsed (the gateway hands the provider a stream instead)."""

    def _parse_payload(self, body: bytes, params: dict[str, Any]) -> None:
        assert self.payload is not None
        b = self.payload
        if b.shape.type_name == "structure":
            if body.strip():
                params[b.name] = parse_xml_structure(b.shape, body, b.wire)  # type: ignore[arg-type]
        elif b.shape.type_name != "blob":
            super()._parse_payload(body, params)

    @property
    def streams(self) -> bool:
        """Whether the input's payload is a blob (an object body): streamed, never buffered."""
        return self.payload is not None and self.payload.shape.type_name == "blob"
