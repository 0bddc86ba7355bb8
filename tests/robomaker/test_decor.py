"""Decor (issue #15, worldgen/decor.py): rugs, plants, table lamps and small objects on surfaces.

Over a batch of worlds per density: large living rooms get a rug and a plant or lamp; objects
stand inside one of their parent's surfaces at its height, never over an edge nor on each other;
items a rug reaches are raised onto it; Sparse rooms get less decor than Dense ones; every world
passes its quality report (reachability with rugs, plants and objects present). The surfaces the
generator uses agree with the models' collision boxes; the physics test steps these objects."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import pytest
import shapely

from jobforge.services.robomaker.export.models import VARIANTS, Part, build_parts
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_job_worlds, generate_world, quality_report
from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS
from jobforge.services.robomaker.worldgen.decor import LARGE_ROOM, OBJECTS, without_group
from jobforge.services.robomaker.worldgen.surfaces import surfaces
from jobforge.services.robomaker.worldgen.world import FurnitureItem
from tests.robomaker.physics import furnished_six_rooms
from tests.robomaker.samples import hallway_house_body, unconnected_house_body
from tests.robomaker.test_density import _with_density

DECOR = frozenset({"Rugs", "Plants", "TableLamps", "Books", "Plates", "Cups", "Bowls", "Vases"})
ON_SURFACES = frozenset(t for t in DECOR if ITEM_TYPES[t].placement == "surface")
TOLERANCE = 1e-3  # m: positions are rounded to 0.1 mm


@cache
def _batch(density: str) -> tuple[World, ...]:
    """8 worlds of each test house at ``density``."""
    out = []
    for body in (hallway_house_body(), unconnected_house_body()):
        spec = parse_template_body(_with_density(body, density))
        for _, world in generate_job_worlds(spec, 4, 2, f"decor-{density}"):
            assert isinstance(world, World), world
            out.append(world)
    return tuple(out)


def _inner_area(world: World, name: str) -> float:
    x0, y0, x1, y1 = world.room(name).bounds
    return (x1 - x0 - 0.14) * (y1 - y0 - 0.14)


def _surface_rects(parent: FurnitureItem) -> list[tuple[float, shapely.Polygon]]:
    """(height, world rectangle) of each of the parent's surfaces."""
    c, s = math.cos(parent.yaw), math.sin(parent.yaw)
    out = []
    for surface in surfaces(parent.type, parent.width, parent.depth, parent.height):
        x0, y0, x1, y1 = surface.box
        corners = [
            (parent.x + c * u - s * v, parent.y + s * u + c * v)
            for u, v in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        ]
        out.append((parent.z + surface.z, shapely.Polygon(corners)))
    return out


@pytest.mark.parametrize("density", ["Moderate", "Dense"])
def test_large_living_rooms_get_a_rug_and_a_plant_or_lamp(density: str) -> None:
    checked = 0
    for world in _batch(density):
        for room in world.rooms:
            if room.type != "Living" or _inner_area(world, room.name) < LARGE_ROOM:
                continue
            types = {f.type for f in world.furniture if f.room == room.name}
            assert "Rugs" in types, (world.world_id, room.name, types)
            assert types & {"Plants", "TableLamps", "FloorLamps"}, (world.world_id, room.name, types)
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("density", ["Sparse", "Moderate", "Dense"])
def test_objects_stand_inside_a_surface_of_their_parent_and_apart(density: str) -> None:
    placed = 0
    for world in _batch(density):
        by_id = {f.id: f for f in world.furniture}
        mine: dict[tuple[str, float], list[FurnitureItem]] = {}
        for item in world.furniture:
            if item.type not in ON_SURFACES:
                continue
            parent = by_id[item.parent]
            assert parent.type in OBJECTS, (item.type, parent.type)
            footprint = shapely.box(*item.box())
            fits = [z for z, rect in _surface_rects(parent) if abs(z - item.z) < TOLERANCE
                    and rect.buffer(TOLERANCE).covers(footprint)]  # fmt: skip
            assert fits, f"{world.world_id}: {item.type} {item.id} overhangs {parent.type} {parent.id}"
            assert item.yaw == parent.yaw and item.room == parent.room
            mine.setdefault((parent.id, round(item.z, 3)), []).append(item)
            placed += 1
        for group in mine.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    overlap = shapely.box(*a.box()).intersection(shapely.box(*b.box())).area
                    assert overlap == 0.0, (world.world_id, a.id, b.id)
    assert placed > 0


@pytest.mark.parametrize("density", ["Moderate", "Dense"])
def test_items_a_rug_reaches_stand_on_it(density: str) -> None:
    """Every floor item over a rug is raised by the rug's thickness and is wholly on it, unless it
    is a static piece of furniture (a sofa with its front legs on the rug); rugs do not block the
    floor and stay inside their room; objects stand on their raised parent."""
    rugs = 0
    for world in _batch(density):
        by_id = {f.id: f for f in world.furniture}
        for rug in (f for f in world.furniture if f.type == "Rugs"):
            rugs += 1
            assert not rug.blocks_floor and rug.z == 0.0
            area = shapely.box(*rug.box())
            assert shapely.Polygon(world.room(rug.room).polygon).covers(area)
            for item in world.furniture:
                if item is rug or (item.parent is not None and by_id[item.parent].z < item.z - 0.02):
                    continue  # objects on surfaces: their parent is checked
                if item.blocks_floor and shapely.box(*item.box()).intersection(area).area > 0:
                    assert item.z == pytest.approx(rug.top), (world.world_id, item.type)
                    assert PHYSICS[item.type].static or area.buffer(TOLERANCE).covers(
                        shapely.box(*item.box())
                    )
    assert rugs >= 8


