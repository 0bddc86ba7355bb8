"""A diagnostic job kind: sleeps in small steps, reporting progress. It proves that workers run,
pace controls apply and restart recovery works, before any service job is involved. Enabled with
``JOBFORGE_DIAGNOSTIC_JOBS=1``; created through ``POST /_jobforge/control/diagnostic-job``.

With ``pieces`` it instead sleeps in that many pieces at once, on the worker processes (the
executor's process pool, or the Celery workers): a cancel must stop them where they run."""

from __future__ import annotations

import os
import time
from functools import partial

from jobforge.engine.executor import JobContext
from jobforge.engine.handlers import JobHandler, JobOutcome

KIND = "jobforge.diagnostic"


class DiagnosticJobHandler(JobHandler[int]):
    kind = KIND
    resumable = False  # an interrupted diagnostic job must end Failed, visibly

    def plan(self, ctx: JobContext) -> int:
        """The number of 0.1-second steps."""
        return int(ctx.request.get("seconds", 1) * 10)

    def run(self, ctx: JobContext, plan: int) -> JobOutcome:
        pieces = int(ctx.request.get("pieces") or 0)
        if pieces:
            nap = partial(sleep_in_piece, plan / 10)
            done = ctx.run_bounded([nap] * pieces, pieces, processes=True, wait_on_stop=False)
            ctx.report(progress={"pieces": len(done)})
            return JobOutcome(result={"pieces": pieces})
        steps = plan
        for done in range(1, steps + 1):
            ctx.step()
            time.sleep(0.1)
            ctx.report(progress={"steps": done, "of": steps})
        return JobOutcome(result={"steps": steps})


def sleep_in_piece(seconds: float) -> int:
    """One piece of a diagnostic job (in a worker process): sleep; the process id."""
    time.sleep(seconds)
    return os.getpid()
