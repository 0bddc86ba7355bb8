"""``GET /_jobforge/jobs/<id>`` and ``GET /_jobforge/jobs`` over HTTP, for the job kinds of every
service: done/total in the service's unit, its status words, rate, times; list filters and pages."""

from __future__ import annotations

import uuid

import httpx

from tests.cli.helpers import generation_job, import_job, location_job, progress, wait_terminal
from tests.location.fixtures import cases_table
from tests.support import JobforgeServer, client


def test_world_generation_and_export_count_worlds(server: JobforgeServer) -> None:
    arn = generation_job(server, 1, 2)
    job_id = arn.rsplit("/", 1)[1]
    doc = wait_terminal(server, arn)
    assert doc["id"] == job_id and doc["arn"] == arn and doc["service"] == "robomaker"
    assert (doc["type"], doc["status"], doc["outcome"]) == ("WorldGenerationJob", "Completed", "succeeded")
    assert (doc["done"], doc["total"], doc["unit"], doc["fraction"]) == (2, 2, "worlds", 1.0)
    assert doc["ratePerSecond"] > 0 and doc["etaSeconds"] is None and doc["cancel"] is None
    assert doc["createdAt"] <= doc["startedAt"] <= doc["endedAt"]
    assert progress(server, job_id).json() == progress(server, arn).json()  # by id or by ARN

    robomaker = client("robomaker", server.url)
    worlds = robomaker.describe_world_generation_job(job=arn)["finishedWorldsSummary"]["succeededWorlds"]
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    (server.data_dir / "buckets" / bucket).mkdir(parents=True)
    export = robomaker.create_world_export_job(
        worlds=worlds,
        outputLocation={"s3Bucket": bucket, "s3Prefix": "p"},
        iamRole="arn:aws:iam::000000000000:role/WorldExport",
    )
    running = progress(server, export["arn"]).json()
    assert running["cancel"] == {"operation": "CancelWorldExportJob", "parameters": {"job": export["arn"]}}
    doc = wait_terminal(server, export["arn"])
    assert (doc["type"], doc["status"], doc["done"], doc["total"], doc["unit"]) == (
        "WorldExportJob",
        "Completed",
        2,
        2,
        "worlds",
    )


def test_validate_address_counts_rows(server: JobforgeServer) -> None:
    job_id, _ = location_job(server)
    doc = wait_terminal(server, job_id)
    rows = cases_table().num_rows
    assert (doc["service"], doc["type"], doc["status"]) == ("location", "ValidateAddress", "Completed")
    assert (doc["done"], doc["total"], doc["unit"]) == (rows, rows, "rows")
    assert doc["arn"] == client("location", server.url).get_job(JobId=job_id)["JobArn"]


def test_a_failed_job_says_why(server: JobforgeServer) -> None:
    job_id, _ = location_job(server, input_bucket=f"missing-{uuid.uuid4().hex[:8]}")
    doc = wait_terminal(server, job_id)
    assert (doc["status"], doc["outcome"], doc["failureCode"]) == ("Failed", "failed", "ValidationError")
    assert "does not exist" in doc["failureReason"]
    assert doc["done"] is None and doc["total"] is None  # it never read its input


def test_data_exchange_jobs_count_assets(server: JobforgeServer) -> None:
    source = f"cli-{uuid.uuid4().hex[:8]}"
    for key in ("a.csv", "b.csv", "c.csv"):
        path = server.data_dir / "buckets" / source / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.encode() * 1000)
    dx, job = import_job(server, source, ["a.csv", "b.csv", "c.csv"])
    waiting = progress(server, job["Id"]).json()
    assert (waiting["status"], waiting["done"], waiting["total"], waiting["unit"]) == (
        "WAITING",
        0,
        3,
        "assets",
    )
    assert waiting["cancel"] == {"operation": "CancelJob", "parameters": {"JobId": job["Id"]}}
    dx.start_job(JobId=job["Id"])
    doc = wait_terminal(server, job["Arn"])
    assert (doc["type"], doc["status"], doc["done"], doc["total"]) == (
        "IMPORT_ASSETS_FROM_S3",
        "COMPLETED",
        3,
        3,
    )

    details = job["Details"]["ImportAssetsFromS3"]
    data_set, revision = details["DataSetId"], details["RevisionId"]
    assets = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"]
    target = f"cli-{uuid.uuid4().hex[:8]}"
    (server.data_dir / "buckets" / target).mkdir(parents=True)
    export = dx.create_job(
        Type="EXPORT_ASSETS_TO_S3",
        Details={
            "ExportAssetsToS3": {
                "DataSetId": data_set,
                "RevisionId": revision,
                "AssetDestinations": [{"AssetId": a["Id"], "Bucket": target} for a in assets[:2]],
            }
        },
    )
    dx.start_job(JobId=export["Id"])
    doc = wait_terminal(server, export["Id"])
    assert (doc["type"], doc["status"], doc["done"], doc["total"]) == (
        "EXPORT_ASSETS_TO_S3",
        "COMPLETED",
        2,
        2,
    )


def test_the_list_filters_by_service_and_status_and_pages(server: JobforgeServer) -> None:
    job_id, _ = location_job(server)
    wait_terminal(server, job_id)
    wait_terminal(server, generation_job(server, 1, 1))

    def listed(**query: str | int) -> dict:
        response = httpx.get(f"{server.url}/_jobforge/jobs", params=query, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    located = listed(service="location")["jobs"]
    assert located and {doc["service"] for doc in located} == {"location"}
    assert job_id in [doc["id"] for doc in located]
    completed = listed(service="robomaker", status="Completed")["jobs"]
    assert completed and {doc["status"] for doc in completed} == {"Completed"}
    by_state = listed(status="SUCCEEDED")["jobs"]  # an engine state spans the services' words
    assert {doc["outcome"] for doc in by_state} == {"succeeded"} and len(
        {d["service"] for d in by_state}
    ) >= 2

    everything = listed()["jobs"]
    created = [doc["createdAt"] for doc in everything]
    assert created == sorted(created, reverse=True)  # newest first
    first = listed(maxResults=1)
    assert len(first["jobs"]) == 1 and first["nextToken"]
    second = listed(maxResults=1, nextToken=first["nextToken"])
    assert [doc["id"] for doc in first["jobs"] + second["jobs"]] == [doc["id"] for doc in everything[:2]]

    for query, message in (
        ({"service": "s4"}, "unknown service"),
        ({"service": "location", "status": "Sleeping"}, "status"),
        ({"maxResults": 0}, "maxResults"),
        ({"maxResults": "many"}, "maxResults"),
        ({"nextToken": "forged.token"}, "nextToken"),
        ({"service": "robomaker", "nextToken": first["nextToken"]}, "nextToken"),  # another listing's
    ):
        response = httpx.get(f"{server.url}/_jobforge/jobs", params=query, timeout=10)
        assert response.status_code == 400 and message in response.json()["message"], (query, response.text)


def test_unknown_jobs_are_404(server: JobforgeServer) -> None:
    for ref in ("no-such-job", "arn:aws:geo:us-east-1:000000000000:job/none"):
        response = progress(server, ref)
        assert response.status_code == 404 and response.json()["error"] == "NotFound"
    assert httpx.get(f"{server.url}/_jobforge/jobsx", timeout=10).status_code == 404
