"""Rooms that read as a home (issue #15, "Furnishing"): kitchen counter runs with a sink, the fridge
at the run and wall cabinets above; dining tables with chairs facing them; the sofa facing its TV
unit. Over many worlds of the navigation templates at Moderate and Dense density."""

from __future__ import annotations

import json
import math
from functools import cache

import pytest

from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_job_worlds, quality_report
from jobforge.services.robomaker.worldgen.catalog import CATALOG
from jobforge.services.robomaker.worldgen.household import (
    BASE_UNITS,
    distance,
    facing_angle,
    front,
    gap,
    kitchen_runs,
    table_chairs,
)
from jobforge.services.robomaker.worldgen.kitchen import FRONT_CLEARANCE
from jobforge.services.robomaker.worldgen.world import FurnitureItem
from tests.robomaker.samples import navigation_templates
from tests.robomaker.test_density import _with_density

DENSITIES = ("Moderate", "Dense")


@cache
def _worlds(density: str) -> tuple[tuple[World, dict[str, tuple[str, ...]]], ...]:
    """8 worlds (4 floor plans x 2 interiors) per navigation template at ``density``, each with
    its rooms' template ModelTypes."""
    out = []
    for name, body in navigation_templates().items():
        spec = parse_template_body(_with_density(body, density))
        for _, world in generate_job_worlds(spec, 4, 2, f"homes-{name}-{density}"):
            assert isinstance(world, World), world
            types = {r.name: spec.furniture_for(r.name).model_types for r in world.rooms}
            out.append((world, types))
    return tuple(out)


def _items(world: World, room: str) -> list[FurnitureItem]:
    return [i for i in world.furniture if i.room == room]


def _group(item: FurnitureItem) -> str:
    return item.parent or item.id


