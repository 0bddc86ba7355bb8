"""Room layout: the footprint rectangle cut into one rectangle per room (a slicing floor plan).

Approach (docs/world-quality.md, "Room shapes"): the footprint rectangle has exactly the sum of the requested
room areas, so a *slicing* partition (recursive guillotine cuts at area-proportional positions)
gives every room exactly its requested area. Desired connections come first, then room shapes
(inside the tolerances of :mod:`.shape`: area ±10%, aspect ±15%), then the rooms' orientation
(a room asked x:y = 1:1.5 deeper along y than wide along x), then the footprint aspect (a
preference with a small weight). An exact interval search over slicing structures
(:func:`_interval_search`) finds the structures whose rooms can take their shapes and
whose desired connections get a shared wall long enough (with exact areas a layout only stretches
with the footprint aspect, so both are intervals of the footprint's log aspect); the ones with the
best shapes have their cut positions and footprint aspect refined
(``scipy.optimize.least_squares`` on log aspect and area errors, keeping the desired connections'
walls), letting rooms trade area within the tolerance, and polished to the minimax layout (SLSQP)
where a room still misses. Mutations of the best trees follow while anything misses; random
slicing trees join only when no structure meets every desired connection. Layouts are ranked
connections first. A request no slicing layout can meet comes out with the desired connections and
the rooms as close as the search got, and the quality report fails those rooms.

Orientation: the search runs with every room in its requested orientation first; only when that
misses a desired connection or a room's shape does it search again with rooms free to turn, and
keeps the better layout (connections, then shapes, then the fewest turned rooms; the free layout
also transposed, which turns every room). See :func:`search_layout`.

L and U footprints: the floor plan may add a *void* leaf (:func:`footprint_void`), a room without
connections of any shape up to VOID_MAX_ASPECT that must end up in a corner (L) or on one side (U)
of the bounding rectangle (:func:`void_kind`); the interval search keeps only blocks with the void
on their edge, and :func:`search_shaped_layout` runs the quick search with it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

from jobforge.services.robomaker.template_format import RoomSpec, WorldTemplateSpec
from jobforge.services.robomaker.worldgen.geometry import Box
from jobforge.services.robomaker.worldgen.shape import (
    ROOM_AREA_TOLERANCE,
    ROOM_ASPECT_TOLERANCE,
    aspect_error,
    orientation_kept,
    oriented_aspect_error,
)

DOOR_WIDTH = 0.9
DOOR_END_MARGIN = 0.3
MIN_DOOR_SPAN = DOOR_WIDTH + 2 * DOOR_END_MARGIN
MIN_OPENING_SPAN = 1.0
MIN_ROOM_SIDE = 1.5
CANDIDATES = 160
SHAPE_AIM = 0.8  # the refinement and the interval search aim inside 80% of the shape tolerances
FIT_MARGIN = 0.97  # a room counts as fitting inside 97% of them (rounding never tips it over)
MISS_PENALTY = 20.0  # a room outside the aim costs more than closeness or the footprint preference
EXCESS_WEIGHT = 10.0  # per tolerance a missing room is outside it
HIERARCHY_PENALTY = 5.0  # a private room forced to be a corridor costs less than a room's shape miss
UNMET_PENALTY = 1000.0  # an unmet desired connection costs more than any room's shape miss
DISCONNECTED_PENALTY = 10000.0  # rooms that cannot all be joined by doorways: worst of all
CONNECTION_WEIGHT = 20.0  # refinement residual per metre a desired connection's wall falls short
CONNECTION_SLACK = 0.05  # the refinement keeps desired connections' walls this much longer than needed
FOOTPRINT_WEIGHT = 0.3  # the footprint aspect is a preference; room shapes win
CLOSENESS_WEIGHT = 0.3  # inside the tolerances, a met desired connection (1.5) beats closeness
REFINE_TREES = 4  # best sampled trees refined first
MUTATIONS = 16  # further trees (mutations of the best ones) tried while a room misses its shape
ELITE = 6  # best refined trees kept as parents for mutations
PROPOSALS = 12  # structures from the interval search refined first
JOINT_FACTORS = (3.0, 8.0)  # aspect tolerances (x ROOM_ASPECT_TOLERANCE) of the joint search
QUICK_FACTOR = 1.4  # the oriented search's widest tolerance (x ROOM_ASPECT_TOLERANCE)
SHAPES_CAP = 300  # blocks kept per room subset when structures with distinct room shapes are ranked
JOINT_CAP = 40  # blocks kept per room subset by the joint shape and connection search
POLISH_ITERATIONS = 100  # SLSQP iterations of the minimax polish of a layout that still misses
JOINT_MUTATIONS = 6  # mutations tried when the proposals meet the desired connections but not the shapes
MIRRORS = 4  # mirrored variants of a proposed structure compared for desired connections
TURN_PENALTY = 3.0  # a room turned from its requested orientation: worse than closeness, not a miss
VOID = "(void)"  # the leaf of an L or U footprint's slicing tree that lies outside the house
MIN_SHAPED_ROOMS = 4  # templates with fewer rooms keep a rectangular footprint
SHAPED_SHARE = 0.5  # share of the other floorplans that try an L or U footprint
VOID_MAX_ASPECT = 3.0  # the void may take any shape up to this long side / short side
VOID_AREA_SLACK = 0.5  # and any area within ±50% of its nominal one (the rooms trade area with it)
VOID_SHAPES_CAP = 30  # SHAPES_CAP of the (quick) search with a void: one room more, less time
VOID_PROPOSALS = 6  # PROPOSALS of the search with a void: a shape that does not suit costs little
VOID_PENALTY = DISCONNECTED_PENALTY  # a void that is no corner (L) or side notch (U): unusable


@dataclass
class Layout:
    """One room rectangle per room name, the footprint's size and the layout's score."""

    rects: dict[str, Box]
    width: float
    height: float
    score: float


def footprint_void(spec: WorldTemplateSpec, seed: int) -> RoomSpec | None:
    """The void of floorplan ``seed``'s footprint, deterministically: None (a rectangle) or, for
    SHAPED_SHARE of the templates with at least MIN_SHAPED_ROOMS rooms, a leaf outside the house
    (type "L", two times in three: a corner of the bounding rectangle, "U": a notch in one side) of
    12-30% of the rooms' area, free to turn. The search treats it as a room without connections,
    of any shape up to VOID_MAX_ASPECT and area within VOID_AREA_SLACK."""
    if len(spec.rooms) < MIN_SHAPED_ROOMS:
        return None
    rng = random.Random(f"footprint:{seed}")
    if rng.random() >= SHAPED_SHARE:
        return None
    kind = rng.choice(("L", "L", "U"))  # a U suits fewer templates (rooms joined around its notch)
    share = rng.uniform(0.15, 0.3) if kind == "L" else rng.uniform(0.12, 0.22)
    area = share * sum(r.area for r in spec.rooms)
    return RoomSpec(kind, VOID, None, area, rng.uniform(1.0, 1.6), 1.0, oriented=False)


def void_kind(rects: dict[str, Box], eps: float = 1e-6) -> str | None:
    """ "L" when the layout's void is a corner of its bounding rectangle, "U" when it is a notch in
    one side, None when there is no void or it is anywhere else (inside, across, a whole end)."""
    void = rects.get(VOID)
    if void is None:
        return None
    x0, y0 = min(b[0] for b in rects.values()), min(b[1] for b in rects.values())
    x1, y1 = max(b[2] for b in rects.values()), max(b[3] for b in rects.values())
    west, east = abs(void[0] - x0) < eps, abs(void[2] - x1) < eps
    south, north = abs(void[1] - y0) < eps, abs(void[3] - y1) < eps
    if (west and east) or (south and north):
        return None
    return {1: "U", 2: "L"}.get(west + east + south + north)


def _void_misplaced(spec: WorldTemplateSpec, rects: dict[str, Box]) -> bool:
    """Whether ``spec`` has a void and the layout does not make it the footprint shape it asks."""
    void = next((r for r in spec.rooms if r.name == VOID), None)
    return void is not None and void_kind(rects) != void.type


def _tree_void_ok(spec: WorldTemplateSpec, tree: Tree) -> bool:
    """Whether a slicing structure puts the void where it belongs (cut positions cannot change it)."""
    rects: dict[str, Box] = {}
    _realize(tree, (0.0, 0.0, 1.0, 1.0), _fractions(tree), rects)
    return not _void_misplaced(spec, rects)


def layout_complete(spec: WorldTemplateSpec, rects: dict[str, Box], hierarchy: bool = False) -> bool:
    """Shapes fit, every desired connection has a wall, all rooms can be joined (with ``hierarchy``:
    public to private), the void (if any) is placed."""
    return (
        _fits(spec, rects)
        and _connection_misses(spec, rects) == (False, 0)
        and not _void_misplaced(spec, rects)
        and not (hierarchy and _hierarchy_misses(spec, rects))
    )


def _log_offset(room: RoomSpec, w: float, h: float) -> float:
    """log of the room's x/y aspect ``w / h`` over the requested one, signed (orientation kept) or
    long/short (a room free to turn); the void's: how far it is beyond VOID_MAX_ASPECT."""
    if room.name == VOID:
        return max(0.0, abs(math.log(w / h)) - math.log(VOID_MAX_ASPECT))
    if room.oriented:
        return math.log(w / h / room.x_by_y)
    return abs(math.log(w / h)) - math.log(room.aspect)


