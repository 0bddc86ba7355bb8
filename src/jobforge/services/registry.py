"""The services jobforge serves, and their assembly: each is a package under
:mod:`jobforge.services` whose ``binding`` module exports a
:class:`~jobforge.services.binding.ServicePackage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from jobforge.config import Settings
from jobforge.console.section import ConsoleSection
from jobforge.engine import JobEngine
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.gateway import AwsGateway
from jobforge.protocol.gateway import ServiceBinding as GatewayBinding
from jobforge.protocol.specs import load_service_model
from jobforge.services.base import ServiceProvider
from jobforge.services.binding import (
    AsgiApp,
    FrontDoor,
    InternalRoute,
    OpenFrontDoor,
    ServiceDefinitionError,
    ServicePackage,
)
from jobforge.storage import ObjectStore

# packages under jobforge.services; s3 first, so its bucket owners are known to the store's policy
# while the others are built
SERVICES = ("s3", "robomaker", "dataexchange", "location")


def packages() -> list[ServicePackage[Any]]:
    return [import_module(f"jobforge.services.{name}.binding").PACKAGE for name in SERVICES]


def check_settings(settings: Settings) -> None:
    """Every service's settings section parses (:class:`~jobforge.config.SettingsError` if not)."""
    for package in packages():
        package.settings(settings)


@dataclass
class Services:
    """The assembled services: the gateway's bindings and the services' own HTTP endpoints."""

    bindings: list[GatewayBinding] = field(default_factory=list)
    mounts: dict[str, AsgiApp] = field(default_factory=dict)  # path prefix -> ASGI app
    internal_routes: dict[str, InternalRoute] = field(default_factory=dict)  # below /_jobforge/
    front_doors: list[OpenFrontDoor] = field(default_factory=list)
    console_sections: list[ConsoleSection] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [binding.model.service_name for binding in self.bindings]

    def open_front_doors(self, authenticator: Authenticator, gateway: AwsGateway) -> list[FrontDoor]:
        """The services' front doors, sharing the server's authenticator and JSON gateway."""
        return [open_door(authenticator, gateway) for open_door in self.front_doors]


def assemble(engine: JobEngine, store: ObjectStore, settings: Settings) -> Services:
    """Build every service: providers bound to their models, job handlers registered on the
    engine, warm-up imports queued, bucket-owner hooks set on the store's policy.
    :class:`ServiceDefinitionError` if a service declares an error its model lacks."""
    services = Services()
    for package in packages():
        model = load_service_model(package.model_name)
        problems = package.errors.problems(model)
        if problems:
            raise ServiceDefinitionError("; ".join(problems))
        binding = package.build(engine, store, package.settings(settings))
        provider = binding.provider
        if isinstance(provider, ServiceProvider) and provider.errors != package.errors.names:
            raise ServiceDefinitionError(f"{package.model_name}: the provider's errors are not the package's")
        for handler in binding.handlers:
            engine.register(handler)
        engine.progress.declare(binding.job_kinds)
        for module in binding.preloads:
            engine.executor.preload(module, package.model_name)
        if binding.bucket_owner is not None:
            store.policy.recorded_owner = binding.bucket_owner
        if provider is not None:
            services.bindings.append(GatewayBinding(model, provider, package.errors.validation_error))
        if binding.front_door is not None:
            services.front_doors.append(binding.front_door)
        services.mounts.update(binding.mounts)
        if binding.console is not None:
            services.console_sections.append(binding.console)
        services.internal_routes.update(binding.internal_routes)
    return services
