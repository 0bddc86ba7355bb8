"""The Amazon Location Service provider: ValidateAddress jobs and their tags.

Every other Location operation (maps, places, routes, trackers...) answers 501.
"""

from __future__ import annotations

from typing import Any

from jobforge.engine import JobEngine
from jobforge.protocol.context import RequestContext
from jobforge.services.location.common import SERVICE, not_found
from jobforge.services.location.job_handler import KIND
from jobforge.services.location.jobs import JobOperations
from jobforge.services.tagging import TagOperations, TagResolver
from jobforge.storage import ObjectStore


class LocationProvider(JobOperations, TagOperations):
    """StartJob, GetJob, ListJobs, CancelJob, TagResource, UntagResource, ListTagsForResource.

    Only ValidateAddress job ARNs take tags: Location's other resources (maps, trackers...) are
    not served by jobforge, and their ARNs answer ResourceNotFoundException."""

    tagging = TagResolver(
        SERVICE, kinds=(KIND,), not_found=lambda arn: not_found(f"Resource {arn} was not found")
    )

    def _admit(self, ctx: RequestContext) -> None:
        self._throttle(ctx)


def build_location(engine: JobEngine, store: ObjectStore, settings: Any) -> LocationProvider:
    """The provider, with the ValidateAddress job handler registered on the engine."""
    from jobforge.services.location.job_handler import ValidateAddressHandler
    from jobforge.services.location.limits import LocationLimits

    limits = LocationLimits.from_settings(settings)
    engine.register(ValidateAddressHandler(store, settings, limits, engine.executor.cpu_workers))
    engine.executor.preload("jobforge.services.location.parquet_io", "location")  # pyarrow, addresses
    return LocationProvider(engine, store, settings, limits)
