"""Decor pass (issue #15): rugs, floor plants and small objects on surfaces, after the furniture.

Deterministic from the interior seed (its own random stream, so the furniture does not change) and
scaled by each room's density (:data:`BUDGETS`: Sparse rooms get at most one object).

- **Rugs** (``Rugs``, 1 cm) go in front of a sofa under its coffee table, under a dining table and
  its chairs, across the foot of a bed or as a runner beside it, else in the free middle of a large
  room. A rug stays inside the room and out of every door leaf's reach (the leaf's bottom edge is
  1 cm above the floor, level with a rug's top: it would drag over it), but may lie in a doorway's
  clearance, which the robot drives over. Every floor item a rug reaches is either wholly on it or
  a static piece of the rug's own group (a sofa's front legs); those items are raised by the rug's
  thickness (``z``), so nothing interpenetrates and dynamic items rest flat on the rug's thin
  static collision.
- **Plants** (``Plants``) stand in large rooms' free corners or along free wall, outside front
  clearances, group zones and doorway keep-outs, off rugs, each confirmed on the navigation grid.
- **Objects on surfaces** (``TableLamps``, ``Books``, ``Plates``, ``Cups``, ``Bowls``, ``Vases``)
  stand on the surfaces :mod:`surfaces` gives for their parent's model: ``parent`` is the item
  they stand on, ``z`` its surface height, never over an edge nor on each other, turned with it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS, Variant
from jobforge.services.robomaker.worldgen.geometry import (
    Box,
    any_overlap,
    boxes_array,
    circle_hits_box,
    expand,
    inside,
    intersect,
)
from jobforge.services.robomaker.worldgen.navgrid import NavGrid
from jobforge.services.robomaker.worldgen.quality import front_zone
from jobforge.services.robomaker.worldgen.surfaces import Surface, surfaces
from jobforge.services.robomaker.worldgen.world import Doorway, FurnitureItem, Room, _r

LARGE_ROOM = 12.0  # m² of floor inside the walls: rooms this big get plants and a free-standing rug
PLANT_ROOMS = frozenset({"Living", "Dining", "Bedroom", "Hallway", "Kitchen"})
CENTRE_RUG_ROOMS = frozenset({"Living", "Dining", "Bedroom"})
EDGE_MARGIN = 0.02  # objects keep this far inside their surface's edges
OBJECT_GAP = 0.02  # between two objects on one surface
OBJECT_TRIES = 10
PLANT_TRIES = 8
SWING_MARGIN = 0.05  # rugs keep this far outside a door leaf's reach
CENTRE_RUG_TRIES = 10
PLANT_SPACING = 1.0  # between two plants of a room

# What stands on what, most typical first (a lamp on a nightstand before a book).
OBJECTS: dict[str, tuple[str, ...]] = {
    "DiningTables": ("Plates", "Plates", "Cups", "Bowls", "Cups", "Vases"),
    "KitchenIslandsAndCarts": ("Bowls", "Plates", "Cups", "Vases"),
    "ServingCarts": ("Cups", "Plates", "Bowls"),
    "CoffeeTables": ("Books", "Vases", "Cups", "Bowls"),
    "EndAndSideTables": ("TableLamps", "Books", "Cups"),
    "Nightstands": ("TableLamps", "Books", "Cups"),
    "ConsoleTables": ("TableLamps", "Vases", "Bowls", "Books"),
    "SideboardsAndBuffets": ("TableLamps", "Vases", "Bowls", "Plates"),
    "Dressers": ("TableLamps", "Vases", "Books"),
    "MediaStorage": ("Vases", "Books"),
    "Desks": ("TableLamps", "Books", "Cups"),
    "Bookcases": ("Books", "Books", "Vases", "Books"),
}


@dataclass(frozen=True)
class Budget:
    """Decor for one room: rugs, plants, surfaces dressed and objects per surface."""

    rugs: int
    plants: int
    surfaces: int
    per_surface: int


BUDGETS: dict[str, Budget] = {
    "Sparse": Budget(0, 0, 1, 1),
    "Moderate": Budget(1, 1, 3, 2),
    "Dense": Budget(2, 2, 12, 4),
}


@dataclass
class FloorRules:
    """What floor-standing decor must respect: the doorway keep-outs, the navigation grid (``mask``
    grows as plants are placed; ``required``: rooms to keep reachable with solid leaves) and the
    spawn's clear disc."""

    keepouts: np.ndarray
    nav: NavGrid
    mask: np.ndarray
    required: frozenset[int]
    spawn: tuple[float, float]
    spawn_radius: float


@dataclass
class _Room:
    """One room's state while it is decorated."""

    room: Room
    inner: Box
    items: list[FurnitureItem]  # the room's furniture, replaced when a rug raises an item
    zones: np.ndarray  # the furnisher's clearance zones in this room
    rugs: list[Box]


