"""SigV4 enforcement, durability across kill -9, and restart recovery of running jobs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from tests.robomaker.samples import MINIMAL_BODY
from tests.support import JobforgeServer, client

BODY = MINIMAL_BODY


def test_sigv4_mode(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"AKIDSIGNED": {"secret": "right-secret", "account": "123456789012"}}))
    server = JobforgeServer(
        tmp_path / "data", "--auth", "sigv4", "--credentials-file", str(credentials)
    ).start()
    try:
        good = client("robomaker", server.url, access_key="AKIDSIGNED", secret_key="right-secret")
        arn = good.create_world_template(templateBody=BODY)["arn"]
        assert ":123456789012:" in arn
        cases = [
            (
                client("robomaker", server.url, access_key="AKIDSIGNED", secret_key="wrong"),
                "InvalidSignatureException",
            ),
            (
                client("robomaker", server.url, access_key="AKIDUNKNOWN", secret_key="x"),
                "UnrecognizedClientException",
            ),
            (
                client("robomaker", server.url, signature_version=UNSIGNED),
                "MissingAuthenticationTokenException",
            ),
        ]
        for bad, code in cases:
            with pytest.raises(ClientError) as info:
                bad.describe_world_template(template=arn)
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
            assert info.value.response["Error"]["Code"] == code
    finally:
        server.stop()


def test_data_survives_kill_9(fresh_server: JobforgeServer) -> None:
    fresh_server.start()
    robomaker = client("robomaker", fresh_server.url)
    arns = [robomaker.create_world_template(name=f"t{i}", templateBody=BODY)["arn"] for i in range(20)]
    robomaker.tag_resource(resourceArn=arns[0], tags={"k": "v"})
    fresh_server.kill()
    fresh_server.start()
    robomaker = client("robomaker", fresh_server.url)
    listed = [
        t["arn"]
        for t in robomaker.get_paginator("list_world_templates")
        .paginate()
        .build_full_result()["templateSummaries"]
    ]
    assert listed == arns
    assert robomaker.list_tags_for_resource(resourceArn=arns[0])["tags"] == {"k": "v"}
    assert robomaker.get_world_template_body(template=arns[-1])["templateBody"] == BODY


def diagnostic(server: JobforgeServer, job_id: str) -> dict:
    return httpx.get(f"{server.url}/_jobforge/control/diagnostic-job/{job_id}", timeout=5).json()


def test_running_job_does_not_stay_running_after_kill(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data", env={"JOBFORGE_DIAGNOSTIC_JOBS": "1"}).start()
    try:
        job_id = server.control("diagnostic-job", seconds=120)["jobId"]
        deadline = time.monotonic() + 10
        while diagnostic(server, job_id)["state"] != "RUNNING" or not diagnostic(server, job_id)["progress"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.kill()
        server.start()
        deadline = time.monotonic() + 10
        while (state := diagnostic(server, job_id))["state"] == "RUNNING":
            assert time.monotonic() < deadline, "the interrupted job stayed RUNNING"
            time.sleep(0.1)
        assert state["state"] == "FAILED"
        assert state["failureCode"] == "InternalServiceError" and "interrupted" in state["failureReason"]
        # and the restarted server still runs new jobs
        done_id = server.control("diagnostic-job", seconds=0.3)["jobId"]
        deadline = time.monotonic() + 10
        while diagnostic(server, done_id)["state"] != "SUCCEEDED":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        server.stop()


def test_control_api_step_and_forced_failure(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data", env={"JOBFORGE_DIAGNOSTIC_JOBS": "1"}).start()
    try:
        server.control("pace", pace="step")
        job_id = server.control("diagnostic-job", seconds=0.2)["jobId"]
        time.sleep(0.5)
        assert diagnostic(server, job_id)["state"] == "PENDING"
        server.control("advance", jobId=job_id, steps=100)
        deadline = time.monotonic() + 10
        while diagnostic(server, job_id)["state"] != "SUCCEEDED":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.control("pace", pace="instant")
        server.control("fail", target="jobforge.diagnostic", failureCode="LimitExceeded", reason="forced")
        failed_id = server.control("diagnostic-job", seconds=5)["jobId"]
        deadline = time.monotonic() + 10
        while (state := diagnostic(server, failed_id))["state"] != "FAILED":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert (state["failureCode"], state["failureReason"]) == ("LimitExceeded", "forced")
    finally:
        server.stop()
