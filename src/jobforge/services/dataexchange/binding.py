"""AWS Data Exchange as one :class:`~jobforge.services.binding.ServicePackage`."""

from __future__ import annotations

from jobforge.engine import JobEngine
from jobforge.services.binding import ServiceBinding, ServicePackage
from jobforge.services.dataexchange.errors import ERRORS
from jobforge.services.dataexchange.settings import DataExchangeSettings
from jobforge.storage import ObjectStore


def build(engine: JobEngine, store: ObjectStore, settings: DataExchangeSettings) -> ServiceBinding:
    from jobforge.services.dataexchange import console
    from jobforge.services.dataexchange.common import DataExchangeRuntime
    from jobforge.services.dataexchange.job_types import build_handlers
    from jobforge.services.dataexchange.jobs import auto_export_listener
    from jobforge.services.dataexchange.progress import JOB_KINDS
    from jobforge.services.dataexchange.provider import DataExchangeProvider
    from jobforge.services.dataexchange.signed_urls import PREFIX, SignedUrlApp

    runtime = DataExchangeRuntime(engine, store, settings)
    engine.jobs.on_ended.append(auto_export_listener(runtime))  # queued auto-exports start
    return ServiceBinding(
        DataExchangeProvider(runtime),
        handlers=build_handlers(runtime),
        mounts={PREFIX: SignedUrlApp(runtime)},  # presigned uploads and downloads
        console=console.section(),
        job_kinds=JOB_KINDS,
    )


PACKAGE = ServicePackage("dataexchange", ERRORS, DataExchangeSettings.from_settings, build)
