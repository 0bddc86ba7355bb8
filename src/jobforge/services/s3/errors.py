"""S3's errors, declared once: every code the S3 operations answer with. S3's model has few error
shapes; the others are S3's documented codes (``protocol.rest_xml.ERROR_STATUS``), checked at
start like the error shapes."""

from __future__ import annotations

from jobforge.protocol.errors import ServiceError
from jobforge.protocol.rest_xml import ERROR_STATUS, s3_error
from jobforge.services.base import ErrorNames
from jobforge.services.binding import ServiceErrors

NAMES = ErrorNames(
    invalid="InvalidArgument",
    not_found="NoSuchKey",
    conflict="InvalidRequest",
    limit="SlowDown",
    idempotency="IdempotencyParameterMismatch",
    already_exists="BucketAlreadyExists",
    others=frozenset(
        {
            "AccessDenied",
            "BadDigest",
            "BucketAlreadyOwnedByYou",
            "BucketNotEmpty",
            "EntityTooSmall",
            "InternalError",
            "InvalidBucketName",
            "InvalidPart",
            "InvalidPartOrder",
            "InvalidRange",
            "KeyTooLongError",
            "MalformedXML",
            "MetadataTooLarge",
            "NoSuchBucket",
            "NoSuchUpload",
            "NotImplemented",
            "NotModified",
            "PreconditionFailed",
        }
    ),
)


def validation_error(message: str, problems: list[tuple[str, str]]) -> ServiceError:
    """A request the model's validation refused (S3 answers ``InvalidArgument``)."""
    return s3_error(NAMES.invalid, message)


ERRORS = ServiceErrors(NAMES, validation_error, documented=frozenset(ERROR_STATUS))
