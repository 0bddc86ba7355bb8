"""What the RoboMaker operation groups share: stores, ids, ARNs, status words (errors: :mod:`errors`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobforge.engine import ClientToken, Job, JobEngine, JobState, Page, Quota, Resource, StatusWords
from jobforge.protocol.context import RequestContext
from jobforge.protocol.validate import format_validation_message
from jobforge.services.arns import build_arn
from jobforge.services.base import ServiceProvider
from jobforge.services.robomaker.errors import NAMES, invalid, not_found
from jobforge.services.robomaker.settings import RoboMakerSettings
from jobforge.storage import ObjectStore

SERVICE = "robomaker"

TEMPLATE = "world-template"
WORLD = "world"
GENERATION_JOB = "world-generation-job"
EXPORT_JOB = "world-export-job"

GENERATION_STATUS = StatusWords(
    {
        JobState.PENDING: "Pending",
        JobState.RUNNING: "Running",
        JobState.SUCCEEDED: "Completed",
        JobState.PARTIALLY_SUCCEEDED: "PartialFailed",
        JobState.FAILED: "Failed",
        JobState.TIMED_OUT: "Failed",
        JobState.CANCELING: "Canceling",
        JobState.CANCELED: "Canceled",
    }
)
EXPORT_STATUS = StatusWords({**GENERATION_STATUS.words, JobState.PARTIALLY_SUCCEEDED: "Failed"})

MAX_REASON = 1024  # characters of failureReason and sampleFailureReason (the model's GenericString)
_ELIDED = " ... "


def clip_reason(reason: str | None) -> str | None:
    """``reason`` within :data:`MAX_REASON` characters: a longer one keeps its start (what failed)
    and its end (why), with `` ... `` where the middle (a long ARN or key) was cut."""
    if reason is None or len(reason) <= MAX_REASON:
        return reason
    head = (MAX_REASON - len(_ELIDED)) // 2
    tail = MAX_REASON - len(_ELIDED) - head
    return reason[:head] + _ELIDED + reason[-tail:]


def list_filters(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's ``filters`` as (name, first value) pairs.

    The model requires neither member of a ``Filter``, but a filter without both means nothing:
    every missing one is reported the way the model's own validation would, e.g. at
    ``filters.1.member.values``."""
    pairs: list[tuple[str, str]] = []
    problems: list[tuple[str, str | None, str]] = []
    for i, item in enumerate(request.get("filters") or []):
        name, values = item.get("name"), item.get("values")
        for member, value in (("name", name), ("values", values)):
            if not value:
                problems.append((f"filters.{i + 1}.member.{member}", "null", "Member must not be null"))
        if name and values:
            pairs.append((name, values[0]))
    if problems:
        raise invalid(format_validation_message(problems))
    return pairs


class RoboMakerBase(ServiceProvider):
    """State and helpers shared by the template, generation and export operations."""

    errors = NAMES

    def __init__(self, engine: JobEngine, store: ObjectStore, settings: RoboMakerSettings) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.resources = engine.resources(SERVICE)

    def _arn(self, ctx: RequestContext, resource_type: str, resource_id: str) -> str:
        return build_arn(SERVICE, ctx, resource_type, resource_id)

    def _create_job(
        self,
        ctx: RequestContext,
        request: dict[str, Any],
        *,
        operation: str,
        kind: str,
        job_id: str,
        arn_type: str,
        params: dict[str, Any],
        stored: dict[str, Any],
        quota: Quota | None,
        parent_id: str | None = None,
        failure: tuple[str, str] | None = None,
    ) -> Job:
        """A new job of ``kind`` for ``params`` (the request's meaning, with ``stored`` kept beside
        them), or the one an earlier request with the same ``clientRequestToken`` made; with
        ``failure`` (code, reason), created Failed."""
        token = request.get("clientRequestToken")
        job, _ = self.engine.jobs.create(
            ctx,
            service=SERVICE,
            kind=kind,
            job_id=job_id,
            arn=self._arn(ctx, arn_type, job_id),
            request={**params, **stored, "clientRequestToken": token},
            parent_id=parent_id,
            client_token=ClientToken(f"robomaker:{operation}", token, params) if token else None,
            quotas=[quota] if quota is not None else [],
            tags=params["tags"],
            state=JobState.FAILED if failure is not None else JobState.PENDING,
            failure=failure,
        )
        return job

    def _list_jobs(
        self,
        ctx: RequestContext,
        request: dict[str, Any],
        kind: str,
        *,
        states: set[JobState] | None = None,
        keep: Callable[[Job], bool] | None = None,
        token_scope: Any = None,
    ) -> Page[Job]:
        """A page of the caller's jobs of ``kind``, newest first (``maxResults``, ``nextToken``)."""
        return self.engine.jobs.list(
            ctx,
            SERVICE,
            [kind],
            max_results=self._page_size(request),
            next_token=request.get("nextToken"),
            states=states,
            keep=keep,
            newest_first=True,
            token_scope=token_scope,
        )

    def _job_fields(
        self, ctx: RequestContext, job: Job, words: StatusWords, *, detailed: bool
    ) -> dict[str, Any]:
        """The members every generation/export job response shares (Describe adds the reason)."""
        fields = {
            "arn": job.arn,
            "status": words.word(job.state),
            "createdAt": job.created_at,
            "failureCode": job.failure_code,
            "clientRequestToken": job.request.get("clientRequestToken"),
            "tags": self.engine.tags.list(ctx.account_id, job.arn),
        }
        if detailed:
            fields["failureReason"] = clip_reason(job.failure_reason)
        return fields

    @staticmethod
    def _page_size(request: dict[str, Any]) -> int:
        """``maxResults``: documented as 1..100 (the model sets no bounds), default 100."""
        size = request.get("maxResults", 100)
        if not 1 <= size <= 100:
            raise invalid(f"maxResults must be between 1 and 100, got {size}")
        return int(size)

    def _resource(self, ctx: RequestContext, kind: str, arn: str, label: str) -> Resource:
        """The caller's resource named by ``arn``; ResourceNotFoundException otherwise."""
        found = self.resources.find_by_arn(ctx, arn, kinds=(kind,))
        if found is None:
            raise not_found(f"The {label} {arn} does not exist")
        return found

    def _job(self, ctx: RequestContext, arn: str, kind: str, label: str) -> Job:
        """The caller's job of this engine ``kind`` named by ``arn``; ResourceNotFoundException otherwise."""
        job = self.engine.jobs.find_by_arn(ctx, SERVICE, arn, kinds=(kind,))
        if job is None:
            raise not_found(f"The {label} {arn} does not exist")
        return job

    def _cancel(self, job: Job, words: StatusWords, label: str) -> dict[str, Any]:
        """Cancel a job that has not ended; InvalidParameterException for one that has."""
        if job.state.terminal:
            raise invalid(f"The {label} {job.arn} has ended ({words.word(job.state)})")
        self.engine.jobs.request_cancel(job)
        return {}