def _log_error(box: Box, room: RoomSpec) -> float:
    """|log| of the box's aspect over the room's requested one (:func:`_log_offset`)."""
    return abs(_log_offset(room, box[2] - box[0], box[3] - box[1]))


def _area_offset(room: RoomSpec, area: float) -> float:
    """Signed relative error of a room's area; the void's only beyond VOID_AREA_SLACK."""
    ratio = area / room.area - 1.0
    if room.name == VOID:
        return math.copysign(max(0.0, abs(ratio) - VOID_AREA_SLACK), ratio)
    return ratio


def _aspect_error(room: RoomSpec, w: float, h: float) -> float:
    """Relative aspect error of a ``w`` x ``h`` room, in its orientation unless it may turn (the
    void's: relative to VOID_MAX_ASPECT when beyond it, else none)."""
    if room.name == VOID:
        return math.expm1(_log_offset(room, w, h))
    return (oriented_aspect_error if room.oriented else aspect_error)(room.x_by_y, w / h)


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


def _shape_cost(spec: WorldTemplateSpec, rects: dict[str, Box]) -> tuple[float, int]:
    """(cost, rooms missing the aim): closeness of every room's area and aspect to its request,
    with MISS_PENALTY for each room outside FIT_MARGIN of the tolerances."""
    cost = 0.0
    misses = 0
    for r in spec.rooms:
        x0, y0, x1, y1 = rects[r.name]
        w, h = x1 - x0, y1 - y0
        area_err = abs(_area_offset(r, w * h))
        aspect_err = _aspect_error(r, w, h)
        cost += CLOSENESS_WEIGHT * (_log_error(rects[r.name], r) + 2.0 * area_err)
        excess = max(0.0, aspect_err / ROOM_ASPECT_TOLERANCE - FIT_MARGIN) + max(
            0.0, area_err / ROOM_AREA_TOLERANCE - FIT_MARGIN
        )
        if excess > 0:
            cost += MISS_PENALTY + EXCESS_WEIGHT * excess
            misses += 1
        if min(w, h) < MIN_ROOM_SIDE:
            cost += 5.0
    return cost, misses


