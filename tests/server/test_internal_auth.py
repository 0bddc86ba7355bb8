"""``/_jobforge/`` under ``--auth sigv4``: SigV4 on every endpoint but health and the Data Exchange
signed URLs, worlds only for their own account, the control API only for admin keys (or off), and
a control API that answers bad JSON and bad numbers with 400, never 500."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.robomaker.samples import MINIMAL_BODY
from tests.server.test_cli import assert_refused
from tests.support import JobforgeServer, client

ALICE = ("AKIDALICE", "alice-secret", "111111111111")
BOB = ("AKIDBOB", "bob-secret", "222222222222")
ADMIN = ("AKIDADMIN", "admin-secret", "222222222222")
CREDENTIALS = {
    ALICE[0]: {"secret": ALICE[1], "account": ALICE[2]},
    BOB[0]: {"secret": BOB[1], "account": BOB[2]},
    ADMIN[0]: {"secret": ADMIN[1], "account": ADMIN[2], "admin": True},
}


def request(
    url: str,
    path: str,
    method: str = "GET",
    body: Any = None,
    *,
    key: tuple[str, str, str] | None = None,
    secret: str | None = None,
    presign: bool = False,
) -> httpx.Response:
    """A request to ``url + path``: unsigned, or SigV4-signed (service ``jobforge``) with ``key``
    (``secret`` overrides its secret: a wrong signature), in headers or presigned in the query."""
    content = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if content else {}
    target = url + path
    if key is not None:
        signed = AWSRequest(method=method, url=target, data=content, headers=headers)
        credentials = Credentials(key[0], secret or key[1])
        if presign:
            SigV4QueryAuth(credentials, "jobforge", "us-east-1", expires=60).add_auth(signed)
        else:
            SigV4Auth(credentials, "jobforge", "us-east-1").add_auth(signed)
        target, headers = signed.url, dict(signed.headers.items())
    return httpx.request(method, target, headers=headers, content=content, timeout=30)


def world_path(what: str, arn: str) -> str:
    return f"/_jobforge/worlds/{what}?arn={quote(arn, safe='')}"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload["error"] == code and isinstance(payload["message"], str), payload
    return payload


@dataclass
class Secured:
    server: JobforgeServer
    world: str  # a world of ALICE's account

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """A ``--auth sigv4`` server with two accounts (one admin key) and one world of ALICE's."""
    root = tmp_path_factory.mktemp("secured")
    credentials = root / "credentials.json"
    credentials.write_text(json.dumps(CREDENTIALS))
    server = JobforgeServer(root / "data", "--auth", "sigv4", "--credentials-file", str(credentials)).start()
    try:
        robomaker = client("robomaker", server.url, access_key=ALICE[0], secret_key=ALICE[1])
        template = robomaker.create_world_template(templateBody=MINIMAL_BODY)["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )["arn"]
        deadline = time.monotonic() + 180
        while (described := robomaker.describe_world_generation_job(job=job))["status"] != "Completed":
            assert described["status"] in ("Pending", "Running") and time.monotonic() < deadline, described
            time.sleep(0.3)
        (world,) = described["finishedWorldsSummary"]["succeededWorlds"]
        yield Secured(server, world)
    finally:
        server.stop()


def endpoints(world: str) -> list[tuple[str, str, Any]]:
    """Every ``/_jobforge/`` endpoint but health and the signed URLs (and an unknown one)."""
    return [
        ("GET", world_path("quality", world), None),
        ("GET", world_path("preview.png", world), None),
        ("GET", "/_jobforge/control", None),
        ("GET", "/_jobforge/control/diagnostic-job/diag-000000000000", None),
        ("POST", "/_jobforge/control/pace", {"pace": "step"}),
        ("POST", "/_jobforge/control/fail", {"target": "robomaker.world-generation", "failureCode": "X"}),
        ("POST", "/_jobforge/control/advance", {"jobId": "x", "steps": 1}),
        ("POST", "/_jobforge/control/diagnostic-job", {"seconds": 1}),
        ("GET", "/_jobforge/no-such-endpoint", None),
    ]


def test_unsigned_and_wrongly_signed_requests_are_refused(secured: Secured) -> None:
    for method, path, body in endpoints(secured.world):
        unsigned = request(secured.url, path, method, body)
        assert_error(unsigned, 403, "MissingAuthenticationTokenException")
        for key in (ALICE, ADMIN):
            wrong = request(secured.url, path, method, body, key=key, secret="wrong-secret")
            assert_error(wrong, 403, "InvalidSignatureException")
        unknown = request(secured.url, path, method, body, key=("AKIDNOBODY", "x", ""))
        assert_error(unknown, 403, "UnrecognizedClientException")
    # a signature of another body does not carry over
    signed = AWSRequest(
        method="POST", url=f"{secured.url}/_jobforge/control/pace", data=b'{"pace": "instant"}'
    )
    SigV4Auth(Credentials(ADMIN[0], ADMIN[1]), "jobforge", "us-east-1").add_auth(signed)
    tampered = httpx.post(signed.url, headers=dict(signed.headers.items()), content=b'{"pace": "step"}')
    assert_error(tampered, 403, "InvalidSignatureException")
    # nothing of the above took effect, and health stays open (for load balancers), account-free
    snapshot = request(secured.url, "/_jobforge/control", key=ADMIN)
    assert snapshot.status_code == 200, snapshot.text
    assert snapshot.json() == {"pace": "instant", "stepDelay": 0.0, "forcedFailures": {}, "stepCredits": {}}
    health = httpx.get(f"{secured.url}/_jobforge/health")
    assert health.status_code == 200
    assert set(health.json()) == {"status", "version", "services", "warming", "problems"}
    assert ALICE[2] not in health.text and BOB[2] not in health.text


def test_signed_url_transfers_need_no_sigv4(secured: Secured) -> None:
    """Data Exchange signed URLs carry their own signature: plain unsigned PUT and GET work."""
    dx = client("dataexchange", secured.url, access_key=ALICE[0], secret_key=ALICE[1])
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]
    body = b"uploaded without sigv4\n" * 100
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    details = {"DataSetId": data_set, "RevisionId": revision, "AssetName": "up.bin", "Md5Hash": md5}
    created = dx.create_job(
        Type="IMPORT_ASSET_FROM_SIGNED_URL", Details={"ImportAssetFromSignedUrl": details}
    )
    upload = created["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
    assert "/_jobforge/dataexchange/" in upload
    put = httpx.put(upload, content=body, headers={"Content-MD5": md5})
    assert put.status_code == 200, put.text
    dx.start_job(JobId=created["Id"])
    wait_job(dx, created["Id"])
    (asset,) = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"]
    export = dx.create_job(
        Type="EXPORT_ASSET_TO_SIGNED_URL",
        Details={
            "ExportAssetToSignedUrl": {"DataSetId": data_set, "RevisionId": revision, "AssetId": asset["Id"]}
        },
    )
    dx.start_job(JobId=export["Id"])
    done = wait_job(dx, export["Id"])
    download = httpx.get(done["Details"]["ExportAssetToSignedUrl"]["SignedUrl"])
    assert download.status_code == 200 and download.content == body
    # while the rest of /_jobforge/ wants SigV4
    assert_error(
        request(secured.url, world_path("quality", secured.world)), 403, "MissingAuthenticationTokenException"
    )


def wait_job(dx: Any, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (job := dx.get_job(JobId=job_id))["State"] not in ("COMPLETED", "ERROR", "CANCELLED", "TIMED_OUT"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["State"] == "COMPLETED", job
    return job


def test_a_world_is_visible_to_its_account_only(secured: Secured) -> None:
    quality = request(secured.url, world_path("quality", secured.world), key=ALICE)
    assert quality.status_code == 200 and "passed" in quality.json(), quality.text
    for presign in (False, True):
        preview = request(secured.url, world_path("preview.png", secured.world), key=ALICE, presign=presign)
        assert preview.status_code == 200 and preview.content[:8] == b"\x89PNG\r\n\x1a\n", preview.text
    missing = secured.world.rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    for what in ("quality", "preview.png"):
        nowhere = assert_error(request(secured.url, world_path(what, missing), key=ALICE), 404, "NotFound")
        for key in (BOB, ADMIN):  # another account: as if the world did not exist
            hidden = assert_error(
                request(secured.url, world_path(what, secured.world), key=key), 404, "NotFound"
            )
            assert hidden["message"] == nowhere["message"].replace(missing, secured.world)


def test_the_control_api_is_for_admin_keys_only(secured: Secured) -> None:
    for key in (ALICE, BOB):
        for method, path, body in endpoints(secured.world)[2:8]:
            assert_error(request(secured.url, path, method, body, key=key), 403, "AccessDeniedException")
    assert request(secured.url, "/_jobforge/control", key=ADMIN).json()["pace"] == "instant"
    try:
        stepped = request(secured.url, "/_jobforge/control/pace", "POST", {"pace": "step"}, key=ADMIN)
        assert stepped.status_code == 200 and stepped.json()["pace"] == "step", stepped.text
        presigned = request(secured.url, "/_jobforge/control", key=ADMIN, presign=True)
        assert presigned.status_code == 200 and presigned.json()["pace"] == "step", presigned.text
    finally:
        back = request(secured.url, "/_jobforge/control/pace", "POST", {"pace": "instant"}, key=ADMIN)
        assert back.status_code == 200, back.text


BAD_BODIES: list[tuple[str, bytes]] = [
    ("advance", b"[" * 100_000 + b"]" * 100_000),
    ("advance", b'{"jobId": "x", "steps": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    ("pace", b'{"pace": "instant", "x": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}"),
    ("advance", b'{"jobId": "x", "steps": 1e999}'),
    ("advance", b'{"jobId": "x", "steps": -1}'),
    ("advance", b'{"jobId": "x", "steps": 0}'),
    ("advance", b'{"jobId": "x", "steps": 1.5}'),
    ("advance", b'{"jobId": "x", "steps": NaN}'),
    ("advance", b'{"jobId": "x", "steps": Infinity}'),
    ("advance", b'{"jobId": "x", "steps": "3"}'),
    ("advance", b'{"jobId": "x", "steps": true}'),
    ("advance", b'{"jobId": "x", "steps": ' + b"9" * 5000 + b"}"),
    ("advance", b'{"steps": 1}'),
    ("pace", b'{"pace": "realistic", "stepDelay": 1e999}'),
    ("pace", b'{"pace": "realistic", "stepDelay": -1}'),
    ("pace", b'{"pace": ["step"]}'),
    ("fail", b'{"target": 1, "failureCode": "X"}'),
    ("fail", b'{"target": "' + b"t" * 257 + b'", "failureCode": "X"}'),  # over a column's width
    ("fail", b'{"target": "t", "failureCode": "X", "reason": "' + b"r" * 4097 + b'"}'),
    ("advance", b'{"jobId": "' + b"x" * 257 + b'"}'),
    ("pace", b'["pace", "step"]'),
    ("pace", b'{"pace": "step"'),
    ("pace", b"\xff\xfe"),
]


@pytest.mark.parametrize("signed", [True, False], ids=["sigv4-admin", "auth-none"])
def test_bad_control_bodies_are_400(secured: Secured, server: JobforgeServer, signed: bool) -> None:
    url, key = (secured.url, ADMIN) if signed else (server.url, None)
    for action, body in BAD_BODIES:
        response = request(url, f"/_jobforge/control/{action}", "POST", body, key=key)
        assert_error(response, 400, "BadRequest")
    snapshot = request(url, "/_jobforge/control", key=key).json()
    assert snapshot["pace"] == "instant" and "x" not in snapshot["stepCredits"], snapshot


def test_control_off_is_404(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps(CREDENTIALS))
    for args, env in (
        (["--auth", "sigv4", "--credentials-file", str(credentials), "--control", "off"], {}),
        ([], {"JOBFORGE_CONTROL": "off"}),
    ):
        server = JobforgeServer(tmp_path / f"data-{len(args)}", *args, env=env).start()
        try:
            key = ADMIN if args else None
            for method, path, body in endpoints("arn:aws:robomaker:us-east-1:222222222222:world/x")[2:8]:
                assert_error(request(server.url, path, method, body, key=key), 404, "NotFound")
            assert server.health().status_code == 200
        finally:
            server.stop()


def test_worlds_preview_cli_signs_its_request(secured: Secured, tmp_path: Path) -> None:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "JOBFORGE_"))}
    nowhere = {
        **clean,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def preview(key: tuple[str, str, str] | None, output: Path) -> subprocess.CompletedProcess[str]:
        env = dict(nowhere)
        if key is not None:
            env |= {
                "AWS_ACCESS_KEY_ID": key[0],
                "AWS_SECRET_ACCESS_KEY": key[1],
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        return subprocess.run(
            [sys.executable, "-m", "jobforge.cli", "worlds", "preview", secured.world, "-o", str(output),
             "--endpoint-url", secured.url],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    done = preview(ALICE, tmp_path / "alice.png")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (tmp_path / "alice.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_refused(preview(BOB, tmp_path / "bob.png"), 1, f"no world {secured.world}", "HTTP 404")
    assert_refused(preview(None, tmp_path / "anon.png"), 1, "Missing Authentication Token", "HTTP 403")
    assert not (tmp_path / "bob.png").exists() and not (tmp_path / "anon.png").exists()
