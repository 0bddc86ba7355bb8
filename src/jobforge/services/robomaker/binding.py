"""RoboMaker WorldForge as one :class:`~jobforge.services.binding.ServicePackage`."""

from __future__ import annotations

from jobforge.engine import JobEngine
from jobforge.services.binding import ServiceBinding, ServicePackage
from jobforge.services.robomaker.errors import ERRORS
from jobforge.services.robomaker.settings import RoboMakerSettings
from jobforge.storage import ObjectStore


def build(engine: JobEngine, store: ObjectStore, settings: RoboMakerSettings) -> ServiceBinding:
    from jobforge.services.robomaker.console import RoboMakerConsole
    from jobforge.services.robomaker.export_job import WorldExportHandler
    from jobforge.services.robomaker.generation_job import WorldGenerationHandler
    from jobforge.services.robomaker.progress import JOB_KINDS
    from jobforge.services.robomaker.provider import RoboMakerProvider
    from jobforge.services.robomaker.routes import PREFIX, WorldRoutes

    provider = RoboMakerProvider(engine, store, settings)
    if engine.single_node and engine.db.is_sqlite:
        provider.serve_fast_reads_inline()
    return ServiceBinding(
        provider,
        handlers=[
            WorldGenerationHandler(engine, parallelism=engine.executor.cpu_workers),
            WorldExportHandler(engine, store, settings, parallelism=engine.executor.cpu_workers),
        ],
        preloads=["jobforge.services.robomaker.worldgen"],  # numpy, scipy, Pillow
        internal_routes={PREFIX: WorldRoutes(engine)},
        console=RoboMakerConsole(engine, store).section(),
        job_kinds=JOB_KINDS,
    )


PACKAGE = ServicePackage("robomaker", ERRORS, RoboMakerSettings.from_settings, build)