def _fits(spec: WorldTemplateSpec, rects: dict[str, Box], margin: float = FIT_MARGIN) -> bool:
    """Every room inside ``margin`` of the quality report's shape tolerances."""
    for r in spec.rooms:
        x0, y0, x1, y1 = rects[r.name]
        w, h = x1 - x0, y1 - y0
        if abs(_area_offset(r, w * h)) > margin * ROOM_AREA_TOLERANCE:
            return False
        if _aspect_error(r, w, h) > margin * ROOM_ASPECT_TOLERANCE:
            return False
    return True


def _refine(
    spec: WorldTemplateSpec, tree: Tree, fp: float, total: float
) -> tuple[dict[str, Box], float, float]:
    """Move cut positions and the footprint aspect so every room gets close to its requested
    aspect ratio, trading area within the tolerance, while every desired connection keeps a wall
    long enough for it; returns (rects, footprint aspect, score)."""
    base = _fractions(tree)
    logits = [math.log(f / (1 - f)) for f in base]
    req_fp = spec.footprint_aspect_x / spec.footprint_aspect_y
    aspect_scale = math.log(1 + SHAPE_AIM * ROOM_ASPECT_TOLERANCE)
    area_scale = SHAPE_AIM * ROOM_AREA_TOLERANCE
    needs = list(_connection_needs(spec).items())

    def build(x: np.ndarray) -> tuple[dict[str, Box], float]:
        fpa = fp * math.exp(float(x[0]))
        fr = [1 / (1 + math.exp(-(lg + float(d)))) for lg, d in zip(logits, x[1:], strict=True)]
        height = math.sqrt(total / fpa)
        rects: dict[str, Box] = {}
        _realize(tree, (0.0, 0.0, total / height, height), fr, rects)
        return rects, fpa

    def residuals(x: np.ndarray) -> np.ndarray:
        rects, fpa = build(x)
        out = []
        for r in spec.rooms:
            x0, y0, x1, y1 = rects[r.name]
            w, h = x1 - x0, y1 - y0
            # e * sqrt(1 + e²): squares to e² + e⁴, so the worst room dominates (near minimax).
            e = _log_offset(r, w, h) / aspect_scale
            out.append(e * math.sqrt(1.0 + e * e))
            e = _area_offset(r, w * h) / area_scale
            out.append(e * math.sqrt(1.0 + e * e))
            out.append(10.0 * max(0.0, MIN_ROOM_SIDE - min(w, h)))
        for key, need in needs:
            a, b = tuple(key)
            short = need + CONNECTION_SLACK - _wall_length(rects[a], rects[b])
            out.append(CONNECTION_WEIGHT * max(0.0, short))
        out.append(FOOTPRINT_WEIGHT * math.log(fpa / req_fp) / aspect_scale)
        return np.asarray(out)

    def constraints(z: np.ndarray) -> np.ndarray:
        """Minimax form: every room's errors at most z[-1] times the tolerances, walls long enough."""
        rects, _ = build(np.clip(z[:-1], -30.0, 30.0))
        out = []
        for r in spec.rooms:
            x0, y0, x1, y1 = rects[r.name]
            w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
            out.append(z[-1] - _aspect_error(r, w, h) / ROOM_ASPECT_TOLERANCE)
            out.append(z[-1] - abs(_area_offset(r, w * h)) / ROOM_AREA_TOLERANCE)
            out.append(min(w, h) - MIN_ROOM_SIDE)
        for key, need in needs:
            a, b = tuple(key)
            out.append(_wall_length(rects[a], rects[b]) - need - CONNECTION_SLACK)
        return np.asarray(out)

    x0 = np.zeros(len(base) + 1)
    result = optimize.least_squares(residuals, x0, method="trf", max_nfev=30 * len(x0), x_scale=1.0)
    rects, fpa = build(result.x)
    score = _score(spec, rects, fpa)
    if not _fits(spec, rects) and needs:
        # Least squares is not minimax: when a room still misses, minimise the worst room's error
        # under the desired connections' walls (SLSQP), from the least-squares result.
        start = np.append(result.x, 3.0)
        polished = optimize.minimize(
            lambda z: z[-1],
            start,
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": constraints}],
            options={"maxiter": POLISH_ITERATIONS},
        )
        rects_p, fpa_p = build(np.clip(polished.x[:-1], -30.0, 30.0))
        if all(min(b[2] - b[0], b[3] - b[1]) > 0.1 for b in rects_p.values()):
            score_p = _score(spec, rects_p, fpa_p)
            if score_p < score:
                rects, fpa, score = rects_p, fpa_p, score_p
    rects0, fpa0 = build(x0)
    score0 = _score(spec, rects0, fpa0)
    return (rects, fpa, score) if score < score0 else (rects0, fpa0, score0)


def _wall_length(a: Box, b: Box) -> float:
    """Length of the wall two rectangles share; when they do not touch, minus how far apart they
    are (continuous, for the refinement)."""
    ox = min(a[2], b[2]) - max(a[0], b[0])
    oy = min(a[3], b[3]) - max(a[1], b[1])
    if abs(oy) < 1e-6:
        return ox
    if abs(ox) < 1e-6:
        return oy
    return min(ox, oy)


def _part_badness(rect: Box, rooms: list[RoomSpec]) -> float:
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    side = min(w, h)
    penalty = 0.0 if side >= MIN_ROOM_SIDE * (1 if len(rooms) == 1 else 1.6) else 5.0
    if len(rooms) == 1:
        return _log_error(rect, rooms[0]) + penalty
    return 0.3 * abs(math.log(w / h)) + penalty


