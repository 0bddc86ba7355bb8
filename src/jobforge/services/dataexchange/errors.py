"""AWS Data Exchange's modeled errors, declared once: the error shapes the operations raise and
the codes a job writes into its ``Errors`` (the model's ``Code`` and ``JobErrorLimitName`` enums);
the registry checks every one against the model at start."""

from __future__ import annotations

import re
from typing import Any

from jobforge.engine import JobState, NotFound, QuotaExceeded
from jobforge.protocol.errors import ServiceError
from jobforge.services.base import ErrorNames
from jobforge.services.binding import ServiceErrors
from jobforge.storage import (
    AccessDenied,
    InvalidObjectName,
    KeyConflict,
    NoSuchBucket,
    NoSuchKey,
    StorageError,
)


def _refine(exc: Exception) -> ServiceError | None:
    """Missing resources and quotas carry the resource and the limit as modeled members."""
    if isinstance(exc, NotFound):
        return not_found(exc.kind, exc.resource_id)
    if isinstance(exc, QuotaExceeded):
        return limit_exceeded(exc.limit_name, exc.limit_value, exc.message)
    return None


NAMES = ErrorNames(
    invalid="ValidationException",
    not_found="ResourceNotFoundException",
    conflict="ConflictException",
    limit="ServiceLimitExceededException",
    idempotency="ConflictException",
    already_exists="ConflictException",
    refine=_refine,
)

# Engine resource kinds -> the model's ResourceType (and JobErrorResourceTypes) words.
RESOURCE_TYPES = {
    "data-set": "DATA_SET",
    "revision": "REVISION",
    "asset": "ASSET",
    "event-action": "EVENT_ACTION",
    "job": "JOB",
}

# JobError.Code values; a job failure code outside them is reported as INTERNAL_SERVER_EXCEPTION.
JOB_ACCESS_DENIED = "ACCESS_DENIED_EXCEPTION"
JOB_INTERNAL_ERROR = "INTERNAL_SERVER_EXCEPTION"
JOB_NOT_FOUND = "RESOURCE_NOT_FOUND_EXCEPTION"
JOB_QUOTA_EXCEEDED = "SERVICE_QUOTA_EXCEEDED_EXCEPTION"
JOB_INVALID = "VALIDATION_EXCEPTION"
JOB_FAILURE_CODES = frozenset(
    {
        JOB_ACCESS_DENIED,
        JOB_INTERNAL_ERROR,
        "MALWARE_DETECTED",
        JOB_NOT_FOUND,
        JOB_QUOTA_EXCEEDED,
        JOB_INVALID,
        "MALWARE_SCAN_ENCRYPTED_FILE",
    }
)
# The limits a JobError may name (JobErrorLimitName); others are left out of the error.
JOB_ERROR_LIMIT_NAMES = frozenset(
    {
        "Assets per revision",
        "Asset size in GB",
        "Amazon Redshift datashare assets per revision",
        "AWS Lake Formation data permission assets per revision",
        "Amazon S3 data access assets per revision",
    }
)


def not_found(kind: str, resource_id: str, message: str | None = None) -> ServiceError:
    resource_type = RESOURCE_TYPES.get(kind, "DATA_SET")
    label = resource_type.replace("_", " ").lower()
    return ServiceError(
        NAMES.not_found,
        message or f"The {label} {resource_id} does not exist",
        ResourceId=resource_id,
        ResourceType=resource_type,
    )


# The last "<collection>/<id>" of a Data Exchange ARN's resource -> its ResourceType.
_ARN_COLLECTIONS = {
    "data-sets": "DATA_SET",
    "revisions": "REVISION",
    "assets": "ASSET",
    "jobs": "JOB",
    "event-actions": "EVENT_ACTION",
    "data-grants": "DATA_GRANT",
}


