"""Jobs on the Celery executor across two API nodes and two workers, all real processes: the
pieces of one job spread over both workers, a killed worker's job still completes, a cancel
through the other API node stops the pieces, quotas hold across API nodes, a job task delivered
twice runs its job once, a Data Exchange job started through the other node runs on a worker.
The killing test runs last (it leaves one worker)."""

from __future__ import annotations

import io
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import redis
from botocore.exceptions import ClientError
from sqlalchemy import select

from jobforge.engine import JobEngine
from jobforge.engine.celery_app import JOB_TASK, JOBS_QUEUE, PIECE_TASK, CeleryConfig, make_app
from jobforge.engine.db import jobs, resources
from jobforge.services.location.pieces import split_row_groups
from jobforge.storage import LocalObjectStore
from tests.distributed.cluster import Worker
from tests.distributed.conftest import SPLIT_BYTES, VISIBILITY_TIMEOUT, Cluster
from tests.location.fixtures import cases_table, import_reference, parquet_bytes
from tests.location.helpers import s3_output, start, wait_job, whole_file_part
from tests.location.test_split import FEATURES, big_input
from tests.robomaker.samples import MINIMAL_BODY, sample_body
from tests.support import client, eventually

ENDED = {"Completed", "Failed", "PartialFailed", "Canceled"}
EXPORT_ROLE = "arn:aws:iam::000000000000:role/worldforge-export"


def robomaker(cluster: Cluster, node: int, region: str = "us-east-1") -> Any:
    return client("robomaker", cluster.apis[node].url, region=region)


def generate(api: Any, body: str, worlds: int) -> str:
    template = api.create_world_template(templateBody=body)["arn"]
    count = {"floorplanCount": worlds, "interiorCountPerFloorplan": 1}
    return str(api.create_world_generation_job(template=template, worldCount=count)["arn"])


