"""Test and emulator hooks: how fast jobs advance, and forced failures.

Modes: ``instant`` (run as fast as the work allows), ``realistic`` (each reported step takes at
least ``step_delay`` seconds) and ``step`` (a job waits in Pending, and before each step, until
:meth:`JobControl.advance` releases it). :meth:`JobControl.fail` makes a job (by id or by kind)
end Failed with a given failure code instead of running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Pace = Literal["instant", "realistic", "step"]


@dataclass
class ForcedFailure:
    code: str
    reason: str


class JobControl:
    def __init__(self, pace: Pace = "instant", step_delay: float = 0.0) -> None:
        self.pace: Pace = pace
        self.step_delay = step_delay
        self._start = (pace, step_delay)
        self._failures: dict[str, ForcedFailure] = {}
        self._credits: dict[str, int] = {}
        self._changed = threading.Condition()

    def set_pace(self, pace: Pace, step_delay: float | None = None) -> None:
        with self._changed:
            self.pace = pace
            if step_delay is not None:
                self.step_delay = step_delay
            self._changed.notify_all()

    def reset(self) -> None:
        """Back to the pace the server started with; no forced failures or step credits left."""
        with self._changed:
            self.pace, self.step_delay = self._start
            self._failures.clear()
            self._credits.clear()
            self._changed.notify_all()

    def fail(self, target: str, code: str, reason: str = "Failure forced through the control API") -> None:
        """Force the next job whose id or kind is ``target`` to fail with ``code``."""
        with self._changed:
            self._failures[target] = ForcedFailure(code, reason)

    def take_failure(self, job_id: str, kind: str) -> ForcedFailure | None:
        with self._changed:
            return self._failures.pop(job_id, None) or self._failures.pop(kind, None)

    def advance(self, job_id: str, steps: int = 1) -> None:
        """In ``step`` mode, let a job take ``steps`` more steps (starting counts as one)."""
        with self._changed:
            self._credits[job_id] = self._credits.get(job_id, 0) + steps
            self._changed.notify_all()

    def may_start(self, job_id: str) -> bool:
        """Whether a pending job may be claimed now (consumes a step credit in step mode)."""
        with self._changed:
            if self.pace != "step":
                return True
            if self._credits.get(job_id, 0) > 0:
                self._credits[job_id] -= 1
                return True
            return False

    def step(self, job_id: str, cancelled: Callable[[], bool] | None = None) -> None:
        """Called by a running job between units of work; blocks or slows per the pace."""
        if self.pace == "realistic" and self.step_delay > 0:
            time.sleep(self.step_delay)
            return
        with self._changed:
            while self.pace == "step" and self._credits.get(job_id, 0) <= 0:
                if cancelled is not None and cancelled():
                    return  # a held job still notices a cancel
                self._changed.wait(timeout=0.2)
            if self.pace == "step":
                self._credits[job_id] -= 1

    def snapshot(self) -> dict[str, object]:
        with self._changed:
            return {
                "pace": self.pace,
                "stepDelay": self.step_delay,
                "forcedFailures": {key: vars(value) for key, value in self._failures.items()},
                "stepCredits": dict(self._credits),
            }
