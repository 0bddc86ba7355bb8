"""Items above the floor (``FurnitureItem.z``): objects on a surface and wall cabinets do not count
as overlaps with what they stand on or hang above, rugs and wall cabinets leave the floor drivable,
and the export puts each item at its height."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from jobforge.services.robomaker.export.sdf import WorldSdf
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world, quality_report
from jobforge.services.robomaker.worldgen.world import FurnitureItem
from tests.robomaker.samples import hallway_house_body


def _world() -> World:
    world = generate_world(parse_template_body(hallway_house_body()), 11, 12)
    assert isinstance(world, World)
    return world


def _copy(item: FurnitureItem, suffix: str, **changes: float) -> FurnitureItem:
    return dataclasses.replace(item, id=item.id + suffix, **changes)


def test_an_item_on_top_of_another_is_no_overlap_but_one_inside_it_is() -> None:
    world = _world()
    base = max((it for it in world.furniture if it.blocks_floor), key=lambda it: it.width * it.depth)
    on_top = _copy(base, "_top", z=base.top, height=0.1, width=0.2, depth=0.2, parent=base.id)
    inside = _copy(base, "_in", z=base.top - 0.05, height=0.1, width=0.2, depth=0.2, parent=base.id)
    assert quality_report(world)["furniture_overlaps"] == 0
    stacked = dataclasses.replace(world, furniture=(*world.furniture, on_top))
    assert quality_report(stacked)["furniture_overlaps"] == 0
    sunk = dataclasses.replace(world, furniture=(*world.furniture, inside))
    assert quality_report(sunk)["furniture_overlaps"] == 1


def test_rugs_and_wall_cabinets_leave_the_floor_free_but_a_box_there_blocks_it() -> None:
    world = _world()
    cx, cy = world.spawn  # covering the spawn point cuts everything off unless the robot drives over
    template = world.furniture[0]
    cover = {"x": cx, "y": cy, "yaw": 0.0, "width": 3.0, "depth": 3.0}

    def report(**changes: float) -> dict:
        item = dataclasses.replace(template, id="probe", room=world.rooms[0].name, **cover, **changes)
        return quality_report(dataclasses.replace(world, furniture=(item,)))

    assert report(z=0.0, height=0.01)["spawn"]["clear"]
    assert report(z=1.4, height=0.7)["spawn"]["clear"]
    assert not report(z=0.0, height=0.4)["spawn"]["clear"]


def test_the_sdf_puts_each_item_at_its_height() -> None:
    world = _world()
    lifted = dataclasses.replace(world.furniture[0], z=0.75)
    sdf = WorldSdf(dataclasses.replace(world, furniture=(lifted,)))
    (include,) = ET.fromstring(f"<w>{sdf.furniture()}</w>").iter("include")
    assert [float(v) for v in include.findtext("pose").split()][:3] == [lifted.x, lifted.y, 0.75]
