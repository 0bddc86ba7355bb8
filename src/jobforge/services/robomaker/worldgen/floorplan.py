"""Floorplan stage: footprint → rectangular rooms → walls → doorways/openings → spawn point.

Approach (world-generation.md §5): the footprint rectangle has exactly the sum of the requested
room areas, so a *slicing* partition (recursive guillotine cuts at area-proportional positions)
gives every room exactly its requested area. Many random slicing trees are sampled per seed and
the best is kept by a score over room aspect-ratio error, footprint aspect error, unmet desired
connections and reachability; its cut positions and footprint aspect are then refined
(Nelder-Mead), letting a room trade at most 10% of its area for a better aspect ratio.
Rooms sharing a wall long enough for a doorway are adjacent (a
networkx graph); desired connections become doorways/openings, and a minimum spanning tree over
plausibility weights adds doorways until every room is reachable, as WorldForge did.

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
import numpy as np
from scipy import optimize

from jobforge.services.robomaker.template_format import RoomSpec, WorldTemplateSpec
from jobforge.services.robomaker.worldgen.geometry import Box, circle_hits_box
from jobforge.services.robomaker.worldgen.world import Doorway, Room, Wall, WorldGenerationError, _r

EXTERIOR_WALL = 0.15
INTERIOR_WALL = 0.10
DOOR_WIDTH = 0.9
DOOR_HEIGHT = 2.1
DOOR_END_MARGIN = 0.3
MIN_DOOR_SPAN = DOOR_WIDTH + 2 * DOOR_END_MARGIN
MIN_OPENING_SPAN = 1.0
DOOR_CLEARANCE = 0.5
SPAWN_CLEAR_RADIUS = 0.5
MIN_ROOM_SIDE = 1.5
CANDIDATES = 160
MAX_AREA_TRADE = 0.10  # rooms may give up to 10% of their area for a better aspect ratio
REFINE_EVALS = 400

_PUBLIC = {"Living", "Hallway", "Dining", "Kitchen"}
_PRIVATE = {"Bedroom", "Bathroom", "Closet"}
_SPAWN_PREFERENCE = ("Living", "Hallway", "Dining", "Kitchen", "Bedroom", "Bathroom", "Closet")


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


# ----------------------------------------------------------------------------------------------
# Layout search


@dataclass
class _Layout:
    rects: dict[str, Box]
    width: float
    height: float
    score: float


def _aspect(box: Box) -> float:
    w, h = box[2] - box[0], box[3] - box[1]
    return max(w, h) / min(w, h)


def shared_segment(a: Box, b: Box, eps: float = 1e-6) -> tuple[str, float, float, float] | None:
    """The wall two touching rectangles share: (axis, fixed coordinate, from, to) or None.

    axis "x" means a wall running along x at y = fixed; "y" a wall along y at x = fixed.
    """
    for xa, xb in ((a[2], b[0]), (b[2], a[0])):
        if abs(xa - xb) < eps:
            lo, hi = max(a[1], b[1]), min(a[3], b[3])
            if hi - lo > eps:
                return ("y", xa, lo, hi)
    for ya, yb in ((a[3], b[1]), (b[3], a[1])):
        if abs(ya - yb) < eps:
            lo, hi = max(a[0], b[0]), min(a[2], b[2])
            if hi - lo > eps:
                return ("x", ya, lo, hi)
    return None


def _order(spec: WorldTemplateSpec, rng: random.Random) -> list[RoomSpec]:
    """A room order where desired neighbours tend to be close (slicing keeps neighbours adjacent)."""
    rooms = list(spec.rooms)
    if rng.random() < 0.35 or not spec.connections:
        rng.shuffle(rooms)
        return rooms
    graph: dict[str, list[str]] = {r.name: [] for r in rooms}
    for c in spec.connections:
        graph[c.room_a].append(c.room_b)
        graph[c.room_b].append(c.room_a)
    by_name = {r.name: r for r in rooms}
    order: list[str] = []
    pending = [r.name for r in rooms]
    rng.shuffle(pending)
    while pending:
        stack = [pending[0]]
        while stack:
            name = stack.pop()
            if name in order:
                continue
            order.append(name)
            nbrs = [n for n in graph[name] if n not in order]
            rng.shuffle(nbrs)
            stack.extend(nbrs)
        pending = [n for n in pending if n not in order]
    return [by_name[n] for n in order]


Tree = str | tuple[bool, float, "Tree", "Tree"]  # room name | (vertical cut, fraction, first, second)


def _slice(rooms: list[RoomSpec], rect: Box, rng: random.Random, out: dict[str, Box]) -> Tree:
    """Recursive guillotine cut of ``rect`` into ``rooms`` with area-proportional cut positions."""
    if len(rooms) == 1:
        out[rooms[0].name] = rect
        return rooms[0].name
    total = sum(r.area for r in rooms)
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    options: list[tuple[float, int, Box, Box]] = []
    acc = 0.0
    for k in range(1, len(rooms)):
        acc += rooms[k - 1].area
        f = acc / total
        for vertical in (True, False):
            if vertical:
                a, b = (x0, y0, x0 + f * w, y1), (x0 + f * w, y0, x1, y1)
            else:
                a, b = (x0, y0, x1, y0 + f * h), (x0, y0 + f * h, x1, y1)
            bad = _part_badness(a, rooms[:k]) + _part_badness(b, rooms[k:])
            options.append((bad, k, a, b))
    options.sort(key=lambda o: o[0])
    pick = 0
    while pick < len(options) - 1 and rng.random() < 0.35:
        pick += 1
    _, k, a, b = options[pick]
    vertical = abs(a[3] - rect[3]) < 1e-9 and abs(a[2] - rect[2]) > 1e-9
    frac = sum(r.area for r in rooms[:k]) / total
    return (vertical, frac, _slice(rooms[:k], a, rng, out), _slice(rooms[k:], b, rng, out))


def _realize(tree: Tree, rect: Box, fracs: list[float], out: dict[str, Box]) -> None:
    """Rectangles of a slicing tree with the given cut fractions (pre-order), into ``out``."""
    if isinstance(tree, str):
        out[tree] = rect
        return
    vertical, _, first, second = tree
    f = fracs.pop(0)
    x0, y0, x1, y1 = rect
    if vertical:
        xm = x0 + f * (x1 - x0)
        a, b = (x0, y0, xm, y1), (xm, y0, x1, y1)
    else:
        ym = y0 + f * (y1 - y0)
        a, b = (x0, y0, x1, ym), (x0, ym, x1, y1)
    _realize(first, a, fracs, out)
    _realize(second, b, fracs, out)


def _fractions(tree: Tree) -> list[float]:
    if isinstance(tree, str):
        return []
    return [tree[1], *_fractions(tree[2]), *_fractions(tree[3])]


def _area_penalty(spec: WorldTemplateSpec, rects: dict[str, Box]) -> float:
    penalty = 0.0
    for r in spec.rooms:
        b = rects[r.name]
        e = (b[2] - b[0]) * (b[3] - b[1]) / r.area - 1.0
        penalty += 8.0 * e * e + (100.0 if abs(e) > MAX_AREA_TRADE else 0.0)
    return penalty


def _refine(
    spec: WorldTemplateSpec, tree: Tree, fp: float, total: float
) -> tuple[dict[str, Box], float, float]:
    """Nudge cut positions and the footprint aspect to trade a little area (<= MAX_AREA_TRADE) for
    better room aspect ratios; returns (rects, footprint aspect, score)."""
    base = _fractions(tree)
    logits = [math.log(f / (1 - f)) for f in base]

    def build(x: np.ndarray) -> tuple[dict[str, Box], float]:
        fpa = fp * math.exp(float(x[0]))
        fr = [1 / (1 + math.exp(-(lg + float(d)))) for lg, d in zip(logits, x[1:], strict=True)]
        height = math.sqrt(total / fpa)
        rects: dict[str, Box] = {}
        _realize(tree, (0.0, 0.0, total / height, height), fr, rects)
        return rects, fpa

    def objective(x: np.ndarray) -> float:
        rects, fpa = build(x)
        return _score(spec, rects, fpa) + _area_penalty(spec, rects)

    x0 = np.zeros(len(base) + 1)
    result = optimize.minimize(objective, x0, method="Nelder-Mead",
                               options={"maxfev": REFINE_EVALS, "xatol": 1e-3, "fatol": 1e-4})  # fmt: skip
    x = result.x if result.fun < objective(x0) else x0
    rects, fpa = build(x)
    return rects, fpa, objective(x)


def _part_badness(rect: Box, rooms: list[RoomSpec]) -> float:
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    side = min(w, h)
    penalty = 0.0 if side >= MIN_ROOM_SIDE * (1 if len(rooms) == 1 else 1.6) else 5.0
    ar = max(w, h) / side
    if len(rooms) == 1:
        return abs(math.log(ar / rooms[0].aspect)) + penalty
    return 0.3 * abs(math.log(ar)) + penalty


def _score(spec: WorldTemplateSpec, rects: dict[str, Box], fp_aspect: float) -> float:
    score = 0.0
    for r in spec.rooms:
        box = rects[r.name]
        score += abs(math.log(_aspect(box) / r.aspect))
        if min(box[2] - box[0], box[3] - box[1]) < MIN_ROOM_SIDE:
            score += 5.0
    req_fp = spec.footprint_aspect_x / spec.footprint_aspect_y
    score += 0.75 * abs(math.log(fp_aspect / req_fp))
    spans: dict[frozenset[str], float] = {}
    names = [r.name for r in spec.rooms]
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            seg = shared_segment(rects[a], rects[b])
            if seg is None:
                continue
            spans[frozenset((a, b))] = seg[3] - seg[2]
            if seg[3] - seg[2] >= MIN_DOOR_SPAN:
                parent[find(a)] = find(b)
    if len({find(n) for n in names}) > 1:
        score += 100.0
    for c in spec.connections:
        need = MIN_DOOR_SPAN if c.connection_type == "Doorway" else MIN_OPENING_SPAN
        if spans.get(frozenset((c.room_a, c.room_b)), 0.0) < need:
            score += 1.5
    return score


def _search(spec: WorldTemplateSpec, rng: random.Random) -> _Layout:
    total = sum(r.area for r in spec.rooms)
    req_fp = spec.footprint_aspect_x / spec.footprint_aspect_y
    best: _Layout | None = None
    n = 1 if len(spec.rooms) == 1 else CANDIDATES
    if len(spec.rooms) == 1:
        # One room: the footprint is the room; balance room vs footprint aspect (room weighs more).
        room_ar = spec.rooms[0].aspect
        choices = [room_ar, 1 / room_ar]
        fp = min(choices, key=lambda a: abs(math.log(a / req_fp)) + rng.random() * 0.01)
        fp = math.exp((2 * math.log(fp) + 0.75 * math.log(req_fp)) / 2.75)
        fp *= math.exp(rng.uniform(-0.04, 0.04))  # small seeded variation: distinct floorplans per seed
        height = math.sqrt(total / fp)
        rects = {spec.rooms[0].name: (0.0, 0.0, total / height, height)}
        return _Layout(rects, total / height, height, _score(spec, rects, fp))
    best_tree: Tree = spec.rooms[0].name
    best_fp = req_fp
    for i in range(n):
        fp = req_fp if i % 3 == 0 else req_fp * math.exp(rng.gauss(0.0, 0.2))
        height = math.sqrt(total / fp)
        width = total / height
        rects: dict[str, Box] = {}
        tree = _slice(_order(spec, rng), (0.0, 0.0, width, height), rng, rects)
        s = _score(spec, rects, fp)
        if best is None or s < best.score:
            best = _Layout(rects, width, height, s)
            best_tree, best_fp = tree, fp
    assert best is not None
    rects, fp, score = _refine(spec, best_tree, best_fp, total)
    if score < best.score:
        height = math.sqrt(total / fp)
        best = _Layout(rects, total / height, height, score)
    return best


# ----------------------------------------------------------------------------------------------
# Doorways


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


def _make_doorways(
    spec: WorldTemplateSpec, rects: dict[str, Box], rng: random.Random
) -> tuple[list[Doorway], list[tuple[str, str, str]], dict[frozenset[str], tuple[str, float, float, float]]]:
    names = [r.name for r in spec.rooms]
    types = {r.name: r.type for r in spec.rooms}
    segments: dict[frozenset[str], tuple[str, float, float, float]] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            seg = shared_segment(rects[a], rects[b])
            if seg is not None:
                segments[frozenset((a, b))] = seg
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
        candidates = nx.Graph()
        candidates.add_nodes_from(names)
        for key, seg in segments.items():
            a, b = sorted(key)
            if graph.has_edge(a, b):
                candidates.add_edge(a, b, weight=0.0)
            elif seg[3] - seg[2] >= MIN_DOOR_SPAN:
                candidates.add_edge(a, b, weight=_plausibility(types[a], types[b]) + rng.random() * 0.05)
        if not nx.is_connected(candidates):
            raise WorldGenerationError("floorplan has rooms that share no wall long enough for a doorway")
        for a, b in sorted(nx.minimum_spanning_tree(candidates).edges()):
            if not graph.has_edge(a, b) and not place(a, b, "Doorway", False):
                raise WorldGenerationError(f"could not place a doorway between {a!r} and {b!r}")
    if not nx.is_connected(graph):
        raise WorldGenerationError("rooms could not all be connected")

    out: list[Doorway] = []
    swings: list[Box] = []
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
            # Prefer the natural swing; flip hinge side / swing room if the leaf would hit another door.
            for swing_room, side in (
                (preferred, side0),
                (preferred, -side0),
                (other, side0),
                (other, -side0),
            ):
                box = rects[swing_room]
                mid = (box[1] + box[3]) / 2 if axis == "x" else (box[0] + box[2]) / 2
                sign = 1.0 if mid > fixed else -1.0
                hinge = (c + side * width / 2, fixed) if axis == "x" else (fixed, c + side * width / 2)
                swing = door_swing_box(axis, hinge, center, width, sign)
                if not any(_overlaps(swing, s) for s in swings):
                    break
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


def _wall_id(spec: WorldTemplateSpec, a: str, b: str) -> str:
    """Stable, unique wall id from room indices (names may differ only in spaces vs underscores)."""
    names = [r.name for r in spec.rooms]
    i, j = sorted((names.index(a), names.index(b)))
    return f"wall_r{i}_r{j}"


# ----------------------------------------------------------------------------------------------
# Walls


def _make_walls(
    spec: WorldTemplateSpec,
    rects: dict[str, Box],
    width: float,
    height: float,
    doorways: list[Doorway],
    segments: dict[frozenset[str], tuple[str, float, float, float]],
) -> list[Wall]:
    ceiling = spec.ceiling_height
    index = {r.name: i for i, r in enumerate(spec.rooms)}
    walls: list[Wall] = []
    ext = EXTERIOR_WALL / 2
    eps = 1e-6
    for r in spec.rooms:
        x0, y0, x1, y1 = rects[r.name]
        sides = {
            "s": ((x0, y0), (x1, y0), abs(y0) < eps),
            "n": ((x0, y1), (x1, y1), abs(y1 - height) < eps),
            "w": ((x0, y0), (x0, y1), abs(x0) < eps),
            "e": ((x1, y0), (x1, y1), abs(x1 - width) < eps),
        }
        for side, (start, end, exterior) in sides.items():
            if not exterior:
                continue
            (sx, sy), (ex, ey) = start, end
            if sy == ey:  # along x: extend at footprint corners
                sx = sx - ext if abs(sx) < eps else sx
                ex = ex + ext if abs(ex - width) < eps else ex
            else:
                sy = sy - ext if abs(sy) < eps else sy
                ey = ey + ext if abs(ey - height) < eps else ey
            walls.append(
                Wall(
                    id=f"wall_r{index[r.name]}_{side}",
                    start=(sx, sy),
                    end=(ex, ey),
                    thickness=EXTERIOR_WALL,
                    height=ceiling,
                    rooms=(r.name,),
                )
            )
    by_wall: dict[str, list[Doorway]] = {}
    for d in doorways:
        by_wall.setdefault(d.wall, []).append(d)
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
    return walls


# ----------------------------------------------------------------------------------------------
# Spawn point


def _spawn(rooms: list[RoomSpec], rects: dict[str, Box], keepouts: list[Box]) -> tuple[float, float]:
    margin = SPAWN_CLEAR_RADIUS + EXTERIOR_WALL / 2 + 0.05
    ordered = sorted(rooms, key=lambda r: (_SPAWN_PREFERENCE.index(r.type), -r.area))
    for r in ordered:
        x0, y0, x1, y1 = rects[r.name]
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


# ----------------------------------------------------------------------------------------------
# Public entry point


def generate_floorplan(spec: WorldTemplateSpec, seed: int) -> Floorplan:
    """A deterministic floorplan for ``seed``: rooms, walls with gaps, doorways and the spawn point."""
    rng = random.Random(f"floorplan:{seed}")
    layout = _search(spec, rng)
    rects = layout.rects
    doorways, unmet, segments = _make_doorways(spec, rects, rng)
    walls = _make_walls(spec, rects, layout.width, layout.height, doorways, segments)
    keepouts = [k for d in doorways for k in doorway_keepouts(d)]
    sx, sy = _spawn(list(spec.rooms), rects, keepouts)

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
            polygon=_polygon(shift_box(rects[r.name])),
            requested_area=r.area,
            requested_aspect=_r(r.aspect),
        )
        for r in spec.rooms
    )
    return Floorplan(
        template_version=spec.version,
        seed=seed,
        ceiling_height=spec.ceiling_height,
        footprint=shift_box((0.0, 0.0, layout.width, layout.height)),
        rooms=rooms,
        walls=tuple(walls),
        doorways=tuple(doorways),
        spawn=(0.0, 0.0),
        unmet_connections=tuple(unmet),
        requested_footprint_aspect=_r(spec.footprint_aspect_x / spec.footprint_aspect_y),
        score=layout.score,
    )


def _polygon(box: Box) -> tuple[tuple[float, float], ...]:
    x0, y0, x1, y1 = box
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
