"""Malformed HTTP against a real ``jobforge serve``: every answer the server still gives is an
AWS-shaped error (JSON body with ``message``, ``x-amzn-ErrorType``, ``x-amzn-RequestId``), with
both HTTP implementations (httptools, the default, and h11), and the server stays healthy.

Raw sockets, since no HTTP client sends these bytes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.test_body_limits import _response
from tests.support import JobforgeServer, client

PATH = "/v1/data-sets"  # Data Exchange ListDataSets (GET; a body is ignored)
PREFIX = f"GET {PATH} HTTP/1.1\r\nHost: localhost\r\n".encode()

CASES: dict[str, bytes] = {
    "garbage request line": b"THIS IS NOT HTTP\r\n\r\n",
    "no version": b"GET /\r\n\r\n",
    "space in a header name": PREFIX + b"Bad Header: x\r\nContent-Length: 0\r\n\r\n",
    "control byte in a header value": PREFIX + b"X-Thing: a\x01b\r\nContent-Length: 0\r\n\r\n",
    "header line without colon": PREFIX + b"NoColonHere\r\nContent-Length: 0\r\n\r\n",
    "non-numeric Content-Length": PREFIX + b"Content-Length: abc\r\n\r\n{}",
    "negative Content-Length": PREFIX + b"Content-Length: -5\r\n\r\n{}",
    "two different Content-Lengths": PREFIX + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ",
    "Content-Length and Transfer-Encoding": PREFIX
    + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "unknown Transfer-Encoding": PREFIX + b"Transfer-Encoding: gzip, identity\r\n\r\n{}",
    "bad chunk size": PREFIX + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunk longer than declared": PREFIX + b"Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n",
    "oversized header": PREFIX + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    "many headers": PREFIX + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(2_000)) + b"\r\n",
    "TLS client hello": bytes.fromhex("160301020001000200030300") + b"\x00" * 64,
    "binary noise": bytes(range(256)) * 4,
}


@pytest.fixture(scope="module", params=["httptools", "h11"])
def http_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobforgeServer]:
    data_dir: Path = tmp_path_factory.mktemp(f"malformed-{request.param}") / "data"
    running = JobforgeServer(data_dir, env={"JOBFORGE_HTTP_PROTOCOL": request.param}).start()
    yield running
    running.stop()


def _exchange(port: int, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``payload``; the one response that comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before taking every byte
        return _response(sock, timeout=10)


def _assert_aws_shaped(status: int, headers: dict[str, str], body: bytes) -> int:
    assert 400 <= status < 500, (status, body)
    assert headers["x-amzn-errortype"]
    assert headers["content-type"].startswith("application/json")
    assert len(headers["x-amzn-requestid"]) == 36
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body)["message"]
    return status


# What each implementation answers where they differ: httptools reads "GET /" as HTTP/0.9 (an
# unknown route), h11 follows RFC 9112 and lets Transfer-Encoding win over Content-Length and
# takes control bytes in header values; those requests are then served like any other.
EXPECTED = {
    ("httptools", "no version"): 404,
    ("h11", "Content-Length and Transfer-Encoding"): 200,
    ("h11", "control byte in a header value"): 200,
}
HEAD_TOO_LARGE = ("oversized header", "many headers")


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_request_gets_an_aws_shaped_error(http_server: JobforgeServer, case: str) -> None:
    status, headers, body = _exchange(http_server.port, CASES[case])
    expected = EXPECTED.get((http_server.env["JOBFORGE_HTTP_PROTOCOL"], case))
    if expected == 200:
        assert status == 200 and b'"DataSets"' in body, (status, body)
        return
    assert _assert_aws_shaped(status, headers, body) == (expected or (431 if case in HEAD_TOO_LARGE else 400))
    if status in (400, 431):
        assert headers["x-amzn-errortype"] == "ValidationException"


def test_broken_request_after_a_good_one_on_the_same_connection(http_server: JobforgeServer) -> None:
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=10) as sock:
        sock.sendall(PREFIX + b"Content-Length: 0\r\n\r\n")
        assert _response(sock, timeout=10)[0] == 200
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert _assert_aws_shaped(*_response(sock, timeout=10)) == 400
        assert sock.recv(1) == b""  # then closed


def test_server_stays_healthy_after_malformed_requests(http_server: JobforgeServer) -> None:
    for payload in CASES.values():
        _exchange(http_server.port, payload)
    assert "DataSets" in client("dataexchange", http_server.url).list_data_sets()
    big_but_valid = PREFIX + b"X-Ok: " + b"a" * 8_000 + b"\r\nContent-Length: 2\r\n\r\n{}"
    assert _exchange(http_server.port, big_but_valid)[0] == 200


def test_unknown_http_protocol_is_refused_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "JOBFORGE_HTTP_PROTOCOL": "zttp"}
    command = [sys.executable, "-m", "jobforge.cli", "serve", "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "JOBFORGE_HTTP_PROTOCOL must be one of h11, httptools, not 'zttp'" in done.stderr
