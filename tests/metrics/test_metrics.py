"""``/metrics`` of a real server: requests of the three services and S3 (boto3 over HTTP) counted
with their labels, a 4xx with its status, latency histograms, jobs by state and job durations
once real jobs of each service finished, bounded labels, and the setting that turns it off."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from jobforge.config import Settings, SettingsError
from jobforge.services.location.job_handler import KIND as VALIDATE_ADDRESS
from jobforge.services.robomaker.generation_job import KIND as WORLD_GENERATION
from tests.location.fixtures import input_table, location_server, parquet_bytes, seattle
from tests.location.helpers import make_bucket, put_local, start, wait_job
from tests.metrics.scrape import Scrape, scrape
from tests.robomaker.samples import MINIMAL_BODY
from tests.support import JobforgeServer, client

TEMPLATE_NAME = "metrics-secret-template-name"
BUCKET = "metrics-secret-bucket"
DATA_SET_NAME = "metrics-secret-data-set"


@dataclass
class Node:
    server: JobforgeServer
    before: Scrape  # before any request
    after: Scrape  # once every job below has finished
    dataexchange_kind: str

    @property
    def url(self) -> str:
        return self.server.url


def _wait(describe: object, done: object, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while not done(found := describe()):  # type: ignore[operator]
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    return found


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A server that ran one job of each service to its end, scraped before and after."""
    server = location_server(tmp_path_factory.mktemp("metrics"))
    try:
        before = scrape(server.url)
        robomaker = client("robomaker", server.url)
        template = robomaker.create_world_template(name=TEMPLATE_NAME, templateBody=MINIMAL_BODY)["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )["arn"]

        s3 = client("s3", server.url)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="in/data.csv", Body=b"a,b\n1,2\n")
        dataexchange = client("dataexchange", server.url)
        data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name=DATA_SET_NAME, Description="d")
        revision = dataexchange.create_revision(DataSetId=data_set["Id"])
        details = {"DataSetId": data_set["Id"], "RevisionId": revision["Id"]}
        details["AssetSources"] = [{"Bucket": BUCKET, "Key": "in/data.csv"}]
        imported = dataexchange.create_job(
            Type="IMPORT_ASSETS_FROM_S3", Details={"ImportAssetsFromS3": details}
        )
        dataexchange.start_job(JobId=imported["Id"])

        location = client("location", server.url)
        make_bucket(server, "metrics-out")
        put_local(server, "metrics-in", "in/a.parquet", parquet_bytes(input_table([seattle("1200 6th Ave")])))
        validation = start(location, "s3://metrics-in/in/", "s3://metrics-out/out/")

        _wait(lambda: robomaker.describe_world_generation_job(job=job), lambda j: j["status"] == "Completed")
        _wait(lambda: dataexchange.get_job(JobId=imported["Id"]), lambda j: j["State"] == "COMPLETED")
        assert wait_job(location, validation["JobId"])["Status"] == "Completed"
        after = scrape(server.url)
        series = after.series("jobforge_jobs")
        kinds = {labels["kind"] for labels in series if labels["service"] == "dataexchange"}
        assert len(kinds) == 1, kinds
        yield Node(server, before, after, kinds.pop())
    finally:
        server.stop()


def test_requests_of_every_service_are_counted_by_operation_and_status(node: Node) -> None:
    moved = {
        ("robomaker", "CreateWorldTemplate", "200"): 1,
        ("robomaker", "CreateWorldGenerationJob", "200"): 1,
        ("dataexchange", "CreateJob", "201"): 1,
        ("dataexchange", "StartJob", "202"): 1,
        ("location", "StartJob", "200"): 1,
        ("s3", "CreateBucket", "200"): 1,
        ("s3", "PutObject", "200"): 1,
    }
    for (service, operation, status), count in moved.items():
        labels = {"service": service, "operation": operation, "status": status}
        assert node.after.since(node.before, "jobforge_requests_total", **labels) == count, labels
    polls = node.after.value(
        "jobforge_requests_total", service="robomaker", operation="DescribeWorldGenerationJob", status="200"
    )
    assert polls >= 1


