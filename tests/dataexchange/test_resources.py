"""Data sets, revisions, assets, tags and event actions: the rules and the model's errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.dataexchange.conftest import DataExchangeEnv

DATASHARE = "arn:aws:redshift:us-east-1:111122223333:datashare:0b7e6b3c-2d29-4c5e-8e4b-2f6a0e7e1c11/sales"


def _error(caught: pytest.ExceptionInfo[ClientError]) -> dict:
    response = caught.value.response
    return {"Code": response["Error"]["Code"], **{k: response.get(k) for k in ("ResourceType", "ResourceId")}}


def test_data_set_lifecycle(env: DataExchangeEnv) -> None:
    dx = env.dx
    created = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="ds", Description="d", Tags={"k": "v"})
    ds = created["Id"]
    assert dx.get_data_set(DataSetId=ds)["Tags"] == {"k": "v"}
    updated = dx.update_data_set(DataSetId=ds, Name="renamed", Description="new")
    assert (updated["Name"], updated["Description"], updated["AssetType"]) == (
        "renamed",
        "new",
        "S3_SNAPSHOT",
    )
    listed = [
        d["Id"]
        for page in dx.get_paginator("list_data_sets").paginate(Origin="OWNED")
        for d in page["DataSets"]
    ]
    assert ds in listed
    assert dx.list_data_sets(Origin="ENTITLED")["DataSets"] == []
    rev = env.revision(ds)
    with pytest.raises(ClientError) as caught:
        dx.delete_data_set(DataSetId=ds)
    assert _error(caught) == {"Code": "ConflictException", "ResourceType": "DATA_SET", "ResourceId": ds}
    dx.delete_revision(DataSetId=ds, RevisionId=rev)
    dx.delete_data_set(DataSetId=ds)
    with pytest.raises(ClientError) as caught:
        dx.get_data_set(DataSetId=ds)
    assert _error(caught) == {
        "Code": "ResourceNotFoundException",
        "ResourceType": "DATA_SET",
        "ResourceId": ds,
    }


def test_bad_input_is_a_validation_exception(env: DataExchangeEnv) -> None:
    dx = env.dx
    ds = env.data_set()
    rev = env.revision(ds)
    cases = [
        lambda: dx.get_data_set(DataSetId="short"),  # pattern [a-zA-Z0-9]{30,40}
        lambda: dx.list_data_sets(MaxResults=500),
        lambda: dx.list_data_sets(Origin="MINE"),
        lambda: dx.create_job(
            Type="IMPORT_ASSETS_FROM_S3",
            Details={"ExportAssetToSignedUrl": {"DataSetId": ds, "RevisionId": rev, "AssetId": "a" * 32}},
        ),
        lambda: dx.create_job(
            Type="EXPORT_REVISIONS_TO_S3",
            Details={
                "ExportRevisionsToS3": {
                    "DataSetId": ds,
                    "RevisionDestinations": [
                        {"Bucket": "b-b-b", "RevisionId": rev, "KeyPattern": "${Revision.Id}"}
                    ],
                }
            },
        ),
        lambda: dx.create_job(
            Type="EXPORT_REVISIONS_TO_S3",
            Details={
                "ExportRevisionsToS3": {
                    "DataSetId": ds,
                    "RevisionDestinations": [
                        {"Bucket": "b-b-b", "RevisionId": rev, "KeyPattern": "${Asset.Nmae}"}
                    ],
                }
            },
        ),
        lambda: dx.create_job(
            Type="EXPORT_REVISIONS_TO_S3",
            Details={
                "ExportRevisionsToS3": {
                    "DataSetId": ds,
                    "Encryption": {"Type": "aws:kms"},
                    "RevisionDestinations": [{"Bucket": "b-b-b", "RevisionId": rev}],
                }
            },
        ),
        lambda: dx.create_job(
            Type="IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES",
            Details={
                "ImportAssetsFromRedshiftDataShares": {
                    "DataSetId": ds,
                    "RevisionId": rev,
                    "AssetSources": [{"DataShareArn": "nope"}],
                }
            },
        ),
        lambda: dx.create_job(  # an S3 snapshot data set cannot take datashares
            Type="IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES",
            Details={
                "ImportAssetsFromRedshiftDataShares": {
                    "DataSetId": ds,
                    "RevisionId": rev,
                    "AssetSources": [{"DataShareArn": DATASHARE}],
                }
            },
        ),
        lambda: dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True),  # no assets yet
    ]
    for number, call in enumerate(cases):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ValidationException", number


def test_revision_rules(env: DataExchangeEnv) -> None:
    dx = env.dx
    ds, rev, asset = env.with_asset()
    final = dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    assert final["Finalized"] and not final["Revoked"]
    conflicts = [
        lambda: dx.update_revision(DataSetId=ds, RevisionId=rev, Comment="changed"),
        lambda: dx.delete_revision(DataSetId=ds, RevisionId=rev),
        lambda: dx.update_asset(DataSetId=ds, RevisionId=rev, AssetId=asset, Name="b.csv"),
        lambda: dx.delete_asset(DataSetId=ds, RevisionId=rev, AssetId=asset),
    ]
    for call in conflicts:
        with pytest.raises(ClientError) as caught:
            call()
        assert _error(caught) == {"Code": "ConflictException", "ResourceType": "REVISION", "ResourceId": rev}
    # un-finalize, change, finalize again
    opened = dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=False, Comment="second thoughts")
    assert opened["Finalized"] is False and opened["Comment"] == "second thoughts"
    renamed = dx.update_asset(DataSetId=ds, RevisionId=rev, AssetId=asset, Name="b.csv")
    assert renamed["Name"] == "b.csv"
    with pytest.raises(ClientError) as caught:
        dx.revoke_revision(DataSetId=ds, RevisionId=rev, RevocationComment="not final yet")
    assert _error(caught)["Code"] == "ConflictException"
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    revoked = dx.revoke_revision(DataSetId=ds, RevisionId=rev, RevocationComment="licence withdrawn")
    assert revoked["Revoked"] and revoked["RevokedAt"] and revoked["RevocationComment"] == "licence withdrawn"
    for call in (
        lambda: dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=False),
        lambda: dx.revoke_revision(DataSetId=ds, RevisionId=rev, RevocationComment="revoke once more"),
        lambda: dx.create_job(
            Type="EXPORT_ASSET_TO_SIGNED_URL",
            Details={"ExportAssetToSignedUrl": {"DataSetId": ds, "RevisionId": rev, "AssetId": asset}},
        ),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert _error(caught)["Code"] == "ConflictException"
    # a revoked revision's assets may be deleted to reclaim storage, then the revision itself
    before = len(env.internal_keys())
    dx.delete_asset(DataSetId=ds, RevisionId=rev, AssetId=asset)
    assert len(env.internal_keys()) == before - 1
    dx.delete_revision(DataSetId=ds, RevisionId=rev)
    with pytest.raises(ClientError) as caught:
        dx.get_revision(DataSetId=ds, RevisionId=rev)
    assert _error(caught) == {
        "Code": "ResourceNotFoundException",
        "ResourceType": "REVISION",
        "ResourceId": rev,
    }


def test_deleting_a_revision_deletes_its_assets_and_bytes(env: DataExchangeEnv) -> None:
    ds, rev, asset = env.with_asset()
    assert any(key.endswith(f"/{rev}/{asset}") for key in env.internal_keys())
    env.dx.delete_revision(DataSetId=ds, RevisionId=rev)
    assert not any(f"/{rev}/" in key for key in env.internal_keys())
    with pytest.raises(ClientError) as caught:
        env.dx.get_asset(DataSetId=ds, RevisionId=rev, AssetId=asset)
    assert _error(caught)["Code"] == "ResourceNotFoundException"


def test_tags(env: DataExchangeEnv) -> None:
    dx = env.dx
    ds, rev, _ = env.with_asset()
    data_set_arn = dx.get_data_set(DataSetId=ds)["Arn"]
    revision_arn = dx.get_revision(DataSetId=ds, RevisionId=rev)["Arn"]
    assert revision_arn == f"{data_set_arn}/revisions/{rev}"
    for arn in (data_set_arn, revision_arn):
        dx.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
        dx.untag_resource(ResourceArn=arn, TagKeys=["a"])
        assert dx.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert dx.get_revision(DataSetId=ds, RevisionId=rev)["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as caught:
        dx.list_tags_for_resource(
            ResourceArn=f"arn:aws:dataexchange:us-east-1:111122223333:data-sets/{'0' * 32}"
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_asset_tags_from_the_job(env: DataExchangeEnv) -> None:
    source = env.bucket()
    env.buckets.put(source, "t.csv", b"t")
    ds = env.data_set()
    rev = env.revision(ds)
    job = env.dx.create_job(
        Type="IMPORT_ASSETS_FROM_S3",
        Details={
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [{"Bucket": source, "Key": "t.csv"}],
            }
        },
        AssetConfiguration={"Tags": [{"Key": "origin", "Value": "feed"}]},
    )
    env.dx.start_job(JobId=job["Id"])
    assert env.wait(job["Id"])["State"] == "COMPLETED"
    asset = env.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"][0]
    got = env.dx.get_asset(DataSetId=ds, RevisionId=rev, AssetId=asset["Id"])
    assert got["Tags"] == {"origin": "feed"}
    assert got["Arn"].endswith(f"data-sets/{ds}/revisions/{rev}/assets/{asset['Id']}")
    assert env.dx.list_tags_for_resource(ResourceArn=got["Arn"])["Tags"] == {"origin": "feed"}


def test_event_action_crud(env: DataExchangeEnv) -> None:
    dx = env.dx
    ds = env.data_set()
    target = env.bucket()
    created = dx.create_event_action(
        Event={"RevisionPublished": {"DataSetId": ds}},
        Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": target}}},
        Tags={"x": "y"},
    )
    destination = created["Action"]["ExportRevisionToS3"]["RevisionDestination"]
    assert destination["KeyPattern"] == "${Revision.CreatedAt}/${Asset.Name}"
    assert created["Arn"].endswith(f":event-actions/{created['Id']}") and created["Tags"] == {"x": "y"}
    updated = dx.update_event_action(
        EventActionId=created["Id"],
        Action={
            "ExportRevisionToS3": {
                "RevisionDestination": {"Bucket": target, "KeyPattern": "${Asset.Id}"},
                "Encryption": {"Type": "AES256"},
            }
        },
    )
    assert updated["Action"]["ExportRevisionToS3"]["Encryption"] == {"Type": "AES256"}
    with pytest.raises(ClientError) as caught:
        dx.create_event_action(
            Event={"RevisionPublished": {"DataSetId": ds}},
            Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": "dx-bucket-that-is-not-there"}}},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ExceptionCause"] == "S3AccessDenied"
    dx.delete_event_action(EventActionId=created["Id"])
    with pytest.raises(ClientError) as caught:
        dx.get_event_action(EventActionId=created["Id"])
    assert _error(caught) == {
        "Code": "ResourceNotFoundException",
        "ResourceType": "EVENT_ACTION",
        "ResourceId": created["Id"],
    }


def test_event_actions_only_watch_s3_snapshot_data_sets(env: DataExchangeEnv) -> None:
    """Auto-export runs EXPORT_REVISIONS_TO_S3, which only S3_SNAPSHOT data sets allow."""
    target = env.bucket()
    for asset_type in (
        "REDSHIFT_DATA_SHARE",
        "API_GATEWAY_API",
        "S3_DATA_ACCESS",
        "LAKE_FORMATION_DATA_PERMISSION",
    ):
        ds = env.data_set(asset_type=asset_type)
        with pytest.raises(ClientError) as caught:
            env.dx.create_event_action(
                Event={"RevisionPublished": {"DataSetId": ds}},
                Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": target}}},
            )
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert asset_type in caught.value.response["Error"]["Message"]
        assert env.dx.list_event_actions(EventSourceId=ds)["EventActions"] == []


def test_tagging_an_unknown_arn_names_its_resource_type(env: DataExchangeEnv) -> None:
    """ResourceNotFoundException's ResourceType fits the ARN, and is left out when none does."""
    dx = env.dx
    ds, rev, _ = env.with_asset()
    base = "arn:aws:dataexchange:us-east-1:111122223333"
    missing = "f" * 32
    job = dx.list_jobs(DataSetId=ds)["Jobs"][0]["Arn"]  # jobs exist, but are not taggable
    cases = {
        f"{base}:data-sets/{missing}": "DATA_SET",
        f"{base}:data-sets/{ds}/revisions/{missing}": "REVISION",
        f"{base}:data-sets/{ds}/revisions/{rev}/assets/{missing}": "ASSET",
        f"{base}:event-actions/{missing}": "EVENT_ACTION",
        job: "JOB",
        f"{base}:data-grants/{missing}": "DATA_GRANT",
        "arn:aws:s3:::some-bucket": None,
        f"{base}:something-else/{missing}": None,
    }
    for arn, resource_type in cases.items():
        with pytest.raises(ClientError) as caught:
            dx.list_tags_for_resource(ResourceArn=arn)
        response = caught.value.response
        assert response["Error"]["Code"] == "ResourceNotFoundException", arn
        assert response.get("ResourceType") == resource_type, arn
        assert response["ResourceId"] == arn
