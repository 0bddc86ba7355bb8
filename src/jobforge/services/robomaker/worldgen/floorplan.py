"""Floorplan stage: footprint → rectangular rooms → walls → doorways/openings → spawn point.

The rooms' rectangles come from :mod:`.room_layout` (a slicing floor plan meeting the desired
connections and room shapes). Rooms sharing a wall long enough for a doorway are adjacent (a
networkx graph); desired connections become doorways/openings, then doorways grown from the
entrance room join the other rooms public to private (bathrooms and closets as leaves, a bedroom
leading only to its own bathroom or closet), and Version 2 worlds get a closed exterior entrance
door in an exterior wall of the entrance room.

Conventions: walls are centred on room boundaries (exterior 0.15 m, interior 0.10 m thick); room
areas/aspects are measured on wall centre lines; doorways are 0.9 m gaps at least 0.3 m from the
ends of the shared wall; V2 doorways carry a hinged door. The spawn point (origin) is the centre of
a public room (Living > Hallway > Dining > Kitchen > others), moved if needed so that a disc of
radius 0.5 m (the "clear 1 m cylinder", read as 1 m diameter) is free of walls and door swings.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

import networkx as nx

from jobforge.services.robomaker.template_format import RoomSpec, WorldTemplateSpec
from jobforge.services.robomaker.worldgen.geometry import Box, circle_hits_box, union_outline
from jobforge.services.robomaker.worldgen.room_layout import (
    DOOR_END_MARGIN,
    DOOR_WIDTH,
    MIN_DOOR_SPAN,
    MIN_OPENING_SPAN,
    VOID,
    Layout,
    footprint_void,
    search_layout,
    search_shaped_layout,
    shared_segment,
)
from jobforge.services.robomaker.worldgen.room_shapes import Parts, Segment, l_layout, pair_segments
from jobforge.services.robomaker.worldgen.world import OUTSIDE, Doorway, Room, Wall, WorldGenerationError, _r

EXTERIOR_WALL = 0.15
INTERIOR_WALL = 0.10
DOOR_HEIGHT = 2.1
DOOR_CLEARANCE = 0.5
SPAWN_CLEAR_RADIUS = 0.5
_PUBLIC = {"Living", "Hallway", "Dining", "Kitchen"}
_PRIVATE = {"Bedroom", "Bathroom", "Closet"}
_SPAWN_PREFERENCE = ("Living", "Hallway", "Dining", "Kitchen", "Bedroom", "Bathroom", "Closet")
_ENTRANCE_PREFERENCE = ("Hallway", "Living", "Dining", "Kitchen", "Bedroom", "Closet", "Bathroom")
LEAF_ROOMS = ("Bathroom", "Closet")  # private rooms that lead nowhere else


@dataclass(frozen=True)
class Floorplan:
    """Architecture of one world, shared by all interiors generated for it."""

    template_version: str
    seed: int
    ceiling_height: float
    footprint: Box
    rooms: tuple[Room, ...]
    walls: tuple[Wall, ...]
    doorways: tuple[Doorway, ...]
    spawn: tuple[float, float]
    unmet_connections: tuple[tuple[str, str, str], ...]
    requested_footprint_aspect: float = 1.0
    score: float = field(default=0.0, compare=False)
    outline: tuple[tuple[float, float], ...] = ()  # counter-clockwise, wall centre lines (World.outline)

    def room_box(self, name: str) -> Box:
        for r in self.rooms:
            if r.name == name:
                return r.bounds
        raise KeyError(name)


def doorway_keepouts(d: Doorway) -> list[Box]:
    """Boxes that must stay free of furniture: DOOR_CLEARANCE on both sides of the gap, and the
    whole swing of a hinged door on its swing side."""
    cx, cy = d.center
    half = d.width / 2 + 0.05
    depth = {1.0: DOOR_CLEARANCE, -1.0: DOOR_CLEARANCE}
    if d.has_door:
        depth[d.swing_sign] = max(DOOR_CLEARANCE, d.width + 0.1)
    boxes = []
    for sign, dep in depth.items():
        if d.axis == "x":
            lo, hi = (cy, cy + dep) if sign > 0 else (cy - dep, cy)
            boxes.append((cx - half, lo, cx + half, hi))
        else:
            lo, hi = (cx, cx + dep) if sign > 0 else (cx - dep, cx)
            boxes.append((lo, cy - half, hi, cy + half))
    return boxes


def door_swing_box(
    axis: str, hinge: tuple[float, float], center: tuple[float, float], width: float, sign: float
) -> Box:
    """Axis-aligned box holding a hinged door's quarter-circle swing."""
    hx, hy = hinge
    if axis == "x":
        tx = hx + (width if center[0] > hx else -width)
        ty = hy + sign * width
    else:
        tx = hx + sign * width
        ty = hy + (width if center[1] > hy else -width)
    return (min(hx, tx), min(hy, ty), max(hx, tx), max(hy, ty))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] - 1e-6 and b[0] < a[2] - 1e-6 and a[1] < b[3] - 1e-6 and b[1] < a[3] - 1e-6


