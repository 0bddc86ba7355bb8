"""Interior stage: materials, door states and furniture for a floorplan.

Furniture is placed room by room as *groups* (a bed with nightstands, a desk with its chair, a
sofa with a coffee table and side tables, a dining table with chairs, or a single item). A group
is laid out in a local frame where the wall is the x axis and the room lies at y > 0, then
transformed onto one of the four walls (or, for free-standing groups, around the room centre).
Every item is axis-aligned (yaw is a multiple of 90°), so the hot checks are numpy box tests:
inside the room (off the walls), no overlap with placed items, their front-clearance zones,
doorway clearance zones (a hinged door's whole swing) or the spawn cylinder; then the raster
:class:`NavGrid` confirms the 0.25 m robot can still reach every room from the spawn point with no
enclosed pockets, and, with the door leaves solid at their initial opening, still reaches whole
every room the template's doors leave open. A final exact (shapely) re-check drops the most recent
group next to any pocket or cut-off piece the raster missed.

Spawn: furniture keeps 0.75 m from the spawn point (the guaranteed clear radius is 0.5 m).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import shapely

from jobforge.services.robomaker.template_format import DEFAULT_FURNITURE, WorldTemplateSpec
from jobforge.services.robomaker.worldgen import kitchen
from jobforge.services.robomaker.worldgen.catalog import (
    CATALOG,
    DENSITY_COVERAGE,
    DENSITY_MIN_GROUPS,
    GROUP_CHILDREN,
    ITEM_TYPES,
    PRIORITY,
    Variant,
)
from jobforge.services.robomaker.worldgen.decor import FloorRules, decorate, without_group
from jobforge.services.robomaker.worldgen.floorplan import EXTERIOR_WALL, Floorplan, doorway_keepouts
from jobforge.services.robomaker.worldgen.geometry import (
    Box,
    any_overlap,
    boxes_array,
    circle_hits_box,
    expand,
    inside,
)
from jobforge.services.robomaker.worldgen.navgrid import ROBOT_RADIUS, NavGrid
from jobforge.services.robomaker.worldgen.quality import (
    MIN_COMPONENT_AREA,
    leaf_polygons,
    reachable_space,
    rooms_left_open,
)
from jobforge.services.robomaker.worldgen.room_layout import shared_segment
from jobforge.services.robomaker.worldgen.world import (
    FLOOR_CLEARANCE,
    LEAF_THICKNESS,
    Doorway,
    FurnitureItem,
    Room,
    World,
    _r,
)

WALL_GAP = 0.02  # furniture back to wall face
ROOM_INSET = EXTERIOR_WALL / 2 + WALL_GAP
SPAWN_FURNITURE_RADIUS = 0.75  # furniture keeps further from the spawn than the guaranteed 0.5 m
SIDE_GAP = 0.02
CENTER_CLEARANCE = 0.6
HALF_PI = math.pi / 2
MAX_REPAIRS = 6
WALL_TRIES = 10
WALL_SCAN = 9  # evenly spaced extra positions when a group must go to one given wall
OPPOSITE = {"s": "n", "n": "s", "w": "e", "e": "w"}
EXTERIOR_DOOR_OPEN = 0.0  # the entrance door starts closed (templates' doorway sets name room pairs)
COUNTER_RUN = frozenset({"Fridges", "Ovens", "DishWashers", "Storage", "WashingMachinesAndDryers"})


@dataclass(frozen=True)
class _Part:
    """One item of a group in the group's local frame."""

    type: str
    variant: Variant
    box: Box
    yaw: float
    child: bool = False
    z: float = 0.0  # bottom above the floor: parts at FLOOR_CLEARANCE or higher hang on the wall

    @property
    def on_floor(self) -> bool:
        return self.z < FLOOR_CLEARANCE


@dataclass(frozen=True)
class _Group:
    parts: tuple[_Part, ...]
    zones: tuple[Box, ...]  # front/pull-out clearance, local frame

    def extent(self) -> Box:
        xs0 = min(p.box[0] for p in self.parts)
        ys0 = min(p.box[1] for p in self.parts)
        xs1 = max(p.box[2] for p in self.parts)
        ys1 = max(p.box[3] for p in self.parts)
        return (xs0, ys0, xs1, ys1)


@lru_cache(maxsize=16)
def _navgrid(floorplan: Floorplan) -> NavGrid:
    boxes = [b for w in floorplan.walls for b in w.solid_boxes()]
    return NavGrid(floorplan.footprint, [r.rects for r in floorplan.rooms], boxes, floorplan.spawn)


