"""World generator: quality invariants, determinism, serialization, description and preview."""

from __future__ import annotations

import dataclasses
import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from jobforge.services.robomaker.template_format import (
    MODEL_TYPES,
    ROOM_TYPES,
    WorldTemplateSpec,
    parse_template_body,
)
from jobforge.services.robomaker.worldgen import (
    FurnitureItem,
    World,
    WorldGenerationError,
    furnish,
    generate_job_worlds,
    generate_world,
    quality_report,
    render_preview,
    world_description,
    world_seeds,
)
from jobforge.services.robomaker.worldgen.floorplan import generate_floorplan
from jobforge.services.robomaker.worldgen.room_layout import (
    _connection_misses,
    _feasible_trees,
    _fractions,
    _realize,
)
from jobforge.services.robomaker.worldgen.shape import (
    ROOM_AREA_TOLERANCE,
    ROOM_ASPECT_TOLERANCE,
    long_short,
    room_shape_check,
)
from tests.robomaker.samples import floorplan_body, hallway_house_body, sample_body, shaped_room

TEMPLATES = ["OneBedroomHouse", "OneRoom", "TwoRooms", "SixRoomsV2"]


def _area(box: tuple[float, float, float, float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _spec(name: str) -> WorldTemplateSpec:
    return parse_template_body(sample_body(name))


def _worlds(name: str, floorplans: int = 2, interiors: int = 2) -> list[World]:
    spec = _spec(name)
    out = []
    for i in range(floorplans):
        for j in range(interiors):
            fs, is_ = world_seeds(f"job-{name}", i, j)
            out.append(
                generate_world(spec, fs, is_, world_id=f"generation_test_world_{i * interiors + j + 1}")
            )
    return out


@pytest.fixture(scope="module", params=TEMPLATES)
def generated(request: pytest.FixtureRequest) -> tuple[str, list[World]]:
    return request.param, _worlds(request.param)


def test_quality_passes(generated: tuple[str, list[World]]) -> None:
    name, worlds = generated
    spec = _spec(name)
    assert len(worlds) == 4
    for world in worlds:
        report = quality_report(world)
        assert report["passed"], report["failures"]
        assert all(r["reachable"] for r in report["rooms"])
        assert report["furniture_overlaps"] == 0
        assert report["furniture_wall_overlaps"] == 0
        assert report["doorway_clearance_violations"] == 0
        assert report["free_space_components"] == 1
        assert report["spawn"]["clear"] and report["spawn"]["inside_room"]
        assert report["max_area_error"] <= 0.15
        assert {r.name for r in world.rooms} == {r.name for r in spec.rooms}
        assert world.ceiling_height == spec.ceiling_height


def test_floorplans_and_interiors_distinct(generated: tuple[str, list[World]]) -> None:
    _, worlds = generated
    dicts = [json.dumps(w.to_dict(), sort_keys=True) for w in worlds]
    assert len(set(dicts)) == 4
    # Interiors of one floorplan share its rooms; the two floorplans differ.
    assert worlds[0].rooms[0].polygon == worlds[1].rooms[0].polygon
    assert (worlds[0].rooms, worlds[0].doorways) != (worlds[2].rooms, worlds[2].doorways)


def test_round_trip_and_json(generated: tuple[str, list[World]]) -> None:
    _, worlds = generated
    for world in worlds:
        data = world.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert World.from_dict(data) == world
        assert World.from_dict(json.loads(json.dumps(data))) == world


def test_description_and_preview(generated: tuple[str, list[World]]) -> None:
    _, worlds = generated
    world = worlds[0]
    desc = world_description(world)
    json.dumps(desc)
    assert [r["name"] for r in desc["rooms"]] == [r.name for r in world.rooms]
    assert len(desc["furniture"]) == len(world.furniture)
    assert desc["spawn"]["position"] == [0.0, 0.0, 0.0]
    for room in desc["rooms"]:
        assert room["materials"]["flooring"] and room["materials"]["walls"]
        assert len(room["polygon"]) >= 4
    png = render_preview(world)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert 700 <= max(image.size) <= 900
    colors = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 16) or []}
    assert (210, 40, 40) in colors  # spawn marker
    assert (30, 30, 30) in colors  # walls


