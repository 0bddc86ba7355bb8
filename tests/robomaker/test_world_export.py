"""World export jobs through boto3 against a running server: local buckets and an S3 endpoint.

Every exported ``.world`` goes through libsdformat (``ign sdf -k``, Debian packages
libsdformat-dev, sdformat-sdf, ignition-tools) with the archive's model directories on SDF_PATH;
every ``model://`` URI and mesh file must resolve inside the archive.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from jobforge.services.robomaker.export import MODELS_DIR, WORLDS_DIR
from jobforge.services.robomaker.export.check import check_export
from jobforge.storage import LocalObjectStore
from tests.robomaker.helpers import require_sdf_checker
from tests.robomaker.samples import SIX_ROOMS_V2
from tests.support import JobforgeServer, MotoServer, client

ROLE = "arn:aws:iam::100000000004:role/worldforge-export"
ACCOUNT_KEY = "100000000004"  # this module's own account: its jobs do not count against others' quotas
ENDED = ("Completed", "Failed", "Canceled")


def wait_export(robomaker: Any, arn: str, done: tuple[str, ...] = ENDED, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = robomaker.describe_world_export_job(job=arn)
        if job["status"] in done:
            return job
        assert time.monotonic() < deadline, f"export still {job['status']}"
        time.sleep(0.2)


def generate_worlds(robomaker: Any, floorplans: int = 2, interiors: int = 2) -> dict[str, Any]:
    """A six-room V2 template (hinged doors), 2 floorplans x 2 interiors (four worlds) by default."""
    template = robomaker.create_world_template(name="export-source", templateBody=json.dumps(SIX_ROOMS_V2))
    job = robomaker.create_world_generation_job(
        template=template["arn"],
        worldCount={"floorplanCount": floorplans, "interiorCountPerFloorplan": interiors},
    )
    deadline = time.monotonic() + 180
    while (described := robomaker.describe_world_generation_job(job=job["arn"]))["status"] not in (
        "Completed",
        "Failed",
        "PartialFailed",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert described["status"] == "Completed", described
    return {
        "template": template["arn"],
        "job": job["arn"],
        "worlds": described["finishedWorldsSummary"]["succeededWorlds"],
    }


def check_archive(data: bytes, tmp_path: Path, worlds: list[str]) -> None:
    """Unzip and check: WorldForge layout, libsdformat, model:// URIs and mesh files."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == len(set(names))
        archive.extractall(tmp_path)
    world_ids = sorted(arn.rsplit("/", 1)[1] for arn in worlds)
    for world_id in world_ids:
        folder = tmp_path / WORLDS_DIR / "worlds" / world_id
        for file in (
            f"{world_id}.world",
            "world_description.json",
            "preview.png",
            "model.config",
            "model.sdf",
        ):
            assert (folder / file).is_file(), f"{folder}/{file}"
    for launch in ("launch_world.launch", "launch_world.py"):
        assert (tmp_path / WORLDS_DIR / "launch" / launch).is_file()
    result = check_export(tmp_path)
    assert result.problems == [], "\n".join(result.problems[:20])
    assert result.worlds == world_ids and result.sdf_checked == 4
    assert result.models and (tmp_path / MODELS_DIR / "package.xml").is_file()


# -- local buckets ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local(server: JobforgeServer) -> dict[str, Any]:
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    store = LocalObjectStore(server.data_dir)
    for bucket in ("exports-local", "exports-denied"):
        store.create_bucket(bucket)
    return generate_worlds(robomaker)