def _score(spec: WorldTemplateSpec, rects: dict[str, Box], fp_aspect: float) -> float:
    """Layout score (lower is better): connectivity, then desired connections, then room shapes,
    then closeness and the footprint preference."""
    score, _ = _shape_cost(spec, rects)
    req_fp = spec.footprint_aspect_x / spec.footprint_aspect_y
    score += FOOTPRINT_WEIGHT * abs(math.log(fp_aspect / req_fp))
    disconnected, unmet = _connection_misses(spec, rects)
    score += HIERARCHY_PENALTY * _hierarchy_misses(spec, rects)
    score += VOID_PENALTY * _void_misplaced(spec, rects)
    return score + (DISCONNECTED_PENALTY if disconnected else 0.0) + UNMET_PENALTY * unmet


def _hierarchy_misses(spec: WorldTemplateSpec, rects: dict[str, Box]) -> int:
    """Private rooms the layout forces to be a way to other rooms (floorplan.py joins rooms public
    to private): public rooms in more than one group of walls they share long enough for a
    doorway, bedrooms next to no public room, bathrooms and closets next to neither a public room
    nor a bedroom; a desired connection counts as a wall."""
    private = {"Bedroom", "Bathroom", "Closet"}
    kinds = {r.name: r.type for r in spec.rooms if r.name != VOID}
    public = [n for n, k in kinds.items() if k not in private]
    if not public:
        return 0
    links: dict[str, set[str]] = {n: set() for n in kinds}
    names = list(kinds)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            seg = shared_segment(rects[a], rects[b])
            if seg is not None and seg[3] - seg[2] >= MIN_DOOR_SPAN:
                links[a].add(b)
                links[b].add(a)
    for c in spec.connections:
        links[c.room_a].add(c.room_b)
        links[c.room_b].add(c.room_a)
    seen: set[str] = set()
    groups = 0
    for start in public:
        if start in seen:
            continue
        groups += 1
        stack = [start]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack += [m for m in links[n] if kinds[m] not in private]
    misses = groups - 1
    for n, k in kinds.items():
        if k == "Bedroom" and not any(kinds[m] not in private for m in links[n]):
            misses += 1
        elif k in ("Bathroom", "Closet") and not any(
            kinds[m] not in private or kinds[m] == "Bedroom" for m in links[n]
        ):
            misses += 1
    return misses


def _rank(spec: WorldTemplateSpec, rects: dict[str, Box]) -> float:
    """How promising an unrefined layout is: its connections and the private corridors it forces
    count fully, its shapes only by their log aspect errors (the refinement trades area to fix
    those)."""
    disconnected, unmet = _connection_misses(spec, rects)
    shape = sum(_log_error(rects[r.name], r) for r in spec.rooms)
    shape += HIERARCHY_PENALTY * _hierarchy_misses(spec, rects)
    shape += VOID_PENALTY * _void_misplaced(spec, rects)
    return (DISCONNECTED_PENALTY if disconnected else 0.0) + UNMET_PENALTY * unmet + shape


def _connection_misses(spec: WorldTemplateSpec, rects: dict[str, Box]) -> tuple[bool, int]:
    """(rooms not all joined by walls long enough for a doorway, desired connections with no
    wall long enough for them)."""
    spans: dict[frozenset[str], float] = {}
    names = [r.name for r in spec.rooms if r.name != VOID]
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
    unmet = 0
    for c in spec.connections:
        need = MIN_DOOR_SPAN if c.connection_type == "Doorway" else MIN_OPENING_SPAN
        if spans.get(frozenset((c.room_a, c.room_b)), 0.0) < need:
            unmet += 1
    return len({find(n) for n in names}) > 1, unmet


def search_oriented_layout(spec: WorldTemplateSpec, rng: random.Random) -> Layout | None:
    """The quick search of :func:`search_layout` alone: its layout when complete, else None."""
    kept = _search(spec, rng, quick=True)
    return kept if kept is not None and layout_complete(spec, kept.rects, hierarchy=True) else None


def search_layout(spec: WorldTemplateSpec, rng: random.Random) -> Layout:
    """The best layout for ``spec``: every room in its requested orientation when some layout has
    that with the desired connections and shapes; else the better of that search's best and one
    with the rooms free to turn (or its transposition), by :func:`_oriented_score`. The oriented
    search is the quick one (structures the interval search proposes, refined), the free one full."""
    kept = _search(spec, rng, quick=True)
    if kept is not None and layout_complete(spec, kept.rects):
        return kept
    free = replace(spec, rooms=tuple(replace(r, oriented=False) for r in spec.rooms))
    turned = _search(free, rng)
    assert turned is not None
    transposed = Layout(
        {name: (y0, x0, y1, x1) for name, (x0, y0, x1, y1) in turned.rects.items()},
        turned.height,
        turned.width,
        turned.score,
    )
    layouts = [turned, transposed] if kept is None else [kept, turned, transposed]
    scored = [replace(lay, score=_oriented_score(spec, free, lay)) for lay in layouts]
    return min(scored, key=lambda lay: lay.score)


def search_shaped_layout(spec: WorldTemplateSpec, void: RoomSpec, rng: random.Random) -> Layout | None:
    """A layout of ``spec``'s rooms and ``void`` (:func:`footprint_void`) meeting everything
    (:func:`layout_complete`, public to private too), or None: only the structures the interval
    search proposes, refined, rooms in their requested orientation, so a footprint shape that does
    not suit the template costs little before the floor plan falls back to a rectangle."""
    shaped = replace(spec, rooms=(*spec.rooms, void))
    layout = _search(shaped, rng, quick=True, max_factor=JOINT_FACTORS[0])
    if layout is None or not layout_complete(shaped, layout.rects, hierarchy=True):
        return None
    return layout


def _oriented_score(spec: WorldTemplateSpec, free: WorldTemplateSpec, layout: Layout) -> float:
    """A layout's score with rooms free to turn, plus TURN_PENALTY per room turned from its request."""
    turned = 0
    for r in spec.rooms:
        if r.name == VOID:
            continue
        x0, y0, x1, y1 = layout.rects[r.name]
        turned += not orientation_kept(r.x_by_y, (x1 - x0) / (y1 - y0))
    return _score(free, layout.rects, layout.width / layout.height) + TURN_PENALTY * turned