def _to_world(item: FurnitureItem, u: float, v: float) -> tuple[float, float]:
    """A point in ``item``'s frame (u along its width, v towards its front) in the world."""
    c, s = math.cos(item.yaw), math.sin(item.yaw)
    return item.x + c * u - s * v, item.y + s * u + c * v


def _wrap(yaw: float) -> float:
    """Into (-pi, pi], as the furnisher's yaws (a rounded 3.1416 stays pi)."""
    yaw = math.remainder(yaw, 2 * math.pi)
    return math.pi if abs(abs(yaw) - math.pi) < 1e-3 else yaw


def _item(
    id_: str, type_: str, v: Variant, room: str, xy: tuple[float, float], yaw: float, **kw: object
) -> FurnitureItem:
    return FurnitureItem(
        id=id_, type=type_, model=v.model, room=room, x=_r(xy[0]), y=_r(xy[1]), yaw=_r(_wrap(yaw)),
        width=v.width, depth=v.depth, height=v.height, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Rugs


def _rug_candidates(anchor: FurnitureItem) -> list[tuple[Variant, float, tuple[float, float]]]:
    """(variant, yaw, centre) of rugs for a sofa, a dining table or a bed, preferred first."""
    big, medium, runner = (
        ITEM_TYPES["Rugs"].variants[1],
        ITEM_TYPES["Rugs"].variants[0],
        ITEM_TYPES["Rugs"].variants[2],
    )
    front = anchor.depth / 2
    if anchor.type == "Sofas":  # its back edge under the sofa's front legs, the coffee table on it
        return [  # shifted along the sofa to keep out of a door's swing; a small one under the coffee table
            (v, anchor.yaw, _to_world(anchor, shift, front + (0.75 if v is runner else v.depth / 2 - 0.2)))
            for v in (big, medium, runner)
            for shift in (0.0, -0.15, 0.15, -0.3, 0.3, -0.5, 0.5)
        ]
    if anchor.type == "DiningTables":
        turn = 0.0 if anchor.width >= anchor.depth else math.pi / 2
        return [(v, anchor.yaw + turn, (anchor.x, anchor.y)) for v in (big, medium)]
    if anchor.type == "Beds":  # across the foot, else a runner along a long side
        out = [(v, anchor.yaw, _to_world(anchor, 0.0, front + 0.35 - v.depth / 2)) for v in (medium, big)]
        for side in (1.0, -1.0):
            out.append(
                (runner, anchor.yaw + math.pi / 2, _to_world(anchor, side * (anchor.width / 2 + 0.3), 0.2))
            )
        return out
    return []


def _swings(doorways: list[Doorway]) -> list[tuple[float, float, float]]:
    """(hinge x, hinge y, radius) of every hinged door's swing, with a margin."""
    return [(*d.hinge, d.width + SWING_MARGIN) for d in doorways if d.has_door and d.hinge is not None]


def _rug_raises(
    rug: Box, group: set[str], r: _Room, swings: list[tuple[float, float, float]]
) -> list[int] | None:
    """Indices of the room items the rug lifts, or None when the rug does not fit there."""
    if not inside(rug, r.inner) or any_overlap(rug, boxes_array(r.rugs)):
        return None
    if any(circle_hits_box(x, y, radius, rug) for x, y, radius in swings):
        return None
    raised = []
    for i, it in enumerate(r.items):
        if not it.blocks_floor or it.z > 0:
            continue
        b = it.box()
        if intersect(b, rug) is None:
            continue
        if not inside(b, rug) and not (PHYSICS[it.type].static and (it.id in group or it.parent in group)):
            return None  # half on the rug: a dynamic item would rock, another piece looks misplaced
        raised.append(i)
    return raised


def _lay_rug(
    r: _Room,
    v: Variant,
    yaw: float,
    xy: tuple[float, float],
    group: set[str],
    swings: list[tuple[float, float, float]],
    new_id: Callable[[], str],
) -> FurnitureItem | None:
    rug = _item("", "Rugs", v, r.room.name, xy, yaw)
    raised = _rug_raises(rug.box(), group, r, swings)
    if raised is None:
        return None
    for i in raised:
        r.items[i] = replace(r.items[i], z=rug.top)
    r.rugs.append(rug.box())
    return replace(rug, id=new_id())


def _centre_rug_candidates(r: _Room, rng: random.Random) -> list[tuple[Variant, float, tuple[float, float]]]:
    """The room's middle first, then random places, the long side along the room's."""
    x0, y0, x1, y1 = r.inner
    yaw = 0.0 if x1 - x0 >= y1 - y0 else math.pi / 2
    out = []
    for v in (ITEM_TYPES["Rugs"].variants[1], ITEM_TYPES["Rugs"].variants[0]):
        out.append((v, yaw, ((x0 + x1) / 2, (y0 + y1) / 2)))
        out += [(v, yaw, (rng.uniform(x0, x1), rng.uniform(y0, y1))) for _ in range(CENTRE_RUG_TRIES)]
    return out


# ----------------------------------------------------------------------------------------------
# Plants


def _plant_boxes(inner: Box, w: float, d: float, beside: np.ndarray, rng: random.Random) -> list[Box]:
    """Corner positions first, then beside items standing against a wall, then random places along
    the walls."""
    x0, y0, x1, y1 = inner
    corners = [(x0, y0), (x1 - w, y0), (x0, y1 - d), (x1 - w, y1 - d)]
    rng.shuffle(corners)
    out = [(x, y, x + w, y + d) for x, y in corners]
    near = []
    gap = 0.05
    for bx0, by0, bx1, by1 in beside.tolist():
        if by0 <= y0 + gap or by1 >= y1 - gap:  # against the south or north wall: left or right of it
            y = y0 if by0 <= y0 + gap else y1 - d
            near += [(bx0 - gap - w, y), (bx1 + gap, y)]
        if bx0 <= x0 + gap or bx1 >= x1 - gap:
            x = x0 if bx0 <= x0 + gap else x1 - w
            near += [(x, by0 - gap - d), (x, by1 + gap)]
    rng.shuffle(near)
    out += [(x, y, x + w, y + d) for x, y in near if x0 <= x and x + w <= x1 and y0 <= y and y + d <= y1]
    for _ in range(PLANT_TRIES):
        side = rng.randrange(4)
        if side < 2:
            x = rng.uniform(x0, x1 - w)
            y = y0 if side == 0 else y1 - d
        else:
            y = rng.uniform(y0, y1 - d)
            x = x0 if side == 2 else x1 - w
        out.append((x, y, x + w, y + d))
    return out


def _place_plants(
    r: _Room, count: int, floor_rules: FloorRules, rng: random.Random, new_id: Callable[[], str]
) -> list[FurnitureItem]:
    """Up to ``count`` plants in the room's free corners or along free wall (``floor_rules.mask`` updated)."""
    fr = floor_rules
    plants: list[FurnitureItem] = []
    floor = boxes_array([it.box() for it in r.items if it.blocks_floor])
    fronts = boxes_array([z for it in r.items if (z := front_zone(it)) is not None])
    for _ in range(count):
        v = rng.choice(ITEM_TYPES["Plants"].variants)
        for box in _plant_boxes(r.inner, v.width, v.depth, floor, rng):
            if (
                any_overlap(box, floor) or any_overlap(box, fronts) or any_overlap(box, r.zones)
                or any_overlap(box, fr.keepouts) or any_overlap(box, boxes_array(r.rugs))
                or circle_hits_box(*fr.spawn, fr.spawn_radius, box)
                or any_overlap(expand(box, PLANT_SPACING), boxes_array([p.box() for p in plants]))
            ):  # fmt: skip
                continue
            trial = fr.nav.try_add(fr.mask, [box], fr.required)
            if trial is None:
                continue
            fr.mask = trial
            xy = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            plants.append(_item(new_id(), "Plants", v, r.room.name, xy, rng.choice((0.0, math.pi / 2))))
            floor = np.vstack([floor, boxes_array([box])])
            break
    return plants


# ----------------------------------------------------------------------------------------------
# Objects on surfaces


def _object_variant(type_: str, surface: Surface) -> Variant:
    variants = ITEM_TYPES[type_].variants
    return variants[0] if type_ != "Books" or surface.shelf else variants[-1]  # books lie flat on tables


def _dress(parent: FurnitureItem, kinds: tuple[str, ...], most: int, rng: random.Random,
           new_id: Callable[[], str], standing: list[FurnitureItem]) -> list[FurnitureItem]:  # fmt: skip
    """Up to ``most`` objects on ``parent``'s surfaces, each inside a surface, apart from the others
    and clear of what already stands on ``parent`` (``standing``: a TV on its unit)."""
    found = surfaces(parent.type, parent.width, parent.depth, parent.height)
    if not found:
        return []
    out: list[FurnitureItem] = []
    placed: dict[int, list[Box]] = {}
    for type_ in kinds:
        if len(out) >= most:
            break
        order = list(range(len(found)))
        rng.shuffle(order)
        for k in order:
            surface = found[k]
            v = _object_variant(type_, surface)
            sx0, sy0, sx1, sy1 = surface.box
            hw, hd = v.width / 2 + EDGE_MARGIN, v.depth / 2 + EDGE_MARGIN
            if v.height > surface.headroom or sx1 - sx0 < 2 * hw or sy1 - sy0 < 2 * hd:
                continue
            mine = placed.setdefault(k, [])
            spot = None
            for _ in range(OBJECT_TRIES):
                u, w = rng.uniform(sx0 + hw, sx1 - hw), rng.uniform(sy0 + hd, sy1 - hd)
                if type_ == "Books" and surface.shelf:  # rows of books stand at the back of a shelf
                    w = sy0 + hd
                local = (u - v.width / 2, w - v.depth / 2, u + v.width / 2, w + v.depth / 2)
                if any(intersect(expand(b, OBJECT_GAP), local) is not None for b in mine):
                    continue
                probe = _item("probe", type_, v, parent.room, _to_world(parent, u, w), parent.yaw,
                              z=_r(parent.z + surface.z))  # fmt: skip
                near = expand(probe.box(), OBJECT_GAP)
                if all(probe.apart_vertically(o) or intersect(o.box(), near) is None for o in standing):
                    spot = (u, w, local)
                    break
            if spot is None:
                continue
            mine.append(spot[2])
            out.append(
                _item(new_id(), type_, v, parent.room, _to_world(parent, spot[0], spot[1]), parent.yaw,
                      parent=parent.id, z=_r(parent.z + surface.z))
            )  # fmt: skip
            break
    return out


# ----------------------------------------------------------------------------------------------
# Public entry points


def without_group(furniture: list[FurnitureItem], root: str) -> list[FurnitureItem]:
    """``furniture`` without item ``root`` and everything standing on or grouped with it, at any depth
    (a bed's nightstands and the lamps on them)."""
    gone = {root}
    for it in furniture:  # parents come before their children
        if it.parent in gone:
            gone.add(it.id)
    return [it for it in furniture if it.id not in gone]


def decorate(
    rooms: list[Room],
    doorways: list[Doorway],
    furniture: list[FurnitureItem],
    zones: dict[str, np.ndarray],
    floor_rules: FloorRules,
    inset: float,
    seed: int,
) -> list[FurnitureItem]:
    """``furniture`` with rugs, plants and objects on surfaces added (and items on rugs raised)."""
    rng = random.Random(f"decor:{seed}")
    swings = _swings(doorways)
    counter = len(furniture)

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"furniture_{counter - 1}"

    ordered: list[FurnitureItem] = []
    decor: list[FurnitureItem] = []
    for room in rooms:
        b = room.rects[0]  # an L room: rugs and plants in its larger part
        budget = BUDGETS[room.furniture_density]
        inner = (b[0] + inset, b[1] + inset, b[2] - inset, b[3] - inset)
        mine = [f for f in furniture if f.room == room.name]
        r = _Room(room, inner, mine, zones.get(room.name, boxes_array([])), [])
        area = (r.inner[2] - r.inner[0]) * (r.inner[3] - r.inner[1])
        # Rugs under the room's groups (sofas first), else one in a large room's free middle.
        anchors = [it for it in r.items if it.type in ("Sofas", "DiningTables", "Beds")]
        anchors.sort(key=lambda it: ("Sofas", "DiningTables", "Beds").index(it.type))
        rugs: list[FurnitureItem] = []
        for anchor in anchors:
            if len(rugs) >= budget.rugs:
                break
            group = {anchor.id} | {it.id for it in r.items if it.parent == anchor.id}
            for v, yaw, xy in _rug_candidates(anchor):
                rug = _lay_rug(r, v, yaw, xy, group, swings, new_id)
                if rug is not None:
                    rugs.append(rug)
                    break
        if not rugs and budget.rugs and area >= LARGE_ROOM and room.type in CENTRE_RUG_ROOMS:
            for v, yaw, xy in _centre_rug_candidates(r, rng):
                rug = _lay_rug(r, v, yaw, xy, set(), swings, new_id)
                if rug is not None:
                    rugs.append(rug)
                    break
        plants: list[FurnitureItem] = []
        if area >= LARGE_ROOM and room.type in PLANT_ROOMS:
            plants = _place_plants(r, budget.plants, floor_rules, rng, new_id)
        # Small objects on the surfaces of the (possibly raised) furniture.
        objects: list[FurnitureItem] = []
        hosts = [it for it in r.items if it.type in OBJECTS]
        rng.shuffle(hosts)
        for host in hosts[: budget.surfaces]:
            above = host.top - 0.01  # what stands on the host (a TV on its unit) or hangs over it
            standing = [it for it in r.items if it.z >= above and intersect(it.box(), host.box()) is not None]
            objects += _dress(host, OBJECTS[host.type], budget.per_surface, rng, new_id, standing)
        ordered += r.items
        decor += rugs + plants + objects
    return ordered + decor
