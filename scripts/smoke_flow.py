"""End-to-end smoke of an installed jobforge, the way a user drives it; any error fails.

Starts ``jobforge serve`` (the console script on PATH) on a temporary data dir and a free port, then:
RoboMaker template -> 2x2 generation job -> ListWorlds / DescribeWorld -> ``jobforge worlds preview``
-> export job -> unzip + ``ign sdf -k`` on every world; the AWS CLI on the same server; a Data
Exchange S3 import and signed-URL export; a Location ValidateAddress job on the shipped samples.
Uses only the runtime dependencies (boto3, httpx, pyarrow) and the ``aws`` and ``ign`` commands.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx
import pyarrow.parquet as pq
from botocore.config import Config

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "location"
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


def room(kind: str, name: str, area: float, x: float, y: float) -> dict[str, Any]:
    return {"Type": kind, "Name": name, "DesiredShape": {"Area": area, "AspectRatio": {"x": x, "y": y}}}


TEMPLATE = {
    "Version": "2",
    "Buildings": [{"Floors": [{
        "Floorplan": {
            "Rooms": [
                room("Living", "Living", 30, 1.4, 1),
                room("Kitchen", "Kitchen", 14, 1.2, 1),
                room("Bedroom", "Bedroom", 18, 1, 1.2),
            ],
            "DesiredConnections": [
                {"Location": ["Living", "Kitchen"], "ConnectionType": "Opening"},
                {"Location": ["Living", "Bedroom"], "ConnectionType": "Doorway"},
            ],
        },
        "Interior": {
            "Doorways": {"DoorwaySets": [{
                "Name": "Doors half open", "TargetSet": "Target.All",
                "Door": {"InitialState": {"OpenPosition": {"Percent": 50}}},
            }]},
        },
    }]}],
}  # fmt: skip


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def wait_for(what: str, poll: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 300) -> Any:
    """Poll until ``done(result)``; fail with the last result after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = poll()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"smoke: {what} did not finish in {timeout:.0f} s: {result}")
        time.sleep(0.3)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"smoke: {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*command: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    check(done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


