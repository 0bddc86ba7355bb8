"""The ``worldDescriptionBody`` document (also exported as ``world_description.json``).

DescribeWorld returns it for Version 2 worlds only; every world's is at
``/_jobforge/worlds/description?arn=...`` (services/robomaker/worlds.py, routes.py).

AWS never published its layout, so this is ours. Units: metres, radians, m²; world frame with the
floor at z = 0 and the robot spawn at the origin. Schema (``schemaVersion`` "1")::

    {
      "schemaVersion": "1",
      "worldId": str, "templateVersion": "1" | "2",
      "seeds": {"floorplan": int, "interior": int},
      "ceilingHeight": float,
      "footprint": {"min": [x, y], "max": [x, y], "aspectRatio": x/y, "requestedAspectRatio",
                    "shape": "rectangle" | "L" | "U",
                    "outline": [[x, y], ...] (the house, counter-clockwise, wall centre lines)},
      "spawn": {"position": [0.0, 0.0, 0.0], "clearRadius": 0.5},
      "rooms": [{"name", "originalName" (V2, may be null), "type",
                 "polygon": [[x, y], ...] (counter-clockwise, wall centre lines),
                 "shape": "rectangle" | "L" (the polygon's 4 or 6 corners),
                 "area", "requestedArea", "aspectRatio", "requestedAspectRatio" (both x / y),
                 "materials": {"flooring": str, "walls": str}, "furnitureDensity"}],
      "doors": [{"id", "type": "Doorway" | "Opening", "rooms": [a, b], "wall",
                 "position": [x, y], "width", "height", "orientation": "x" | "y",
                 "requested": bool,
                 "door": null | {"hinge": [x, y], "swingsInto": room, "openPercent": 0..100}}],
      "walls": [{"id", "start": [x, y], "end": [x, y], "thickness", "height", "rooms": [...],
                 "gaps": [[from, to], ...]}],
      "windows": [{"id", "room", "wall", "position": [x, y], "width", "orientation": "x" | "y",
                   "sill", "top"}],
      "furniture": [{"id", "type", "model", "room", "parent",
                     "pose": {"x", "y", "z" (bottom above the floor), "yaw"},
                     "size": {"width", "depth", "height"}}],
      "unmetConnections": [{"rooms": [a, b], "type": "Doorway" | "Opening"}]
    }

``footprint`` min/max is the bounding rectangle (its aspect is the template's footprint aspect);
an L or U house leaves one corner or a notch of it outside (``outline``). ``door`` is set for V2
doorways (hinged doors); V1 doorways are door-less gaps. ``windows`` (V2 worlds; empty for V1) are
openings in exterior walls from ``sill`` to ``top`` above the floor, ``position`` their middle on
the wall centre line; a wall's ``gaps`` are its floor-level gaps only.
"""

from __future__ import annotations

from typing import Any

from jobforge.services.robomaker.worldgen.world import World, footprint_shape

SCHEMA_VERSION = "1"


def world_description(world: World) -> dict[str, Any]:
    """The description document for ``world`` (JSON-safe)."""
    fx0, fy0, fx1, fy1 = world.footprint
    return {
        "schemaVersion": SCHEMA_VERSION,
        "worldId": world.world_id,
        "templateVersion": world.template_version,
        "seeds": {"floorplan": world.floorplan_seed, "interior": world.interior_seed},
        "ceilingHeight": world.ceiling_height,
        "footprint": {
            "min": [fx0, fy0],
            "max": [fx1, fy1],
            "aspectRatio": round((fx1 - fx0) / (fy1 - fy0), 3),
            "requestedAspectRatio": world.requested_footprint_aspect,
            "shape": world.footprint_shape,
            "outline": [list(p) for p in world.outline_polygon],
        },
        "spawn": {"position": [world.spawn[0], world.spawn[1], 0.0], "clearRadius": world.spawn_clear_radius},
        "rooms": [
            {
                "name": r.name,
                "originalName": r.original_name,
                "type": r.type,
                "polygon": [list(p) for p in r.polygon],
                "shape": footprint_shape(r.polygon),
                "area": round(r.area, 3),
                "requestedArea": r.requested_area,
                "aspectRatio": round(r.aspect, 3),
                "requestedAspectRatio": r.requested_aspect,
                "materials": {"flooring": r.flooring, "walls": r.wall_material},
                "furnitureDensity": r.furniture_density,
            }
            for r in world.rooms
        ],
        "doors": [
            {
                "id": d.id,
                "type": d.kind,
                "rooms": list(d.rooms),
                "wall": d.wall,
                "position": list(d.center),
                "width": d.width,
                "height": d.height,
                "orientation": d.axis,
                "requested": d.requested,
                "door": (
                    {"hinge": list(d.hinge), "swingsInto": d.swing_room, "openPercent": d.open_percent}
                    if d.has_door and d.hinge is not None
                    else None
                ),
            }
            for d in world.doorways
        ],
        "walls": [
            {
                "id": w.id,
                "start": list(w.start),
                "end": list(w.end),
                "thickness": w.thickness,
                "height": w.height,
                "rooms": list(w.rooms),
                "gaps": [list(g) for g in w.gaps],
            }
            for w in world.walls
        ],
        "windows": [
            {
                "id": w.id,
                "room": w.room,
                "wall": w.wall,
                "position": list(w.center),
                "width": w.width,
                "orientation": w.axis,
                "sill": w.sill,
                "top": w.top,
            }
            for w in world.windows
        ],
        "furniture": [
            {
                "id": f.id,
                "type": f.type,
                "model": f.model,
                "room": f.room,
                "parent": f.parent,
                "pose": {"x": f.x, "y": f.y, "z": f.z, "yaw": f.yaw},
                "size": {"width": f.width, "depth": f.depth, "height": f.height},
            }
            for f in world.furniture
        ],
        "unmetConnections": [{"rooms": [a, b], "type": kind} for a, b, kind in world.unmet_connections],
    }
