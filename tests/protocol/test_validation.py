"""Server-side validation with each service's own error (client-side validation switched off)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jobforge.protocol.specs import load_service_model
from jobforge.protocol.validate import compile_pattern, java_to_python_regex, validate

from .conftest import LiveServer


def _error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def test_robomaker_uses_invalid_parameter_exception(live: LiveServer, client_factory: Callable) -> None:
    robomaker = client_factory("robomaker", validate=False)
    error = _error(lambda: robomaker.create_world_template(name="n" * 256, clientRequestToken="bad token!"))
    assert error["Error"]["Code"] == "InvalidParameterException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = error["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert (
        "at 'name' failed to satisfy constraint: Member must have length less than or equal to 255" in message
    )
    assert (
        "Value 'bad token!' at 'clientRequestToken' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_\\-=]*" in message
    )
    assert "; " in message
    assert live.providers["robomaker"].calls == []


def test_robomaker_required_member(client_factory: Callable) -> None:
    robomaker = client_factory("robomaker", validate=False)
    error = _error(lambda: robomaker.describe_world_template(template=""))
    assert error["Error"]["Code"] == "InvalidParameterException"
    assert "Member must have length greater than or equal to 1" in error["Error"]["Message"]


def test_dataexchange_required_and_enum(client_factory: Callable) -> None:
    dataexchange = client_factory("dataexchange", validate=False)
    error = _error(lambda: dataexchange.create_data_set(AssetType="FLOPPY_DISK", Description="d"))
    assert error["Error"]["Code"] == "ValidationException"
    message = error["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert "Value null at 'Name' failed to satisfy constraint: Member must not be null" in message
    assert (
        "Value 'FLOPPY_DISK' at 'AssetType' failed to satisfy constraint: Member must satisfy enum value set"
        in (message)
    )


def test_dataexchange_query_integer_range(client_factory: Callable) -> None:
    dataexchange = client_factory("dataexchange", validate=False)
    error = _error(lambda: dataexchange.list_data_sets(MaxResults=0))
    assert error["Error"]["Code"] == "ValidationException"
    assert "Member must have value greater than or equal to 1" in error["Error"]["Message"]


def test_location_reason_and_field_list(client_factory: Callable) -> None:
    location = client_factory("location", validate=False)
    error = _error(lambda: location.create_tracker(TrackerName="no spaces allowed", Description="d" * 1001))
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Reason"] == "FieldValidationFailed"
    fields = {field["Name"]: field["Message"] for field in error["FieldList"]}
    assert set(fields) == {"TrackerName", "Description"}
    assert "regular expression pattern: [-._\\w]+" in fields["TrackerName"]
    assert "length less than or equal to 1000" in fields["Description"]


def test_location_sensitive_values_are_not_echoed(client_factory: Callable) -> None:
    location = client_factory("location", validate=False)
    error = _error(
        lambda: location.search_place_index_for_text(
            IndexName="idx", Text="secret address" * 20, MaxResults=99
        )
    )
    message = error["Error"]["Message"]
    assert "secret address" not in message
    assert (
        "Value at 'Text' failed to satisfy constraint: Member must have length less than or equal to 200"
        in (message)
    )
    assert "Value '99' at 'MaxResults'" in message


def test_location_list_sizes_and_nested_paths(client_factory: Callable) -> None:
    location = client_factory("location", validate=False)
    error = _error(
        lambda: location.batch_update_device_position(
            TrackerName="t",
            Updates=[{"DeviceId": "", "SampleTime": "2024-01-01T00:00:00Z", "Position": [1.0]}],
        )
    )
    fields = dict((f["Name"], f["Message"]) for f in error["FieldList"])
    assert "Updates.1.member.DeviceId" in fields
    assert "Updates.1.member.Position" in fields


def test_valid_request_reaches_provider(live: LiveServer, client_factory: Callable) -> None:
    location = client_factory("location")
    location.create_tracker(TrackerName="my-tracker", Tags={"team": "robots"})
    call = live.providers["location"].last
    assert call.operation == "create_tracker"
    assert call.request == {"TrackerName": "my-tracker", "Tags": {"team": "robots"}}


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"[-._\p{L}\p{N}]+", "idx-名前1", "a b"),
        (r"([\p{L}\p{Z}\p{N}_.,:/=+\-@]*)", "Straße 1, Köln", "<b>"),
        (r"([\w!$&()*+,./:;=?@\x{60}-]|%([\dA-Fa-f]{2}|[\dA-Fa-f]?\*))+", "a`b%2F", "a b"),
        (r"[A-Z]{3}$|^", "", "ABCD"),
        (r"\d{12}", "123456789012", "12345678901x"),  # full match, like Java's matches()
        (r".*/^[\d]{12}$/.*", "123456789012", "12"),  # patched model bug (JS regex literal)
        (r"\QA+B\E\z", "A+B", "AAB"),
    ],
)
def test_java_patterns(pattern: str, good: str, bad: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled is not None, java_to_python_regex(pattern)
    assert compiled.fullmatch(good)
    assert not compiled.fullmatch(bad)


def test_unusable_pattern_is_skipped_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    assert compile_pattern(r"[a-z&&[^aeiou]]+") is None
    assert compile_pattern(r"(unclosed") is None
    assert "Skipping model pattern" in caplog.text


def test_every_model_pattern_compiles() -> None:
    for service in ("dataexchange", "location"):
        model = load_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                assert compile_pattern(pattern) is not None, (service, name, pattern)


def test_validate_reports_all_problems_with_paths() -> None:
    model = load_service_model("location")
    shape = model.operation_model("BatchPutGeofence").input_shape
    result = validate(shape, {"CollectionName": "c", "Entries": [{"GeofenceId": "g"}, {}]})
    assert result is not None
    message, fields = result
    paths = [path for path, _ in fields]
    assert "Entries.1.member.Geometry" in paths
    assert "Entries.2.member.GeofenceId" in paths
    assert message.startswith(f"{len(fields)} validation errors detected")
    assert validate(shape, {"CollectionName": "c", "Entries": [{"GeofenceId": "g", "Geometry": {}}]}) is None
