"""The pieces under the provider: S3 location parsing, JobError messages, limits, input naming."""

from __future__ import annotations

import pytest

from jobforge.services.location.fanout import part_name
from jobforge.services.location.job_handler import is_input_file
from jobforge.services.location.jobs import error_messages
from jobforge.services.location.limits import LocationLimits
from jobforge.services.location.locations import (
    LocationError,
    S3Location,
    parse_location,
    parse_output_location,
)


@pytest.mark.parametrize(
    ("value", "bucket", "key", "is_prefix"),
    [
        ("s3://my-bucket", "my-bucket", "", True),
        ("s3://my-bucket/", "my-bucket", "", True),
        ("s3://my-bucket/in/", "my-bucket", "in/", True),
        ("s3://my-bucket/in/file.parquet", "my-bucket", "in/file.parquet", False),
        ("arn:aws:s3:::my-bucket", "my-bucket", "", True),
        ("arn:aws:s3:::my-bucket/prefix/", "my-bucket", "prefix/", True),
        ("arn:aws-cn:s3:::my-bucket/a/b.parquet", "my-bucket", "a/b.parquet", False),
    ],
)
def test_parse_location(value: str, bucket: str, key: str, is_prefix: bool) -> None:
    location = parse_location(value)
    assert (location.bucket, location.key, location.is_prefix) == (bucket, key, is_prefix)


def test_output_locations_are_folders() -> None:
    assert parse_output_location("arn:aws:s3:::out-bucket/results") == S3Location("out-bucket", "results/")
    assert parse_output_location("s3://out-bucket/") == S3Location("out-bucket", "")
    assert str(S3Location("b-1", "x/").child("job/")) == "s3://b-1/x/job/"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("arn:aws:geo:us-east-1:123456789012:map/m", "not an Amazon S3 ARN"),
        ("https://my-bucket.s3.amazonaws.com/in/", "neither"),
        ("s3://ab/in/", "between 3 and 63"),
        ("s3://my-bucket/a//b/", "my-bucket"),
        ("s3://my-bucket/../etc/", "my-bucket"),
    ],
)
def test_bad_locations(value: str, text: str) -> None:
    with pytest.raises(LocationError, match=text.replace(".", r"\.")):
        parse_location(value)


def test_error_messages_fit_the_model() -> None:
    assert error_messages("short") == ["short"]
    long = " ".join(["word"] * 300)
    messages = error_messages(long)
    assert 1 <= len(messages) <= 4 and all(1 <= len(m) <= 200 for m in messages)
    assert messages[-1].endswith("...")
    unbroken = "s3://bucket/" + "k" * 450
    assert [len(m) for m in error_messages(unbroken)] == [200, 200, 62]
    assert error_messages("") == ["The job failed"]


def test_input_file_names() -> None:
    assert is_input_file("in/a.parquet", "in/")
    assert is_input_file("in/deeper/data", "in/")
    assert not is_input_file("in/_SUCCESS", "in/")
    assert not is_input_file("in/.a.parquet.crc", "in/")
    assert not is_input_file("in/folder/", "in/")
    assert part_name(7) == "part-00007.parquet"


def test_limits() -> None:
    limits = LocationLimits({"GetJob requests per second": 2, "Input files per job": 5})
    assert limits.max_input_files == 5 and limits.concurrent_jobs == 0
    allowed = [limits.allow("111122223333", "us-east-1", "GetJob") for _ in range(4)]
    assert allowed == [True, True, False, False]
    assert limits.allow("444455556666", "us-east-1", "GetJob")  # per account
    assert all(limits.allow("111122223333", "us-east-1", "ListJobs") for _ in range(50))  # not limited
    with pytest.raises(ValueError, match="Unknown Location limits"):
        LocationLimits({"Jobs per hour": 1})
