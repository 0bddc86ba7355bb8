"""How homely a furnished world reads: kitchen counter runs, chairs at dining tables, sofas facing
their TV unit. Measurements only (the furnisher builds these; tests and bench/furnishing.py check
and report them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jobforge.services.robomaker.worldgen.world import FurnitureItem, World

BASE_UNITS = frozenset({"KitchenCounters", "KitchenSinks", "Ovens", "Cooktops", "DishWashers"})
COOKING = frozenset({"Ovens", "Cooktops"})
TOUCH = 0.06  # items closer than this (side to side) stand next to each other


def front(item: FurnitureItem) -> tuple[float, float]:
    """Unit vector the item's front faces."""
    return (-math.sin(item.yaw), math.cos(item.yaw))


def facing_angle(item: FurnitureItem, target: FurnitureItem) -> float:
    """Angle (radians) between ``item``'s front and the direction from it to ``target``'s centre."""
    fx, fy = front(item)
    dx, dy = target.x - item.x, target.y - item.y
    norm = math.hypot(dx, dy)
    if norm == 0:
        return math.pi
    return math.acos(max(-1.0, min(1.0, (fx * dx + fy * dy) / norm)))


def gap(a: FurnitureItem, b: FurnitureItem) -> float:
    """Distance between two footprints (0 when they touch or overlap)."""
    ax0, ay0, ax1, ay1 = a.box()
    bx0, by0, bx1, by1 = b.box()
    return math.hypot(max(bx0 - ax1, ax0 - bx1, 0.0), max(by0 - ay1, ay0 - by1, 0.0))


@dataclass(frozen=True)
class KitchenRun:
    """A kitchen's counter run: its base units, the fridge at its end, the wall cabinets above."""

    room: str
    base: tuple[FurnitureItem, ...]
    fridges: tuple[FurnitureItem, ...]  # fridges standing next to a base unit
    cabinets: tuple[FurnitureItem, ...]
    cooktops: tuple[FurnitureItem, ...]  # ranges or hob units among the base units

    @property
    def has_sink(self) -> bool:
        return any(i.type == "KitchenSinks" for i in self.base)

    @property
    def full(self) -> bool:
        """Sink, cooktop, fridge at the run, wall cabinets: what a kitchen needs."""
        return self.has_sink and bool(self.fridges and self.cabinets and self.cooktops)


def kitchen_runs(world: World) -> list[KitchenRun]:
    """One :class:`KitchenRun` per kitchen (empty tuples where a kitchen has none)."""
    out = []
    for room in world.rooms:
        if room.type != "Kitchen":
            continue
        items = [i for i in world.furniture if i.room == room.name]
        base = tuple(i for i in items if i.type in BASE_UNITS and i.z == 0.0)
        fridges = tuple(i for i in items if i.type == "Fridges" and any(gap(i, b) < TOUCH for b in base))
        cabinets = tuple(i for i in items if i.type == "WallCabinets")
        cooktops = tuple(i for i in base if i.type in COOKING)
        out.append(KitchenRun(room.name, base, fridges, cabinets, cooktops))
    return out


def table_chairs(world: World) -> dict[str, list[FurnitureItem]]:
    """Each dining table's chairs (its group children), by table id."""
    tables = {i.id: [] for i in world.furniture if i.type == "DiningTables"}
    for item in world.furniture:
        if item.type == "DiningChairs" and item.parent in tables:
            tables[item.parent].append(item)
    return tables


def sofa_views(world: World) -> list[tuple[FurnitureItem, FurnitureItem | None]]:
    """Each sofa with the TV unit (MediaStorage) in its room it faces best, or None."""
    out = []
    for sofa in world.furniture:
        if sofa.type != "Sofas":
            continue
        units = [i for i in world.furniture if i.type == "MediaStorage" and i.room == sofa.room]
        out.append((sofa, min(units, key=lambda u: facing_angle(sofa, u), default=None)))
    return out


def distance(a: FurnitureItem, b: FurnitureItem) -> float:
    """Centre-to-centre distance on the floor."""
    return math.hypot(a.x - b.x, a.y - b.y)
