"""The job's ExecutionRoleArn on an S3 endpoint: assumed through that endpoint's STS when it has one
(see :mod:`jobforge.storage.roles`); a refused role ends the job Failed with ValidationError."""

from __future__ import annotations

from jobforge.engine import JobFailed
from jobforge.services.location.file_worker import VALIDATION_ERROR
from jobforge.storage.roles import RoleCredentials, RoleRefused
from jobforge.storage.roles import assume_role as assume_storage_role


def assume_role(endpoint: str, role: str, job_id: str, region: str) -> RoleCredentials | None:
    """The credentials of ``role``, or None when the endpoint has no STS."""
    try:
        return assume_storage_role(endpoint, role, f"jobforge-location-{job_id}", region)
    except RoleRefused as exc:
        raise JobFailed(
            VALIDATION_ERROR, f"The ExecutionRoleArn {role} could not be assumed: {exc.reason}"
        ) from None
