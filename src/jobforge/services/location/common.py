"""What the Location operation groups share: status words, ARNs, limits; the modeled errors are
declared in :mod:`errors` (re-exported here)."""

from __future__ import annotations

from jobforge.engine import (
    InvalidTags,
    JobEngine,
    JobState,
    StatusWords,
    check_tags,
)
from jobforge.protocol.context import RequestContext
from jobforge.services.arns import build_arn
from jobforge.services.base import ServiceProvider
from jobforge.services.location.errors import NAMES, invalid, throttled
from jobforge.services.location.errors import not_found as not_found  # re-exported
from jobforge.services.location.settings import LocationSettings
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


def check_tag_keys(tags: dict[str, str]) -> None:
    """AWS's tagging rules (the engine's :func:`~jobforge.engine.check_tags`), as Location's
    ValidationException naming the ``Tags`` field."""
    try:
        check_tags(tags)
    except InvalidTags as exc:
        raise invalid(exc.message, "Tags") from None


def job_arn(ctx: RequestContext, job_id: str) -> str:
    return build_arn(SERVICE, ctx, JOB, job_id)


class LocationBase(ServiceProvider):
    """State shared by the job and tag operations."""

    errors = NAMES

    def __init__(self, engine: JobEngine, store: ObjectStore, settings: LocationSettings) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.limits = settings.limits

    def _throttle(self, ctx: RequestContext) -> None:
        if not self.limits.allow(ctx.account_id, ctx.region, ctx.operation):
            raise throttled(f"Rate exceeded for {ctx.operation}")
