"""Under ``--auth sigv4`` the job progress endpoints need a signature and show an account its own
jobs only: another account's job is a 404, exactly as a missing one; the CLI signs its requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import generation_job, jobforge
from tests.server.test_internal_auth import ALICE, BOB, CREDENTIALS, assert_error, request
from tests.support import JobforgeServer


@dataclass
class Secured:
    server: JobforgeServer
    job: str  # ALICE's world generation job (ARN), ended


def env_of(key: tuple[str, str, str]) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    root = tmp_path_factory.mktemp("cli-sigv4")
    credentials = root / "credentials.json"
    credentials.write_text(json.dumps(CREDENTIALS))
    server = JobforgeServer(root / "data", "--auth", "sigv4", "--credentials-file", str(credentials)).start()
    try:
        job = generation_job(server, 1, 1, access_key=ALICE[0], secret_key=ALICE[1])
        done = jobforge("jobs", "watch", job, "--endpoint-url", server.url, env=env_of(ALICE))
        assert done.returncode == 0, done.stderr
        yield Secured(server, job)
    finally:
        server.stop()


def test_an_account_sees_its_own_jobs_only(secured: Secured) -> None:
    url, job = secured.server.url, secured.job
    job_id = job.rsplit("/", 1)[1]
    for ref in (job, job_id):
        mine = request(url, f"/_jobforge/jobs/{ref}", key=ALICE)
        assert mine.status_code == 200 and mine.json()["accountId"] == ALICE[2], mine.text
        theirs = assert_error(request(url, f"/_jobforge/jobs/{ref}", key=BOB), 404, "NotFound")
        missing = assert_error(request(url, "/_jobforge/jobs/no-such-job", key=BOB), 404, "NotFound")
        assert theirs["message"].replace(ref, "X") == missing["message"].replace("no-such-job", "X")
    assert [doc["arn"] for doc in request(url, "/_jobforge/jobs", key=ALICE).json()["jobs"]] == [job]
    assert request(url, "/_jobforge/jobs", key=BOB).json() == {"jobs": [], "nextToken": None}
    assert request(url, "/_jobforge/jobs?service=robomaker", key=BOB).json()["jobs"] == []


def test_unsigned_and_wrongly_signed_requests_are_refused(secured: Secured) -> None:
    url = secured.server.url
    for path in (f"/_jobforge/jobs/{secured.job}", "/_jobforge/jobs"):
        assert request(url, path).status_code == 403
        assert request(url, path, key=ALICE, secret="wrong").status_code == 403


def test_the_cli_signs_as_the_caller(secured: Secured, tmp_path: Path) -> None:
    url, job = secured.server.url, secured.job
    listed = jobforge("jobs", "list", "--json", "--endpoint-url", url, env=env_of(ALICE))
    assert listed.returncode == 0 and [doc["arn"] for doc in json.loads(listed.stdout)] == [job]
    listed = jobforge("jobs", "list", "--json", "--endpoint-url", url, env=env_of(BOB))
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    watched = jobforge("jobs", "watch", job, "--endpoint-url", url, env=env_of(BOB))
    assert watched.returncode == 1 and "no job" in watched.stderr and "HTTP 404" in watched.stderr
    cancel = jobforge("jobs", "cancel", job, "--endpoint-url", url, env=env_of(BOB))
    assert cancel.returncode == 1 and "HTTP 404" in cancel.stderr
