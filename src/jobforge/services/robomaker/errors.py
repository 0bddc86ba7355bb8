"""RoboMaker's modeled errors, declared once: every code here must be an error shape (or, for job
failure codes, an enum value) of the RoboMaker model (checked at start by the registry)."""

from __future__ import annotations

from jobforge.protocol.errors import ServiceError
from jobforge.services.base import ErrorNames
from jobforge.services.binding import ServiceErrors

NAMES = ErrorNames(
    invalid="InvalidParameterException",
    not_found="ResourceNotFoundException",
    conflict="InvalidParameterException",
    limit="LimitExceededException",
    idempotency="IdempotentParameterMismatchException",
    already_exists="ResourceAlreadyExistsException",
)

# The failureCode values the generation and export jobs write.
INTERNAL_SERVICE_ERROR = "InternalServiceError"
INVALID_INPUT = "InvalidInput"
ACCESS_DENIED = "AccessDenied"
RESOURCE_NOT_FOUND = "ResourceNotFound"
GENERATION_FAILURE_CODES = frozenset({INTERNAL_SERVICE_ERROR, INVALID_INPUT})
EXPORT_FAILURE_CODES = frozenset({INTERNAL_SERVICE_ERROR, ACCESS_DENIED, RESOURCE_NOT_FOUND})


def invalid(message: str) -> ServiceError:
    return ServiceError(NAMES.invalid, message)


def not_found(message: str) -> ServiceError:
    return ServiceError(NAMES.not_found, message)


def validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    """A request the model's validation refused."""
    return invalid(message)


ERRORS = ServiceErrors(
    NAMES,
    validation_error,
    enums={
        "WorldGenerationJobErrorCode": GENERATION_FAILURE_CODES,
        "WorldExportJobErrorCode": EXPORT_FAILURE_CODES,
    },
)
