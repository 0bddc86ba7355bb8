"""S3's settings section."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.config import Settings


@dataclass(frozen=True)
class S3Settings:
    external_endpoint: str | None  # --s3-endpoint-url: objects live there and this S3 API is off

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Settings:
        return cls(settings.s3_endpoint_url)

    @property
    def disabled(self) -> str | None:
        """What every S3 request is answered with when the API is off (None: it is on)."""
        if self.external_endpoint is None:
            return None
        return (
            f"jobforge's S3 API is off: objects live on the S3 endpoint {self.external_endpoint} "
            "(--s3-endpoint-url); send S3 requests there"
        )