# ----------------------------------------------------------------------------------------------
# Group layouts (local frame: wall along x at y = 0, room at y > 0, yaw 0 faces +y)


def _single(type_: str, v: Variant) -> _Group:
    fc = CATALOG[type_].front_clearance
    zones = ((0.0, v.depth, v.width, v.depth + fc),) if fc > 0 else ()
    return _Group((_Part(type_, v, (0.0, 0.0, v.width, v.depth), 0.0),), zones)


def _with_sides(main: _Part, side_type: str, sv: Variant, left: bool, right: bool) -> list[_Part]:
    parts = [main]
    x0, _, x1, _ = main.box
    if left:
        parts.append(
            _Part(side_type, sv, (x0 - SIDE_GAP - sv.width, 0.0, x0 - SIDE_GAP, sv.depth), 0.0, True)
        )
    if right:
        parts.append(
            _Part(side_type, sv, (x1 + SIDE_GAP, 0.0, x1 + SIDE_GAP + sv.width, sv.depth), 0.0, True)
        )
    return parts


def _bed_group(v: Variant, nightstand: Variant | None, left: bool, right: bool) -> _Group:
    bed = _Part("Beds", v, (0.0, 0.0, v.width, v.depth), 0.0)
    parts = _with_sides(bed, "Nightstands", nightstand, left, right) if nightstand else [bed]
    # Foot of the bed, plus a walkway along the long side(s): both for double beds, one for singles.
    start = max(nightstand.depth, 0.6) if nightstand else 0.6
    zones = [(0.0, v.depth, v.width, v.depth + 0.6), (v.width, start, v.width + 0.5, v.depth)]
    if v.width >= 1.4:
        zones.append((-0.5, start, 0.0, v.depth))
    return _Group(tuple(parts), tuple(zones))


def _desk_group(v: Variant, chair: Variant | None) -> _Group:
    desk = _Part("Desks", v, (0.0, 0.0, v.width, v.depth), 0.0)
    parts = [desk]
    if chair:
        cx = v.width / 2
        y0 = v.depth + 0.05
        parts.append(
            _Part(
                "DeskChairs",
                chair,
                (cx - chair.width / 2, y0, cx + chair.width / 2, y0 + chair.depth),
                math.pi,
                True,
            )
        )
    return _Group(tuple(parts), ((0.0, v.depth, v.width, v.depth + 0.8),))


def _sofa_group(v: Variant, table: Variant | None, side: Variant | None) -> _Group:
    sofa = _Part("Sofas", v, (0.0, 0.0, v.width, v.depth), 0.0)
    parts = _with_sides(sofa, "EndAndSideTables", side, True, True) if side else [sofa]
    depth = v.depth + 0.6
    if table:
        cx = v.width / 2
        y0 = v.depth + 0.45
        parts.append(
            _Part(
                "CoffeeTables",
                table,
                (cx - table.width / 2, y0, cx + table.width / 2, y0 + table.depth),
                0.0,
                True,
            )
        )
        depth = y0 + table.depth + 0.5
    return _Group(tuple(parts), ((0.0, v.depth, v.width, depth),))


CHAIR_GAP = 0.05  # a dining chair's seat front to the table edge: pushed in
CHAIR_SPACING = 0.5  # table length per chair along a side
# Sides of a dining table that get chairs, fullest first: both long sides (s, n) and both ends
# (w, e), then fewer as the room allows (at least two chairs).
CHAIR_SIDES = ("snwe", "snw", "sne", "sn", "swe", "nwe", "we", "sw", "s")


def _chairs_along(n: int, length: float) -> list[float]:
    return [length * (i + 0.5) / n for i in range(n)]


def _dining_group(v: Variant, chair: Variant, sides: str) -> _Group | None:
    """A dining table with chairs on ``sides`` facing it (a chair per CHAIR_SPACING of a long side,
    one at each end), or None when that makes fewer than two chairs."""
    table = _Part("DiningTables", v, (0.0, 0.0, v.width, v.depth), 0.0)
    n = max(1, int((v.width - 0.1) / CHAIR_SPACING))
    hw, d, g = chair.width / 2, chair.depth, CHAIR_GAP
    parts = [table]
    for cx in _chairs_along(n, v.width):
        if "s" in sides:
            parts.append(_Part("DiningChairs", chair, (cx - hw, -g - d, cx + hw, -g), 0.0, True))
        if "n" in sides:
            box = (cx - hw, v.depth + g, cx + hw, v.depth + g + d)
            parts.append(_Part("DiningChairs", chair, box, math.pi, True))
    cy = v.depth / 2
    if "w" in sides:
        parts.append(_Part("DiningChairs", chair, (-g - d, cy - hw, -g, cy + hw), -HALF_PI, True))
    if "e" in sides:
        box = (v.width + g, cy - hw, v.width + g + d, cy + hw)
        parts.append(_Part("DiningChairs", chair, box, HALF_PI, True))
    if len(parts) < 3:
        return None
    group = _Group(tuple(parts), ())
    return _Group(group.parts, (expand(group.extent(), 0.45),))