def _plausibility(a: str, b: str) -> float:
    """Cost of an added (undesired) doorway between two room types; lower is more plausible."""
    types = {a, b}
    if "Hallway" in types:
        return 0.1
    if "Living" in types:
        return 0.3 if types & _PUBLIC or "Bedroom" in types else 0.8
    if types <= _PUBLIC:
        return 0.4
    if types in ({"Bedroom", "Bathroom"}, {"Bedroom", "Closet"}):
        return 0.5
    if "Bathroom" in types and types & {"Kitchen", "Dining"}:
        return 2.0
    return 1.2


def _door_center(lo: float, hi: float, rng: random.Random, taken: list[tuple[float, float]]) -> float | None:
    a = lo + DOOR_END_MARGIN + DOOR_WIDTH / 2
    b = hi - DOOR_END_MARGIN - DOOR_WIDTH / 2
    if b < a:
        return None
    for _ in range(12):
        # Doors sit near a wall end more often than in the middle, like real floor plans.
        t = rng.random()
        if rng.random() < 0.6:
            t = t * 0.25 if rng.random() < 0.5 else 1 - t * 0.25
        c = a + (b - a) * t
        if all(abs(c - o) >= DOOR_WIDTH + 0.4 for o, _ in taken):
            return c
    return None


def _corridor_cost(kind: str, leads_to: list[str]) -> float:
    """Cost of making a room of type ``kind`` the way to rooms of types ``leads_to``: bathrooms and
    closets lead nowhere, a bedroom only to its own bathroom or closet."""
    if not leads_to:
        return 0.0
    if kind in LEAF_ROOMS:
        return 100.0
    if kind == "Bedroom" and any(t not in LEAF_ROOMS for t in leads_to):
        return 50.0
    return 0.0


def _hierarchy_edges(
    names: list[str],
    types: dict[str, str],
    segments: dict[frozenset[str], tuple[str, float, float, float]],
    graph: nx.Graph,
    root: str,
    rng: random.Random,
) -> list[tuple[str, str]]:
    """Doorways that join every room to the entrance ``root``, public to private: grown from the
    root (Prim), each step the cheapest doorway from a joined room to a new one, by plausibility
    plus :func:`_corridor_cost` for the rooms it makes a way to others (the rooms already joined by
    desired connections come along). Returns the new (joined room, new room) pairs in order."""
    jitter = {key: rng.random() * 0.05 for key in sorted(segments, key=sorted)}
    usable = [key for key, seg in segments.items() if seg[3] - seg[2] >= MIN_DOOR_SPAN]
    joined = graph.copy()
    tree = set(nx.node_connected_component(joined, root))
    out: list[tuple[str, str]] = []
    while len(tree) < len(names):
        best: tuple[float, str, str] | None = None
        for key in usable:
            a, b = sorted(key)
            if (a in tree) == (b in tree):
                continue
            inner, outer = (a, b) if a in tree else (b, a)
            group = nx.node_connected_component(joined, outer)
            cost = _plausibility(types[inner], types[outer]) + jitter[key]
            cost += _corridor_cost(types[inner], [types[outer]] if inner != root else [])
            cost += _corridor_cost(types[outer], [types[n] for n in group if n != outer])
            if best is None or (cost, inner, outer) < best:
                best = (cost, inner, outer)
        if best is None:
            raise WorldGenerationError("floorplan has rooms that share no wall long enough for a doorway")
        _, inner, outer = best
        out.append((inner, outer))
        joined.add_edge(inner, outer)
        tree |= nx.node_connected_component(joined, outer)
    return out


