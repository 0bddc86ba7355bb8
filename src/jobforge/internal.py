"""jobforge's own HTTP endpoints under ``/_jobforge/``: health and the job control API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from jobforge import __version__
from jobforge.config import PACES
from jobforge.engine import JobEngine, diagnostics
from jobforge.services.arns import parse_arn

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PREFIX = "/_jobforge/"


@dataclass(frozen=True)
class _Scope:
    """An owner: diagnostic jobs belong to the default account and region."""

    account_id: str = "000000000000"
    region: str = "us-east-1"


def new_diagnostic_id() -> str:
    return f"diag-{uuid.uuid4().hex[:12]}"


async def respond(send: Send, status: int, payload: Any, content_type: str = "application/json") -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_json(receive: Receive, limit: int = 1 << 20) -> Any:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ValueError("request body too large")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    return json.loads(raw) if raw else {}


class InternalRoutes:
    """Health (``GET /_jobforge/health``) and control (``/_jobforge/control/...``)."""

    def __init__(self, engine: JobEngine, services: list[str]) -> None:
        self.engine = engine
        self.services = services

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        try:
            if path == "/_jobforge/health" and method in ("GET", "HEAD"):
                status, payload = self.health()
                return await respond(send, status, payload)
            if path.startswith("/_jobforge/worlds/") and method == "GET":
                return await self._world(path.removeprefix("/_jobforge/worlds/"), scope, send)
            if path == "/_jobforge/control" and method == "GET":
                return await respond(send, 200, self.engine.control.snapshot())
            if path.startswith("/_jobforge/control/diagnostic-job/") and method == "GET":
                return await self._diagnostic(path.rsplit("/", 1)[1], send)
            if path.startswith("/_jobforge/control/") and method == "POST":
                return await self._control(
                    path.removeprefix("/_jobforge/control/"), await read_json(receive), send
                )
        except (ValueError, KeyError, TypeError) as exc:
            return await respond(send, 400, {"error": "BadRequest", "message": str(exc)})
        await respond(send, 404, {"error": "NotFound", "message": f"No jobforge endpoint {method} {path}"})

    def health(self) -> tuple[int, dict[str, Any]]:
        """200 ``ok`` (also while the workers warm up), or 503 ``degraded`` with each problem:
        ``{"service": ..., "module": ..., "reason": ...}`` for a service that cannot run its jobs."""
        executor = self.engine.executor
        problems = executor.problems()
        payload = {
            "status": "degraded" if problems else "ok",
            "version": __version__,
            "services": self.services,
            "warming": executor.warming,
            "problems": problems,
        }
        return (503 if problems else 200), payload

    async def _world(self, what: str, scope: dict[str, Any], send: Send) -> None:
        """``/_jobforge/worlds/preview.png?arn=<world ARN>`` and ``.../quality?arn=...``."""
        query = parse_qs(scope.get("query_string", b"").decode())
        arn = parse_arn(query.get("arn", [""])[0])
        if arn is None or arn.service != "robomaker" or arn.resource_type != "world":
            raise ValueError("give the world's ARN: ?arn=arn:aws:robomaker:<region>:<account>:world/<id>")
        owner = _Scope(arn.account_id, arn.region)
        world = self.engine.resources("robomaker").find(owner, "world", arn.resource_id)
        if world is None:
            return await respond(send, 404, {"error": "NotFound", "message": f"no world {arn}"})
        if what == "quality":
            return await respond(send, 200, world.data.get("quality", {}))
        if what == "preview.png":
            artifact = self.engine.artifacts.get(world.arn, "preview.png")
            if artifact is not None:
                return await respond(send, 200, artifact.data, artifact.content_type)
        await respond(send, 404, {"error": "NotFound", "message": f"no {what} for {arn}"})

    async def _diagnostic(self, job_id: str, send: Send) -> None:
        job = self.engine.jobs.find(_Scope(), "jobforge", job_id)
        if job is None:
            return await respond(send, 404, {"error": "NotFound", "message": f"no diagnostic job {job_id}"})
        await respond(
            send,
            200,
            {
                "jobId": job.job_id,
                "state": job.state.value,
                "progress": job.progress,
                "failureCode": job.failure_code,
                "failureReason": job.failure_reason,
            },
        )

    async def _control(self, action: str, body: dict[str, Any], send: Send) -> None:
        control = self.engine.control
        if action == "pace":
            pace = body["pace"]
            if pace not in PACES:
                raise ValueError(f"pace must be one of {', '.join(PACES)}")
            control.set_pace(pace, body.get("stepDelay"))
            self.engine.executor.wake()
        elif action == "fail":
            control.fail(
                body["target"],
                body["failureCode"],
                body.get("reason", "Failure forced through the control API"),
            )
        elif action == "advance":
            control.advance(body["jobId"], int(body.get("steps", 1)))
            self.engine.executor.wake()
        elif action == "diagnostic-job" and diagnostics.KIND in self.engine.executor.handlers:
            job_id = new_diagnostic_id()
            job, _ = self.engine.jobs.create(
                _Scope(),
                service="jobforge",
                kind=diagnostics.KIND,
                job_id=job_id,
                arn=f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{job_id}",
                request={"seconds": float(body.get("seconds", 1))},
            )
            return await respond(send, 200, {"jobId": job.job_id, "state": job.state.value})
        else:
            raise ValueError(f"unknown control action {action!r}")
        await respond(send, 200, control.snapshot())
