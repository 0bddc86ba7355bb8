"""The ASGI app for S3 requests (rest-xml), beside :class:`~jobforge.protocol.gateway.AwsGateway`.

Which requests are S3's (:func:`is_s3_request`): those signed for the ``s3`` credential scope
(header or presigned query), and unsigned ones whose Host names a bucket (``bucket.localhost``).
Everything else goes to the JSON services, so their paths and behaviour are unchanged.

Flow: precheck the signature -> address (virtual-hosted Host -> path style) -> route on botocore's
``s3`` model -> read a small body (XML configuration) or, for object uploads, leave it unread ->
verify the signature (for uploads: over the claimed ``x-amz-content-sha256``, which
:class:`StreamedBody` checks as the bytes arrive) -> parse, validate -> provider in a thread ->
XML / header response, object bodies streamed from the store in chunks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

from jobforge.protocol.auth import S3_SIGNING_NAME, Authenticator
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import UNMATCHED, AwsGateway, _header_dict, new_request_id
from jobforge.protocol.parser import RequestParseError
from jobforge.protocol.rest_xml import (
    MAX_XML_BODY_BYTES,
    XmlInputParser,
    XmlOutputSerializer,
    s3_error,
    serialize_error,
    virtual_host_bucket,
)
from jobforge.protocol.router import Router, UnknownRoute, parse_query
from jobforge.protocol.s3_chunked import (
    CHECKSUM_PREFIX,
    SIGNED_STREAMING,
    STREAMING_FORMS,
    AwsChunkedDecoder,
    Checksum,
    ChunkSigner,
)
from jobforge.protocol.s3_sigv2 import authenticate_sigv2, is_sigv2_query
from jobforge.protocol.serializer import Headers
from jobforge.protocol.validate import validate
from jobforge.storage import InvalidObjectName, StorageError, validate_bucket_name

logger = logging.getLogger("jobforge.s3")
request_logger = logging.getLogger("jobforge.request")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

STREAM_CHUNK = 1024 * 1024
MAX_DRAIN_BYTES = 8 * 1024 * 1024
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_S3_SCOPE = b"/s3/aws4_request"
_S3_SCOPE_QUERY = (b"%2Fs3%2Faws4_request", b"/s3/aws4_request")


def is_s3_request(scope: Scope, json_gateway: AwsGateway, bucket_exists: Callable[[str], bool]) -> bool:
    """Whether an HTTP request is for S3 rather than a JSON service.

    A Host naming a bucket (``bucket.localhost``) is S3, unless signed for another service. A
    path-style request is S3 when it is signed for the ``s3`` scope, unless its method and path are
    an operation of a JSON service and its first path segment names no existing bucket
    (``GET /tags/{arn}`` stays RoboMaker's; a request for a bucket named ``tags`` is S3's).
    Unsigned path-style requests go to the JSON services, as before S3 existed."""
    host = ""
    scoped: bool | None = None  # None: unsigned
    for name, value in scope["headers"]:
        if name == b"authorization":
            scoped = _S3_SCOPE in value
        elif name == b"host":
            host = value.decode("latin-1")
    query = scope.get("query_string", b"")
    if scoped is None and b"X-Amz-Credential=" in query:
        scoped = any(marker in query for marker in _S3_SCOPE_QUERY)
    elif scoped is None and b"AWSAccessKeyId=" in query and b"Signature=" in query:
        scoped = True  # signature version 2: S3 only
    if scoped is False:
        return False
    if virtual_host_bucket(host) is not None:
        return True
    if scoped is None:
        return False
    raw_path = (scope.get("raw_path") or scope.get("path", "/").encode()).decode("latin-1")
    if not json_gateway.routes(scope["method"], raw_path, parse_query(query.decode("latin-1"))):
        return True
    first = unquote(raw_path.lstrip("/").split("/", 1)[0].split("?", 1)[0])
    try:
        return bucket_exists(validate_bucket_name(first))
    except (InvalidObjectName, StorageError):
        return False


class StreamedBody:
    """An upload's body, read from the ASGI connection by a worker thread one message at a time.

    Iterating yields the object's bytes (an ``aws-chunked`` body decoded on the way, see
    :mod:`~jobforge.protocol.s3_chunked`); at the end the length (``x-amz-decoded-content-length``
    for chunked bodies), ``x-amz-content-sha256`` (when it is a hash), ``Content-MD5``, the
    ``x-amz-checksum-*`` headers and the trailing checksum named by ``x-amz-trailer`` are checked,
    so a writer fed inside a ``with`` block aborts instead of publishing a body that does not match;
    :attr:`checksums` then holds the verified ``x-amz-checksum-*`` values.
    ``signer``: verify the chunk signatures of a signed streaming body.
    """

    def __init__(
        self,
        receive: Receive,
        loop: asyncio.AbstractEventLoop,
        headers: dict[str, str],
        signer: ChunkSigner | None = None,
    ) -> None:
        self._receive = receive
        self._loop = loop
        self.finished = False  # the whole body was read (the connection can be reused)
        self.size = 0  # bytes received
        self.checksums: dict[str, str] = {}  # algorithm -> base64 value, once verified at the end
        declared = headers.get("content-length")
        self.declared = int(declared) if declared is not None and declared.isdigit() else None
        claimed = headers.get("x-amz-content-sha256", UNSIGNED_PAYLOAD)
        self._decoder: AwsChunkedDecoder | None = None
        self._decoded_length: int | None = None
        if is_aws_chunked(headers):
            self._decoder = AwsChunkedDecoder(signer, signed=claimed.startswith(SIGNED_STREAMING))
            decoded = headers.get("x-amz-decoded-content-length", "")
            self._decoded_length = int(decoded) if decoded.isdigit() else None
            if claimed.startswith("STREAMING-"):
                claimed = UNSIGNED_PAYLOAD  # the chunk signatures (if any) cover the bytes
        self._sha256_hex = None if claimed == UNSIGNED_PAYLOAD else claimed
        self._checks: list[tuple[str, Any, str, Callable[[Any], str]]] = []
        if self._sha256_hex is not None:
            self._checks.append(("XAmzContentSHA256Mismatch", hashlib.sha256(), claimed, _hex))
        if "content-md5" in headers:
            self._checks.append(("BadDigest", hashlib.md5(), headers["content-md5"], _b64))
        self._checksums = [
            (Checksum(name), value)
            for name, value in headers.items()
            if name.startswith(CHECKSUM_PREFIX)
            and name not in ("x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode")
        ]
        self._trailer = headers.get("x-amz-trailer", "").strip().lower() or None
        if self._trailer is not None:
            if self._decoder is None or not self._trailer.startswith(CHECKSUM_PREFIX):
                raise s3_error("InvalidRequest", f"Unsupported x-amz-trailer {self._trailer!r}")
            self._checksums.append((Checksum(self._trailer), None))

    @property
    def object_size(self) -> int | None:
        """The object's length the request declares (decoded, for ``aws-chunked``), if it does."""
        return self._decoded_length if self._decoder is not None else self.declared

    def __iter__(self) -> Iterator[bytes]:
        while not self.finished:
            message = asyncio.run_coroutine_threadsafe(self._receive(), self._loop).result()
            if message["type"] == "http.disconnect":
                raise s3_error("IncompleteBody", "The client closed the connection before the body ended")
            chunk = message.get("body", b"")
            if not message.get("more_body", False):
                self.finished = True
            if chunk:
                self.size += len(chunk)
                if self.declared is not None and self.size > self.declared:
                    raise s3_error("IncompleteBody", "The body is longer than its Content-Length")
                pieces = [chunk] if self._decoder is None else self._decoder.feed(chunk)
                for piece in pieces:
                    self._check_decoded_length()
                    for _code, digest, _claimed, _form in self._checks:
                        digest.update(piece)
                    for checksum, _value in self._checksums:
                        checksum.update(piece)
                    yield piece
        self._verify()

    def _check_decoded_length(self) -> None:
        if self._decoder is not None and self._decoded_length is not None:
            if self._decoder.decoded > self._decoded_length:
                raise s3_error("IncompleteBody", "The body is longer than its x-amz-decoded-content-length")

    def _verify(self) -> None:
        if self.declared is not None and self.size != self.declared:
            raise s3_error("IncompleteBody", "The body is shorter than its Content-Length")
        if self._decoder is not None:
            self._decoder.finish()
            if self._decoded_length is not None and self._decoder.decoded != self._decoded_length:
                raise s3_error("IncompleteBody", "The body is shorter than its x-amz-decoded-content-length")
        for code, digest, claimed, form in self._checks:
            if form(digest) != claimed:
                raise s3_error(code, "The digest of the body does not match the one the request gives")
        for checksum, value in self._checksums:
            if value is None and self._decoder is not None:  # the trailer's
                value = self._decoder.trailers.get(checksum.header)
            checksum.verify(value)
            self.checksums[checksum.algorithm] = value  # type: ignore[assignment]  # verified: a str