TV_DISTANCE = (2.0, 4.0)  # sofa centre to TV-unit centre
TV_VIEW = (2.3, 3.0)  # preferred distance when the sofa stands free in the room
BEHIND_SOFA = 0.7  # walkway kept behind a free-standing sofa


def _media_parts(m: Variant, x0: float, child: bool) -> list[_Part]:
    """A MediaStorage unit against the wall from ``x0``, a TV standing on it."""
    tv = next(t for t in ITEM_TYPES["Televisions"].variants if t.width <= m.width - 0.1)
    cx, cy = x0 + m.width / 2, m.depth / 2
    tv_box = (cx - tv.width / 2, cy - tv.depth / 2, cx + tv.width / 2, cy + tv.depth / 2)
    return [
        _Part("MediaStorage", m, (x0, 0.0, x0 + m.width, m.depth), 0.0, child),
        _Part("Televisions", tv, tv_box, 0.0, True, m.height),
    ]


def _media_group(m: Variant) -> _Group:
    fc = CATALOG["MediaStorage"].front_clearance
    return _Group(tuple(_media_parts(m, 0.0, False)), ((0.0, m.depth, m.width, m.depth + fc),))


def _living_group(
    sofa: Variant, m: Variant, table: Variant | None, side: Variant | None, gap: float, free: bool
) -> _Group:
    """A TV unit against the wall (y = 0) and the sofa facing it ``gap`` further into the room,
    centred on it, with the coffee table between and side tables by the sofa. ``free``: the sofa
    stands free in the room, a walkway kept behind it; else its back is against the far wall."""
    side_w = side.width + SIDE_GAP if side else 0.0
    width = max(sofa.width + 2 * side_w, m.width)
    cx = width / 2
    y0, y1 = m.depth + gap, m.depth + gap + sofa.depth
    main = _Part("Sofas", sofa, (cx - sofa.width / 2, y0, cx + sofa.width / 2, y1), math.pi)
    parts = _with_sides(main, "EndAndSideTables", side, True, True) if side else [main]
    if side:  # side tables against the sofa's back line, facing the room like it
        parts[1:] = [
            replace(p, box=(p.box[0], y1 - side.depth, p.box[2], y1), yaw=math.pi) for p in parts[1:]
        ]
    parts += _media_parts(m, cx - m.width / 2, True)
    if table:
        ty1 = y0 - 0.45
        parts.append(
            _Part(
                "CoffeeTables",
                table,
                (cx - table.width / 2, ty1 - table.depth, cx + table.width / 2, ty1),
                0.0,
                True,
            )
        )
    fc = CATALOG["MediaStorage"].front_clearance
    zones = [
        (cx - m.width / 2, m.depth, cx + m.width / 2, m.depth + fc),
        (cx - sofa.width / 2, m.depth, cx + sofa.width / 2, y0),
    ]
    if free:
        zones.append((0.0, y1, width, y1 + BEHIND_SOFA))
    return _Group(tuple(parts), tuple(zones))


def _place_sofa_facing_tv(
    f: _RoomFurnisher, sofa: Variant, table: Variant | None, side: Variant | None
) -> bool:
    """Place the sofa facing a TV unit on the wall opposite it, 2-4 m apart: its back against the
    far wall when that is the distance, else free-standing with a walkway behind."""
    x0, y0, x1, y1 = f.inner
    sides = ["s", "n", "w", "e"]
    f.rng.shuffle(sides)
    for m in _variants(f.rng, "MediaStorage"):
        for wall in sides:
            across = y1 - y0 if wall in "sn" else x1 - x0
            to_wall = across - m.depth - sofa.depth  # the gap with the sofa against the far wall
            centres = (m.depth + sofa.depth) / 2
            gaps = [(to_wall, False)] if TV_DISTANCE[0] <= to_wall + centres <= TV_DISTANCE[1] else []
            gaps += [(f.rng.uniform(*TV_VIEW) - centres, True) for _ in range(2)]
            for gap, free in gaps:
                if free and gap + BEHIND_SOFA > to_wall:
                    continue
                for extras in ((table, side), (table, None), (None, None)):
                    group = _living_group(sofa, m, *extras, gap, free)
                    if f.place_on_wall(group, only=wall) is not None:
                        f.sides.setdefault("Sofas", OPPOSITE[wall])
                        f.sides.setdefault("MediaStorage", wall)
                        return True
    return False


