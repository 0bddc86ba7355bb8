"""Machine-checkable quality report of a generated world (docs/world-quality.md), in exact geometry.

Independent of the generator's raster shortcuts: shapely polygons, an STRtree for overlap pairs,
``free.buffer(-r)`` for robot reachability. Reachability is computed twice: with hinged doors
pushable (``reachable``: the rooms are connected at all) and with every door leaf solid at its
initial opening, as Gazebo simulates it (``reachable_with_doors``). A room cut off with solid
leaves fails the world unless the template closed it off: every way to it passes a door whose
initial opening leaves less than 2r + 0.1 m (closed, narrowly open or "Random" and drawn narrow).

Report keys: ``rooms`` (per room: requested/actual area, area_error, area_ok, requested/actual
aspect (long side / short side), aspect_error, aspect_ok, reachable, reachable_with_doors,
closed_off_by_doors, furniture_coverage), ``mean_furniture_coverage``, ``unreachable_rooms``
(not reachable with solid leaves), ``closed_off_rooms`` (the subset the template's doors close
off), ``tolerances``, ``template_defaults`` (template paths filled with the schema's default rooms),
``room_graph_connected``, ``free_space_components``,
``furniture_overlaps``, ``furniture_wall_overlaps``, ``furniture_outside_room``,
``doorway_clearance_violations``, ``front_clearance_violations``, ``door_swing_conflicts``,
``spawn`` (inside_room, clear), ``footprint`` (requested/actual x:y aspect of the bounding
rectangle, aspect_error, ``shape`` "rectangle" | "L" | "U", ``outline_area``, ``outline_ok``: the
outline is a simple polygon covering exactly the rooms, which do not overlap),
``unmet_connections``, ``closed_doors``, ``doors_narrowing_passage`` (door leaves at their initial
position that leave < 2r + 0.1 m), ``exterior_doors``, ``pass_through_rooms`` (informational:
bathrooms, closets and bedrooms that are a way to other rooms without a requested connection),
``max_area_error``, ``max_aspect_error``, ``failures`` (list of failed checks),
``shape_failures`` (the subset about room shapes), ``passed``. Field meanings, tolerances and their
sources: docs/world-quality.md.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import shapely
from shapely.geometry import Point, box

from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES
from jobforge.services.robomaker.worldgen.floorplan import LEAF_ROOMS, door_swing_box, doorway_keepouts
from jobforge.services.robomaker.worldgen.navgrid import ROBOT_RADIUS
from jobforge.services.robomaker.worldgen.shape import (
    ROOM_AREA_TOLERANCE,
    ROOM_ASPECT_TOLERANCE,
    room_shape_check,
)
from jobforge.services.robomaker.worldgen.surfaces import surfaces
from jobforge.services.robomaker.worldgen.world import Doorway, FurnitureItem, Room, World

OVERLAP_TOLERANCE = 1e-4  # m²
MIN_COMPONENT_AREA = 0.02  # m² of robot-centre space; smaller pieces are slivers


def front_zone(item: FurnitureItem) -> tuple[float, float, float, float] | None:
    """Box kept free in front of an item used from the front."""
    fc = ITEM_TYPES[item.type].front_clearance
    if fc <= 0 or item.parent is not None:
        return None
    x0, y0, x1, y1 = item.box()
    fx, fy = -math.sin(item.yaw), math.cos(item.yaw)
    if abs(fx) > 0.5:
        return (x1, y0, x1 + fc, y1) if fx > 0 else (x0 - fc, y0, x0, y1)
    return (x0, y1, x1, y1 + fc) if fy > 0 else (x0, y0 - fc, x1, y0)


def _on_surface(a: FurnitureItem, b: FurnitureItem) -> bool:
    """Whether one item stands on a surface of the other, its ``parent`` (an object on a bookcase
    shelf stands inside the bookcase's height range)."""
    return any(
        x.parent == y.id
        and any(abs(x.z - y.z - s.z) < 1e-3 for s in surfaces(y.type, y.width, y.depth, y.height))
        for x, y in ((a, b), (b, a))
    )


def passable(door: Doorway, robot_radius: float = ROBOT_RADIUS) -> bool:
    """Whether a robot passes this doorway with the door leaf where the template put it."""
    return not door.has_door or door.clear_width() >= 2 * robot_radius + 0.1


def leaf_polygons(doorways: tuple[Doorway, ...] | list[Doorway]) -> list[shapely.Geometry]:
    """The solid door leaves at their initial opening."""
    return [shapely.Polygon(o) for d in doorways if (o := d.leaf_outline()) is not None]


def rooms_left_open(
    rooms: tuple[Room, ...] | list[Room],
    doorways: tuple[Doorway, ...] | list[Doorway],
    spawn: tuple[float, float],
    robot_radius: float = ROBOT_RADIUS,
) -> set[str]:
    """Rooms joined to the spawn's room by doorways the template's doors leave passable: the rooms
    that must be reachable with solid leaves (the others are closed off by the template)."""
    graph = nx.Graph()
    graph.add_nodes_from(r.name for r in rooms)
    graph.add_edges_from(d.rooms for d in doorways if not d.exterior and passable(d, robot_radius))
    sx, sy = spawn
    start = next(
        (r.name for r in rooms for b in r.rects if b[0] <= sx <= b[2] and b[1] <= sy <= b[3]),
        None,
    )
    return set() if start is None else set(nx.node_connected_component(graph, start))


def pass_through_rooms(
    rooms: tuple[Room, ...] | list[Room], doorways: tuple[Doorway, ...] | list[Doorway]
) -> list[str]:
    """Bathrooms, closets and bedrooms that are a way to other rooms through a doorway the
    template did not ask for: a bathroom or closet with doorways to two rooms, a bedroom with
    doorways to two rooms other than bathrooms and closets (an en-suite bathroom is fine)."""
    types = {r.name: r.type for r in rooms}
    out = []
    for r in rooms:
        if r.type not in (*LEAF_ROOMS, "Bedroom"):
            continue
        links: dict[str, bool] = {}  # neighbour -> joined only by requested doorways
        for d in doorways:
            if r.name in d.rooms and not d.exterior:
                other = d.rooms[1] if d.rooms[0] == r.name else d.rooms[0]
                if r.type == "Bedroom" and types[other] in LEAF_ROOMS:
                    continue
                links[other] = links.get(other, True) and d.requested
        if len(links) > 1 and not all(links.values()):
            out.append(r.name)
    return out


def reachable_space(
    house: shapely.Geometry,
    walls: shapely.Geometry,
    furniture: shapely.Geometry,
    spawn: Point,
    robot_radius: float = ROBOT_RADIUS,
) -> tuple[list[shapely.Geometry], shapely.Geometry | None]:
    """Components of the robot-centre space (free floor eroded by the robot radius), and the one
    holding the spawn point (None if the spawn is not free)."""
    free = house.difference(walls)
    if not furniture.is_empty:
        free = free.difference(furniture)
    eroded = free.buffer(-robot_radius, quad_segs=4)
    parts = [g for g in getattr(eroded, "geoms", [eroded]) if not g.is_empty and g.area > MIN_COMPONENT_AREA]
    spawn_part = next((g for g in parts if g.covers(spawn)), None)
    if spawn_part is None and parts:
        near = min(parts, key=lambda g: g.distance(spawn))
        spawn_part = near if near.distance(spawn) < 1e-6 else None
    return parts, spawn_part


def furniture_coverage(
    world: World, walls: shapely.Geometry, polys: list[shapely.Geometry]
) -> dict[str, float]:
    """Per room, the share (0..1) of its floor (room polygon minus walls) under footprints of furniture
    that stands on it (:attr:`FurnitureItem.blocks_floor`)."""
    out = {}
    for r in world.rooms:
        floor = shapely.Polygon(r.polygon).difference(walls)
        mine = [
            p for it, p in zip(world.furniture, polys, strict=True) if it.room == r.name and it.blocks_floor
        ]
        covered = floor.intersection(shapely.union_all(mine)).area if mine else 0.0
        out[r.name] = round(covered / floor.area, 4) if floor.area > 0 else 0.0
    return out


def quality_report(
    world: World, robot_radius: float = ROBOT_RADIUS, template_defaults: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Quality metrics and an overall ``passed`` flag for one world.

    ``template_defaults`` lists the template paths where the schema's default rooms were used
    (``WorldTemplateSpec.defaults_applied``); it is reported, not checked."""
    room_polys = {r.name: shapely.Polygon(r.polygon) for r in world.rooms}
    wall_boxes = [b for w in world.walls for b in w.solid_boxes()]
    walls = shapely.union_all([box(*b) for b in wall_boxes]) if wall_boxes else shapely.Polygon()
    items = list(world.furniture)
    polys = [box(*it.box()) for it in items]
    shapely.prepare(walls)

    # Furniture-furniture overlaps (STRtree pairs), furniture-wall, furniture outside its room.
    overlaps = 0
    if polys:
        tree = shapely.STRtree(polys)
        left, right = tree.query(polys, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j or items[i].apart_vertically(items[j]) or _on_surface(items[i], items[j]):
                continue
            if polys[i].intersection(polys[j]).area > OVERLAP_TOLERANCE:
                overlaps += 1
    wall_hits = sum(
        1 for p in polys if walls.intersects(p) and walls.intersection(p).area > OVERLAP_TOLERANCE
    )
    outside = sum(
        1
        for it, p in zip(items, polys, strict=True)
        if p.difference(room_polys[it.room]).area > OVERLAP_TOLERANCE
    )
    # What a ground robot drives around: not rugs, not wall cabinets.
    floor_polys = [p for it, p in zip(items, polys, strict=True) if it.blocks_floor]
    furniture_union = shapely.union_all(floor_polys) if floor_polys else shapely.Polygon()

    # Doorway clearance zones and front clearance zones.
    keepouts = [box(*k) for d in world.doorways for k in doorway_keepouts(d)]
    door_violations = sum(
        1
        for k in keepouts
        if not furniture_union.is_empty and k.intersection(furniture_union).area > OVERLAP_TOLERANCE
    )
    house = shapely.union_all(list(room_polys.values()))
    groups = {it.id: (it.parent or it.id) for it in items}
    for it in items:  # an object on a grouped table belongs to the table's group (parents come first)
        groups[it.id] = groups.get(groups[it.id], groups[it.id])
    front_violations = 0
    for it in items:
        zone = front_zone(it)
        if zone is None:
            continue
        zpoly = box(*zone)
        for other, p in zip(items, polys, strict=True):
            if not other.blocks_floor or groups[other.id] == groups[it.id]:
                continue
            if zpoly.intersection(p).area > OVERLAP_TOLERANCE:
                front_violations += 1
        if zpoly.intersection(walls).area > OVERLAP_TOLERANCE or zpoly.difference(house).area > 1e-3:
            front_violations += 1

    # Reachability for a round robot from the spawn point.
    spawn = Point(world.spawn)
    parts, spawn_part = reachable_space(house, walls, furniture_union, spawn, robot_radius)

    leaves = leaf_polygons(world.doorways)
    solid = shapely.union_all([walls, *leaves]) if leaves else walls
    door_parts, door_part = reachable_space(house, solid, furniture_union, spawn, robot_radius)
    left_open = rooms_left_open(world.rooms, world.doorways, world.spawn, robot_radius)

    coverage = furniture_coverage(world, walls, polys)
    rooms_report = []
    for r in world.rooms:
        reach = spawn_part is not None and spawn_part.intersection(room_polys[r.name]).area > 0.01
        # Reached with solid leaves: the spawn's component enters the room and no other component
        # (free floor behind a leaf and furniture) holds a usable piece of it.
        cut_off = sum(p.intersection(room_polys[r.name]).area for p in door_parts if p is not door_part)
        with_doors = (
            door_part is not None
            and door_part.intersection(room_polys[r.name]).area > 0.01
            and cut_off <= MIN_COMPONENT_AREA
        )
        shape = room_shape_check(r.requested_area, r.area, r.requested_aspect, r.aspect)
        rooms_report.append(
            {
                "name": r.name,
                "type": r.type,
                **shape,
                "reachable": bool(reach),
                "reachable_with_doors": bool(with_doors),
                "closed_off_by_doors": not with_doors and r.name not in left_open,
                "furniture_coverage": coverage[r.name],
            }
        )

    outline = shapely.Polygon(world.outline_polygon)
    fx0, fy0, fx1, fy1 = world.footprint
    fp_aspect = (fx1 - fx0) / (fy1 - fy0)  # x / y, like the template's DesiredAspectRatio
    graph = nx.Graph()
    graph.add_nodes_from(r.name for r in world.rooms)
    graph.add_edges_from(d.rooms for d in world.doorways if not d.exterior)

    swings = [box(*door_swing_box(d.axis, d.hinge, d.center, d.width, d.swing_sign))
              for d in world.doorways if d.has_door and d.hinge is not None]  # fmt: skip
    swing_conflicts = sum(
        1 for i, a in enumerate(swings) for b in swings[i + 1 :] if a.intersection(b).area > OVERLAP_TOLERANCE
    )
    disc = spawn.buffer(world.spawn_clear_radius, quad_segs=16)
    spawn_clear = (
        not disc.intersects(walls)
        and (furniture_union.is_empty or not disc.intersects(furniture_union))
        and not any(disc.intersects(leaf) for leaf in leaves)
    )
    spawn_inside = any(p.contains(spawn) for p in room_polys.values())

    report: dict[str, Any] = {
        "rooms": rooms_report,
        "mean_furniture_coverage": round(sum(coverage.values()) / len(coverage), 4) if coverage else 0.0,
        "unreachable_rooms": [r["name"] for r in rooms_report if not r["reachable_with_doors"]],
        "closed_off_rooms": [r["name"] for r in rooms_report if r["closed_off_by_doors"]],
        "tolerances": {"room_area": ROOM_AREA_TOLERANCE, "room_aspect": ROOM_ASPECT_TOLERANCE},
        "template_defaults": list(template_defaults),
        "room_graph_connected": bool(nx.is_connected(graph)),
        "free_space_components": len(parts),
        "furniture_count": len(items),
        "furniture_overlaps": overlaps,
        "furniture_wall_overlaps": wall_hits,
        "furniture_outside_room": outside,
        "doorway_clearance_violations": door_violations,
        "front_clearance_violations": front_violations,
        "spawn": {"inside_room": spawn_inside, "clear": spawn_clear, "radius": world.spawn_clear_radius},
        "unmet_connections": [list(u) for u in world.unmet_connections],
        "footprint": {
            "shape": world.footprint_shape,
            "outline_area": round(outline.area, 3),
            "outline_ok": outline_matches_rooms(outline, list(room_polys.values())),
            "requested_aspect": world.requested_footprint_aspect,
            "aspect": round(fp_aspect, 3),
            "aspect_error": round(
                abs(fp_aspect - world.requested_footprint_aspect) / world.requested_footprint_aspect, 4
            ),
        },
        "door_swing_conflicts": swing_conflicts,
        "doors_narrowing_passage": sum(1 for d in world.doorways if not passable(d, robot_radius)),
        "closed_doors": sum(1 for d in world.doorways if d.has_door and (d.open_percent or 0) <= 0),
        "exterior_doors": sum(1 for d in world.doorways if d.exterior),
        "pass_through_rooms": pass_through_rooms(world.rooms, world.doorways),
        "max_area_error": max((r["area_error"] for r in rooms_report), default=0.0),
        "max_aspect_error": max((r["aspect_error"] for r in rooms_report), default=0.0),
        "robot_radius": robot_radius,
    }
    report["shape_failures"] = shape_failures(report)
    report["failures"] = failed_checks(report, world.ceiling_height)
    report["passed"] = not report["failures"]
    return report


def outline_matches_rooms(outline: shapely.Polygon, rooms: list[shapely.Polygon]) -> bool:
    """Whether ``outline`` is a simple polygon that the rooms tile exactly: its area is the sum of
    the room areas (no overlaps) and nothing of it lies outside them or of them outside it."""
    if not outline.is_valid or not rooms:
        return False
    union = shapely.union_all(rooms)
    tiled = abs(outline.area - sum(p.area for p in rooms)) <= 1e-3
    return tiled and outline.symmetric_difference(union).area <= 1e-3


def shape_failures(report: dict[str, Any]) -> list[str]:
    """Rooms whose area or aspect ratio is outside the tolerance of the request.

    These fail the report (the world is not what was asked for) but, unlike the other checks,
    do not make a world unusable: the generator keeps such a world and the report says why."""
    out = []
    for r in report["rooms"]:
        if not r["area_ok"]:
            out.append(
                f"room {r['name']!r} area {r['area']:.1f} m² vs requested {r['requested_area']:g} m² "
                f"({r['area_error']:.0%} off, tolerance {ROOM_AREA_TOLERANCE:.0%})"
            )
        if not r["aspect_ok"]:
            out.append(
                f"room {r['name']!r} aspect ratio {r['aspect']:.2f} vs requested {r['requested_aspect']:.2f} "
                f"({r['aspect_error']:.0%} off, tolerance {ROOM_ASPECT_TOLERANCE:.0%})"
            )
    return out


def failed_checks(report: dict[str, Any], ceiling_height: float) -> list[str]:
    """Human-readable names of the checks a report fails (empty when it passes)."""
    failures = [f"room {r['name']!r} not reachable" for r in report["rooms"] if not r["reachable"]]
    failures += [
        f"room {r['name']!r} not reachable with door leaves solid at their initial opening"
        for r in report["rooms"]
        if r["reachable"] and not r["reachable_with_doors"] and not r["closed_off_by_doors"]
    ]
    failures += shape_failures(report)
    if not report["room_graph_connected"]:
        failures.append("rooms not connected")
    if report["free_space_components"] != 1:
        failures.append(f"free space in {report['free_space_components']} pieces")
    for key in (
        "furniture_overlaps",
        "furniture_wall_overlaps",
        "furniture_outside_room",
        "doorway_clearance_violations",
        "front_clearance_violations",
        "door_swing_conflicts",
    ):
        if report[key]:
            failures.append(f"{key}={report[key]}")
    if not report["footprint"]["outline_ok"]:
        failures.append(f"house outline ({report['footprint']['shape']}) is not the union of the rooms")
    if not report["spawn"]["inside_room"]:
        failures.append("spawn point outside the rooms")
    if not report["spawn"]["clear"]:
        failures.append("spawn cylinder not clear")
    if not 2.4 <= ceiling_height <= 4.0:
        failures.append("ceiling height out of range")
    return failures
