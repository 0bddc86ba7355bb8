"""ASGI assembly: the AWS gateway for every service, the services' own endpoints (mounted under
their prefixes, and front doors for protocols of their own), jobforge's (``/_jobforge/``) and
``/metrics``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from jobforge.config import Settings
from jobforge.console.app import ConsoleApp
from jobforge.console.app import claims as console_claims
from jobforge.engine import JobEngine
from jobforge.engine.diagnostics import DiagnosticJobHandler
from jobforge.engine.reset import wipe
from jobforge.internal import PREFIX, InternalRoutes, Receive, Send
from jobforge.jobs_routes import PREFIX as JOBS_PREFIX
from jobforge.jobs_routes import JobRoutes
from jobforge.metrics import MetricsEndpoint, NodeMetrics
from jobforge.metrics.endpoint import PATH as METRICS_PATH
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.budget import BodyBudget
from jobforge.protocol.gateway import AwsGateway
from jobforge.services.registry import Services, assemble
from jobforge.storage import BucketPolicy, ObjectStore, make_object_store
from jobforge.storage.wipe import wipe_store

log = logging.getLogger("jobforge")


class JobforgeApp:
    """One server: engine, object store, providers, gateway. Jobs start with the ASGI lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.prepare()
        self.engine, self.store, services = build_node(settings)
        authenticator = Authenticator(
            settings.auth,
            settings.credentials,
            default_account_id=settings.default_account,
            default_region=settings.default_region,
        )
        self.gateway = AwsGateway(
            services.bindings, authenticator, body_budget=BodyBudget(settings.max_body_bytes_in_flight)
        )
        self.front_doors = services.open_front_doors(authenticator, self.gateway)
        self.internal = InternalRoutes(
            self.engine,
            services.names,
            authenticator,
            control=settings.control,
            routes={**services.internal_routes, JOBS_PREFIX: JobRoutes(self.engine)},
            reset=self.reset,
        )
        self.mounts = services.mounts  # path prefix -> a service's own ASGI app
        self.console = ConsoleApp(self.engine, self.gateway, authenticator, services.console_sections)
        self.metrics = open_metrics(settings, self.engine, self.gateway, authenticator)
        self._mount_prefixes = tuple(self.mounts)
        self.started = False

    def start(self) -> None:
        if not self.started:
            self._sweep_abandoned_uploads()
            self.engine.start()
            self.started = True
            log.info(
                "jobforge started",
                extra={
                    "data_dir": str(self.settings.data_dir),
                    "database": self.engine.db.engine.url.drivername,
                },
            )

    def _sweep_abandoned_uploads(self) -> None:
        """Clean up after writers of processes that no longer run (a crash); in the background,
        since on a remote object store each leftover costs a request. Live writers' uploads are
        never touched."""

        def sweep() -> None:
            try:
                count = self.store.sweep_abandoned_uploads()
            except Exception:
                log.warning("Sweeping interrupted uploads failed", exc_info=True)
                return
            if count:
                log.info("Removed uploads interrupted by a crash", extra={"count": count})

        threading.Thread(target=sweep, name="jobforge-upload-sweep", daemon=True).start()

    def reset(self, timeout: float) -> dict[str, Any]:
        """Back to an empty server (the control action ``reset``): every job ended and deleted,
        every resource and record deleted, every bucket deleted (internal ones emptied)."""
        deleted = wipe(self.engine, timeout)
        return {"deleted": deleted, "buckets": wipe_store(self.store)}

    def stop(self) -> None:
        if self.started:
            self.engine.stop()
            self.gateway.close()
            for door in self.front_doors:
                door.close()
            self.started = False

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith(self._mount_prefixes):
                prefix = next(prefix for prefix in self._mount_prefixes if path.startswith(prefix))
                await self.mounts[prefix](scope, receive, send)
            elif path.startswith(PREFIX):
                await self.internal(scope, receive, send)
            elif console_claims(scope):
                await self.console(scope, receive, send)
            else:
                door = next((door for door in self.front_doors if door.claims(scope)), None)
                if door is not None:
                    await door.app(scope, receive, send)
                elif path == METRICS_PATH and self.metrics is not None:
                    await self.metrics(scope, receive, send)
                else:
                    await self.gateway(scope, receive, send)  # type: ignore[arg-type]
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def open_metrics(
    settings: Settings, engine: JobEngine, gateway: AwsGateway, authenticator: Authenticator
) -> MetricsEndpoint | None:
    """The ``/metrics`` endpoint, its metrics wired to the gateway and the engine (None when
    ``settings.metrics`` is off: nothing is counted)."""
    if not settings.metrics:
        return None
    return MetricsEndpoint(NodeMetrics(engine, gateway), authenticator, settings.metrics_token)


def build_node(settings: Settings) -> tuple[JobEngine, ObjectStore, Services]:
    """What an API node and a ``jobforge worker`` share: the engine (its executor chosen by
    ``settings.executor``), the object store and the services with their job handlers."""
    settings.prepare()
    engine = JobEngine(
        settings.resolved_database_url,
        workers=settings.workers,
        cpu_workers=settings.cpu_workers,
        pace=settings.pace,  # type: ignore[arg-type]
        step_delay=settings.step_delay,
        celery=settings.celery_config(),
    )
    store = make_object_store(settings.data_dir, settings.s3_endpoint_url)
    owners, default_owner = settings.parsed_bucket_owners()
    store.policy = BucketPolicy(owners, default_owner)
    if settings.diagnostic_jobs:
        engine.register(DiagnosticJobHandler())
    return engine, store, assemble(engine, store, settings)


def build_app(settings: Settings | None = None) -> JobforgeApp:
    return JobforgeApp(settings or Settings.from_env())