def _search(
    spec: WorldTemplateSpec, rng: random.Random, quick: bool = False, max_factor: float = QUICK_FACTOR
) -> Layout | None:
    """The search of :func:`search_layout` for rooms as ``spec`` orients them; ``quick``: only the
    structures the interval search proposes within ``max_factor`` of the tolerance (None if none)."""
    total = sum(r.area for r in spec.rooms)
    req_fp = spec.footprint_aspect_x / spec.footprint_aspect_y
    best: Layout | None = None
    if len(spec.rooms) == 1:
        # One room: the footprint is the room, so it takes the room's shape in its requested
        # orientation (the room's shape is what the report checks; the footprint is a preference).
        fp = spec.rooms[0].x_by_y
        fp *= math.exp(rng.uniform(-0.04, 0.04))  # small seeded variation: distinct floorplans per seed
        height = math.sqrt(total / fp)
        rects = {spec.rooms[0].name: (0.0, 0.0, total / height, height)}
        return Layout(rects, total / height, height, _score(spec, rects, fp))
    areas = {r.name: r.area for r in spec.rooms}
    elite: list[tuple[float, int, Tree, float]] = []  # (score, tie-break, tree, footprint aspect)
    seen: set[str] = set()

    def consider(tree: Tree, fp: float) -> None:
        nonlocal best
        seen.add(_tree_key(tree))
        rects, fpa, score = _refine(spec, tree, fp, total)
        elite.append((score, len(seen), tree, fpa))
        elite.sort(key=lambda e: (e[0], e[1]))
        del elite[ELITE:]
        if best is None or score < best.score:
            height = math.sqrt(total / fpa)
            best = Layout(rects, total / height, height, score)

    def shapes_fit() -> bool:
        """Every room fits its shape and all rooms can be joined by doorways."""
        return (
            best is not None
            and _fits(spec, best.rects)
            and not _connection_misses(spec, best.rects)[0]
            and not _void_misplaced(spec, best.rects)
        )

    def done() -> bool:
        """Shapes fit, every desired connection has a wall to go through, and the rooms can be
        joined public to private."""
        return (
            shapes_fit()
            and _connection_misses(spec, best.rects)[1] == 0  # type: ignore[union-attr]
            and _hierarchy_misses(spec, best.rects) == 0  # type: ignore[union-attr]
        )

    # 1. Structures the interval search proves (nearly) feasible, refined with area trading:
    # those meeting every desired connection when there are any.
    wanted = VOID_PROPOSALS if any(r.name == VOID for r in spec.rooms) else PROPOSALS
    proposals, joint = _proposals(spec, rng, wanted, max_factor=max_factor if quick else math.inf)
    if quick and spec.connections and not joint:
        return None  # no structure meets the desired connections with these shapes
    for lo, hi, tree in proposals:
        inset = 0.01 * (hi - lo)  # at the interval's ends a desired connection's wall is just long enough
        log_fp = min(max(math.log(req_fp), lo), hi) + (hi - lo) * rng.uniform(-0.1, 0.1)
        fp = math.exp(min(max(log_fp, lo + inset), hi - inset))
        height = math.sqrt(total / fp)
        # Mirrored variants have the same shapes but other neighbours: keep the best-connected.
        variants = []
        for k in range(MIRRORS):
            variant = tree if k == 0 else _mirror(tree, rng)
            rects: dict[str, Box] = {}
            _realize(variant, (0.0, 0.0, total / height, height), _fractions(variant), rects)
            variants.append((_score(spec, rects, fp), k, variant))
        variant = min(variants)[2]
        if _tree_key(variant) not in seen:
            consider(variant, fp)
        if done():
            break
    if done() or quick:
        return best
    # 2. Randomly sampled slicing trees (their room order follows the desired connections), the
    # best few refined; not needed when the interval search found the desired connections.
    candidates: dict[str, tuple[float, Tree, float]] = {}  # tree key -> (score, tree, footprint)
    for i in range(0 if joint else CANDIDATES):
        fp = req_fp if i % 3 == 0 else req_fp * math.exp(rng.gauss(0.0, 0.3))
        height = math.sqrt(total / fp)
        width = total / height
        rects: dict[str, Box] = {}
        tree = _slice(_order(spec, rng), (0.0, 0.0, width, height), rng, rects)
        s = _rank(spec, rects)
        key = _tree_key(tree)
        if key not in candidates or s < candidates[key][0]:
            candidates[key] = (s, tree, fp)
    ranked = sorted(candidates.values(), key=lambda c: c[0])
    for _, tree, fp in ranked[:REFINE_TREES]:
        if _tree_key(tree) not in seen:
            consider(tree, fp)
    # 3. Evolutionary search over tree structures: mutate good trees until every desired
    # connection is met and every room fits.
    for _ in range(JOINT_MUTATIONS if joint else MUTATIONS):
        if done():
            break
        _, _, tree, fp = rng.choice(elite)
        for _ in range(rng.choice((1, 1, 2, 3))):
            tree = _mutate(tree, rng)
        tree = _with_fractions(tree, areas)
        if _tree_key(tree) not in seen:
            consider(tree, fp * math.exp(rng.gauss(0.0, 0.1)))
    assert best is not None
    return best


