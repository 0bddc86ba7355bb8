"""A world generation job that restart recovery ends (its attempts used up) keeps the worlds it
stored: PartialFailed with the unfinished worlds counted as failed, or Failed when it stored none."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.engine import JobEngine, JobState
from jobforge.engine.running import INTERRUPTED, settle_orphan
from jobforge.services.robomaker.common import GENERATION_STATUS
from jobforge.services.robomaker.generation_job import KIND, WorldGenerationHandler
from tests.engine.helpers import Scope


@pytest.fixture
def engine(tmp_path: Path):
    eng = JobEngine(f"sqlite:///{tmp_path / 'jobs.db'}", workers=1, cpu_workers=1)
    yield eng
    eng.stop()


def _interrupted_job(engine: JobEngine, stored: int, failed: int) -> object:
    """A 2x2 generation job left Running after ``stored`` worlds were stored and ``failed`` failed."""
    succeeded = [f"arn:aws:robomaker:us-east-1:123456789012:world/w{n}" for n in range(1, stored + 1)]
    summary = {
        "succeeded": succeeded,
        "failures": {"InvalidInput": {"count": failed, "sample": "no room fits"}} if failed else {},
        "finished": [{"number": n} for n in range(1, stored + failed + 1)],
    }
    scope = Scope()
    job, _ = engine.jobs.create(
        scope,
        service="robomaker",
        kind=KIND,
        job_id="gen1",
        arn=f"arn:aws:robomaker:{scope.region}:{scope.account_id}:world-generation-job/gen1",
        request={"worldCount": {"floorplanCount": 2, "interiorCountPerFloorplan": 2}},
        state=JobState.RUNNING,
        result={"summary": summary},
    )
    return job


def test_a_job_with_stored_worlds_ends_partial_failed_with_the_rest_counted(engine: JobEngine) -> None:
    handler = WorldGenerationHandler(engine, 1)
    job = settle_orphan(engine.jobs, _interrupted_job(engine, stored=1, failed=1), handler, max_attempts=0)
    assert job.state is JobState.PARTIALLY_SUCCEEDED
    assert GENERATION_STATUS.words[job.state] == "PartialFailed"
    failures = job.result["summary"]["failures"]
    assert failures["InternalServiceError"] == {"count": 2, "sample": INTERRUPTED}
    assert failures["InvalidInput"]["count"] == 1
    assert len(job.result["summary"]["succeeded"]) == 1


def test_a_job_that_stored_nothing_ends_failed(engine: JobEngine) -> None:
    handler = WorldGenerationHandler(engine, 1)
    job = settle_orphan(engine.jobs, _interrupted_job(engine, stored=0, failed=1), handler, max_attempts=0)
    assert (job.state, job.failure_code, job.failure_reason) == (
        JobState.FAILED,
        "InternalServiceError",
        INTERRUPTED,
    )
