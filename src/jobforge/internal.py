"""jobforge's own HTTP endpoints under ``/_jobforge/``: health, the control API and the services'
own endpoints (:attr:`jobforge.services.binding.ServiceBinding.internal_routes`)."""

from __future__ import annotations

import asyncio
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobforge import __version__
from jobforge.config import PACES
from jobforge.engine import JobEngine, diagnostics
from jobforge.engine.reset import JobsStillRunning
from jobforge.protocol.auth import Authenticator, Identity
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.router import parse_query

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
# (path below the route's prefix, ASGI scope, the caller's account under sigv4 or None, send)
Route = Callable[[str, dict[str, Any], str | None, Send], Awaitable[None]]
# wipes the node (jobs, resources, buckets) waiting at most so many seconds for jobs; what it deleted
Reset = Callable[[float], dict[str, Any]]

PREFIX = "/_jobforge/"
MAX_BODY_BYTES = 1 << 20
MAX_JSON_DEPTH = 32  # control bodies are flat objects; deeper JSON is refused with 400
MAX_STEPS = 1_000_000_000
MAX_SECONDS = 86_400.0
MAX_PIECES = 64  # a diagnostic job's pieces
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class _Scope:
    """An owner: diagnostic jobs belong to the default account and region."""

    account_id: str = "000000000000"
    region: str = "us-east-1"


def new_diagnostic_id() -> str:
    return f"diag-{uuid.uuid4().hex[:12]}"


