"""engine.reset.wipe on SQLite and PostgreSQL: jobs end first, every row but the settings and the
revoked tokens goes, and the read caches forget what they held."""

from __future__ import annotations

import time

import pytest

from jobforge.engine import JobEngine, JobState
from jobforge.engine.reset import JobsStillRunning, wipe
from tests.engine.helpers import Scope, wait_for
from tests.engine.test_engine import CountingHandler, create
from tests.support import eventually


@pytest.fixture
def engine(database_url: str):
    eng = JobEngine(database_url, workers=2, cpu_workers=1, pace="step")
    eng.register(CountingHandler())
    eng.start()
    yield eng
    eng.stop()


def test_wipe_cancels_jobs_and_deletes_every_row(engine: JobEngine) -> None:
    scope, store = Scope(), engine.resources("test")
    arn = "arn:aws:test:us-east-1:000000000000:thing/t1"
    store.create(scope, "thing", "t1", arn, {"n": 1})
    engine.tags.tag(scope.account_id, arn, {"team": "a"})
    assert store.get(scope, "thing", "t1").data == {"n": 1}  # now in the read cache
    assert engine.tags.list(scope.account_id, arn) == {"team": "a"}
    running = create(engine, n=5, job_id="running")
    engine.control.advance("running", 2)  # its start and one step; then it holds, Running
    wait_for(engine, running, {JobState.RUNNING})
    # past the point where it takes a forced failure of its kind (under load, Running showed before
    # it got there, and it took the one below and failed instead of being canceled by the wipe)
    assert eventually(lambda: engine.jobs.load(running.pk).progress.get("done") == 1, 10)
    create(engine, job_id="waiting", state=JobState.WAITING)
    engine.control.fail("test.count", "Forced")
    secret = engine.secret("page-token-secret")
    engine.revocations.revoke("signed-out", int(time.time()) + 60)

    counts = wipe(engine, timeout=10)

    assert (
        counts["jobsCanceled"] == 2
        and counts["jobs"] == 2
        and counts["resources"] == 1
        and counts["tags"] == 1
    )
    assert store.find(scope, "thing", "t1") is None and engine.tags.list(scope.account_id, arn) == {}
    assert engine.jobs.find(scope, "test", "running") is None
    assert engine.secret("page-token-secret") == secret  # the settings stay
    assert engine.revocations.revoked("signed-out")  # and a signed-out session stays signed out
    assert engine.control.snapshot() == {
        "pace": "step",
        "stepDelay": 0.0,
        "forcedFailures": {},
        "stepCredits": {},
    }
    job = create(engine, n=1, job_id="after")  # the engine still runs jobs
    engine.control.advance("after", 2)
    assert wait_for(engine, job, {JobState.SUCCEEDED}).result == {"done": 1}


def test_wipe_deletes_nothing_while_a_job_is_still_running(engine: JobEngine) -> None:
    engine.control.set_pace("realistic", step_delay=2)  # a step ignores cancels for 2 s
    job = create(engine, n=2, job_id="slow")
    wait_for(engine, job, {JobState.RUNNING})
    with pytest.raises(JobsStillRunning, match=r"1 jobs did not end within 0\.1 s"):
        wipe(engine, timeout=0.1)
    assert engine.jobs.load(job.pk).state is JobState.CANCELING
    assert wipe(engine, timeout=10)["jobs"] == 1