def _center_single(type_: str, v: Variant) -> _Group:
    part = _Part(type_, v, (0.0, 0.0, v.width, v.depth), 0.0)
    margin = 0.8 if type_ == "KitchenIslandsAndCarts" else CENTER_CLEARANCE
    return _Group((part,), (expand(part.box, margin),))


# ----------------------------------------------------------------------------------------------
# Frames


def _wall_transform(side: str, room: Box):
    """(to_world(box) -> box, yaw offset, wall length) for one wall of the room interior."""
    x0, y0, x1, y1 = room
    if side == "s":
        return (lambda b: (x0 + b[0], y0 + b[1], x0 + b[2], y0 + b[3])), 0.0, x1 - x0
    if side == "n":
        return (lambda b: (x1 - b[2], y1 - b[3], x1 - b[0], y1 - b[1])), math.pi, x1 - x0
    if side == "w":
        return (lambda b: (x0 + b[1], y1 - b[2], x0 + b[3], y1 - b[0])), -HALF_PI, y1 - y0
    return (lambda b: (x1 - b[3], y0 + b[0], x1 - b[1], y0 + b[2])), HALF_PI, y1 - y0


def _along_ranges(side: str, room: Box, boxes: np.ndarray) -> list[tuple[float, float]]:
    """Along-wall ranges (local x) of placed boxes that stand against this wall."""
    x0, y0, x1, y1 = room
    out = []
    for b in boxes:
        if side == "s" and b[1] <= y0 + 0.05:
            out.append((b[0] - x0, b[2] - x0))
        elif side == "n" and b[3] >= y1 - 0.05:
            out.append((x1 - b[2], x1 - b[0]))
        elif side == "w" and b[0] <= x0 + 0.05:
            out.append((y1 - b[3], y1 - b[1]))
        elif side == "e" and b[2] >= x1 - 0.05:
            out.append((b[1] - y0, b[3] - y0))
    return out


def _wrap(yaw: float) -> float:
    yaw = math.remainder(yaw, 2 * math.pi)
    return math.pi if abs(yaw + math.pi) < 1e-9 else yaw


# ----------------------------------------------------------------------------------------------
# Room furnishing