def test_determinism() -> None:
    spec = _spec("SixRoomsV2")
    a = furnish(generate_floorplan(spec, 11), spec, 5, world_id="w")
    b = furnish(generate_floorplan(spec, 11), spec, 5, world_id="w")
    assert a.to_dict() == b.to_dict()
    c = furnish(generate_floorplan(spec, 11), spec, 6, world_id="w")
    d = furnish(generate_floorplan(spec, 12), spec, 5, world_id="w")
    assert c.to_dict() != a.to_dict()
    assert d.rooms != a.rooms


def test_template_rules_applied() -> None:
    spec = _spec("SixRoomsV2")
    seed = 0
    assert not generate_floorplan(spec, seed).unmet_connections  # met together with the room shapes
    world = generate_world(spec, seed, 4)
    assert not [f for f in world.furniture if f.room == "Hall"]  # ModelTypes: []
    assert world.room("Main Bedroom").flooring == "Carpet"
    assert world.room("Bath").flooring == "Tiles"
    assert world.room("Living").flooring == "Floorboards"
    assert {r.wall_material for r in world.rooms} == {"WallPaint"}
    assert world.room("Living").furniture_density == "Dense"
    doors = {frozenset(d.rooms): d for d in world.doorways}
    assert doors[frozenset(("Living", "Kitchen"))].kind == "Opening"
    bath = doors[frozenset(("Hall", "Bath"))]
    assert bath.has_door and bath.open_percent == 0 and bath.swing_room == "Bath"
    assert doors[frozenset(("Living", "Dining"))].open_percent == 50
    assert 0 <= doors[frozenset(("Hall", "Main Bedroom"))].open_percent <= 100
    # Room furniture follows the room type.
    types = {f.type for f in world.furniture if f.room == "Main Bedroom"}
    assert "Beds" in types


def test_v1_doorways_have_no_doors_and_connections_met() -> None:
    for world in _worlds("OneBedroomHouse", 2, 1):
        assert all(not d.has_door for d in world.doorways)
        pairs = {(frozenset(d.rooms), d.kind) for d in world.doorways if d.requested}
        assert (frozenset(("Living room", "Kitchen")), "Opening") in pairs
        assert not world.unmet_connections


def test_rooms_connected_even_without_requests() -> None:
    world = _worlds("TwoRooms", 1, 1)[0]
    assert len(world.doorways) == 1 and not world.doorways[0].requested


def test_quality_report_detects_problems() -> None:
    world = _worlds("OneBedroomHouse", 1, 1)[0]
    first = world.furniture[0]
    clone = dataclasses.replace(first, id="extra_overlap")
    door = next(d for d in world.doorways if d.kind == "Doorway")
    x, y = door.center
    blocker = FurnitureItem(
        "extra_block", "Storage", "wf_storage_01", door.rooms[0], x, y, 0.0, 1.2, 1.2, 1.0
    )
    bad = dataclasses.replace(world, furniture=(*world.furniture, clone, blocker))
    report = quality_report(bad)
    assert not report["passed"]
    assert report["furniture_overlaps"] >= 1
    assert report["furniture_wall_overlaps"] >= 1
    assert report["doorway_clearance_violations"] >= 1


def _hallway_house() -> WorldTemplateSpec:
    return parse_template_body(hallway_house_body(kitchen_opening=False))


def _hub_house() -> WorldTemplateSpec:
    """The 6-room template of bench/generation.py: a 30 m² living room asked to connect to all five
    other rooms, every room 1:1.3. No slicing layout found gives it both (docs/world-quality.md)."""
    kinds = ["Living", "Kitchen", "Bedroom", "Bathroom", "Dining", "Hallway"]
    areas = [30, 14, 18, 10, 14, 10]
    names = [f"{kind} {i}" for i, kind in enumerate(kinds)]
    rooms = [shaped_room(k, n, a, 1, 1.3) for k, n, a in zip(kinds, names, areas, strict=True)]
    connections = [{"Location": [names[0], other], "ConnectionType": "Doorway"} for other in names[1:]]
    return parse_template_body(floorplan_body(rooms, connections, (1.4, 1)))


