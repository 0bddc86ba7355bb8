"""Signed URLs survive a restart (the signing secret is persistent); accounts are isolated."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.dataexchange.conftest import DataExchangeEnv, md5_b64
from tests.support import JobforgeServer, client


def test_upload_url_works_after_a_kill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = JobforgeServer(data_dir).start()
    try:
        dx = client("dataexchange", server.url)
        ds = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
        rev = dx.create_revision(DataSetId=ds)["Id"]
        body = b"survives restarts"
        job = dx.create_job(
            Type="IMPORT_ASSET_FROM_SIGNED_URL",
            Details={
                "ImportAssetFromSignedUrl": {
                    "DataSetId": ds,
                    "RevisionId": rev,
                    "AssetName": "s",
                    "Md5Hash": md5_b64(body),
                }
            },
        )
        url = job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
        server.kill()
        restarted = JobforgeServer(data_dir)
        restarted.port, restarted.url = server.port, server.url  # the URL names the old address
        server = restarted.start()
        assert httpx.put(url, content=body, headers={"Content-MD5": md5_b64(body)}).status_code == 200
        dx.start_job(JobId=job["Id"])
        env = DataExchangeEnv("local", server, dx, None)  # type: ignore[arg-type]
        assert env.wait(job["Id"])["State"] == "COMPLETED"
        [asset] = dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]
        assert asset["Name"] == "s"
    finally:
        server.stop()


def test_accounts_do_not_see_each_other(env: DataExchangeEnv) -> None:
    ds = env.data_set("mine")
    other = client("dataexchange", env.server.url, access_key="999988887777")
    with pytest.raises(ClientError) as caught:
        other.get_data_set(DataSetId=ds)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert ds not in [d["Id"] for d in other.list_data_sets()["DataSets"]]
    assert all(job["Arn"].split(":")[4] == "999988887777" for job in other.list_jobs()["Jobs"])
