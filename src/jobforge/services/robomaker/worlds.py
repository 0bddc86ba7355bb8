"""World operations: describe, list, batch delete.

``worldDescriptionBody`` is returned for worlds of Version "2" templates only: WorldForge documented
no description for Version "1" worlds. jobforge keeps the document of every world; it is served at
``/_jobforge/worlds/description?arn=...`` (:mod:`.routes`) and exported as ``world_description.json``.
"""

from __future__ import annotations

import json
from typing import Any

from jobforge.protocol.context import RequestContext
from jobforge.services.base import fast_read
from jobforge.services.robomaker.common import WORLD, RoboMakerBase, invalid, list_filters


class WorldOperations(RoboMakerBase):
    @fast_read
    def describe_world(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        world = self._resource(ctx, WORLD, request["world"], "world")
        described = {
            "arn": world.arn,
            "generationJob": world.data["generationJob"],
            "template": world.data["template"],
            "createdAt": world.created_at,
            "tags": self.engine.tags.list(ctx.account_id, world.arn),
        }
        if world_template_version(world.data) == "2":
            described["worldDescriptionBody"] = world.data["worldDescriptionBody"]
        return described

    def list_worlds(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        generation_job = template = None
        for name, value in list_filters(request):
            if name in ("generationJobId", "generationJob"):
                generation_job = value
            elif name == "templateId":
                template = value
            elif name != "status":  # documented, though worlds have no status: every world matches
                raise invalid(f"Unknown filter {name!r}: use status, generationJobId or templateId")

        def keep(world: Any) -> bool:
            return (generation_job is None or _names(world.data["generationJob"], generation_job)) and (
                template is None or _names(world.data["template"], template)
            )

        page = self.resources.list(
            ctx,
            WORLD,
            max_results=self._page_size(request),
            next_token=request.get("nextToken"),
            keep=keep if generation_job or template else None,
            token_scope=[generation_job, template],
        )
        return {
            "worldSummaries": [
                {
                    "arn": world.arn,
                    "createdAt": world.created_at,
                    "generationJob": world.data["generationJob"],
                    "template": world.data["template"],
                }
                for world in page.items
            ],
            "nextToken": page.next_token,
        }

    def batch_delete_worlds(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        unprocessed = []
        for arn in dict.fromkeys(request["worlds"]):  # a world listed twice is deleted once, not unprocessed
            world = self.resources.find_by_arn(ctx, arn, kinds=(WORLD,))
            if world is None:
                unprocessed.append(arn)
                continue
            with self.engine.db.begin() as conn:
                self.resources.delete(ctx, WORLD, world.resource_id, conn)
                self.engine.artifacts.drop(conn, world.arn)
        return {"unprocessedWorlds": unprocessed}


def world_template_version(data: dict[str, Any]) -> str:
    """The template Version a stored world was generated from (worlds stored before jobforge
    recorded it carry it in their description document)."""
    version = data.get("templateVersion")
    if version is None:
        version = json.loads(data.get("worldDescriptionBody") or "{}").get("templateVersion", "1")
    return str(version)


def _names(arn: str, wanted: str) -> bool:
    return arn == wanted or arn.endswith("/" + wanted)