def wait_status(api: Any, arn: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.describe_world_generation_job(job=arn)
        if job["status"] in statuses or time.monotonic() > deadline:
            assert job["status"] in statuses, job
            return dict(job)
        time.sleep(0.1)


def record(cluster: Cluster, arn: str) -> dict[str, Any]:
    """The job's row in the shared database."""
    with cluster.db.connect() as conn:
        return dict(conn.execute(select(jobs).where(jobs.c.arn == arn)).one()._mapping)


def world_ids(cluster: Cluster, arn: str) -> list[str]:
    job_id = arn.rsplit("/", 1)[1]
    query = select(resources.c.resource_id).where(
        resources.c.kind == "world", resources.c.parent_id == job_id
    )
    with cluster.db.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def expected_worlds(arn: str, count: int) -> list[str]:
    job_id = arn.rsplit("/", 1)[1]
    return sorted(f"generation_{job_id}_world_{n}" for n in range(1, count + 1))


def claimed(worker: Worker, arn: str) -> bool:
    """Whether ``worker`` claimed the job (its log says so)."""
    return any("job claimed" in line and arn in line for line in worker.log().splitlines())


def celery(cluster: Cluster) -> Any:
    return make_app(CeleryConfig(cluster.redis.url, cluster.redis.url, VISIBILITY_TIMEOUT))


def pieces_at_work(cluster: Cluster) -> int:
    """Piece tasks the workers run or hold, as they answer Celery's inspect (``safe``: the
    arguments as text; a piece's pickled partial cannot go into the JSON answer)."""
    inspect = celery(cluster).control.inspect(timeout=1)
    answers = [inspect.active(safe=True) or {}, inspect.reserved(safe=True) or {}]
    if any(len(answer) < 2 * len(cluster.workers) for answer in answers):
        return -1  # a worker did not answer in time (each runs a pieces node and a jobs node)
    busy = [task for answer in answers for tasks in answer.values() for task in tasks]
    return sum(1 for task in busy if task["name"] == PIECE_TASK)


def test_a_generation_spreads_over_both_workers(cluster: Cluster) -> None:
    api = robomaker(cluster, 0)
    arn = generate(api, MINIMAL_BODY, 20)
    job = wait_status(robomaker(cluster, 1), arn, ENDED)
    assert job["status"] == "Completed" and job["finishedWorldsSummary"]["finishedCount"] == 20
    assert sorted(world_ids(cluster, arn)) == expected_worlds(arn, 20)
    ran_on = record(cluster, arn)["progress"]["workers"]
    assert set(ran_on) == {f"pieces@{worker.name}" for worker in cluster.workers}, ran_on
    assert sum(ran_on.values()) == 20
    assert redis.Redis.from_url(cluster.redis.url).keys("celery-task-meta-*") == []  # results collected


def test_a_cancel_through_the_other_api_node_stops_the_pieces(cluster: Cluster) -> None:
    arn = generate(robomaker(cluster, 0), sample_body("SixRoomsV2"), 50)
    other = robomaker(cluster, 1)
    assert eventually(lambda: len(world_ids(cluster, arn)) >= 2, 30, interval=0.05)
    asked = time.monotonic()
    other.cancel_world_generation_job(job=arn)
    job = wait_status(other, arn, ENDED, timeout=10)
    assert job["status"] == "Canceled" and time.monotonic() - asked < 5
    made = len(world_ids(cluster, arn))
    assert made < 50

    assert eventually(lambda: pieces_at_work(cluster) == 0, 10, interval=0.5), "pieces still run"
    time.sleep(1)
    assert len(world_ids(cluster, arn)) == made  # no world stored after the cancel


def test_a_cancel_terminates_pieces_running_on_the_workers(cluster: Cluster) -> None:
    """Two pieces of a minute each, one on each worker: a cancel ends them within seconds."""
    job_id = cluster.apis[1].control("diagnostic-job", seconds=60, pieces=2)["jobId"]
    arn = f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{job_id}"
    assert eventually(lambda: pieces_at_work(cluster) == 2, 30, interval=0.2), "the pieces never started"
    engine = JobEngine(cluster.database_url, single_node=False)  # the test's view of the database
    try:
        engine.jobs.request_cancel(engine.jobs.load(record(cluster, arn)["pk"]))
    finally:
        engine.db.dispose()
    asked = time.monotonic()
    assert eventually(lambda: record(cluster, arn)["state"] == "CANCELED", 10, interval=0.05)
    assert eventually(lambda: pieces_at_work(cluster) == 0, 10, interval=0.2), "pieces still run"
    assert time.monotonic() - asked < 8


def test_the_generation_quota_holds_across_api_nodes(cluster: Cluster) -> None:
    region = "eu-west-1"  # a quota of its own
    nodes = [robomaker(cluster, n % 2, region) for n in range(6)]
    body = sample_body("SixRoomsV2")
    templates = [api.create_world_template(templateBody=body)["arn"] for api in nodes]

    def create(n: int) -> str:
        try:
            count = {"floorplanCount": 50, "interiorCountPerFloorplan": 1}
            return str(nodes[n].create_world_generation_job(template=templates[n], worldCount=count)["arn"])
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(create, range(6)))
    created = [outcome for outcome in outcomes if outcome.startswith("arn:")]
    assert len(created) == 3 and outcomes.count("LimitExceededException") == 3, outcomes
    for n, arn in enumerate(created):
        nodes[n].cancel_world_generation_job(job=arn)
    for arn in created:
        wait_status(nodes[0], arn, {"Canceled", "Completed"}, timeout=15)


def test_a_job_task_delivered_twice_runs_the_job_once(cluster: Cluster) -> None:
    api = cluster.apis[0]
    job_id = api.control("diagnostic-job", seconds=1.5)["jobId"]
    arn = f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{job_id}"
    assert eventually(lambda: record(cluster, arn)["state"] == "RUNNING", 20, interval=0.05)
    app = celery(cluster)
    pk = record(cluster, arn)["pk"]
    for _ in range(2):  # delivered again while it runs
        app.send_task(JOB_TASK, args=[pk], queue=JOBS_QUEUE)
    assert eventually(lambda: record(cluster, arn)["state"] == "SUCCEEDED", 20, interval=0.05)
    app.send_task(JOB_TASK, args=[pk], queue=JOBS_QUEUE)  # and once it is over
    time.sleep(1)
    done = record(cluster, arn)
    assert done["state"] == "SUCCEEDED" and done["attempt"] == 1
    assert done["progress"] == {"steps": 15, "of": 15}
    logs = "".join(worker.log() for worker in cluster.workers)
    assert logs.count("duplicate job task dropped") >= 2


