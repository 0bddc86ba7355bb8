"""A typed client of a jobforge server's control API (``/_jobforge/control/...``, see
:mod:`jobforge.engine.control`): the pace jobs advance at, single steps, forced failures, reset.

Jobs are named by id or ARN (the id is the ARN's last segment); failures target a job id or a
job kind (:data:`KINDS`, :func:`dataexchange_kind`: the next job of that kind fails).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Pace = Literal["instant", "realistic", "step"]

# job kind -> what runs it; a forced failure may target a kind instead of one job id (Data
# Exchange's kinds: dataexchange_kind)
KINDS = {
    "robomaker.world-generation": "RoboMaker CreateWorldGenerationJob",
    "robomaker.world-export": "RoboMaker CreateWorldExportJob",
    "location.validate-address": "Location StartJob (ValidateAddress)",
}


def dataexchange_kind(job_type: str) -> str:
    """The kind of a Data Exchange job ``Type`` (``IMPORT_ASSETS_FROM_S3`` ->
    ``dataexchange.import-assets-from-s3``)."""
    return f"dataexchange.{job_type.lower().replace('_', '-')}"


class ControlError(RuntimeError):
    """The control API refused a request (``code`` as the server names it, e.g. ``BadRequest``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ControlState:
    """What the control API answers: the pace, forced failures not yet used, step credits."""

    pace: Pace
    step_delay: float
    forced_failures: dict[str, dict[str, str]]  # target -> {"code": ..., "reason": ...}
    step_credits: dict[str, int]  # job id -> steps it may still take

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ControlState:
        return cls(data["pace"], data["stepDelay"], data["forcedFailures"], data["stepCredits"])


@dataclass(frozen=True)
class ResetReport:
    """What a reset removed: rows per table, jobs it canceled, buckets deleted and emptied."""

    jobs_canceled: int
    rows: dict[str, int]
    buckets_deleted: list[str]
    buckets_emptied: list[str]
    state: ControlState = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResetReport:
        rows = dict(data["deleted"])
        canceled = rows.pop("jobsCanceled")
        buckets = data["buckets"]
        return cls(canceled, rows, buckets["deleted"], buckets["emptied"], ControlState.from_json(data))


def job_id(job: str) -> str:
    """A job id from an id or an ARN (``arn:...:world-generation-job/<id>`` -> ``<id>``)."""
    return job.rsplit("/", 1)[-1] if job.startswith("arn:") else job


class JobforgeControl:
    """The control API of the server at ``endpoint_url``; with ``credentials`` (access key,
    secret: a key marked ``admin``) each request is SigV4-signed, as ``--auth sigv4`` requires."""

    def __init__(
        self,
        endpoint_url: str,
        credentials: tuple[str, str] | None = None,
        region: str = "us-east-1",
        timeout: float = 120.0,
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.credentials = credentials
        self.region = region
        self.timeout = timeout

    def state(self) -> ControlState:
        return ControlState.from_json(self._call("GET", ""))

    def set_pace(self, pace: Pace, step_delay: float | None = None) -> ControlState:
        """``instant``, ``realistic`` (each step takes ``step_delay`` s) or ``step`` (jobs wait
        in their first status until :meth:`advance` lets them take steps)."""
        body: dict[str, Any] = {"pace": pace}
        if step_delay is not None:
            body["stepDelay"] = step_delay
        return ControlState.from_json(self._call("POST", "/pace", body))

    def advance(self, job: str, steps: int = 1) -> ControlState:
        """In ``step`` pace, let ``job`` (id or ARN) take ``steps`` more steps; starting is one."""
        return ControlState.from_json(self._call("POST", "/advance", {"jobId": job_id(job), "steps": steps}))

    def fail(self, target: str, code: str, reason: str | None = None) -> ControlState:
        """Make the next job ``target`` names (a job id or ARN, or a kind) end
        failed with ``code`` (and ``reason``) when it starts, instead of running."""
        body = {"target": job_id(target), "failureCode": code}
        if reason is not None:
            body["reason"] = reason
        return ControlState.from_json(self._call("POST", "/fail", body))

    def reset(self, timeout: float = 60.0) -> ResetReport:
        """Cancel every job (waiting ``timeout`` s at most for them to end), then delete every job,
        resource, tag and bucket of every account; the pace returns to the server's start pace."""
        return ResetReport.from_json(self._call("POST", "/reset", {"timeout": timeout}))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.endpoint_url}/_jobforge/control{path}"
        content = json.dumps(body).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        headers.update(self._signature(method, url, content, headers))
        response = httpx.request(method, url, content=content, headers=headers, timeout=self.timeout)
        if response.status_code != 200:
            try:
                answer = response.json()
                code, message = str(answer["error"]), str(answer["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "HTTP", response.text[:200]
            raise ControlError(response.status_code, code, message)
        data: dict[str, Any] = response.json()
        return data

    def _signature(self, method: str, url: str, content: bytes, headers: dict[str, str]) -> dict[str, str]:
        if self.credentials is None:
            return {}
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=method, url=url, data=content, headers=headers)
        SigV4Auth(Credentials(*self.credentials), "jobforge", self.region).add_auth(request)
        return dict(request.headers.items())