def test_export_four_worlds_to_a_local_bucket(server: JobforgeServer, local: dict, tmp_path: Path) -> None:
    require_sdf_checker()
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    created = robomaker.create_world_export_job(
        worlds=local["worlds"],
        outputLocation={"s3Bucket": "exports-local", "s3Prefix": "runs/first"},
        iamRole=ROLE,
        tags={"purpose": "test"},
    )
    assert created["arn"].split(":")[5].startswith("world-export-job/export-")
    job_id = created["arn"].rsplit("/export-", 1)[1]
    assert len(job_id) == 12 and job_id.isalnum() and job_id == job_id.lower()
    assert (
        created["status"] == "Pending"
        and created["iamRole"] == ROLE
        and created["tags"] == {"purpose": "test"}
    )
    job = wait_export(robomaker, created["arn"])
    assert job["status"] == "Completed", job.get("failureReason")
    assert job["worlds"] == local["worlds"] and "failureCode" not in job
    assert job["outputLocation"] == {"s3Bucket": "exports-local", "s3Prefix": "runs/first"}
    key = f"runs/first/aws-robomaker-worldforge-export-{job_id}.zip"
    data = LocalObjectStore(server.data_dir).get_bytes("exports-local", key)
    check_archive(data, tmp_path, local["worlds"])
    # listing and filters (filter values are ids: the model's pattern forbids ARNs)
    generation_id = local["job"].rsplit("/", 1)[1]
    template_id = local["template"].rsplit("/", 1)[1]
    for name, value, expected in (
        ("generationJobId", generation_id, True),
        ("templateId", template_id, True),
        ("generationJobId", "generation0000", False),
    ):
        listed = robomaker.list_world_export_jobs(filters=[{"name": name, "values": [value]}])
        arns = [s["arn"] for s in listed["worldExportJobSummaries"]]
        assert (created["arn"] in arns) is expected, (name, value)
    summary = next(
        s for s in robomaker.list_world_export_jobs()["worldExportJobSummaries"] if s["arn"] == created["arn"]
    )
    assert summary["status"] == "Completed" and summary["worlds"] == local["worlds"]
    with pytest.raises(ClientError) as info:
        robomaker.list_world_export_jobs(filters=[{"name": "status", "values": ["Completed"]}])
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    # tags on export jobs
    robomaker.tag_resource(resourceArn=created["arn"], tags={"more": "yes"})
    robomaker.untag_resource(resourceArn=created["arn"], tagKeys=["purpose"])
    assert robomaker.list_tags_for_resource(resourceArn=created["arn"])["tags"] == {"more": "yes"}
    with pytest.raises(ClientError) as info:
        robomaker.cancel_world_export_job(job=created["arn"])  # it has ended
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