async def respond(
    send: Send,
    status: int,
    payload: Any,
    content_type: str = "application/json",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def error(send: Send, status: int, code: str, message: str) -> None:
    """``{"error": code, "message": ...}``, with the code also in ``x-amzn-ErrorType`` as AWS does."""
    await respond(
        send, status, {"error": code, "message": message}, headers=[(b"x-amzn-errortype", code.encode())]
    )


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """ASGI headers -> {lower-case name: value}; repeated headers joined with commas."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
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
    return b"".join(chunks)


def verified_caller(authenticator: Authenticator, scope: dict[str, Any], body: bytes) -> Identity | None:
    """The verified caller of a request in ``sigv4`` mode (403 :class:`ServiceError` if not);
    None in other modes."""
    if authenticator.mode != "sigv4":
        return None
    raw_path_bytes = scope.get("raw_path")
    raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope["path"]
    query_string = scope.get("query_string", b"").decode("latin-1")
    return authenticator.authenticate(
        scope["method"], raw_path, query_string, parse_query(query_string), _headers(scope), body
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _check_depth(raw: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` before parsing it (no RecursionError)."""
    depth = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub('""', raw)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            raise ValueError(f"JSON nested deeper than {limit} levels")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A control request's body: a JSON object of limited depth and finite numbers (else ValueError)."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8 JSON") from None
    _check_depth(text)
    try:
        body = json.loads(text, parse_float=_finite_float, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:  # belt and braces: _check_depth should have caught it
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _string(body: dict[str, Any], name: str, default: str | None = None, limit: int = 256) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name!r} must be a non-empty string of at most {limit} characters")
    return value


def _number(body: dict[str, Any], name: str, default: float | None, maximum: float) -> float | None:
    """A finite number between 0 and ``maximum`` (``default`` when absent)."""
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= maximum:
        raise ValueError(f"{name!r} must be a number from 0 to {maximum:g}")
    return float(value)


def _count(body: dict[str, Any], name: str, default: int, maximum: int) -> int:
    """A whole number between 1 and ``maximum``."""
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValueError(f"{name!r} must be a whole number from 1 to {maximum}")
    return value


class InternalRoutes:
    """Health (``GET /_jobforge/health``), control (``/_jobforge/control/...``) and the services'
    ``GET`` routes (``routes``: path prefix -> handler).

    With a ``sigv4`` authenticator every endpoint except health needs a valid SigV4 signature
    (any service name in the scope, e.g. ``jobforge``): a service route is told the caller's
    account (what it shows of other accounts is its business, e.g. a 404), and the control API
    answers only keys marked ``admin`` (others get 403).
    ``control=False`` answers 404 for the whole control API; without ``reset`` the control
    action ``reset`` is unknown.
    """

    def __init__(
        self,
        engine: JobEngine,
        services: list[str],
        authenticator: Authenticator | None = None,
        *,
        control: bool = True,
        routes: Mapping[str, Route] | None = None,
        reset: Reset | None = None,
    ) -> None:
        self.engine = engine
        self.reset = reset
        self.services = services
        self.routes = dict(routes or {})
        self.authenticator = authenticator or Authenticator()
        self.control_enabled = control

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        try:
            if path == "/_jobforge/health" and method in ("GET", "HEAD"):
                status, payload = self.health()
                return await respond(send, status, payload)
            is_control = path == "/_jobforge/control" or path.startswith("/_jobforge/control/")
            if is_control and not self.control_enabled:
                return await self._not_found(method, path, send)
            if self.authenticator.mode == "sigv4":  # signature form and key, before reading the body
                query_string = scope.get("query_string", b"").decode("latin-1")
                self.authenticator.precheck(_headers(scope), parse_query(query_string))
            body = await read_body(receive)
            identity = self._authenticate(scope, body)
            if is_control and identity is not None and not self.authenticator.is_admin(identity.access_key):
                return await error(
                    send, 403, "AccessDeniedException", "The control API needs an access key marked admin."
                )
            route = self._route(path) if method == "GET" else None
            if route is not None:
                prefix, handler = route
                account = identity.account_id if identity is not None else None
                return await handler(path.removeprefix(prefix), scope, account, send)
            if path == "/_jobforge/control" and method == "GET":
                return await respond(send, 200, self.engine.control.snapshot())
            if path.startswith("/_jobforge/control/diagnostic-job/") and method == "GET":
                return await self._diagnostic(path.rsplit("/", 1)[1], send)
            if path.startswith("/_jobforge/control/") and method == "POST":
                action = path.removeprefix("/_jobforge/control/")
                return await self._control(action, parse_json_object(body), send)
        except ServiceError as exc:
            return await error(send, exc.status or 403, exc.code, exc.message)
        except (ValueError, KeyError, TypeError) as exc:
            return await error(send, 400, "BadRequest", str(exc))
        await self._not_found(method, path, send)

    def _route(self, path: str) -> tuple[str, Route] | None:
        """The service route whose prefix ``path`` starts with, as (prefix, handler)."""
        for prefix, handler in self.routes.items():
            if path.startswith(prefix):
                return prefix, handler
        return None

    @staticmethod
    async def _not_found(method: str, path: str, send: Send) -> None:
        await error(send, 404, "NotFound", f"No jobforge endpoint {method} {path}")

    def _authenticate(self, scope: dict[str, Any], body: bytes) -> Identity | None:
        return verified_caller(self.authenticator, scope, body)

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

    async def _diagnostic(self, job_id: str, send: Send) -> None:
        job = self.engine.jobs.find(_Scope(), "jobforge", job_id)
        if job is None:
            return await error(send, 404, "NotFound", f"no diagnostic job {job_id}")
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

    def _check_failure_code(self, target: str, code: str) -> None:
        """ValueError (400) for a code that jobs of the target's kind (a declared kind, or the kind
        of the job whose id it is) cannot end with: a value outside their model's enum."""
        progress = self.engine.progress
        kind = progress.kinds.get(target)
        if kind is None:
            job = progress.find(target)
            kind = progress.kinds.get(job.kind) if job is not None else None
        if kind is None or kind.failure_codes is None or code in kind.failure_codes:
            return
        raise ValueError(
            f"'failureCode' {code!r} is not a failure code of {kind.kind} jobs; "
            f"use one of {', '.join(sorted(kind.failure_codes))}"
        )

    async def _control(self, action: str, body: dict[str, Any], send: Send) -> None:
        control = self.engine.control
        if action == "pace":
            pace = body.get("pace")
            if pace not in PACES:
                raise ValueError(f"'pace' must be one of {', '.join(PACES)}")
            control.set_pace(pace, _number(body, "stepDelay", None, MAX_SECONDS))
            await asyncio.to_thread(self.engine.executor.wake)
        elif action == "fail":
            target, code = _string(body, "target"), _string(body, "failureCode")
            reason = _string(body, "reason", "Failure forced through the control API", limit=4096)
            await asyncio.to_thread(self._check_failure_code, target, code)
            control.fail(target, code, reason)
        elif action == "advance":
            job_id = _string(body, "jobId")
            control.advance(job_id, _count(body, "steps", 1, MAX_STEPS))
            await asyncio.to_thread(self.engine.executor.wake, job_id)  # its task again, if Pending
        elif action == "diagnostic-job" and diagnostics.KIND in self.engine.executor.handlers:
            job_id = new_diagnostic_id()
            job, _ = self.engine.jobs.create(
                _Scope(),
                service="jobforge",
                kind=diagnostics.KIND,
                job_id=job_id,
                arn=f"arn:aws:jobforge:us-east-1:000000000000:diagnostic-job/{job_id}",
                request={
                    "seconds": _number(body, "seconds", 1, MAX_SECONDS),
                    "pieces": _count(body, "pieces", 1, MAX_PIECES) if "pieces" in body else 0,
                },
            )
            return await respond(send, 200, {"jobId": job.job_id, "state": job.state.value})
        elif action == "reset" and self.reset is not None:
            timeout = _number(body, "timeout", 60, MAX_SECONDS) or 0.0
            try:  # a thread: waiting for jobs to end must not stall the server
                report = await asyncio.to_thread(self.reset, timeout)
            except JobsStillRunning as exc:
                return await error(send, 409, "JobsStillRunning", str(exc))
            return await respond(send, 200, {**report, **control.snapshot()})
        else:
            raise ValueError(f"unknown control action {action!r}")
        await respond(send, 200, control.snapshot())
