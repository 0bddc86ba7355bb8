"""What a service package declares, in one place: its model, modeled errors, settings section and
the binding it builds (provider, job handlers, warm-up imports, extra HTTP routes, a front door
for a protocol of its own, hooks into the store's bucket policy).

Each package under :mod:`jobforge.services` has a ``binding`` module exporting ``PACKAGE``, a
:class:`ServicePackage`; :mod:`jobforge.services.registry` lists the packages and assembles them,
so the application core names no service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from botocore.model import ServiceModel

from jobforge.config import Settings
from jobforge.console.section import ConsoleSection
from jobforge.engine import JobEngine
from jobforge.engine.progress import JobKind
from jobforge.internal import Route as InternalRoute
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.gateway import AwsGateway, Receive, Scope, Send, ValidationErrorFactory
from jobforge.services.base import ErrorNames
from jobforge.storage import ObjectStore

Section = TypeVar("Section")
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ServiceDefinitionError(RuntimeError):
    """A service declares an error its model does not have (found at start, before serving)."""


@dataclass(frozen=True)
class ServiceErrors:
    """A service's errors: the modeled error shapes it raises, how it answers a request the
    model's validation refused, and values it writes into enum members of its model (job
    failure codes...), by enum shape name."""

    names: ErrorNames
    validation_error: ValidationErrorFactory
    enums: Mapping[str, Collection[str]] = field(default_factory=dict)
    # codes the service's protocol documents outside the model (S3's model has few error shapes;
    # its errors are a table, protocol.rest_xml.ERROR_STATUS): allowed besides the error shapes
    documented: Collection[str] = frozenset()

    def codes(self) -> frozenset[str]:
        return self.names.codes() | {self.validation_error("probe", []).code}

    def problems(self, model: ServiceModel) -> list[str]:
        """What this declaration names that ``model`` lacks (empty when everything exists)."""
        shapes = {shape.name for shape in model.error_shapes}
        problems = [
            f"{model.service_name}: error {code} is not an error shape of the model"
            for code in sorted(self.codes() - shapes - set(self.documented))
        ]
        for enum_name, values in self.enums.items():
            allowed = set(getattr(model.shape_for(enum_name), "enum", None) or ())
            problems.extend(
                f"{model.service_name}: {value!r} is not a value of {enum_name}"
                for value in sorted(set(values) - allowed)
            )
        return problems


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class FrontDoor:
    """A service's own ASGI app for a protocol the JSON gateway does not speak (S3's REST API):
    the server hands it every request it ``claims`` (checked after the mounts and ``/_jobforge/``,
    before the JSON gateway) and calls ``close`` when it stops."""

    claims: Callable[[Scope], bool]
    app: AsgiApp
    close: Callable[[], None] = _nothing


# builds the front door once the server's authenticator and JSON gateway exist (it shares them)
OpenFrontDoor = Callable[[Authenticator, AwsGateway], FrontDoor]


@dataclass
class ServiceBinding:
    """A built service: its provider (one snake_case method per operation, served by the JSON
    gateway; None for a service with only a front door) and what the server runs and serves for
    it besides."""

    provider: object | None = None
    handlers: Sequence[Any] = ()  # job handlers, registered on the engine
    preloads: Sequence[str] = ()  # modules the CPU workers import while warming up
    mounts: Mapping[str, AsgiApp] = field(default_factory=dict)  # path prefix -> ASGI app
    internal_routes: Mapping[str, InternalRoute] = field(default_factory=dict)  # "/_jobforge/<x>/" -> GET
    front_door: OpenFrontDoor | None = None
    # store policy hook: the owner the service recorded for a bucket (BucketPolicy.recorded_owner)
    bucket_owner: Callable[[str], str | None] | None = None
    console: ConsoleSection | None = None  # the service's pages in the web console (/console)
    job_kinds: Sequence[JobKind] = ()  # how its jobs count progress (GET /_jobforge/jobs/<id>)


@dataclass(frozen=True)
class ServicePackage(Generic[Section]):
    """What a service package exports: everything the registry needs to serve it."""

    model_name: str  # for load_service_model
    errors: ServiceErrors
    settings: Callable[[Settings], Section]  # the service's section (SettingsError if impossible)
    build: Callable[[JobEngine, ObjectStore, Section], ServiceBinding]