def test_export_failures_and_request_errors(server: JobforgeServer, local: dict, tmp_path: Path) -> None:
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    out = {"s3Bucket": "exports-local", "s3Prefix": "failures"}
    missing_world = local["worlds"][0].rsplit("/", 1)[0] + "/generation_000000000000_world_1"
    job = robomaker.create_world_export_job(
        worlds=[local["worlds"][0], missing_world], outputLocation=out, iamRole=ROLE
    )
    failed = wait_export(robomaker, job["arn"])
    assert (failed["status"], failed["failureCode"]) == ("Failed", "ResourceNotFound")
    assert missing_world in failed["failureReason"]
    job = robomaker.create_world_export_job(
        worlds=local["worlds"], outputLocation={"s3Bucket": "no-such-bucket"}, iamRole=ROLE
    )
    failed = wait_export(robomaker, job["arn"])
    assert (failed["status"], failed["failureCode"]) == ("Failed", "ResourceNotFound")
    assert "no-such-bucket" in failed["failureReason"]
    # a prefix that leads out of the bucket (a symlink) is denied; nothing is written anywhere
    outside = tmp_path / "outside"
    outside.mkdir()
    (server.data_dir / "buckets" / "exports-denied" / "escape").symlink_to(outside)
    job = robomaker.create_world_export_job(
        worlds=local["worlds"],
        outputLocation={"s3Bucket": "exports-denied", "s3Prefix": "escape"},
        iamRole=ROLE,
    )
    failed = wait_export(robomaker, job["arn"])
    assert (failed["status"], failed["failureCode"]) == ("Failed", "AccessDenied")
    assert list(outside.iterdir()) == []
    leftovers = [
        p for p in (server.data_dir / "buckets" / "exports-local").rglob("*") if "failures" in str(p)
    ]
    assert [p for p in leftovers if p.is_file()] == []
    assert not list(LocalObjectStore(server.data_dir).tmp_dir.glob("upload-*"))
    # request-time errors
    for kwargs, code in (
        ({"iamRole": "not-a-role"}, "InvalidParameterException"),
        ({"iamRole": "arn:aws:iam::123:user/someone"}, "InvalidParameterException"),
        ({"worlds": [local["template"]]}, "InvalidParameterException"),
        (
            {"worlds": [local["worlds"][0].replace(":robomaker:", ":dataexchange:")]},
            "InvalidParameterException",
        ),
        ({"outputLocation": {"s3Prefix": "x"}}, "InvalidParameterException"),
        ({"outputLocation": {"s3Bucket": "Bad_Bucket"}}, "InvalidParameterException"),
    ):
        request = {"worlds": local["worlds"], "outputLocation": out, "iamRole": ROLE, **kwargs}
        with pytest.raises(ClientError) as info:
            robomaker.create_world_export_job(**request)
        assert info.value.response["Error"]["Code"] == code, kwargs
    # idempotency: same token and parameters -> same job; different parameters -> mismatch
    first = robomaker.create_world_export_job(
        worlds=local["worlds"][:1], outputLocation=out, iamRole=ROLE, clientRequestToken="export-token-1"
    )
    again = robomaker.create_world_export_job(
        worlds=local["worlds"][:1], outputLocation=out, iamRole=ROLE, clientRequestToken="export-token-1"
    )
    assert again["arn"] == first["arn"] and again["clientRequestToken"] == "export-token-1"
    with pytest.raises(ClientError) as info:
        robomaker.create_world_export_job(
            worlds=local["worlds"][:2], outputLocation=out, iamRole=ROLE, clientRequestToken="export-token-1"
        )
    assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert wait_export(robomaker, first["arn"])["status"] == "Completed"
    unknown = first["arn"].rsplit("/", 1)[0] + "/export-000000000000"
    for operation in (robomaker.describe_world_export_job, robomaker.cancel_world_export_job):
        with pytest.raises(ClientError) as info:
            operation(job=unknown)
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_long_failure_reason_is_clipped_to_the_model(server: JobforgeServer) -> None:
    """failureReason is a GenericString (at most 1,024 characters): a longer reason keeps its
    start and its end, the middle of the over-long ARN cut."""
    robomaker = client("robomaker", server.url)  # the default account, which owns unclaimed buckets
    world = "arn:aws:robomaker:us-east-1:000000000000:world/" + "x" * 1150
    job = robomaker.create_world_export_job(
        worlds=[world], outputLocation={"s3Bucket": "clipped-reasons"}, iamRole=ROLE
    )
    failed = wait_export(robomaker, job["arn"])
    assert (failed["status"], failed["failureCode"]) == ("Failed", "ResourceNotFound")
    reason = failed["failureReason"]
    assert len(reason) == 1024 and " ... " in reason
    assert reason.startswith("The world arn:aws:robomaker:us-east-1:000000000000:world/xxx")
    assert reason.endswith("xxx does not exist")


