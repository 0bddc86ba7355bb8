"""World generation jobs and worlds through boto3 against a running server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.robomaker.samples import SIX_ROOMS_V2, sample_body
from tests.support import JobforgeServer, client


def bodies() -> dict[str, str]:
    from tests.robomaker.samples import SAMPLE_TEMPLATES

    found = {name: json.dumps(body) for name, body in SAMPLE_TEMPLATES.items()}
    found["SixRoomsV2"] = json.dumps(SIX_ROOMS_V2)
    return found


def wait_for_job(
    robomaker,
    arn: str,
    done: tuple[str, ...] = ("Completed", "Failed", "PartialFailed", "Canceled"),
    timeout: float = 180,
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = robomaker.describe_world_generation_job(job=arn)
        if job["status"] in done:
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def generated(server: JobforgeServer) -> dict[str, dict]:
    """Each sample template and a six-room V2 template, 2 floorplans x 2 interiors."""
    robomaker = client("robomaker", server.url, access_key="100000000001")
    jobs = {}
    for name, body in bodies().items():
        template = robomaker.create_world_template(name=name, templateBody=body)["arn"]
        jobs[name] = robomaker.create_world_generation_job(
            template=template,
            worldCount={"floorplanCount": 2, "interiorCountPerFloorplan": 2},
            tags={"job": name},
            worldTags={"world-of": name},
        )
        if len(jobs) % 3 == 0:  # stay within the 3 concurrent jobs quota
            for started in list(jobs.values())[-3:]:
                wait_for_job(robomaker, started["arn"])
    return {name: wait_for_job(robomaker, job["arn"]) for name, job in jobs.items()}


def test_every_template_generates_four_good_worlds(
    server: JobforgeServer, generated: dict[str, dict]
) -> None:
    robomaker = client("robomaker", server.url, access_key="100000000001")
    for name, job in generated.items():
        assert job["status"] == "Completed", (name, job.get("failureReason"), job["finishedWorldsSummary"])
        summary = job["finishedWorldsSummary"]
        assert summary["finishedCount"] == 4 and len(summary["succeededWorlds"]) == 4
        assert job["tags"] == {"job": name} and job["worldTags"] == {"world-of": name}
        job_id = job["arn"].rsplit("/", 1)[1]
        descriptions = set()
        for arn in summary["succeededWorlds"]:
            assert arn.split("/", 1)[1].startswith(f"generation_{job_id}_world_")
            world = robomaker.describe_world(world=arn)
            assert world["generationJob"] == job["arn"] and world["tags"] == {"world-of": name}
            body = httpx.get(f"{server.url}/_jobforge/worlds/description", params={"arn": arn}).text
            version = json.loads(bodies()[name]).get("Version", "1")
            assert world.get("worldDescriptionBody") == (body if version == "2" else None)
            description = json.loads(body)
            assert description["rooms"] and description["templateVersion"] == version
            descriptions.add(body)
            quality = httpx.get(f"{server.url}/_jobforge/worlds/quality", params={"arn": arn}).json()
            assert quality["passed"], (name, arn, quality)
            preview = httpx.get(f"{server.url}/_jobforge/worlds/preview.png", params={"arn": arn})
            assert (
                preview.headers["content-type"] == "image/png" and preview.content[:8] == b"\x89PNG\r\n\x1a\n"
            )
        assert len(descriptions) == 4  # four distinct worlds


@pytest.mark.parametrize(
    ("body", "rooms"),
    [
        ("{}", [("Living", "My Living Room"), ("Bedroom", "My Bedroom")]),
        ('{"Version": "2"}', [("Living", "My_Living_Room")]),
    ],
)
def test_default_rooms_are_generated_and_reported(server: JobforgeServer, body: str, rooms: list) -> None:
    """A template without Rooms gets the schema's default rooms, and the quality report says so."""
    robomaker = client("robomaker", server.url, access_key="100000000002")
    template = robomaker.create_world_template(templateBody=body)["arn"]
    job = robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )
    done = wait_for_job(robomaker, job["arn"])
    assert done["status"] == "Completed", done
    (arn,) = done["finishedWorldsSummary"]["succeededWorlds"]
    quality = httpx.get(f"{server.url}/_jobforge/worlds/quality", params={"arn": arn}).json()
    assert [(r["type"], r["name"]) for r in quality["rooms"]] == rooms
    assert quality["template_defaults"] == ["Buildings"]
    assert all(r["requested_area"] == 20 and r["requested_aspect"] == 1 for r in quality["rooms"])
    assert quality["passed"], quality["failures"]


