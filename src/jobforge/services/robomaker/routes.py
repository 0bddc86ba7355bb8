"""RoboMaker's endpoints below ``/_jobforge/worlds/``: a world's preview image, quality report and
description document (jobforge's, for every world; DescribeWorld returns it for Version 2 worlds only)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from jobforge.engine import JobEngine, Resource
from jobforge.internal import Send, error, respond
from jobforge.services.arns import parse_arn
from jobforge.services.robomaker.common import SERVICE, WORLD

PREFIX = "/_jobforge/worlds/"


def find_world(engine: JobEngine, arn_text: str, account: str | None) -> Resource | None:
    """The world ``arn_text`` names if ``account`` owns it (None: any account's); ValueError for
    text that is no world ARN."""
    arn = parse_arn(arn_text)
    if arn is None or arn.service != SERVICE or arn.resource_type != WORLD:
        raise ValueError("give the world's ARN: ?arn=arn:aws:robomaker:<region>:<account>:world/<id>")
    owner = arn if account is None else replace(arn, account_id=account)  # a Scope: account, region
    return engine.resources(SERVICE).find_by_arn(owner, str(arn), kinds=(WORLD,))


class WorldRoutes:
    """``GET /_jobforge/worlds/preview.png?arn=<world ARN>``, ``.../quality?arn=...`` and
    ``.../description?arn=...``."""

    def __init__(self, engine: JobEngine) -> None:
        self.engine = engine

    async def __call__(self, what: str, scope: dict[str, Any], account: str | None, send: Send) -> None:
        """``account``: the caller's (sigv4), whose worlds alone exist for it; None: any world."""
        query = parse_qs(scope.get("query_string", b"").decode())
        arn = query.get("arn", [""])[0]
        world = find_world(self.engine, arn, account)
        if world is None:
            return await error(send, 404, "NotFound", f"no world {arn}")
        if what == "quality":
            return await respond(send, 200, world.data.get("quality", {}))
        if what == "description" and world.data.get("worldDescriptionBody"):
            return await respond(send, 200, world.data["worldDescriptionBody"].encode())
        if what == "preview.png":
            artifact = self.engine.artifacts.get(world.arn, "preview.png")
            if artifact is not None:
                return await respond(send, 200, artifact.data, artifact.content_type)
        await error(send, 404, "NotFound", f"no {what} for {arn}")