def arn_not_found(arn: str) -> ServiceError:
    """No resource at ``arn``: ResourceType as the ARN names it, left out for a foreign ARN."""
    parts = arn.split(":", 5)
    path = parts[5].split("/") if len(parts) == 6 and parts[2] == "dataexchange" else []
    collection = path[-2] if len(path) >= 2 and len(path) % 2 == 0 else ""
    fields = {"ResourceType": _ARN_COLLECTIONS[collection]} if collection in _ARN_COLLECTIONS else {}
    return ServiceError(
        NAMES.not_found,
        f"No Data Exchange resource {arn} in this account and Region",
        ResourceId=arn,
        **fields,
    )


def conflict(message: str, kind: str, resource_id: str) -> ServiceError:
    return ServiceError(NAMES.conflict, message, ResourceId=resource_id, ResourceType=RESOURCE_TYPES[kind])


def invalid(message: str, cause: str | None = None) -> ServiceError:
    fields = {"ExceptionCause": cause} if cause else {}
    return ServiceError(NAMES.invalid, message, **fields)


def limit_exceeded(name: str, value: float, what: str | None = None) -> ServiceError:
    return ServiceError(
        NAMES.limit,
        what or f"The limit '{name}' ({value:g}) was reached",
        LimitName=name,
        LimitValue=float(value),
    )


def validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    """A request the model's validation refused."""
    return ServiceError(NAMES.invalid, message)


def job_error(
    code: str,
    message: str,
    *,
    resource_id: str | None = None,
    resource_type: str | None = None,
    limit_name: str | None = None,
    limit_value: float | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One JobError as the model has it (absent members left out)."""
    error: dict[str, Any] = {"Code": code, "Message": message}
    if resource_id is not None:
        error["ResourceId"] = resource_id
    if resource_type is not None:
        error["ResourceType"] = resource_type
    if limit_name is not None and limit_name in JOB_ERROR_LIMIT_NAMES:
        error["LimitName"] = limit_name
    if limit_value is not None:
        error["LimitValue"] = float(limit_value)
    if details:
        error["Details"] = details
    return error


class JobProblem(Exception):
    """Ends a job ERROR (or TIMED_OUT) with these JobErrors."""

    def __init__(self, errors: list[dict[str, Any]], state: JobState = JobState.FAILED) -> None:
        super().__init__(errors[0]["Message"])
        self.errors = errors
        self.state = state


def storage_error_code(exc: StorageError) -> str:
    """The JobError code of a storage failure met while a job runs."""
    if isinstance(exc, NoSuchKey | NoSuchBucket):
        return JOB_NOT_FOUND
    if isinstance(exc, AccessDenied):
        return JOB_ACCESS_DENIED
    if isinstance(exc, InvalidObjectName | KeyConflict):  # the client's names: retrying cannot help
        return JOB_INVALID
    return JOB_INTERNAL_ERROR


# An OSError's text ("[Errno 13] Permission denied: '/srv/data/buckets/b/k'") keeps its reason only;
# an absolute path standing free in a message (keys are always quoted) is a host path.
_OS_ERROR_FILENAME = re.compile(r"(\[Errno -?\d+\] [^:\]]+): '[^']*'(?: -> '[^']*')?")
_HOST_PATH = re.compile(r"(?:(?<=\s)|(?<=\()|^)/[^\s'\"()]+")


def public_message(text: str) -> str:
    """``text`` without paths of the server's filesystem (its data directory, temp files)."""
    return _HOST_PATH.sub("<server path>", _OS_ERROR_FILENAME.sub(r"\1", text))


def storage_message(exc: StorageError) -> str:
    """A storage failure as a job reports it: buckets and keys, never a host path (the stores name
    none; an error text from elsewhere in the chain still might)."""
    return public_message(str(exc))


ERRORS = ServiceErrors(
    NAMES,
    validation_error,
    enums={
        "Code": JOB_FAILURE_CODES,
        "JobErrorLimitName": JOB_ERROR_LIMIT_NAMES,
    },
)
