"""Furniture catalogue: the 31 WorldForge model types with realistic sizes and placement habits.

Sizes are metres: ``width`` along the item's front, ``depth`` front-to-back, ``height``. Model
names (``wf_<type>_<nn>``) are the asset names the export job packages as shared models.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.services.robomaker.template_format import MODEL_TYPES


@dataclass(frozen=True)
class Variant:
    """One concrete model of a furniture type."""

    model: str
    width: float
    depth: float
    height: float


@dataclass(frozen=True)
class FurnitureType:
    """How a furniture type is sized and placed.

    placement: "wall" (back against a wall), "corner" (in a room corner, back to a wall) or
    "center" (free-standing, e.g. tables). ``front_clearance`` is the free depth kept in front of
    items used from the front. ``rooms`` lists the room types it is typical for, in priority order.
    """

    type: str
    variants: tuple[Variant, ...]
    placement: str
    front_clearance: float
    rooms: tuple[str, ...]
    max_per_room: int = 1


def _v(type_: str, *sizes: tuple[float, float, float]) -> tuple[Variant, ...]:
    slug = "".join("_" + c.lower() if c.isupper() else c for c in type_).lstrip("_")
    return tuple(Variant(f"wf_{slug}_{i + 1:02d}", w, d, h) for i, (w, d, h) in enumerate(sizes))


_TYPES: tuple[FurnitureType, ...] = (
    FurnitureType(
        "Beds", _v("Beds", (1.6, 2.1, 0.55), (1.4, 2.0, 0.5), (1.0, 2.0, 0.5)), "wall", 0.6, ("Bedroom",)
    ),
    FurnitureType(
        "Nightstands", _v("Nightstands", (0.45, 0.4, 0.55), (0.5, 0.4, 0.6)), "wall", 0.0, ("Bedroom",), 2
    ),
    FurnitureType(
        "Dressers", _v("Dressers", (1.2, 0.5, 0.85), (0.9, 0.45, 1.1)), "wall", 0.6, ("Bedroom", "Closet")
    ),
    FurnitureType(
        "Desks", _v("Desks", (1.2, 0.6, 0.75), (1.0, 0.55, 0.75)), "wall", 0.8, ("Bedroom", "Living")
    ),
    FurnitureType("DeskChairs", _v("DeskChairs", (0.55, 0.55, 0.95)), "wall", 0.0, ("Bedroom",)),
    FurnitureType(
        "Bookcases", _v("Bookcases", (0.8, 0.35, 1.8), (0.6, 0.3, 1.2)), "wall", 0.5, ("Living", "Bedroom"), 2
    ),
    FurnitureType("FloorLamps", _v("FloorLamps", (0.35, 0.35, 1.6)), "corner", 0.0, ("Living", "Bedroom"), 2),
    FurnitureType(
        "StorageBenches", _v("StorageBenches", (1.0, 0.4, 0.45)), "wall", 0.4, ("Bedroom", "Hallway")
    ),
    FurnitureType(
        "Sofas", _v("Sofas", (2.0, 0.9, 0.85), (1.8, 0.85, 0.8), (1.5, 0.85, 0.8)), "wall", 0.6, ("Living",)
    ),
    FurnitureType(
        "CoffeeTables", _v("CoffeeTables", (1.1, 0.6, 0.45), (0.9, 0.5, 0.45)), "center", 0.0, ("Living",)
    ),
    FurnitureType("LivingRoomChairs", _v("LivingRoomChairs", (0.8, 0.8, 0.9)), "wall", 0.5, ("Living",), 2),
    FurnitureType(
        "MediaStorage", _v("MediaStorage", (1.6, 0.45, 0.55), (1.2, 0.4, 0.5)), "wall", 0.6, ("Living",)
    ),
    FurnitureType("EndAndSideTables", _v("EndAndSideTables", (0.5, 0.5, 0.55)), "wall", 0.0, ("Living",), 2),
    FurnitureType("Ottomans", _v("Ottomans", (0.6, 0.6, 0.42)), "center", 0.0, ("Living",)),
    FurnitureType(
        "ConsoleTables",
        _v("ConsoleTables", (1.1, 0.4, 0.8), (0.9, 0.35, 0.8)),
        "wall",
        0.5,
        ("Hallway", "Living"),
    ),
    FurnitureType(
        "CornerCabinets", _v("CornerCabinets", (0.6, 0.6, 1.8)), "corner", 0.5, ("Dining", "Living")
    ),
    FurnitureType(
        "DiningTables",
        _v("DiningTables", (1.6, 0.9, 0.75), (1.2, 0.8, 0.75), (1.0, 1.0, 0.75)),
        "center",
        0.0,
        ("Dining", "Kitchen"),
    ),
    FurnitureType("DiningChairs", _v("DiningChairs", (0.45, 0.5, 0.9)), "wall", 0.0, ("Dining",), 2),
    FurnitureType(
        "SideboardsAndBuffets",
        _v("SideboardsAndBuffets", (1.6, 0.5, 0.85), (1.2, 0.45, 0.85)),
        "wall",
        0.6,
        ("Dining",),
    ),
    FurnitureType("BarCabinets", _v("BarCabinets", (1.0, 0.5, 1.1)), "wall", 0.6, ("Dining", "Living")),
    FurnitureType("ServingCarts", _v("ServingCarts", (0.8, 0.5, 0.85)), "wall", 0.4, ("Dining", "Kitchen")),
    FurnitureType("Fridges", _v("Fridges", (0.7, 0.7, 1.8), (0.9, 0.75, 1.8)), "wall", 0.9, ("Kitchen",)),
    FurnitureType("Ovens", _v("Ovens", (0.6, 0.6, 0.9), (0.75, 0.65, 0.9)), "wall", 0.8, ("Kitchen",)),
    FurnitureType("DishWashers", _v("DishWashers", (0.6, 0.6, 0.85)), "wall", 0.8, ("Kitchen",)),
    FurnitureType(
        "KitchenIslandsAndCarts",
        _v("KitchenIslandsAndCarts", (1.4, 0.8, 0.9), (0.9, 0.6, 0.9)),
        "center",
        0.0,
        ("Kitchen",),
    ),
    FurnitureType(
        "Storage",
        _v("Storage", (0.8, 0.45, 1.8), (0.6, 0.4, 1.0), (1.0, 0.5, 2.0)),
        "wall",
        0.5,
        ("Closet", "Kitchen", "Bathroom", "Hallway"),
        3,
    ),
    FurnitureType("Baths", _v("Baths", (1.7, 0.75, 0.6), (1.5, 0.7, 0.6)), "corner", 0.6, ("Bathroom",)),
    FurnitureType("Showers", _v("Showers", (0.9, 0.9, 2.1), (0.8, 0.8, 2.1)), "corner", 0.6, ("Bathroom",)),
    FurnitureType("Toilets", _v("Toilets", (0.4, 0.7, 0.8)), "wall", 0.6, ("Bathroom",)),
    FurnitureType(
        "VanityCounters",
        _v("VanityCounters", (0.9, 0.5, 0.85), (0.6, 0.45, 0.85)),
        "wall",
        0.6,
        ("Bathroom",),
    ),
    FurnitureType(
        "WashingMachinesAndDryers",
        _v("WashingMachinesAndDryers", (0.6, 0.6, 0.85)),
        "wall",
        0.8,
        ("Bathroom", "Kitchen"),
    ),
)

CATALOG: dict[str, FurnitureType] = {t.type: t for t in _TYPES}
assert set(CATALOG) == set(MODEL_TYPES), "catalogue must cover exactly the template ModelTypes"

# Types the generator places on its own that templates cannot name (kitchen runs, decor, objects
# on surfaces); their ``rooms`` say where they go.
_GENERATED: tuple[FurnitureType, ...] = (
    # Kitchen runs, TVs (worldgen/kitchen.py, interior.py): base units 0.9 m high and 0.6 m deep,
    # wall cabinets and hoods hung above them, a TV standing on its MediaStorage unit.
    FurnitureType(
        "KitchenCounters",
        _v("KitchenCounters", (0.4, 0.6, 0.9), (0.6, 0.6, 0.9), (0.8, 0.6, 0.9), (1.0, 0.6, 0.9)),
        "wall",
        0.9,
        ("Kitchen",),
        8,
    ),
    FurnitureType(
        "KitchenSinks", _v("KitchenSinks", (0.8, 0.6, 0.9), (0.6, 0.6, 0.9)), "wall", 0.9, ("Kitchen",)
    ),
    FurnitureType("Cooktops", _v("Cooktops", (0.6, 0.6, 0.9), (0.8, 0.6, 0.9)), "wall", 0.9, ("Kitchen",)),
    FurnitureType(
        "WallCabinets",
        _v("WallCabinets", (0.4, 0.35, 0.7), (0.6, 0.35, 0.7), (0.8, 0.35, 0.7), (1.0, 0.35, 0.7)),
        "wall",
        0.0,
        ("Kitchen",),
        8,
    ),
    FurnitureType(
        "RangeHoods",
        _v("RangeHoods", (0.6, 0.5, 0.45), (0.75, 0.5, 0.45), (0.8, 0.5, 0.45)),
        "wall",
        0.0,
        ("Kitchen",),
    ),
    FurnitureType(
        "Televisions", _v("Televisions", (1.1, 0.22, 0.68), (0.9, 0.2, 0.56)), "wall", 0.0, ("Living",)
    ),
    # Decor (worldgen/decor.py): rugs, floor plants, table lamps and small objects on surfaces.
    FurnitureType(
        "Rugs", _v("Rugs", (2.3, 1.6, 0.01), (3.0, 2.0, 0.01), (1.4, 0.8, 0.01)), "center", 0.0,
        ("Living", "Dining", "Bedroom"),
    ),
    FurnitureType(
        "Plants", _v("Plants", (0.5, 0.5, 1.3), (0.4, 0.4, 0.9)), "corner", 0.0,
        ("Living", "Dining", "Bedroom", "Hallway", "Kitchen"),
    ),
    FurnitureType("TableLamps", _v("TableLamps", (0.28, 0.28, 0.48)), "surface", 0.0, ("Living", "Bedroom")),
    FurnitureType("Books", _v("Books", (0.3, 0.2, 0.24), (0.24, 0.17, 0.09)), "surface", 0.0, ("Living",)),
    FurnitureType("Plates", _v("Plates", (0.26, 0.26, 0.02)), "surface", 0.0, ("Dining", "Kitchen")),
    FurnitureType("Cups", _v("Cups", (0.11, 0.08, 0.1)), "surface", 0.0, ("Dining", "Kitchen")),
    FurnitureType("Bowls", _v("Bowls", (0.18, 0.18, 0.08)), "surface", 0.0, ("Dining", "Kitchen")),
    FurnitureType("Vases", _v("Vases", (0.14, 0.14, 0.34)), "surface", 0.0, ("Living", "Dining")),
)  # fmt: skip

ITEM_TYPES: dict[str, FurnitureType] = CATALOG | {t.type: t for t in _GENERATED}
assert len(ITEM_TYPES) == len(CATALOG) + len(_GENERATED), "a generated type may not reuse a ModelType name"

# Items placed as part of a group with a parent rather than on their own (when the parent is allowed).
GROUP_CHILDREN: dict[str, tuple[str, ...]] = {
    "Beds": ("Nightstands",),
    "Desks": ("DeskChairs",),
    "DiningTables": ("DiningChairs",),
    "Sofas": ("CoffeeTables", "EndAndSideTables"),
}

# Order in which types are tried inside a room: big anchors first, small fillers last.
PRIORITY: tuple[str, ...] = (
    "Beds", "Sofas", "DiningTables", "Baths", "Showers", "Toilets", "VanityCounters", "Fridges", "Ovens",
    "DishWashers", "KitchenIslandsAndCarts", "Desks", "Dressers", "MediaStorage", "SideboardsAndBuffets",
    "WashingMachinesAndDryers", "LivingRoomChairs", "Bookcases", "ConsoleTables", "BarCabinets",
    "CornerCabinets", "Storage", "StorageBenches", "ServingCarts", "CoffeeTables", "Ottomans",
    "EndAndSideTables", "Nightstands", "DeskChairs", "DiningChairs", "FloorLamps",
)  # fmt: skip
assert set(PRIORITY) == set(MODEL_TYPES)

# Share of a room's floor that furniture footprints aim to cover, by DesiredSpatialDensity, and the
# groups (an item with its children) a room gets before that share may stop it: a Dense room keeps
# filling past a big first group (a bed with two nightstands) while more fits.
DENSITY_COVERAGE: dict[str, float] = {"Sparse": 0.10, "Moderate": 0.18, "Dense": 0.36}
DENSITY_MIN_GROUPS: dict[str, int] = {"Sparse": 1, "Moderate": 2, "Dense": 4}


@dataclass(frozen=True)
class Physics:
    """How a furniture type behaves in physics: its mass (kg) and whether it is fixed in place.

    Heavy furniture, built-ins and appliances are ``static`` (as WorldForge's residential assets
    were): a robot cannot move them and a simulator skips them. Light pieces (chairs, small tables,
    lamps, carts) stay dynamic, with inertia from their mass and collision shapes.
    """

    mass: float
    static: bool


def _physics(static: dict[str, float], dynamic: dict[str, float]) -> dict[str, Physics]:
    fixed = {t: Physics(m, True) for t, m in static.items()}
    return fixed | {t: Physics(m, False) for t, m in dynamic.items()}


PHYSICS: dict[str, Physics] = _physics(
    static={
        "Beds": 70, "Dressers": 45, "Desks": 30, "Bookcases": 35, "Sofas": 55, "MediaStorage": 30,
        "CornerCabinets": 40, "DiningTables": 35, "SideboardsAndBuffets": 45, "BarCabinets": 40,
        "Fridges": 70, "Ovens": 50, "DishWashers": 45, "KitchenIslandsAndCarts": 80, "Storage": 35,
        "Baths": 60, "Showers": 40, "Toilets": 25, "VanityCounters": 35, "WashingMachinesAndDryers": 70,
        # kitchen runs and TVs (generated types)
        "KitchenCounters": 40, "KitchenSinks": 45, "Cooktops": 45, "WallCabinets": 20, "RangeHoods": 12,
        "Televisions": 15,
        "Rugs": 3,  # decor (worldgen/decor.py)
    },
    dynamic={
        "Nightstands": 12, "DeskChairs": 12, "FloorLamps": 6, "StorageBenches": 15, "CoffeeTables": 15,
        "LivingRoomChairs": 25, "EndAndSideTables": 6, "Ottomans": 8, "ConsoleTables": 12,
        "DiningChairs": 6, "ServingCarts": 10,
        # Decor (worldgen/decor.py); rugs are static (a thin collision the items on them stand on).
        "Plants": 8, "TableLamps": 1.5, "Books": 1.2, "Plates": 0.4, "Cups": 0.25, "Bowls": 0.35,
        "Vases": 0.8,
    },
)  # fmt: skip
assert set(PHYSICS) == set(ITEM_TYPES), "every item type needs its physics"