def test_sparse_rooms_get_less_decor_than_dense() -> None:
    counts = {
        d: sum(f.type in DECOR for w in _batch(d) for f in w.furniture)
        for d in ("Sparse", "Moderate", "Dense")
    }
    assert counts["Sparse"] < counts["Moderate"] < counts["Dense"], counts
    for world in _batch("Sparse"):
        per_room = Counter(f.room for f in world.furniture if f.type in DECOR)
        assert max(per_room.values(), default=0) <= 1, per_room
        assert not any(f.type in ("Rugs", "Plants") for f in world.furniture)


@pytest.mark.parametrize("density", ["Sparse", "Moderate", "Dense"])
def test_worlds_with_decor_pass_their_quality_report(density: str) -> None:
    for world in _batch(density):
        report = quality_report(world)
        assert report["passed"], (world.world_id, report["failures"])


def test_decor_is_deterministic_and_leaves_the_furniture_alone() -> None:
    spec = parse_template_body(_with_density(hallway_house_body(), "Dense"))
    first, again = generate_world(spec, 5, 6), generate_world(spec, 5, 6)
    assert first == again
    assert {f.type for f in first.furniture} >= {"Rugs", "Plants", "TableLamps"}


def test_removing_a_group_removes_what_stands_on_it() -> None:
    world = generate_world(parse_template_body(_with_density(hallway_house_body(), "Dense")), 5, 6)
    lamp = next(f for f in world.furniture if f.type == "TableLamps" and f.parent)
    stand = next(f for f in world.furniture if f.id == lamp.parent)
    root = stand.parent or stand.id
    left = {f.id for f in without_group(list(world.furniture), root)}
    assert lamp.id not in left and stand.id not in left
    assert len(left) < len(world.furniture) - 1


@pytest.mark.parametrize("type_", sorted({t for t in ITEM_TYPES if surfaces(t, 1.0, 0.5, 0.8)}))
def test_surfaces_are_the_tops_of_the_models_collision_boxes(type_: str) -> None:
    """Each surface lies on a colliding part whose top is the surface height and which covers it,
    and no part of the model (visible or colliding) reaches into the space above it."""
    for variant in ITEM_TYPES[type_].variants:
        _, parts = build_parts(variant.model)
        for surface in surfaces(type_, variant.width, variant.depth, variant.height):
            room = shapely.box(*surface.box)
            carriers = [
                p for p in _box_tops(parts) if abs(p[1] - surface.z) < 1e-9 and p[0].buffer(1e-9).covers(room)
            ]
            assert carriers, (variant.model, surface)
            for p in parts:
                lo, hi = p.centre[2] - _half_height(p), p.centre[2] + _half_height(p)
                footprint = shapely.box(p.centre[0] - _half(p, 0), p.centre[1] - _half(p, 1),
                                        p.centre[0] + _half(p, 0), p.centre[1] + _half(p, 1))  # fmt: skip
                above = lo < surface.z + surface.headroom - 1e-9 and hi > surface.z + 1e-9
                assert not (above and footprint.intersection(room).area > 1e-9), (variant.model, p.name)


def _box_tops(parts: list[Part]) -> list[tuple[shapely.Polygon, float]]:
    """Footprint and top height of each colliding box."""
    return [
        (
            shapely.box(*(p.centre[k] + sign * p.size[k] / 2 for sign in (-1, 1) for k in (0, 1))),
            p.centre[2] + p.size[2] / 2,
        )
        for p in parts
        if p.collide and p.shape == "box"
    ]


def _half(p: Part, axis: int) -> float:
    return p.size[axis] / 2 if p.shape == "box" else p.size[0]


def _half_height(p: Part) -> float:
    return p.size[2] / 2 if p.shape == "box" else p.size[1] / 2


def test_every_decor_model_builds_with_light_dynamic_objects() -> None:
    for model, (type_, _) in VARIANTS.items():
        if type_ in ON_SURFACES or type_ == "Plants":
            assert not PHYSICS[type_].static and PHYSICS[type_].mass <= 10, model
            _, parts = build_parts(model)
            assert any(p.collide for p in parts) and any(p.visible for p in parts)
    assert PHYSICS["Rugs"].static


def test_worlds_with_decor_round_trip() -> None:
    """Heights and parents survive the world's JSON form (what a generation job stores)."""
    world = _batch("Dense")[0]
    assert any(f.z > 0 and f.parent for f in world.furniture)
    assert World.from_dict(world.to_dict()) == world


def test_the_physics_batch_steps_decor() -> None:
    """The worlds tests/robomaker/test_physics.py steps in MuJoCo carry rugs, plants and objects
    on tables and shelves (its settle check then covers them)."""
    for seeds in ((21, 22), (5, 6)):
        world = generate_world(parse_template_body(furnished_six_rooms()), *seeds)
        types = {f.type for f in world.furniture} & DECOR
        assert {"Rugs", "Plants", "TableLamps", "Books"} <= types and len(types) >= 6, types
