"""The ASGI application that speaks AWS rest-json for every bound service.

auth -> pick the service -> route -> parse -> validate -> provider (in a worker thread) ->
serialize. Every failure, including crashes and unparseable requests, is answered in the
protocol's error format, so SDKs always see a modeled error and a request id.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

from jobforge.protocol.auth import Authenticator
from jobforge.protocol.body_limits import operation_body_limit
from jobforge.protocol.budget import BodyBudget
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import NotImplementedOperation, ServiceError
from jobforge.protocol.parser import InputParser, RequestParseError
from jobforge.protocol.router import Router, UnknownRoute, parse_query
from jobforge.protocol.serializer import ErrorSerializer, Headers, OutputSerializer, encoder_for
from jobforge.protocol.validate import checker_for, compile_pattern, validate

logger = logging.getLogger("jobforge.gateway")
request_logger = logging.getLogger("jobforge.request")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ValidationErrorFactory = Callable[[str, list[tuple[str, str]]], ServiceError]
# (service, operation, HTTP status, seconds) of each answered request, e.g. for metrics
RequestObserver = Callable[[str, str, int, float], None]
UNMATCHED = "unmatched"  # the service or operation of a request that matched none (a bounded name)

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
INLINE_ATTRIBUTE = "__jobforge_inline__"


def runs_inline(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a provider method as cheap and non-blocking: the gateway calls it on the event loop,
    saving the thread hop. Only for methods that never wait on I/O (no database, no network)."""
    setattr(method, INLINE_ATTRIBUTE, True)
    return method


@dataclass
class ServiceBinding:
    """A service model served by a provider object (one snake_case method per operation)."""

    model: ServiceModel
    provider: object
    validation_error: ValidationErrorFactory  # (message, [(path, problem)]) -> the service's error


class _Operation:
    """Everything precomputed for one operation."""

    __slots__ = ("body_limit", "method_name", "model", "name", "parser", "serializer")

    def __init__(self, model: OperationModel, body_limit: int) -> None:
        self.model = model
        self.name = model.name
        self.method_name = xform_name(model.name)
        self.parser = InputParser(model)
        self.serializer = OutputSerializer(model)
        self.body_limit = body_limit  # the largest body this operation accepts


class _Service:
    """A binding with its routing table, parsers and serializers built once."""

    def __init__(self, binding: ServiceBinding, body_limit: Callable[[OperationModel], int]) -> None:
        model = binding.model
        self.binding = binding
        self.name = model.service_name
        self.signing_name = model.signing_name or model.endpoint_prefix
        self.endpoint_prefix = model.endpoint_prefix
        self.router = Router(model)
        self.errors = ErrorSerializer(model)
        self.operations = {}
        for name in model.operation_names:
            operation_model = model.operation_model(name)
            self.operations[name] = _Operation(operation_model, body_limit(operation_model))
        self._warm_patterns(model)
        for operation in self.operations.values():  # compile checkers and encoders now, not per request
            if operation.model.input_shape is not None:
                checker_for(operation.model.input_shape)
            if operation.model.output_shape is not None:
                encoder_for(operation.model.output_shape)

    @staticmethod
    def _warm_patterns(model: ServiceModel) -> None:
        for shape_name in model.shape_names:
            pattern = model.shape_for(shape_name).metadata.get("pattern")
            if pattern is not None:
                compile_pattern(pattern)