def _zone(item: FurnitureItem, depth: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = item.box()
    fx, fy = front(item)
    if abs(fx) > 0.5:
        return (x1, y0, x1 + depth, y1) if fx > 0 else (x0 - depth, y0, x0, y1)
    return (x0, y1, x1, y1 + depth) if fy > 0 else (x0, y0 - depth, x1, y0)


def _meets(a: tuple[float, ...], b: tuple[float, ...], eps: float = 1e-3) -> bool:
    return a[0] < b[2] - eps and b[0] < a[2] - eps and a[1] < b[3] - eps and b[1] < a[3] - eps


def _within(inner: tuple[float, ...], outer: tuple[float, ...], eps: float = 1e-3) -> bool:
    return all(inner[i] >= outer[i] - eps for i in (0, 1)) and all(inner[i] <= outer[i] + eps for i in (2, 3))


@pytest.mark.parametrize("density", DENSITIES)
def test_every_kitchen_has_a_counter_run(density: str) -> None:
    """Every kitchen: base units 0.9 m high (dishwashers 0.85 m) with a sink and a cooktop, the
    fridge standing next to them (when the template allows fridges), 0.9 m kept free in front,
    wall cabinets above base
    units below the ceiling and never across a window, only the template's ModelTypes besides
    the generated types; every world passes its quality report."""
    kitchens = 0
    for world, types in _worlds(density):
        assert quality_report(world)["passed"], world.world_id
        for run in kitchen_runs(world):
            kitchens += 1
            allowed = types[run.room]
            assert run.has_sink and run.cooktops, (world.world_id, run.room)
            assert bool(run.fridges) == ("Fridges" in allowed), (world.world_id, run.room)
            assert run.cabinets, (world.world_id, run.room)
            items = _items(world, run.room)
            for item in items:
                assert item.type in allowed or item.type not in CATALOG, (item.type, allowed)
            for unit in run.base:
                assert 0.85 <= unit.top <= 0.9  # a dishwasher is 0.85 m, under the worktop line
                zone = _zone(unit, FRONT_CLEARANCE)
                blockers = [
                    i for i in items if i.blocks_floor and _group(i) != _group(unit) and _meets(zone, i.box())
                ]
                assert not blockers, (world.world_id, unit.id, blockers)
            for cabinet in run.cabinets:
                below = [u for u in run.base if _within(cabinet.box(), u.box())]
                assert below and cabinet.z >= max(u.top for u in below) + 0.5, (world.world_id, cabinet.id)
                assert cabinet.top <= world.ceiling_height - 0.05
                assert cabinet.yaw == pytest.approx(below[0].yaw)
                for window in world.windows:
                    if window.room != run.room:
                        continue
                    a, b = window.span()
                    k = 0 if window.axis == "x" else 1
                    box = cabinet.box()
                    fixed = window.center[1 - k]
                    near_wall = min(abs(box[1 - k] - fixed), abs(box[3 - k] - fixed)) < 0.5
                    assert not (near_wall and box[k] < b and a < box[k + 2]), (world.world_id, window.id)
    assert kitchens >= 24


@pytest.mark.parametrize("density", DENSITIES)
def test_dining_tables_have_chairs_facing_them(density: str) -> None:
    """Every dining table has 2-8 chairs, each pushed in (within 6 cm of the table) and facing it."""
    tables = chairs = 0
    for world, _ in _worlds(density):
        by_id = {i.id: i for i in world.furniture}
        for table_id, seated in table_chairs(world).items():
            table = by_id[table_id]
            tables += 1
            chairs += len(seated)
            assert 2 <= len(seated) <= 8, (world.world_id, table_id, len(seated))
            for chair in seated:
                assert gap(chair, table) <= 0.06, (world.world_id, chair.id)
                # facing: the front points at the table (perpendicular to the table edge it sits at)
                fx, fy = front(chair)
                tx0, ty0, tx1, ty1 = table.box()
                ahead = (chair.x + fx * 0.4, chair.y + fy * 0.4)  # past the 5 cm gap
                assert tx0 <= ahead[0] <= tx1 and ty0 <= ahead[1] <= ty1, (world.world_id, chair.id)
    assert tables >= 18 and chairs / tables >= 3.5, (tables, chairs)  # the sample holds ~20 tables


@pytest.mark.parametrize("density", DENSITIES)
def test_the_sofa_faces_its_tv_unit(density: str) -> None:
    """Where a room may have a sofa and a TV unit, the sofa faces the unit squarely 2-4 m away (in
    at least 90% of such rooms), the unit faces back, a TV stands on it, and the coffee table
    stands between them."""
    rooms = facing = 0
    for world, types in _worlds(density):
        for room in world.rooms:
            if not {"Sofas", "MediaStorage"} <= set(types[room.name]):
                continue
            items = _items(world, room.name)
            rooms += 1
            for sofa in (i for i in items if i.type == "Sofas"):
                units = [i for i in items if i.type == "MediaStorage" and i.parent == sofa.id]
                if not units:
                    continue
                unit = units[0]
                facing += 1
                assert facing_angle(sofa, unit) < math.radians(1), (world.world_id, sofa.id)
                assert facing_angle(unit, sofa) < math.radians(1), (world.world_id, unit.id)
                assert 2.0 <= distance(sofa, unit) <= 4.0, (world.world_id, distance(sofa, unit))
                for table in (i for i in items if i.type == "CoffeeTables" and i.parent == sofa.id):
                    total = distance(sofa, table) + distance(table, unit)
                    assert total == pytest.approx(distance(sofa, unit), abs=1e-3)
    assert rooms >= 20 and facing >= 0.9 * rooms, (rooms, facing)
    for world, _ in _worlds(density):
        for unit in (i for i in world.furniture if i.type == "MediaStorage"):
            tvs = [
                i for i in world.furniture if i.type == "Televisions" and i.parent in (unit.id, unit.parent)
            ]
            assert any(tv.z == pytest.approx(unit.top) and _within(tv.box(), unit.box()) for tv in tvs)


def test_runs_keep_the_template_model_types() -> None:
    """A kitchen whose template leaves out ovens, fridges and dishwashers still gets a counter run
    with a sink and a hob unit (generated types), and none of the left-out appliances."""
    template = json.loads(navigation_templates()["hallway house"])
    rule = {"Name": "bare", "TargetSet": {"RoomTypes": ["Kitchen"]}, "SampleSet": {"ModelTypes": ["Storage"]}}
    template["Buildings"][0]["Floors"][0]["Interior"] = {"Furniture": {"FurnitureArrangements": [rule]}}
    spec = parse_template_body(json.dumps(template))
    for _, world in generate_job_worlds(spec, 3, 2, "homes-bare-kitchen"):
        assert isinstance(world, World), world
        (run,) = kitchen_runs(world)
        assert run.has_sink and {c.type for c in run.cooktops} == {"Cooktops"}
        kinds = {i.type for i in _items(world, run.room)}
        assert not kinds & {"Ovens", "Fridges", "DishWashers"}, kinds
        assert kinds & BASE_UNITS
