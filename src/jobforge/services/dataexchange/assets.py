"""GetAsset / ListRevisionAssets / UpdateAsset / DeleteAsset (assets only come from jobs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobforge.engine import Resource
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    ASSET,
    REVISION,
    DataExchangeBase,
    DataExchangeRuntime,
    conflict,
    invalid,
    now,
)


def asset_view(
    runtime: DataExchangeRuntime,
    asset: Resource,
    base_url: str | None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The model's asset; API assets get a fresh signed download URL for their specification."""
    details = dict(asset.data["AssetDetails"])
    if "ApiGatewayApiAsset" in details and base_url:
        expires = now() + timedelta(
            seconds=runtime.limits["API specification download URL lifetime in seconds"]
        )
        api = dict(details["ApiGatewayApiAsset"])
        api["ApiSpecificationDownloadUrl"] = runtime.signer.url(
            base_url,
            "api-spec",
            asset,
            f"{asset.data['DataSetId']}/{asset.parent_id}/{asset.resource_id}",
            expires,
        )
        api["ApiSpecificationDownloadUrlExpiresAt"] = expires
        details["ApiGatewayApiAsset"] = api
    view = {
        "Arn": asset.arn,
        "AssetDetails": details,
        "AssetType": asset.data["AssetType"],
        "CreatedAt": asset.created_at,
        "DataSetId": asset.data["DataSetId"],
        "Id": asset.resource_id,
        "Name": asset.name,
        "RevisionId": asset.parent_id,
        "UpdatedAt": asset.updated_at,
    }
    if tags is not None:
        view["Tags"] = tags
    return view


class AssetOperations(DataExchangeBase):
    def get_asset(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        asset = self._asset(ctx, request["DataSetId"], request["RevisionId"], request["AssetId"])
        return asset_view(self.runtime, asset, ctx.base_url, self.engine.tags.list(ctx.account_id, asset.arn))

    def list_revision_assets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        revision = self._revision(ctx, request["DataSetId"], request["RevisionId"])
        page = self.resources.list(
            ctx,
            ASSET,
            parent_id=revision.resource_id,
            max_results=self._page_size(request),
            next_token=request.get("NextToken"),
        )
        return {
            "Assets": [asset_view(self.runtime, item, ctx.base_url) for item in page.items],
            "NextToken": page.next_token,
        }

    def update_asset(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if not name or len(name) > 1024:
            raise invalid("Name must be 1 to 1024 characters long")
        with self.engine.db.begin() as conn:
            asset = self._asset(ctx, request["DataSetId"], request["RevisionId"], request["AssetId"], conn)
            self._check_open(ctx, request, conn, allow_revoked=False)
            updated = self.resources.update(ctx, ASSET, asset.resource_id, name=name, conn=conn)
        return asset_view(self.runtime, updated, ctx.base_url)

    def delete_asset(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.engine.db.begin() as conn:
            asset = self._asset(ctx, request["DataSetId"], request["RevisionId"], request["AssetId"], conn)
            self._check_open(ctx, request, conn, allow_revoked=True)
            self.resources.delete(ctx, ASSET, asset.resource_id, conn)
        if asset.data.get("StorageKey"):
            self.runtime.storage.discard(asset.data["StorageKey"])
        return {}

    def _check_open(
        self, ctx: RequestContext, request: dict[str, Any], conn: Any, allow_revoked: bool
    ) -> None:
        """Assets of a finalized revision are read-only; a revoked one's may still be deleted."""
        revision = self._revision(ctx, request["DataSetId"], request["RevisionId"], conn)
        if revision.data.get("Revoked") and allow_revoked:
            return
        if revision.data.get("Finalized"):
            raise conflict(
                f"Revision {revision.resource_id} is finalized; its assets cannot be changed",
                REVISION,
                revision.resource_id,
            )
