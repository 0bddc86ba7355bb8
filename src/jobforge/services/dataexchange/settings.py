"""AWS Data Exchange's settings section."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.config import Settings
from jobforge.services.dataexchange.common import Limits
from jobforge.storage import StoreSpec


@dataclass(frozen=True)
class DataExchangeSettings:
    bucket: str  # the internal bucket holding asset bytes
    limits: Limits  # AWS's quota defaults with the operator's overrides
    store: StoreSpec  # the server's object store, as the copy pieces open it in worker processes

    @classmethod
    def from_settings(cls, settings: Settings) -> DataExchangeSettings:
        limits = settings.parse(
            "dataexchange_limits", Limits.parse, "a JSON object of known limit names and numbers"
        )
        store = StoreSpec(str(settings.data_dir.resolve()), settings.s3_endpoint_url)
        return cls(settings.dataexchange_bucket, limits, store)
