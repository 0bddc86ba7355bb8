"""The job engine on a real SQLite database: state machine, idempotency, quotas, pagination,
cancellation, forced failures, pacing and restart recovery, with a test-only job kind."""

from __future__ import annotations

import threading
import time

import pytest

from jobforge.engine import (
    ClientToken,
    IdempotencyMismatch,
    IllegalTransition,
    InvalidToken,
    Job,
    JobContext,
    JobEngine,
    JobHandler,
    JobOutcome,
    JobState,
    Quota,
    QuotaExceeded,
)
from tests.engine.helpers import Scope, wait_for
from tests.support import eventually


class CountingHandler(JobHandler[int]):
    """Counts to request['n'] one step at a time, saving progress; resumes from saved progress."""

    kind = "test.count"
    resumable = True
    internal_failure_code = "InternalServiceError"

    def plan(self, ctx: JobContext) -> int:
        return ctx.result.get("done", 0)

    def run(self, ctx: JobContext, plan: int) -> JobOutcome:
        done = plan
        while done < ctx.request["n"]:
            ctx.step()
            time.sleep(ctx.request.get("delay", 0))
            done += 1
            ctx.report(progress={"done": done}, result={"done": done})
        return JobOutcome(result={"done": done})


@pytest.fixture
def engine(database_url: str):
    eng = JobEngine(database_url, workers=2, cpu_workers=1)
    eng.register(CountingHandler())
    eng.start()
    yield eng
    eng.stop()


def create(engine: JobEngine, n: int = 3, job_id: str = "j1", scope: Scope | None = None, **kw) -> Job:
    scope = scope or Scope()
    job, _ = engine.jobs.create(
        scope,
        service="test",
        kind="test.count",
        job_id=job_id,
        arn=f"arn:aws:test:{scope.region}:{scope.account_id}:job/{job_id}",
        request={"n": n, **kw.pop("request", {})},
        **kw,
    )
    return job


def test_job_runs_to_completion_with_progress(engine: JobEngine) -> None:
    job = wait_for(engine, create(engine, n=5), {JobState.SUCCEEDED})
    assert job.result == {"done": 5} and job.progress == {"done": 5}
    assert job.started_at is not None and job.ended_at is not None and job.ended_at >= job.started_at


def test_illegal_transitions_are_refused(engine: JobEngine) -> None:
    job = wait_for(engine, create(engine), {JobState.SUCCEEDED})
    with pytest.raises(IllegalTransition):
        engine.jobs.transition(job, JobState.RUNNING)
    with pytest.raises(IllegalTransition):
        engine.jobs.request_cancel(job)


def test_idempotency_same_and_different_parameters(engine: JobEngine) -> None:
    token = ClientToken("test:Create", "tok-1", {"n": 3})
    first = create(engine, job_id="a", client_token=token)
    again, created = engine.jobs.create(
        Scope(),
        service="test",
        kind="test.count",
        job_id="b",
        arn="arn:aws:test:us-east-1:000000000000:job/b",
        request={"n": 3},
        client_token=token,
    )
    assert not created and again.job_id == first.job_id
    with pytest.raises(IdempotencyMismatch):
        create(engine, job_id="c", client_token=ClientToken("test:Create", "tok-1", {"n": 4}))
    # another account may reuse the token freely
    other = create(engine, job_id="d", scope=Scope(account_id="111111111111"), client_token=token)
    assert other.account_id == "111111111111"


def test_quota_per_account(engine: JobEngine) -> None:
    engine.control.set_pace("step")
    quota = Quota("concurrent test jobs", 2, ("test.count",))
    create(engine, job_id="q1", quotas=[quota])
    create(engine, job_id="q2", quotas=[quota])
    with pytest.raises(QuotaExceeded) as info:
        create(engine, job_id="q3", quotas=[quota])
    assert info.value.limit_value == 2
    create(engine, job_id="q4", quotas=[quota], scope=Scope(account_id="222222222222"))


def test_pagination_tokens_are_opaque_and_tamper_safe(engine: JobEngine) -> None:
    engine.control.set_pace("step")
    for i in range(7):
        create(engine, job_id=f"p{i}")
    seen, token = [], None
    while True:
        page = engine.jobs.list(Scope(), "test", ["test.count"], max_results=3, next_token=token)
        seen += [job.job_id for job in page.items]
        token = page.next_token
        if token is None:
            break
    assert seen == [f"p{i}" for i in range(7)]
    page = engine.jobs.list(Scope(), "test", ["test.count"], max_results=3, newest_first=True)
    assert [job.job_id for job in page.items] == ["p6", "p5", "p4"]
    assert page.next_token is not None
    with pytest.raises(InvalidToken):
        engine.jobs.list(
            Scope(), "test", ["test.count"], max_results=3, next_token=page.next_token[:-2] + "xx"
        )
    with pytest.raises(InvalidToken):  # a token of another listing (other filters)
        engine.jobs.list(
            Scope(),
            "test",
            ["test.count"],
            max_results=3,
            next_token=page.next_token,
            states=[JobState.PENDING],
            newest_first=True,
        )