def _proposals(
    spec: WorldTemplateSpec, rng: random.Random, wanted: int = PROPOSALS, max_factor: float = math.inf
) -> tuple[list[Interval], bool]:
    """Up to ``wanted`` slicing structures to refine, and whether they meet every desired connection.

    With desired connections: structures from :func:`_interval_search` that meet them all, one per
    set of room shapes, best exact-area shapes first, each with a narrow interval around the
    footprint aspect where its shapes are best (the refinement then trades area). Only when no
    structure meets them all (or there are none): structures for the shapes alone, loosening the
    aspect tolerance step by step (up to ``max_factor`` times the tolerance)."""
    if spec.connections:
        for factor in JOINT_FACTORS if max_factor == math.inf else (max_factor,):
            blocks = _interval_search(spec, factor * ROOM_ASPECT_TOLERANCE, connections=True, shapes=True)
            blocks = [b for b in blocks if _tree_void_ok(spec, b[2])]
            if blocks:
                return _best_shapes(spec, blocks, rng, wanted), True
    out: list[Interval] = []
    keys: set[str] = set()
    for factor in (f for f in (SHAPE_AIM, 1.0, 1.4, 2.0, 3.0) if f <= max_factor):
        for iv in _feasible_trees(spec, factor * ROOM_ASPECT_TOLERANCE):
            key = _tree_key(iv[2])
            if key not in keys and _tree_void_ok(spec, iv[2]):
                keys.add(key)
                out.append(iv)
        if len(out) >= wanted:
            break
    return out[:wanted], False


def _best_shapes(
    spec: WorldTemplateSpec, blocks: list[Block], rng: random.Random, wanted: int
) -> list[Interval]:
    """One structure per set of room shapes (a random one of its mirror images at their best), ranked
    by the worst room's log aspect error at the best footprint aspect of its interval, exact areas."""
    free = np.array([not r.oriented for r in spec.rooms])
    target = np.array([math.log(r.x_by_y if r.oriented else r.aspect) for r in spec.rooms])
    void = np.array([r.name == VOID for r in spec.rooms])
    classes: dict[tuple[float, ...], list[tuple[float, float, float, float, Tree]]] = {}
    for lo, hi, tree, _, offsets in blocks:
        off = np.array([o for _, o in offsets])
        grid = np.linspace(lo, hi, 17)
        logs = grid[:, None] + off[None, :]
        errors = np.abs(np.where(free[None, :], np.abs(logs), logs) - target[None, :])
        errors[:, void] = np.maximum(0.0, np.abs(logs[:, void]) - math.log(VOID_MAX_ASPECT))
        worst = errors.max(axis=1)
        k = int(worst.argmin())
        shape_key = tuple(round(o, 6) for o in off)
        shape_key = min(shape_key, tuple(-o for o in shape_key))
        classes.setdefault(shape_key, []).append((float(worst[k]), float(grid[k]), lo, hi, tree))
    ranked = sorted(classes.values(), key=lambda members: min(m[0] for m in members))[:wanted]
    out: list[Interval] = []
    for members in ranked:
        least = min(m[0] for m in members)
        # Mirror images at their best footprint aspect; the same shapes may also come in another
        # interval of worse footprint aspects (rooms turned the other way), which is not wanted.
        _, best, lo, hi, tree = rng.choice([m for m in members if m[0] <= least + 1e-9])
        half = 0.05 * (hi - lo)
        out.append((max(lo, best - half), min(hi, best + half), tree))
    return out


Interval = tuple[float, float, Tree]  # feasible log(width / height) range of a block, and its tree

Side = tuple[tuple[str, float, float], ...]  # rooms along a side of a block: (room, from, to) fractions

Sides = tuple[Side, Side, Side, Side]  # west, east, south, north

# A block of the interval search: its feasible log aspects, tree, sides and its rooms' log aspects
# minus the block's, as (room index, offset).
Block = tuple[float, float, Tree, Sides, tuple[tuple[int, float], ...]]


def _connection_needs(spec: WorldTemplateSpec) -> dict[frozenset[str], float]:
    """The shared wall length each desired connection needs (the longest, if a pair is asked twice)."""
    needs: dict[frozenset[str], float] = {}
    for c in spec.connections:
        key = frozenset((c.room_a, c.room_b))
        need = MIN_DOOR_SPAN if c.connection_type == "Doorway" else MIN_OPENING_SPAN
        needs[key] = max(need, needs.get(key, 0.0))
    return needs


def _scaled(side: Side, offset: float, k: float) -> Side:
    return tuple((r, offset + k * a, offset + k * b) for r, a, b in side)


def _join_sides(vertical: bool, f: float, s1: Sides, s2: Sides) -> Sides:
    """The sides of a block cut at fraction ``f`` into ``s1`` (west/south) and ``s2``."""
    if vertical:
        south = _scaled(s1[2], 0.0, f) + _scaled(s2[2], f, 1 - f)
        north = _scaled(s1[3], 0.0, f) + _scaled(s2[3], f, 1 - f)
        return (s1[0], s2[1], south, north)
    west = _scaled(s1[0], 0.0, f) + _scaled(s2[0], f, 1 - f)
    east = _scaled(s1[1], 0.0, f) + _scaled(s2[1], f, 1 - f)
    return (west, east, s1[2], s2[3])


def _cut_bounds(
    vertical: bool, face1: Side, face2: Side, pairs: list[tuple[str, str, float]], area: float
) -> tuple[float, float]:
    """The log aspects of a block for which every desired pair split by its cut shares a wall of
    the length it needs: a wall across a vertical cut is a fraction l of the block height
    sqrt(area / e^s), across a horizontal one of its width sqrt(area * e^s)."""
    lo, hi = -math.inf, math.inf
    where1 = {r: (a, b) for r, a, b in face1}
    where2 = {r: (a, b) for r, a, b in face2}
    root = math.sqrt(area)
    for x, y, need in pairs:
        if x not in where1:
            x, y = y, x
        if x not in where1 or y not in where2:
            return 1.0, -1.0
        (a1, b1), (a2, b2) = where1[x], where2[y]
        share = min(b1, b2) - max(a1, a2)
        if share <= 1e-9:
            return 1.0, -1.0
        bound = 2.0 * math.log(share * root / need)
        if vertical:
            hi = min(hi, bound)
        else:
            lo = max(lo, -bound)
    return lo, hi


