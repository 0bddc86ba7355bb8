"""Under ``--auth sigv4`` the job progress endpoints need a signature and show an account its own
jobs only: another account's job is a 404, exactly as a missing one; the CLI signs its requests.
The server is ``tests/server/test_internal_auth.py``'s (``secured``: ALICE made a world there)."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import jobforge
from tests.server import test_internal_auth
from tests.server.test_internal_auth import ALICE, BOB, Secured, assert_error, request

secured = test_internal_auth.secured  # its fixture: a sigv4 server where ALICE made a world


def env_of(key: tuple[str, str, str]) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}


@pytest.fixture(scope="module")
def alices_job(secured: Secured) -> str:
    """The ARN of the generation job that made ALICE's world on the ``secured`` server."""
    job_id = secured.world.rsplit("/", 1)[1].removeprefix("generation_").rsplit("_world_", 1)[0]
    return f"arn:aws:robomaker:us-east-1:{ALICE[2]}:world-generation-job/{job_id}"


def test_an_account_sees_its_own_jobs_only(secured: Secured, alices_job: str) -> None:
    url, job = secured.url, alices_job
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


def test_unsigned_and_wrongly_signed_requests_are_refused(secured: Secured, alices_job: str) -> None:
    url = secured.url
    for path in (f"/_jobforge/jobs/{alices_job}", "/_jobforge/jobs"):
        assert request(url, path).status_code == 403
        assert request(url, path, key=ALICE, secret="wrong").status_code == 403


def test_the_cli_signs_as_the_caller(secured: Secured, alices_job: str) -> None:
    url, job = secured.url, alices_job
    watched = jobforge("jobs", "watch", job, "--endpoint-url", url, env=env_of(ALICE))
    assert watched.returncode == 0 and "Completed 1/1 worlds" in watched.stdout, watched.stderr
    listed = jobforge("jobs", "list", "--json", "--endpoint-url", url, env=env_of(ALICE))
    assert listed.returncode == 0 and [doc["arn"] for doc in json.loads(listed.stdout)] == [job]
    listed = jobforge("jobs", "list", "--json", "--endpoint-url", url, env=env_of(BOB))
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    watched = jobforge("jobs", "watch", job, "--endpoint-url", url, env=env_of(BOB))
    assert watched.returncode == 1 and "no job" in watched.stderr and "HTTP 404" in watched.stderr
    cancel = jobforge("jobs", "cancel", job, "--endpoint-url", url, env=env_of(BOB))
    assert cancel.returncode == 1 and "HTTP 404" in cancel.stderr
