"""Tests of jobwatch.py against a real jobforge server, with the fixtures of jobforge's pytest
plugin (``pip install jobforge pytest``: nothing to configure)."""

from __future__ import annotations

from typing import Any

import pytest
from jobwatch import ImportFailed, start_import, wait_for_job


@pytest.fixture
def revision(jobforge_client: Any, jobforge_reset: Any) -> tuple[str, str]:
    """On an empty server: a bucket with one file, a data set and a revision to import it into."""
    s3 = jobforge_client("s3")
    s3.create_bucket(Bucket="source-files")
    s3.put_object(Bucket="source-files", Key="a.csv", Body=b"a,b\n1,2\n")
    dataexchange = jobforge_client("dataexchange")
    data_set = dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="example", Description="example")
    return data_set["Id"], dataexchange.create_revision(DataSetId=data_set["Id"])["Id"]


def drive(dataexchange: Any, control: Any, job_id: str) -> Any:
    """What happens while the code under test polls: the job is started, then one step per poll."""

    def on_poll(job: dict[str, Any]) -> None:
        if job["State"] == "WAITING":
            dataexchange.start_job(JobId=job_id)
        else:
            control.advance(job_id)

    return on_poll


def test_the_import_goes_through_every_state(
    jobforge_client: Any, jobforge_control: Any, revision: tuple[str, str]
) -> None:
    dataexchange = jobforge_client("dataexchange")
    jobforge_control.set_pace("step")  # jobs wait in each state until advanced
    job_id = start_import(dataexchange, *revision, "source-files", ["a.csv"])

    states = wait_for_job(dataexchange, job_id, on_poll=drive(dataexchange, jobforge_control, job_id))

    assert states == ["WAITING", "IN_PROGRESS", "COMPLETED"]
    data_set_id, revision_id = revision
    assets = dataexchange.list_revision_assets(DataSetId=data_set_id, RevisionId=revision_id)["Assets"]
    assert [asset["Name"] for asset in assets] == ["a.csv"]


def test_a_failed_import_raises(
    jobforge_client: Any, jobforge_control: Any, revision: tuple[str, str]
) -> None:
    dataexchange = jobforge_client("dataexchange")
    jobforge_control.set_pace("step")
    job_id = start_import(dataexchange, *revision, "source-files", ["a.csv"])
    jobforge_control.fail(job_id, "INTERNAL_SERVER_EXCEPTION", "the disk is on fire")

    with pytest.raises(ImportFailed, match="the disk is on fire") as failed:
        wait_for_job(dataexchange, job_id, on_poll=drive(dataexchange, jobforge_control, job_id))

    assert failed.value.states == ["WAITING", "IN_PROGRESS", "ERROR"]