def test_cancel_running_job(engine: JobEngine) -> None:
    job = create(engine, n=1000, request={"delay": 0.01})
    wait_for(engine, job, {JobState.RUNNING})
    engine.jobs.request_cancel(engine.jobs.load(job.pk))
    done = wait_for(engine, job, {JobState.CANCELED}, timeout=5)
    assert done.result.get("done", 0) < 1000  # a cancel may land before the first step is saved


def test_cancel_pending_job_is_immediate(engine: JobEngine) -> None:
    engine.control.set_pace("step")
    job = create(engine)
    assert engine.jobs.request_cancel(job).state is JobState.CANCELED


def test_step_mode_advances_on_request(engine: JobEngine) -> None:
    engine.control.set_pace("step")
    job = create(engine, n=2)
    time.sleep(0.3)
    assert engine.jobs.load(job.pk).state is JobState.PENDING
    engine.control.advance(job.job_id)  # start
    wait_for(engine, job, {JobState.RUNNING})
    engine.control.advance(job.job_id, 2)
    assert wait_for(engine, job, {JobState.SUCCEEDED}).result == {"done": 2}


def test_forced_failure(engine: JobEngine) -> None:
    engine.control.fail("j-fail", "LimitExceeded", "forced by the test")
    job = wait_for(engine, create(engine, job_id="j-fail"), {JobState.FAILED})
    assert (job.failure_code, job.failure_reason) == ("LimitExceeded", "forced by the test")


def test_timeout(engine: JobEngine) -> None:
    job = create(engine, n=1000, request={"delay": 0.01}, timeout_seconds=1)
    assert wait_for(engine, job, {JobState.TIMED_OUT}, timeout=10).failure_code == "TimedOut"


class NotResumable(CountingHandler):
    kind = "test.once"
    resumable = False
    internal_failure_code = "InternalServiceError"


def test_restart_recovery(database_url: str) -> None:
    url = database_url
    first = JobEngine(url, workers=1, cpu_workers=1)
    first.register(CountingHandler())
    first.register(NotResumable())
    resumable = create(first, n=3, job_id="r1")
    once, _ = first.jobs.create(
        Scope(),
        service="test",
        kind="test.once",
        job_id="r2",
        arn="arn:aws:test:us-east-1:000000000000:job/r2",
        request={"n": 3},
    )
    # a worker that then dies: claims both, saves partial progress, never finishes
    for job in (resumable, once):
        claimed = first.jobs.claim(job.pk, "dead-worker", 30)
        assert claimed is not None and claimed.state is JobState.RUNNING
    first.jobs.save_progress(resumable.pk, {"done": 2}, {"done": 2})
    first.db.dispose()

    second = JobEngine(url, workers=1, cpu_workers=1)
    second.register(CountingHandler())
    second.register(NotResumable())
    second.start()
    try:
        resumed = wait_for(second, resumable, {JobState.SUCCEEDED})
        assert resumed.result == {"done": 3} and resumed.attempt == 2
        failed = wait_for(second, once, {JobState.FAILED})
        assert failed.failure_code == "InternalServiceError" and "interrupted" in (
            failed.failure_reason or ""
        )
    finally:
        second.stop()


