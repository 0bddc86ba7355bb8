"""jobforge with an S3-compatible endpoint (moto's server over HTTP) instead of local buckets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.robomaker.samples import sample_body
from tests.support import JobforgeServer, MotoServer, client


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


def test_template_location_on_an_s3_endpoint(moto: MotoServer, tmp_path: Path) -> None:
    s3 = moto.s3()
    s3.create_bucket(Bucket="templates")
    body = sample_body("TwoRooms")
    s3.put_object(Bucket="templates", Key="flats/two.json", Body=body.encode())
    args, env = moto.jobforge_args()
    server = JobforgeServer(tmp_path / "data", *args, env=env).start()
    try:
        robomaker = client("robomaker", server.url)
        arn = robomaker.create_world_template(
            templateLocation={"s3Bucket": "templates", "s3Key": "flats/two.json"}
        )["arn"]
        assert robomaker.get_world_template_body(template=arn)["templateBody"] == body
        with pytest.raises(ClientError) as info:
            robomaker.create_world_template(
                templateLocation={"s3Bucket": "templates", "s3Key": "missing.json"}
            )
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as info:
            robomaker.create_world_template(
                templateLocation={"s3Bucket": "no-such-bucket", "s3Key": "x.json"}
            )
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert not (tmp_path / "data" / "buckets" / "templates").exists()  # nothing local
    finally:
        server.stop()
