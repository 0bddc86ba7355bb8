"""AWS's tagging rules, enforced in one place (the engine's tag store) and answered with each
service's validation error: the reserved ``aws:`` prefix, key 1..128 and value 0..256 characters,
at most 50 tags on a resource. (Location's: tests/location/test_failures.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import JobforgeServer, client

from .test_bad_input import BODY

BAD_TAGS = [
    {"aws:owner": "me"},
    {"AWS:Owner": "me"},  # the prefix is reserved in any case
    {"k" * 129: "v"},
    {"k": "v" * 257},
    {f"k{i}": "v" for i in range(51)},
]
GOOD_TAGS = {"k" * 128: "v" * 256, "awsome": "", **{f"k{i}": "v" for i in range(48)}}  # 50 tags


def _code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]["Code"]


@pytest.mark.parametrize("tags", BAD_TAGS, ids=["aws", "AWS", "key-129", "value-257", "51-tags"])
def test_data_exchange_refuses_bad_tags(server: JobforgeServer, tags: dict[str, str]) -> None:
    dx = client("dataexchange", server.url, parameter_validation=False)
    before = len(dx.list_data_sets()["DataSets"])
    assert _code(dx.create_data_set, AssetType="S3_SNAPSHOT", Name="t", Description="d", Tags=tags) == (
        "ValidationException"
    )
    assert len(dx.list_data_sets()["DataSets"]) == before  # nothing half-created
    ds = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="t", Description="d")
    assert _code(dx.create_revision, DataSetId=ds["Id"], Tags=tags) == "ValidationException"
    assert dx.list_data_set_revisions(DataSetId=ds["Id"])["Revisions"] == []
    assert _code(dx.tag_resource, ResourceArn=ds["Arn"], Tags=tags) == "ValidationException"
    rev = dx.create_revision(DataSetId=ds["Id"])
    asset_tags = [{"Key": key, "Value": value} for key, value in tags.items()][:50]
    if len(tags) <= 50:  # 51 list items are the model's own limit
        code = _code(
            dx.create_job,
            Type="IMPORT_ASSET_FROM_SIGNED_URL",
            Details={
                "ImportAssetFromSignedUrl": {
                    "DataSetId": ds["Id"],
                    "RevisionId": rev["Id"],
                    "AssetName": "a",
                    "Md5Hash": "1B2M2Y8AsgTpgAmY7PhCfg==",
                }
            },
            AssetConfiguration={"Tags": asset_tags},
        )
        assert code == "ValidationException"
    assert dx.list_tags_for_resource(ResourceArn=ds["Arn"])["Tags"] == {}


def test_data_exchange_tag_limits_are_inclusive(server: JobforgeServer) -> None:
    dx = client("dataexchange", server.url)
    ds = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="t", Description="d", Tags=GOOD_TAGS)
    assert dx.list_tags_for_resource(ResourceArn=ds["Arn"])["Tags"] == GOOD_TAGS
    # 50 tags already: one more key is refused, overwriting one is fine
    assert _code(dx.tag_resource, ResourceArn=ds["Arn"], Tags={"extra": "x"}) == "ValidationException"
    dx.tag_resource(ResourceArn=ds["Arn"], Tags={"k0": "new"})
    assert _code(dx.untag_resource, ResourceArn=ds["Arn"], TagKeys=["k" * 129]) == "ValidationException"
    dx.untag_resource(ResourceArn=ds["Arn"], TagKeys=["k0"])
    assert len(dx.list_tags_for_resource(ResourceArn=ds["Arn"])["Tags"]) == 49


@pytest.mark.parametrize("tags", [{"aws:owner": "me"}, {"Aws:x": "y"}], ids=["aws", "Aws"])
def test_robomaker_refuses_reserved_tags(server: JobforgeServer, tags: dict[str, str]) -> None:
    robomaker = client("robomaker", server.url)
    assert _code(robomaker.create_world_template, templateBody=BODY, tags=tags) == "InvalidParameterException"
    arn = robomaker.create_world_template(templateBody=BODY)["arn"]
    assert _code(robomaker.tag_resource, resourceArn=arn, tags=tags) == "InvalidParameterException"
    assert robomaker.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    assert (
        _code(robomaker.create_world_generation_job, template=arn, worldCount={"floorplanCount": 1,
              "interiorCountPerFloorplan": 1}, worldTags=tags)
        == "InvalidParameterException"
    )  # fmt: skip
    many = {f"k{i}": "v" for i in range(50)}
    robomaker.tag_resource(resourceArn=arn, tags=many)
    assert _code(robomaker.tag_resource, resourceArn=arn, tags={"one": "more"}) == "InvalidParameterException"