def test_lists_filters_and_body_snapshot(server: JobforgeServer, generated: dict[str, dict]) -> None:
    robomaker = client("robomaker", server.url, access_key="100000000001")
    job = generated["SixRoomsV2"]
    template_id = job["template"].rsplit("/", 1)[1]
    by_template = robomaker.list_world_generation_jobs(
        filters=[{"name": "templateId", "values": [template_id]}]
    )
    assert [s["arn"] for s in by_template["worldGenerationJobSummaries"]] == [job["arn"]]
    summary = by_template["worldGenerationJobSummaries"][0]
    assert summary["succeededWorldCount"] == 4 and summary["failedWorldCount"] == 0
    completed = robomaker.list_world_generation_jobs(filters=[{"name": "status", "values": ["Completed"]}])
    assert {s["arn"] for s in completed["worldGenerationJobSummaries"]} == {
        j["arn"] for j in generated.values()
    }
    assert (
        robomaker.list_world_generation_jobs(filters=[{"name": "status", "values": ["Running"]}])[
            "worldGenerationJobSummaries"
        ]
        == []
    )
    worlds = robomaker.list_worlds(
        filters=[{"name": "generationJobId", "values": [job["arn"].rsplit("/", 1)[1]]}]
    )["worldSummaries"]
    assert sorted(w["arn"] for w in worlds) == sorted(job["finishedWorldsSummary"]["succeededWorlds"])
    all_worlds = robomaker.get_paginator("list_worlds").paginate(PaginationConfig={"PageSize": 5})
    assert len(all_worlds.build_full_result()["worldSummaries"]) == 4 * len(generated)
    assert robomaker.get_world_template_body(generationJob=job["arn"])["templateBody"] == json.dumps(
        SIX_ROOMS_V2
    )
    assert robomaker.list_tags_for_resource(resourceArn=job["arn"])["tags"] == {"job": "SixRoomsV2"}


