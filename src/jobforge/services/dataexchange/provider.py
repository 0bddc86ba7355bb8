"""The AWS Data Exchange provider: data sets, revisions, assets, jobs, event actions and tags."""

from __future__ import annotations

from jobforge.services.dataexchange.assets import AssetOperations
from jobforge.services.dataexchange.common import ASSET, DATA_SET, EVENT_ACTION, REVISION, SERVICE
from jobforge.services.dataexchange.datasets import DataSetOperations
from jobforge.services.dataexchange.errors import arn_not_found
from jobforge.services.dataexchange.event_actions import EventActionOperations
from jobforge.services.dataexchange.jobs import JobOperations
from jobforge.services.dataexchange.notifications import NotificationOperations
from jobforge.services.dataexchange.revisions import RevisionOperations
from jobforge.services.tagging import TagOperations, TagResolver


class DataExchangeProvider(
    DataSetOperations,
    RevisionOperations,
    AssetOperations,
    JobOperations,
    EventActionOperations,
    NotificationOperations,
    TagOperations,
):
    """One method per implemented operation; data grants and SendApiAsset answer 501."""

    # jobs are not taggable in Data Exchange
    tagging = TagResolver(
        SERVICE,
        kinds=(DATA_SET, REVISION, ASSET, EVENT_ACTION),
        not_found=arn_not_found,
    )