def declared_size(body: object) -> int | None:
    """The length an upload's body declares (None when it is not a :class:`StreamedBody` or does not)."""
    return body.object_size if isinstance(body, StreamedBody) else None


def verified_checksums(body: object) -> dict[str, str]:
    """The ``x-amz-checksum-*`` values (algorithm -> base64) an upload's body was verified against
    (empty for a body that is not a :class:`StreamedBody` or carried none)."""
    return dict(body.checksums) if isinstance(body, StreamedBody) else {}


def is_aws_chunked(headers: dict[str, str]) -> bool:
    """Whether an upload's body is ``aws-chunked`` (a ``STREAMING-`` payload or that encoding)."""
    return headers.get("x-amz-content-sha256", "").startswith("STREAMING-") or "aws-chunked" in headers.get(
        "content-encoding", ""
    )


def _strip_aws_chunked(request: dict[str, Any]) -> None:
    """Drop ``aws-chunked`` from the stored ``Content-Encoding`` (it describes the transfer only)."""
    kept = [part.strip() for part in (request.get("ContentEncoding") or "").split(",")]
    kept = [part for part in kept if part and part != "aws-chunked"]
    if kept:
        request["ContentEncoding"] = ", ".join(kept)
    else:
        request.pop("ContentEncoding", None)


