"""The services jobforge serves, and their assembly: each is a package under
:mod:`jobforge.services` whose ``binding`` module exports a
:class:`~jobforge.services.binding.ServicePackage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from jobforge.config import Settings
from jobforge.engine import JobEngine
from jobforge.protocol.gateway import ServiceBinding as GatewayBinding
from jobforge.protocol.specs import load_service_model
from jobforge.services.base import ServiceProvider
from jobforge.services.binding import AsgiApp, InternalRoute, ServiceDefinitionError, ServicePackage
from jobforge.storage import ObjectStore

SERVICES = ("robomaker", "dataexchange", "location")  # packages under jobforge.services


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

    @property
    def names(self) -> list[str]:
        return [binding.model.service_name for binding in self.bindings]


def assemble(engine: JobEngine, store: ObjectStore, settings: Settings) -> Services:
    """Build every service: providers bound to their models, job handlers registered on the
    engine, warm-up imports queued. :class:`ServiceDefinitionError` if a service declares an
    error its model lacks."""
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
        for module in binding.preloads:
            engine.executor.preload(module, package.model_name)
        services.bindings.append(GatewayBinding(model, provider, package.errors.validation_error))
        services.mounts.update(binding.mounts)
        services.internal_routes.update(binding.internal_routes)
    return services
