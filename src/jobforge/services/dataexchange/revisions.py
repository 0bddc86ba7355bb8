"""Revisions: create, get, list, update (finalize / un-finalize), delete, revoke.

The rules: a revision needs at least one asset to be finalized; a finalized revision is
read-only (no imports, renames, deletes, comment changes) until it is un-finalized; a revoked
revision can never be un-finalized or changed, but its assets may be deleted (to reclaim
storage). Finalizing runs the data set's auto-export event actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobforge.engine import Resource
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    ASSET,
    REVISION,
    REVISION_LIMITS,
    DataExchangeBase,
    conflict,
    invalid,
    iso,
    new_dx_id,
    now,
    revision_arn,
)
from jobforge.services.dataexchange.event_actions import start_auto_exports


def revision_view(revision: Resource, tags: dict[str, str] | None = None) -> dict[str, Any]:
    data = revision.data
    view: dict[str, Any] = {
        "Arn": revision.arn,
        "Comment": data.get("Comment"),
        "CreatedAt": revision.created_at,
        "DataSetId": revision.parent_id,
        "Finalized": bool(data.get("Finalized")),
        "Id": revision.resource_id,
        "UpdatedAt": revision.updated_at,
        "Revoked": bool(data.get("Revoked")),
    }
    if data.get("Revoked"):
        view["RevokedAt"] = datetime.fromisoformat(data["RevokedAt"].replace("Z", "+00:00"))
        view["RevocationComment"] = data.get("RevocationComment")
    if tags is not None:
        view["Tags"] = tags
    return view


class RevisionOperations(DataExchangeBase):
    def create_revision(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id = request["DataSetId"]
        with self.engine.db.begin() as conn:
            data_set = self._data_set(ctx, data_set_id, conn)
            revision_id = new_dx_id()
            limit_name = REVISION_LIMITS[data_set.data["AssetType"]]
            tags = request.get("Tags") or {}
            revision = self.resources.create(
                ctx,
                REVISION,
                revision_id,
                revision_arn(ctx, data_set_id, revision_id),
                {"Comment": request.get("Comment"), "Finalized": False, "Revoked": False},
                parent_id=data_set_id,
                quotas=[self.limits.quota(limit_name, REVISION, data_set_id)],
                tags=tags,
                conn=conn,
            )
        return revision_view(revision, tags)

    def get_revision(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        revision = self._revision(ctx, request["DataSetId"], request["RevisionId"])
        return revision_view(revision, self.engine.tags.list(ctx.account_id, revision.arn))

    def list_data_set_revisions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set = self._data_set(ctx, request["DataSetId"])
        page = self.resources.list(
            ctx,
            REVISION,
            parent_id=data_set.resource_id,
            max_results=self._page_size(request),
            next_token=request.get("NextToken"),
            newest_first=True,
        )
        return {"Revisions": [revision_view(item) for item in page.items], "NextToken": page.next_token}

    def update_revision(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id, revision_id = request["DataSetId"], request["RevisionId"]
        finalize = request.get("Finalized")
        with self.engine.db.begin() as conn:
            revision = self._revision(ctx, data_set_id, revision_id, conn)
            data = dict(revision.data)
            was_final = bool(data.get("Finalized"))
            if data.get("Revoked") and (finalize is not None or "Comment" in request):
                raise conflict(
                    f"Revision {revision_id} is revoked and cannot be changed", REVISION, revision_id
                )
            if was_final and "Comment" in request and finalize is not False:
                raise conflict(
                    f"Revision {revision_id} is finalized; un-finalize it (Finalized=false) to change it",
                    REVISION,
                    revision_id,
                )
            if finalize and not was_final and not self.resources.count(ctx, ASSET, revision_id, conn):
                raise invalid(
                    f"Revision {revision_id} has no assets; a revision needs an asset to be finalized"
                )
            if "Comment" in request:
                data["Comment"] = request["Comment"]
            if finalize is not None:
                data["Finalized"] = bool(finalize)
            updated = self.resources.update(ctx, REVISION, revision_id, data=data, conn=conn)
        if finalize and not was_final:
            data_set = self._data_set(ctx, data_set_id)
            start_auto_exports(self.runtime, ctx, data_set, updated)
        return revision_view(updated)

    def delete_revision(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id, revision_id = request["DataSetId"], request["RevisionId"]
        with self.engine.db.begin() as conn:
            revision = self._revision(ctx, data_set_id, revision_id, conn)
            if revision.data.get("Finalized") and not revision.data.get("Revoked"):
                raise conflict(
                    f"Revision {revision_id} is finalized; un-finalize it before deleting it",
                    REVISION,
                    revision_id,
                )
            assets = self.runtime.children(ctx, ASSET, revision_id)
            for asset in assets:
                self.resources.delete(ctx, ASSET, asset.resource_id, conn)
            self.resources.delete(ctx, REVISION, revision_id, conn)
        for asset in assets:  # the records are gone: now the bytes
            if asset.data.get("StorageKey"):
                self.runtime.storage.discard(asset.data["StorageKey"])
        return {}

    def revoke_revision(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        data_set_id, revision_id = request["DataSetId"], request["RevisionId"]
        with self.engine.db.begin() as conn:
            revision = self._revision(ctx, data_set_id, revision_id, conn)
            data = dict(revision.data)
            if data.get("Revoked"):
                raise conflict(f"Revision {revision_id} is already revoked", REVISION, revision_id)
            if not data.get("Finalized"):
                raise conflict(
                    f"Revision {revision_id} is not finalized; only finalized revisions can be revoked",
                    REVISION,
                    revision_id,
                )
            data.update(Revoked=True, RevokedAt=iso(now()), RevocationComment=request["RevocationComment"])
            updated = self.resources.update(ctx, REVISION, revision_id, data=data, conn=conn)
        return revision_view(updated)
