"""RoboMaker world templates through real clients against a running jobforge server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from jobforge.model_files import models_data_path
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body
from tests.support import AWS_MODELS, JobforgeServer, client

BODY = sample_body("OneBedroomHouse")
HUGE_AREA = BODY.replace('"Area": 25', '"Area": 1' + "0" * 5000)  # an integer of 5001 digits


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


@pytest.fixture
def robomaker(server: JobforgeServer):
    return client("robomaker", server.url)


def test_template_lifecycle_with_the_projects_model(robomaker) -> None:
    created = robomaker.create_world_template(name="house", templateBody=BODY, tags={"team": "nav"})
    arn = created["arn"]
    assert arn.startswith("arn:aws:robomaker:us-east-1:000000000000:world-template/")
    assert created["name"] == "house" and created["tags"] == {"team": "nav"}

    described = robomaker.describe_world_template(template=arn)
    assert described["version"] == "1" and described["tags"] == {"team": "nav"}
    assert described["createdAt"] == created["createdAt"]
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == BODY  # byte for byte

    v2_body = json.dumps(SIX_ROOMS_V2, indent=1)
    updated = robomaker.update_world_template(template=arn, name="house-v2", templateBody=v2_body)
    assert updated["name"] == "house-v2" and updated["lastUpdatedAt"] >= updated["createdAt"]
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == v2_body
    assert robomaker.describe_world_template(template=arn)["version"] == "2"

    robomaker.tag_resource(resourceArn=arn, tags={"env": "test"})
    robomaker.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert robomaker.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}

    robomaker.delete_world_template(template=arn)
    with pytest.raises(ClientError) as info:
        robomaker.describe_world_template(template=arn)
    assert error_code(info) == "ResourceNotFoundException"


def test_pagination(server: JobforgeServer) -> None:
    robomaker = client("robomaker", server.url, access_key="111122223333")  # an account of its own
    arns = [robomaker.create_world_template(name=f"t{i}", templateBody=BODY)["arn"] for i in range(7)]
    first = robomaker.list_world_templates(maxResults=3)
    assert len(first["templateSummaries"]) == 3 and first["nextToken"]
    listed = [
        summary["arn"]
        for page in robomaker.get_paginator("list_world_templates").paginate(PaginationConfig={"PageSize": 2})
        for summary in page["templateSummaries"]
    ]
    assert listed == arns
    with pytest.raises(ClientError) as info:
        robomaker.list_world_templates(maxResults=3, nextToken=first["nextToken"][:-3] + "abc")
    assert error_code(info) == "InvalidParameterException"


def test_accounts_and_regions_are_isolated(server: JobforgeServer) -> None:
    owner = client("robomaker", server.url, access_key="444455556666")
    arn = owner.create_world_template(templateBody=BODY)["arn"]
    assert ":444455556666:" in arn
    for other in (
        client("robomaker", server.url, access_key="777788889999"),
        client("robomaker", server.url, access_key="444455556666", region="eu-west-1"),
    ):
        with pytest.raises(ClientError) as info:
            other.describe_world_template(template=arn)
        assert error_code(info) == "ResourceNotFoundException"
        with pytest.raises(ClientError):
            other.delete_world_template(template=arn)
        with pytest.raises(ClientError):
            other.tag_resource(resourceArn=arn, tags={"x": "y"})
        assert arn not in [t["arn"] for t in other.list_world_templates()["templateSummaries"]]
    assert owner.describe_world_template(template=arn)["arn"] == arn


def test_idempotent_create_with_client_token(robomaker) -> None:
    first = robomaker.create_world_template(clientRequestToken="tok-1", name="a", templateBody=BODY)
    again = robomaker.create_world_template(clientRequestToken="tok-1", name="a", templateBody=BODY)
    assert again["arn"] == first["arn"]
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(clientRequestToken="tok-1", name="b", templateBody=BODY)
    assert error_code(info) == "IdempotentParameterMismatchException"


def test_a_client_token_retried_after_the_delete_makes_a_new_template(robomaker) -> None:
    """Its template is gone, so the token is free: a new template, not NotFound for an ARN the
    request never named; the token then stands for the new one."""
    first = robomaker.create_world_template(clientRequestToken="tok-after-delete", templateBody="{}")
    robomaker.delete_world_template(template=first["arn"])
    second = robomaker.create_world_template(clientRequestToken="tok-after-delete", templateBody="{}")
    assert second["arn"] != first["arn"] and second["clientRequestToken"] == "tok-after-delete"
    assert robomaker.describe_world_template(template=second["arn"])["arn"] == second["arn"]
    again = robomaker.create_world_template(clientRequestToken="tok-after-delete", templateBody="{}")
    assert again["arn"] == second["arn"]
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(clientRequestToken="tok-after-delete", templateBody=BODY)
    assert error_code(info) == "IdempotentParameterMismatchException"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("not json", "JSON"),
        (json.dumps({"Version": "1", "Buildings": []}), "Buildings"),
        (BODY.replace('"Area": 25', '"Area": -5'), "Area"),
        (BODY.replace('"Height": 3', '"Height": 5'), "Height"),
        (BODY.replace('"Type": "Bedroom"', '"Type": "Garage"'), "Type"),
        (BODY.replace('["Bathroom", "Living room"]', '["Bathroom", "Attic"]'), "Attic"),
    ],
)
def test_invalid_bodies_are_named(robomaker, body: str, fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(templateBody=body)
    assert error_code(info) == "InvalidParameterException"
    assert fragment in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 1100 + "]" * 1100, "nests arrays and objects deeper than 32 levels"),
        (HUGE_AREA, "has a number of 5001 digits, too long to read"),
    ],
    ids=["1100-deep", "5001-digit-area"],
)
def test_bodies_json_cannot_read_are_invalid_parameters(robomaker, body: str, message: str) -> None:
    """Well under the 262,144-character limit, these once crashed the JSON reader (500)."""
    assert len(body) < 10_000
    arn = robomaker.create_world_template(templateBody=BODY)["arn"]
    for call in (
        lambda: robomaker.create_world_template(templateBody=body),
        lambda: robomaker.update_world_template(template=arn, templateBody=body),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert error_code(info) == "InvalidParameterException"
        assert info.value.response["Error"]["Message"] == f"Invalid template body: template body {message}"
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == BODY


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Buildings": []}, "Buildings must contain exactly 1 item, got 0"),
        ({"Version": "2", "Buildings": [{"Floors": []}]}, "Buildings[0].Floors must contain exactly 1 item"),
        (
            {"Buildings": [{"Floors": [{"Floorplan": {"Rooms": []}}]}]},
            "Buildings[0].Floors[0].Floorplan.Rooms must contain between 1 and 6 items, got 0",
        ),
        (
            {
                "Version": "2",
                "Buildings": [{"Floors": [{"Floorplan": {"Rooms": [], "Ceiling": {"Height": 3}}}]}],
            },
            "Buildings[0].Floors[0].Floorplan.Rooms must contain between 1 and 6 items, got 0",
        ),
    ],
)
def test_templates_with_an_empty_room_list_are_refused(robomaker, body: dict, message: str) -> None:
    """An explicit empty list is a template without rooms: refused (the schema says minItems 1)."""
    for create in (True, False):
        with pytest.raises(ClientError) as info:
            if create:
                robomaker.create_world_template(templateBody=json.dumps(body))
            else:
                arn = robomaker.create_world_template(templateBody=BODY)["arn"]
                robomaker.update_world_template(template=arn, templateBody=json.dumps(body))
        assert error_code(info) == "InvalidParameterException"
        assert message in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("body", "version"),
    [("{}", "1"), ('{"Version": "2"}', "2"), ('{"Buildings": [{"Floors": [{"Floorplan": {}}]}]}', "1")],
)
def test_templates_that_leave_rooms_out_are_accepted_with_the_schema_default(
    robomaker, body: str, version: str
) -> None:
    """Leaving Rooms (or a level above it) out is not an error: the schemas define default rooms."""
    arn = robomaker.create_world_template(templateBody=body)["arn"]
    assert robomaker.describe_world_template(template=arn)["version"] == version
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == body


def test_template_location_reads_the_object_store(server: JobforgeServer, robomaker) -> None:
    target = server.data_dir / "buckets" / "templates" / "houses" / "one.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BODY)
    arn = robomaker.create_world_template(
        templateLocation={"s3Bucket": "templates", "s3Key": "houses/one.json"}
    )["arn"]
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == BODY
    with pytest.raises(ClientError) as info:
        robomaker.create_world_template(
            templateLocation={"s3Bucket": "templates", "s3Key": "houses/none.json"}
        )
    assert error_code(info) == "ResourceNotFoundException"
    secret = server.data_dir / "outside.json"
    secret.write_text(BODY)
    for key in ("../../outside.json", "houses/../../../outside.json", "%2e%2e/outside.json"):
        with pytest.raises(ClientError) as info:
            robomaker.create_world_template(templateLocation={"s3Bucket": "templates", "s3Key": key})
        assert error_code(info) in ("InvalidParameterException", "ResourceNotFoundException")
        assert "outside" not in json.dumps(
            [t["arn"] for t in robomaker.list_world_templates()["templateSummaries"]]
        )


def test_template_location_is_held_to_the_inline_body_limit(server: JobforgeServer, robomaker) -> None:
    """262,144 characters (the model's Json), however the body is given: GetWorldTemplateBody
    never answers more than its model allows."""
    folder = server.data_dir / "buckets" / "templates" / "limit"
    folder.mkdir(parents=True, exist_ok=True)
    padded = {n: '{"Version": "1"' + " " * (n - 16) + "}" for n in (262_144, 262_145, 1_048_577)}
    for n, body in padded.items():
        assert len(body) == n
        (folder / f"{n}.json").write_text(body)
    fits = robomaker.create_world_template(
        templateLocation={"s3Bucket": "templates", "s3Key": "limit/262144.json"}
    )
    assert robomaker.get_world_template_body(template=fits["arn"])["templateBody"] == padded[262_144]
    for n in (262_145, 1_048_577):
        with pytest.raises(ClientError) as info:
            robomaker.create_world_template(
                templateLocation={"s3Bucket": "templates", "s3Key": f"limit/{n}.json"}
            )
        assert error_code(info) == "InvalidParameterException"
        assert info.value.response["Error"]["Message"] == (
            f"The template body at s3://templates/limit/{n}.json is longer than 262,144 characters, "
            "the most a template body may have"
        )
        with pytest.raises(ClientError) as info:
            robomaker.update_world_template(
                template=fits["arn"], templateLocation={"s3Bucket": "templates", "s3Key": f"limit/{n}.json"}
            )
        assert error_code(info) == "InvalidParameterException"
    # characters, not bytes: 262,144 characters of which some take two bytes in UTF-8
    wide = (
        '{"Version": "2", "Buildings": [{"Floors": [{"Floorplan": {"Rooms": [{"Type": "Living", "Name": "L", '
        '"OriginalName": "'
        + "é" * 1000
        + '", "DesiredShape": {"Area": 20, "AspectRatio": {"x": 1, "y": 1}}}]}}]}]}'
    )
    wide = wide[:-1] + " " * (262_144 - len(wide)) + "}"
    (folder / "wide.json").write_text(wide, encoding="utf-8")
    assert len(wide) == 262_144 and len(wide.encode()) > 262_144
    made = robomaker.create_world_template(
        templateLocation={"s3Bucket": "templates", "s3Key": "limit/wide.json"}
    )
    assert robomaker.get_world_template_body(template=made["arn"])["templateBody"] == wide


@pytest.mark.skipif(
    not (AWS_MODELS / "robomaker").is_dir(), reason="AWS's RoboMaker model (../shared) is absent"
)
def test_aws_own_model_works_against_jobforge(server: JobforgeServer) -> None:
    robomaker = client("robomaker", server.url, models=AWS_MODELS)
    arn = robomaker.create_world_template(name="aws-model", templateBody=BODY)["arn"]
    assert robomaker.get_world_template_body(template=arn)["templateBody"] == BODY
    assert any(t["arn"] == arn for t in robomaker.list_world_templates()["templateSummaries"])
    robomaker.delete_world_template(template=arn)


def test_aws_cli(server: JobforgeServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_DATA_PATH": str(models_data_path()),
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def aws(*args: str) -> dict:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "awscli",
                "robomaker",
                *args,
                "--endpoint-url",
                server.url,
                "--output",
                "json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    body_file = tmp_path / "body.json"
    body_file.write_text(BODY)
    arn = aws("create-world-template", "--name", "cli", "--template-body", f"file://{body_file}")["arn"]
    assert aws("describe-world-template", "--template", arn)["name"] == "cli"
    assert aws("get-world-template-body", "--template", arn)["templateBody"] == BODY
    aws("tag-resource", "--resource-arn", arn, "--tags", "k=v")
    assert aws("list-tags-for-resource", "--resource-arn", arn)["tags"] == {"k": "v"}
    assert any(t["arn"] == arn for t in aws("list-world-templates")["templateSummaries"])
    aws("delete-world-template", "--template", arn)


def test_models_install_writes_a_loadable_model(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobforge.cli", "models", "install", "--target", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "robomaker" / "2018-06-29" / "service-2.json").is_file()
    robomaker = client("robomaker", "http://127.0.0.1:1", models=tmp_path)
    assert hasattr(robomaker, "create_world_generation_job")
