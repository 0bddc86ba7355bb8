"""TagResource / UntagResource / ListTagsForResource for data sets, revisions, assets and event
actions (jobs are not taggable in Data Exchange)."""

from __future__ import annotations

from typing import Any

from jobforge.engine import NotFound
from jobforge.protocol.context import RequestContext
from jobforge.services.arns import parse_arn
from jobforge.services.dataexchange.common import SERVICE, DataExchangeBase, not_found

_TAGGABLE = ("data-sets", "event-actions")


class TagOperations(DataExchangeBase):
    def _tagged(self, ctx: RequestContext, arn: str) -> str:
        """The ARN of an existing taggable resource of the caller, or ResourceNotFoundException."""
        parsed = parse_arn(arn)
        if (
            parsed is None
            or parsed.service != SERVICE
            or parsed.resource_type not in _TAGGABLE
            or parsed.account_id != ctx.account_id
            or parsed.region != ctx.region
        ):
            raise not_found("data-set", arn, f"No Data Exchange resource {arn} in this account and Region")
        try:
            self.resources.get_by_arn(ctx, arn)
        except NotFound:
            raise not_found("data-set", arn, f"The resource {arn} does not exist") from None
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.engine.tags.tag(ctx.account_id, self._tagged(ctx, request["ResourceArn"]), request["Tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.engine.tags.untag(ctx.account_id, self._tagged(ctx, request["ResourceArn"]), request["TagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self.engine.tags.list(ctx.account_id, self._tagged(ctx, request["ResourceArn"]))}