def test_the_control_api_of_either_api_node_reaches_jobs_on_the_workers(cluster: Cluster) -> None:
    """Step mode, step credits and a forced failure set through one API node or the other act on
    the jobs the workers run (the settings are the database's)."""
    first, second = cluster.apis
    first.control("pace", pace="step")
    try:
        job_id = second.control("diagnostic-job", seconds=0.3)["jobId"]  # three steps
        arn = f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{job_id}"
        time.sleep(1.5)
        assert record(cluster, arn)["state"] == "PENDING"  # its task came and was dropped
        second.control("advance", jobId=job_id, steps=2)  # its start and one step
        assert eventually(lambda: record(cluster, arn)["progress"].get("steps") == 1, 20, interval=0.05)
        time.sleep(1)
        held = record(cluster, arn)
        assert held["state"] == "RUNNING" and held["progress"] == {"steps": 1, "of": 3}
        first.control("advance", jobId=job_id, steps=2)
        assert eventually(lambda: record(cluster, arn)["state"] == "SUCCEEDED", 20, interval=0.05)
    finally:
        first.control("pace", pace="instant")
    second.control("fail", target="jobforge.diagnostic", failureCode="LimitExceeded", reason="forced")
    failed_id = first.control("diagnostic-job", seconds=5)["jobId"]
    failed_arn = f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{failed_id}"
    assert eventually(lambda: record(cluster, failed_arn)["state"] == "FAILED", 20, interval=0.05)
    failed = record(cluster, failed_arn)
    assert (failed["failure_code"], failed["failure_reason"]) == ("LimitExceeded", "forced")
    assert first.control("pace", pace="instant")["forcedFailures"] == {}


def test_a_data_exchange_job_started_through_the_other_node_runs_on_a_worker(cluster: Cluster) -> None:
    """Data Exchange StartJob (WAITING -> PENDING) sends the job's task like a creation does."""
    s3 = client("s3", cluster.apis[0].url)
    s3.create_bucket(Bucket="dx-source")
    for n in range(3):
        s3.put_object(Bucket="dx-source", Key=f"prices/{n}.csv", Body=f"day,price\n{n},1\n".encode())
    dx = [client("dataexchange", api.url) for api in cluster.apis]
    data_set = dx[0].create_data_set(AssetType="S3_SNAPSHOT", Name="prices", Description="d")["Id"]
    revision = dx[0].create_revision(DataSetId=data_set)["Id"]
    sources = [{"Bucket": "dx-source", "Key": f"prices/{n}.csv"} for n in range(3)]
    details = {"ImportAssetsFromS3": {"DataSetId": data_set, "RevisionId": revision, "AssetSources": sources}}
    job = dx[0].create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
    dx[1].start_job(JobId=job["Id"])
    assert eventually(lambda: dx[1].get_job(JobId=job["Id"])["State"] == "COMPLETED", 30, interval=0.1)
    assets = dx[0].list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"]
    assert sorted(asset["Name"] for asset in assets) == [source["Key"] for source in sources]
    assert any(claimed(worker, job["Arn"]) for worker in cluster.workers)


def test_a_location_file_split_on_the_workers_gives_the_single_node_bytes(
    cluster: Cluster, tmp_path: Path
) -> None:
    """A Location input over the split size: its row-group pieces and their merge run as piece
    tasks on the workers, and the part file is byte for byte what one process validating the
    whole file gives for this job."""
    data_dir = cluster.apis[0].data_dir
    import_reference(data_dir, tmp_path / "reference")
    s3 = client("s3", cluster.apis[0].url)
    for bucket in ("loc-cluster-in", "loc-cluster-out"):
        s3.create_bucket(Bucket=bucket)
    data = big_input()
    assert len(split_row_groups(pq.ParquetFile(io.BytesIO(data)).metadata, len(data), SPLIT_BYTES)) >= 3
    s3.put_object(Bucket="loc-cluster-in", Key="big/a.parquet", Body=data)
    location = client("location", cluster.apis[1].url)
    job_id = start(location, "s3://loc-cluster-in/big/", "s3://loc-cluster-out/out/", ActionOptions=FEATURES)[
        "JobId"
    ]
    job = wait_job(location, job_id, timeout=120)
    assert job["Status"] == "Completed", job.get("Error")
    manifest = s3_output(s3, "loc-cluster-out", "out/", job_id)[0]
    bucket, key = manifest["files"][0]["output"].removeprefix("s3://").split("/", 1)
    split = s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    reference = data_dir / "location" / "reference.sqlite"
    whole, rows = whole_file_part(data, job_id, reference, tmp_path / "whole")
    assert rows == 600 and split == whole
    progress = record(cluster, job["JobArn"])["progress"]
    assert progress["splitFiles"] == 1 and progress["pieces"] >= 3
    assert sum(progress["workers"].values()) == progress["pieces"] + 1  # the pieces and the merge


