"""AWS Data Exchange's settings section."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.config import Settings
from jobforge.services.dataexchange.common import Limits


@dataclass(frozen=True)
class DataExchangeSettings:
    bucket: str  # the internal bucket holding asset bytes
    limits: Limits  # AWS's quota defaults with the operator's overrides

    @classmethod
    def from_settings(cls, settings: Settings) -> DataExchangeSettings:
        limits = settings.parse(
            "dataexchange_limits", Limits.parse, "a JSON object of known limit names and numbers"
        )
        return cls(settings.dataexchange_bucket, limits)
