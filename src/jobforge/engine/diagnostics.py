"""A diagnostic job kind: sleeps in small steps, reporting progress. It proves that workers run,
pace controls apply and restart recovery works, before any service job is involved. Enabled with
``JOBFORGE_DIAGNOSTIC_JOBS=1``; created through ``POST /_jobforge/control/diagnostic-job``."""

from __future__ import annotations

import time

from jobforge.engine.executor import JobContext, JobOutcome

KIND = "jobforge.diagnostic"


class DiagnosticJobHandler:
    kind = KIND
    resumable = False  # an interrupted diagnostic job must end Failed, visibly
    internal_failure_code = "InternalServiceError"

    def run(self, ctx: JobContext) -> JobOutcome:
        steps = int(ctx.request.get("seconds", 1) * 10)
        for done in range(1, steps + 1):
            ctx.step()
            time.sleep(0.1)
            ctx.report(progress={"steps": done, "of": steps})
        return JobOutcome(result={"steps": steps})
