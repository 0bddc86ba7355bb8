"""S3 tests: a boto3 S3 client for the shared server, and helpers for other addressing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from botocore.exceptions import ClientError

from tests.support import JobforgeServer, client

# what an s3-scoped request carries under --auth none (the signature is not checked there)
S3_SCOPED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "x-amz-date": "20260101T000000Z",
}


@pytest.fixture
def s3(server: JobforgeServer) -> Any:
    return client("s3", server.url)


def virtual_hosted(url: str, **kwargs: Any) -> Any:
    """A boto3 S3 client with virtual-hosted addressing against ``http://localhost:PORT``.

    boto3 then sends ``Host: <bucket>.localhost:PORT``; names under .localhost do not resolve on
    every machine, so each request is sent to 127.0.0.1 with that Host header kept (and signed).
    """
    port = urlsplit(url).port
    s3 = client("s3", f"http://localhost:{port}", s3={"addressing_style": "virtual"}, **kwargs)

    def to_loopback(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if not (parts.hostname or "").endswith(".localhost"):
            return
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    s3.meta.events.register_first("before-send.s3", to_loopback)
    return s3


def error_of(call: Any, **kwargs: Any) -> tuple[str, int]:
    """(error code, HTTP status) of a call that must fail."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


ALICE = ("AKIDALICE", "alice-secret", "111111111111")  # (access key, secret, account id)
BOB = ("AKIDBOB", "bob-secret", "222222222222")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    """A ``--auth sigv4`` server of the test module's own, knowing ALICE and BOB."""
    credentials = ",".join(":".join(person) for person in (ALICE, BOB))
    data_dir = tmp_path_factory.mktemp("s3-sigv4") / "data"
    server = JobforgeServer(data_dir, "--auth", "sigv4", env={"JOBFORGE_CREDENTIALS": credentials}).start()
    yield server
    server.stop()


def as_person(server: JobforgeServer, person: tuple[str, str, str], **config: Any) -> Any:
    """A boto3 S3 client signing as ``person``."""
    return client("s3", server.url, access_key=person[0], secret_key=person[1], **config)
