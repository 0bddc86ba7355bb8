"""RoboMaker's settings section."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.config import Settings


@dataclass(frozen=True)
class RoboMakerSettings:
    generation_concurrency: int = 3  # concurrent world generation jobs per account and region
    export_concurrency: int = 3  # concurrent world export jobs per account and region
    s3_endpoint_url: str | None = None  # exports write with the job's role through this S3 endpoint

    @classmethod
    def from_settings(cls, settings: Settings) -> RoboMakerSettings:
        return cls(settings.generation_concurrency, settings.export_concurrency, settings.s3_endpoint_url)
