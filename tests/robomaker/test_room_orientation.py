"""Rooms keep the template's x:y orientation (``AspectRatio`` x over y) when a floor plan can."""

from __future__ import annotations

import pytest

from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import generate_world, quality_report, world_description
from jobforge.services.robomaker.worldgen.floorplan import generate_floorplan
from jobforge.services.robomaker.worldgen.shape import orientation_kept, room_shape_check
from tests.robomaker.samples import floorplan_body, hallway_house_body, sample_body, shaped_room


def _x_by_y(bounds: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = bounds
    return (x1 - x0) / (y1 - y0)


def test_opposite_orientations_kept_against_the_footprint_preference() -> None:
    """A 1:2 bedroom beside a 2:1 living room: side by side both keep their orientation; stacked
    (which the tall footprint preference favours, and the orientation-free search took) both
    would be turned while meeting the long/short tolerance."""
    rooms = [shaped_room("Bedroom", "Bed", 10, 1, 2), shaped_room("Living", "Living", 40, 2, 1)]
    connection = {"Location": ["Bed", "Living"], "ConnectionType": "Doorway"}
    spec = parse_template_body(floorplan_body(rooms, [connection], footprint=(1, 2.5)))
    for seed in range(6):
        plan = generate_floorplan(spec, 300 + seed)
        assert not plan.unmet_connections
        bed, living = plan.room_box("Bed"), plan.room_box("Living")
        assert _x_by_y(bed) == pytest.approx(0.5, rel=0.15) and _x_by_y(living) == pytest.approx(2, rel=0.15)


@pytest.mark.parametrize(("x", "y"), [(1, 2), (2, 1), (1, 3.5)])
def test_one_room_takes_its_orientation_whatever_the_footprint(x: float, y: float) -> None:
    body = floorplan_body([shaped_room("Living", "Living", 24, x, y)], [], footprint=(y, x))
    spec = parse_template_body(body)
    for seed in range(4):
        (room,) = generate_floorplan(spec, seed).rooms
        assert room.aspect == pytest.approx(x / y, rel=0.05)  # a seeded variation of up to 4%
        assert room.requested_aspect == pytest.approx(x / y, abs=1e-4)


@pytest.mark.parametrize(
    "body", [sample_body("OneBedroomHouse"), sample_body("SixRoomsV2"), hallway_house_body()]
)
def test_when_not_all_can_be_kept_most_rooms_are(body: str) -> None:
    """Templates no slicing layout can give every orientation with the shapes and connections: the
    shapes and connections stay met, and at least as many rooms keep their orientation as are
    turned (the layout is transposed when that turns fewer); more, over all seeds."""
    spec = parse_template_body(body)
    all_kept = all_turned = 0
    for seed in range(5):
        plan = generate_floorplan(spec, 40 + seed)
        assert not plan.unmet_connections
        kept = turned = 0
        for room in plan.rooms:
            check = room_shape_check(room.requested_area, room.area, room.requested_aspect, room.aspect)
            assert check["area_ok"] and check["aspect_ok"], (seed, room.name, check)
            if room.requested_aspect != 1.0:
                kept += check["orientation_kept"]
                turned += not check["orientation_kept"]
        assert kept >= turned, (seed, kept, turned)
        all_kept, all_turned = all_kept + kept, all_turned + turned
    assert all_kept > all_turned


def test_reports_say_aspects_as_x_by_y_and_whether_kept() -> None:
    """The description's aspect ratios are x/y like the template's; the quality report says per room
    whether its orientation was kept."""
    spec = parse_template_body(sample_body("OneBedroomHouse"))
    world = generate_world(spec, 7, 1, world_id="w")
    rooms = {r["name"]: r for r in world_description(world)["rooms"]}
    report = {r["name"]: r for r in quality_report(world)["rooms"]}
    for requested in spec.rooms:
        room = rooms[requested.name]
        achieved = _x_by_y(world.room(requested.name).bounds)
        assert room["requestedAspectRatio"] == pytest.approx(requested.x_by_y, abs=1e-4)
        assert room["aspectRatio"] == pytest.approx(achieved, abs=1e-3)
        assert report[requested.name]["orientation_kept"] == orientation_kept(requested.x_by_y, achieved)
