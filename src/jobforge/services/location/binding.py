"""Amazon Location Service (ValidateAddress jobs) as one
:class:`~jobforge.services.binding.ServicePackage`."""

from __future__ import annotations

from jobforge.engine import JobEngine
from jobforge.services.binding import ServiceBinding, ServicePackage
from jobforge.services.location.errors import ERRORS
from jobforge.services.location.settings import LocationSettings
from jobforge.storage import ObjectStore


def build(engine: JobEngine, store: ObjectStore, settings: LocationSettings) -> ServiceBinding:
    from jobforge.services.location.console import LocationConsole
    from jobforge.services.location.job_handler import ValidateAddressHandler
    from jobforge.services.location.progress import JOB_KINDS
    from jobforge.services.location.provider import LocationProvider

    return ServiceBinding(
        LocationProvider(engine, store, settings),
        handlers=[ValidateAddressHandler(store, settings, engine.executor.cpu_workers)],
        preloads=["jobforge.services.location.parquet_io"],  # pyarrow, the address engine
        console=LocationConsole(store).section(),
        job_kinds=JOB_KINDS,
    )


PACKAGE = ServicePackage("location", ERRORS, LocationSettings.from_settings, build)
