"""A user's suite against a server whose jobs run on a Celery worker (``--jobforge-executor=celery``)."""

from __future__ import annotations

import time
from typing import Any


def test_a_job_runs_on_the_worker(jobforge_client: Any, jobforge_server: Any, jobforge_reset: Any) -> None:
    s3, dataexchange = jobforge_client("s3"), jobforge_client("dataexchange")
    s3.create_bucket(Bucket="celery-source")
    s3.put_object(Bucket="celery-source", Key="a.csv", Body=b"a\n")
    data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
    revision = dataexchange.create_revision(DataSetId=data_set)["Id"]
    source = [{"Bucket": "celery-source", "Key": "a.csv"}]
    details = {"DataSetId": data_set, "RevisionId": revision, "AssetSources": source}
    job = dataexchange.create_job(Type="IMPORT_ASSETS_FROM_S3", Details={"ImportAssetsFromS3": details})["Id"]
    dataexchange.start_job(JobId=job)
    deadline = time.monotonic() + 60
    while (state := dataexchange.get_job(JobId=job)["State"]) != "COMPLETED":
        assert state in ("WAITING", "IN_PROGRESS") and time.monotonic() < deadline, state
        time.sleep(0.1)
    assert job in jobforge_server.log("worker")  # it ran there, not in the server
    assert jobforge_server.reset().rows["jobs"] == 1
