"""WorldForge-style procedural world generator (pure Python, usable without the server).

Typical use by the world generation job::

    spec = parse_template_body(body)
    for world_id, result in generate_job_worlds(spec, fp_count, int_count, job_id,
                                                f"generation_{job_id}_world"):
        if isinstance(result, WorldGenerationError):
            record_failure(world_id, str(result))      # failureCode e.g. InternalServiceError
        else:
            store(result.to_dict(), world_description(result), render_preview(result))

or, world by world, ``generate_world(spec, *world_seeds(job_seed, i, j), world_id=...)``.

``generate_world`` caches floorplans, so the interiors of one floorplan share its layout, puts
windows in the exterior walls of Version 2 worlds around their furniture (:func:`place_windows`),
and checks :func:`quality_report` before returning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache

from jobforge.services.robomaker.template_format import WorldTemplateSpec
from jobforge.services.robomaker.worldgen.description import world_description
from jobforge.services.robomaker.worldgen.floorplan import Floorplan
from jobforge.services.robomaker.worldgen.floorplan import generate_floorplan as _generate_floorplan
from jobforge.services.robomaker.worldgen.interior import furnish
from jobforge.services.robomaker.worldgen.preview import render_preview
from jobforge.services.robomaker.worldgen.quality import quality_report
from jobforge.services.robomaker.worldgen.windows import place_windows
from jobforge.services.robomaker.worldgen.world import (
    Doorway,
    FurnitureItem,
    Room,
    Wall,
    Window,
    World,
    WorldGenerationError,
)

__all__ = [
    "Doorway",
    "Floorplan",
    "FurnitureItem",
    "Room",
    "Wall",
    "Window",
    "World",
    "WorldGenerationError",
    "furnish",
    "generate_floorplan",
    "generate_job_worlds",
    "generate_world",
    "place_windows",
    "quality_report",
    "render_preview",
    "world_description",
    "world_seeds",
]


INTERIOR_ATTEMPTS = 3


@lru_cache(maxsize=32)
def generate_floorplan(spec: WorldTemplateSpec, seed: int) -> Floorplan:
    """Deterministic floorplan for a template and seed (cached: interiors share it)."""
    return _generate_floorplan(spec, seed)


def world_seeds(job_seed: int | str, floorplan_index: int, interior_index: int) -> tuple[int, int]:
    """Stable (floorplan_seed, interior_seed) for world (floorplan_index, interior_index) of a job."""

    def h(text: str) -> int:
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")

    return h(f"{job_seed}/fp/{floorplan_index}"), h(f"{job_seed}/fp/{floorplan_index}/int/{interior_index}")


def generate_world(
    spec: WorldTemplateSpec,
    floorplan_seed: int,
    interior_seed: int,
    world_id: str = "world",
    check_quality: bool = True,
) -> World:
    """A furnished world; raises :class:`WorldGenerationError` when no valid world can be made."""
    floorplan = generate_floorplan(spec, floorplan_seed)
    failures: list[str] = []
    for attempt in range(INTERIOR_ATTEMPTS):
        # Retry with derived interior seeds (still deterministic) before giving up on the world.
        seed = interior_seed if attempt == 0 else interior_seed * 7919 + attempt
        world = place_windows(furnish(floorplan, spec, seed, world_id=world_id))
        if not check_quality:
            return world
        report = quality_report(world)
        # Room shapes are preferences: a floorplan that misses one is kept (its report fails and
        # says which room); other failures make the world unusable, so another interior is tried.
        failures = [f for f in report["failures"] if f not in report["shape_failures"]]
        if not failures:
            return world
    raise WorldGenerationError("generated world failed quality checks: " + "; ".join(failures))


def generate_job_worlds(
    spec: WorldTemplateSpec,
    floorplan_count: int,
    interior_count_per_floorplan: int,
    job_seed: int | str,
    world_id_prefix: str = "world",
) -> Iterator[tuple[str, World | WorldGenerationError]]:
    """All worlds of a generation job, floorplan-major: yields ``(world_id, world or error)`` with
    ids ``f"{world_id_prefix}_{n}"``, n = 1..floorplan_count * interior_count_per_floorplan
    (e.g. prefix ``generation_<jobId>_world`` gives AWS-style ``generation_<jobId>_world_3``)."""
    n = 0
    for fp_index in range(floorplan_count):
        for int_index in range(interior_count_per_floorplan):
            n += 1
            world_id = f"{world_id_prefix}_{n}"
            fp_seed, int_seed = world_seeds(job_seed, fp_index, int_index)
            try:
                yield world_id, generate_world(spec, fp_seed, int_seed, world_id=world_id)
            except WorldGenerationError as exc:
                yield world_id, exc
