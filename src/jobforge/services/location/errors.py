"""Amazon Location's modeled errors, declared once: the error shapes the job and tag operations
raise and the job error codes (the model's ``JobErrorCode``); checked against the model at start."""

from __future__ import annotations

from jobforge.engine import IdempotencyMismatch, InvalidTags, InvalidToken, QuotaExceeded
from jobforge.protocol.errors import ServiceError
from jobforge.services.base import ErrorNames
from jobforge.services.binding import ServiceErrors
from jobforge.services.location.file_worker import INTERNAL_ERROR, VALIDATION_ERROR

THROTTLED = "ThrottlingException"


def _refine(exc: Exception) -> ServiceError | None:
    """Name the field at fault where there is one; a job quota asks the caller to retry later."""
    match exc:
        case InvalidToken():
            return invalid(exc.message, "NextToken")
        case IdempotencyMismatch():
            return invalid(exc.message, "ClientToken")
        case InvalidTags():
            return invalid(exc.message, "Tags")
        case QuotaExceeded():
            return throttled(f"{exc.message}; retry when a job has ended")
    return None


NAMES = ErrorNames(
    invalid="ValidationException",
    not_found="ResourceNotFoundException",
    conflict="ValidationException",
    limit=THROTTLED,
    idempotency="ValidationException",
    already_exists="ConflictException",
    others=frozenset({THROTTLED}),
    invalid_fields={"Reason": "Other", "FieldList": []},  # the model requires both
    refine=_refine,
)

# JobError.Code values (the job's workers write them); another failure code is reported as INTERNAL_ERROR.
JOB_ERROR_CODES = frozenset({VALIDATION_ERROR, INTERNAL_ERROR})


def invalid(message: str, field: str | None = None, reason: str = "FieldValidationFailed") -> ServiceError:
    """ValidationException with the model's required ``reason`` and ``fieldList``."""
    fields = [{"Name": field, "Message": message}] if field else []
    return ServiceError(NAMES.invalid, message, Reason=reason if field else "Other", FieldList=fields)


def not_found(message: str) -> ServiceError:
    return ServiceError(NAMES.not_found, message)


def throttled(message: str) -> ServiceError:
    return ServiceError(THROTTLED, message)


def validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    """A request the model's validation refused: the fields at fault, or CannotParse."""
    return ServiceError(
        NAMES.invalid,
        message,
        Reason="FieldValidationFailed" if problems else "CannotParse",
        FieldList=[{"Name": name, "Message": problem} for name, problem in problems],
    )


ERRORS = ServiceErrors(NAMES, validation_error, enums={"JobErrorCode": JOB_ERROR_CODES})