def _make_doorways(
    spec: WorldTemplateSpec, parts: Parts, rng: random.Random, root: str
) -> tuple[list[Doorway], list[tuple[str, str, str]], dict[frozenset[str], tuple[str, float, float, float]]]:
    names = [r.name for r in spec.rooms]
    types = {r.name: r.type for r in spec.rooms}
    segments: dict[frozenset[str], tuple[str, float, float, float]] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            segs = pair_segments(parts[a], parts[b])
            if segs:
                segments[frozenset((a, b))] = segs[0]
    requests: list[tuple[str, str, str, bool]] = [
        (c.room_a, c.room_b, c.connection_type, True) for c in spec.connections
    ]
    unmet: list[tuple[str, str, str]] = []
    placed: dict[frozenset[str], list[tuple[float, float]]] = {}
    graph = nx.Graph()
    graph.add_nodes_from(names)
    doorways: list[tuple[str, str, str, bool, float, float]] = []  # a, b, kind, requested, center, width

    def place(a: str, b: str, kind: str, requested: bool) -> bool:
        key = frozenset((a, b))
        seg = segments.get(key)
        taken = placed.setdefault(key, [])
        if seg is None:
            return False
        _, _, lo, hi = seg
        if kind == "Opening":
            if hi - lo < MIN_OPENING_SPAN or taken:
                return False
            taken.append(((lo + hi) / 2, hi - lo))
            doorways.append((a, b, kind, requested, (lo + hi) / 2, hi - lo))
        else:
            if any(w > DOOR_WIDTH for _, w in taken):
                return False  # already an opening
            c = _door_center(lo, hi, rng, taken)
            if c is None:
                return False
            taken.append((c, DOOR_WIDTH))
            doorways.append((a, b, kind, requested, c, DOOR_WIDTH))
        graph.add_edge(a, b)
        return True

    # Openings first so doorways requested for the same pair are reported unmet, not the opening.
    for a, b, kind, req in sorted(requests, key=lambda r: r[2] != "Opening"):
        if not place(a, b, kind, req):
            unmet.append((a, b, kind))
    if not nx.is_connected(graph):
        for a, b in _hierarchy_edges(names, types, segments, graph, root, rng):
            if not place(a, b, "Doorway", False):
                raise WorldGenerationError(f"could not place a doorway between {a!r} and {b!r}")
    if not nx.is_connected(graph):
        raise WorldGenerationError("rooms could not all be connected")

    out: list[Doorway] = []
    swings: list[Box] = []
    passages = [_passage(segments[frozenset((a, b))], c, width) for a, b, _, _, c, width in doorways]
    for i, (a, b, kind, requested, c, width) in enumerate(doorways):
        axis, fixed, _, _ = segments[frozenset((a, b))]
        center = (c, fixed) if axis == "x" else (fixed, c)
        wall_id = _wall_id(spec, a, b)
        has_door = kind == "Doorway" and spec.version == "2"
        hinge = None
        swing_room = None
        sign = 0.0
        if has_door:
            private = [n for n in (a, b) if types[n] in _PRIVATE]
            preferred = private[0] if len(private) == 1 else rng.choice((a, b))
            other = b if preferred == a else a
            side0 = rng.choice((-1.0, 1.0))
            # Prefer the natural swing; flip hinge side / swing room if the leaf would hit another
            # door or, fully open, stand in front of another doorway (then second best: another door).
            options = []
            for room, side in ((preferred, side0), (preferred, -side0), (other, side0), (other, -side0)):
                side_sign = _inward(parts[room], axis, fixed, c)
                edge = c + side * width / 2
                option_hinge = (edge, fixed) if axis == "x" else (fixed, edge)
                swing = door_swing_box(axis, option_hinge, center, width, side_sign)
                clash = any(_overlaps(swing, s) for s in swings)
                blocks = any(_overlaps(swing, p) for j, p in enumerate(passages) if j != i)
                options.append((clash, blocks, room, side_sign, option_hinge, swing))
            choice = next((o for o in options if not o[0] and not o[1]), None)
            choice = choice or next((o for o in options if not o[0]), options[-1])
            _, _, swing_room, sign, hinge, swing = choice
            swings.append(swing)
        out.append(
            Doorway(
                id=f"doorway_{i}",
                kind=kind,
                rooms=(a, b),
                wall=wall_id,
                center=center,
                width=width,
                axis=axis,
                requested=requested,
                height=DOOR_HEIGHT,
                has_door=has_door,
                hinge=hinge,
                swing_room=swing_room,
                swing_sign=sign,
                open_percent=None,
            )
        )
    return out, unmet, segments


