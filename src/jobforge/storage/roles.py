"""Working with a caller's IAM role on an S3-compatible endpoint.

AWS services read and write their users' buckets with a role the user passes. On an S3 endpoint
that also offers STS (moto, LocalStack, MinIO's STS...) jobforge does the same: it assumes the
role there and uses the temporary credentials. Endpoints without STS answer with errors or with
something that is not an AWS API at all; then the server's own access is used and the role is
only recorded. A role STS refuses raises :class:`RoleRefused`, which each service turns into its
own failure code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

MAX_SESSION_SECONDS = 12 * 3600  # AssumeRole's maximum, so long jobs keep working
_REFUSED = {"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken"}
_SESSION_CHARS = re.compile(r"[^\w+=,.@-]")


class RoleRefused(Exception):
    """STS refused to let jobforge assume the role."""

    def __init__(self, role: str, reason: str) -> None:
        super().__init__(f"The role {role} could not be assumed: {reason}")
        self.role = role
        self.reason = reason


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def client_options(self) -> dict[str, str]:
        """The credentials as boto3 client arguments."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


def session_name(text: str) -> str:
    """A valid RoleSessionName (2..64 of ``[\\w+=,.@-]``) derived from ``text``."""
    return _SESSION_CHARS.sub("-", text)[:64].ljust(2, "-")


def assume_role(endpoint: str, role: str, name: str, region: str) -> RoleCredentials | None:
    """Temporary credentials of ``role`` from the endpoint's STS; None when it offers no STS."""
    sts = boto3.session.Session().client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
    )
    try:
        try:
            answer = sts.assume_role(
                RoleArn=role, RoleSessionName=session_name(name), DurationSeconds=MAX_SESSION_SECONDS
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ValidationError":
                raise
            answer = sts.assume_role(RoleArn=role, RoleSessionName=session_name(name))  # shorter maximum
        credentials = answer["Credentials"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") in _REFUSED:
            raise RoleRefused(role, error.get("Message") or error.get("Code")) from None
        return None
    except (BotoCoreError, ResponseParserError, KeyError):  # no STS there, or not an AWS API
        return None
    return RoleCredentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
