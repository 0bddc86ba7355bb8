"""ASGI assembly: the AWS gateway for every service, the services' own endpoints (mounted under
their prefixes) and jobforge's (``/_jobforge/``)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from jobforge.config import Settings
from jobforge.engine import JobControl, JobEngine
from jobforge.engine.diagnostics import DiagnosticJobHandler
from jobforge.internal import PREFIX, InternalRoutes, Receive, Send
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.budget import BodyBudget
from jobforge.protocol.gateway import AwsGateway
from jobforge.protocol.s3_gateway import S3Gateway, is_s3_request
from jobforge.protocol.specs import load_service_model
from jobforge.services.registry import assemble
from jobforge.services.s3.multipart import MultipartS3Provider
from jobforge.services.s3.owners import BucketOwners
from jobforge.storage import BucketPolicy, ObjectStore, make_object_store

log = logging.getLogger("jobforge")


class JobforgeApp:
    """One server: engine, object store, providers, gateway. Jobs start with the ASGI lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.prepare()
        self.engine = JobEngine(
            settings.resolved_database_url,
            workers=settings.workers,
            cpu_workers=settings.cpu_workers,
            single_node=settings.single_node,
            control=JobControl(settings.pace, settings.step_delay),  # type: ignore[arg-type]
        )
        self.store: ObjectStore = make_object_store(settings.data_dir, settings.s3_endpoint_url)
        owners, default_owner = settings.parsed_bucket_owners()
        self.store.policy = BucketPolicy(owners, default_owner)
        bucket_owners = BucketOwners(self.engine)
        self.store.policy.recorded_owner = bucket_owners.owner
        if settings.diagnostic_jobs:
            self.engine.register(DiagnosticJobHandler())
        services = assemble(self.engine, self.store, settings)
        authenticator = Authenticator(
            settings.auth,
            settings.credentials,
            default_account_id=settings.default_account,
            default_region=settings.default_region,
        )
        self.gateway = AwsGateway(
            services.bindings, authenticator, body_budget=BodyBudget(settings.max_body_bytes_in_flight)
        )
        self.s3 = S3Gateway(
            load_service_model("s3"),
            MultipartS3Provider(self.store, bucket_owners),
            authenticator,
            self.gateway,
            disabled=(
                f"jobforge's S3 API is off: objects live on the S3 endpoint {settings.s3_endpoint_url} "
                "(--s3-endpoint-url); send S3 requests there"
                if settings.s3_endpoint_url
                else None
            ),
        )
        self.internal = InternalRoutes(
            self.engine,
            services.names,
            authenticator,
            control=settings.control,
            routes=services.internal_routes,
        )
        self.mounts = services.mounts  # path prefix -> a service's own ASGI app
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
        since on S3 each leftover costs a request. Live writers' uploads are never touched."""

        def sweep() -> None:
            try:
                count = self.store.sweep_abandoned_uploads()
            except Exception:
                log.warning("Sweeping interrupted uploads failed", exc_info=True)
                return
            if count:
                log.info("Removed uploads interrupted by a crash", extra={"count": count})

        threading.Thread(target=sweep, name="jobforge-upload-sweep", daemon=True).start()

    def stop(self) -> None:
        if self.started:
            self.engine.stop()
            self.gateway.close()
            self.s3.close()
            self.started = False

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith(self._mount_prefixes):
                prefix = next(prefix for prefix in self._mount_prefixes if path.startswith(prefix))
                await self.mounts[prefix](scope, receive, send)
            elif path.startswith(PREFIX):
                await self.internal(scope, receive, send)
            elif is_s3_request(scope, self.gateway, self.store.bucket_exists):
                await self.s3(scope, receive, send)
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


def build_app(settings: Settings | None = None) -> JobforgeApp:
    return JobforgeApp(settings or Settings.from_env())
