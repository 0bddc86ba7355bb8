"""The job handler contract: what a service implements for each job kind it runs.

The executor calls ``run(ctx, plan(ctx))`` for every attempt of a job; restart recovery ends a job it
will not run again as ``interrupted(job, reason)`` says, then calls ``cleanup(job)``. The engine
checks a handler against this contract when it is registered (:func:`check_handler`), so a
handler of the wrong shape fails at start-up, not inside a worker or inside recovery.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from jobforge.engine.states import JobState

if TYPE_CHECKING:
    from jobforge.engine.executor import JobContext
    from jobforge.engine.jobs import Job

P = TypeVar("P")


@dataclass
class JobOutcome:
    """What a handler reports when it returns normally."""

    state: JobState = JobState.SUCCEEDED
    result: dict[str, Any] | None = None
    failure_code: str | None = None
    failure_reason: str | None = None


class JobHandler(ABC, Generic[P]):
    """The work of one job kind.

    ``plan`` decides what this attempt has to do (from the stored request and the partial result
    a resumed job saved); ``run`` does it and returns an outcome, or raises JobFailed/JobCanceled.
    Either may raise: an exception in ``plan`` fails the job before any work is done.
    """

    kind: str  # the engine job kind this handler runs
    resumable: bool = False  # after a crash: run again (with the saved partial result) or fail
    internal_failure_code: str = "InternalServiceError"  # for unexpected errors, interrupted jobs

    @abstractmethod
    def plan(self, ctx: JobContext) -> P:
        """What this attempt of the job has to do."""

    @abstractmethod
    def run(self, ctx: JobContext, plan: P) -> JobOutcome:
        """Do the planned work."""

    def interrupted(self, job: Job, reason: str) -> JobOutcome:
        """How a job ends that recovery will not run again (its worker stopped, its attempts are
        used up), from the partial result it saved. The default: Failed with
        ``internal_failure_code``; a handler whose saved work stands on its own says so here."""
        return JobOutcome(JobState.FAILED, None, self.internal_failure_code, reason)

    def cleanup(self, job: Job) -> None:
        """Remove what an interrupted run left behind, after recovery ended ``job`` Canceled or
        Failed. Best effort and idempotent: it runs at most once per job, on a side thread, and its
        errors are logged, never raised into recovery. The default has nothing to remove."""

    @property
    def cleans_up(self) -> bool:
        """Whether this handler overrides :meth:`cleanup`."""
        return type(self).cleanup is not JobHandler.cleanup


_SHAPES = {  # method: (sample arguments, how the message says them)
    "plan": (("ctx",), "one job context"),
    "run": (("ctx", "plan"), "a job context and a plan"),
    "cleanup": (("job",), "one job"),
}


def check_handler(handler: object) -> JobHandler[Any]:
    """``handler`` if it fits the contract, else TypeError naming what does not fit."""
    name = type(handler).__name__
    if not isinstance(handler, JobHandler):
        raise TypeError(f"{name} is not a JobHandler (jobforge.engine.JobHandler)")
    if not isinstance(getattr(handler, "kind", None), str) or not handler.kind:
        raise TypeError(f"{name}.kind must be a non-empty string")
    if not isinstance(handler.resumable, bool):
        raise TypeError(f"{name}.resumable must be a bool")
    if not isinstance(handler.internal_failure_code, str) or not handler.internal_failure_code:
        raise TypeError(f"{name}.internal_failure_code must be a non-empty string")
    for method, (arguments, said) in _SHAPES.items():
        try:
            inspect.signature(getattr(handler, method)).bind(*arguments)
        except TypeError:
            raise TypeError(
                f"{name}.{method} must take exactly {said} (the JobHandler contract); "
                "rename a method of another purpose"
            ) from None
        except ValueError:  # no signature to inspect (a builtin): trust the class
            pass
    return handler
