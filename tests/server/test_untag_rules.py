"""UntagResource refuses AWS's reserved ``aws:`` keys as TagResource does, with each service's
modeled validation error, and the one tagging implementation keeps each service's answers
(taggable kinds, not-found errors) - through boto3 against a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.location.fixtures import cases_table, parquet_bytes
from tests.location.helpers import make_bucket, put_local, start
from tests.support import JobforgeServer, client

from .test_bad_input import BODY

RESERVED = [["aws:owner"], ["AWS:Owner", "fine"]]


def _error(call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response  # type: ignore[no-any-return]


@pytest.mark.parametrize("keys", RESERVED, ids=["aws", "AWS"])
def test_robomaker_untag_refuses_reserved_keys(server: JobforgeServer, keys: list[str]) -> None:
    robomaker = client("robomaker", server.url)
    arn = robomaker.create_world_template(templateBody=BODY, tags={"fine": "1"})["arn"]
    response = _error(robomaker.untag_resource, resourceArn=arn, tagKeys=keys)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert "reserved for AWS" in response["Error"]["Message"]
    assert robomaker.list_tags_for_resource(resourceArn=arn)["tags"] == {"fine": "1"}  # nothing removed
    robomaker.untag_resource(resourceArn=arn, tagKeys=["fine", "awsome"])
    assert robomaker.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    world = arn.replace(":world-template/", ":world/")  # an ARN of another kind: not found
    assert _error(robomaker.list_tags_for_resource, resourceArn=world)["Error"]["Code"] == (
        "ResourceNotFoundException"
    )


@pytest.mark.parametrize("keys", RESERVED, ids=["aws", "AWS"])
def test_data_exchange_untag_refuses_reserved_keys(server: JobforgeServer, keys: list[str]) -> None:
    dx = client("dataexchange", server.url)
    data_set = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="t", Description="d", Tags={"fine": "1"})
    revision = dx.create_revision(DataSetId=data_set["Id"], Tags={"fine": "1"})
    for arn in (data_set["Arn"], revision["Arn"]):
        response = _error(dx.untag_resource, ResourceArn=arn, TagKeys=keys)
        assert response["Error"]["Code"] == "ValidationException"
        assert "reserved for AWS" in response["Error"]["Message"]
        assert dx.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"fine": "1"}
    missing = f"{data_set['Arn'][: -len(data_set['Id'])]}{'0' * 32}"
    response = _error(dx.untag_resource, ResourceArn=missing, TagKeys=keys)  # the ARN is checked first
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["ResourceType"] == "DATA_SET"


@pytest.mark.parametrize("keys", RESERVED, ids=["aws", "AWS"])
def test_location_untag_refuses_reserved_keys(server: JobforgeServer, keys: list[str]) -> None:
    put_local(server, "untag-in", "in/a.parquet", parquet_bytes(cases_table()))
    make_bucket(server, "untag-out")
    location = client("location", server.url)
    arn = start(location, "s3://untag-in/in/", "s3://untag-out/out/", Tags={"fine": "1"})["JobArn"]
    response = _error(location.untag_resource, ResourceArn=arn, TagKeys=keys)
    assert response["Error"]["Code"] == "ValidationException"
    assert "reserved for AWS" in response["Error"]["Message"]
    assert location.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"fine": "1"}
    location.untag_resource(ResourceArn=arn, TagKeys=["fine"])
    assert location.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}
    other_region = client("location", server.url, region="us-west-2")
    response = _error(other_region.untag_resource, ResourceArn=arn, TagKeys=["fine"])
    assert response["Error"]["Code"] == "ResourceNotFoundException"