def _inward(parts: tuple[Box, ...], axis: str, fixed: float, c: float) -> float:
    """+1/-1: the side of a wall (at ``fixed`` across ``axis``) the room lies on at ``c`` along it."""
    eps = 1e-6
    for box in parts:
        lo, hi, near, far = (
            (box[0], box[2], box[1], box[3]) if axis == "x" else (box[1], box[3], box[0], box[2])
        )
        if lo - eps <= c <= hi + eps and min(abs(near - fixed), abs(far - fixed)) < eps:
            return 1.0 if (near + far) / 2 > fixed else -1.0
    box = parts[0]
    return 1.0 if ((box[1] + box[3]) / 2 if axis == "x" else (box[0] + box[2]) / 2) > fixed else -1.0


def _room_sides(
    parts: tuple[Box, ...], width: float, height: float, voids: tuple[Box, ...] = ()
) -> list[tuple[str, str, float, float, float, Box]]:
    """:func:`_exterior_sides` of every part of a room with the part, the sides of an L's second
    part named with a 2 ("s2": distinct wall ids)."""
    return [
        (side + (str(k + 1) if k else ""), axis, fixed, lo, hi, box)
        for k, box in enumerate(parts)
        for side, axis, fixed, lo, hi in _exterior_sides(box, width, height, voids)
    ]


def _exterior_sides(
    rect: Box, width: float, height: float, voids: tuple[Box, ...] = ()
) -> list[tuple[str, str, float, float, float]]:
    """A room's exterior walls: (side, axis, fixed coordinate, from, to) of its sides on the
    footprint rectangle's edge (whole) and of the pieces it shares with a void (outside the house)."""
    x0, y0, x1, y1 = rect
    eps = 1e-6
    sides = [("s", "x", y0, x0, x1, abs(y0) < eps), ("n", "x", y1, x0, x1, abs(y1 - height) < eps)]
    sides += [("w", "y", x0, y0, y1, abs(x0) < eps), ("e", "y", x1, y0, y1, abs(x1 - width) < eps)]
    out = []
    for side, axis, fixed, lo, hi, outer in sides:
        if outer:
            out.append((side, axis, fixed, lo, hi))
            continue
        for void in voids:
            seg = shared_segment(rect, void)
            if seg is not None and seg[0] == axis and abs(seg[1] - fixed) < eps:
                out.append((side, axis, fixed, seg[2], seg[3]))
    return out


def _entrances(
    spec: WorldTemplateSpec, parts: Parts, width: float, height: float, voids: tuple[Box, ...]
) -> list[str]:
    """Rooms that may hold the exterior entrance door, best first: a hallway, else the living room,
    else another public room, with an exterior wall long enough for a door (larger rooms first)."""

    def fits(name: str) -> bool:
        sides = _room_sides(parts[name], width, height, voids)
        return any(hi - lo >= MIN_DOOR_SPAN for *_, lo, hi, _ in sides)

    rooms = sorted(spec.rooms, key=lambda r: (_ENTRANCE_PREFERENCE.index(r.type), -r.area))
    return [r.name for r in rooms if fits(r.name)] + [r.name for r in rooms if not fits(r.name)]


