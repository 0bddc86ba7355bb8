"""The Amazon Location Service provider: ValidateAddress jobs and their tags.

Every other Location operation (maps, places, routes, trackers...) answers 501.
"""

from __future__ import annotations

from jobforge.protocol.context import RequestContext
from jobforge.services.location.common import SERVICE, not_found
from jobforge.services.location.job_handler import KIND
from jobforge.services.location.jobs import JobOperations
from jobforge.services.tagging import TagOperations, TagResolver


class LocationProvider(JobOperations, TagOperations):
    """StartJob, GetJob, ListJobs, CancelJob, TagResource, UntagResource, ListTagsForResource.

    Only ValidateAddress job ARNs take tags: Location's other resources (maps, trackers...) are
    not served by jobforge, and their ARNs answer ResourceNotFoundException."""

    tagging = TagResolver(
        SERVICE, kinds=(KIND,), not_found=lambda arn: not_found(f"Resource {arn} was not found")
    )

    def _admit(self, ctx: RequestContext) -> None:
        self._throttle(ctx)