@pytest.mark.parametrize("name", ["hallway house", "SixRoomsV2", "OneBedroomHouse"])
def test_desired_connections_and_room_shapes_both_met(name: str) -> None:
    """Where some slicing layout has both, every seed gets both: each desired connection (the hall
    touching every bedroom it serves) and every room within the shape tolerances. The generator
    used to keep the shapes and drop connections (SixRoomsV2 met all in 11 of 40 plans, the
    hallway house in none)."""
    spec = _hallway_house() if name == "hallway house" else _spec(name)
    for seed in range(8):
        plan = generate_floorplan(spec, 700 + seed)
        assert not plan.unmet_connections, (seed, plan.unmet_connections)
        for room in plan.rooms:
            check = room_shape_check(room.requested_area, room.area, room.requested_aspect, room.aspect)
            assert check["area_ok"] and check["aspect_ok"], (seed, room.name, check)


def test_joint_proposal_takes_the_rooms_best_orientation() -> None:
    """Two stacked rooms whose shapes fit best with the footprint tall (about 1:3.4), against a 1.85:1
    footprint preference: the structure is proposed at its best footprint aspect, not at another
    interval where the same rooms are turned the other way and one is 31% off."""
    rooms = [shaped_room("Living", "A", 26.1, 1.47, 1), shaped_room("Kitchen", "B", 33.2, 1.92, 1)]
    connection = {"Location": ["A", "B"], "ConnectionType": "Opening"}
    spec = parse_template_body(floorplan_body(rooms, [connection], (1.85, 1)))
    assert _feasible_trees(spec, ROOM_ASPECT_TOLERANCE, connections=True)
    for seed in range(20, 32):
        plan_ = generate_floorplan(spec, seed)
        assert not plan_.unmet_connections
        for room in plan_.rooms:
            check = room_shape_check(room.requested_area, room.area, room.requested_aspect, room.aspect)
            assert check["area_ok"] and check["aspect_ok"], (seed, room.name, check)


def test_desired_connections_win_over_room_shapes() -> None:
    """When the shapes and the desired connections cannot both be had, the connections (the
    topology asked for) are met; a shape miss is delivered and fails only the quality report."""
    spec = _hub_house()
    for seed in range(3):
        world = generate_world(spec, 40 + seed, 1, check_quality=False)
        assert not world.unmet_connections, (seed, world.unmet_connections)
        report = quality_report(world)
        assert set(report["failures"]) == set(report["shape_failures"]), report["failures"]


def test_joint_interval_search_meets_the_connections() -> None:
    """Every structure of the joint interval search, at exact areas and an aspect inside its
    interval, has every room within the tolerance searched and every desired connection a wall."""
    spec = _hallway_house()
    tolerance = 3 * ROOM_ASPECT_TOLERANCE
    intervals = _feasible_trees(spec, tolerance, connections=True)
    assert intervals
    total = sum(r.area for r in spec.rooms)
    for lo, hi, tree in intervals:
        height = math.sqrt(total / math.exp((lo + hi) / 2))
        rects: dict = {}
        _realize(tree, (0.0, 0.0, total / height, height), _fractions(tree), rects)
        assert _connection_misses(spec, rects)[1] == 0
        for r in spec.rooms:
            x0, y0, x1, y1 = rects[r.name]
            check = room_shape_check(r.area, _area(rects[r.name]), r.x_by_y, (x1 - x0) / (y1 - y0))
            assert check["area_error"] < 1e-6 and check["aspect_error"] <= tolerance + 1e-6


@pytest.mark.parametrize("name", ["hallway house", "SixRoomsV2", "OneBedroomHouse", "OneRoom"])
def test_room_shapes_within_tolerance(name: str) -> None:
    """Area within ±10% and aspect (long/short) within ±15% of the request, for every room and
    seed (the old generator made a 1.2 bedroom 2.25 and a 3.0 hall 1.64)."""
    spec = _hallway_house() if name == "hallway house" else _spec(name)
    for seed in range(12):
        plan = generate_floorplan(spec, 500 + seed)
        for room in plan.rooms:
            check = room_shape_check(room.requested_area, room.area, room.requested_aspect, room.aspect)
            assert check["area_ok"] and check["aspect_ok"], (seed, room.name, check)


