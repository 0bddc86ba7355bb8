"""Serializable world model shared by the generator, the description, the preview and the SDF export.

Coordinates are metres in the world frame: x east, y north, z up, floor at z = 0, the robot spawn
point at the origin. Yaw is radians, counter-clockwise from +x; a furniture item's *front* faces
its local +y axis rotated by yaw (yaw 0 = front faces +y). All values are plain floats/strings so
``to_dict()`` is JSON-safe and ``from_dict(to_dict(w)) == w``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from jobforge.services.robomaker.worldgen.geometry import polygon_area, rect_parts


class WorldGenerationError(RuntimeError):
    """A world could not be generated for a (valid) template; the job reports it as a failed world."""


def _r(value: float) -> float:
    """Round to 0.1 mm so serialized worlds are tidy and stable."""
    return round(float(value), 4) + 0.0


Point = tuple[float, float]

OUTSIDE = "(outside)"  # the other side of an exterior door (no room name can contain parentheses)
LEAF_THICKNESS = 0.04  # a door leaf as the SDF export builds it: this thick, pivoting this far
HINGE_CLEARANCE = 0.03  # into the gap from the hinge, LEAF_INSET shorter than the gap
LEAF_INSET = 2 * HINGE_CLEARANCE - 0.01
FLOOR_CLEARANCE = 0.5  # items whose bottom is this high (wall cabinets) leave the floor free to drive
TRAVERSABLE_HEIGHT = 0.02  # items no taller than this lying on the floor (rugs) are driven over


@dataclass(frozen=True)
class Room:
    """A room: a counter-clockwise axis-aligned polygon on wall centre lines (a rectangle, or the
    union of rectangles with no wall between them), plus its chosen materials."""

    name: str
    type: str
    original_name: str | None
    polygon: tuple[Point, ...]  # counter-clockwise, wall centre lines
    requested_area: float
    requested_aspect: float  # the template's x/y (AspectRatio x over y): orientation included
    flooring: str = ""
    wall_material: str = ""
    furniture_density: str = "Moderate"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def rects(self) -> tuple[tuple[float, float, float, float], ...]:
        """The room as rectangles with no wall between them: its box, or an L room's two parts."""
        return rect_parts(self.polygon)

    def part_at(self, start: Point, end: Point) -> tuple[float, float, float, float]:
        """The rectangle part of the room that a wall from ``start`` to ``end`` bounds (the room's
        box for a rectangle; the first part along the wall's line overlapping it for an L)."""
        along_x = abs(end[0] - start[0]) >= abs(end[1] - start[1])
        k = 1 if along_x else 0
        line, a, b = start[k], min(start[1 - k], end[1 - k]), max(start[1 - k], end[1 - k])
        parts = self.rects
        for part in parts:
            lo, hi, near, far = part[1 - k], part[3 - k], part[k], part[k + 2]
            if min(hi, b) - max(lo, a) > 1e-6 and min(abs(near - line), abs(far - line)) < 1e-3:
                return part
        return parts[0]

    def side_of(self, start: Point, end: Point) -> float:
        """+1 when the room lies on the positive side of the wall from ``start`` to ``end`` (larger
        y for a wall along x, larger x for one along y), else -1."""
        along_x = abs(end[0] - start[0]) >= abs(end[1] - start[1])
        x0, y0, x1, y1 = self.part_at(start, end)
        centre, line = ((y0 + y1) / 2, start[1]) if along_x else ((x0 + x1) / 2, start[0])
        return 1.0 if centre > line else -1.0

    @property
    def area(self) -> float:
        """Floor area on wall centre lines (shoelace formula: exact for any polygon)."""
        return abs(polygon_area(self.polygon))

    @property
    def aspect(self) -> float:
        """Extent along x over extent along y of the room's bounding box (compare with
        ``requested_aspect``; for a non-rectangular room the box is the room's overall shape)."""
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0) / (y1 - y0)


