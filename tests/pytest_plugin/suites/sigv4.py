"""A user's suite against a server started with --auth sigv4 (``--jobforge-auth=sigv4``)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jobforge.testing import ControlError, JobforgeControl, dataexchange_kind


def test_clients_sign_and_a_wrong_secret_is_refused(jobforge_client: Any, jobforge_server: Any) -> None:
    s3 = jobforge_client("s3")
    s3.create_bucket(Bucket="signed-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["signed-bucket"]
    jobforge_server.secret_key, right = "not-the-secret", jobforge_server.secret_key
    try:
        with pytest.raises(ClientError) as refused:
            jobforge_client("s3").list_buckets()
    finally:
        jobforge_server.secret_key = right
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_the_control_api_needs_the_admin_key(jobforge_server: Any, jobforge_control: Any) -> None:
    assert jobforge_control.state().pace == "instant"  # signed with the admin key
    as_user = JobforgeControl(
        jobforge_server.endpoint_url, (jobforge_server.access_key, jobforge_server.secret_key)
    )
    for call in (as_user.state, as_user.reset):
        with pytest.raises(ControlError) as denied:
            call()
        assert (denied.value.status, denied.value.code) == (403, "AccessDeniedException")
    unsigned = JobforgeControl(jobforge_server.endpoint_url)
    with pytest.raises(ControlError) as anonymous:
        unsigned.reset()
    assert anonymous.value.status == 403


def import_job(s3: Any, dataexchange: Any, bucket: str = "source-bucket") -> str:
    """A started import of one object of a new bucket into a new data set; its id."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.csv", Body=b"a\n")
    data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="d", Description="d")["Id"]
    revision = dataexchange.create_revision(DataSetId=data_set)["Id"]
    source = [{"Bucket": bucket, "Key": "a.csv"}]
    details = {"DataSetId": data_set, "RevisionId": revision, "AssetSources": source}
    job = dataexchange.create_job(Type="IMPORT_ASSETS_FROM_S3", Details={"ImportAssetsFromS3": details})["Id"]
    dataexchange.start_job(JobId=job)
    return str(job)


def state_becomes(dataexchange: Any, job: str, wanted: str) -> None:
    deadline = time.monotonic() + 30
    while dataexchange.get_job(JobId=job)["State"] != wanted:
        assert time.monotonic() < deadline, f"{job} never {wanted}"
        time.sleep(0.05)


def test_a_reset_waits_for_jobs_to_end(
    jobforge_client: Any, jobforge_control: Any, jobforge_server: Any
) -> None:
    s3, dataexchange = jobforge_client("s3"), jobforge_client("dataexchange")
    jobforge_control.set_pace("realistic", step_delay=3)  # a step takes 3 s, whatever a cancel says
    state_becomes(dataexchange, import_job(s3, dataexchange), "IN_PROGRESS")
    time.sleep(0.5)  # into its first step
    with pytest.raises(ControlError) as busy:
        jobforge_server.reset(timeout=0.2)
    assert (busy.value.status, busy.value.code) == (409, "JobsStillRunning")
    assert dataexchange.list_data_sets()["DataSets"] != []  # nothing was deleted
    report = jobforge_server.reset(timeout=30)
    assert report.jobs_canceled == 0 and report.rows["jobs"] == 1  # canceled by the first attempt
    assert report.buckets_deleted == ["signed-bucket", "source-bucket"]
    assert dataexchange.list_data_sets()["DataSets"] == []


def test_internal_buckets_are_emptied_not_deleted(jobforge_client: Any, jobforge_control: Any) -> None:
    s3, dataexchange = jobforge_client("s3"), jobforge_client("dataexchange")
    state_becomes(dataexchange, import_job(s3, dataexchange), "COMPLETED")  # its asset: an internal bucket
    report = jobforge_control.reset()
    assert report.buckets_emptied == ["jobforge-dataexchange"]
    jobforge_control.fail(dataexchange_kind("IMPORT_ASSETS_FROM_S3"), "VALIDATION_EXCEPTION", "forced")
    state_becomes(dataexchange, import_job(s3, dataexchange), "ERROR")  # a kind's failure: the next job
    state_becomes(dataexchange, import_job(s3, dataexchange, "other-bucket"), "COMPLETED")  # and imports work