def _exterior_door(
    spec: WorldTemplateSpec,
    parts: Parts,
    size: tuple[float, float],
    entrances: list[str],
    doorways: list[Doorway],
    rng: random.Random,
    voids: tuple[Box, ...] = (),
) -> Doorway | None:
    """The entrance door: a hinged door in an exterior wall of the first entrance room that has
    room for it, swinging inwards, its swing and clearance clear of every other doorway's."""
    taken = [k for d in doorways for k in doorway_keepouts(d)]
    index = {r.name: i for i, r in enumerate(spec.rooms)}
    for name in entrances:
        sides = _room_sides(parts[name], *size, voids)
        rng.shuffle(sides)
        for side, axis, fixed, lo, hi, rect in sides:
            centres = [c for _ in range(6) if (c := _door_center(lo, hi, rng, [])) is not None]
            a, b = lo + DOOR_END_MARGIN + DOOR_WIDTH / 2, hi - DOOR_END_MARGIN - DOOR_WIDTH / 2
            centres += [a + (b - a) * k / 8 for k in range(9)] if b >= a else []
            mid = (rect[1] + rect[3]) / 2 if axis == "x" else (rect[0] + rect[2]) / 2
            sign = 1.0 if mid > fixed else -1.0
            for c in centres:
                hand = rng.choice((-1.0, 1.0))
                center = (c, fixed) if axis == "x" else (fixed, c)
                edge = c + hand * DOOR_WIDTH / 2
                hinge = (edge, fixed) if axis == "x" else (fixed, edge)
                door = Doorway(
                    id=f"doorway_{len(doorways)}",
                    kind="Doorway",
                    rooms=(name, OUTSIDE),
                    wall=f"wall_r{index[name]}_{side}",
                    center=center,
                    width=DOOR_WIDTH,
                    axis=axis,
                    requested=False,
                    height=DOOR_HEIGHT,
                    has_door=True,
                    hinge=hinge,
                    swing_room=name,
                    swing_sign=sign,
                    open_percent=None,
                )
                if not any(_overlaps(k, t) for k in doorway_keepouts(door) for t in taken):
                    return door
    return None


def _passage(segment: tuple[str, float, float, float], c: float, width: float) -> Box:
    """The way through a doorway: its gap and DOOR_CLEARANCE on both sides of the wall."""
    axis, fixed, _, _ = segment
    lo, hi = c - width / 2, c + width / 2
    if axis == "x":
        return (lo, fixed - DOOR_CLEARANCE, hi, fixed + DOOR_CLEARANCE)
    return (fixed - DOOR_CLEARANCE, lo, fixed + DOOR_CLEARANCE, hi)


def _wall_id(spec: WorldTemplateSpec, a: str, b: str) -> str:
    """Stable, unique wall id from room indices (names may differ only in spaces vs underscores)."""
    names = [r.name for r in spec.rooms]
    i, j = sorted((names.index(a), names.index(b)))
    return f"wall_r{i}_r{j}"


def _make_walls(
    spec: WorldTemplateSpec,
    parts: Parts,
    width: float,
    height: float,
    doorways: list[Doorway],
    segments: dict[frozenset[str], tuple[str, float, float, float]],
    voids: tuple[Box, ...] = (),
) -> list[Wall]:
    ceiling = spec.ceiling_height
    index = {r.name: i for i, r in enumerate(spec.rooms)}
    by_wall: dict[str, list[Doorway]] = {}
    for d in doorways:
        by_wall.setdefault(d.wall, []).append(d)
    walls: list[Wall] = []
    ext = EXTERIOR_WALL / 2
    corners = {_key(p) for p in _outline(parts)}
    for r in spec.rooms:
        for side, axis, fixed, lo, hi, _ in _room_sides(parts[r.name], width, height, voids):
            # Extended at the outline's corners (convex and reflex) so the exterior walls close.
            lo -= ext if _key((lo, fixed) if axis == "x" else (fixed, lo)) in corners else 0.0
            hi += ext if _key((hi, fixed) if axis == "x" else (fixed, hi)) in corners else 0.0
            (sx, sy), (ex, ey) = ((lo, fixed), (hi, fixed)) if axis == "x" else ((fixed, lo), (fixed, hi))
            wall_id = f"wall_r{index[r.name]}_{side}"
            along = 0 if sy == ey else 1
            origin = (sx, sy)[along]
            gaps = [
                (d.center[along] - d.width / 2 - origin, d.center[along] + d.width / 2 - origin)
                for d in by_wall.get(wall_id, [])
            ]
            walls.append(
                Wall(
                    id=wall_id,
                    start=(sx, sy),
                    end=(ex, ey),
                    thickness=EXTERIOR_WALL,
                    height=ceiling,
                    rooms=(r.name,),
                    gaps=tuple(sorted(gaps)),
                )
            )
    for key, (axis, fixed, lo, hi) in segments.items():
        a, b = sorted(key)
        wall_id = _wall_id(spec, a, b)
        start, end = ((lo, fixed), (hi, fixed)) if axis == "x" else ((fixed, lo), (fixed, hi))
        gaps = []
        for d in by_wall.get(wall_id, []):
            c = d.center[0] if axis == "x" else d.center[1]
            gaps.append((c - d.width / 2 - lo, c + d.width / 2 - lo))
        walls.append(
            Wall(
                id=wall_id,
                start=start,
                end=end,
                thickness=INTERIOR_WALL,
                height=ceiling,
                rooms=(a, b),
                gaps=tuple(sorted(gaps)),
            )
        )
    walls += _extra_walls(spec, parts, segments, ceiling)
    return walls


