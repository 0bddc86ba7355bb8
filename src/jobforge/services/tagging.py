"""TagResource / UntagResource / ListTagsForResource, once for every service.

A service declares a :class:`TagResolver` (which engine kinds take tags, its member names and
its answer for an ARN that names nothing taggable of the caller); the engine's tag store
applies AWS's tag rules, including the reserved ``aws:`` prefix on tagging and untagging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from jobforge.engine import JobEngine
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.services.base import ServiceProvider


@dataclass(frozen=True)
class TagResolver:
    """What one service's tagging operations need to know."""

    service: str
    kinds: tuple[str, ...]  # engine kinds (resources or jobs) that take tags
    not_found: Callable[[str], ServiceError]  # the answer for an ARN of nothing taggable
    arn_member: str = "ResourceArn"
    tags_member: str = "Tags"
    keys_member: str = "TagKeys"


class TagOperations(ServiceProvider):
    """The three tagging operations of a provider that sets ``tagging``."""

    engine: JobEngine
    tagging: ClassVar[TagResolver]

    def _admit(self, ctx: RequestContext) -> None:
        """Called first by each tagging operation (a service may throttle here)."""

    def _tagged(self, ctx: RequestContext, request: dict[str, Any]) -> str:
        """The request's ARN, if it names a taggable resource or job of the caller."""
        self._admit(ctx)
        arn = request[self.tagging.arn_member]
        if self.engine.find_by_arn(ctx, self.tagging.service, arn, self.tagging.kinds) is None:
            raise self.tagging.not_found(arn)
        return str(arn)

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._tagged(ctx, request)
        self.engine.tags.tag(ctx.account_id, arn, request[self.tagging.tags_member])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._tagged(ctx, request)
        self.engine.tags.untag(ctx.account_id, arn, request[self.tagging.keys_member])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._tagged(ctx, request)
        return {self.tagging.tags_member: self.engine.tags.list(ctx.account_id, arn)}