def test_room_shape_check_tolerance_is_orientation_free() -> None:
    """The tolerance compares long/short; whether the room kept the requested x:y orientation is
    reported beside it (aspects are x/y ratios)."""
    turned = room_shape_check(20, 20, 3.0, 1 / 3.0)  # a 1:3 room for a 3:1 request
    assert turned["aspect_ok"] and not turned["orientation_kept"]
    assert room_shape_check(20, 20, 1 / 3.0, 1 / 3.1)["orientation_kept"]
    assert not room_shape_check(20, 20, 1 / 1.2, 1.25)["orientation_kept"]
    assert room_shape_check(20, 20, 1.0, 1 / 1.14)["orientation_kept"]  # a square request: either way
    tall = room_shape_check(20, 20, 1.2, 2.25)
    assert not tall["aspect_ok"] and tall["aspect_error"] == pytest.approx(0.875)
    assert room_shape_check(20, 22, 1.0, 1.0)["area_ok"]
    assert not room_shape_check(20, 22.5, 1.0, 1.0)["area_ok"]
    assert room_shape_check(10, 10, 3.0, 3.0 * (1 + ROOM_ASPECT_TOLERANCE))["aspect_ok"]
    assert not room_shape_check(10, 10, 3.0, 3.0 * (1 + ROOM_ASPECT_TOLERANCE) + 0.01)["aspect_ok"]
    assert ROOM_AREA_TOLERANCE == 0.10 and ROOM_ASPECT_TOLERANCE == 0.15


def test_quality_report_fails_rooms_off_their_shape() -> None:
    world = _worlds("SixRoomsV2", 1, 1)[0]
    assert quality_report(world)["passed"]
    # The same rooms judged against other requests: the hall as if 1.64 had been asked for 3.0's
    # place, the bedroom as if a much bigger one had been requested.
    hall, bedroom = world.room("Hall"), world.room("Main Bedroom")
    rooms = tuple(
        dataclasses.replace(r, requested_aspect=long_short(r.aspect) * 1.8)
        if r is hall
        else dataclasses.replace(r, requested_area=r.area * 1.25)
        if r is bedroom
        else r
        for r in world.rooms
    )
    report = quality_report(dataclasses.replace(world, rooms=rooms))
    assert not report["passed"]
    by_name = {r["name"]: r for r in report["rooms"]}
    assert not by_name["Hall"]["aspect_ok"] and by_name["Hall"]["area_ok"]
    assert not by_name["Main Bedroom"]["area_ok"] and by_name["Main Bedroom"]["aspect_ok"]
    assert by_name["Hall"]["requested_aspect"] == pytest.approx(long_short(hall.aspect) * 1.8, abs=1e-3)
    assert len(report["shape_failures"]) == 2 and set(report["shape_failures"]) <= set(report["failures"])
    assert (
        "'Hall' aspect ratio" in report["shape_failures"][0]
        or "'Hall' aspect ratio" in report["shape_failures"][1]
    )
    assert report["tolerances"] == {"room_area": 0.10, "room_aspect": 0.15}


def test_shape_misses_keep_the_world_and_fail_its_report() -> None:
    """A request no slicing layout meets (a square 150 m² room beside a square 10 m² one: the
    small room must span a whole side of the big one) still generates: shapes are preferences,
    and the quality report says which rooms missed."""

    def room(name: str, area: float) -> dict:
        return {
            "Type": "Living",
            "Name": name,
            "DesiredShape": {"Area": area, "AspectRatio": {"x": 1, "y": 1}},
        }

    body = {"Buildings": [{"Floors": [{"Floorplan": {"Rooms": [room("Big", 150), room("Small", 10)]}}]}]}
    spec = parse_template_body(json.dumps(body))
    assert not _feasible_trees(spec, ROOM_ASPECT_TOLERANCE)
    world = generate_world(spec, 1, 1)
    report = quality_report(world)
    assert not report["passed"] and report["shape_failures"]
    assert set(report["failures"]) == set(report["shape_failures"])


# ----------------------------------------------------------------------------------------------
# Property test over random valid templates

NAMES = [f"Room {i}" for i in range(6)]