def test_a_prefix_with_a_leading_slash_is_refused(server: JobforgeServer) -> None:
    """As docs/buckets.md says: the archive never lands under another key than the job reports."""
    robomaker = client("robomaker", server.url)
    world = "arn:aws:robomaker:us-east-1:000000000000:world/generation_000000000000_world_1"
    role = "arn:aws:iam::000000000000:role/export"
    for prefix in ("/lead", "/", "//lead/"):
        with pytest.raises(ClientError) as info:
            robomaker.create_world_export_job(
                worlds=[world],
                outputLocation={"s3Bucket": "slash-prefixes", "s3Prefix": prefix},
                iamRole=role,
            )
        assert info.value.response["Error"]["Code"] == "InvalidParameterException"
        message = info.value.response["Error"]["Message"]
        assert message.startswith(f"Invalid outputLocation.s3Prefix {prefix!r}: Invalid object key '/")
        assert message.endswith("must not start with '/'")
    listed = robomaker.get_paginator("list_world_export_jobs").paginate().build_full_result()
    assert all(
        job["outputLocation"]["s3Bucket"] != "slash-prefixes" for job in listed["worldExportJobSummaries"]
    )
    accepted = robomaker.create_world_export_job(  # a trailing "/" is only the separator
        worlds=[world], outputLocation={"s3Bucket": "slash-prefixes", "s3Prefix": "lead/"}, iamRole=role
    )
    assert accepted["outputLocation"] == {"s3Bucket": "slash-prefixes", "s3Prefix": "lead/"}


def test_an_export_over_the_concurrency_limit_fails_with_limit_exceeded(tmp_path: Path) -> None:
    """The model lists no LimitExceededException for CreateWorldExportJob, but LimitExceeded as an
    export failure code: the fourth concurrent export is accepted and ends Failed at once."""
    server = JobforgeServer(tmp_path / "data", "--pace", "step").start()  # the first three stay Pending
    try:
        robomaker = client("robomaker", server.url)
        request = {
            "worlds": ["arn:aws:robomaker:us-east-1:000000000000:world/generation_000000000000_world_1"],
            "outputLocation": {"s3Bucket": "limited"},
            "iamRole": "arn:aws:iam::000000000000:role/export",
        }
        queued = [robomaker.create_world_export_job(**request)["arn"] for _ in range(3)]
        over = robomaker.create_world_export_job(**request, clientRequestToken="over-the-limit")
        assert over["status"] == "Failed" and over["failureCode"] == "LimitExceeded"
        described = robomaker.describe_world_export_job(job=over["arn"])
        assert described["failureReason"] == (
            "The limit of 3 concurrent world export jobs was reached: this job was not run"
        )
        again = robomaker.create_world_export_job(**request, clientRequestToken="over-the-limit")
        assert again["arn"] == over["arn"]  # the token stands for the failed job
        assert [robomaker.describe_world_export_job(job=arn)["status"] for arn in queued] == ["Pending"] * 3
        robomaker.cancel_world_export_job(job=queued[0])
        freed = robomaker.create_world_export_job(**request)
        assert freed["status"] == "Pending"
    finally:
        server.stop()


