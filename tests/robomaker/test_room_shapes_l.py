"""L-shaped rooms: their share over seeds, valid counter-clockwise 6-corner polygons tiling the
outline, no wall inside an L room, furniture inside its room's polygon, the quality report passing,
SDF floors and ceilings covering each room's polygon exactly, and rectangles left alone."""

from __future__ import annotations

import itertools

import pytest
import shapely
from shapely.geometry import LineString, box

from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world, quality_report, world_description
from jobforge.services.robomaker.worldgen.floorplan import generate_floorplan
from jobforge.services.robomaker.worldgen.geometry import polygon_area, rect_parts
from jobforge.services.robomaker.worldgen.room_shapes import L_MIN_MAIN_SIDE, L_MIN_SIDE, l_plans
from jobforge.services.robomaker.worldgen.shape import (
    ROOM_AREA_TOLERANCE,
    ROOM_ASPECT_TOLERANCE,
    aspect_error,
)
from tests.robomaker.helpers import sdf_slabs
from tests.robomaker.samples import navigation_templates, open_plan_body

# Floor plan seeds whose living room wraps the kitchen (4) or the bedroom (8, 13) in a corner.
L_WORLDS = {
    "open plan, kitchen corner": (open_plan_body(), 4),
    "open plan, bedroom corner": (open_plan_body(), 8),
    "open plan, thin wing": (open_plan_body(), 13),
}


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {
        name: generate_world(parse_template_body(body), seed, seed + 100, world_id=f"l_room_{i}")
        for i, (name, (body, seed)) in enumerate(L_WORLDS.items())
    }


def _l_rooms(world: World) -> list:
    return [r for r in world.rooms if len(r.polygon) == 6]


def test_rect_parts_of_an_l() -> None:
    l_shape = ((0, 0), (6, 0), (6, 1.5), (4, 1.5), (4, 3), (0, 3))
    assert rect_parts(l_shape) == ((0, 0, 4, 3), (4, 0, 6, 1.5))
    assert rect_parts(((0, 0), (2, 0), (2, 1), (0, 1))) == ((0, 0, 2, 1),)
    with pytest.raises(ValueError):
        rect_parts(((0, 0), (4, 0), (4, 4), (3, 4), (3, 2), (1, 2), (1, 4), (0, 4)))


def test_l_share_over_seeds() -> None:
    spec = parse_template_body(open_plan_body())
    plans = [generate_floorplan(spec, s) for s in range(20)]
    shaped = [p for p in plans if any(len(r.polygon) == 6 for r in p.rooms)]
    assert 4 <= len(shaped) <= 14  # a share, not all (7 of 20 today)
    assert all(sum(len(r.polygon) == 6 for r in p.rooms) == 1 for p in shaped)  # one L room
    assert generate_floorplan(spec, 4) == generate_floorplan(spec, 4)
    # No L for a template with fewer than four rooms, nor where the seed does not ask for one.
    two = parse_template_body(navigation_templates()["two rooms"])
    assert all(len(r.polygon) == 4 for s in range(5) for r in generate_floorplan(two, s).rooms)
    assert all(len(r.polygon) == 4 for s in range(20) if not l_plans(spec, s) for r in plans[s].rooms)


def test_l_polygons_are_valid_ccw_and_tile_the_outline(worlds: dict[str, World]) -> None:
    for name, world in worlds.items():
        (room,) = _l_rooms(world)
        poly = shapely.Polygon(room.polygon)
        assert poly.is_valid and polygon_area(room.polygon) > 0, name  # counter-clockwise
        parts = room.rects
        thickness = [min(b[2] - b[0], b[3] - b[1]) for b in parts]
        assert (
            len(parts) == 2 and min(thickness) >= L_MIN_SIDE - 1e-3 and thickness[0] >= L_MIN_MAIN_SIDE - 1e-3
        )
        assert shapely.union_all([box(*b) for b in parts]).symmetric_difference(poly).area < 1e-6
        assert abs(room.area - sum((b[2] - b[0]) * (b[3] - b[1]) for b in parts)) < 1e-6
        # Requested shape checked on the polygon's area and its bounding box's aspect.
        assert abs(room.area - room.requested_area) / room.requested_area <= ROOM_AREA_TOLERANCE
        assert aspect_error(room.requested_aspect, room.aspect) <= ROOM_ASPECT_TOLERANCE
        outline = shapely.Polygon(world.outline_polygon)
        polys = [shapely.Polygon(r.polygon) for r in world.rooms]
        assert abs(sum(p.area for p in polys) - outline.area) < 1e-3, name
        assert all(a.intersection(b).area < 1e-6 for a, b in itertools.combinations(polys, 2)), name
        assert shapely.union_all(polys).symmetric_difference(outline).area < 1e-3, name
        shapes = {r["name"]: r["shape"] for r in world_description(world)["rooms"]}
        assert shapes == {r.name: "L" if r is room else "rectangle" for r in world.rooms}, name


def test_no_wall_inside_an_l_room(worlds: dict[str, World]) -> None:
    for name, world in worlds.items():
        (room,) = _l_rooms(world)
        # Farther from the polygon's edges than any wall's half thickness: its interior, the line
        # between its two parts included (the walls around it reach this far, no farther).
        inside = shapely.Polygon(room.polygon).buffer(-0.08)
        between = LineString(_shared_edge(*room.rects))
        assert inside.intersects(between)
        for wall in world.walls:
            assert not any(inside.intersects(box(*b)) for b in wall.solid_boxes()), (name, wall.id)
        # The wall the corner room shares with the L runs along both inner sides of the notch.
        corner = next(r for r in world.rooms if r is not room and box(*r.bounds).within(box(*room.bounds)))
        shared = [w for w in world.walls if set(w.rooms) == {room.name, corner.name}]
        assert len(shared) == 2 and {w.start[0] == w.end[0] for w in shared} == {True, False}, name


def test_furniture_inside_its_rooms_polygon_and_quality_passes(worlds: dict[str, World]) -> None:
    for name, world in worlds.items():
        (room,) = _l_rooms(world)
        mine = [f for f in world.furniture if f.room == room.name and f.z < 0.5]
        assert {any(box(*f.box()).intersects(box(*p)) for f in mine) for p in room.rects} == {True}, name
        polys = {r.name: shapely.Polygon(r.polygon).buffer(1e-3) for r in world.rooms}
        assert all(polys[f.room].contains(box(*f.box())) for f in world.furniture), name
        report = quality_report(world)
        assert report["passed"], (name, {k: v for k, v in report.items() if k != "rooms"})


def _shared_edge(a: tuple, b: tuple) -> list[tuple[float, float]]:
    """The edge two touching boxes share, as its two end points."""
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return [(x0, y0), (x1, y1)]


def test_sdf_floors_and_ceilings_cover_each_polygon_exactly(worlds: dict[str, World]) -> None:
    for name, world in worlds.items():
        rooms = shapely.union_all([shapely.Polygon(r.polygon) for r in world.rooms])
        for model in ("floors", "ceiling"):
            slabs = sdf_slabs(world, model)
            assert len(slabs) == len(world.rooms) + 1, (name, model)  # the L room: two slabs
            assert all(a.intersection(b).area < 1e-6 for a, b in itertools.combinations(slabs, 2))
            assert sum(s.difference(rooms).area for s in slabs) < 1e-6, (name, model)  # none outside
            assert shapely.union_all(slabs).symmetric_difference(rooms).area < 1e-3, (name, model)
