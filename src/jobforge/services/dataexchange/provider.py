"""The AWS Data Exchange provider: data sets, revisions, assets, jobs, event actions and tags."""

from __future__ import annotations

from jobforge.services.dataexchange.assets import AssetOperations
from jobforge.services.dataexchange.datasets import DataSetOperations
from jobforge.services.dataexchange.event_actions import EventActionOperations
from jobforge.services.dataexchange.jobs import JobOperations
from jobforge.services.dataexchange.revisions import RevisionOperations
from jobforge.services.dataexchange.tagging import TagOperations


class DataExchangeProvider(
    DataSetOperations,
    RevisionOperations,
    AssetOperations,
    JobOperations,
    EventActionOperations,
    TagOperations,
):
    """One method per implemented operation; data grants and SendApiAsset answer 501."""