def new_request_id() -> str:
    """A random (version 4) UUID string, without the cost of building a ``uuid.UUID``."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers -> {lower-case name: value}; repeated headers joined with commas."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(headers) != len(raw):
        headers = {}
        for raw_name, raw_value in raw:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _is_coroutine_function(method: Any) -> bool:
    code = getattr(getattr(method, "__func__", method), "__code__", None)
    return code is not None and bool(code.co_flags & inspect.CO_COROUTINE)


def _too_large(limit: int) -> ServiceError:
    return ServiceError(
        "RequestEntityTooLargeException", f"Request body exceeds the limit of {limit} bytes", status=413
    )


def _busy() -> ServiceError:
    return ServiceError(
        "ServiceUnavailableException",
        "Too many request bytes in flight; retry the request later.",
        status=503,
    )


def _declared_length(headers: dict[str, str]) -> int | None:
    """The ``Content-Length`` header as a number (None when absent; the HTTP server rejects
    malformed values before the app sees them)."""
    declared = headers.get("content-length")
    return int(declared) if declared is not None and declared.isdigit() else None


class AwsGateway:
    """ASGI app serving AWS rest-json requests for the bound services (nothing else)."""

    def __init__(
        self,
        bindings: list[ServiceBinding],
        authenticator: Authenticator | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_workers: int = 32,
        validate_requests: bool = True,
        executor: ThreadPoolExecutor | None = None,
        body_budget: BodyBudget | None = None,
        observe: RequestObserver | None = None,
    ) -> None:
        """Build every routing table, parser and serializer now, so requests do no model walks.

        ``max_workers`` sizes the provider thread pool (0: call providers on the event loop);
        ``validate_requests=False`` skips constraint checks (types, valid Unicode text and non-null
        list items and map values are still enforced: the parser refuses them). ``body_budget``
        caps the body bytes read into memory across all requests (a body larger than the whole
        budget is refused as too large). With validation on, each operation also refuses a body
        larger than a valid input of it can be (:mod:`jobforge.protocol.body_limits`).
        ``observe`` is told of every answered request (the S3 gateway reports to it too).
        """
        self.observe = observe
        self.authenticator = authenticator or Authenticator()
        self.max_body_bytes = max_body_bytes
        self.body_budget = body_budget or BodyBudget()
        self.validate_requests = validate_requests
        limit = self.body_limit
        if validate_requests:
            self.services = [
                _Service(binding, lambda model: operation_body_limit(model, limit)) for binding in bindings
            ]
        else:  # unvalidated inputs may be of any size
            self.services = [_Service(binding, lambda model: limit) for binding in bindings]
        self._by_signing_name = {service.signing_name: service for service in self.services}
        for service in self.services:  # credential scopes may also use the service name
            self._by_signing_name.setdefault(service.name, service)
        self._generic_errors = ErrorSerializer(None)
        # max_workers=0: every provider call runs on the event loop (in-memory providers, benchmarks).
        self._own_executor = executor is None
        self._executor = executor or (
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="jobforge-provider")
            if max_workers > 0
            else None
        )

    def close(self) -> None:
        """Stop the provider thread pool (if the gateway created it)."""
        if self._own_executor and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._handle_http(scope, receive, send)
        elif kind == "lifespan":
            await self._handle_lifespan(receive, send)

    async def _handle_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @property
    def body_limit(self) -> int:
        """The largest body one request may have."""
        return min(self.max_body_bytes, self.body_budget.limit)

    async def read_body(self, receive: Receive, declared: int | None, limit: int) -> tuple[bytes | None, int]:
        """(body or None if the client went away, bytes reserved in the budget). Reserves the
        declared length before reading (chunked bodies: each chunk as it comes, stopping once
        over ``limit``); raises 413/503 :class:`ServiceError` with nothing left reserved."""
        budget = self.body_budget
        reserved = 0
        if declared:
            if not await budget.acquire(declared):
                raise _busy()
            reserved = declared
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    budget.release(reserved)
                    return None, 0
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(limit)
                    if size > reserved:
                        if not await budget.acquire(size - reserved):
                            raise _busy()
                        reserved = size
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            budget.release(reserved)
            raise
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), reserved

    async def _handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = new_request_id()
        headers = _header_dict(scope["headers"])
        method = scope["method"]
        raw_path_bytes = scope.get("raw_path")
        raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope.get("path", "/")
        query_string = scope.get("query_string", b"").decode("latin-1")
        service: _Service | None = None
        operation: _Operation | None = None
        body_read = False  # until then, a refusal closes the connection: the body stays unread
        reserved = 0
        try:
            try:
                query = parse_query(query_string)
                # Before any body byte is read: a well-formed signature by a known key (sigv4 mode),
                # and a declared length within the limit. The signature is verified after reading.
                self.authenticator.precheck(headers, query)
                # The operation (as the unverified credential scope names it) bounds the body;
                # a routing error is answered only once the caller is authenticated.
                signing_service = self.authenticator.scope_service(headers, query)
                try:
                    service, match = self._route(signing_service, headers, method, raw_path, query)
                    operation = service.operations[match.operation.name]
                    limit, route_error = min(operation.body_limit, self.body_limit), None
                except ServiceError as exc:
                    service, limit, route_error = None, self.body_limit, exc
                declared = _declared_length(headers)
                if declared is not None and declared > limit:
                    raise _too_large(limit)
                body, reserved = await self.read_body(receive, declared, limit)
                if body is None:
                    return  # client went away
                body_read = True
                identity = self.authenticator.authenticate(
                    method, raw_path, query_string, query, headers, body
                )
                if identity.signing_service != signing_service:  # never in practice: route again
                    service, match = self._route(identity.signing_service, headers, method, raw_path, query)
                    operation = service.operations[match.operation.name]
                elif route_error is not None:
                    raise route_error
                try:
                    request = operation.parser.parse(match.labels, query, headers, body)
                except RequestParseError as exc:
                    raise service.binding.validation_error(
                        exc.message, [(exc.path, exc.message)] if exc.path else []
                    ) from None
                self._validate(service, operation, request)
                ctx = RequestContext(
                    account_id=identity.account_id,
                    region=identity.region,
                    service=service.name,
                    operation=operation.name,
                    request_id=request_id,
                    base_url=self._base_url(scope, headers),
                    access_key=identity.access_key,
                    headers=headers,
                )
                output = await self._invoke(service, operation, ctx, request)
                status, out_headers, out_body = operation.serializer.serialize(output)
            except ServiceError as error:
                status, out_headers, out_body = self._serialize_error(service, error)
            except Exception:
                logger.exception(
                    "Unhandled error in %s.%s (request %s)",
                    service.name if service else "?",
                    operation.name if operation else "?",
                    request_id,
                )
                errors = service.errors if service else self._generic_errors
                status, out_headers, out_body = errors.serialize(errors.internal_error())
            if not body_read:
                out_headers.append((b"connection", b"close"))
            await self._respond(send, status, out_headers, out_body, request_id)
        finally:  # also when the client goes away or the task is cancelled
            self.body_budget.release(reserved)
        if self.observe is not None:
            self.observe(
                service.name if service else UNMATCHED,
                operation.name if operation else UNMATCHED,
                status,
                time.perf_counter() - started,
            )
        if request_logger.isEnabledFor(logging.INFO):
            self._log(started, request_id, service, operation, status, out_headers, method, raw_path)

    def _route(
        self,
        signing_service: str | None,
        headers: dict[str, str],
        method: str,
        raw_path: str,
        query: dict[str, list[str]],
    ) -> tuple[_Service, Any]:
        """Pick the service (credential scope first, then host hints, then any router that matches)."""
        if signing_service is not None:
            service = self._by_signing_name.get(signing_service)
            if service is not None:
                return service, service.router.match(method, raw_path, query)
        candidates = self._unsigned_candidates(headers.get("host", ""), raw_path)
        first_error: UnknownRoute | None = None
        for service in candidates:
            try:
                return service, service.router.match(method, raw_path, query)
            except UnknownRoute as exc:
                first_error = first_error or exc
        raise first_error or UnknownRoute(method, raw_path)

    def routes(self, method: str, raw_path: str, query: dict[str, list[str]]) -> bool:
        """Whether an operation of some bound service matches the request's method and path."""
        for service in self.services:
            try:
                service.router.match(method, raw_path, query)
            except UnknownRoute:
                continue
            return True
        return False

    def _unsigned_candidates(self, host: str, raw_path: str) -> list[_Service]:
        """Services to try for an unsigned request: one named by the Host prefix or by an ARN in
        the path (``/tags/arn:aws:geo:...`` exists in all three models) first."""
        if len(self.services) < 2:
            return self.services
        path = raw_path.replace("%3A", ":").replace("%3a", ":")

        def hinted(service: _Service) -> bool:
            names = {service.endpoint_prefix, service.signing_name}
            return any(host.startswith(f"{n}.") or f"arn:aws:{n}:" in path for n in names)

        return sorted(self.services, key=lambda service: not hinted(service))

    async def _invoke(
        self, service: _Service, operation: _Operation, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Call the provider method: coroutines on the loop, plain functions in the thread pool."""
        method = self._method(service, operation)
        try:
            if _is_coroutine_function(method):
                return await method(ctx, request)
            if self._executor is None or getattr(method, INLINE_ATTRIBUTE, False):
                return method(ctx, request)
            return await self._in_thread(method, ctx, request)
        except NotImplementedError:
            raise NotImplementedOperation(service.name, operation.name) from None

    def _in_thread(self, method: Callable[..., Any], ctx: RequestContext, request: dict[str, Any]) -> Any:
        """Run a blocking provider method in the pool; one loop wake-up when it finishes."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def settle(ok: bool, value: Any) -> None:
            if future.cancelled():
                return
            if ok:
                future.set_result(value)
            elif isinstance(value, Exception) and not isinstance(value, StopIteration):
                future.set_exception(value)
            else:  # StopIteration, SystemExit...: futures cannot carry these
                future.set_exception(RuntimeError(f"provider method aborted: {value!r}"))

        def work() -> None:
            try:
                result = (True, method(ctx, request))
            except BaseException as exc:  # handed back to the event loop, re-raised there
                result = (False, exc)
            loop.call_soon_threadsafe(settle, *result)

        assert self._executor is not None
        self._executor.submit(work)
        return future

    def check(
        self, service_name: str, operation_name: str, request: dict[str, Any]
    ) -> tuple[_Service, _Operation]:
        """The model's validation of a parsed request (the service's validation error if it fails)."""
        service = next(service for service in self.services if service.name == service_name)
        operation = service.operations[operation_name]
        self._validate(service, operation, request)
        return service, operation

    def _validate(self, service: _Service, operation: _Operation, request: dict[str, Any]) -> None:
        """The model's validation of a parsed request: the service's validation error if it fails."""
        if self.validate_requests:
            problems = validate(operation.model.input_shape, request)
            if problems is not None:
                raise service.binding.validation_error(*problems)

    @staticmethod
    def _method(service: _Service, operation: _Operation) -> Callable[..., Any]:
        """The provider's method for an operation; NotImplementedOperation when it has none."""
        method = getattr(service.binding.provider, operation.method_name, None)
        if method is None:
            raise NotImplementedOperation(service.name, operation.name)
        return method

    def call(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Run ``ctx.operation`` of ``ctx.service`` as a parsed request would run: the model's
        validation, then the provider (blocking: call it from a worker thread). For in-process
        callers such as the console; raises the operation's :class:`ServiceError` as the API does."""
        service, operation = self.check(ctx.service, ctx.operation, request)
        return self._method(service, operation)(ctx, request) or {}

    def _serialize_error(self, service: _Service | None, error: ServiceError) -> tuple[int, Headers, bytes]:
        errors = service.errors if service else self._generic_errors
        try:
            return errors.serialize(error)
        except Exception:
            logger.exception("Could not serialize %r", error)
            return self._generic_errors.serialize(errors.internal_error())

    @staticmethod
    def _base_url(scope: Scope, headers: dict[str, str]) -> str:
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}"

    @staticmethod
    async def _respond(send: Send, status: int, headers: Headers, body: bytes, request_id: str) -> None:
        headers.append((b"x-amzn-requestid", request_id.encode("ascii")))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(
        started: float,
        request_id: str,
        service: _Service | None,
        operation: _Operation | None,
        status: int,
        headers: Headers,
        method: str,
        raw_path: str,
    ) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        error_code = next((v.decode() for k, v in headers if k == b"x-amzn-errortype"), None)
        fields = {
            "method": method,
            "path": raw_path,
            "service": service.name if service else None,
            "operation": operation.name if operation else None,
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "request_id": request_id,
            "error_code": error_code,
        }
        request_logger.info("request", extra=fields)