def _feasible_trees(spec: WorldTemplateSpec, tolerance: float, connections: bool = False) -> list[Interval]:
    """Every slicing structure (up to pruning) whose rooms can all have exactly their requested
    area and an aspect ratio within ``tolerance``, with the footprint log aspects that allow it;
    with ``connections``, only structures that also give every desired connection a shared wall
    long enough for it (as :func:`_connection_misses` counts it). See :func:`_interval_search`."""
    return [(lo, hi, tree) for lo, hi, tree, _, _ in _interval_search(spec, tolerance, connections)]


def _interval_search(
    spec: WorldTemplateSpec, tolerance: float, connections: bool = False, shapes: bool = False
) -> list[Block]:
    """The slicing structures of :func:`_feasible_trees`, with their sides and the log aspect of
    every room relative to the footprint's.

    Exact interval dynamic programming over room subsets: a room may take log(w/h) in
    ±[log(r(1-t)), log(r(1+t))] (and a short side of at least MIN_ROOM_SIDE); two blocks of areas
    A1, A2 side by side in a block of aspect a have aspects a*A1/A and a*A2/A, stacked a*A/A1 and
    a*A/A2, so a block's feasible log aspects are intersections of shifted child intervals. With
    exact areas a block's layout only stretches with its aspect, so the wall two rooms share across
    a cut is a fixed fraction of the block's height or width: a desired connection bounds the
    block's log aspect from one side too. Blocks then keep both child orders (they give other
    neighbours) and their sides, and an interval is only pruned by a wider one whose rooms with
    desired connections leaving the block lie along its sides in the same places; with ``shapes``,
    also only by one with the same room shapes (area trading may fit a structure whose exact-area
    interval is narrow or empty at ``tolerance``), and up to SHAPES_CAP blocks are kept.
    """
    rooms = spec.rooms
    n = len(rooms)
    needs = _connection_needs(spec) if connections else {}
    index = {r.name: i for i, r in enumerate(rooms)}
    pair_masks = [
        ((1 << index[a]) | (1 << index[b]), a, b, need)
        for (a, b), need in ((tuple(k), v) for k, v in needs.items())
    ]
    feasible: dict[int, list[Block]] = {}
    area: dict[int, float] = {}
    void = next((r for r in rooms if r.name == VOID), None)
    for i, r in enumerate(rooms):
        area[1 << i] = r.area
        whole: Side = ((r.name, 0.0, 1.0),)
        sides: Sides = (whole, whole, whole, whole)
        feasible[1 << i] = [
            (lo, hi, r.name, sides, ((i, 0.0),)) for lo, hi in _room_log_aspects(r, tolerance)
        ]
    for mask in sorted(range(1, 1 << n), key=lambda m: m.bit_count()):
        if mask.bit_count() < 2:
            continue
        low = mask & -mask
        area[mask] = area[low] + area[mask ^ low]
        total = area[mask]
        outside = {
            name
            for m, a, b, _ in pair_masks
            if m & mask and m & ~mask
            for name in (a, b)
            if 1 << index[name] & mask
        }
        if void is not None and mask >> index[VOID] & 1:
            outside.add(VOID)  # its sides are kept: it has to stay on the block's edge
        out: list[Block] = []
        sub = (mask - 1) & mask
        while sub:
            if sub & low or needs:
                first, second = sub, mask ^ sub
                a1, a2 = area[first], area[second]
                split = [(a, b, need) for m, a, b, need in pair_masks if m & first and m & second]
                for vertical in (True, False):
                    s1 = math.log(a1 / total) if vertical else math.log(total / a1)
                    s2 = math.log(a2 / total) if vertical else math.log(total / a2)
                    for lo1, hi1, t1, sides1, off1 in feasible[first]:
                        for lo2, hi2, t2, sides2, off2 in feasible[second]:
                            lo, hi = max(lo1 - s1, lo2 - s2), min(hi1 - s1, hi2 - s2)
                            if lo > hi:
                                continue
                            if split:
                                face1, face2 = (sides1[1], sides2[0]) if vertical else (sides1[3], sides2[2])
                                clo, chi = _cut_bounds(vertical, face1, face2, split, total)
                                lo, hi = max(lo, clo), min(hi, chi)
                                if lo > hi:
                                    continue
                            sides = _join_sides(vertical, a1 / total, sides1, sides2) if outside else sides1
                            if VOID in outside and not _void_on_edge(void, sides):
                                continue
                            offsets = tuple(
                                sorted([(k, o + s1) for k, o in off1] + [(k, o + s2) for k, o in off2])
                            )
                            out.append((lo, hi, (vertical, a1 / total, t1, t2), sides, offsets))
            sub = (sub - 1) & mask
        feasible[mask] = _prune_sides(
            out,
            outside,
            shapes,
            cap=(VOID_SHAPES_CAP if void else SHAPES_CAP) if shapes else JOINT_CAP if needs else 10,
        )
    return feasible[(1 << n) - 1]


def _void_on_edge(void: RoomSpec, sides: Sides) -> bool:
    """Whether a block can still be part of the footprint ``void`` asks: a void on a side of the
    house is on the same side of every block holding it, so an L's void is in a corner of each
    (a west or east side and a south or north side), a U's on at least one side."""
    west, east, south, north = (any(r == VOID for r, _, _ in side) for side in sides)
    return (west or east) and (south or north) if void.type == "L" else west or east or south or north