def _require_payload_hash(headers: dict[str, str], authenticator: Authenticator) -> None:
    """Under ``--auth sigv4`` a header-signed S3 request must say what its body hashes to (S3
    refuses it otherwise): a signature made without ``x-amz-content-sha256`` binds no body."""
    if (
        authenticator.mode == "sigv4"
        and headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")
        and "x-amz-content-sha256" not in headers
    ):
        raise s3_error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")


def _check_md5_form(headers: dict[str, str]) -> None:
    """``Content-MD5``, when sent, must be the base64 of 16 bytes (``InvalidDigest``, as on S3)."""
    claimed = headers.get("content-md5")
    if claimed is None:
        return
    try:
        valid = len(base64.b64decode(claimed, validate=True)) == 16
    except ValueError:
        valid = False
    if not valid:
        raise s3_error("InvalidDigest", "The Content-MD5 you specified is not valid.")


def _check_content_md5(headers: dict[str, str], body: bytes) -> None:
    """A small body's ``Content-MD5`` (DeleteObjects and other XML requests send one)."""
    claimed = headers.get("content-md5")
    if claimed is not None and _b64(hashlib.md5(body)) != claimed:
        raise s3_error("BadDigest", "The Content-MD5 you specified did not match what we received.")


def _hex(digest: Any) -> str:
    return digest.hexdigest()


def _b64(digest: Any) -> str:
    return base64.b64encode(digest.digest()).decode("ascii")


class _Operation:
    __slots__ = ("method_name", "model", "name", "parser", "serializer")

    def __init__(self, model: OperationModel) -> None:
        self.model = model
        self.name = model.name
        self.method_name = xform_name(model.name)
        self.parser = XmlInputParser(model)
        self.serializer = XmlOutputSerializer(model)


