"""Non-rectangular rooms: for a share of floor plans, one public room is an L.

An L room ``a`` (a Living, Dining or Hallway room of at least L_MIN_AREA) wraps around a smaller
room ``b`` in one corner of its bounding box. The slicing layout (:mod:`.room_layout`) lays out
the two as one rectangle leaf of their summed area with ``a``'s requested aspect (and the
desired connections of both); ``b`` then takes the corner of that rectangle that meets the most
desired connections, in exactly its requested area and aspect, and ``a`` the rest: an L of two
rectangles with no wall between them, each at least L_MIN_SIDE thick. So ``a``'s area is the
leaf's minus ``b``'s and its aspect the leaf's (the bounding box's), both checked against the
shape tolerances; a layout that misses anything (a shape, a desired connection) is dropped and
the floor plan is the rectangles' one. The choice and the search have their own random streams,
so a floor plan whose rooms stay rectangles is the one it was.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from jobforge.services.robomaker.template_format import ConnectionSpec, RoomSpec, WorldTemplateSpec
from jobforge.services.robomaker.worldgen.geometry import Box, rect_parts, union_outline
from jobforge.services.robomaker.worldgen.room_layout import (
    FIT_MARGIN,
    MIN_DOOR_SPAN,
    MIN_OPENING_SPAN,
    Layout,
    search_oriented_layout,
    shared_segment,
)
from jobforge.services.robomaker.worldgen.shape import ROOM_AREA_TOLERANCE, area_error

L_TYPES = ("Living", "Dining", "Hallway")
L_MIN_ROOMS = 4
L_SHARE = 0.7  # share of the floor plans (with L_MIN_ROOMS rooms) that look for an L room
L_MIN_AREA = 12.0
L_MAX_CORNER = 0.6  # the room in the corner has at most this share of the L room's area
L_CORNER_ASPECT = 1.6  # and is compact: long side / short side at most this
L_MIN_SIDE = 1.6  # each part of the L at least this thick (furnishable, a robot turns in it)
L_MIN_MAIN_SIDE = 2.8  # and its larger part this thick (a dining table with chairs fits)
L_TRIES = 3  # room pairs tried (a quick layout search each) before the rooms stay rectangles

Parts = dict[str, tuple[Box, ...]]
Segment = tuple[str, float, float, float]


@dataclass(frozen=True)
class LPlan:
    """The L room ``room`` around ``corner``, and the template with the two as one room."""

    room: str
    corner: str
    merged: WorldTemplateSpec


def pair_segments(a: tuple[Box, ...], b: tuple[Box, ...]) -> list[Segment]:
    """The walls two rooms (as rectangle parts) share: collinear touching pieces merged, longest first."""
    pieces = sorted(s for pa in a for pb in b if (s := shared_segment(pa, pb)) is not None)
    merged: list[Segment] = []
    for axis, fixed, lo, hi in pieces:
        last = merged[-1] if merged else None
        if last and last[0] == axis and abs(last[1] - fixed) < 1e-6 and lo <= last[3] + 1e-6:
            merged[-1] = (axis, last[1], last[2], max(last[3], hi))
        else:
            merged.append((axis, fixed, lo, hi))
    return sorted(merged, key=lambda s: -(s[3] - s[2]))


def unmet_connections(spec: WorldTemplateSpec, parts: Parts) -> int:
    """How many desired connections have no shared wall long enough for them."""
    unmet = 0
    for c in spec.connections:
        need = MIN_DOOR_SPAN if c.connection_type == "Doorway" else MIN_OPENING_SPAN
        segs = pair_segments(parts[c.room_a], parts[c.room_b])
        unmet += not segs or segs[0][3] - segs[0][2] < need
    return unmet


def l_plans(spec: WorldTemplateSpec, seed: int) -> list[LPlan]:
    """Which room of floor plan ``seed`` may be an L around which other room: up to L_TRIES pairs,
    rooms with a desired connection between them first (deterministic by seed)."""
    if len(spec.rooms) < L_MIN_ROOMS:
        return []
    rng = random.Random(f"room-shape:{seed}")
    if rng.random() >= L_SHARE:
        return []
    pairs = [
        (a, b)
        for a in spec.rooms
        if a.type in L_TYPES and a.area >= L_MIN_AREA
        for b in spec.rooms
        if b is not a and b.area <= L_MAX_CORNER * a.area and b.aspect <= L_CORNER_ASPECT
    ]
    rng.shuffle(pairs)
    joined = {frozenset((c.room_a, c.room_b)) for c in spec.connections}
    pairs.sort(key=lambda p: frozenset((p[0].name, p[1].name)) not in joined)  # open plan first
    return [_plan(spec, a, b) for a, b in pairs[:L_TRIES]]


def _plan(spec: WorldTemplateSpec, a: RoomSpec, b: RoomSpec) -> LPlan:
    """``a`` as an L around ``b``: the template with the two as one room of ``a``'s shape."""
    merged_room = replace(a, area=a.area + b.area)
    connections: list[ConnectionSpec] = []
    for c in spec.connections:
        ends = tuple(a.name if n == b.name else n for n in (c.room_a, c.room_b))
        pair = replace(c, room_a=ends[0], room_b=ends[1])
        if ends[0] != ends[1] and pair not in connections:
            connections.append(pair)
    rooms = tuple(merged_room if r is a else r for r in spec.rooms if r is not b)
    return LPlan(a.name, b.name, replace(spec, rooms=rooms, connections=tuple(connections)))