@dataclass(frozen=True)
class Wall:
    """A straight wall on a centre line from start to end, with gaps (doorways/openings) along it.

    ``gaps`` are (from, to) distances along the wall measured from ``start``.
    """

    id: str
    start: Point
    end: Point
    thickness: float
    height: float
    rooms: tuple[str, ...]  # one room (exterior wall) or two (interior wall)
    gaps: tuple[tuple[float, float], ...] = ()

    @property
    def length(self) -> float:
        return abs(self.end[0] - self.start[0]) + abs(self.end[1] - self.start[1])

    def solid_pieces(self) -> list[tuple[Point, Point]]:
        """Centre-line pieces that are actually built (the wall minus its gaps)."""
        length = self.length
        if length <= 0:
            return []
        ux = (self.end[0] - self.start[0]) / length
        uy = (self.end[1] - self.start[1]) / length
        pieces: list[tuple[Point, Point]] = []
        cursor = 0.0
        for g0, g1 in sorted(self.gaps):
            if g0 - cursor > 1e-6:
                pieces.append((cursor, g0))
            cursor = max(cursor, g1)
        if length - cursor > 1e-6:
            pieces.append((cursor, length))
        sx, sy = self.start
        return [((sx + ux * a, sy + uy * a), (sx + ux * b, sy + uy * b)) for a, b in pieces]

    def solid_boxes(self) -> list[tuple[float, float, float, float]]:
        """Axis-aligned boxes (x0, y0, x1, y1) of the built wall pieces (thickness across, exact
        length along: gaps keep their full width)."""
        half = self.thickness / 2
        along_x = abs(self.end[0] - self.start[0]) >= abs(self.end[1] - self.start[1])
        hx, hy = (0.0, half) if along_x else (half, 0.0)
        out = []
        for (ax, ay), (bx, by) in self.solid_pieces():
            out.append((min(ax, bx) - hx, min(ay, by) - hy, max(ax, bx) + hx, max(ay, by) + hy))
        return out


@dataclass(frozen=True)
class Doorway:
    """A connection between two rooms: a doorway (door-width gap, optionally a hinged door) or an
    opening (the shared wall removed).

    ``center`` is the middle of the gap on the wall centre line; ``axis`` is the wall direction
    ("x" or "y"). A hinged door (V2 templates) has its hinge at ``hinge``, swings into
    ``swing_room`` and starts ``open_percent`` open (0 closed, 100 = 90 degrees).
    """

    id: str
    kind: str  # "Doorway" | "Opening"
    rooms: tuple[str, str]
    wall: str
    center: Point
    width: float
    axis: str
    requested: bool
    height: float = 2.1
    has_door: bool = False
    hinge: Point | None = None
    swing_room: str | None = None
    swing_sign: float = 0.0  # +1/-1: side of the wall (perpendicular axis) the door swings into
    open_percent: float | None = None

    def clear_width(self) -> float:
        """Width left free by the door leaf at its initial position (the full gap when door-less)."""
        if not self.has_door or self.open_percent is None:
            return self.width
        return self.width * (1.0 - math.cos(math.radians(90.0 * self.open_percent / 100.0)))

    def door_leaf(self) -> tuple[Point, Point] | None:
        """The door leaf as a segment from the hinge at its initial open position."""
        if not self.has_door or self.hinge is None or self.open_percent is None:
            return None
        hx, hy = self.hinge
        cx, cy = self.center
        # Closed: the leaf points from the hinge along the wall towards the gap centre.
        if self.axis == "x":
            along = (1.0 if cx > hx else -1.0, 0.0)
            normal = (0.0, self.swing_sign)
        else:
            along = (0.0, 1.0 if cy > hy else -1.0)
            normal = (self.swing_sign, 0.0)
        theta = math.radians(90.0 * self.open_percent / 100.0)
        dx = along[0] * math.cos(theta) + normal[0] * math.sin(theta)
        dy = along[1] * math.cos(theta) + normal[1] * math.sin(theta)
        return (hx, hy), (hx + dx * self.width, hy + dy * self.width)

    @property
    def exterior(self) -> bool:
        """Whether this is an exterior door (its second room is :data:`OUTSIDE`)."""
        return OUTSIDE in self.rooms

    def leaf_outline(self) -> tuple[Point, Point, Point, Point] | None:
        """The solid door leaf at its initial opening, as the SDF export poses it (a
        LEAF_THICKNESS slab pivoting HINGE_CLEARANCE into the gap): its four corners, or None."""
        leaf = self.door_leaf()
        if leaf is None:
            return None
        (hx, hy), (ex, ey) = leaf
        ux, uy = (ex - hx) / self.width, (ey - hy) / self.width
        cx, cy = self.center
        ax, ay = (1.0 if cx > hx else -1.0, 0.0) if self.axis == "x" else (0.0, 1.0 if cy > hy else -1.0)
        px, py = hx + ax * HINGE_CLEARANCE, hy + ay * HINGE_CLEARANCE
        length = self.width - LEAF_INSET
        nx, ny = -uy * LEAF_THICKNESS / 2, ux * LEAF_THICKNESS / 2
        qx, qy = px + ux * length, py + uy * length
        return ((px + nx, py + ny), (qx + nx, qy + ny), (qx - nx, qy - ny), (px - nx, py - ny))


