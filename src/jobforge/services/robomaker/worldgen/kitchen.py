"""Kitchen counter runs: base units in a row along one wall, or an L over two walls.

A run is a row of 0.9 m high base units (``KitchenCounters`` with a worktop, a ``KitchenSinks``
unit, ``DishWashers`` next to the sink, an ``Ovens`` range or a ``Cooktops`` hob unit when the
template leaves out ovens) with the ``Fridges`` at one end. ``WallCabinets`` hang above the
counters and the dishwasher (and the sink unless a window is wanted there), a ``RangeHoods`` above
the cooking unit; nothing hangs above the fridge. The template's ModelTypes for the room are
honoured: fridge, oven and dishwasher join the run only when the room may have them.

This module lays runs out along walls in the furnisher's local wall frames (x along the wall from
the side's start corner, y into the room); ``interior`` maps them onto the room and checks them.
Layouts come fullest first, each straight on every wall, then as an L around every corner.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, Variant
from jobforge.services.robomaker.worldgen.geometry import Box

FRONT_CLEARANCE = 0.9  # free depth kept in front of the run
CABINET_Z = 1.45  # wall cabinets' bottom above the floor (0.55 m above the worktop)
HOOD_Z = 1.6  # a range hood's bottom: 0.7 m above the hob
CORNER = 0.6  # the corner unit of an L (a counter: neither appliance nor sink fits a corner)
HUNG_OVER = {"KitchenCounters": "WallCabinets", "KitchenSinks": "WallCabinets", "DishWashers": "WallCabinets"}
# The side whose end corner is each side's start corner (the furnisher's wall frames).
PREVIOUS = {"s": "w", "e": "s", "n": "e", "w": "n"}
RUN_TYPES = frozenset({"Fridges", "Ovens", "DishWashers"})  # template types a run takes in


@dataclass(frozen=True)
class Piece:
    """One item of a run in its leg's frame: ``x0`` along the wall, standing at the wall, at ``z``."""

    type: str
    variant: Variant
    x0: float
    z: float = 0.0

    @property
    def box(self) -> Box:
        return (self.x0, 0.0, self.x0 + self.variant.width, self.variant.depth)


@dataclass(frozen=True)
class Leg:
    """Pieces along one wall ``side``; ``zones`` (same frame) are kept free in front of them."""

    side: str
    pieces: tuple[Piece, ...]
    zones: tuple[Box, ...]


def variant(type_: str, width: float) -> Variant | None:
    """The variant of ``type_`` that is ``width`` wide, if there is one."""
    return next((v for v in ITEM_TYPES[type_].variants if abs(v.width - width) < 1e-9), None)


def _pick(rng: random.Random, type_: str) -> Variant:
    return rng.choice(ITEM_TYPES[type_].variants)


def base_sequences(rng: random.Random, allowed: set[str]) -> list[list[tuple[str, Variant]]]:
    """Base-unit rows (fridge first), from the fullest to the shortest that still has a sink.

    Full: fridge, landing counter, sink, dishwasher, counter, oven or hob, counter; shorter rows
    drop the outer counters, then the dishwasher and the counter between sink and hob.
    """
    fridge = [("Fridges", _pick(rng, "Fridges"))] if "Fridges" in allowed else []
    cook_type = "Ovens" if "Ovens" in allowed else "Cooktops"
    cook = [(cook_type, _pick(rng, cook_type))]
    sink = [("KitchenSinks", _pick(rng, "KitchenSinks"))]
    washer = [("DishWashers", _pick(rng, "DishWashers"))] if "DishWashers" in allowed else []

    def counter(*widths: float) -> list[tuple[str, Variant]]:
        found = variant("KitchenCounters", rng.choice(widths))
        assert found is not None
        return [("KitchenCounters", found)]

    landing, middle, outer = counter(0.4, 0.6), counter(0.6, 0.8, 1.0), counter(0.4, 0.6)
    rows = [
        fridge + landing + sink + washer + middle + cook + outer,
        fridge + landing + sink + washer + middle + cook,
        fridge + sink + washer + middle + cook,
        fridge + sink + washer + counter(0.4) + cook,
        fridge + sink + counter(0.4) + cook,
        fridge + sink + cook,
        sink + counter(0.4) + cook,
    ]
    return rows


def _pieces(row: list[tuple[str, Variant]], start: float, sink_cabinet: bool) -> list[Piece]:
    """Base units laid from ``start``, with the wall cabinets and hood above them."""
    out: list[Piece] = []
    x = start
    for type_, v in row:
        out.append(Piece(type_, v, x))
        hung = HUNG_OVER.get(type_)
        if type_ in ("Ovens", "Cooktops"):
            hood = variant("RangeHoods", v.width)
            if hood is not None:
                out.append(Piece("RangeHoods", hood, x, HOOD_Z))
        elif hung is not None and (type_ != "KitchenSinks" or sink_cabinet):
            cabinet = variant(hung, v.width)
            if cabinet is not None:
                out.append(Piece(hung, cabinet, x, CABINET_Z))
        x += v.width
    return out


def _leg(side: str, pieces: list[Piece]) -> Leg:
    zones = tuple(
        (p.x0, p.variant.depth, p.x0 + p.variant.width, p.variant.depth + FRONT_CLEARANCE)
        for p in pieces
        if p.z == 0.0
    )
    return Leg(side, tuple(pieces), zones)


def _length(row: list[tuple[str, Variant]]) -> float:
    return sum(v.width for _, v in row)


def run_layouts(inner: Box, rng: random.Random, allowed: set[str]) -> Iterator[tuple[Leg, ...]]:
    """Candidate runs for a room whose free interior is ``inner``, best first."""
    x0, y0, x1, y1 = inner
    lengths = {"s": x1 - x0, "n": x1 - x0, "w": y1 - y0, "e": y1 - y0}
    sides = sorted(lengths, key=lambda s: (-lengths[s], rng.random()))
    sink_cabinet = rng.random() < 0.5  # else the sink is left free for a window above it
    corner_counter = variant("KitchenCounters", CORNER)
    assert corner_counter is not None
    for row in base_sequences(rng, allowed):
        if rng.random() < 0.5:
            row = row[::-1]  # the fridge at the other end
        total = _length(row)
        for side in sides:
            free = lengths[side] - total
            if free < 0:
                continue
            for start in dict.fromkeys([0.0, free, rng.uniform(0, free), rng.uniform(0, free)]):
                yield (_leg(side, _pieces(row, start, sink_cabinet)),)
        # An L: the first pieces on the previous side, ending at the corner; the corner counter and
        # the rest on this side, from the corner.
        for side in sides:
            before = PREVIOUS[side]
            for split in range(1, len(row)):
                first, rest = row[:split], [("KitchenCounters", corner_counter), *row[split:]]
                if _length(first) > lengths[before] - CORNER or _length(rest) > lengths[side]:
                    continue
                start = lengths[before] - CORNER - _length(first)
                yield (
                    _leg(before, _pieces(first, start, sink_cabinet)),
                    _leg(side, _pieces(rest, 0.0, sink_cabinet)),
                )