def _shape(room: RoomSpec) -> tuple[float, float]:
    """A room's width and depth at exactly its requested area and aspect."""
    w = math.sqrt(room.area * room.x_by_y)
    return w, room.area / w


def l_layout(spec: WorldTemplateSpec, seed: int) -> tuple[Layout, Parts] | None:
    """The layout and the rooms' rectangle parts of floor plan ``seed`` with an L room, or None."""
    rng = random.Random(f"room-shape-layout:{seed}")
    for plan in l_plans(spec, seed):
        layout = search_oriented_layout(plan.merged, rng)
        found = None if layout is None else _split(spec, plan, layout)
        if found is not None:
            return layout, found
    return None


def _split(spec: WorldTemplateSpec, plan: LPlan, layout: Layout) -> Parts | None:
    """The rooms' parts with ``plan.corner`` in the corner of ``plan.room``'s leaf that meets the
    most desired connections; None when one is missed, a part is too thin or the area misses."""
    block = layout.rects[plan.room]
    w, h = _shape(spec.room(plan.corner))
    x0, y0, x1, y1 = block
    if w > x1 - x0 - L_MIN_SIDE or h > y1 - y0 - L_MIN_SIDE:
        return None
    options = []
    for cx, cy in ((x0, y0), (x1 - w, y0), (x1 - w, y1 - h), (x0, y1 - h)):
        corner = (cx, cy, cx + w, cy + h)
        l_parts = _l_parts(block, corner)
        if l_parts is not None:
            parts = {n: (r,) for n, r in layout.rects.items() if n != plan.room}
            parts |= {plan.room: l_parts, plan.corner: (corner,)}
            options.append((unmet_connections(spec, parts), len(options), parts))
    if not options:
        return None
    unmet, _, parts = min(options)
    area = (x1 - x0) * (y1 - y0) - w * h
    if unmet or area_error(spec.room(plan.room).area, area) > FIT_MARGIN * ROOM_AREA_TOLERANCE:
        return None
    return parts


def _l_parts(block: Box, corner: Box) -> tuple[Box, ...] | None:
    """``block`` minus ``corner`` as the L's two parts (:func:`rect_parts`), or None when a part is
    thinner than L_MIN_SIDE or the larger one than L_MIN_MAIN_SIDE."""
    x0, y0, x1, y1 = block
    cx0, cy0, cx1, cy1 = corner
    beside = (x0, y0, cx0, y1) if cx0 > x0 + 1e-9 else (cx1, y0, x1, y1)
    below = (cx0, y0, cx1, cy0) if cy0 > y0 + 1e-9 else (cx0, cy1, cx1, y1)
    loops = union_outline([beside, below], 9)
    if len(loops) != 1 or len(loops[0]) != 6:
        return None
    out = rect_parts(loops[0])
    thickness = [min(b[2] - b[0], b[3] - b[1]) for b in out]
    if min(thickness) < L_MIN_SIDE or thickness[0] < L_MIN_MAIN_SIDE:
        return None
    return out
