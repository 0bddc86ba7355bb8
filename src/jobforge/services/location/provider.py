"""The Amazon Location Service provider: ValidateAddress jobs and their tags.

Every other Location operation (maps, places, routes, trackers...) answers 501.
"""

from __future__ import annotations

from jobforge.services.location.jobs import JobOperations
from jobforge.services.location.tagging import TagOperations


class LocationProvider(JobOperations, TagOperations):
    """StartJob, GetJob, ListJobs, CancelJob, TagResource, UntagResource, ListTagsForResource."""
