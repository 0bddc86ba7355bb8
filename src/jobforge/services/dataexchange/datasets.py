"""CreateDataSet / GetDataSet / ListDataSets / UpdateDataSet / DeleteDataSet."""

from __future__ import annotations

from typing import Any

from jobforge.engine import Resource
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    DATA_SET,
    EVENT_ACTION,
    REVISION,
    DataExchangeBase,
    conflict,
    data_set_arn,
    invalid,
    new_dx_id,
)
from jobforge.services.dataexchange.notifications import NOTIFICATION

MAX_NAME = 256
MAX_DESCRIPTION = 16384


def data_set_view(data_set: Resource, tags: dict[str, str] | None = None) -> dict[str, Any]:
    view = {
        "Arn": data_set.arn,
        "AssetType": data_set.data["AssetType"],
        "CreatedAt": data_set.created_at,
        "Description": data_set.data.get("Description", ""),
        "Id": data_set.resource_id,
        "Name": data_set.name,
        "Origin": data_set.data.get("Origin", "OWNED"),
        "UpdatedAt": data_set.updated_at,
    }
    if tags is not None:
        view["Tags"] = tags
    return view


def _check_text(request: dict[str, Any]) -> None:
    """The documented limits the model leaves out (name 256, description 16,384 characters)."""
    if "Name" in request and not 1 <= len(request["Name"]) <= MAX_NAME:
        raise invalid(f"Name must be 1 to {MAX_NAME} characters long")
    if "Description" in request and len(request["Description"]) > MAX_DESCRIPTION:
        raise invalid(f"Description must be at most {MAX_DESCRIPTION} characters long")


class DataSetOperations(DataExchangeBase):
    def create_data_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        _check_text(request)
        data_set_id = new_dx_id()
        tags = request.get("Tags") or {}
        data_set = self.resources.create(
            ctx,
            DATA_SET,
            data_set_id,
            data_set_arn(ctx, data_set_id),
            {"AssetType": request["AssetType"], "Description": request["Description"], "Origin": "OWNED"},
            name=request["Name"],
            quotas=[self.limits.quota("Data sets per account", DATA_SET)],
            tags=tags,
        )
        return data_set_view(data_set, tags)

    def get_data_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set = self._data_set(ctx, request["DataSetId"])
        return data_set_view(data_set, self.engine.tags.list(ctx.account_id, data_set.arn))

    def list_data_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        origin = request.get("Origin")
        if origin not in (None, "OWNED", "ENTITLED"):
            raise invalid(f"origin must be OWNED or ENTITLED, got {origin!r}")
        if origin == "ENTITLED":  # jobforge has no products or grants: nothing is entitled
            return {"DataSets": []}
        page = self.resources.list(
            ctx,
            DATA_SET,
            max_results=self._page_size(request),
            next_token=request.get("NextToken"),
            newest_first=True,
        )
        return {"DataSets": [data_set_view(item) for item in page.items], "NextToken": page.next_token}

    def update_data_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        _check_text(request)
        data_set = self._data_set(ctx, request["DataSetId"])
        data = dict(data_set.data)
        if "Description" in request:
            data["Description"] = request["Description"]
        updated = self.resources.update(
            ctx, DATA_SET, data_set.resource_id, data=data, name=request.get("Name", data_set.name)
        )
        return data_set_view(updated)

    def delete_data_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id = request["DataSetId"]
        with self.engine.db.begin() as conn:
            data_set = self._data_set(ctx, data_set_id, conn)
            revisions = self.resources.count(ctx, REVISION, data_set_id, conn)
            if revisions:
                raise conflict(
                    f"Data set {data_set_id} still has {revisions} revision(s); delete them first",
                    DATA_SET,
                    data_set_id,
                )
            for action in self.resources.list(
                ctx, EVENT_ACTION, parent_id=data_set_id, max_results=500
            ).items:
                self.resources.delete(ctx, EVENT_ACTION, action.resource_id, conn)
            for notification in self.runtime.children(ctx, NOTIFICATION, data_set_id):
                self.resources.delete(ctx, NOTIFICATION, notification.resource_id, conn)
            self.resources.delete(ctx, DATA_SET, data_set.resource_id, conn)
        return {}
