"""Window stage (Version 2 worlds): windows in the exterior walls of a furnished world.

Each room but a closet gets one window, or two when it is a living room, bedroom, dining room or
kitchen with at least WIDE_ROOM metres of exterior wall (on its two longest exterior walls, or
spread along its only one). Positions and widths come from the floorplan seed, so the interiors of
one floorplan share their windows where their furniture allows: a window keeps CORNER_MARGIN from
the room's corners and DOOR_MARGIN from any doorway in its wall (the exterior entrance door
included), and never stands behind an item taller than its sill that stands against the wall
(within FURNITURE_BAND of the wall's inner face); it moves along the wall to the nearest free
place, narrows, or goes to another exterior wall of the room, and is left out when none fits.

Windows cut the wall from ``sill`` to ``top`` only: the wall stays whole at floor level, so
navigation, the quality report and placement are unaffected.
"""

from __future__ import annotations

import random
from dataclasses import replace

from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES
from jobforge.services.robomaker.worldgen.floorplan import EXTERIOR_WALL
from jobforge.services.robomaker.worldgen.world import Room, Wall, Window, World, _r

SILL = 0.9
HIGH_SILL = 1.3  # bathrooms: a higher, narrower window
HEAD = 2.1  # the top of a window, level with the door heads
MIN_LINTEL = 0.2  # wall left above a window under a low ceiling
MIN_HEIGHT = 0.5
CORNER_MARGIN = 0.4
DOOR_MARGIN = 0.3
WINDOW_SPACING = 0.6  # between two windows in one wall
FURNITURE_BAND = 0.5
FURNITURE_MARGIN = 0.05
WIDE_ROOM = 4.5
WIDTHS = (1.5, 1.2, 1.0, 0.8, 0.6)
TWO_WINDOW_TYPES = frozenset({"Living", "Bedroom", "Dining", "Kitchen"})
NO_WINDOWS = frozenset({"Closet"})

Interval = tuple[float, float]


def _axis(wall: Wall) -> str:
    return "x" if wall.start[1] == wall.end[1] else "y"


def _free(allowed: Interval, blocked: list[Interval]) -> list[Interval]:
    """``allowed`` minus the ``blocked`` intervals."""
    out, cursor = [], allowed[0]
    for a, b in sorted(blocked):
        if a > cursor:
            out.append((cursor, min(a, allowed[1])))
        cursor = max(cursor, b)
    if cursor < allowed[1]:
        out.append((cursor, allowed[1]))
    return [(a, b) for a, b in out if b > a]


def _blocked(world: World, room: Room, wall: Wall, sill: float, placed: list[Window]) -> list[Interval]:
    """Along-wall intervals a window may not overlap: doorways, taller items against the wall,
    the windows already in it."""
    axis = _axis(wall)
    k = 0 if axis == "x" else 1
    out = []
    for d in world.doorways:
        if d.wall == wall.id:
            c = d.center[k]
            out.append((c - d.width / 2 - DOOR_MARGIN, c + d.width / 2 + DOOR_MARGIN))
    fixed = wall.start[1 - k]
    inward = room.side_of(wall.start, wall.end)
    face = fixed + inward * wall.thickness / 2
    for item in world.furniture:
        if item.room != room.name or item.top <= sill or ITEM_TYPES[item.type].placement == "surface":
            continue
        b = item.box()
        near, far = (b[1], b[3]) if axis == "x" else (b[0], b[2])
        gap = near - face if inward > 0 else face - far
        if gap < FURNITURE_BAND:
            out.append((b[k] - FURNITURE_MARGIN, b[k + 2] + FURNITURE_MARGIN))
    out += [
        (a - WINDOW_SPACING, b + WINDOW_SPACING) for w in placed if w.wall == wall.id for a, b in [w.span()]
    ]
    return out


def _fit(free: list[Interval], width: float, preferred: float) -> float | None:
    """The centre nearest ``preferred`` of a ``width`` opening inside one of the ``free`` intervals."""
    best = None
    for a, b in free:
        lo, hi = a + width / 2, b - width / 2
        if hi < lo:
            continue
        c = min(max(preferred, lo), hi)
        if best is None or abs(c - preferred) < abs(best - preferred):
            best = c
    return best


def _room_windows(world: World, room: Room, rng: random.Random, first: int) -> list[Window]:
    walls = sorted((w for w in world.walls if w.rooms == (room.name,)), key=lambda w: (-w.length, w.id))
    if room.type in NO_WINDOWS or not walls:
        return []
    sill = HIGH_SILL if room.type == "Bathroom" else SILL
    top = min(HEAD, world.ceiling_height - MIN_LINTEL)
    if top - sill < MIN_HEIGHT:
        return []
    two = room.type in TWO_WINDOW_TYPES and sum(w.length for w in walls) >= WIDE_ROOM
    slots = [(walls[0], 0.5)]
    if two:
        slots = (
            [(walls[0], 0.5), (walls[1], 0.5)] if len(walls) > 1 else [(walls[0], 1 / 3), (walls[0], 2 / 3)]
        )
    widest = rng.choice(WIDTHS[3:] if room.type == "Bathroom" else WIDTHS[:3])
    widths = [w for w in WIDTHS if w <= widest]
    placed: list[Window] = []
    for home, fraction in slots:
        fraction += rng.uniform(-0.08, 0.08)
        for wall in [home] + [w for w in walls if w is not home]:
            x0, y0, x1, y1 = room.part_at(wall.start, wall.end)  # an L room: the part it bounds
            axis = _axis(wall)
            k = 0 if axis == "x" else 1
            # The room's side where the wall runs along all of it; only the wall where it does not
            # (a side partly on a void of an L or U footprint, partly on another room).
            lo = max((x0, y0)[k], min(wall.start[k], wall.end[k]))
            hi = min((x1, y1)[k], max(wall.start[k], wall.end[k]))
            inset = EXTERIOR_WALL / 2 + CORNER_MARGIN
            free = _free((lo + inset, hi - inset), _blocked(world, room, wall, sill, placed))
            preferred = lo + (hi - lo) * fraction
            fits = ((w, c) for w in widths if (c := _fit(free, w, preferred)) is not None)
            width, centre = next(fits, (None, None))
            if width is None or centre is None:
                continue
            fixed = wall.start[1] if axis == "x" else wall.start[0]
            placed.append(
                Window(
                    id=f"window_{first + len(placed)}",
                    room=room.name,
                    wall=wall.id,
                    center=(_r(centre), fixed) if axis == "x" else (fixed, _r(centre)),
                    width=width,
                    axis=axis,
                    sill=sill,
                    top=_r(top),
                )
            )
            break
    return placed


def place_windows(world: World) -> World:
    """``world`` with windows in its exterior walls (Version 2 only; Version 1 worlds have none)."""
    if world.template_version != "2":
        return world
    rng = random.Random(f"windows:{world.floorplan_seed}")
    windows: list[Window] = []
    for room in world.rooms:
        windows += _room_windows(world, room, rng, len(windows))
    return replace(world, windows=tuple(windows))
