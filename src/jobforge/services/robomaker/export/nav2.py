"""The ``nav2`` export format: a Nav2 ``map_server`` occupancy map, a semantic map and the spawn pose.

Per world three files (docs/robomaker-worlds.md, "Nav2 maps"):

- ``map.pgm``: binary PGM (P5, 8-bit), one pixel per 5 cm cell, first row the north edge.
  Occupied (0): walls at floor level (windows do not cut them), furniture a ground robot drives
  around (:attr:`FurnitureItem.blocks_floor`), door leaves at their initial opening
  (:meth:`Doorway.leaf_outline`). A cell is occupied when an obstacle overlaps it at all.
  Free (254): every other cell whose centre lies inside the house outline. Unknown (128): the rest.
- ``map.yaml``: the ``map_server`` description: trinary mode, resolution 0.05, origin = the
  lower-left corner of the lower-left pixel. Unknown is 128 rather than map_saver's 205, which
  ``free_thresh: 0.25`` would load as free (navigation2 PR #5278).
- ``semantic.yaml``: rooms (name, type, polygon), doors (centre, width, state, opening, leaf),
  windows and the spawn pose in the ``map`` frame.

Rasterization is numpy throughout: boxes become index ranges, polygons an even-odd scanline over
cell centres, door leaves a separating-axis test over the cells of their bounding box.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from jobforge.services.robomaker.worldgen.navgrid import ROBOT_RADIUS
from jobforge.services.robomaker.worldgen.quality import passable
from jobforge.services.robomaker.worldgen.world import Doorway, Point, World

if TYPE_CHECKING:
    from jobforge.services.robomaker.export.archive import RenderedWorld

RESOLUTION = 0.05  # m per cell
MARGIN = 0.5  # m of unknown around the footprint (exterior walls stick out half their thickness)
OCCUPIED, FREE, UNKNOWN = 0, 254, 128
OCCUPIED_THRESH, FREE_THRESH = 0.65, 0.25
MAP_IMAGE, MAP_YAML, SEMANTIC_YAML = "map.pgm", "map.yaml", "semantic.yaml"
_EPS = 1e-6  # m: an obstacle must overlap a cell by more than this to occupy it


@dataclass(frozen=True)
class MapGrid:
    """The raster: ``shape`` (rows, columns), row 0 at ``origin``'s y (south), column 0 at its x."""

    origin: Point
    shape: tuple[int, int]
    resolution: float = RESOLUTION

    @classmethod
    def around(cls, world: World, margin: float = MARGIN, resolution: float = RESOLUTION) -> MapGrid:
        """The footprint plus ``margin``, the origin on a multiple of the resolution."""
        x0, y0, x1, y1 = world.footprint
        ox = math.floor((x0 - margin) / resolution + 1e-9) * resolution
        oy = math.floor((y0 - margin) / resolution + 1e-9) * resolution
        nx = math.ceil((x1 + margin - ox) / resolution - 1e-9)
        ny = math.ceil((y1 + margin - oy) / resolution - 1e-9)
        return cls((round(ox, 6), round(oy, 6)), (ny, nx), resolution)

    def centres(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along x (``axis`` 0) or y (1)."""
        count = self.shape[1 - axis]
        return self.origin[axis] + (np.arange(count) + 0.5) * self.resolution

    def index_range(self, lo: float, hi: float, axis: int) -> tuple[int, int]:
        """Cells along ``axis`` that the interval [lo, hi] overlaps (clipped to the grid)."""
        o, n = self.origin[axis], self.shape[1 - axis]
        start = math.floor((lo + _EPS - o) / self.resolution)
        stop = math.ceil((hi - _EPS - o) / self.resolution)
        return max(0, start), min(n, stop)


def render_nav2(world: World) -> dict[str, bytes]:
    """The ``nav2`` files of one world: ``map.pgm``, ``map.yaml`` and ``semantic.yaml``."""
    grid = MapGrid.around(world)
    cells = occupancy(world, grid)
    return {
        MAP_IMAGE: pgm_bytes(cells, f"jobforge nav2 map of {world.world_id}"),
        MAP_YAML: _yaml(map_metadata(grid)).encode(),
        SEMANTIC_YAML: _yaml(semantic_map(world)).encode(),
    }


def render_world(world: World, base: RenderedWorld) -> dict[str, bytes]:
    """The ``nav2`` export format (export/formats.py): :func:`render_nav2`; ``base`` is not needed."""
    return render_nav2(world)


def occupancy(world: World, grid: MapGrid) -> np.ndarray:
    """The trinary map, row 0 south: unknown, free inside the outline, occupied obstacles."""
    cells = np.full(grid.shape, UNKNOWN, dtype=np.uint8)
    cells[polygon_mask(grid, world.outline_polygon)] = FREE
    boxes = [b for w in world.walls for b in w.solid_boxes()]
    boxes += [it.box() for it in world.furniture if it.blocks_floor]
    for x0, y0, x1, y1 in boxes:
        i0, i1 = grid.index_range(x0, x1, 0)
        j0, j1 = grid.index_range(y0, y1, 1)
        cells[j0:j1, i0:i1] = OCCUPIED
    for door in world.doorways:
        outline = door.leaf_outline()
        if outline is not None:
            mark_convex(cells, grid, outline, OCCUPIED)
    return cells


def polygon_mask(grid: MapGrid, polygon: tuple[Point, ...]) -> np.ndarray:
    """Cells whose centre lies inside ``polygon`` (even-odd rule, any simple polygon)."""
    ny, nx = grid.shape
    cx, cy = grid.centres(0), grid.centres(1)
    crossings = np.zeros((ny, nx + 1), dtype=np.int16)
    pts = np.asarray(polygon, dtype=float)
    for (ax, ay), (bx, by) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        if ay == by:
            continue
        rows = np.nonzero((cy >= min(ay, by)) & (cy < max(ay, by)))[0]
        x_at = ax + (cy[rows] - ay) * (bx - ax) / (by - ay)
        # The edge crosses the ray going west from every centre east of it: count them per row.
        first = np.searchsorted(cx, x_at, side="right")
        np.add.at(crossings, (rows, first), 1)
    return np.cumsum(crossings, axis=1)[:, :nx] % 2 == 1


def mark_convex(cells: np.ndarray, grid: MapGrid, corners: tuple[Point, ...], value: int) -> None:
    """Set every cell a convex polygon overlaps (separating-axis test against each cell square)."""
    pts = np.asarray(corners, dtype=float)
    i0, i1 = grid.index_range(pts[:, 0].min(), pts[:, 0].max(), 0)
    j0, j1 = grid.index_range(pts[:, 1].min(), pts[:, 1].max(), 1)
    if i0 >= i1 or j0 >= j1:
        return
    cx = grid.centres(0)[None, i0:i1]
    cy = grid.centres(1)[j0:j1, None]
    half = grid.resolution / 2
    hit = np.ones((j1 - j0, i1 - i0), dtype=bool)
    for (ax, ay), (bx, by) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        nx, ny = ay - by, bx - ax  # an edge normal; the cell's own axes are the index ranges
        proj = pts @ np.array([nx, ny])
        centre = cx * nx + cy * ny
        reach = half * (abs(nx) + abs(ny)) - _EPS * math.hypot(nx, ny)
        hit &= (centre + reach > proj.min()) & (centre - reach < proj.max())
    cells[j0:j1, i0:i1][hit] = value


def pgm_bytes(cells: np.ndarray, comment: str) -> bytes:
    """Binary 8-bit PGM, rows north to south (``cells`` row 0 is south)."""
    ny, nx = cells.shape
    header = f"P5\n# {comment}\n{nx} {ny}\n255\n".encode()
    return header + np.ascontiguousarray(cells[::-1]).tobytes()


def map_metadata(grid: MapGrid) -> dict[str, Any]:
    """The ``map_server`` YAML of the map."""
    return {
        "image": MAP_IMAGE,
        "mode": "trinary",
        "resolution": grid.resolution,
        "origin": [grid.origin[0], grid.origin[1], 0.0],
        "negate": 0,
        "occupied_thresh": OCCUPIED_THRESH,
        "free_thresh": FREE_THRESH,
    }


def door_state(door: Doorway) -> str:
    """ "none" (no leaf), "closed", "open" (90 degrees) or "ajar"."""
    if not door.has_door or door.open_percent is None:
        return "none"
    if door.open_percent <= 0:
        return "closed"
    return "open" if door.open_percent >= 100 else "ajar"


def semantic_map(world: World) -> dict[str, Any]:
    """Rooms, doors, windows and the spawn pose of a world, in the map frame (metres, radians)."""
    rooms = [
        {"name": r.name, "type": r.type, "area": round(r.area, 4), "polygon": _points(r.polygon)}
        for r in world.rooms
    ]
    doors = []
    for d in world.doorways:
        leaf = d.leaf_outline()
        opening = None if d.open_percent is None or not d.has_door else 90.0 * d.open_percent / 100.0
        doors.append(
            {
                "id": d.id,
                "kind": d.kind,
                "rooms": list(d.rooms),
                "exterior": d.exterior,
                "center": _points([d.center])[0],
                "width": d.width,
                "axis": d.axis,
                "state": door_state(d),
                "open_percent": d.open_percent if d.has_door else None,
                "opening_deg": None if opening is None else round(opening, 4),
                "clear_width": round(d.clear_width(), 4),
                "passable": passable(d, ROBOT_RADIUS),
                "hinge": None if d.hinge is None or not d.has_door else _points([d.hinge])[0],
                "swing_room": d.swing_room if d.has_door else None,
                "leaf": None if leaf is None else _points(leaf),
            }
        )
    windows = [
        {"id": w.id, "room": w.room, "center": _points([w.center])[0], "width": w.width,
         "axis": w.axis, "sill": w.sill, "top": w.top}
        for w in world.windows
    ]  # fmt: skip
    return {
        "world_id": world.world_id,
        "frame_id": "map",
        "map": MAP_YAML,
        "robot_radius": ROBOT_RADIUS,
        "spawn": {"x": world.spawn[0], "y": world.spawn[1], "z": 0.0, "yaw": 0.0},
        "outline": _points(world.outline_polygon),
        "rooms": rooms,
        "doors": doors,
        "windows": windows,
    }


def _points(points: Any) -> list[list[float]]:
    return [[round(float(x), 4) + 0.0, round(float(y), 4) + 0.0] for x, y in points]


def _yaml(value: dict[str, Any]) -> str:
    """Block-style YAML of a dict; scalars and lists of scalars/points in JSON (valid YAML) form."""
    return "\n".join(_yaml_lines(value, 0)) + "\n"


def _yaml_lines(value: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines += [f"{pad}{key}:", *_yaml_lines(item, indent + 2)]
        elif isinstance(item, list) and item and all(isinstance(x, dict) for x in item):
            lines.append(f"{pad}{key}:")
            for entry in item:
                body = _yaml_lines(entry, indent + 4)
                lines += [f"{pad}  - {body[0].lstrip()}", *body[1:]]
        else:
            lines.append(f"{pad}{key}: {json.dumps(item)}")
    return lines
