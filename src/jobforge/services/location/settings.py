"""Amazon Location's settings section."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobforge.config import Settings
from jobforge.services.location.limits import LocationLimits


@dataclass(frozen=True)
class LocationSettings:
    limits: LocationLimits  # AWS's quotas with the operator's overrides, and the request-rate buckets
    reference: Path  # the address index
    data_dir: Path  # where the job workers open the local object store
    s3_endpoint_url: str | None  # the S3 endpoint the job workers open instead, when set
    split_bytes: int  # input files larger are split by row groups into pieces (0: never)
    bucket: str  # the internal bucket staging the pieces' outputs

    @classmethod
    def from_settings(cls, settings: Settings) -> LocationSettings:
        limits = settings.parse(
            "location_limits", LocationLimits.parse, "a JSON object of known limit names and numbers"
        )
        return cls(
            limits,
            settings.resolved_location_reference,
            settings.data_dir,
            settings.s3_endpoint_url,
            settings.location_split_bytes,
            settings.location_bucket,
        )
