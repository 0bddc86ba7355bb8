"""Where small objects may stand on furniture: each model's horizontal surfaces, in its own frame.

The generator (``decor.py``) places objects on these and ``export/models.py`` builds the furniture
from the same constants (bookcase shelves, cabinet fronts), so an object's ``z`` is exactly the top
of the collision box it rests on; ``tests/robomaker/test_decor.py`` checks every surface against
the built parts. Model frame as in the export: origin at the footprint centre on the floor, front
facing +y, width along x.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.services.robomaker.worldgen.geometry import Box

OPEN_HEADROOM = 0.6  # above a top nothing limits an object's height; this keeps objects plausible
SHELF_THICKNESS = 0.02
BOOKCASE_PLINTH = 0.06  # the bottom board's top
BOOKCASE_SIDE = 0.02
BOOKCASE_BACK = 0.01
PAINTED_BOOKS = 0.45  # share of each shelf's width the bookcase model paints with books (left side)
CABINET_FRONT = 0.025  # doors/drawer fronts stand this far out of the carcass (not a surface)

TOPS = frozenset(
    {"DiningTables", "CoffeeTables", "EndAndSideTables", "ConsoleTables", "Desks", "KitchenIslandsAndCarts",
     "ServingCarts"}
)  # fmt: skip
CARCASSES = frozenset({"Nightstands", "Dressers", "SideboardsAndBuffets", "MediaStorage"})


@dataclass(frozen=True)
class Surface:
    """A free horizontal rectangle at height ``z`` with ``headroom`` metres free above it."""

    box: Box
    z: float
    headroom: float
    shelf: bool = False


def shelf_centres(height: float) -> list[float]:
    """Centre heights of a bookcase's shelves (between the plinth board and the top board)."""
    shelves = max(1, round(height / 0.36) - 1)
    return [BOOKCASE_PLINTH + (height - BOOKCASE_PLINTH) * (i + 1) / (shelves + 1) for i in range(shelves)]


def surfaces(type_: str, width: float, depth: float, height: float) -> tuple[Surface, ...]:
    """The surfaces of a ``type_`` model of this size (empty for types nothing is put on)."""
    w, d, h = width / 2, depth / 2, height
    if type_ in TOPS:
        return (Surface((-w, -d, w, d), h, OPEN_HEADROOM),)
    if type_ in CARCASSES:
        return (Surface((-w, -d, w, d - CABINET_FRONT), h, OPEN_HEADROOM),)
    if type_ != "Bookcases":
        return ()
    centres = shelf_centres(h)
    ceilings = [c - SHELF_THICKNESS / 2 for c in centres[1:]] + [h - SHELF_THICKNESS]
    x0 = -w + 0.05 + PAINTED_BOOKS * width + 0.01  # right of the painted books
    return tuple(
        Surface(
            (x0, -d + BOOKCASE_BACK, w - BOOKCASE_SIDE, d),
            c + SHELF_THICKNESS / 2,
            top - c - SHELF_THICKNESS / 2,
            True,
        )
        for c, top in zip(centres, ceilings, strict=True)
    )
