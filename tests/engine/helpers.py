"""What the engine tests share: a scope (account and region) and waiting for a job's state."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.engine import Job, JobEngine, JobState
from tests.support import eventually


@dataclass
class Scope:
    account_id: str = "000000000000"
    region: str = "us-east-1"


def wait_for(engine: JobEngine, job: Job, states: set[JobState], timeout: float = 10) -> Job:
    """The job once it is in one of ``states``; fails the test after ``timeout`` seconds."""
    reached = eventually(lambda: engine.jobs.load(job.pk).state in states, timeout, interval=0.02)
    current = engine.jobs.load(job.pk)
    assert reached, f"job stayed {current.state}"
    return current
