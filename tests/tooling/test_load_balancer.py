"""deploy/haproxy.cfg run by a real HAProxy in front of two real ``jobforge serve`` nodes (its
``api-1:4580``/``api-2:4580`` pointed at them, its port at a free one; nothing else changed):
requests are spread over both nodes, SigV4 signatures made for the balancer's address verify on the
nodes (the Host header passes through), requests keep succeeding when a node dies, and failed
console sign-ins count on both nodes, per the client address HAProxy forwards.
scripts/test-services.sh installs HAProxy; skipped where it is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from jobforge.console.throttle import LIMIT
from tests.support import JobforgeServer, client, eventually, free_port
from tests.tooling.deploy_files import HAPROXY

BINARY = shutil.which("haproxy")
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="HAProxy is not installed (scripts/test-services.sh installs it)"
)
KEY, SECRET = "AKIDBALANCER", "balancer-secret"


@contextmanager
def _nodes(tmp_path: Path, env: dict[str, str]) -> Iterator[list[JobforgeServer]]:
    env = {"JOBFORGE_CREDENTIALS": f"{KEY}:{SECRET}:123456789012", **env}
    started = [JobforgeServer(tmp_path / name, "--auth", "sigv4", env=env) for name in ("api-1", "api-2")]
    try:
        for node in started:
            node.start()
        yield started
    finally:
        for node in started:
            node.stop()


@contextmanager
def _balancer(nodes: list[JobforgeServer], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    text = HAPROXY.read_text()
    replacements = {
        "bind :4580": f"bind 127.0.0.1:{port}",
        "api-1:4580": f"127.0.0.1:{nodes[0].port}",
        "api-2:4580": f"127.0.0.1:{nodes[1].port}",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    config = tmp_path / "haproxy.cfg"
    config.write_text(text)
    log = tmp_path / "haproxy.log"
    with log.open("wb") as out:
        process = subprocess.Popen([BINARY, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        assert eventually(lambda: _healthy(url) and process.poll() is None, timeout=30), log.read_text()
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[JobforgeServer]]:
    """Two nodes with a database each: which node served a request shows in its database."""
    with _nodes(tmp_path, {}) as started:
        yield started


@pytest.fixture
def balancer(nodes: list[JobforgeServer], tmp_path: Path) -> Iterator[str]:
    with _balancer(nodes, tmp_path) as url:
        yield url


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_jobforge/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _data_sets(url: str) -> set[str]:
    dx = client("dataexchange", url, access_key=KEY, secret_key=SECRET)
    return {item["Name"] for item in dx.list_data_sets()["DataSets"]}


def _create(url: str, names: list[str], secret: str = SECRET) -> None:
    """Data sets made through ``url``, one attempt each: a retry by the SDK would hide the balancer's."""
    dx = boto3.client(
        "dataexchange",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )
    for name in names:
        dx.create_data_set(AssetType="S3_SNAPSHOT", Name=name, Description="through the balancer")


def test_requests_spread_over_both_nodes_signed_and_survive_a_dead_node(
    balancer: str, nodes: list[JobforgeServer]
) -> None:
    names = [f"set-{number}" for number in range(6)]
    _create(balancer, names)
    per_node = [_data_sets(node.url) for node in nodes]
    assert per_node[0] | per_node[1] == set(names) and not per_node[0] & per_node[1]
    assert [len(found) for found in per_node] == [3, 3]  # round robin
    with pytest.raises(ClientError) as refused:
        _create(balancer, ["forged"], secret="not-the-secret")
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"

    nodes[0].stop()
    after = [f"after-{number}" for number in range(4)]
    _create(balancer, after)  # a refused connection is retried on the other node, not answered 503
    assert set(after) <= _data_sets(nodes[1].url)


def test_sign_in_failures_through_the_balancer_count_on_both_nodes(tmp_path: Path) -> None:
    """Two nodes sharing one database, as deployed: failed console sign-ins spread over both nodes
    are counted together, per the client address HAProxy forwards (X-Forwarded-For); another
    client signing in with the same key is not locked out."""
    shared = {"JOBFORGE_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    with _nodes(tmp_path, shared) as started, _balancer(started, tmp_path) as url:

        def sign_in(client: str, secret: str) -> int:
            with httpx.Client(base_url=f"{url}/console/", headers={"x-forwarded-for": client}) as http:
                page = http.get("login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert page.status_code == 200 and csrf is not None, page.text
                form = {"csrf": csrf.group(1), "access_key": KEY, "secret_key": secret, "next": ""}
                status = http.post("login", data=form).status_code
                http.get("login")  # three requests a sign-in: the sign-ins alternate between the nodes
                return status

        assert [sign_in("203.0.113.5", "guessed") for _ in range(LIMIT)] == [401] * LIMIT
        assert sign_in("203.0.113.5", "guessed") == 429  # ~LIMIT / 2 failures on each node
        assert sign_in("198.51.100.9", SECRET) == 303
