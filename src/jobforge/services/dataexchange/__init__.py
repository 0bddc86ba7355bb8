"""AWS Data Exchange on jobforge: resources, jobs that really move the data, signed URLs."""

from __future__ import annotations

from typing import Any

from jobforge.engine import JobEngine
from jobforge.storage import ObjectStore


def build_dataexchange(engine: JobEngine, store: ObjectStore, settings: Any) -> Any:
    """The provider, with every job handler registered on the engine."""
    from jobforge.services.dataexchange.common import DataExchangeRuntime
    from jobforge.services.dataexchange.job_types import build_handlers
    from jobforge.services.dataexchange.provider import DataExchangeProvider

    runtime = DataExchangeRuntime(engine, store, settings)
    for handler in build_handlers(runtime):
        engine.register(handler)
    return DataExchangeProvider(runtime)


def signed_url_app(engine: JobEngine, store: ObjectStore, settings: Any) -> Any:
    """The ASGI handler for ``/_jobforge/dataexchange/`` (presigned uploads and downloads)."""
    from jobforge.services.dataexchange.common import DataExchangeRuntime
    from jobforge.services.dataexchange.signed_urls import SignedUrlApp

    return SignedUrlApp(DataExchangeRuntime(engine, store, settings))