def test_a_location_cancel_stops_the_piece_a_worker_is_running(cluster: Cluster, tmp_path: Path) -> None:
    """One file of one row group (never split) is one long piece; a cancel through the other API
    node reaches it through the stop signal in the shared store, well before it would finish."""
    data_dir = cluster.apis[0].data_dir
    if not (data_dir / "location" / "reference.sqlite").exists():
        import_reference(data_dir, tmp_path / "reference")
    table = pa.concat_tables([cases_table()] * 200_000)  # 3 million rows: about 20 s of work
    s3 = client("s3", cluster.apis[0].url)
    for bucket in ("loc-cancel-in", "loc-cancel-out"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="loc-cancel-in", Key="one/a.parquet", Body=parquet_bytes(table, table.num_rows))
    location = [client("location", api.url) for api in cluster.apis]
    job_id = start(location[0], "s3://loc-cancel-in/one/", "s3://loc-cancel-out/out/")["JobId"]
    assert eventually(lambda: location[1].get_job(JobId=job_id)["Status"] != "Pending", 30, interval=0.1)
    time.sleep(1.0)  # the piece is validating its rows
    asked = time.monotonic()
    location[1].cancel_job(JobId=job_id)
    job = wait_job(location[1], job_id, timeout=30)
    took = time.monotonic() - asked
    assert job["Status"] == "Cancelled" and took < 3.5, (job["Status"], took)
    assert "Contents" not in s3.list_objects_v2(Bucket="loc-cancel-out")  # no part file, no manifest
    staged = LocalObjectStore(data_dir).list_objects("jobforge-location", f"pieces/{job_id}/")
    assert [info.key for info in staged] == []  # the stop signal went with the job
    assert eventually(lambda: pieces_at_work(cluster) == 0, 10, interval=0.2)


def test_a_world_export_renders_its_worlds_on_the_workers(cluster: Cluster, tmp_path: Path) -> None:
    api = robomaker(cluster, 0)
    generation = generate(api, MINIMAL_BODY, 3)
    done = wait_status(api, generation, ENDED)
    worlds = done["finishedWorldsSummary"]["succeededWorlds"]
    client("s3", cluster.apis[0].url).create_bucket(Bucket="exports-cluster")
    export = robomaker(cluster, 1).create_world_export_job(
        worlds=worlds, outputLocation={"s3Bucket": "exports-cluster", "s3Prefix": "runs"}, iamRole=EXPORT_ROLE
    )["arn"]
    deadline = time.monotonic() + 60
    while (job := api.describe_world_export_job(job=export))["status"] not in ENDED:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "Completed", job.get("failureReason")
    key = f"runs/aws-robomaker-worldforge-export-{export.rsplit('/export-', 1)[1]}.zip"
    data = client("s3", cluster.apis[1].url).get_object(Bucket="exports-cluster", Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    for arn in worlds:
        world_id = arn.rsplit("/", 1)[1]
        assert any(name.endswith(f"worlds/{world_id}/{world_id}.world") for name in names), world_id
    assert sum(record(cluster, export)["progress"]["workers"].values()) == 3  # one rendering piece each


def test_a_killed_worker_s_job_completes_with_every_world(cluster: Cluster) -> None:
    """kill -9 of the worker holding the job (its jobs and pieces processes): the other worker
    takes the job over once its lease expires and makes the missing worlds, none twice."""
    api = robomaker(cluster, 1)
    arn = generate(api, sample_body("OneRoom"), 40)
    assert eventually(lambda: len(world_ids(cluster, arn)) >= 3, 30, interval=0.02)
    holder = next(worker for worker in cluster.workers if claimed(worker, arn))
    holder.kill()
    assert len(world_ids(cluster, arn)) < 40, "the job ended before the kill: make it longer"
    job = wait_status(api, arn, ENDED, timeout=60)
    assert job["status"] == "Completed", job
    assert sorted(world_ids(cluster, arn)) == expected_worlds(arn, 40)
    assert job["finishedWorldsSummary"]["finishedCount"] == 40
    assert record(cluster, arn)["attempt"] == 2
