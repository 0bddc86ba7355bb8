"""Your own code: import files from S3 into a Data Exchange revision and wait for the job."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ENDED = {"COMPLETED", "ERROR", "CANCELLED", "TIMED_OUT"}


class ImportFailed(Exception):
    """The import job ended without completing: the states it went through, its errors."""

    def __init__(self, job_id: str, states: list[str], errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{job_id} ended {states[-1]}: {'; '.join(e['Message'] for e in errors)}")
        self.states, self.errors = states, errors


def start_import(dataexchange: Any, data_set_id: str, revision_id: str, bucket: str, keys: list[str]) -> str:
    """Create an IMPORT_ASSETS_FROM_S3 job (it waits until started); its id."""
    job = dataexchange.create_job(
        Type="IMPORT_ASSETS_FROM_S3",
        Details={
            "ImportAssetsFromS3": {
                "DataSetId": data_set_id,
                "RevisionId": revision_id,
                "AssetSources": [{"Bucket": bucket, "Key": key} for key in keys],
            }
        },
    )
    return str(job["Id"])


def wait_for_job(
    dataexchange: Any,
    job_id: str,
    on_poll: Callable[[dict[str, Any]], None] = lambda job: None,
    interval: float = 0.1,
    timeout: float = 60.0,
) -> list[str]:
    """Poll GetJob until the job ends; every state it was seen in, in order. ``on_poll`` sees each
    answer. ImportFailed (with the job's errors) unless it completed."""
    states: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = dataexchange.get_job(JobId=job_id)
        if not states or states[-1] != job["State"]:
            states.append(job["State"])
        if job["State"] in ENDED:
            if job["State"] != "COMPLETED":
                raise ImportFailed(job_id, states, job.get("Errors", []))
            return states
        on_poll(job)
        time.sleep(interval)
    raise TimeoutError(f"{job_id} still {states[-1]} after {timeout} s")
