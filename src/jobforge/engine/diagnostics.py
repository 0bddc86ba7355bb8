"""A diagnostic job kind: sleeps in small steps, reporting progress. It proves that workers run,
pace controls apply and restart recovery works, before any service job is involved. Enabled with
``JOBFORGE_DIAGNOSTIC_JOBS=1``; created through ``POST /_jobforge/control/diagnostic-job``."""

from __future__ import annotations

import time

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
        steps = plan
        for done in range(1, steps + 1):
            ctx.step()
            time.sleep(0.1)
            ctx.report(progress={"steps": done, "of": steps})
        return JobOutcome(result={"steps": steps})
