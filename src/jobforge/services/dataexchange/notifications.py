"""SendDataSetNotification: a provider's notice about one of its data sets (data update, delay,
schema change, deprecation). jobforge has no EventBridge and no subscribers: each notification is
recorded as a ``notification`` resource below its data set (durable, read through the engine) and
logged as one ``data set notification`` line."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from jobforge.engine import ClientToken, Resource, Scope
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    DataExchangeBase,
    data_set_arn,
    invalid,
    iso,
    new_dx_id,
)

log = logging.getLogger("jobforge.dataexchange")

NOTIFICATION = "notification"

# The Details member each notification Type may carry (DATA_DELAY carries none).
DETAILS_OF_TYPE = {"DATA_UPDATE": "DataUpdate", "DEPRECATION": "Deprecation", "SCHEMA_CHANGE": "SchemaChange"}
# The Scope member that names resources of each asset type (S3 snapshots and APIs have none).
SCOPE_OF_ASSET_TYPE = {
    "S3_DATA_ACCESS": "S3DataAccesses",
    "REDSHIFT_DATA_SHARE": "RedshiftDataShares",
    "LAKE_FORMATION_DATA_PERMISSION": "LakeFormationTagPolicies",
}


def notification_arn(scope: Scope, data_set_id: str, notification_id: str) -> str:
    """jobforge's own name for a recorded notification (AWS gives notifications no ARN)."""
    return f"{data_set_arn(scope, data_set_id)}/notifications/{notification_id}"


def _plain(value: Any) -> Any:
    """``value`` as JSON can store it: timestamps as AWS's millisecond UTC text."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _check(request: dict[str, Any], asset_type: str) -> None:
    """What the model cannot say: Details match the Type, Scope names the data set's kind of assets."""
    kind = request["Type"]
    details = {name for name, value in (request.get("Details") or {}).items() if value is not None}
    allowed = {DETAILS_OF_TYPE[kind]} if kind in DETAILS_OF_TYPE else set()
    if details - allowed:
        raise invalid(f"Details.{sorted(details - allowed)[0]} does not apply to a {kind} notification")
    scope = {name for name, value in (request.get("Scope") or {}).items() if value}
    fitting = {SCOPE_OF_ASSET_TYPE[asset_type]} if asset_type in SCOPE_OF_ASSET_TYPE else set()
    if scope - fitting:
        raise invalid(f"Scope.{sorted(scope - fitting)[0]} does not apply to {asset_type} data sets")


class NotificationOperations(DataExchangeBase):
    def send_data_set_notification(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set = self._data_set(ctx, request["DataSetId"])
        _check(request, data_set.data["AssetType"])
        token = request.get("ClientToken")
        params = {key: value for key, value in request.items() if key != "ClientToken"}
        once = ClientToken("dataexchange:SendDataSetNotification", token, params) if token else None
        notification_id = new_dx_id()
        recorded = self.resources.create(
            ctx,
            NOTIFICATION,
            notification_id,
            notification_arn(ctx, data_set.resource_id, notification_id),
            _plain({key: request[key] for key in ("Type", "Comment", "Details", "Scope") if key in request}),
            parent_id=data_set.resource_id,
            client_token=once,
        )
        if recorded.resource_id == notification_id:  # not a retry of an earlier request
            log.info("data set notification", extra=notification_event(recorded))
        return {}


def notification_event(notification: Resource) -> dict[str, Any]:
    """The fields of the log line that announces a notification."""
    return {
        "data_set": notification.parent_id,
        "notification": notification.resource_id,
        "notification_type": notification.data["Type"],
    }