def test_quota_and_cancel_mid_export_leave_nothing(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data").start()
    try:
        robomaker = client("robomaker", server.url)
        worlds = generate_worlds(robomaker)["worlds"]
        bucket = server.data_dir / "buckets" / "exports"
        LocalObjectStore(server.data_dir).create_bucket("exports")
        server.control("pace", pace="step")
        out = {"s3Bucket": "exports", "s3Prefix": "cancel"}
        jobs = [
            robomaker.create_world_export_job(worlds=worlds, outputLocation=out, iamRole=ROLE)
            for _ in range(3)
        ]
        over = robomaker.create_world_export_job(worlds=worlds, outputLocation=out, iamRole=ROLE)
        assert robomaker.describe_world_export_job(job=over["arn"])["failureCode"] == "LimitExceeded"
        running = jobs[0]["arn"]
        server.control("advance", jobId=running.rsplit("/", 1)[1], steps=3)  # start, then two worlds
        wait_export(robomaker, running, ("Running",))
        time.sleep(1.0)  # let it write what it may, then wait at the next step
        robomaker.cancel_world_export_job(job=running)
        assert robomaker.describe_world_export_job(job=running)["status"] in ("Canceling", "Canceled")
        server.control("advance", jobId=running.rsplit("/", 1)[1], steps=10)  # let it reach a check
        assert wait_export(robomaker, running)["status"] == "Canceled"
        for job in jobs[1:]:  # pending jobs end at once
            robomaker.cancel_world_export_job(job=job["arn"])
            assert robomaker.describe_world_export_job(job=job["arn"])["status"] == "Canceled"
        assert [p for p in bucket.rglob("*") if p.is_file()] == []
        assert not list(LocalObjectStore(server.data_dir).tmp_dir.glob("upload-*"))  # no temp file left
        # the quota is free again
        server.control("pace", pace="instant")
        job = robomaker.create_world_export_job(worlds=worlds, outputLocation=out, iamRole=ROLE)
        assert wait_export(robomaker, job["arn"])["status"] == "Completed"
    finally:
        server.stop()


def test_export_resumes_after_kill(tmp_path: Path) -> None:
    server = JobforgeServer(tmp_path / "data").start()
    try:
        robomaker = client("robomaker", server.url)
        worlds = generate_worlds(robomaker)["worlds"]
        LocalObjectStore(server.data_dir).create_bucket("exports")
        server.control("pace", pace="step")
        out = {"s3Bucket": "exports"}
        job = robomaker.create_world_export_job(worlds=worlds, outputLocation=out, iamRole=ROLE)
        server.control("advance", jobId=job["arn"].rsplit("/", 1)[1], steps=3)
        wait_export(robomaker, job["arn"], ("Running",))
        time.sleep(1.0)
        server.kill()  # mid-archive: nothing was published
        assert not list((server.data_dir / "buckets" / "exports").iterdir())
        server.start()  # the pace set through the API holds (it is the database's): back to instant
        assert "the pace set through the control API holds" in server.log_path.read_text()
        server.control("pace", pace="instant")  # the job starts over and completes
        robomaker = client("robomaker", server.url)
        assert wait_export(robomaker, job["arn"])["status"] == "Completed"
        store = LocalObjectStore(server.data_dir)
        (key,) = [info.key for info in store.list_objects("exports")]
        with zipfile.ZipFile(io.BytesIO(store.get_bytes("exports", key))) as archive:
            assert archive.testzip() is None
            assert sum(name.endswith(".world") for name in archive.namelist()) == 4
    finally:
        server.stop()


# -- an S3 endpoint: moto's server with IAM enforcement ----------------------------------------------
@dataclass
class MotoS3:
    url: str
    user: dict[str, str]  # jobforge's own credentials: may only call sts:AssumeRole
    role: str  # the export role, with the permissions WorldForge documents, on ALLOWED only
    inspector: str  # a role for the test's own checks

    def as_inspector(self, service: str) -> Any:
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1", **self.user)
        credentials = sts.assume_role(RoleArn=self.inspector, RoleSessionName="test-inspector")["Credentials"]
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )


ALLOWED, DENIED = "worldforge-exports", "someone-elses-bucket"
SETUP_REQUESTS = 9  # moto enforces IAM after this many requests


