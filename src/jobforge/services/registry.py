"""Which providers serve which service models, and how each spells a validation error."""

from __future__ import annotations

from jobforge.config import Settings, SettingsError
from jobforge.engine import JobEngine
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import ServiceBinding
from jobforge.protocol.specs import load_service_model
from jobforge.storage import ObjectStore


def robomaker_validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def dataexchange_validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    return ServiceError("ValidationException", message)


def location_validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    return ServiceError(
        "ValidationException",
        message,
        Reason="FieldValidationFailed" if problems else "CannotParse",
        FieldList=[{"Name": name, "Message": problem} for name, problem in problems],
    )


def check_settings(settings: Settings) -> None:
    """The services' own settings (quota overrides) parse as the services will parse them at start."""
    from jobforge.services.dataexchange.common import Limits
    from jobforge.services.location.limits import LocationLimits

    for name, parse in (
        ("dataexchange_limits", Limits.from_settings),
        ("location_limits", LocationLimits.from_settings),
    ):
        try:
            parse(settings)
        except (ValueError, TypeError, AttributeError) as exc:
            raise SettingsError(
                f"{settings.where(name)} must be a JSON object of known limit names and numbers: {exc}"
            ) from exc


def build_bindings(engine: JobEngine, store: ObjectStore, settings: object) -> list[ServiceBinding]:
    from jobforge.services.dataexchange import build_dataexchange
    from jobforge.services.location.provider import build_location
    from jobforge.services.robomaker.export_job import WorldExportHandler
    from jobforge.services.robomaker.generation_job import WorldGenerationHandler
    from jobforge.services.robomaker.provider import RoboMakerProvider

    engine.register(WorldGenerationHandler(engine, parallelism=engine.executor.cpu_workers))
    engine.register(WorldExportHandler(engine, store, settings))
    engine.executor.preload("jobforge.services.robomaker.worldgen", "robomaker")  # numpy, scipy, Pillow
    robomaker = RoboMakerProvider(engine, store, settings)
    if engine.single_node and engine.db.is_sqlite:
        robomaker.serve_fast_reads_inline()
    return [
        ServiceBinding(load_service_model("robomaker"), robomaker, robomaker_validation_error),
        ServiceBinding(
            load_service_model("dataexchange"),
            build_dataexchange(engine, store, settings),
            dataexchange_validation_error,
        ),
        ServiceBinding(
            load_service_model("location"),
            build_location(engine, store, settings),
            location_validation_error,
        ),
    ]
