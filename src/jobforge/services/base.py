"""What every provider shares: turning engine and storage errors into the service's own
modeled errors, so provider methods contain business logic only."""

from __future__ import annotations

import functools
import inspect
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobforge.engine.errors import (
    AlreadyExists,
    EngineError,
    IdempotencyMismatch,
    IllegalTransition,
    NotFound,
    QuotaExceeded,
)
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import runs_inline
from jobforge.storage.errors import NoSuchBucket, NoSuchKey, StorageError

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 12, alphabet: str = _ID_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class ErrorNames:
    """The error shapes of a service's model: what the engine's and storage's generic failures
    become (:func:`translate`), and every other code the service raises."""

    invalid: str  # bad input: InvalidParameterException / ValidationException
    not_found: str
    conflict: str  # an illegal state change
    limit: str  # a quota
    idempotency: str  # a client token reused with other parameters
    already_exists: str
    others: frozenset[str] = frozenset()  # raised by the service's own helpers (e.g. throttling)
    invalid_fields: Mapping[str, Any] = field(default_factory=dict)  # members every ``invalid`` error has
    refine: Callable[[Exception], ServiceError | None] | None = None  # the service's own mapping, tried first

    def codes(self) -> frozenset[str]:
        """Every error code the service may answer with."""
        generic = (self.invalid, self.not_found, self.conflict, self.limit, self.idempotency)
        return frozenset({*generic, self.already_exists, *self.others})


FAST_READ = "__jobforge_fast_read__"


def fast_read(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an operation that only reads through the engine's in-memory read cache (falling back to
    a local SQLite read on a miss). On a single-node SQLite deployment the gateway runs it on the
    event loop, saving the thread hop; elsewhere it runs in the thread pool like the rest."""
    setattr(method, FAST_READ, True)
    return method


class ServiceProvider:
    """Base of the per-service providers: public methods are operations, ``(ctx, request) -> dict``."""

    errors: ErrorNames  # the service's, from its ``errors`` module

    def serve_fast_reads_inline(self) -> None:
        """Let the gateway call the ``@fast_read`` operations on the event loop (per instance)."""
        for name in dir(type(self)):
            member = getattr(type(self), name, None)
            if callable(member) and getattr(member, FAST_READ, False):
                setattr(self, name, runs_inline(functools.partial(member, self)))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(member):
                setattr(cls, name, _translating(member))

    def translate(self, exc: Exception) -> ServiceError | None:
        return translate(self.errors, exc)


def translate(names: ErrorNames, exc: Exception) -> ServiceError | None:
    """The modeled error for an engine or storage error: the one mapping of every service, after
    the service's own ``refine`` (None for other exceptions)."""
    refined = names.refine(exc) if names.refine is not None else None
    if refined is not None:
        return refined
    code: str | None = None
    match exc:
        case NotFound() | NoSuchBucket() | NoSuchKey():
            code = names.not_found
        case IdempotencyMismatch():
            code = names.idempotency
        case QuotaExceeded():
            code = names.limit
        case AlreadyExists():
            code = names.already_exists
        case IllegalTransition():
            code = names.conflict
        case EngineError() | StorageError():  # InvalidToken, InvalidObjectName and the rest
            code = names.invalid
    if code is None:
        return None
    message = exc.message if isinstance(exc, EngineError) else str(exc)
    return ServiceError(code, message, **(names.invalid_fields if code == names.invalid else {}))


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: ServiceProvider, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (EngineError, StorageError) as exc:
            translated = self.translate(exc)
            if translated is None:
                raise
            raise translated from exc

    return wrapper