class S3Gateway:
    """ASGI app serving botocore's ``s3`` model with ``provider`` (one snake_case method per
    operation; a missing method answers ``501 NotImplemented`` naming the operation).

    ``disabled``: a message answered to every request instead (jobforge's S3 API is off when the
    objects live on an external S3 endpoint).
    """

    def __init__(
        self,
        model: ServiceModel,
        provider: object,
        authenticator: Authenticator,
        json_gateway: AwsGateway,
        *,
        disabled: str | None = None,
        max_workers: int = 16,
    ) -> None:
        self.model = model
        self.provider = provider
        self.authenticator = authenticator
        self.json_gateway = json_gateway  # its body budget and bounded body reader are shared
        self.disabled = disabled
        self.router = Router(model)
        self.operations = {name: _Operation(model.operation_model(name)) for name in model.operation_names}
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="jobforge-s3")

    def _chunk_signer(self, headers: dict[str, str], sigv2: bool) -> ChunkSigner | None:
        """What a signed streaming body's chunk signatures are checked with (None: unchecked, as
        every signature under ``--auth none``); refuses the streaming forms this module lacks."""
        claimed = headers.get("x-amz-content-sha256", "")
        if claimed.startswith("STREAMING-") and claimed not in STREAMING_FORMS:
            raise s3_error("NotImplemented", f"The payload form {claimed} is not supported by jobforge")
        if not claimed.startswith(SIGNED_STREAMING) or self.authenticator.mode != "sigv4":
            return None
        parts = None if sigv2 else self.authenticator.chunk_signer(headers)
        if parts is None:
            raise s3_error("InvalidRequest", f"{claimed} needs an Authorization header signature")
        return ChunkSigner(*parts)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = new_request_id()
        headers = _header_dict(scope["headers"])
        method = scope["method"]
        raw_path_bytes = scope.get("raw_path")
        raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope.get("path", "/")
        raw_path = raw_path.split("?", 1)[0] or "/"
        query_string = scope.get("query_string", b"").decode("latin-1")
        resource = raw_path
        started = time.perf_counter()
        status = 500
        body_read = False
        reserved = 0
        stream: BinaryIO | None = None
        streamed: StreamedBody | None = None
        operation: _Operation | None = None
        try:
            try:
                if self.disabled is not None:
                    raise s3_error("NotImplemented", self.disabled)
                query = parse_query(query_string)
                sigv2 = is_sigv2_query(query)
                if not sigv2:
                    self.authenticator.precheck(headers, query)
                    _require_payload_hash(headers, self.authenticator)
                _check_md5_form(headers)
                bucket = virtual_host_bucket(headers.get("host", ""))
                path = raw_path if bucket is None else f"/{quote(bucket)}{raw_path}"
                resource = path
                try:
                    match = self.router.match(method, path, query, headers)
                except UnknownRoute:
                    raise s3_error(
                        "MethodNotAllowed", f"The method {method} is not allowed against {path}"
                    ) from None
                if path.endswith("/") and "Key" in match.labels:  # the router drops a trailing '/'
                    match.labels["Key"] += "/"
                operation = self.operations[match.operation.name]
                loop = asyncio.get_running_loop()
                if operation.parser.streams:
                    body = b""
                    if sigv2:
                        identity = authenticate_sigv2(
                            self.authenticator, method, path, query_string, query, headers
                        )
                    else:
                        identity = self.authenticator.authenticate(
                            method, raw_path, query_string, query, headers, body, streamed_body=True
                        )
                    streamed = StreamedBody(receive, loop, headers, self._chunk_signer(headers, sigv2))
                else:
                    declared = headers.get("content-length")
                    length = int(declared) if declared and declared.isdigit() else None
                    if length is not None and length > MAX_XML_BODY_BYTES:
                        raise s3_error(
                            "EntityTooLarge", f"{operation.name} accepts at most {MAX_XML_BODY_BYTES} bytes"
                        )
                    read, reserved = await self.json_gateway.read_body(receive, length, MAX_XML_BODY_BYTES)
                    if read is None:
                        return  # client went away
                    body, body_read = read, True
                    _check_content_md5(headers, body)
                    if sigv2:
                        identity = authenticate_sigv2(
                            self.authenticator, method, path, query_string, query, headers
                        )
                    else:
                        identity = self.authenticator.authenticate(
                            method, raw_path, query_string, query, headers, body
                        )
                try:
                    request = operation.parser.parse(match.labels, query, headers, body)
                except RequestParseError as exc:
                    raise s3_error("InvalidArgument", exc.message) from None
                problems = validate(operation.model.input_shape, request)
                if problems is not None:
                    raise s3_error("InvalidArgument", problems[0])
                if streamed is not None:
                    request["Body"] = streamed
                    if is_aws_chunked(headers):
                        _strip_aws_chunked(request)
                ctx = RequestContext(
                    account_id=identity.account_id,
                    region=identity.region,
                    service="s3",
                    operation=operation.name,
                    request_id=request_id,
                    base_url=f"{scope.get('scheme', 'http')}://{headers.get('host', '127.0.0.1')}",
                    access_key=identity.access_key,
                    headers=headers,
                )
                handler = getattr(self.provider, operation.method_name, None)
                if handler is None:
                    raise s3_error(
                        "NotImplemented",
                        f"The S3 operation {operation.name} is not implemented by jobforge yet",
                    )
                output = await loop.run_in_executor(self._executor, handler, ctx, request) or {}
                body_read = streamed is None or streamed.finished
                status, out_headers, out_body = operation.serializer.serialize(output)
                if operation.serializer.streams and method != "HEAD":
                    stream = output.get("Body")
            except ServiceError as error:
                status, out_headers, out_body = serialize_error(error, request_id, resource)
                if method == "HEAD" or status == 304:  # no body, as on AWS
                    out_body = b""
            except Exception:
                logger.exception(
                    "Unhandled error in S3 %s (request %s)", operation and operation.name, request_id
                )
                error = s3_error("InternalError", "We encountered an internal error. Please try again.")
                status, out_headers, out_body = serialize_error(error, request_id, resource)
            if streamed is not None and not streamed.finished:
                body_read = await _drain(receive, streamed)
            if not body_read:
                out_headers.append((b"connection", b"close"))  # the body stays unread
            out_headers.append((b"x-amz-request-id", request_id.encode("ascii")))
            out_headers.append((b"x-amz-id-2", request_id.encode("ascii")))
            if stream is not None:
                await self._send_stream(send, status, out_headers, stream)
                stream = None
            else:
                if not any(name == b"content-length" for name, _ in out_headers):
                    out_headers.append((b"content-length", str(len(out_body)).encode("ascii")))
                await send({"type": "http.response.start", "status": status, "headers": out_headers})
                await send({"type": "http.response.body", "body": out_body if method != "HEAD" else b""})
        finally:
            self.json_gateway.body_budget.release(reserved)
            if stream is not None:
                stream.close()
        observe = self.json_gateway.observe
        if observe is not None:
            name = operation.name if operation else UNMATCHED
            observe("s3", name, status, time.perf_counter() - started)
        if request_logger.isEnabledFor(logging.INFO):
            fields = {
                "method": method,
                "path": raw_path,
                "service": "s3",
                "operation": operation.name if operation else None,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            }
            request_logger.info("request", extra=fields)

    async def _send_stream(self, send: Send, status: int, headers: Headers, stream: BinaryIO) -> None:
        """Send an object body chunk by chunk, reading the store in the worker pool."""
        loop = asyncio.get_running_loop()
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while chunk := await loop.run_in_executor(self._executor, stream.read, STREAM_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(self._executor, stream.close)


async def _drain(receive: Receive, streamed: StreamedBody) -> bool:
    """Read and discard the rest of a small upload a refusal left unread, so the client reads the
    error instead of a reset connection; a large one is left unread (the connection closes)."""
    if streamed.declared is None or streamed.declared - streamed.size > MAX_DRAIN_BYTES:
        return False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        if not message.get("more_body", False):
            return True


__all__ = [
    "S3_SIGNING_NAME",
    "S3Gateway",
    "StreamedBody",
    "declared_size",
    "is_s3_request",
    "verified_checksums",
]
