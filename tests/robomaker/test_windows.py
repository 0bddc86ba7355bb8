"""Windows in the exterior walls of Version 2 worlds: where they go, what they avoid, and the SDF
pieces (sill, lintel, glass) that build them; Version 1 worlds have none."""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET
from dataclasses import replace

import mujoco
import pytest
from PIL import Image

from jobforge.services.robomaker.export.mjcf import world_mjcf
from jobforge.services.robomaker.export.sdf import WorldSdf
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import FurnitureItem, World, generate_world, place_windows
from jobforge.services.robomaker.worldgen.description import world_description
from jobforge.services.robomaker.worldgen.preview import MARGIN_M, WINDOW_GLASS, render_preview
from jobforge.services.robomaker.worldgen.windows import CORNER_MARGIN, DOOR_MARGIN
from tests.robomaker.physics import furnished_six_rooms
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body

SEEDS = ((11, 12), (21, 22), (5, 6), (40, 41))


@pytest.fixture(scope="module")
def v2_worlds() -> list[World]:
    specs = [parse_template_body(json.dumps(SIX_ROOMS_V2)), parse_template_body(furnished_six_rooms())]
    return [generate_world(spec, a, b, world_id=f"w{a}") for spec in specs for a, b in SEEDS]


def _along(point: tuple[float, float], axis: str) -> float:
    return point[0] if axis == "x" else point[1]


def _overlap(a: tuple[float, float], b: tuple[float, float], margin: float = 0.0) -> bool:
    return a[0] < b[1] + margin - 1e-6 and b[0] < a[1] + margin - 1e-6


def test_windows_sit_in_exterior_walls_clear_of_corners_and_doorways(v2_worlds: list[World]) -> None:
    for world in v2_worlds:
        assert world.windows, f"{world.world_id}: a Version 2 world with exterior walls has windows"
        assert len({w.id for w in world.windows}) == len(world.windows)
        walls = {w.id: w for w in world.walls}
        assert any(d.exterior for d in world.doorways), "the entrance door is among the doorways checked"
        for window in world.windows:
            wall = walls[window.wall]
            assert wall.rooms == (window.room,), f"{window.id} is in an exterior wall of its own room"
            assert world.room(window.room).type != "Closet"
            fixed = wall.start[1] if window.axis == "x" else wall.start[0]
            assert (window.center[1] if window.axis == "x" else window.center[0]) == pytest.approx(fixed)
            x0, y0, x1, y1 = world.room(window.room).bounds
            lo, hi = (x0, x1) if window.axis == "x" else (y0, y1)
            a, b = window.span()
            assert lo + CORNER_MARGIN < a and b < hi - CORNER_MARGIN, f"{window.id} is off the corners"
            assert 0.0 < window.sill < window.top < world.ceiling_height
            for door in world.doorways:  # any doorway in the same wall line, the entrance door too
                across = _along(door.center, "y" if door.axis == "x" else "x")
                if door.axis != window.axis or abs(across - fixed) > 1e-6:
                    continue
                c = _along(door.center, door.axis)
                gap = (c - door.width / 2, c + door.width / 2)
                assert not _overlap(gap, (a, b), DOOR_MARGIN), f"{window.id} overlaps {door.id}"
            for other in world.windows:
                if other.id != window.id and other.wall == window.wall:
                    assert not _overlap(other.span(), (a, b)), f"{window.id} overlaps {other.id}"


def test_no_taller_item_stands_against_a_window(v2_worlds: list[World]) -> None:
    for world in v2_worlds:
        walls = {w.id: w for w in world.walls}
        for window in world.windows:
            wall = walls[window.wall]
            fixed = wall.start[1] if window.axis == "x" else wall.start[0]
            k = 0 if window.axis == "x" else 1
            for item in world.furniture:
                if item.room != window.room or item.height <= window.sill:
                    continue
                box = item.box()
                distance = min(abs(box[1 - k] - fixed), abs(box[3 - k] - fixed)) - wall.thickness / 2
                if distance < 0.3:
                    assert not _overlap((box[k], box[k + 2]), window.span()), f"{item.id} blocks {window.id}"


def test_tall_items_along_a_wall_move_its_window_elsewhere(v2_worlds: list[World]) -> None:
    world = v2_worlds[0]
    room = world.room(world.windows[0].room)
    exterior = [w for w in world.walls if w.rooms == (room.name,)]
    x0, y0, x1, y1 = room.bounds

    def wardrobes(walls: list) -> tuple[FurnitureItem, ...]:
        """A 2 m tall item standing along the whole inner face of each wall."""
        items = []
        for i, wall in enumerate(walls):
            t = wall.thickness / 2 + 0.02
            if wall.start[1] == wall.end[1]:
                y = wall.start[1] + (t + 0.25 if wall.start[1] < (y0 + y1) / 2 else -t - 0.25)
                pose = ((x0 + x1) / 2, y, 0.0)
                width = x1 - x0 - 0.2
            else:
                x = wall.start[0] + (t + 0.25 if wall.start[0] < (x0 + x1) / 2 else -t - 0.25)
                pose = (x, (y0 + y1) / 2, math.pi / 2)
                width = y1 - y0 - 0.2
            items.append(FurnitureItem(f"tall_{i}", "Storage", "m", room.name, *pose, width, 0.5, 2.0))
        return tuple(items)

    everywhere = place_windows(replace(world, furniture=world.furniture + wardrobes(exterior)))
    assert not [w for w in everywhere.windows if w.room == room.name]
    if len(exterior) > 1:
        keep = exterior[-1]
        rest = [w for w in exterior if w is not keep]
        moved = place_windows(replace(world, furniture=world.furniture + wardrobes(rest)))
        assert {w.wall for w in moved.windows if w.room == room.name} == {keep.id}


