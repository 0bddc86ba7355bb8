"""TagResource / UntagResource / ListTagsForResource for templates, worlds and jobs."""

from __future__ import annotations

from typing import Any

from jobforge.protocol.context import RequestContext
from jobforge.services.robomaker.common import RoboMakerBase


class TagOperations(RoboMakerBase):
    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._find_tagged(ctx, request["resourceArn"])
        self.engine.tags.tag(ctx.account_id, request["resourceArn"], request["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._find_tagged(ctx, request["resourceArn"])
        self.engine.tags.untag(ctx.account_id, request["resourceArn"], request["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._find_tagged(ctx, request["resourceArn"])
        return {"tags": self.engine.tags.list(ctx.account_id, request["resourceArn"])}