def test_schema_matches_migrations(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jobforge.engine.db import metadata

    eng = JobEngine(database_url)
    with eng.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    eng.stop()


def test_resource_read_cache_follows_commits_and_rollbacks(engine: JobEngine) -> None:
    store = engine.resources("test")
    scope = Scope()
    store.create(scope, "thing", "t1", "arn:aws:test:us-east-1:000000000000:thing/t1", {"v": 1})
    assert store.get(scope, "thing", "t1").data == {"v": 1}  # now cached
    store.update(scope, "thing", "t1", data={"v": 2})
    assert store.get(scope, "thing", "t1").data == {"v": 2}
    with pytest.raises(RuntimeError), engine.db.begin() as conn:
        store.update(scope, "thing", "t1", data={"v": 3}, conn=conn)
        raise RuntimeError("roll back")
    assert store.get(scope, "thing", "t1").data == {"v": 2}
    copy = store.get(scope, "thing", "t1")
    copy.data["v"] = 99  # a caller's edit must not leak into the cache
    assert store.get(scope, "thing", "t1").data == {"v": 2}
    store.delete(scope, "thing", "t1")
    assert store.find(scope, "thing", "t1") is None


def test_cancel_reaches_a_job_held_in_step_mode(engine: JobEngine) -> None:
    engine.control.set_pace("step")
    job = create(engine, n=5)
    engine.control.advance(job.job_id)  # start, then it waits for its first step
    wait_for(engine, job, {JobState.RUNNING})
    engine.jobs.request_cancel(engine.jobs.load(job.pk))
    assert wait_for(engine, job, {JobState.CANCELED}, timeout=5).result.get("done", 0) == 0


class CleaningHandler(CountingHandler):
    """A counting job kind with the optional ``cleanup`` hook; records every call."""

    kind = "test.clean"

    def __init__(self, broken: str | None = None) -> None:
        self.cleaned: dict[str, JobState] = {}
        self.broken = broken
        self.release = threading.Event()
        self.release.set()

    def cleanup(self, job: Job) -> None:
        self.release.wait(10)
        self.cleaned[job.job_id] = job.state
        if job.job_id == self.broken:
            raise RuntimeError("the store is unreachable")


def orphan(engine: JobEngine, job_id: str, kind: str, claims: int = 1, cancel: bool = False) -> Job:
    """A job a dead worker claimed ``claims`` times and left Running (or Canceling)."""
    job, _ = engine.jobs.create(
        Scope(),
        service="test",
        kind=kind,
        job_id=job_id,
        arn=f"arn:aws:test:us-east-1:000000000000:job/{job_id}",
        request={"n": 2},
    )
    for attempt in range(claims):
        if attempt:
            engine.jobs.transition(job, JobState.PENDING)
        job = engine.jobs.claim(job.pk, "dead-worker", 30)
        assert job is not None
    return engine.jobs.request_cancel(job) if cancel else job


def test_recovery_cleans_up_the_jobs_it_ends(database_url: str) -> None:
    first = JobEngine(database_url, workers=1, cpu_workers=1)
    jobs = {
        "cancelling": orphan(first, "cancelling", "test.clean", cancel=True),
        "exhausted": orphan(first, "exhausted", "test.clean", claims=2),
        "resumed": orphan(first, "resumed", "test.clean"),
        "broken": orphan(first, "broken", "test.clean", cancel=True),
        "no-hook": orphan(first, "no-hook", "test.count", claims=2),
        "no-hook-cancelling": orphan(first, "no-hook-cancelling", "test.count", cancel=True),
    }
    first.db.dispose()

    second = JobEngine(database_url, workers=1, cpu_workers=1)
    second.executor.max_attempts = 2
    handler = CleaningHandler(broken="broken")
    second.register(handler)
    second.register(CountingHandler())
    second.start()  # recovery waits for the cleanups (up to cleanup_wait)
    try:
        assert handler.cleaned == {
            "cancelling": JobState.CANCELED,
            "exhausted": JobState.FAILED,
            "broken": JobState.CANCELED,  # its cleanup raised: logged, nothing else changes
        }
        states = {name: second.jobs.load(job.pk).state for name, job in jobs.items()}
        assert states == {
            "cancelling": JobState.CANCELED,
            "exhausted": JobState.FAILED,
            "resumed": states["resumed"],
            "broken": JobState.CANCELED,
            "no-hook": JobState.FAILED,
            "no-hook-cancelling": JobState.CANCELED,
        }
        assert wait_for(second, jobs["resumed"], {JobState.SUCCEEDED}).attempt == 2
        assert "resumed" not in handler.cleaned  # a job that runs again cleans up after itself
    finally:
        second.stop()


def test_a_slow_cleanup_does_not_hold_up_the_start(database_url: str) -> None:
    first = JobEngine(database_url, workers=1, cpu_workers=1)
    job = orphan(first, "slow", "test.clean", cancel=True)
    first.db.dispose()

    second = JobEngine(database_url, workers=1, cpu_workers=1)
    second.executor.cleanup_wait = 0.2
    handler = CleaningHandler()
    handler.release.clear()  # the store hangs
    second.register(handler)
    second.register(CountingHandler())
    started = time.monotonic()
    second.start()
    try:
        assert time.monotonic() - started < 5
        assert second.jobs.load(job.pk).state is JobState.CANCELED and handler.cleaned == {}
        handler.release.set()
        assert eventually(lambda: "slow" in handler.cleaned, 10, interval=0.02), "the cleanup never ran"
        # the engine keeps working meanwhile
        assert wait_for(second, create(second, n=1, job_id="next"), {JobState.SUCCEEDED}) is not None
    finally:
        second.stop()


def test_a_cleanup_of_another_shape_is_refused_at_registration(engine: JobEngine) -> None:
    """``CleansUp`` is runtime-checkable by name only; a ``cleanup(ctx, work)`` used to pass the
    isinstance check and then fail (silently) inside recovery."""

    class Colliding(CountingHandler):
        kind = "test.colliding"

        def cleanup(self, ctx: JobContext, work: object) -> None:
            raise AssertionError("never called with a job")

    with pytest.raises(TypeError, match="cleanup must take exactly one job"):
        engine.register(Colliding())
    assert "test.colliding" not in engine.executor.handlers

    class Flexible(CountingHandler):
        kind = "test.flexible"

        def cleanup(self, job: Job, *extra: object) -> None:
            pass

    engine.register(Flexible())  # callable with one job: fine