def _extent(collision: ET.Element) -> tuple[list[float], list[float]]:
    centre = [float(v) for v in collision.findtext("pose").split()[:3]]
    half = [float(v) / 2 for v in collision.findtext("geometry/box/size").split()]
    return [c - h for c, h in zip(centre, half, strict=True)], [
        c + h for c, h in zip(centre, half, strict=True)
    ]


def _contains(lo: list[float], hi: list[float], point: tuple[float, float, float]) -> bool:
    return all(lo[i] - 1e-6 <= p <= hi[i] + 1e-6 for i, p in enumerate(point))


def test_the_sdf_builds_sill_lintel_and_glass_with_the_opening_between(v2_worlds: list[World]) -> None:
    world = v2_worlds[0]
    walls = ET.fromstring(WorldSdf(world).world_document()).find("world/model[@name='walls']/link")
    boxes = {c.get("name"): _extent(c) for c in walls.findall("collision")}
    thickness = {w.id: w.thickness for w in world.walls}
    for window in world.windows:
        sill, lintel = boxes[f"sill_{window.id}_collision"], boxes[f"lintel_{window.id}_collision"]
        glass = boxes[f"glass_{window.id}_collision"]
        assert sill[0][2] == pytest.approx(0.0) and sill[1][2] == pytest.approx(window.sill)
        assert lintel[0][2] == pytest.approx(window.top) and lintel[1][2] == pytest.approx(
            world.ceiling_height
        )
        assert glass[0][2] == pytest.approx(window.sill) and glass[1][2] == pytest.approx(window.top)
        across = 1 if window.axis == "x" else 0
        assert glass[1][across] - glass[0][across] < thickness[window.wall] / 5
        visual = walls.find(f"visual[@name='glass_{window.id}_visual']")
        assert float(visual.findtext("transparency")) > 0.3
        # Through the middle of the opening only the pane; below it the sill, above it the lintel.
        cx, cy = window.center
        probes = {
            "glass": (window.sill + window.top) / 2,
            "sill": window.sill / 2,
            "lintel": (window.top + world.ceiling_height) / 2,
        }
        for expected, z in probes.items():
            hits = [n for n, (lo, hi) in boxes.items() if _contains(lo, hi, (cx, cy, z))]
            assert hits == [f"{expected}_{window.id}_collision"]
    model = mujoco.MjModel.from_xml_string(world_mjcf(WorldSdf(world).world_document()))
    panes = [i for i in range(model.ngeom) if model.geom(i).name.startswith("walls/glass_")]
    assert len(panes) == len(world.windows) and all(model.geom_rgba[i][3] < 1 for i in panes)


def test_windows_are_deterministic_described_and_serialized(v2_worlds: list[World]) -> None:
    spec = parse_template_body(json.dumps(SIX_ROOMS_V2))
    again = generate_world(spec, *SEEDS[0], world_id="w11")
    assert again.windows == v2_worlds[0].windows
    assert v2_worlds[1].windows != v2_worlds[0].windows  # another floorplan seed, other windows
    assert World.from_dict(json.loads(json.dumps(again.to_dict()))) == again
    described = world_description(again)["windows"]
    assert [w["id"] for w in described] == [w.id for w in again.windows]
    assert described[0]["sill"] == again.windows[0].sill and described[0]["wall"] == again.windows[0].wall


def test_version_1_worlds_have_no_windows() -> None:
    world = generate_world(parse_template_body(sample_body("OneBedroomHouse")), 3, 4)
    assert world.windows == () and world_description(world)["windows"] == []
    walls = ET.fromstring(WorldSdf(world).world_document()).find("world/model[@name='walls']/link")
    assert not [c for c in walls.findall("collision") if "window" in c.get("name", "")]


def test_the_preview_draws_each_window_as_glass_in_its_wall(v2_worlds: list[World]) -> None:
    world = v2_worlds[0]
    assert world.windows
    with_glass = Image.open(io.BytesIO(render_preview(world))).convert("RGB")
    without = Image.open(io.BytesIO(render_preview(replace(world, windows=())))).convert("RGB")
    assert without.getcolors(1 << 20) is not None
    assert WINDOW_GLASS not in {c for _, c in without.getcolors(1 << 20)}
    glass_pixels = sum(n for n, c in with_glass.getcolors(1 << 20) if c == WINDOW_GLASS)
    # Every window contributes a glass line about as long as it is wide (px per metre from the image).
    fx0, _, fx1, _ = world.footprint
    px_per_m = with_glass.width / (fx1 - fx0 + 2 * MARGIN_M)
    assert glass_pixels >= sum(w.width for w in world.windows) * px_per_m * 0.9
