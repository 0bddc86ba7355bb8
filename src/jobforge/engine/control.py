"""Test and emulator hooks: how fast jobs advance, and forced failures, for every node at once.

Modes: ``instant`` (run as fast as the work allows), ``realistic`` (each reported step takes at
least ``step_delay`` seconds) and ``step`` (a job waits in Pending, and before each step, until
:meth:`JobControl.advance` releases it). :meth:`JobControl.fail` makes a job (by id or by kind)
end Failed with a given failure code instead of running.

The settings live in the database (tables ``control_pace``, ``forced_failures``,
``step_credits``), so a control call that reaches one API node acts on jobs run by any node or
Celery worker. A pace set through the API holds until it is set again or reset, across restarts;
without one each node keeps the pace it was started with. A node reads the pace at most every
:data:`PACE_TTL` seconds (at once when it decides whether a pending job may start).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import delete, insert, select, update

from jobforge.engine.db import Database, control_pace, forced_failures, step_credits

Pace = Literal["instant", "realistic", "step"]

PACE_TTL = 0.2  # seconds a node keeps the pace it read
POLL = 0.2  # seconds between looks for a step credit of a held job


@dataclass
class ForcedFailure:
    code: str
    reason: str


class JobControl:
    """The control settings of one database, as one node sees them."""

    def __init__(self, db: Database, pace: Pace = "instant", step_delay: float = 0.0) -> None:
        self.db = db
        self._start: tuple[Pace, float] = (pace, step_delay)
        self._pace = self._start
        self._read_at = -math.inf
        self._changed = threading.Condition()  # this node's held jobs wake at once on its own calls

    # -- the pace --------------------------------------------------------------------------------

    @property
    def pace(self) -> Pace:
        return self._current()[0]

    @property
    def step_delay(self) -> float:
        return self._current()[1]

    def _current(self, fresh: bool = False) -> tuple[Pace, float]:
        now = time.monotonic()
        if fresh or now - self._read_at >= PACE_TTL:
            with self.db.read() as conn:
                row = conn.execute(select(control_pace.c.pace, control_pace.c.step_delay)).first()
            self._pace = (cast(Pace, row.pace), row.step_delay) if row is not None else self._start
            self._read_at = now
        return self._pace

    def set_pace(self, pace: Pace, step_delay: float | None = None) -> None:
        delay = self._current(fresh=True)[1] if step_delay is None else step_delay
        with self.db.begin() as conn:
            conn.execute(delete(control_pace))
            conn.execute(insert(control_pace).values(id=1, pace=pace, step_delay=delay))
        self._updated((pace, delay))

    def reset(self) -> None:
        """Back to the pace this node started with; no forced failures or step credits left."""
        with self.db.begin() as conn:
            for table in (control_pace, forced_failures, step_credits):
                conn.execute(delete(table))
        self._updated(self._start)

    def _updated(self, pace: tuple[Pace, float]) -> None:
        with self._changed:
            self._pace, self._read_at = pace, time.monotonic()
            self._changed.notify_all()

    # -- forced failures -------------------------------------------------------------------------

    def fail(self, target: str, code: str, reason: str = "Failure forced through the control API") -> None:
        """Force the next job whose id or kind is ``target`` to fail with ``code``."""
        with self.db.begin() as conn:
            conn.execute(delete(forced_failures).where(forced_failures.c.target == target))
            conn.execute(insert(forced_failures).values(target=target, failure_code=code, reason=reason))

    def take_failure(self, job_id: str, kind: str) -> ForcedFailure | None:
        """The failure forced on this job (by id, else by kind), taken by one job only."""
        table = forced_failures
        with self.db.read() as conn:  # the usual case, nothing forced, writes nothing
            found = set(
                conn.execute(select(table.c.target).where(table.c.target.in_((job_id, kind)))).scalars()
            )
        for target in (job_id, kind):
            if target in found:
                with self.db.begin() as conn:
                    taken = conn.execute(
                        delete(table)
                        .where(table.c.target == target)
                        .returning(table.c.failure_code, table.c.reason)
                    ).first()
                if taken is not None:  # else another job took it first
                    return ForcedFailure(taken.failure_code, taken.reason)
        return None

    # -- step mode -------------------------------------------------------------------------------

    def advance(self, job_id: str, steps: int = 1) -> None:
        """In ``step`` mode, let a job take ``steps`` more steps (starting counts as one)."""
        with self.db.begin() as conn:
            self.db.lock_scope(conn, "step_credits")
            added = conn.execute(
                update(step_credits)
                .where(step_credits.c.job_id == job_id)
                .values(credits=step_credits.c.credits + steps)
            ).rowcount
            if not added:
                conn.execute(insert(step_credits).values(job_id=job_id, credits=steps))
        with self._changed:
            self._changed.notify_all()

    def _take_credit(self, job_id: str) -> bool:
        with self.db.read() as conn:  # held jobs look often: a write only when there is a credit
            credits = conn.execute(
                select(step_credits.c.credits).where(step_credits.c.job_id == job_id)
            ).scalar()
        if not credits:
            return False
        with self.db.begin() as conn:
            taken = conn.execute(
                update(step_credits)
                .where(step_credits.c.job_id == job_id, step_credits.c.credits > 0)
                .values(credits=step_credits.c.credits - 1)
            ).rowcount
        return bool(taken)

    def may_start(self, job_id: str) -> bool:
        """Whether a pending job may be claimed now (consumes a step credit in step mode)."""
        return self._current(fresh=True)[0] != "step" or self._take_credit(job_id)

    def step(self, job_id: str, cancelled: Callable[[], bool] | None = None) -> None:
        """Called by a running job between units of work; blocks or slows per the pace."""
        pace, delay = self._current()
        if pace == "realistic" and delay > 0:
            time.sleep(delay)
            return
        while pace == "step" and not self._take_credit(job_id):
            if cancelled is not None and cancelled():
                return  # a held job still notices a cancel
            with self._changed:
                self._changed.wait(timeout=POLL)
            pace = self.pace

    def snapshot(self) -> dict[str, object]:
        pace, delay = self._current(fresh=True)
        with self.db.read() as conn:
            failures = conn.execute(select(forced_failures)).all()
            credits = conn.execute(select(step_credits)).all()
        return {
            "pace": pace,
            "stepDelay": delay,
            "forcedFailures": {
                row.target: {"code": row.failure_code, "reason": row.reason} for row in failures
            },
            "stepCredits": {row.job_id: row.credits for row in credits},
        }