class _RoomFurnisher:
    """Places groups in one room, tracking boxes, clearance zones and the navigation mask."""

    def __init__(
        self,
        room: Room,
        rng: random.Random,
        nav: NavGrid,
        mask: np.ndarray,
        keepouts: np.ndarray,
        spawn: tuple[float, float],
        required: frozenset[int] = frozenset(),
        part: Box | None = None,
        open_sides: tuple[str, ...] = (),
    ) -> None:
        b = part or room.bounds
        self.open_sides = open_sides  # sides of an L room's part open to its other part: no wall
        self.room = room
        self.inner: Box = (b[0] + ROOM_INSET, b[1] + ROOM_INSET, b[2] - ROOM_INSET, b[3] - ROOM_INSET)
        self.rng = rng
        self.nav = nav
        self.mask = mask
        self.keepouts = keepouts
        self.spawn = spawn
        self.required = required  # rooms (NavGrid indices) to keep reachable with solid door leaves
        self.boxes = boxes_array([])
        self.zones = boxes_array([])
        self.parts: list[tuple[_Part, Box, float, int]] = []  # part, world box, world yaw, group index
        self.groups = 0
        self.covered = 0.0
        self.sides: dict[str, str] = {}  # first wall side used per furniture type
        self.took_in: set[str] = set()  # template types the last group placed besides its anchor

    @property
    def inner_area(self) -> float:
        x0, y0, x1, y1 = self.inner
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def _valid(self, boxes: list[Box], zones: list[Box], hung: list[Box]) -> bool:
        if not all(inside(box, self.inner) for box in hung):
            return False
        sx, sy = self.spawn
        for box in boxes:
            if not inside(box, self.inner):
                return False
            if (
                any_overlap(box, self.boxes)
                or any_overlap(box, self.zones)
                or any_overlap(box, self.keepouts)
            ):
                return False
            if circle_hits_box(sx, sy, SPAWN_FURNITURE_RADIUS, box):
                return False
        for zone in zones:
            if not inside(zone, self.inner) or any_overlap(zone, self.boxes):
                return False
        return True

    def _commit(self, group: _Group, boxes: list[Box], zones: list[Box], yaw0: float) -> bool:
        """Place the group's parts at ``boxes`` if they fit; wall-hung parts (above base units
        of the same group) are only kept inside the room."""
        floor = [b for p, b in zip(group.parts, boxes, strict=True) if p.on_floor]
        hung = [b for p, b in zip(group.parts, boxes, strict=True) if not p.on_floor]
        if not self._valid(floor, zones, hung):
            return False
        trial = self.nav.try_add(self.mask, floor, self.required)
        if trial is None:
            return False
        self.mask = trial
        self.boxes = np.vstack([self.boxes, boxes_array(floor)])
        if zones:
            self.zones = np.vstack([self.zones, boxes_array(zones)])
        for part, box in zip(group.parts, boxes, strict=True):
            self.parts.append((part, box, _wrap(part.yaw + yaw0), self.groups))
            if part.on_floor:
                self.covered += (box[2] - box[0]) * (box[3] - box[1])
        self.groups += 1
        return True

    def place_on_wall(
        self,
        group: _Group,
        corner: bool = False,
        prefer_side: str | None = None,
        cluster: bool = False,
        only: str | None = None,
    ) -> str | None:
        """Place ``group`` with its back to a wall (to wall ``only`` if given); returns the wall
        side used, or None.

        ``cluster`` tries positions next to items already on the wall first (kitchen runs).
        """
        e0, _, e1, _ = group.extent()
        if only in self.open_sides:
            return None
        sides = [s for s in ("s", "n", "w", "e") if s not in self.open_sides] if only is None else [only]
        self.rng.shuffle(sides)
        if prefer_side is not None and only is None and prefer_side in sides:
            sides.remove(prefer_side)
            sides.insert(0, prefer_side)
        for side in sides:
            to_world, yaw0, length = _wall_transform(side, self.inner)
            lo, hi = -e0, length - e1
            if hi < lo:
                continue
            ends = [lo, hi]
            self.rng.shuffle(ends)
            if corner:
                cands = ends
            else:
                nexts: list[float] = []
                for a, b in _along_ranges(side, self.inner, self.boxes):
                    nexts += [b + SIDE_GAP - e0, a - SIDE_GAP - e1]
                self.rng.shuffle(nexts)
                cands = nexts + ends if cluster else ends + nexts
                if not cluster:
                    self.rng.shuffle(cands)
                cands += [self.rng.uniform(lo, hi) for _ in range(4)]
                if only is not None:  # one wall: scan it too
                    cands += [lo + (hi - lo) * i / (WALL_SCAN - 1) for i in range(WALL_SCAN)]
            tries = WALL_TRIES if only is None else WALL_TRIES + WALL_SCAN
            for s in [c for c in cands if lo - 1e-9 <= c <= hi + 1e-9][:tries]:
                boxes = [to_world((p.box[0] + s, p.box[1], p.box[2] + s, p.box[3])) for p in group.parts]
                zones = [to_world((z[0] + s, z[1], z[2] + s, z[3])) for z in group.zones]
                if self._commit(group, boxes, zones, yaw0):
                    return side
        return None

    def place_in_center(self, group: _Group, tries: int = 12) -> bool:
        x0, y0, x1, y1 = self.inner
        ex = group.extent()
        long_x = (x1 - x0) >= (y1 - y0)
        for i in range(tries):
            rot = long_x if i % 4 != 3 else not long_x
            # Rotate the local frame by 90° when the group's long side should run along y.
            if rot:
                gw, gh = ex[2] - ex[0], ex[3] - ex[1]

                def tf(b: Box, ex: Box = ex) -> Box:
                    return (b[0] - ex[0], b[1] - ex[1], b[2] - ex[0], b[3] - ex[1])

                yaw0 = 0.0
            else:
                gw, gh = ex[3] - ex[1], ex[2] - ex[0]

                def tf(b: Box, ex: Box = ex) -> Box:
                    # rotate +90°: (x, y) -> (-y, x), then shift to the positive quadrant
                    return (ex[3] - b[3], b[0] - ex[0], ex[3] - b[1], b[2] - ex[0])

                yaw0 = HALF_PI
            cx = (x0 + x1) / 2 + self.rng.uniform(-0.35, 0.35) * max(0.0, x1 - x0 - gw)
            cy = (y0 + y1) / 2 + self.rng.uniform(-0.35, 0.35) * max(0.0, y1 - y0 - gh)
            ox, oy = cx - gw / 2, cy - gh / 2
            boxes = [_offset(tf(p.box), ox, oy) for p in group.parts]
            zones = [_offset(tf(z), ox, oy) for z in group.zones]
            zones = [_clip(z, self.inner) for z in zones]
            if self._commit(group, boxes, [z for z in zones if z is not None], yaw0):
                return True
        return False


