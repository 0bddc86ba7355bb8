"""What the Location operation groups share: status words, ARNs, modeled errors, limits."""

from __future__ import annotations

from typing import Any

from jobforge.engine import (
    IdempotencyMismatch,
    InvalidTags,
    InvalidToken,
    JobEngine,
    JobState,
    QuotaExceeded,
    StatusWords,
    check_tags,
)
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.services.arns import build_arn
from jobforge.services.base import ErrorNames, ServiceProvider
from jobforge.services.location.limits import LocationLimits
from jobforge.storage import ObjectStore

SERVICE = "geo"
JOB = "job"

JOB_STATUS = StatusWords(
    {
        JobState.WAITING: "Pending",
        JobState.PENDING: "Pending",
        JobState.RUNNING: "Running",
        JobState.SUCCEEDED: "Completed",
        JobState.PARTIALLY_SUCCEEDED: "Completed",
        JobState.FAILED: "Failed",
        JobState.TIMED_OUT: "Failed",
        JobState.CANCELING: "Cancelling",
        JobState.CANCELED: "Cancelled",
    }
)


def invalid(message: str, field: str | None = None, reason: str = "FieldValidationFailed") -> ServiceError:
    """ValidationException with the model's required ``reason`` and ``fieldList``."""
    fields = [{"Name": field, "Message": message}] if field else []
    return ServiceError("ValidationException", message, Reason=reason if field else "Other", FieldList=fields)


def check_tag_keys(tags: dict[str, str]) -> None:
    """AWS's tagging rules (the engine's :func:`~jobforge.engine.check_tags`), as Location's
    ValidationException naming the ``Tags`` field."""
    try:
        check_tags(tags)
    except InvalidTags as exc:
        raise invalid(exc.message, "Tags") from None


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def job_arn(ctx: RequestContext, job_id: str) -> str:
    return build_arn(SERVICE, ctx, JOB, job_id)


class LocationBase(ServiceProvider):
    """State shared by the job and tag operations."""

    errors = ErrorNames(invalid="ValidationException", conflict="ValidationException")

    def __init__(
        self, engine: JobEngine, store: ObjectStore, settings: Any, limits: LocationLimits | None = None
    ) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.limits = limits or LocationLimits.from_settings(settings)

    def translate(self, exc: Exception) -> ServiceError | None:
        match exc:
            case InvalidToken():
                return invalid(exc.message, "NextToken")
            case IdempotencyMismatch():
                return invalid(exc.message, "ClientToken")
            case InvalidTags():
                return invalid(exc.message, "Tags")
            case QuotaExceeded():
                return ServiceError("ThrottlingException", f"{exc.message}; retry when a job has ended")
        translated = super().translate(exc)
        if translated is not None and translated.code == "ValidationException":
            return invalid(translated.message)
        return translated

    def _throttle(self, ctx: RequestContext) -> None:
        if not self.limits.allow(ctx.account_id, ctx.region, ctx.operation):
            raise ServiceError("ThrottlingException", f"Rate exceeded for {ctx.operation}")
