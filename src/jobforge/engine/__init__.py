"""The service-agnostic job engine: durable records, the job state machine, idempotency,
tags, pagination, quotas, cancellation, restart recovery and executors."""

from jobforge.engine.control import JobControl
from jobforge.engine.core import JobEngine
from jobforge.engine.errors import (
    AlreadyExists,
    EngineError,
    IdempotencyMismatch,
    IllegalTransition,
    InvalidTags,
    InvalidToken,
    JobCanceled,
    JobFailed,
    NotFound,
    QuotaExceeded,
)
from jobforge.engine.executor import JobContext
from jobforge.engine.handlers import JobHandler, JobOutcome
from jobforge.engine.idempotency import ClientToken
from jobforge.engine.jobs import Job, JobStore, Quota
from jobforge.engine.listing import Page
from jobforge.engine.resources import Resource, ResourceQuota, ResourceStore, Scope
from jobforge.engine.states import JobState, StatusWords
from jobforge.engine.tags import check_tag_keys, check_tags

__all__ = [
    "AlreadyExists",
    "ClientToken",
    "EngineError",
    "IdempotencyMismatch",
    "IllegalTransition",
    "InvalidTags",
    "InvalidToken",
    "Job",
    "JobCanceled",
    "JobContext",
    "JobControl",
    "JobEngine",
    "JobFailed",
    "JobHandler",
    "JobOutcome",
    "JobState",
    "JobStore",
    "NotFound",
    "Page",
    "Quota",
    "QuotaExceeded",
    "Resource",
    "ResourceQuota",
    "ResourceStore",
    "Scope",
    "StatusWords",
    "check_tag_keys",
    "check_tags",
]