def _policy(actions: list[str], resources: list[str], principal: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions}
    if principal:
        statement["Principal"] = {"AWS": principal}
    else:
        statement["Resource"] = resources
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoS3]:
    """moto's server enforcing IAM once a user (sts:AssumeRole only) and two roles are set up."""
    moto = MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}).start()
    url = moto.url
    try:
        admin = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", **admin)
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", **admin)
        s3.create_bucket(Bucket=ALLOWED)
        s3.create_bucket(Bucket=DENIED)
        user = iam.create_user(UserName="jobforge")["User"]["Arn"]
        iam.put_user_policy(
            UserName="jobforge", PolicyName="assume", PolicyDocument=_policy(["sts:AssumeRole"], ["*"])
        )
        key = iam.create_access_key(UserName="jobforge")["AccessKey"]
        trust = _policy(["sts:AssumeRole"], [], principal=user)
        roles = {}
        for name, actions in (
            ("worldforge-export", ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]),
            ("test-inspector", ["s3:*"]),
        ):
            roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            resources = [f"arn:aws:s3:::{ALLOWED}", f"arn:aws:s3:::{ALLOWED}/*"]
            iam.put_role_policy(RoleName=name, PolicyName="s3", PolicyDocument=_policy(actions, resources))
        yield MotoS3(
            url,
            {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
            roles["worldforge-export"],
            roles["test-inspector"],
        )
    finally:
        moto.stop()


def test_export_to_an_s3_endpoint_through_the_role(moto_s3: MotoS3, tmp_path: Path) -> None:
    require_sdf_checker()
    env = {
        "AWS_ACCESS_KEY_ID": moto_s3.user["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": moto_s3.user["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    server = JobforgeServer(tmp_path / "data", "--s3-endpoint-url", moto_s3.url, env=env).start()
    try:
        robomaker = client("robomaker", server.url)
        worlds = generate_worlds(robomaker)["worlds"]
        # jobforge's own credentials may not write: a completed export shows the role was used
        with pytest.raises(ClientError):
            boto3.client("s3", endpoint_url=moto_s3.url, region_name="us-east-1", **moto_s3.user).put_object(
                Bucket=ALLOWED, Key="probe", Body=b"x"
            )
        job = robomaker.create_world_export_job(
            worlds=worlds, outputLocation={"s3Bucket": ALLOWED, "s3Prefix": "exports"}, iamRole=moto_s3.role
        )
        done = wait_export(robomaker, job["arn"])
        assert done["status"] == "Completed", done.get("failureReason")
        s3 = moto_s3.as_inspector("s3")
        key = f"exports/aws-robomaker-worldforge-export-{job['arn'].rsplit('/export-', 1)[1]}.zip"
        data = s3.get_object(Bucket=ALLOWED, Key=key)["Body"].read()
        check_archive(data, tmp_path / "unzipped", worlds)
        assert not s3.list_multipart_uploads(Bucket=ALLOWED).get("Uploads")
        # a bucket the role may not write to, a role STS refuses
        job = robomaker.create_world_export_job(
            worlds=worlds, outputLocation={"s3Bucket": DENIED}, iamRole=moto_s3.role
        )
        failed = wait_export(robomaker, job["arn"])
        assert (failed["status"], failed["failureCode"]) == ("Failed", "AccessDenied")
        assert DENIED in failed["failureReason"]
        # cancel mid-export: no object, no multipart upload left behind
        server.control("pace", pace="step")
        job = robomaker.create_world_export_job(
            worlds=worlds, outputLocation={"s3Bucket": ALLOWED, "s3Prefix": "canceled"}, iamRole=moto_s3.role
        )
        server.control("advance", jobId=job["arn"].rsplit("/", 1)[1], steps=3)
        wait_export(robomaker, job["arn"], ("Running",))
        time.sleep(1.0)
        robomaker.cancel_world_export_job(job=job["arn"])
        server.control("advance", jobId=job["arn"].rsplit("/", 1)[1], steps=10)  # let it reach a check
        assert wait_export(robomaker, job["arn"])["status"] == "Canceled"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ALLOWED).get("Contents", [])]
        assert not [k for k in keys if k.startswith("canceled/")] and len(keys) == 1
        assert not s3.list_multipart_uploads(Bucket=ALLOWED).get("Uploads")
    finally:
        server.stop()


def test_a_role_sts_refuses_fails_with_access_denied(moto_s3: MotoS3, tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN000000000", "AWS_SECRET_ACCESS_KEY": "wrong"}
    server = JobforgeServer(tmp_path / "data", "--s3-endpoint-url", moto_s3.url, env=env).start()
    try:
        robomaker = client("robomaker", server.url)
        worlds = generate_worlds(robomaker)["worlds"]
        job = robomaker.create_world_export_job(
            worlds=worlds[:1], outputLocation={"s3Bucket": ALLOWED}, iamRole=moto_s3.role
        )
        failed = wait_export(robomaker, job["arn"])
        assert (failed["status"], failed["failureCode"]) == ("Failed", "AccessDenied")
        assert moto_s3.role in failed["failureReason"]
    finally:
        server.stop()
