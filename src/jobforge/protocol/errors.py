"""Errors that cross the protocol boundary.

Providers raise :class:`ServiceError` with the name of an error shape of their service model
(``ResourceNotFoundException``, ``ValidationException``...). The serializer looks the shape up to
find its HTTP status and modeled members, so providers never deal with status codes.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A modeled AWS error: ``code`` names an error shape of the service's model."""

    def __init__(self, code: str, message: str, status: int | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status  # overrides the model's status code when set
        self.fields = fields  # extra modeled members, by their wire names

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


class SignatureTimeError(ServiceError):
    """A signature dated outside its window: ``InvalidSignatureException`` to the JSON services,
    ``s3_code`` / ``s3_message`` to S3 (``RequestTimeTooSkewed`` for a header signature, by which
    SDKs correct their clock; ``AccessDenied`` for a presigned URL expired or not yet valid)."""

    def __init__(self, message: str, s3_code: str, s3_message: str) -> None:
        super().__init__("InvalidSignatureException", message, status=403)
        self.s3_code = s3_code
        self.s3_message = s3_message


class NotImplementedOperation(ServiceError):
    """An operation of the model that jobforge does not implement (yet): answered with 501."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            "NotImplementedException",
            f"The operation {operation} of service {service} is not implemented by jobforge",
            status=501,
        )
