"""uvicorn HTTP protocols whose answers to malformed HTTP are AWS-shaped errors.

uvicorn answers a request it cannot parse (garbage request line, bad header, bad
``Content-Length``, broken chunked encoding, non-HTTP bytes) itself, with a plain-text
``400 Invalid HTTP request received.``, before any app sees it. These subclasses answer the same
cases in the rest-json error shape of the gateway instead: ``400 ValidationException`` (the code
two of the three services use for a request they cannot parse), ``431`` with the same code for a
request head larger than ``HEAD_LIMIT`` bytes, JSON body with ``message``, ``x-amzn-ErrorType``,
``x-amzn-RequestId`` and ``Connection: close``. When a response to the broken request has
already started, the connection is closed without another answer.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import new_request_id
from jobforge.protocol.serializer import ErrorSerializer

MALFORMED_CODE = "ValidationException"
HEAD_LIMIT = 16 * 1024  # h11's default limit on an incomplete request head; applied to httptools too
_ERRORS = ErrorSerializer(None)


def malformed_response(status: int, message: str) -> bytes:
    """A complete ``HTTP/1.1`` error response (status line, headers, JSON body) that closes."""
    code = 431 if status == 431 else 400
    _, headers, body = _ERRORS.serialize(ServiceError(MALFORMED_CODE, message, status=code))
    reason = b"Request Header Fields Too Large" if code == 431 else b"Bad Request"
    request_id = new_request_id()
    lines = [b"HTTP/1.1 %d %s" % (code, reason)]
    lines += [name + b": " + value for name, value in headers]
    lines += [
        b"x-amzn-requestid: " + request_id.encode("ascii"),
        b"content-length: " + str(len(body)).encode("ascii"),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _message(status: int) -> str:
    if status == 431:
        return f"The request head is larger than {HEAD_LIMIT} bytes"
    return "The request is not valid HTTP/1.1"


class _LimitedH11Connection(h11.Connection):
    """h11 limits only an *incomplete* head; this also refuses a complete one over ``HEAD_LIMIT``."""

    head_too_large = False

    def next_event(self) -> object:
        event = super().next_event()
        if isinstance(event, h11.Request):
            size = len(event.method) + len(event.target)
            size += sum(len(name) + len(value) + 4 for name, value in event.headers)
            if size > HEAD_LIMIT:
                self.head_too_large = True
                raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
        return event


class AwsH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; malformed requests get an AWS-shaped error."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.conn = _LimitedH11Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)

    def send_400_response(self, msg: str) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's own answer (if any) goes nowhere now
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            too_large = self.conn.head_too_large or len(self.conn.trailing_data[0]) > HEAD_LIMIT
            status = 431 if too_large else 400
            self.transport.write(malformed_response(status, _message(status)))
        self.transport.close()


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop httptools at an oversized request head."""


class AwsHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; malformed requests get an AWS-shaped error, and a request
    head over ``HEAD_LIMIT`` bytes is refused with 431 (httptools has no limit of its own)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._in_head = True  # from the start of a message to the end of its head
        self._head_bytes = 0  # of the current head: parsed parts, or received bytes while incomplete
        self._refusal = 400

    def data_received(self, data: bytes) -> None:
        in_head_before = self._in_head
        super().data_received(data)
        if self.transport.is_closing() or not (in_head_before and self._in_head):
            return
        self._head_bytes += len(data)  # a head still incomplete after a whole read
        if self._head_bytes > HEAD_LIMIT:
            self._refusal = 431
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_bytes > HEAD_LIMIT:
            self._refusal = 431
            raise _HeadTooLarge  # httptools turns it into HttpParserError: send_400_response
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse()

    def _refuse(self) -> None:
        cycle = self.cycle
        started = cycle is not None and not cycle.response_complete and cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
        if not started:
            self.transport.write(malformed_response(self._refusal, _message(self._refusal)))
        self.transport.close()


HTTP_PROTOCOLS: dict[str, type[asyncio.Protocol]] = {
    "h11": AwsH11Protocol,
    "httptools": AwsHttpToolsProtocol,  # what uvicorn's "auto" picks (httptools is a dependency)
}


def http_protocol(name: str) -> type[asyncio.Protocol]:
    """The protocol class for the ``http_protocol`` setting (``httptools``, the default, or ``h11``)."""
    return HTTP_PROTOCOLS[name.strip().lower()]