def test_a_client_error_is_counted_with_its_status(node: Node) -> None:
    robomaker = client("robomaker", node.url)
    s3 = client("s3", node.url)
    before = scrape(node.url)
    with pytest.raises(ClientError) as raised:
        robomaker.describe_world_template(template="not-an-arn")
    status = raised.value.response["ResponseMetadata"]["HTTPStatusCode"]
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=BUCKET, Key="no/such/key")
    assert (status, missing.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (400, 404)
    after = scrape(node.url)
    for labels in (
        {"service": "robomaker", "operation": "DescribeWorldTemplate", "status": "400"},
        {"service": "s3", "operation": "GetObject", "status": "404"},
    ):
        assert after.since(before, "jobforge_requests_total", **labels) == 1, labels


def test_unmatched_requests_get_a_bounded_label_and_no_caller_text(node: Node) -> None:
    labels = {"service": "unmatched", "operation": "unmatched", "status": "404"}
    before = scrape(node.url)
    for n in range(3):
        response = httpx.post(f"{node.url}/caller-chosen-path-{n}", json={}, timeout=10)
        assert response.status_code == 404
    after = scrape(node.url)
    assert after.since(before, "jobforge_requests_total", **labels) == 3
    assert "caller-chosen-path" not in after.text


def test_latency_histograms_have_their_buckets(node: Node) -> None:
    labels = {"service": "robomaker", "operation": "CreateWorldTemplate"}
    buckets = [
        series
        for series in node.after.series("jobforge_request_duration_seconds_bucket")
        if series["service"] == "robomaker" and series["operation"] == "CreateWorldTemplate"
    ]
    bounds = sorted(float(series["le"]) for series in buckets)
    assert len(bounds) >= 10 and bounds[-1] == float("inf") and bounds[0] <= 0.001
    assert node.after.value("jobforge_request_duration_seconds_count", **labels) == 1
    assert node.after.value("jobforge_request_duration_seconds_bucket", **labels, le="+Inf") == 1
    assert 0 < node.after.value("jobforge_request_duration_seconds_sum", **labels) < 30


def test_jobs_by_state_once_the_jobs_finished(node: Node) -> None:
    after, before = node.after, node.before
    assert before.series("jobforge_jobs") == []  # a fresh server: no jobs yet
    for service, kind in (
        ("robomaker", WORLD_GENERATION),
        ("dataexchange", node.dataexchange_kind),
        ("location", VALIDATE_ADDRESS),
    ):
        states = {
            labels["state"]: after.value("jobforge_jobs", **labels)
            for labels in after.series("jobforge_jobs")
            if labels["service"] == service and labels["kind"] == kind
        }
        assert states["SUCCEEDED"] == 1, (service, states)
        assert states["RUNNING"] == states["PENDING"] == states["FAILED"] == 0, (service, states)
        assert len(states) == 9  # every state, those without jobs at 0
    assert after.value("jobforge_queue_depth") == 0
    assert after.value("jobforge_workers_busy", executor="local") == 0
    assert after.value("jobforge_workers") == 4


def test_job_durations_are_observed_when_jobs_end(node: Node) -> None:
    for service, kind in (("robomaker", WORLD_GENERATION), ("location", VALIDATE_ADDRESS)):
        labels = {"service": service, "kind": kind, "state": "SUCCEEDED"}
        assert node.after.value("jobforge_job_duration_seconds_count", **labels) == 1, labels
        assert node.after.value("jobforge_job_duration_seconds_bucket", **labels, le="+Inf") == 1
        assert node.after.value("jobforge_job_duration_seconds_sum", **labels) > 0
    assert node.before.series("jobforge_job_duration_seconds_count") == []


def test_a_running_job_shows_as_running_and_busy(node: Node) -> None:
    node.server.control("pace", pace="step")
    robomaker = client("robomaker", node.url)
    try:
        template = robomaker.list_world_templates()["templateSummaries"][0]["arn"]
        job = robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )["arn"]
        labels = {"service": "robomaker", "kind": WORLD_GENERATION}
        assert scrape(node.url).value("jobforge_jobs", **labels, state="PENDING") == 1
        assert scrape(node.url).value("jobforge_queue_depth") == 1
        node.server.control("advance", jobId=job.rsplit("/", 1)[1], steps=1)
        _wait(lambda: robomaker.describe_world_generation_job(job=job), lambda j: j["status"] == "Running")
        running = scrape(node.url)
        assert running.value("jobforge_jobs", **labels, state="RUNNING") == 1
        assert running.value("jobforge_workers_busy", executor="local") == 1
        assert running.value("jobforge_queue_depth") == 0
    finally:
        node.server.control("pace", pace="instant")
    _wait(lambda: robomaker.describe_world_generation_job(job=job), lambda j: j["status"] == "Completed")
    assert scrape(node.url).value("jobforge_jobs", **labels, state="RUNNING") == 0


