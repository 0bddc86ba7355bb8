"""Signed URLs survive a restart (the signing secret is persistent); accounts are isolated."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.dataexchange.conftest import DataExchangeEnv, md5_b64
from tests.support import JobforgeServer, client


def _signed_url_import(server: JobforgeServer, body: bytes) -> tuple[Any, str, str, dict, str]:
    """A data set, a revision and a signed-URL import job for ``body``: (dx, ds, rev, job, URL)."""
    dx = client("dataexchange", server.url)
    ds = dx.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
    rev = dx.create_revision(DataSetId=ds)["Id"]
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
    return dx, ds, rev, job, job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]


def test_upload_url_works_after_a_kill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = JobforgeServer(data_dir).start()
    try:
        body = b"survives restarts"
        dx, ds, rev, job, url = _signed_url_import(server, body)
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


def test_recovery_discards_the_upload_of_a_job_it_ends(tmp_path: Path) -> None:
    """A signed-URL import whose worker died once too often is ended by restart recovery, and
    the engine's ``cleanup(job)`` hook removes the bytes that arrived at its URL (it used to be
    shadowed by the handlers' own ``cleanup(ctx, work)``: a TypeError, logged and forgotten)."""
    from jobforge.engine import JobEngine, JobState

    data_dir = tmp_path / "data"
    server = JobforgeServer(data_dir).start()
    try:
        body = b"staged, never committed" * 1000
        dx, ds, rev, job, url = _signed_url_import(server, body)
        assert httpx.put(url, content=body, headers={"Content-MD5": md5_b64(body)}).status_code == 200
        internal = data_dir / "buckets" / "jobforge-dataexchange"
        [staged] = [p for p in internal.rglob("*") if p.is_file() and f"/{ds}/{rev}/" in p.as_posix()]
        assert staged.read_bytes() == body
        server.kill()

        # as if workers had claimed the job three times and died each time (max_attempts = 3)
        engine = JobEngine(f"sqlite:///{data_dir.resolve() / 'jobforge.db'}", workers=1, cpu_workers=1)
        owner = SimpleNamespace(account_id="000000000000", region="us-east-1")
        record = engine.jobs.find(owner, "dataexchange", job["Id"])
        assert record is not None and record.state is JobState.WAITING
        for _ in range(3):
            engine.jobs.transition(record, JobState.PENDING)
            claimed = engine.jobs.claim(record.pk, "dead-worker", 30)
            assert claimed is not None
            record = claimed
        engine.db.dispose()

        restarted = JobforgeServer(data_dir)
        restarted.port, restarted.url = server.port, server.url  # the URL names the old address
        server = restarted.start()  # recovery ends the job and cleans up
        dx = client("dataexchange", server.url)
        ended = dx.get_job(JobId=job["Id"])
        assert ended["State"] == "ERROR"
        assert not staged.exists()
        assert dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"] == []
        assert httpx.put(url, content=body, headers={"Content-MD5": md5_b64(body)}).status_code == 403
        assert not staged.exists()
    finally:
        server.stop()
