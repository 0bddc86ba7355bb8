"""``GET /_jobforge/jobs/<id>`` and ``GET /_jobforge/jobs``: the progress of any job of any service
(:mod:`jobforge.engine.progress`), for the CLI and the console.

``<id>`` is the job id or ARN the service's API returned. Under ``--auth sigv4`` only the caller's
account's jobs exist: another account's job answers 404, as a missing one does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote

from jobforge.engine import JobEngine
from jobforge.engine.errors import InvalidToken
from jobforge.engine.progress import MAX_RESULTS, UnknownFilter
from jobforge.internal import Send, error, respond

PREFIX = "/_jobforge/jobs"


def _max_results(text: str | None) -> int:
    if text is None:
        return MAX_RESULTS
    if not text.isdigit() or not 1 <= int(text) <= MAX_RESULTS:
        raise ValueError(f"maxResults must be a whole number from 1 to {MAX_RESULTS}")
    return int(text)


class JobRoutes:
    """The jobs' progress endpoints (an :data:`~jobforge.internal.Route` below :data:`PREFIX`)."""

    def __init__(self, engine: JobEngine) -> None:
        self.progress = engine.progress

    async def __call__(self, below: str, scope: dict[str, Any], account: str | None, send: Send) -> None:
        if below in ("", "/"):
            return await self._list(scope, account, send)
        if not below.startswith("/"):
            return await error(send, 404, "NotFound", f"No jobforge endpoint GET {PREFIX}{below}")
        ref = unquote(below[1:])
        job = self.progress.find(ref, account)
        if job is None:
            return await error(send, 404, "NotFound", f"no job {ref}")
        await respond(send, 200, self.progress.describe(job))

    async def _list(self, scope: dict[str, Any], account: str | None, send: Send) -> None:
        raw = scope.get("query_string", b"").decode()
        query = {name: values[-1] for name, values in parse_qs(raw).items()}
        try:
            items, token = self.progress.list(
                account,
                service=query.get("service") or None,
                status=query.get("status") or None,
                max_results=_max_results(query.get("maxResults")),
                next_token=query.get("nextToken") or None,
            )
        except (InvalidToken, UnknownFilter) as exc:
            return await error(send, 400, "BadRequest", str(exc))
        await respond(send, 200, {"jobs": items, "nextToken": token})