class Server:
    """``jobforge serve`` in a child process on its own data dir."""

    def __init__(self, work: Path) -> None:
        self.data_dir = work / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["jobforge", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            check(self.process.poll() is None, f"jobforge serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                health = httpx.get(f"{self.url}/_jobforge/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            check(health.status_code != 503, f"jobforge serve is degraded: {health.text}")
            if health.status_code == 200 and not health.json().get("warming"):
                return  # ready, and every service's job libraries imported in the workers
            time.sleep(0.2)
        raise SystemExit(f"smoke: jobforge serve never became healthy:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def bucket(self, name: str) -> Path:
        """A local bucket: the data dir's ``buckets/<name>`` folder (the documented layout)."""
        path = self.data_dir / "buckets" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def robomaker_flow(server: Server, work: Path, env: dict[str, str]) -> None:
    robomaker = boto3.client("robomaker", endpoint_url=server.url, **CREDENTIALS)
    step("RoboMaker: template, 2x2 generation job")
    template = robomaker.create_world_template(name="smoke", templateBody=json.dumps(TEMPLATE))
    job = robomaker.create_world_generation_job(
        template=template["arn"], worldCount={"floorplanCount": 2, "interiorCountPerFloorplan": 2}
    )
    described = wait_for(
        "generation job",
        lambda: robomaker.describe_world_generation_job(job=job["arn"]),
        lambda d: d["status"] in ("Completed", "Failed", "PartialFailed", "Canceled"),
    )
    check(described["status"] == "Completed", f"generation ended {described['status']}: {described}")
    succeeded = described["finishedWorldsSummary"]["succeededWorlds"]
    check(len(succeeded) == 4, f"4 worlds expected, got {succeeded}")

    step("RoboMaker: ListWorlds, DescribeWorld, quality report, jobforge worlds preview")
    pages = robomaker.get_paginator("list_worlds").paginate(
        filters=[{"name": "generationJobId", "values": [job["arn"].rsplit("/", 1)[1]]}]
    )
    listed = sorted(world["arn"] for page in pages for world in page["worldSummaries"])
    check(listed == sorted(succeeded), f"ListWorlds gave {listed}, the job made {succeeded}")
    for arn in listed:
        world = robomaker.describe_world(world=arn)
        check(world["generationJob"] == job["arn"] and world["template"] == template["arn"], str(world))
        rooms = json.loads(world["worldDescriptionBody"])["rooms"]
        check(len(rooms) == 3, f"{arn}: 3 rooms expected in worldDescriptionBody, got {len(rooms)}")
        quality = httpx.get(f"{server.url}/_jobforge/worlds/quality", params={"arn": arn}).json()
        check(quality.get("passed") is True, f"{arn}: quality report did not pass: {quality}")
    preview = work / "world.png"
    run("jobforge", "worlds", "preview", listed[0], "-o", str(preview), "--endpoint-url", server.url)
    check(preview.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), "the preview is not a PNG")

    step("AWS CLI: robomaker list-worlds, describe-world-generation-job")
    cli = ["aws", "--endpoint-url", server.url, "--output", "json"]
    worlds = json.loads(run(*cli, "robomaker", "list-worlds", env=env))["worldSummaries"]
    check(len(worlds) == 4, f"aws robomaker list-worlds: {worlds}")
    status = json.loads(run(*cli, "robomaker", "describe-world-generation-job", "--job", job["arn"], env=env))
    check(status["status"] == "Completed", str(status))

    step("RoboMaker: export job, unzip, ign sdf -k on every world")
    bucket = server.bucket("smoke-exports")
    export = robomaker.create_world_export_job(
        worlds=listed,
        outputLocation={"s3Bucket": "smoke-exports", "s3Prefix": "worlds"},
        iamRole="arn:aws:iam::000000000000:role/smoke",
    )
    ended = wait_for(
        "export job",
        lambda: robomaker.describe_world_export_job(job=export["arn"]),
        lambda d: d["status"] in ("Completed", "Failed", "Canceled"),
    )
    check(ended["status"] == "Completed", f"export ended {ended['status']}: {ended}")
    archives = list(bucket.glob("worlds/*.zip"))
    check(len(archives) == 1, f"one zip expected under {bucket}/worlds, found {archives}")
    unpacked = work / "export"
    with zipfile.ZipFile(archives[0]) as archive:
        check(archive.testzip() is None, "the export zip is damaged")
        archive.extractall(unpacked)
    packages = unpacked / "aws_robomaker_worldforge_pkgs"
    models = packages / "aws_robomaker_worldforge_shared_models" / "models"
    world_dirs = packages / "aws_robomaker_worldforge_worlds" / "worlds"
    world_files = sorted(world_dirs.glob("*/*.world"))
    check(len(world_files) == 4, f"4 .world files expected, found {world_files}")
    sdf_env = {**os.environ, "SDF_PATH": f"{models}{os.pathsep}{world_dirs}"}
    for world_file in world_files:
        output = run("ign", "sdf", "-k", str(world_file), env=sdf_env)
        check("Valid." in output, f"ign sdf -k {world_file}: {output}")
    print(f"   {len(world_files)} worlds valid for libsdformat, {len(list(models.iterdir()))} models")


def dataexchange_flow(server: Server) -> None:
    dx = boto3.client("dataexchange", endpoint_url=server.url, **CREDENTIALS)
    step("Data Exchange: S3 import, signed-URL export")
    data = b"day,price\n" + b"".join(b"%d,%d\n" % (day, 100 + day) for day in range(1, 5001))
    (server.bucket("smoke-dx-source") / "prices.csv").write_bytes(data)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="smoke", Description="smoke test")["Id"]
    revision = dx.create_revision(DataSetId=data_set)["Id"]

    def run_job(kind: str, details: dict[str, Any]) -> dict[str, Any]:
        job = dx.create_job(Type=kind, Details=details)
        dx.start_job(JobId=job["Id"])
        ended = wait_for(
            kind,
            lambda: dx.get_job(JobId=job["Id"]),
            lambda j: j["State"] in ("COMPLETED", "ERROR", "CANCELLED"),
        )
        check(ended["State"] == "COMPLETED", f"{kind} ended {ended['State']}: {ended.get('Errors')}")
        return ended

    run_job("IMPORT_ASSETS_FROM_S3", {"ImportAssetsFromS3": {
        "DataSetId": data_set, "RevisionId": revision,
        "AssetSources": [{"Bucket": "smoke-dx-source", "Key": "prices.csv"}],
    }})  # fmt: skip
    assets = dx.list_revision_assets(DataSetId=data_set, RevisionId=revision)["Assets"]
    check([a["Name"] for a in assets] == ["prices.csv"], f"assets: {assets}")
    exported = run_job("EXPORT_ASSET_TO_SIGNED_URL", {"ExportAssetToSignedUrl": {
        "DataSetId": data_set, "RevisionId": revision, "AssetId": assets[0]["Id"],
    }})  # fmt: skip
    url = exported["Details"]["ExportAssetToSignedUrl"]["SignedUrl"]
    downloaded = httpx.get(url, timeout=60)
    check(downloaded.status_code == 200 and downloaded.content == data, "the signed-URL download differs")


def location_flow(server: Server, work: Path) -> None:
    step("Location: import the sample reference, ValidateAddress job on the sample input")
    reference = SAMPLES / "us_fictional_openaddresses.csv"
    sample = SAMPLES / "sample_input.parquet"
    data_dir = str(server.data_dir)
    run("jobforge", "location", "import", str(reference), "--country", "US", "--data-dir", data_dir)
    shutil.copy(sample, server.bucket("smoke-addresses") / "sample.parquet")
    location = boto3.client(
        "location", endpoint_url=server.url, config=Config(inject_host_prefix=False), **CREDENTIALS
    )
    job = location.start_job(
        Action="ValidateAddress",
        ExecutionRoleArn="arn:aws:iam::000000000000:role/LocationServiceJobExecutionRole",
        InputOptions={"Location": "s3://smoke-addresses/sample.parquet", "Format": "Parquet"},
        OutputOptions={"Location": "s3://smoke-addresses/validated/", "Format": "Parquet"},
    )
    ended = wait_for(
        "ValidateAddress job",
        lambda: location.get_job(JobId=job["JobId"]),
        lambda j: j["Status"] in ("Completed", "Failed", "Cancelled"),
    )
    check(ended["Status"] == "Completed", f"Location job ended {ended['Status']}: {ended.get('Error')}")
    output = server.bucket("smoke-addresses") / "validated" / job["JobId"]
    table = pq.read_table(output / "part-00000.parquet")
    granularity = table.column("Output_ValidationResults_ValidationGranularity").to_pylist()
    check(table.num_rows == pq.read_metadata(sample).num_rows, "output rows differ from input rows")
    check("Premise" in granularity, f"no Premise match in the sample: {granularity}")
    check((output / "manifest.json").is_file(), "manifest.json is missing")
    print(f"   {table.num_rows} rows, {granularity.count('Premise')} Premise matches")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="an empty folder for data and outputs")
    work = parser.parse_args().work
    work.mkdir(parents=True, exist_ok=True)
    models_path = run("jobforge", "models", "install", "--print-path").strip()
    os.environ["AWS_DATA_PATH"] = models_path  # the RoboMaker model, for boto3 and the AWS CLI
    cli_env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    cli_env["AWS_DEFAULT_REGION"] = "us-east-1"
    server = Server(work)
    server.start()
    try:
        robomaker_flow(server, work, cli_env)
        dataexchange_flow(server)
        location_flow(server, work)
    except BaseException:
        print(f"server log (last lines):\n{server.log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()
    print("smoke: all flows passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
