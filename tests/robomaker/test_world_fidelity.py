"""AWS fidelity of generated worlds through boto3: which worlds carry ``worldDescriptionBody``, and
``succeededWorlds`` in world order."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from jobforge.services.robomaker.generation import finished_worlds_summary
from jobforge.services.robomaker.generation_job import world_number
from jobforge.services.robomaker.worlds import world_template_version
from jobforge.storage import LocalObjectStore
from tests.robomaker.samples import MINIMAL_BODY, floorplan_body, shaped_room
from tests.robomaker.test_world_generation import wait_for_job
from tests.support import JobforgeServer, client

V2_BODY = floorplan_body([shaped_room("Living", "Living", 20, 1, 1)], [])


def generate(robomaker, body: str) -> dict:
    template = robomaker.create_world_template(templateBody=body)["arn"]
    job = robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )
    done = wait_for_job(robomaker, job["arn"])
    assert done["status"] == "Completed", done
    return done


def description(server: JobforgeServer, arn: str) -> httpx.Response:
    return httpx.get(f"{server.url}/_jobforge/worlds/description", params={"arn": arn}, timeout=10)


@pytest.mark.parametrize(("body", "version"), [(MINIMAL_BODY, "1"), (V2_BODY, "2")])
def test_description_body_only_for_version_2_worlds(server: JobforgeServer, body: str, version: str) -> None:
    """DescribeWorld of a Version 1 world has no worldDescriptionBody (WorldForge documented none);
    a Version 2 world has it. jobforge's own route serves the document of both."""
    robomaker = client("robomaker", server.url, access_key="100000000011")
    (arn,) = generate(robomaker, body)["finishedWorldsSummary"]["succeededWorlds"]
    raw: list[bytes] = []
    robomaker.meta.events.register(
        "after-call.robomaker.DescribeWorld", lambda http_response, **_: raw.append(http_response.content)
    )
    world = robomaker.describe_world(world=arn)
    served = description(server, arn)
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    document = served.json()
    assert document["templateVersion"] == version and document["worldId"] == arn.rsplit("/", 1)[1]
    on_wire = json.loads(raw[0])
    assert ("worldDescriptionBody" in on_wire) == (version == "2")  # absent, not null
    if version == "1":
        assert "worldDescriptionBody" not in world
    else:
        assert json.loads(world["worldDescriptionBody"]) == document


def test_export_of_a_version_1_world_keeps_its_description(server: JobforgeServer) -> None:
    """The export still embeds world_description.json for a world DescribeWorld gives none."""
    robomaker = client("robomaker", server.url, access_key="100000000011")
    client("s3", server.url, access_key="100000000011").create_bucket(Bucket="fidelity-exports")
    (arn,) = generate(robomaker, MINIMAL_BODY)["finishedWorldsSummary"]["succeededWorlds"]
    export = robomaker.create_world_export_job(
        worlds=[arn],
        outputLocation={"s3Bucket": "fidelity-exports", "s3Prefix": "v1"},
        iamRole="arn:aws:iam::100000000011:role/export",
    )
    deadline = time.monotonic() + 60
    while (job := robomaker.describe_world_export_job(job=export["arn"]))["status"] in ("Pending", "Running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["status"] == "Completed", job
    key = f"v1/aws-robomaker-worldforge-export-{export['arn'].rsplit('/export-', 1)[1]}.zip"
    data = LocalObjectStore(server.data_dir).get_bytes("fidelity-exports", key)
    world_id = arn.rsplit("/", 1)[1]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(f"/{world_id}/world_description.json")]
        assert json.loads(archive.read(name)) == description(server, arn).json()


def test_description_route_refuses_other_resources(server: JobforgeServer) -> None:
    missing = "arn:aws:robomaker:us-east-1:100000000011:world/generation_nope_world_1"
    assert description(server, missing).status_code == 404
    template = "arn:aws:robomaker:us-east-1:100000000011:world-template/template-x"
    assert description(server, template).status_code == 400


def test_succeeded_worlds_in_world_order(tmp_path: Path) -> None:
    """Worlds built three at a time finish out of order (the printed completion order: the 6-room
    hub of bench/generation.py takes 0.45 to 0.95 s a world); succeededWorlds stays in world order
    while the job runs and at its end (after a kill -9 and resume too: test_world_generation.py)."""
    server = JobforgeServer(tmp_path / "data", env={"JOBFORGE_CPU_WORKERS": "3"}).start()
    try:
        robomaker = client("robomaker", server.url)
        kinds = ["Living", "Kitchen", "Bedroom", "Bathroom", "Dining", "Hallway"]
        names = [f"{kind} {i}" for i, kind in enumerate(kinds)]
        areas = [30, 14, 18, 10, 14, 10]
        rooms = [shaped_room(k, n, a, 1, 1.3) for k, n, a in zip(kinds, names, areas, strict=True)]
        hub = [{"Location": [names[0], other], "ConnectionType": "Doorway"} for other in names[1:]]
        template = robomaker.create_world_template(templateBody=floorplan_body(rooms, hub, (1.4, 1)))["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 6, "interiorCountPerFloorplan": 1}
        )
        seen: list[list[str]] = [[]]
        deadline = time.monotonic() + 60
        while len(seen[-1]) < 6:
            assert time.monotonic() < deadline, seen[-1]
            time.sleep(0.05)
            summary = robomaker.describe_world_generation_job(job=job["arn"])["finishedWorldsSummary"]
            seen.append(summary["succeededWorlds"])
        done = wait_for_job(robomaker, job["arn"])
        assert done["status"] == "Completed", done
        worlds = done["finishedWorldsSummary"]["succeededWorlds"]
        job_id = job["arn"].rsplit("/", 1)[1]
        assert [arn.rsplit("/", 1)[1] for arn in worlds] == [
            f"generation_{job_id}_world_{n}" for n in range(1, 7)
        ]
        for partial in seen:
            assert partial == sorted(partial, key=world_number)
        listed = robomaker.list_worlds(filters=[{"name": "generationJobId", "values": [job_id]}])
        completion = [w["arn"] for w in sorted(listed["worldSummaries"], key=lambda w: w["createdAt"])]
        print("completion order:", [world_number(arn) for arn in completion])
        assert sorted(completion) == sorted(worlds)
    finally:
        server.stop()


def test_summary_of_a_job_stored_in_completion_order() -> None:
    """A job whose result lists worlds as they finished (stored by an earlier jobforge) is described
    in world order: the first succeeded world, an export's default, does not depend on timing."""
    arns = [f"arn:aws:robomaker:us-east-1:000000000000:world/generation_j_world_{n}" for n in (3, 10, 1, 2)]
    job = SimpleNamespace(result={"summary": {"succeeded": arns, "failures": {}, "finished": arns}})
    summary = finished_worlds_summary(job)  # type: ignore[arg-type]
    assert [world_number(arn) for arn in summary["succeededWorlds"]] == [1, 2, 3, 10]
    assert summary["finishedCount"] == 4


def test_worlds_stored_before_the_version_was_recorded() -> None:
    """A world stored without ``templateVersion`` takes it from its description document."""
    v2 = json.dumps({"templateVersion": "2", "rooms": []})
    assert world_template_version({"worldDescriptionBody": v2}) == "2"
    assert world_template_version({"worldDescriptionBody": json.dumps({"rooms": []})}) == "1"
    assert world_template_version({"templateVersion": "1", "worldDescriptionBody": v2}) == "1"