def _extra_walls(
    spec: WorldTemplateSpec, parts: Parts, segments: dict[frozenset[str], Segment], ceiling: float
) -> list[Wall]:
    """The further walls an L room shares with a neighbour (the one in its inner corner) beside
    the one its doorways go into: without doorways, lengthened by half a wall where they meet
    that wall so the corner closes."""
    walls = []
    for key, main in segments.items():
        a, b = sorted(key)
        if len(parts[a]) == 1 and len(parts[b]) == 1:
            continue
        ends = {_key((e, main[1]) if main[0] == "x" else (main[1], e)) for e in main[2:]}
        for k, (axis, fixed, lo, hi) in enumerate(pair_segments(parts[a], parts[b])[1:], start=1):
            lo -= INTERIOR_WALL / 2 if _key((lo, fixed) if axis == "x" else (fixed, lo)) in ends else 0.0
            hi += INTERIOR_WALL / 2 if _key((hi, fixed) if axis == "x" else (fixed, hi)) in ends else 0.0
            start, end = ((lo, fixed), (hi, fixed)) if axis == "x" else ((fixed, lo), (fixed, hi))
            walls.append(
                Wall(f"{_wall_id(spec, a, b)}_{k}", start, end, INTERIOR_WALL, ceiling, (a, b), gaps=())
            )
    return walls


def _key(p: tuple[float, float]) -> tuple[float, float]:
    return (round(p[0], 6), round(p[1], 6))


def _outline(parts: Parts) -> tuple[tuple[float, float], ...]:
    """The house outline: the union of the room rectangles, counter-clockwise."""
    loops = union_outline([box for boxes in parts.values() for box in boxes])
    if len(loops) != 1:
        raise WorldGenerationError("the rooms do not make one house outline")
    return loops[0]


def _layout(spec: WorldTemplateSpec, seed: int, rng: random.Random) -> Layout:
    """The room layout of floorplan ``seed``: an L or U footprint when :func:`footprint_void` asks
    for one and a quick search finds a layout with it that meets everything (shapes, desired
    connections, the rooms joined public to private), else the rectangle's."""
    void = footprint_void(spec, seed)
    # Its own random stream: a floorplan that stays a rectangle is the one it was before shapes.
    shaped_rng = random.Random(f"footprint-layout:{seed}")
    layout = None if void is None else search_shaped_layout(spec, void, shaped_rng)
    return layout or search_layout(spec, rng)


def _spawn(rooms: list[RoomSpec], parts: Parts, keepouts: list[Box]) -> tuple[float, float]:
    margin = SPAWN_CLEAR_RADIUS + EXTERIOR_WALL / 2 + 0.05
    ordered = sorted(rooms, key=lambda r: (_SPAWN_PREFERENCE.index(r.type), -r.area))
    for x0, y0, x1, y1 in (box for r in ordered for box in parts[r.name]):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        points = []
        steps = 8
        for i in range(steps + 1):
            for j in range(steps + 1):
                px = x0 + margin + (x1 - x0 - 2 * margin) * i / steps
                py = y0 + margin + (y1 - y0 - 2 * margin) * j / steps
                if x1 - x0 - 2 * margin < 0 or y1 - y0 - 2 * margin < 0:
                    continue
                points.append((math.hypot(px - cx, py - cy), px, py))
        for _, px, py in sorted(points):
            if not any(circle_hits_box(px, py, SPAWN_CLEAR_RADIUS + 0.05, k) for k in keepouts):
                return px, py
    raise WorldGenerationError("no room has space for the clear spawn cylinder at the origin")


