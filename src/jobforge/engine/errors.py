"""Service-agnostic engine errors; each provider maps them onto its own modeled errors."""

from __future__ import annotations


class EngineError(Exception):
    """Base of everything the engine raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    """No such resource or job in this account and region."""

    def __init__(self, kind: str, resource_id: str) -> None:
        super().__init__(f"{kind} {resource_id} does not exist")
        self.kind = kind
        self.resource_id = resource_id


class AlreadyExists(EngineError):
    """A resource with this identity exists already."""


class InvalidToken(EngineError):
    """A pagination token that was altered, expired or belongs to another listing."""


class IdempotencyMismatch(EngineError):
    """The same client token was used before with different parameters."""


class QuotaExceeded(EngineError):
    """A per-account limit (e.g. concurrent jobs) would be exceeded."""

    def __init__(self, message: str, limit_name: str, limit_value: int) -> None:
        super().__init__(message)
        self.limit_name = limit_name
        self.limit_value = limit_value


class IllegalTransition(EngineError):
    """A job state change the state machine does not allow (e.g. cancel a finished job)."""

    def __init__(self, job_id: str, current: str, target: str) -> None:
        super().__init__(f"job {job_id} cannot go from {current} to {target}")
        self.job_id = job_id
        self.current = current
        self.target = target


class JobCanceled(Exception):
    """Raised inside a job handler when cancellation was requested; the engine ends the job Canceled."""


class JobTimedOut(Exception):
    """The job ran past its time limit."""


class JobFailed(Exception):
    """Raised by a job handler to end its job Failed with a service failure code and reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class InvalidTags(EngineError):
    """Tags that break AWS's tagging rules (reserved ``aws:`` prefix, lengths, count); each service
    answers its validation error (ValidationException, InvalidParameterException)."""
