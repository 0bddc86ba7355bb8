"""The ``nav2`` export format: the map read back as Nav2's map_server reads it (trinary thresholds
of its YAML), its frame, door leaves, reachability from the spawn against the quality report, the
semantic map, and the files in an export zip through boto3."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from typing import Any

import numpy as np
import pytest
import shapely
import yaml
from scipy import ndimage

from jobforge.services.robomaker.export import WORLDS_DIR
from jobforge.services.robomaker.export.formats import TAG, parse_formats
from jobforge.services.robomaker.export.nav2 import render_nav2
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world, quality_report
from jobforge.services.robomaker.worldgen.navgrid import ROBOT_RADIUS
from jobforge.services.robomaker.worldgen.quality import MIN_COMPONENT_AREA
from jobforge.storage import LocalObjectStore
from tests.robomaker.samples import hallway_house_body, unconnected_house_body
from tests.robomaker.test_world_export import generate_worlds, wait_export
from tests.support import JobforgeServer, client

ACCOUNT_KEY = "100000000018"  # this module's own account (tests/conftest.py gives it BUCKET)
BUCKET = "exports-nav2"
FREE, UNKNOWN, OCCUPIED = 0, 1, 2
BAND = 0.03  # m: rooms whose exact reachability flips within this of the robot radius are borderline


@dataclasses.dataclass
class Nav2Map:
    """A map as map_server loads it: cell states (row 0 south), resolution, origin."""

    state: np.ndarray
    resolution: float
    origin: tuple[float, float]

    def at(self, x: float, y: float) -> int:
        return int(
            self.state[
                int((y - self.origin[1]) // self.resolution), int((x - self.origin[0]) // self.resolution)
            ]
        )

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        ny, nx = self.state.shape
        xs = self.origin[0] + (np.arange(nx) + 0.5) * self.resolution
        ys = self.origin[1] + (np.arange(ny) + 0.5) * self.resolution
        return np.meshgrid(xs, ys)


def load_map(files: dict[str, bytes]) -> Nav2Map:
    """Parse map.yaml and the P5 PGM it names; classify as nav2_map_server's trinary mode does."""
    meta = yaml.safe_load(files["map.yaml"])
    assert meta["mode"] == "trinary" and meta["negate"] == 0 and meta["resolution"] == 0.05
    assert meta["occupied_thresh"] == 0.65 and meta["free_thresh"] == 0.25
    data = files[meta["image"]]
    header = re.match(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header is not None
    width, height, maxval = map(int, header.groups())
    assert maxval == 255 and len(data) == header.end() + width * height
    pixels = np.frombuffer(data[header.end() :], np.uint8).reshape(height, width)[::-1]
    occ = 1.0 - pixels / 255.0
    state = np.where(
        occ > meta["occupied_thresh"], OCCUPIED, np.where(occ < meta["free_thresh"], FREE, UNKNOWN)
    )
    assert meta["origin"][2] == 0
    return Nav2Map(state, meta["resolution"], (meta["origin"][0], meta["origin"][1]))


def reached_rooms(world: World, grid: Nav2Map, radius: float = ROBOT_RADIUS) -> dict[str, bool]:
    """Per room, as quality.py decides ``reachable_with_doors`` but on the map: the robot-centre
    space (free cells at least ``radius`` from any other cell) of the spawn's 8-connected component
    enters the room, and no other component holds a usable piece of it."""
    clearance = ndimage.distance_transform_edt(grid.state == FREE) * grid.resolution
    labels, _ = ndimage.label(clearance >= radius, structure=np.ones((3, 3)))
    spawn = labels[
        int((world.spawn[1] - grid.origin[1]) // grid.resolution),
        int((world.spawn[0] - grid.origin[0]) // grid.resolution),
    ]
    xs, ys = grid.centres()
    cell = grid.resolution**2
    out = {}
    for room in world.rooms:
        inside = shapely.contains_xy(shapely.Polygon(room.polygon), xs, ys)
        entered = np.count_nonzero(inside & (labels == spawn)) * cell if spawn else 0.0
        cut_off = np.count_nonzero(inside & (labels > 0) & (labels != spawn)) * cell
        out[room.name] = bool(entered > 0.01 and cut_off <= MIN_COMPONENT_AREA)
    return out


def _with_doors(world: World, percent: float) -> World:
    doorways = tuple(
        dataclasses.replace(d, open_percent=percent) if d.has_door and not d.exterior else d
        for d in world.doorways
    )
    return dataclasses.replace(world, doorways=doorways, world_id=f"{world.world_id}_{percent:g}")


@pytest.fixture(scope="module")
def worlds() -> list[World]:
    """An L-shaped hallway house and a U-shaped six-room house, default (open) doors, and the
    hallway house with its inner doors closed, 20 % open (a 4 cm gap) and half open."""
    hallway = generate_world(parse_template_body(hallway_house_body()), 3, 103, world_id="nav_hall")
    u_house = generate_world(parse_template_body(unconnected_house_body()), 7, 107, world_id="nav_u")
    assert (hallway.footprint_shape, u_house.footprint_shape) == ("L", "U")
    return [hallway, u_house, *(_with_doors(hallway, p) for p in (0.0, 20.0, 70.0))]


@pytest.fixture(scope="module")
def maps(worlds: list[World]) -> list[tuple[World, dict[str, bytes], Nav2Map]]:
    out = []
    for world in worlds:
        files = render_nav2(world)
        out.append((world, files, load_map(files)))
    return out


def test_files_and_determinism(maps: list) -> None:
    for world, files, _ in maps:
        assert set(files) == {"map.pgm", "map.yaml", "semantic.yaml"}
        assert render_nav2(world) == files
    assert "nav2" in parse_formats("gz+nav2")


def test_the_frame_round_trips(maps: list) -> None:
    """World points land on the pixel the YAML's origin and resolution say: wall and furniture
    centres occupied, the spawn free, beyond the house outline unknown."""
    for world, _, grid in maps:
        for wall in world.walls:
            for x0, y0, x1, y1 in wall.solid_boxes():
                assert grid.at((x0 + x1) / 2, (y0 + y1) / 2) == OCCUPIED, wall.id
        for item in world.furniture:
            if item.blocks_floor:
                assert grid.at(item.x, item.y) == OCCUPIED, item.id
        assert grid.at(*world.spawn) == FREE
        x0, y0, x1, y1 = world.footprint
        outline = shapely.Polygon(world.outline_polygon)
        void = shapely.box(x0, y0, x1, y1).difference(outline.buffer(0.3))  # the L's or U's cut-out
        assert not void.is_empty
        point = void.representative_point()
        assert grid.at(point.x, point.y) == UNKNOWN
        assert grid.at(x0 - 0.3, y0 - 0.3) == UNKNOWN and grid.at(x1 + 0.3, y1 + 0.3) == UNKNOWN
        assert grid.state.shape[1] * grid.resolution >= x1 - x0 + 0.9


def test_every_free_cell_is_free_floor(maps: list) -> None:
    """Free cells are exactly the outline's cells that no wall, floor-blocking furniture or door
    leaf touches (checked against shapely geometry, cell by cell)."""
    for world, _, grid in maps:
        boxes = [shapely.box(*b) for w in world.walls for b in w.solid_boxes()]
        boxes += [shapely.box(*it.box()) for it in world.furniture if it.blocks_floor]
        leaves = [shapely.Polygon(o) for d in world.doorways if (o := d.leaf_outline()) is not None]
        obstacles = shapely.union_all(boxes + leaves)
        xs, ys = grid.centres()
        half = grid.resolution / 2 - 1e-6  # overlapping a cell by a micrometre occupies it
        cells = shapely.box(xs - half, ys - half, xs + half, ys + half)
        touched = shapely.intersects(obstacles, cells)
        inside = shapely.contains_xy(shapely.Polygon(world.outline_polygon), xs, ys)
        assert np.array_equal(grid.state == OCCUPIED, touched)
        assert np.array_equal(grid.state == FREE, inside & ~touched)


def test_door_leaves_are_occupied(maps: list) -> None:
    checked = 0
    for world, _, grid in maps:
        for door in world.doorways:
            outline = door.leaf_outline()
            if outline is None:
                continue
            (ax, ay), _, (bx, by), _ = outline  # opposite corners: the leaf's diagonal
            for t in np.linspace(0.0, 1.0, 15):
                assert grid.at(ax + t * (bx - ax), ay + t * (by - ay)) == OCCUPIED, door.id
            checked += 1
    assert checked >= 8


def test_reachable_space_matches_the_quality_report(maps: list) -> None:
    """Per room, the map's free space reachable from the spawn (eroded by the robot radius) against
    the report's ``reachable_with_doors``; rooms whose exact answer changes within BAND of the
    radius are borderline for a 5 cm raster and left out (few, counted)."""
    compared = {True: 0, False: 0}
    borderline = 0
    for world, _, grid in maps:
        exact = {
            radius: {r["name"]: r["reachable_with_doors"] for r in quality_report(world, radius)["rooms"]}
            for radius in (ROBOT_RADIUS - BAND, ROBOT_RADIUS, ROBOT_RADIUS + BAND)
        }
        on_map = reached_rooms(world, grid)
        for room in world.rooms:
            answers = {e[room.name] for e in exact.values()}
            if len(answers) > 1:
                borderline += 1
                continue
            expected = exact[ROBOT_RADIUS][room.name]
            assert on_map[room.name] == expected, (world.world_id, room.name, expected)
            compared[expected] += 1
    assert compared[True] >= 15 and compared[False] >= 6, compared
    assert borderline <= 3, borderline


def test_semantic_map(maps: list) -> None:
    for world, files, _ in maps:
        semantic = yaml.safe_load(files["semantic.yaml"])
        assert semantic["world_id"] == world.world_id and semantic["map"] == "map.yaml"
        assert semantic["spawn"] == {"x": world.spawn[0], "y": world.spawn[1], "z": 0.0, "yaw": 0.0}
        assert [(r["name"], r["type"]) for r in semantic["rooms"]] == [(r.name, r.type) for r in world.rooms]
        for entry, room in zip(semantic["rooms"], world.rooms, strict=True):
            assert [tuple(p) for p in entry["polygon"]] == list(room.polygon)
            assert shapely.Polygon(entry["polygon"]).equals(shapely.Polygon(room.polygon))
        assert [tuple(p) for p in semantic["outline"]] == list(world.outline_polygon)
        assert len(semantic["doors"]) == len(world.doorways)
        for entry, door in zip(semantic["doors"], world.doorways, strict=True):
            assert entry["id"] == door.id and tuple(entry["center"]) == door.center
            assert entry["width"] == door.width and entry["rooms"] == list(door.rooms)
            if not door.has_door:
                assert entry["state"] == "none" and entry["leaf"] is None
            else:
                state = {0.0: "closed", 100.0: "open"}.get(door.open_percent, "ajar")
                assert entry["state"] == state and entry["open_percent"] == door.open_percent
                assert [tuple(p) for p in entry["leaf"]] == [
                    (round(x, 4), round(y, 4)) for x, y in door.leaf_outline()
                ]
        assert [w["id"] for w in semantic["windows"]] == [w.id for w in world.windows]


def test_export_zip_holds_nav2_maps(server: JobforgeServer) -> None:
    """``jobforge:formats: nav2`` through boto3: each world's ``nav2/`` folder loads as a map."""
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    LocalObjectStore(server.data_dir).create_bucket(BUCKET)
    worlds = generate_worlds(robomaker, floorplans=1, interiors=1)["worlds"]
    created = robomaker.create_world_export_job(
        worlds=worlds,
        outputLocation={"s3Bucket": BUCKET},
        iamRole=f"arn:aws:iam::{ACCOUNT_KEY}:role/export",
        tags={TAG: "nav2"},
    )
    job = wait_export(robomaker, created["arn"])
    assert job["status"] == "Completed", job.get("failureReason")
    key = "aws-robomaker-worldforge-export-" + created["arn"].rsplit("/export-", 1)[1] + ".zip"
    with zipfile.ZipFile(io.BytesIO(LocalObjectStore(server.data_dir).get_bytes(BUCKET, key))) as archive:
        (world_id,) = [arn.rsplit("/", 1)[1] for arn in worlds]
        folder = f"{WORLDS_DIR}/worlds/{world_id}/nav2"
        files: dict[str, Any] = {
            name: archive.read(f"{folder}/{name}") for name in ("map.pgm", "map.yaml", "semantic.yaml")
        }
    grid = load_map(files)
    assert np.count_nonzero(grid.state == FREE) * grid.resolution**2 > 20  # m² of free floor
    assert yaml.safe_load(files["semantic.yaml"])["world_id"] == world_id