@st.composite
def template_bodies(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    version = draw(st.sampled_from(["1", "2"]))
    rooms = []
    for i in range(n):
        big = draw(st.booleans()) and draw(st.booleans())
        rooms.append(
            {
                "Type": draw(st.sampled_from(ROOM_TYPES)),
                "Name": NAMES[i],
                "DesiredShape": {
                    "Area": draw(st.floats(10, 120 if big else 40)),
                    "AspectRatio": {"x": draw(st.floats(1, 4)), "y": draw(st.floats(1, 4))},
                },
            }
        )
    connections = []
    used: dict[frozenset[str], str] = {}
    for _ in range(draw(st.integers(0, min(12, 2 * (n - 1))))):
        a, b = draw(st.sampled_from([(x, y) for x in range(n) for y in range(n) if x != y]))
        kind = draw(st.sampled_from(["Doorway", "Opening"]))
        key = frozenset((NAMES[a], NAMES[b]))
        if key in used and (kind == "Opening" or used[key] == "Opening"):
            continue
        used[key] = kind
        connections.append({"Location": [NAMES[a], NAMES[b]], "ConnectionType": kind})
    arrangement = {
        "Name": "rule",
        "TargetSet": {"RoomNames": [NAMES[0]]},
        "DesiredSpatialDensity": draw(st.sampled_from(["Sparse", "Moderate", "Dense"])),
    }
    if draw(st.booleans()):
        arrangement["SampleSet"] = {"ModelTypes": draw(st.lists(st.sampled_from(MODEL_TYPES), max_size=6))}
    body = {
        "Version": version,
        "Buildings": [
            {
                "Floors": [
                    {
                        "Floorplan": {
                            "Footprint": {"DesiredAspectRatio": {"x": draw(st.floats(1, 4)), "y": 1}},
                            "Ceiling": {"Height": draw(st.floats(2.4, 4.0))},
                            "Rooms": rooms,
                            "DesiredConnections": connections,
                        },
                        "Interior": {"Furniture": {"FurnitureArrangements": [arrangement]}},
                    }
                ]
            }
        ],
    }
    return json.dumps(body)


# derandomize: CI runs the same 20 examples every time (a random draw made CI flaky: a rare
# counterexample is a finding for a developer run, shrinking it took longer than the test timeout).
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(body=template_bodies(), seed=st.integers(0, 2**31))
def test_random_templates_hold_invariants(body: str, seed: int) -> None:
    spec = parse_template_body(body)
    try:
        world = generate_world(spec, seed, seed + 1, check_quality=False)
    except WorldGenerationError as exc:
        assert str(exc)
        return
    report = quality_report(world)
    assert not set(report["failures"]) - set(report["shape_failures"]), report["failures"]
    if _feasible_trees(spec, ROOM_ASPECT_TOLERANCE, connections=True):
        # Jointly feasible: some slicing layout gives every room its exact area and a shape within
        # tolerance, and every desired connection a wall long enough for it.
        assert not report["shape_failures"], report["shape_failures"]
        assert not world.unmet_connections, world.unmet_connections
    assert math.isclose(sum(r.area for r in world.rooms), sum(r.area for r in spec.rooms), rel_tol=0.1)


def test_ids_unique_when_names_differ_only_in_punctuation() -> None:
    body = {
        "Buildings": [
            {
                "Floors": [
                    {
                        "Floorplan": {
                            "Rooms": [
                                {"Type": "Bedroom", "Name": "Bed room"},
                                {"Type": "Bedroom", "Name": "Bed_room"},
                                {"Type": "Living", "Name": "Living"},
                            ]
                        }
                    }
                ]
            }
        ]
    }
    world = generate_world(parse_template_body(json.dumps(body)), 1, 1)
    for items in (world.walls, world.doorways, world.furniture):
        ids = [x.id for x in items]
        assert len(ids) == len(set(ids))
    walls = {w.id for w in world.walls}
    assert all(d.wall in walls for d in world.doorways)


def test_generate_job_worlds_ids_and_sharing() -> None:
    spec = _spec("TwoRooms")
    results = list(generate_job_worlds(spec, 2, 3, "abc123def456", "generation_abc123def456_world"))
    assert [wid for wid, _ in results] == [f"generation_abc123def456_world_{n}" for n in range(1, 7)]
    worlds = [w for _, w in results]
    assert all(isinstance(w, World) for w in worlds)
    assert worlds[0].floorplan_seed == worlds[2].floorplan_seed != worlds[3].floorplan_seed
    assert len({w.interior_seed for w in worlds}) == 6