def generate_floorplan(spec: WorldTemplateSpec, seed: int) -> Floorplan:
    """A deterministic floorplan for ``seed``: rooms, walls with gaps, doorways and the spawn point."""
    rng = random.Random(f"floorplan:{seed}")
    built = None
    shaped = None if footprint_void(spec, seed) is not None else l_layout(spec, seed)
    if shaped is not None:
        layout, parts = shaped
        try:  # an L room whose doorways cannot all be placed: the rectangles' floor plan
            built = _architecture(spec, layout, parts, (), random.Random(f"floorplan:{seed}"))
        except WorldGenerationError:
            built = None
    if built is None:
        layout = _layout(spec, seed, rng)
        voids = tuple(box for name, box in layout.rects.items() if name == VOID)
        parts = {name: (box,) for name, box in layout.rects.items() if name != VOID}
        built = _architecture(spec, layout, parts, voids, rng)
    parts, doorways, unmet, walls, (sx, sy) = built

    def shift(p: tuple[float, float]) -> tuple[float, float]:
        return (_r(p[0] - sx), _r(p[1] - sy))

    def shift_box(b: Box) -> Box:
        return (*shift((b[0], b[1])), *shift((b[2], b[3])))

    doorways = [
        replace(
            d, center=shift(d.center), hinge=None if d.hinge is None else shift(d.hinge), width=_r(d.width)
        )
        for d in doorways
    ]
    walls = [
        replace(w, start=shift(w.start), end=shift(w.end), gaps=tuple((_r(a), _r(b)) for a, b in w.gaps))
        for w in walls
    ]
    rooms = tuple(
        Room(
            name=r.name,
            type=r.type,
            original_name=r.original_name,
            polygon=_polygon([shift_box(box) for box in parts[r.name]]),
            requested_area=r.area,
            requested_aspect=_r(r.x_by_y),
        )
        for r in spec.rooms
    )
    return Floorplan(
        template_version=spec.version,
        seed=seed,
        ceiling_height=spec.ceiling_height,
        footprint=shift_box((0.0, 0.0, layout.width, layout.height)),
        outline=_outline({name: tuple(shift_box(box) for box in boxes) for name, boxes in parts.items()}),
        rooms=rooms,
        walls=tuple(walls),
        doorways=tuple(doorways),
        spawn=(0.0, 0.0),
        unmet_connections=tuple(unmet),
        requested_footprint_aspect=_r(spec.footprint_aspect_x / spec.footprint_aspect_y),
        score=layout.score,
    )


def _architecture(
    spec: WorldTemplateSpec, layout: Layout, parts: Parts, voids: tuple[Box, ...], rng: random.Random
) -> tuple[Parts, list[Doorway], list[tuple[str, str, str]], list[Wall], tuple[float, float]]:
    """Doorways, walls and the spawn point of the rooms ``parts`` (before the shift to the spawn)."""
    entrances = _entrances(spec, parts, layout.width, layout.height, voids)
    doorways, unmet, segments = _make_doorways(spec, parts, rng, entrances[0])
    if spec.version == "2":  # Version 1 worlds have door-less doorways only
        size = (layout.width, layout.height)
        entrance = _exterior_door(spec, parts, size, entrances, doorways, rng, voids)
        doorways += [entrance] if entrance is not None else []
    walls = _make_walls(spec, parts, layout.width, layout.height, doorways, segments, voids)
    keepouts = [k for d in doorways for k in doorway_keepouts(d)]
    return parts, doorways, unmet, walls, _spawn(list(spec.rooms), parts, keepouts)


def _polygon(boxes: list[Box]) -> tuple[tuple[float, float], ...]:
    """A room's counter-clockwise polygon: its rectangle, or the outline of an L's parts."""
    if len(boxes) > 1:
        return union_outline(boxes)[0]
    x0, y0, x1, y1 = boxes[0]
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
