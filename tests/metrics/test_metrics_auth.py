"""Who may read ``/metrics``: under ``--auth sigv4`` an admin key's signature or the operator's
bearer token (``JOBFORGE_METRICS_TOKEN``), nobody else; under ``--auth none`` with a token set,
only its bearers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.metrics.scrape import parse
from tests.server.test_internal_auth import ADMIN, ALICE, CREDENTIALS, assert_error, request
from tests.support import JobforgeServer, client

TOKEN = "metrics-token-of-the-operator"


def bearer(url: str, token: str) -> httpx.Response:
    return httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    root = tmp_path_factory.mktemp("metrics-auth")
    credentials = root / "credentials.json"
    credentials.write_text(json.dumps(CREDENTIALS))
    server = JobforgeServer(
        root / "data",
        "--auth",
        "sigv4",
        "--credentials-file",
        str(credentials),
        env={"JOBFORGE_METRICS_TOKEN": TOKEN},
    ).start()
    yield server
    server.stop()


def test_sigv4_refuses_callers_without_credentials_or_admin_key(secured: JobforgeServer) -> None:
    assert_error(request(secured.url, "/metrics"), 403, "MissingAuthenticationTokenException")
    assert_error(request(secured.url, "/metrics", key=ALICE), 403, "AccessDeniedException")
    wrong = request(secured.url, "/metrics", key=ADMIN, secret="not-the-secret")
    assert wrong.status_code == 403 and "jobforge_" not in wrong.text
    for token in ("wrong-token", TOKEN + "x", TOKEN[:-1]):
        assert_error(bearer(secured.url, token), 403, "AccessDeniedException")


def test_sigv4_lets_in_an_admin_signature_and_the_bearer_token(secured: JobforgeServer) -> None:
    robomaker = client("robomaker", secured.url, access_key=ALICE[0], secret_key=ALICE[1])
    robomaker.list_world_templates()
    signed = request(secured.url, "/metrics", key=ADMIN)
    assert signed.status_code == 200, signed.text
    labels = {"service": "robomaker", "operation": "ListWorldTemplates", "status": "200"}
    assert parse(signed.text).value("jobforge_requests_total", **labels) == 1
    with_token = bearer(secured.url, TOKEN)
    assert with_token.status_code == 200
    assert parse(with_token.text).value("jobforge_requests_total", **labels) == 1
    assert ALICE[2] not in with_token.text and ADMIN[2] not in with_token.text  # no account ids


def test_other_methods_are_refused(secured: JobforgeServer) -> None:
    response = request(secured.url, "/metrics", "POST", {}, key=ADMIN)
    assert_error(response, 405, "MethodNotAllowed")


def test_a_token_guards_metrics_without_sigv4(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data", env={"JOBFORGE_METRICS_TOKEN": TOKEN}).start()
    try:
        assert_error(httpx.get(f"{server.url}/metrics", timeout=10), 403, "AccessDeniedException")
        let_in = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"bearer {TOKEN}"}, timeout=10)
        assert let_in.status_code == 200 and "jobforge_queue_depth" in let_in.text
    finally:
        server.stop()