def test_no_account_ids_or_resource_names_in_the_metrics(node: Node) -> None:
    # names, label names and label values of every sample (a value such as 0.0010000000000000002
    # would hold twelve zeros by chance)
    lines = scrape(node.url).text.splitlines()
    text = "\n".join(line.rsplit(" ", 1)[0] if not line.startswith("#") else line for line in lines)
    for secret in ("000000000000", TEMPLATE_NAME, BUCKET, DATA_SET_NAME, "arn:aws", "metrics-in"):
        assert secret not in text


def test_metrics_off_serves_no_endpoint(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data", env={"JOBFORGE_METRICS": "off"}).start()
    try:
        response = httpx.get(f"{server.url}/metrics", timeout=10)
        assert response.status_code == 404  # the JSON gateway's: no operation there
        assert response.headers["x-amzn-errortype"].startswith("UnknownOperationException")
    finally:
        server.stop()


DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "jobforge.json"
CELERY_ONLY = {"jobforge_broker_queue_length"}  # scraped on Celery nodes (tests/distributed/test_metrics.py)
_METRIC = re.compile(r"\b((?:jobforge|process)_[a-z_]+)(\{[^}]*\})?")
_SELECTOR_LABEL = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)")


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_metric_the_dashboard_queries_is_scraped(node: Node) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
    scraped = scrape(node.url)
    queries = dashboard_queries()
    used = {match.group(1) for expr in queries for match in _METRIC.finditer(expr)}
    assert {"jobforge_requests_total", "jobforge_jobs", "process_cpu_seconds_total"} <= used
    assert used - CELERY_ONLY <= scraped.names, used - CELERY_ONLY - scraped.names
    for expr in queries:  # the labels a selector names exist on its metric
        for match in _METRIC.finditer(expr):
            name, selector = match.groups()
            if selector and name not in CELERY_ONLY:
                labels = {label for series in scraped.series(name) for label in series}
                assert set(_SELECTOR_LABEL.findall(selector)) <= labels, expr


def test_a_bucket_named_metrics_stays_s3s(node: Node) -> None:
    """S3-signed requests for ``/metrics`` are S3's (a bucket of that name), unsigned ones the metrics'."""
    s3 = client("s3", node.url)
    s3.create_bucket(Bucket="metrics")
    s3.put_object(Bucket="metrics", Key="k", Body=b"v")
    assert [item["Key"] for item in s3.list_objects_v2(Bucket="metrics")["Contents"]] == ["k"]
    assert "jobforge_requests_total" in scrape(node.url).text


def test_metrics_settings_are_checked_and_the_token_never_shown() -> None:
    with pytest.raises(SettingsError, match="JOBFORGE_METRICS must be on or off, not 'maybe'"):
        Settings.from_env({"JOBFORGE_METRICS": "maybe"})
    settings = Settings.from_env({"JOBFORGE_METRICS": "off", "JOBFORGE_METRICS_TOKEN": "s3cret"})
    assert settings.metrics is False and settings.metrics_token == "s3cret"
    assert "s3cret" not in repr(settings)
