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
ALL_WORLD_GENERATION_FAILED = "AllWorldGenerationFailed"
LIMIT_EXCEEDED = "LimitExceeded"
# Every value of the model's enums: what a job ends with when it fails by itself (the codes above,
# AllWorldGenerationFailed) or through the control API's forced failures, which may name any of them.
GENERATION_FAILURE_CODES = frozenset(
    {
        INTERNAL_SERVICE_ERROR,
        LIMIT_EXCEEDED,
        RESOURCE_NOT_FOUND,
        "RequestThrottled",
        INVALID_INPUT,
        ALL_WORLD_GENERATION_FAILED,
    }
)
EXPORT_FAILURE_CODES = frozenset(
    {
        INTERNAL_SERVICE_ERROR,
        LIMIT_EXCEEDED,
        RESOURCE_NOT_FOUND,
        "RequestThrottled",
        INVALID_INPUT,
        ACCESS_DENIED,
    }
)


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