def _offset(b: Box, dx: float, dy: float) -> Box:
    return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)


def _clip(z: Box, outer: Box) -> Box | None:
    x0, y0, x1, y1 = max(z[0], outer[0]), max(z[1], outer[1]), min(z[2], outer[2]), min(z[3], outer[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _variants(rng: random.Random, type_: str) -> list[Variant]:
    vs = list(CATALOG[type_].variants)
    rng.shuffle(vs)
    return vs


def _place_type(f: _RoomFurnisher, type_: str, allowed: set[str]) -> bool:
    """Try to place one group anchored on ``type_`` (with its children when they are allowed)."""
    rng = f.rng
    kids = [k for k in GROUP_CHILDREN.get(type_, ()) if k in allowed]
    for v in _variants(rng, type_):
        options: list[_Group] = []
        if type_ == "Beds":
            ns = CATALOG["Nightstands"].variants[0] if "Nightstands" in kids else None
            if ns:
                options += [_bed_group(v, ns, True, True), _bed_group(v, ns, rng.random() < 0.5, True)]
            options.append(_bed_group(v, None, False, False))
        elif type_ == "Desks":
            chair = CATALOG["DeskChairs"].variants[0] if "DeskChairs" in kids else None
            options.append(_desk_group(v, chair))
        elif type_ == "Sofas":
            table = _variants(rng, "CoffeeTables")[0] if "CoffeeTables" in kids else None
            side = CATALOG["EndAndSideTables"].variants[0] if "EndAndSideTables" in kids else None
            tv = "MediaStorage" in allowed and "MediaStorage" not in f.sides
            if tv and _place_sofa_facing_tv(f, v, table, side):
                f.took_in.add("MediaStorage")
                return True
            options += [_sofa_group(v, table, side), _sofa_group(v, table, None), _sofa_group(v, None, None)]
        elif type_ == "DiningTables":  # always with chairs (DiningChairs are its group children)
            chair = CATALOG["DiningChairs"].variants[0]
            options += [g for sides in CHAIR_SIDES if (g := _dining_group(v, chair, sides)) is not None]
        elif type_ == "MediaStorage":
            options.append(_media_group(v))
        else:
            options.append(
                _single(type_, v) if CATALOG[type_].placement != "center" else _center_single(type_, v)
            )
        for group in options:
            placement = CATALOG[type_].placement
            if placement == "center":
                if f.place_in_center(group):
                    return True
                continue
            # A media unit faces the sofa; kitchen appliances line up into a counter run.
            prefer = OPPOSITE.get(f.sides.get("Sofas", "")) if type_ == "MediaStorage" else None
            cluster = type_ in COUNTER_RUN and f.room.type == "Kitchen"
            side = f.place_on_wall(group, corner=placement == "corner", prefer_side=prefer, cluster=cluster)
            if side is not None:
                f.sides.setdefault(type_, side)
                return True
    return False


def _place_kitchen_run(f: _RoomFurnisher, allowed: set[str]) -> frozenset[str]:
    """Place the first kitchen run that fits (one group); returns the template types it took in."""
    for legs in kitchen.run_layouts(f.inner, f.rng, allowed):
        parts: list[_Part] = []
        boxes: list[Box] = []
        zones: list[Box] = []
        for leg in legs:
            to_world, yaw, _ = _wall_transform(leg.side, f.inner)
            for piece in leg.pieces:
                parts.append(_Part(piece.type, piece.variant, piece.box, yaw, bool(parts), piece.z))
                boxes.append(to_world(piece.box))
            zones += [to_world(z) for z in leg.zones]
        if f._commit(_Group(tuple(parts), tuple(zones)), boxes, zones, 0.0):
            return frozenset(p.type for p in parts) & kitchen.RUN_TYPES
    return frozenset()


def _furnish_room(f: _RoomFurnisher, model_types: tuple[str, ...], density: str) -> None:
    allowed = set(model_types)
    if not allowed:
        return
    counts: dict[str, int] = {}
    if f.room.type == "Kitchen":
        counts = dict.fromkeys(_place_kitchen_run(f, allowed), len(PRIORITY))  # in the run: done
    target = DENSITY_COVERAGE[density] * f.inner_area
    min_groups = DENSITY_MIN_GROUPS[density]
    # Anchors: the first types typical for the room type (a kitchen gets its fridge before a table),
    # else the biggest allowed types; the rest are fillers in random order.
    typical = [t for t in DEFAULT_FURNITURE[f.room.type] if t in allowed]
    by_priority = [t for t in PRIORITY if t in allowed]
    anchors = typical[:3] if typical else by_priority[:2]
    fillers = [t for t in by_priority if t not in anchors]
    f.rng.shuffle(fillers)
    placed_parents: set[str] = set()
    # Big rooms (more than ~30 m² of floor) may repeat items, anchors included, over extra rounds;
    # Dense rooms fill up to each type's per-room limit, anchors included (a second armchair).
    scale = max(1, int(f.inner_area // 30))
    passes = (3 if density == "Dense" else 2 if density == "Moderate" else 1) + min(scale - 1, 4)
    repeat_anchors = scale > 1 or density == "Dense"
    for round_ in range(passes):
        placed_any = False
        for t in anchors + fillers if round_ == 0 or repeat_anchors else fillers:
            if f.covered >= target and f.groups >= min_groups:
                return
            parent = next((p for p, kids in GROUP_CHILDREN.items() if t in kids), None)
            if parent is not None and parent in placed_parents:
                continue  # placed with its parent
            most = CATALOG[t].max_per_room * scale
            limit = 1 if round_ == 0 else (scale if t in anchors and density != "Dense" else most)
            if counts.get(t, 0) >= limit:
                continue
            if _place_type(f, t, allowed):
                for placed in (t, *f.took_in):
                    counts[placed] = counts.get(placed, 0) + 1
                f.took_in.clear()
                placed_parents.add(t)
                placed_any = True
        if not placed_any and round_ > 0:
            return


def _repair_pockets(
    floorplan: Floorplan, doorways: list[Doorway], furniture: list[FurnitureItem]
) -> list[FurnitureItem]:
    """Exact re-check of the raster's navigability verdict: while the robot-centre space has an
    enclosed pocket or misses a room, with doors pushable or with their leaves solid (rooms the
    template's doors leave open only), drop the most recently placed group next to the problem."""
    house = shapely.union_all([shapely.Polygon(r.polygon) for r in floorplan.rooms])
    walls = shapely.union_all([shapely.box(*b) for w in floorplan.walls for b in w.solid_boxes()])
    leaves = leaf_polygons(doorways)
    solid = shapely.union_all([walls, *leaves]) if leaves else walls
    spawn = shapely.Point(floorplan.spawn)
    rooms = {r.name: shapely.Polygon(r.polygon) for r in floorplan.rooms}
    left_open = rooms_left_open(floorplan.rooms, doorways, floorplan.spawn)
    for _ in range(MAX_REPAIRS):
        standing = [f for f in furniture if f.blocks_floor]
        polys = [shapely.box(*f.box()) for f in standing]
        union = shapely.union_all(polys) if polys else shapely.Polygon()
        problems = []
        for obstacles, names in ((walls, list(rooms)), (solid, sorted(left_open))):
            parts, spawn_part = reachable_space(house, obstacles, union, spawn, ROBOT_RADIUS)
            cut = [p for p in parts if p is not spawn_part]
            if obstacles is solid:  # pieces of rooms the doors close off are expected
                cut = [
                    p for p in cut if any(p.intersection(rooms[n]).area > MIN_COMPONENT_AREA for n in names)
                ]
            problems += cut
            if spawn_part is not None:
                problems += [rooms[n] for n in names if spawn_part.intersection(rooms[n]).area <= 0.01]
        if not problems:
            break
        near = [i for i, p in enumerate(polys) if any(p.distance(q) < ROBOT_RADIUS + 0.1 for q in problems)]
        if not near:
            break
        victim = standing[max(near)]
        furniture = without_group(furniture, victim.parent or victim.id)
    return furniture


def room_parts(room: Room) -> list[tuple[Box, tuple[str, ...]]]:
    """The rectangles a room is furnished as, each with its sides open to the other part (an L
    room's shared edge: no wall there, so nothing stands with its back to it)."""
    parts = room.rects
    out = []
    for part in parts:
        open_sides = []
        for other in parts:
            seg = shared_segment(part, other) if other is not part else None
            if seg is not None:
                axis, fixed, _, _ = seg
                near = abs(fixed - (part[1] if axis == "x" else part[0])) < 1e-6
                open_sides.append(("s" if near else "n") if axis == "x" else ("w" if near else "e"))
        out.append((part, tuple(open_sides)))
    return out


def _add_items(furniture: list[FurnitureItem], room: Room, f: _RoomFurnisher, counter: int) -> int:
    """Append the furnisher's placed parts to ``furniture`` as items numbered from ``counter``
    (a child points at its group's first item); returns the next number."""
    group_ids: dict[int, str] = {}
    for part, box, yaw, gi in f.parts:
        item_id = f"furniture_{counter}"
        counter += 1
        parent = group_ids.get(gi) if part.child else None
        if not part.child:
            group_ids[gi] = item_id
        furniture.append(
            FurnitureItem(
                id=item_id,
                type=part.type,
                model=part.variant.model,
                room=room.name,
                x=_r((box[0] + box[2]) / 2),
                y=_r((box[1] + box[3]) / 2),
                yaw=_r(yaw),
                width=part.variant.width,
                depth=part.variant.depth,
                height=part.variant.height,
                parent=parent,
                z=part.z,
            )
        )
    return counter


# ----------------------------------------------------------------------------------------------
# Public entry point


def furnish(floorplan: Floorplan, spec: WorldTemplateSpec, seed: int, world_id: str = "world") -> World:
    """A deterministic interior for ``seed`` on ``floorplan``: materials, door states, furniture."""
    rng = random.Random(f"interior:{seed}")
    nav = _navgrid(floorplan)
    mask = nav.blocked.copy()
    doorways = []
    for d in floorplan.doorways:
        if d.exterior:
            d = replace(d, open_percent=EXTERIOR_DOOR_OPEN)
        elif d.has_door:
            pos = spec.door_open_for(*d.rooms)
            percent = float(rng.randrange(0, 101)) if pos == "Random" else float(pos)
            d = replace(d, open_percent=percent)
        doorways.append(d)
    keepouts = boxes_array([k for d in doorways for k in doorway_keepouts(d)])
    for d in doorways:
        outline = d.leaf_outline()
        if outline is not None:
            a, b, c, e = outline
            start = ((a[0] + e[0]) / 2, (a[1] + e[1]) / 2)
            end = ((b[0] + c[0]) / 2, (b[1] + c[1]) / 2)
            nav.block_leaf(mask, start, end, LEAF_THICKNESS / 2)
    left_open = rooms_left_open(floorplan.rooms, doorways, floorplan.spawn)
    required = nav.rooms_reached_with_leaves(mask) & frozenset(
        i for i, r in enumerate(floorplan.rooms) if r.name in left_open
    )
    rooms: list[Room] = []
    furniture: list[FurnitureItem] = []
    counter = 0
    zones: dict[str, np.ndarray] = {}
    for room in floorplan.rooms:
        flooring = rng.choice(spec.flooring_for(room.name).material_types)
        wall_mat = rng.choice(spec.walls_for(room.name).material_types)
        choice = spec.furniture_for(room.name)
        rooms.append(
            replace(room, flooring=flooring, wall_material=wall_mat, furniture_density=choice.density)
        )
        room_zones = []
        for rect, open_sides in room_parts(room):
            f = _RoomFurnisher(room, rng, nav, mask, keepouts, floorplan.spawn, required, rect, open_sides)
            _furnish_room(f, choice.model_types, choice.density)
            mask = f.mask
            room_zones.append(f.zones)
            counter = _add_items(furniture, room, f, counter)
        zones[room.name] = np.vstack(room_zones)
    rules = FloorRules(keepouts, nav, mask, required, floorplan.spawn, SPAWN_FURNITURE_RADIUS)
    furniture = decorate(rooms, doorways, furniture, zones, rules, ROOM_INSET, seed)
    furniture = _repair_pockets(floorplan, doorways, furniture)
    return World(
        world_id=world_id,
        template_version=floorplan.template_version,
        floorplan_seed=floorplan.seed,
        interior_seed=seed,
        ceiling_height=floorplan.ceiling_height,
        footprint=floorplan.footprint,
        rooms=tuple(rooms),
        walls=floorplan.walls,
        doorways=tuple(doorways),
        furniture=tuple(furniture),
        spawn=floorplan.spawn,
        spawn_clear_radius=0.5,
        unmet_connections=floorplan.unmet_connections,
        requested_footprint_aspect=floorplan.requested_footprint_aspect,
        outline=floorplan.outline,
    )
