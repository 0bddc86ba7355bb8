"""Request bodies under ``--auth sigv4``: anonymous and unknown-key requests are refused before
their body is read, a declared length over the limit is refused before reading, and the body
bytes in memory across all connections stay within ``JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT``.

These talk raw HTTP over loopback sockets, so a test can declare a large body, send only part of
it and see whether the server answers without waiting for the rest."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JobforgeServer, client

ALICE = ("AKIDALICE", "alice-secret", "111111111111")
MIB = 1024 * 1024
PATH = "/metadata/v0/jobs"  # Location StartJob: its input shape puts no bound on the body
SIGNED_SHAPE = (
    "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/geo/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


def _head(port: int, length: int, authorization: str | None) -> bytes:
    lines = [
        f"POST {PATH} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        "X-Amz-Date: 20260101T000000Z",
    ]
    if authorization is not None:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response (socket.timeout if none comes in time)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _open(port: int, length: int, authorization: str | None, first_bytes: int) -> socket.socket:
    """A connection that has sent the headers and the first ``first_bytes`` of the body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(_head(port, length, authorization) + b"{" + b" " * (first_bytes - 1))
    return sock


def _closed_by_server(sock: socket.socket, timeout: float = 5) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    """sigv4, one known key, an 8 MiB budget for body bytes in flight."""
    running = JobforgeServer(
        tmp_path_factory.mktemp("body-limits") / "data",
        "--auth",
        "sigv4",
        env={
            "JOBFORGE_CREDENTIALS": ":".join(ALICE),
            "JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT": str(8 * MIB),
        },
    ).start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "MissingAuthenticationTokenException"),
        ("AWS4-HMAC-SHA256 Credential=AKIDALICE/20260101/us-east-1/geo", "IncompleteSignatureException"),
        (SIGNED_SHAPE.format(key="AKIDNOBODY"), "UnrecognizedClientException"),
    ],
)
def test_unauthenticated_large_body_is_refused_before_reading(
    small_budget: JobforgeServer, authorization: str | None, code: str
) -> None:
    started = time.monotonic()
    with _open(small_budget.port, 7 * MIB, authorization, first_bytes=64 * 1024) as sock:
        status, headers, _ = _response(sock, timeout=5)
        assert (status, headers.get("x-amzn-errortype")) == (403, code)
        assert headers.get("connection") == "close"
        assert _closed_by_server(sock)
    assert time.monotonic() - started < 5


def test_declared_length_over_the_limit_is_413_before_reading(small_budget: JobforgeServer) -> None:
    """The limit is the smaller of the 32 MB body limit and the whole in-flight budget."""
    with _open(small_budget.port, 9 * MIB, SIGNED_SHAPE.format(key=ALICE[0]), first_bytes=1024) as sock:
        status, headers, _ = _response(sock, timeout=5)
        assert (status, headers.get("x-amzn-errortype")) == (413, "RequestEntityTooLargeException")
        assert _closed_by_server(sock)


def test_a_body_that_does_not_fit_the_budget_gets_503(small_budget: JobforgeServer) -> None:
    port = small_budget.port
    signed = SIGNED_SHAPE.format(key=ALICE[0])
    with _open(port, 6 * MIB, signed, first_bytes=MIB) as held:
        time.sleep(0.5)  # the server has reserved its 6 MiB
        started = time.monotonic()
        with _open(port, 4 * MIB, signed, first_bytes=1) as second:
            status, headers, _ = _response(second, timeout=10)
            assert (status, headers.get("x-amzn-errortype")) == (503, "ServiceUnavailableException")
            assert headers.get("connection") == "close"
        assert time.monotonic() - started < 8
        held.shutdown(socket.SHUT_RDWR)
    # the held request's bytes are back in the budget once its client went away
    deadline = time.monotonic() + 10
    while True:
        with _open(port, 6 * MIB, signed, first_bytes=1) as again:
            again.sendall(b" " * (6 * MIB - 2) + b"}")
            status, headers, _ = _response(again, timeout=10)
        if status != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (status, headers.get("x-amzn-errortype")) == (403, "InvalidSignatureException")
    dataexchange = client("dataexchange", small_budget.url, access_key=ALICE[0], secret_key=ALICE[1])
    assert dataexchange.list_data_sets()["DataSets"] == []


def test_concurrent_large_bodies_stay_within_the_budget(tmp_path: Path) -> None:
    """16 signed-looking 31 MB bodies held open (all but their last byte) against the default
    64 MiB budget: the server's RSS grows by at most the budget plus a margin, not 16 x 31 MB."""
    server = JobforgeServer(
        tmp_path / "data", "--auth", "sigv4", env={"JOBFORGE_CREDENTIALS": ":".join(ALICE)}
    ).start()
    sockets: list[socket.socket] = []
    try:
        assert server.process is not None
        pid = server.process.pid
        dataexchange = client("dataexchange", server.url, access_key=ALICE[0], secret_key=ALICE[1])
        dataexchange.list_data_sets()  # warm up: first-request imports and caches
        before = _rss_kib(pid)
        size = 31 * 1000 * 1000
        signed = SIGNED_SHAPE.format(key=ALICE[0])

        def send(sock: socket.socket) -> None:
            try:
                sock.settimeout(20)
                sock.sendall(_head(server.port, size, signed) + b"{" + b" " * (size - 2))
            except OSError:
                pass  # refused (503, connection closed) while sending: fine

        for _ in range(16):
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        senders = [threading.Thread(target=send, args=(sock,), daemon=True) for sock in sockets]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(25)
        peak = max(_rss_kib(pid) for _ in range(5) if time.sleep(0.1) is None)
        grown_mib = (peak - before) / 1024
        print(f"server RSS before {before / 1024:.0f} MiB, with 16 x 31 MB held {peak / 1024:.0f} MiB")
        assert grown_mib < 64 + 64, f"RSS grew by {grown_mib:.0f} MiB"
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def test_internal_endpoints_refuse_unsigned_bodies_before_reading(small_budget: JobforgeServer) -> None:
    port = small_budget.port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (
            "POST /_jobforge/control/pace HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Length: 1000000\r\n\r\n"
        )
        sock.sendall(head.encode() + b"{")
        status, _, body = _response(sock, timeout=5)
    assert status == 403 and b"MissingAuthenticationTokenException" in body
