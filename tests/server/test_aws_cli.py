"""The AWS CLI (v1, ``python -m awscli``) driving Data Exchange and Location jobs against a real
server, inputs put and outputs read back with ``aws s3``: the jobs do their work, and modeled errors
come back as the CLI reports them. (RoboMaker's CLI test is in tests/robomaker/test_world_templates.py,
S3's in tests/s3/test_aws_cli.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.support import JobforgeServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "location"
REFERENCE = "us_fictional_openaddresses.csv"
GRANULARITY = "Output_ValidationResults_ValidationGranularity"

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    """A server whose data directory has the repository's fictional US reference imported."""
    data = tmp_path_factory.mktemp("cli") / "data"
    imported = subprocess.run(
        [sys.executable, "-m", "jobforge.cli", "location", "import", str(EXAMPLES / REFERENCE),
         "--country", "US", "--data-dir", str(data)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    server = JobforgeServer(data).start()
    yield server
    server.stop()


def _run(server: JobforgeServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",  # Location's model prefixes the host otherwise
    }
    command = [sys.executable, "-m", "awscli", *args, "--endpoint-url", server.url, "--output", "json"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def aws(located: JobforgeServer) -> Cli:
    def call(*args: str) -> Any:
        done = _run(located, *args)
        assert done.returncode == 0, done.stderr
        if args[0] == "s3":  # the high-level s3 commands print text
            return done.stdout
        return json.loads(done.stdout) if done.stdout.strip() else {}

    return call


def _refused(server: JobforgeServer, *args: str) -> str:
    done = _run(server, *args)
    assert done.returncode != 0, done.stdout
    return done.stderr


def _until(read: Callable[[], dict[str, Any]], key: str, busy: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (result := read())[key] in busy and time.monotonic() < deadline:
        time.sleep(0.25)
    return result


def test_data_exchange_import_and_export(aws: Cli, located: JobforgeServer, tmp_path: Path) -> None:
    source = tmp_path / "streets.csv"
    source.write_bytes(b"id,street\n1,Quillberry Lane\n")
    aws("s3", "mb", "s3://cli-data")
    aws("s3", "cp", str(source), "s3://cli-data/in/streets.csv")
    data_set = aws("dataexchange", "create-data-set", "--asset-type", "S3_SNAPSHOT", "--name", "streets",
                   "--description", "fictional streets")  # fmt: skip
    revision = aws("dataexchange", "create-revision", "--data-set-id", data_set["Id"])

    def run(kind: str, details: dict[str, Any]) -> dict[str, Any]:
        job = aws("dataexchange", "create-job", "--type", kind, "--details", json.dumps(details))
        aws("dataexchange", "start-job", "--job-id", job["Id"])
        ended = _until(lambda: aws("dataexchange", "get-job", "--job-id", job["Id"]), "State",
                       ("WAITING", "IN_PROGRESS"))  # fmt: skip
        assert ended["State"] == "COMPLETED", ended
        return ended

    ids = {"DataSetId": data_set["Id"], "RevisionId": revision["Id"]}
    source_asset = {"Bucket": "cli-data", "Key": "in/streets.csv"}
    run("IMPORT_ASSETS_FROM_S3", {"ImportAssetsFromS3": {**ids, "AssetSources": [source_asset]}})
    assets = aws("dataexchange", "list-revision-assets", "--data-set-id", ids["DataSetId"],
                 "--revision-id", ids["RevisionId"])["Assets"]  # fmt: skip
    sizes = [(asset["Name"], asset["AssetDetails"]["S3SnapshotAsset"]["Size"]) for asset in assets]
    assert sizes == [("in/streets.csv", 28)]
    destination = {"AssetId": assets[0]["Id"], "Bucket": "cli-data", "Key": "out/streets.csv"}
    run("EXPORT_ASSETS_TO_S3", {"ExportAssetsToS3": {**ids, "AssetDestinations": [destination]}})
    aws("s3", "cp", "s3://cli-data/out/streets.csv", str(tmp_path / "back.csv"))
    assert (tmp_path / "back.csv").read_bytes() == source.read_bytes()

    missing = _refused(located, "dataexchange", "get-data-set", "--data-set-id", "0" * 32)
    assert "(ResourceNotFoundException)" in missing
    invalid = _refused(located, "dataexchange", "get-data-set", "--data-set-id", "bad")
    assert "(ValidationException)" in invalid


def test_location_validate_address_job(aws: Cli, located: JobforgeServer, tmp_path: Path) -> None:
    aws("s3", "mb", "s3://cli-addresses")
    aws("s3", "cp", str(EXAMPLES / "sample_input.parquet"), "s3://cli-addresses/in/sample.parquet")
    role = "arn:aws:iam::000000000000:role/LocationServiceJobExecutionRole"
    job = aws("location", "start-job", "--action", "ValidateAddress", "--execution-role-arn", role,
              "--input-options", "Location=s3://cli-addresses/in/,Format=Parquet",
              "--output-options", "Location=s3://cli-addresses/validated/,Format=Parquet",
              "--name", "customers")  # fmt: skip
    assert job["Status"] == "Pending"
    busy = ("Pending", "Running")
    ended = _until(lambda: aws("location", "get-job", "--job-id", job["JobId"]), "Status", busy)
    assert ended["Status"] == "Completed", ended
    listed = aws("location", "list-jobs", "--filter", "JobStatus=Completed")["Entries"]
    assert job["JobId"] in [entry["JobId"] for entry in listed]

    part = tmp_path / "part.parquet"
    aws("s3", "cp", f"s3://cli-addresses/validated/{job['JobId']}/part-00000.parquet", str(part))
    rows = pq.read_table(part).select(["Input_Id", GRANULARITY]).to_pylist()
    assert len(rows) == 13
    assert rows[0] == {"Input_Id": "1", GRANULARITY: "Premise"}

    refused = _refused(located, "location", "start-job", "--action", "ValidateAddress",
                       "--execution-role-arn", "not-a-role",
                       "--input-options", "Location=s3://cli-addresses/in/,Format=Parquet",
                       "--output-options", "Location=s3://cli-addresses/out/,Format=Parquet")  # fmt: skip
    assert "(ValidationException)" in refused
    assert "(ResourceNotFoundException)" in _refused(located, "location", "cancel-job", "--job-id", "none")