@dataclass(frozen=True)
class Window:
    """A window in an exterior wall: an opening ``width`` wide centred on ``center`` (wall centre
    line) from ``sill`` to ``top`` above the floor, wall below (the sill) and above (the lintel),
    a glass pane in it. The wall stays whole at floor level, so navigation ignores windows."""

    id: str
    room: str
    wall: str
    center: Point
    width: float
    axis: str  # the wall direction, "x" or "y"
    sill: float
    top: float

    def span(self) -> tuple[float, float]:
        """(from, to) of the opening along the wall axis (world coordinates)."""
        c = self.center[0] if self.axis == "x" else self.center[1]
        return c - self.width / 2, c + self.width / 2


@dataclass(frozen=True)
class FurnitureItem:
    """A piece of furniture: catalogue model, pose and box size (width along its front).

    ``z`` is the bottom above the floor: 0 for furniture standing on it, the wall-mount height of a
    wall cabinet, the top of the surface an object stands on (its ``parent``)."""

    id: str
    type: str  # a template ModelType or a generated type (catalog.ITEM_TYPES)
    model: str
    room: str
    x: float
    y: float
    yaw: float
    width: float
    depth: float
    height: float
    parent: str | None = None  # group parent (e.g. the table of a dining chair)
    z: float = 0.0

    @property
    def top(self) -> float:
        return self.z + self.height

    @property
    def blocks_floor(self) -> bool:
        """Whether a ground robot must drive around it (not a rug, not a wall cabinet)."""
        return self.z < FLOOR_CLEARANCE and self.top > TRAVERSABLE_HEIGHT

    def apart_vertically(self, other: FurnitureItem, tolerance: float = 0.005) -> bool:
        """Whether the two items' height ranges are disjoint (one above the other)."""
        return self.top <= other.z + tolerance or other.top <= self.z + tolerance

    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned footprint (yaw is always a multiple of 90 degrees)."""
        quarter = round(self.yaw / (math.pi / 2)) % 2
        w, d = (self.depth, self.width) if quarter else (self.width, self.depth)
        return (self.x - w / 2, self.y - d / 2, self.x + w / 2, self.y + d / 2)


@dataclass(frozen=True)
class World:
    """A generated world: architecture, interior and the seeds that reproduce it."""

    world_id: str
    template_version: str
    floorplan_seed: int
    interior_seed: int
    ceiling_height: float
    footprint: tuple[float, float, float, float]  # x0, y0, x1, y1 on wall centre lines
    rooms: tuple[Room, ...]
    walls: tuple[Wall, ...]
    doorways: tuple[Doorway, ...]
    furniture: tuple[FurnitureItem, ...]
    spawn: Point = (0.0, 0.0)
    spawn_clear_radius: float = 0.5
    unmet_connections: tuple[tuple[str, str, str], ...] = ()
    requested_footprint_aspect: float = 1.0  # template Footprint x / y
    windows: tuple[Window, ...] = ()
    # The house outline on wall centre lines, counter-clockwise: the footprint rectangle, or an L or
    # U inside it (empty in worlds stored before outlines: then the footprint rectangle).
    outline: tuple[Point, ...] = ()

    @property
    def outline_polygon(self) -> tuple[Point, ...]:
        """The outline, or the footprint rectangle for a world stored without one."""
        if self.outline:
            return self.outline
        x0, y0, x1, y1 = self.footprint
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    @property
    def footprint_shape(self) -> str:
        """ "rectangle", "L" or "U" (the footprint rectangle with a corner or a notch outside)."""
        return footprint_shape(self.outline_polygon)

    def full_height(self, wall: Wall) -> Wall:
        """``wall`` with its windows cut out as well as its doorways: what stands floor to ceiling."""
        along = 0 if wall.start[1] == wall.end[1] else 1
        origin = wall.start[along]
        cuts = tuple(
            (_r(a - origin), _r(b - origin)) for w in self.windows if w.wall == wall.id for a, b in [w.span()]
        )
        return replace(wall, gaps=tuple(sorted(wall.gaps + cuts))) if cuts else wall

    def room(self, name: str) -> Room:
        for r in self.rooms:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (lists instead of tuples)."""
        return _to_plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> World:
        """Inverse of :meth:`to_dict`."""
        return World(
            world_id=data["world_id"],
            template_version=data["template_version"],
            floorplan_seed=int(data["floorplan_seed"]),
            interior_seed=int(data["interior_seed"]),
            ceiling_height=float(data["ceiling_height"]),
            footprint=_tup(data["footprint"]),
            rooms=tuple(
                Room(**{**r, "polygon": tuple(_tup(p) for p in r["polygon"])}) for r in data["rooms"]
            ),
            walls=tuple(
                Wall(
                    **{
                        **w,
                        "start": _tup(w["start"]),
                        "end": _tup(w["end"]),
                        "rooms": tuple(w["rooms"]),
                        "gaps": tuple(_tup(g) for g in w["gaps"]),
                    }
                )
                for w in data["walls"]
            ),
            doorways=tuple(
                Doorway(
                    **{
                        **d,
                        "rooms": tuple(d["rooms"]),
                        "center": _tup(d["center"]),
                        "hinge": None if d["hinge"] is None else _tup(d["hinge"]),
                    }
                )
                for d in data["doorways"]
            ),
            furniture=tuple(FurnitureItem(**f) for f in data["furniture"]),
            spawn=_tup(data["spawn"]),
            spawn_clear_radius=float(data["spawn_clear_radius"]),
            unmet_connections=tuple(tuple(u) for u in data["unmet_connections"]),
            requested_footprint_aspect=float(data.get("requested_footprint_aspect", 1.0)),
            windows=tuple(Window(**{**w, "center": _tup(w["center"])}) for w in data.get("windows", [])),
            outline=tuple(_tup(p) for p in data.get("outline", [])),
        )


def footprint_shape(outline: tuple[Point, ...]) -> str:
    """The name of an axis-aligned outline's shape by its corner count: 4 "rectangle", 6 "L",
    8 "U" (an outline made of a rectangle with one corner or one notch outside)."""
    return {4: "rectangle", 6: "L", 8: "U"}.get(len(outline), f"{len(outline)}-gon")


def _tup(value: Any) -> tuple:
    return tuple(value)


def _to_plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    return value
