"""A live uvicorn server running an AwsGateway with recording fake providers, and boto3 clients."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
import pytest
import uvicorn
from botocore.config import Config

from jobforge.protocol.auth import Authenticator
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import AwsGateway, ServiceBinding
from jobforge.protocol.specs import PROJECT_MODELS_DIR, load_service_model
from tests.support import AWS_MODELS

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def robomaker_search_paths() -> tuple[str, ...]:
    """Our shipped RoboMaker model when it exists, else AWS's original (shared checkout)."""
    if (PROJECT_MODELS_DIR / "robomaker").is_dir():
        return ()
    return (str(AWS_MODELS),) if AWS_MODELS.is_dir() else ()


@dataclass
class Call:
    operation: str
    ctx: RequestContext
    request: dict[str, Any]


@dataclass
class RecordingProvider:
    """Answers every operation with a canned response (default ``{}``) and records the call."""

    calls: list[Call] = field(default_factory=list)
    responses: dict[str, Any] = field(default_factory=dict)  # snake name -> dict | Exception | callable

    def __getattr__(self, name: str) -> Callable[[RequestContext, dict], dict]:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(ctx: RequestContext, request: dict) -> dict:
            self.calls.append(Call(name, ctx, request))
            answer = self.responses.get(name, {})
            if isinstance(answer, Exception):
                raise answer
            if callable(answer):
                return answer(ctx, request)
            return answer

        return method

    @property
    def last(self) -> Call:
        return self.calls[-1]


class PartialProvider:
    """Implements one operation only, to test the 501 for the rest."""

    def describe_world(self, ctx: RequestContext, request: dict) -> dict:
        return {"arn": request["world"]}


def robomaker_validation_error(message: str, fields: list[tuple[str, str]]) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def dataexchange_validation_error(message: str, fields: list[tuple[str, str]]) -> ServiceError:
    return ServiceError("ValidationException", message)


def location_validation_error(message: str, fields: list[tuple[str, str]]) -> ServiceError:
    return ServiceError(
        "ValidationException",
        message,
        Reason="FieldValidationFailed" if fields else "CannotParse",
        FieldList=[{"Name": name, "Message": problem} for name, problem in fields],
    )


@dataclass
class LiveServer:
    url: str
    gateway: AwsGateway
    providers: dict[str, Any]
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.gateway.close()


def start_server(gateway: AwsGateway, providers: dict[str, Any]) -> LiveServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(gateway, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return LiveServer(f"http://127.0.0.1:{port}", gateway, providers, server, thread)


def build_gateway(
    authenticator: Authenticator | None = None, robomaker_provider: Any = None, **gateway_options: Any
) -> tuple[AwsGateway, dict[str, Any]]:
    providers = {
        "robomaker": robomaker_provider or RecordingProvider(),
        "dataexchange": RecordingProvider(),
        "location": RecordingProvider(),
    }
    bindings = [
        ServiceBinding(
            load_service_model("robomaker", robomaker_search_paths()),
            providers["robomaker"],
            robomaker_validation_error,
        ),
        ServiceBinding(
            load_service_model("dataexchange"), providers["dataexchange"], dataexchange_validation_error
        ),
        ServiceBinding(load_service_model("location"), providers["location"], location_validation_error),
    ]
    return AwsGateway(bindings, authenticator or Authenticator(), **gateway_options), providers


@pytest.fixture(scope="session")
def live() -> Iterator[LiveServer]:
    gateway, providers = build_gateway()
    server = start_server(gateway, providers)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lenient() -> Iterator[LiveServer]:
    """The same services with request validation off: routing tests send type-correct junk."""
    gateway, providers = build_gateway(validate_requests=False)
    server = start_server(gateway, providers)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_providers(request: pytest.FixtureRequest) -> None:
    """Each test starts with empty call logs and canned responses on every server it uses."""
    for name in request.fixturenames:
        if name.startswith("_") or name in ("request", "monkeypatch", "caplog"):
            continue
        value = request.getfixturevalue(name)
        if isinstance(value, LiveServer):
            for provider in value.providers.values():
                if isinstance(provider, RecordingProvider):
                    provider.calls.clear()
                    provider.responses.clear()


@functools.cache
def botocore_session() -> botocore.session.Session:
    """A botocore session that can also build ``robomaker`` clients (gone from current botocore)."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    for path in (str(AWS_MODELS), str(PROJECT_MODELS_DIR)):
        if path not in loader.search_paths:
            loader.search_paths.insert(0, path)
    return session


@functools.cache
def make_client(
    url: str,
    service: str,
    *,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    region: str = "us-east-1",
    validate: bool = True,
    signature_version: Any = None,
) -> Any:
    """A (cached) boto3 client for ``service`` at ``url``; host prefixes are never injected."""
    session = boto3.Session(botocore_session=botocore_session())
    config = Config(
        parameter_validation=validate,
        inject_host_prefix=False,
        retries={"max_attempts": 1, "mode": "standard"},
        signature_version=signature_version,
    )
    return session.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


@pytest.fixture
def client_factory(live: LiveServer) -> Callable[..., Any]:
    return lambda service, **kw: make_client(live.url, service, **kw)