def _room_log_aspects(room: RoomSpec, tolerance: float) -> list[tuple[float, float]]:
    """The log(x/y) ranges of a room within ``tolerance`` of its requested aspect (in its requested
    orientation unless it may turn: :func:`_aspect_error`), short sides at least MIN_ROOM_SIDE."""
    cap = math.log(room.area / MIN_ROOM_SIDE**2)
    if room.name == VOID:
        hi = min(math.log(VOID_MAX_ASPECT), cap)
        return [(-hi, hi)] if hi >= 0 else []
    hi = min(math.log(room.aspect * (1 + tolerance)), cap)
    if room.oriented and room.x_by_y != 1.0:
        short = room.aspect * (1 - tolerance)
        lo = max(math.log(short) if short > 0 else -math.inf, -cap)
        if hi < lo:
            return []
        return [(lo, hi)] if room.x_by_y > 1 else [(-hi, -lo)]
    lo = math.log(max(1.0, room.aspect * (1 - tolerance)))
    if hi < lo:
        return []
    return [(-hi, hi)] if lo == 0.0 else [(lo, hi), (-hi, -lo)]


def _prune_sides(intervals: list[Block], outside: set[str], shapes: bool, cap: int) -> list[Block]:
    """The ``cap`` widest intervals, dropping one inside a wider one whose rooms in ``outside``
    (those with desired connections leaving the block) lie along the same sides in the same places
    (and, with ``shapes``, whose rooms have the same shapes)."""
    intervals.sort(key=lambda iv: iv[0] - iv[1])
    kept: list[Block] = []
    groups: dict[tuple, list[Block]] = {}
    for iv in intervals:
        key = (
            tuple(tuple((r, round(a, 6), round(b, 6)) for r, a, b in side if r in outside) for side in iv[3])
            if outside
            else ()
        )
        if shapes:
            key = (key, tuple(round(o, 6) for _, o in iv[4]))
        group = groups.setdefault(key, [])
        if not any(k[0] <= iv[0] and iv[1] <= k[1] for k in group):
            group.append(iv)
            kept.append(iv)
            if len(kept) == cap:
                break
    return kept


def _prune(intervals: list, cap: int = 10) -> list:
    """Drop intervals inside another one; keep the ``cap`` widest (the most room to spare)."""
    intervals.sort(key=lambda iv: iv[0] - iv[1])
    kept: list[Interval] = []
    for iv in intervals:
        if not any(k[0] <= iv[0] and iv[1] <= k[1] for k in kept):
            kept.append(iv)
        if len(kept) == cap:
            break
    return kept


def _mirror(tree: Tree, rng: random.Random) -> Tree:
    """The same shapes with randomly mirrored cuts (children swapped), for variety per seed."""
    if isinstance(tree, str):
        return tree
    a, b = _mirror(tree[2], rng), _mirror(tree[3], rng)
    return (tree[0], 1 - tree[1], b, a) if rng.random() < 0.5 else (tree[0], tree[1], a, b)


def _leaves(tree: Tree) -> list[str]:
    return [tree] if isinstance(tree, str) else [*_leaves(tree[2]), *_leaves(tree[3])]


def _nodes(tree: Tree, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Paths (child indices 2/3) of the internal nodes, pre-order."""
    if isinstance(tree, str):
        return []
    return [path, *_nodes(tree[2], (*path, 2)), *_nodes(tree[3], (*path, 3))]


def _get(tree: Tree, path: tuple[int, ...]) -> Tree:
    for i in path:
        assert not isinstance(tree, str)
        tree = tree[i]
    return tree


def _put(tree: Tree, path: tuple[int, ...], sub: Tree) -> Tree:
    if not path:
        return sub
    assert not isinstance(tree, str)
    parts = list(tree)
    parts[path[0]] = _put(tree[path[0]], path[1:], sub)
    return (parts[0], parts[1], parts[2], parts[3])  # type: ignore[return-value]


def _mutate(tree: Tree, rng: random.Random) -> Tree:
    """A random neighbour of a slicing tree: swap two rooms, flip a cut, swap a cut's sides, or
    rotate two nested cuts (re-associate (a|b)|c into a|(b|c))."""
    nodes = _nodes(tree)
    kind = rng.randrange(4)
    if kind == 0:
        names = _leaves(tree)
        a, b = rng.sample(names, 2)

        def swap(t: Tree) -> Tree:
            if isinstance(t, str):
                return b if t == a else a if t == b else t
            return (t[0], t[1], swap(t[2]), swap(t[3]))

        return swap(tree)
    path = rng.choice(nodes)
    node = _get(tree, path)
    assert not isinstance(node, str)
    if kind == 1:
        return _put(tree, path, (not node[0], node[1], node[2], node[3]))
    if kind == 2:
        return _put(tree, path, (node[0], node[1], node[3], node[2]))
    for side in (2, 3):
        child = node[side]
        if not isinstance(child, str):
            if side == 2:  # ((x|y)|z) -> (x|(y|z))
                inner = (node[0], 0.5, child[3], node[3])
                return _put(tree, path, (child[0], 0.5, child[2], inner))
            inner = (node[0], 0.5, node[2], child[2])  # (x|(y|z)) -> ((x|y)|z)
            return _put(tree, path, (child[0], 0.5, inner, child[3]))
    return _put(tree, path, (not node[0], node[1], node[2], node[3]))


def _with_fractions(tree: Tree, areas: dict[str, float]) -> Tree:
    """The tree with every cut at the area-proportional position."""
    if isinstance(tree, str):
        return tree
    a, b = _with_fractions(tree[2], areas), _with_fractions(tree[3], areas)
    first = sum(areas[n] for n in _leaves(a))
    return (tree[0], first / (first + sum(areas[n] for n in _leaves(b))), a, b)


def _tree_key(tree: Tree) -> str:
    """A slicing tree's structure (cut directions and room order), without cut positions."""
    if isinstance(tree, str):
        return tree
    return f"({'v' if tree[0] else 'h'} {_tree_key(tree[2])} {_tree_key(tree[3])})"
