"""TagResource / UntagResource / ListTagsForResource for ValidateAddress job ARNs.

Location's other resources (maps, trackers, ...) are not served by jobforge: their ARNs, like
any ARN that names no job of the caller, answer ResourceNotFoundException.
"""

from __future__ import annotations

from typing import Any

from jobforge.engine import NotFound
from jobforge.protocol.context import RequestContext
from jobforge.services.arns import owned_id
from jobforge.services.location.common import JOB, SERVICE, LocationBase, check_tag_keys, not_found
from jobforge.services.location.job_handler import KIND


class TagOperations(LocationBase):
    def _tagged(self, ctx: RequestContext, arn: str) -> str:
        job_id = owned_id(arn, SERVICE, JOB, ctx)
        try:
            job = None if job_id is None else self.engine.jobs.get(ctx, SERVICE, job_id)
        except NotFound:
            job = None
        if job is None or job.kind != KIND or job.arn != arn:
            raise not_found(f"Resource {arn} was not found")
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        arn = self._tagged(ctx, request["ResourceArn"])
        check_tag_keys(request["Tags"])
        self.engine.tags.tag(ctx.account_id, arn, request["Tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        arn = self._tagged(ctx, request["ResourceArn"])
        self.engine.tags.untag(ctx.account_id, arn, request["TagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._throttle(ctx)
        return {"Tags": self.engine.tags.list(ctx.account_id, self._tagged(ctx, request["ResourceArn"]))}
