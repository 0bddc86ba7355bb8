"""The JobHandler contract checked at registration, and JobContext.run_bounded on a real engine."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import pytest

from jobforge.engine import Job, JobContext, JobEngine, JobFailed, JobHandler, JobOutcome, JobState
from tests.engine.helpers import Scope, wait_for
from tests.support import eventually


class CountingHandler(JobHandler[int]):
    """A handler that fits: the base of the misfits below."""

    kind = "test.count"

    def plan(self, ctx: JobContext) -> int:
        return 0

    def run(self, ctx: JobContext, plan: int) -> JobOutcome:
        return JobOutcome(result={"done": plan})


def test_handlers_that_do_not_fit_the_contract_are_refused(database_url: str) -> None:
    engine = JobEngine(database_url, workers=1, cpu_workers=1)

    class DuckTyped:  # the shape of a handler, without the base class
        kind = "test.duck"
        resumable = True
        internal_failure_code = "InternalServiceError"

        def run(self, ctx: JobContext) -> JobOutcome:
            return JobOutcome()

    class NoKind(CountingHandler):
        kind = ""

    class LooseResumable(CountingHandler):
        kind = "test.loose"
        resumable = 1  # type: ignore[assignment]

    class OldRun(CountingHandler):
        kind = "test.old-run"

        def run(self, ctx: JobContext) -> JobOutcome:  # type: ignore[override]
            return JobOutcome()

    class PlanWithArguments(CountingHandler):
        kind = "test.plan-args"

        def plan(self, ctx: JobContext, extra: int) -> int:  # type: ignore[override]
            return extra

    cases = [
        (DuckTyped(), "is not a JobHandler"),
        (NoKind(), "kind must be a non-empty string"),
        (LooseResumable(), "resumable must be a bool"),
        (OldRun(), "run must take exactly a job context and a plan"),
        (PlanWithArguments(), "plan must take exactly one job context"),
    ]
    for handler, message in cases:
        with pytest.raises(TypeError, match=message):
            engine.register(handler)  # type: ignore[arg-type]
        assert getattr(handler, "kind", None) not in engine.executor.handlers
    with pytest.raises(TypeError, match="abstract"):
        type("NoRun", (JobHandler,), {"kind": "test.no-run", "plan": lambda self, ctx: None})()
    engine.db.dispose()


class BoundedHandler(JobHandler[list[int]]):
    """Runs request['numbers'] through run_bounded, as the request's ``mode`` says."""

    kind = "test.bounded"

    def __init__(self) -> None:
        self.peak = 0
        self.seen: list[tuple[int, Any]] = []
        self.stopped = threading.Event()
        self.release = threading.Event()

    def plan(self, ctx: JobContext) -> list[int]:
        return list(ctx.request["numbers"])

    def run(self, ctx: JobContext, plan: list[int]) -> JobOutcome:
        mode = ctx.request["mode"]
        if mode == "processes":
            tasks = [partial(int, str(n)) for n in plan]  # a builtin pickles for the worker processes
            results = ctx.run_bounded(tasks, 2, processes=True)
            return JobOutcome(result={"results": [r if isinstance(r, int) else repr(r) for r in results]})
        active, lock = [0], threading.Lock()

        def task(n: int) -> int:
            with lock:
                active[0] += 1
                self.peak = max(self.peak, active[0])
            try:
                if mode == "hold" and n > 0:
                    self.release.wait(10)
                else:
                    time.sleep(0.05)
                return n
            finally:
                with lock:
                    active[0] -= 1

        def record(index: int, result: Any) -> None:
            self.seen.append((index, result))
            if mode == "fail" and result == 2:
                raise JobFailed("Broken", "the third task's result is refused")
            ctx.report(progress={"done": len(self.seen)})

        results = ctx.run_bounded(
            [partial(task, n) for n in plan], 2, on_result=record, pace=True, on_stop=self.stopped.set
        )
        return JobOutcome(result={"results": results})


@pytest.fixture
def bounded(database_url: str):
    engine = JobEngine(database_url, workers=2, cpu_workers=2)
    handler = BoundedHandler()
    engine.register(handler)
    engine.start()
    yield engine, handler
    handler.release.set()
    engine.stop()


def _create(engine: JobEngine, job_id: str, mode: str, numbers: list[Any]) -> Job:
    job, _ = engine.jobs.create(
        Scope(),
        service="test",
        kind="test.bounded",
        job_id=job_id,
        arn=f"arn:aws:test:us-east-1:000000000000:job/{job_id}",
        request={"mode": mode, "numbers": numbers},
    )
    return job


def test_run_bounded_keeps_the_limit_and_the_task_order(bounded: tuple[JobEngine, BoundedHandler]) -> None:
    engine, handler = bounded
    job = wait_for(engine, _create(engine, "b1", "threads", list(range(6))), {JobState.SUCCEEDED})
    assert job.result == {"results": list(range(6))} and job.progress == {"done": 6}
    assert handler.peak == 2
    assert sorted(index for index, _ in handler.seen) == list(range(6))


def test_run_bounded_on_worker_processes_returns_exceptions_in_place(
    bounded: tuple[JobEngine, BoundedHandler],
) -> None:
    engine, _ = bounded
    job = wait_for(engine, _create(engine, "b2", "processes", [1, "x", 3]), {JobState.SUCCEEDED}, timeout=60)
    assert job.result == {"results": [1, "ValueError(\"invalid literal for int() with base 10: 'x'\")", 3]}


def test_an_error_in_on_result_stops_the_run(
    bounded: tuple[JobEngine, BoundedHandler],
) -> None:
    engine, handler = bounded
    job = wait_for(engine, _create(engine, "b3", "fail", list(range(8))), {JobState.FAILED})
    assert (job.failure_code, job.failure_reason) == ("Broken", "the third task's result is refused")
    seen = [index for index, _ in handler.seen]
    assert 2 in seen and len(seen) < 8  # the tasks not started never ran


def test_cancel_stops_a_run_at_the_next_check(bounded: tuple[JobEngine, BoundedHandler]) -> None:
    engine, handler = bounded
    job = _create(engine, "b4", "hold", [0, 1, 2, 3, 4])
    assert eventually(lambda: bool(handler.seen), 10, interval=0.02)  # task 0 finished, 1 and 2 hold
    engine.jobs.request_cancel(engine.jobs.load(job.pk))
    time.sleep(0.5)
    assert handler.stopped.is_set()  # the in-flight tasks were told to stop...
    handler.release.set()  # ...and once they do, the job ends
    job = wait_for(engine, job, {JobState.CANCELED})
    seen = {index for index, _ in handler.seen}
    assert {0, 1} <= seen and not seen & {3, 4}  # task 1 (and 2 if it started) drained; 3, 4 never ran


def test_pace_takes_a_step_between_batches(database_url: str) -> None:
    engine = JobEngine(database_url, workers=1, cpu_workers=1)
    handler = BoundedHandler()
    engine.register(handler)
    engine.control.set_pace("step")
    engine.start()
    try:
        job = _create(engine, "b5", "threads", [0, 1, 2])
        engine.control.advance(job.job_id)  # start
        wait_for(engine, job, {JobState.RUNNING})
        assert eventually(lambda: bool(handler.seen), 10, interval=0.02)
        time.sleep(0.5)
        assert 2 not in [index for index, _ in handler.seen]  # task 2 waits for a step
        engine.control.advance(job.job_id)
        assert wait_for(engine, job, {JobState.SUCCEEDED}).result == {"results": [0, 1, 2]}
    finally:
        engine.stop()
