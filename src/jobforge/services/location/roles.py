"""The job's ExecutionRoleArn on an S3 endpoint: assumed through that endpoint's STS when it has one.

Like AWS, where the service reads and writes with the role's permissions, a job on an S3 endpoint
that offers STS (moto, LocalStack, MinIO's STS...) works with the role's temporary credentials; a
refused role ends the job Failed. Endpoints without STS, and local buckets, use the server's own
access, and the role is only recorded.
"""

from __future__ import annotations

import re

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from jobforge.engine import JobFailed

SESSION_SECONDS = 12 * 3600  # AssumeRole's maximum: long jobs keep working
_DENIED = {"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken"}
_SESSION_CHARS = re.compile(r"[^\w+=,.@-]")


def assume_role(endpoint: str, role: str, job_id: str, region: str) -> tuple[str, str, str] | None:
    """``(access key, secret, session token)`` of ``role``, or None when the endpoint has no STS."""
    sts = boto3.session.Session().client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
    )
    session_name = _SESSION_CHARS.sub("-", f"jobforge-location-{job_id}")[:64]
    try:
        try:
            answer = sts.assume_role(
                RoleArn=role, RoleSessionName=session_name, DurationSeconds=SESSION_SECONDS
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ValidationError":
                raise
            answer = sts.assume_role(RoleArn=role, RoleSessionName=session_name)  # shorter max session
        credentials = answer["Credentials"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") in _DENIED:
            reason = error.get("Message") or error.get("Code")
            raise JobFailed(
                "ValidationError", f"The ExecutionRoleArn {role} could not be assumed: {reason}"
            ) from None
        return None
    except (BotoCoreError, ResponseParserError, KeyError):  # no STS there (or not an AWS API at all)
        return None
    return credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
