"""SendDataSetNotification through boto3: recorded below the data set (read back through the
engine) and logged; idempotent by ClientToken; owner-only; Details and Scope checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jobforge.engine import JobEngine, Resource
from tests.dataexchange.conftest import DataExchangeEnv
from tests.support import client

OWNER = SimpleNamespace(account_id="111122223333", region="us-east-1")  # env's account


@pytest.fixture
def recorded(env: DataExchangeEnv) -> Iterator[Any]:
    """Reads the notifications of a data set from the server's database, as the engine stores them."""
    engine = JobEngine(f"sqlite:///{env.server.data_dir.resolve() / 'jobforge.db'}", single_node=False)

    def read(data_set_id: str) -> list[Resource]:
        page = engine.resources("dataexchange").list(OWNER, "notification", parent_id=data_set_id)
        return page.items

    yield read
    engine.db.dispose()


def _logged(env: DataExchangeEnv, data_set_id: str) -> list[dict[str, Any]]:
    lines = (
        json.loads(line) for line in env.server.log_path.read_text().splitlines() if line.startswith("{")
    )
    return [
        e for e in lines if e.get("message") == "data set notification" and e.get("data_set") == data_set_id
    ]


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_a_notification_is_recorded_and_logged(env: DataExchangeEnv, recorded: Any) -> None:
    ds = env.data_set()
    response = env.dx.send_data_set_notification(
        DataSetId=ds,
        Type="SCHEMA_CHANGE",
        Comment="column price is now a decimal",
        Details={
            "SchemaChange": {
                "Changes": [{"Name": "price", "Type": "MODIFY", "Description": "decimal(10,2)"}],
                "SchemaChangeAt": datetime(2026, 12, 1, 12, 30, tzinfo=UTC),
            }
        },
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    env.dx.send_data_set_notification(DataSetId=ds, Type="DATA_DELAY")
    notes = recorded(ds)
    assert sorted(note.data["Type"] for note in notes) == ["DATA_DELAY", "SCHEMA_CHANGE"]
    schema = next(note for note in notes if note.data["Type"] == "SCHEMA_CHANGE")
    assert schema.data["Comment"] == "column price is now a decimal"
    assert schema.data["Details"]["SchemaChange"] == {
        "Changes": [{"Name": "price", "Type": "MODIFY", "Description": "decimal(10,2)"}],
        "SchemaChangeAt": "2026-12-01T12:30:00.000Z",
    }
    logged = _logged(env, ds)
    assert sorted((e["notification"], e["notification_type"]) for e in logged) == sorted(
        (note.resource_id, note.data["Type"]) for note in notes
    )


def test_client_token_sends_once(env: DataExchangeEnv, recorded: Any) -> None:
    ds = env.data_set()
    for _ in range(2):
        env.dx.send_data_set_notification(DataSetId=ds, Type="DATA_UPDATE", ClientToken="refresh-1")
    assert len(recorded(ds)) == 1 and len(_logged(env, ds)) == 1
    with pytest.raises(ClientError) as caught:
        env.dx.send_data_set_notification(
            DataSetId=ds, Type="DATA_UPDATE", ClientToken="refresh-1", Comment="other"
        )
    assert _code(caught) == "ConflictException"
    assert len(recorded(ds)) == 1


def test_only_the_owner_can_notify(env: DataExchangeEnv, recorded: Any) -> None:
    ds = env.data_set()
    other = client("dataexchange", env.server.url, access_key="999988887777")
    with pytest.raises(ClientError) as caught:
        other.send_data_set_notification(DataSetId=ds, Type="DATA_DELAY")
    response = caught.value.response
    assert (response["Error"]["Code"], response["ResourceType"], response["ResourceId"]) == (
        "ResourceNotFoundException",
        "DATA_SET",
        ds,
    )
    missing = "0" * 32
    with pytest.raises(ClientError) as caught:
        env.dx.send_data_set_notification(DataSetId=missing, Type="DATA_DELAY")
    assert _code(caught) == "ResourceNotFoundException"
    assert recorded(ds) == []


def test_details_and_scope_must_fit(env: DataExchangeEnv, recorded: Any) -> None:
    ds = env.data_set()  # S3_SNAPSHOT
    unchecked = client("dataexchange", env.server.url, access_key="111122223333", parameter_validation=False)
    refused = [
        dict(Type="DATA_DELAY", Details={"DataUpdate": {}}),
        dict(Type="DATA_UPDATE", Details={"Deprecation": {"DeprecationAt": datetime(2027, 1, 1)}}),
        dict(Type="DATA_UPDATE", Scope={"S3DataAccesses": [{"Keys": ["a.csv"]}]}),
        dict(Type="DATA_UPDATE", Comment="x" * 4097),
    ]
    for request in refused:
        with pytest.raises(ClientError) as caught:
            env.dx.send_data_set_notification(DataSetId=ds, **request)
        assert _code(caught) == "ValidationException", request
    for request in (dict(Type="DATA_LOSS"), dict(Type="DEPRECATION", Details={"Deprecation": {}})):
        with pytest.raises(ClientError) as caught:
            unchecked.send_data_set_notification(DataSetId=ds, **request)
        assert _code(caught) == "ValidationException", request
    assert recorded(ds) == []

    shares = env.data_set(asset_type="REDSHIFT_DATA_SHARE")
    share = "arn:aws:redshift:us-east-1:111122223333:datashare:0b7e6b3c-2d29-4c5e-8e4b-2f6a0e7e1c11/sales"
    env.dx.send_data_set_notification(
        DataSetId=shares,
        Type="DEPRECATION",
        Details={"Deprecation": {"DeprecationAt": datetime(2027, 1, 1, tzinfo=UTC)}},
        Scope={"RedshiftDataShares": [{"Arn": share, "Database": "sales", "Table": "orders"}]},
    )
    (note,) = recorded(shares)
    assert note.data["Scope"] == {
        "RedshiftDataShares": [{"Arn": share, "Database": "sales", "Table": "orders"}]
    }


def test_deleting_the_data_set_deletes_its_notifications(env: DataExchangeEnv, recorded: Any) -> None:
    ds = env.data_set()
    env.dx.send_data_set_notification(DataSetId=ds, Type="DATA_DELAY")
    env.dx.delete_data_set(DataSetId=ds)
    assert recorded(ds) == []