def test_batch_delete_worlds(server: JobforgeServer, generated: dict[str, dict]) -> None:
    robomaker = client("robomaker", server.url, access_key="100000000001")
    arns = generated["OneRoom"]["finishedWorldsSummary"]["succeededWorlds"][:2]
    missing = arns[0].replace("_world_", "_world_9")
    result = robomaker.batch_delete_worlds(worlds=[*arns, missing])
    assert result["unprocessedWorlds"] == [missing]
    for arn in arns:
        with pytest.raises(ClientError) as info:
            robomaker.describe_world(world=arn)
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_batch_delete_a_world_listed_twice(server: JobforgeServer) -> None:
    """Deleted once and not reported unprocessed (which tells a client to retry it forever)."""
    robomaker = client("robomaker", server.url, access_key="100000000019")
    template = robomaker.create_world_template(templateBody=sample_body("OneRoom"))["arn"]
    job = robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )
    [world] = wait_for_job(robomaker, job["arn"])["finishedWorldsSummary"]["succeededWorlds"]
    missing = world.replace("_world_1", "_world_2")
    result = robomaker.batch_delete_worlds(worlds=[world, missing, world, missing])
    assert result["unprocessedWorlds"] == [missing]
    with pytest.raises(ClientError) as info:
        robomaker.describe_world(world=world)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_bad_requests(server: JobforgeServer) -> None:
    robomaker = client("robomaker", server.url, access_key="100000000002")
    template = robomaker.create_world_template(templateBody=sample_body("OneBedroomHouse"))["arn"]
    for count in (
        {"floorplanCount": 0, "interiorCountPerFloorplan": 1},
        {"floorplanCount": 6, "interiorCountPerFloorplan": 9},
    ):
        with pytest.raises(ClientError) as info:
            robomaker.create_world_generation_job(template=template, worldCount=count)
        assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        robomaker.create_world_generation_job(
            template=template.replace("template-", "template-x"),
            worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1},
        )
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        robomaker.describe_world_generation_job(
            job=template.replace("world-template/template-", "world-generation-job/")
        )
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_quota_idempotency_and_cancel(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data", "--pace", "step").start()
    try:
        robomaker = client("robomaker", server.url)
        template = robomaker.create_world_template(templateBody=sample_body("OneBedroomHouse"))["arn"]
        count = {"floorplanCount": 5, "interiorCountPerFloorplan": 10}
        first = robomaker.create_world_generation_job(
            template=template, worldCount=count, clientRequestToken="t1"
        )
        again = robomaker.create_world_generation_job(
            template=template, worldCount=count, clientRequestToken="t1"
        )
        assert again["arn"] == first["arn"]
        with pytest.raises(ClientError) as info:
            robomaker.create_world_generation_job(
                template=template,
                worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1},
                clientRequestToken="t1",
            )
        assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
        for _ in range(2):
            robomaker.create_world_generation_job(template=template, worldCount=count)
        with pytest.raises(ClientError) as info:
            robomaker.create_world_generation_job(template=template, worldCount=count)
        assert info.value.response["Error"]["Code"] == "LimitExceededException"
        # let the 50-world job run, then cancel it mid-way
        server.control("pace", pace="instant")
        deadline = time.monotonic() + 60
        while (
            robomaker.describe_world_generation_job(job=first["arn"])["finishedWorldsSummary"][
                "finishedCount"
            ]
            < 2
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        robomaker.cancel_world_generation_job(job=first["arn"])
        started = time.monotonic()
        job = wait_for_job(robomaker, first["arn"], ("Canceled",), timeout=10)
        assert time.monotonic() - started < 5
        finished = job["finishedWorldsSummary"]
        assert 2 <= len(finished["succeededWorlds"]) < 50
        worlds = robomaker.list_worlds(
            filters=[{"name": "generationJobId", "values": [first["arn"].rsplit("/", 1)[1]]}]
        )
        assert sorted(w["arn"] for w in worlds["worldSummaries"]) == sorted(finished["succeededWorlds"])
        with pytest.raises(ClientError):
            robomaker.cancel_world_generation_job(job=first["arn"])  # already ended
    finally:
        server.stop()


def test_generation_resumes_after_kill(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data").start()
    try:
        robomaker = client("robomaker", server.url)
        template = robomaker.create_world_template(templateBody=sample_body("OneBedroomHouse"))["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 4, "interiorCountPerFloorplan": 5}
        )
        deadline = time.monotonic() + 60
        while (
            robomaker.describe_world_generation_job(job=job["arn"])["finishedWorldsSummary"]["finishedCount"]
            < 3
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.kill()
        server.start()
        robomaker = client("robomaker", server.url)
        done = wait_for_job(robomaker, job["arn"])
        assert done["status"] == "Completed"
        worlds = done["finishedWorldsSummary"]["succeededWorlds"]
        assert len(worlds) == 20 and len(set(worlds)) == 20
        assert [arn.rsplit("_", 1)[1] for arn in worlds] == [str(n) for n in range(1, 21)]  # world order
        listed = robomaker.list_worlds(
            filters=[{"name": "generationJobId", "values": [job["arn"].rsplit("/", 1)[1]]}]
        )
        assert len(listed["worldSummaries"]) == 20
    finally:
        server.stop()


def test_the_control_api_forces_only_failure_codes_of_the_model(tmp_path: Path) -> None:
    """POST /_jobforge/control/fail takes a code of the target's WorldGenerationJobErrorCode or
    WorldExportJobErrorCode (by kind or job id); any other is a 400 and nothing is forced."""
    server = JobforgeServer(tmp_path / "data", "--pace", "step").start()
    try:
        robomaker = client("robomaker", server.url)
        template = robomaker.create_world_template(templateBody=sample_body("OneRoom"))["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )["arn"]
        job_id = job.rsplit("/", 1)[1]
        fail = f"{server.url}/_jobforge/control/fail"
        for target, code, kind in (
            (job_id, "NotACode", "world-generation"),
            ("robomaker.world-generation", "AccessDenied", "world-generation"),  # an export code
            ("robomaker.world-export", "AllWorldGenerationFailed", "world-export"),  # a generation code
        ):
            refused = httpx.post(fail, json={"target": target, "failureCode": code})
            assert refused.status_code == 400, refused.text
            assert refused.json()["message"].startswith(
                f"'failureCode' {code!r} is not a failure code of robomaker.{kind} jobs; use one of "
            )
        assert httpx.get(f"{server.url}/_jobforge/control").json()["forcedFailures"] == {}
        server.control("fail", target=job_id, failureCode="RequestThrottled", reason="forced by the test")
        server.control("advance", jobId=job_id, steps=5)
        failed = wait_for_job(robomaker, job)
        assert (failed["status"], failed["failureCode"]) == ("Failed", "RequestThrottled")
        assert failed["failureReason"] == "forced by the test"
    finally:
        server.stop()
