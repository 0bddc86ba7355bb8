"""``GET /metrics``: the node's metrics in Prometheus's text format, for callers it lets in.

Who may read it: with ``metrics_token`` set, a request carrying ``Authorization: Bearer <token>``
(what Prometheus sends with ``authorization: {credentials: ...}``); under ``--auth sigv4`` also a
request SigV4-signed with an admin key, as the control API requires. With neither ``sigv4`` nor a
token, anyone (like every other endpoint under ``--auth none``).
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from jobforge.engine import JobEngine
from jobforge.internal import Receive, Send, _headers, error, read_body, respond, verified_caller
from jobforge.metrics.jobs import JobsCollector
from jobforge.metrics.requests import RequestMetrics
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import AwsGateway

PATH = "/metrics"
_BEARER = "bearer "


class NodeMetrics:
    """One node's registry: request metrics told by ``gateway`` (and the S3 gateway through it),
    job metrics (gauges and the durations of ended jobs) read from ``engine``'s store at scrape time."""

    def __init__(self, engine: JobEngine, gateway: AwsGateway) -> None:
        self.registry = CollectorRegistry()  # collectors run at scrapes only
        for standard in (ProcessCollector, PlatformCollector, GCCollector):  # CPU, memory, GC, Python
            standard(registry=self.registry)
        self.requests = RequestMetrics(self.registry)
        names = api_service_names(gateway)
        self.registry.register(JobsCollector(engine, names))
        gateway.observe = self.requests

    def scrape(self) -> bytes:
        """The text exposition of every metric (runs the job store query: call it off the loop)."""
        return generate_latest(self.registry)


def api_service_names(gateway: AwsGateway) -> dict[str, str]:
    """{name a job store or credential scope may use (signing name, endpoint prefix): the name
    request metrics use (the model's, as boto3's client name)}, e.g. ``geo`` -> ``location``."""
    names: dict[str, str] = {}
    for service in gateway.services:
        for alias in (service.name, service.signing_name, service.endpoint_prefix):
            names.setdefault(alias, service.name)
    return names


class MetricsEndpoint:
    """The ASGI app answering ``/metrics`` (see the module doc for who may read it)."""

    def __init__(self, metrics: NodeMetrics, authenticator: Authenticator, token: str | None) -> None:
        self.metrics = metrics
        self.authenticator = authenticator
        self._token = token.encode() if token else None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            return await error(send, 405, "MethodNotAllowed", f"{PATH} answers GET only")
        try:
            body = await read_body(receive)
            self._check_caller(scope, body)
        except ServiceError as exc:
            return await error(send, exc.status or 403, exc.code, exc.message)
        except ValueError as exc:
            return await error(send, 400, "BadRequest", str(exc))
        text = await asyncio.to_thread(self.metrics.scrape)
        await respond(send, 200, text, content_type=CONTENT_TYPE_LATEST)

    def _check_caller(self, scope: dict[str, Any], body: bytes) -> None:
        """Return if the caller may read the metrics; a 403 :class:`ServiceError` if not."""
        sigv4 = self.authenticator.mode == "sigv4"
        if self._token is None and not sigv4:
            return  # open, like every endpoint under --auth none
        authorization = _headers(scope).get("authorization", "")
        if authorization[: len(_BEARER)].lower() == _BEARER:
            given = authorization[len(_BEARER) :].strip().encode()
            if self._token is not None and hmac.compare_digest(given, self._token):
                return
            raise _denied("The bearer token is not the metrics token")
        if not sigv4:
            raise _denied(f"{PATH} needs the metrics bearer token (Authorization: Bearer ...)")
        identity = verified_caller(self.authenticator, scope, body)
        if identity is None or not self.authenticator.is_admin(identity.access_key):
            raise _denied(f"{PATH} needs an access key marked admin or the metrics bearer token")


def _denied(message: str) -> ServiceError:
    return ServiceError("AccessDeniedException", message, status=403)
