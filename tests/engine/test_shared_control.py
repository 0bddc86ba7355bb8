"""The control settings are the database's, not a node's: two engines on one database (two nodes)
see the pace, forced failures and step credits that the other one set, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from jobforge.engine import JobEngine, JobState
from jobforge.engine.control import PACE_TTL
from tests.engine.helpers import wait_for
from tests.engine.test_engine import create


def test_step_mode_set_on_one_node_holds_jobs_run_by_another(nodes: tuple[JobEngine, JobEngine]) -> None:
    api, runner = nodes
    api.control.set_pace("step")
    job = create(api, n=2)
    time.sleep(0.5 + PACE_TTL)
    assert runner.jobs.load(job.pk).state is JobState.PENDING
    api.control.advance(job.job_id, 2)  # its start and one step
    wait_for(runner, job, {JobState.RUNNING})
    time.sleep(0.5)
    assert runner.jobs.load(job.pk).progress == {"done": 1}  # held before its second step
    assert api.control.snapshot()["stepCredits"] == {job.job_id: 0}
    api.control.advance(job.job_id)
    assert wait_for(runner, job, {JobState.SUCCEEDED}).result == {"done": 2}


def test_a_failure_forced_on_one_node_is_taken_by_another_once(nodes: tuple[JobEngine, JobEngine]) -> None:
    api, runner = nodes
    api.control.fail("test.count", "LimitExceeded", "forced by the test")
    assert runner.control.snapshot()["forcedFailures"] == {
        "test.count": {"code": "LimitExceeded", "reason": "forced by the test"}
    }
    failed = wait_for(runner, create(api, job_id="first"), {JobState.FAILED})
    assert (failed.failure_code, failed.failure_reason) == ("LimitExceeded", "forced by the test")
    assert wait_for(runner, create(api, job_id="second"), {JobState.SUCCEEDED}).result == {"done": 3}
    assert api.control.snapshot()["forcedFailures"] == {}


def test_pace_and_reset_reach_every_node(nodes: tuple[JobEngine, JobEngine]) -> None:
    api, runner = nodes
    api.control.set_pace("realistic", step_delay=0.4)
    time.sleep(PACE_TTL)
    assert (runner.control.pace, runner.control.step_delay) == ("realistic", 0.4)
    started = time.monotonic()
    wait_for(runner, create(api, n=2), {JobState.SUCCEEDED})
    assert time.monotonic() - started >= 0.8  # two steps of 0.4 s on the other node
    api.control.advance("some-job", 3)
    runner.control.reset()
    assert api.control.snapshot() == {
        "pace": "instant",
        "stepDelay": 0.0,
        "forcedFailures": {},
        "stepCredits": {},
    }


def test_a_restarted_node_keeps_the_pace_set_through_the_api(database_url: str) -> None:
    first = JobEngine(database_url, pace="realistic", step_delay=1.0)
    assert (first.control.pace, first.control.step_delay) == ("realistic", 1.0)  # its own start
    first.control.set_pace("step")
    again = JobEngine(database_url)
    assert (again.control.pace, again.control.step_delay) == ("step", 1.0)
    again.control.reset()
    assert again.control.pace == "instant" and first.control.snapshot()["pace"] == "realistic"
