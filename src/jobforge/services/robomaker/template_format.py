"""WorldForge world-template body parsing and validation (template Versions "1" and "2").

The RoboMaker provider calls :func:`parse_template_body` on Create/UpdateWorldTemplate and turns
:class:`TemplateFormatError` into ``InvalidParameterException``; the world generator consumes the
returned :class:`WorldTemplateSpec`.

Decisions where the public schema is silent or contradictory (sources: docs/world-quality.md,
"Templates without rooms"):

* ``additionalProperties: false`` everywhere: unknown keys are errors, including V2-only keys
  (``OriginalName``, ``Interior.Doorways``, ``"Target.All"``) in a Version "1" body.
* ``Version``: optional in V1 (default ``"1"``), so a body without it is V1; must be the string
  ``"1"`` or ``"2"``.
* Rooms: the schemas give a default floor plan when ``Buildings``, ``Floors``, ``Floorplan`` or
  ``Rooms`` is *missing* (JSON-schema ``default``); we apply it and record where in
  :attr:`WorldTemplateSpec.defaults_applied`. Version "1" (developer guide schema): two rooms,
  Living "My Living Room" and Bedroom "My Bedroom", 20 m² at 1:1 each. Version "2" (current
  schema): one Living room "My_Living_Room" (OriginalName "My Living Room"), 20 m² at 1:1; the V2
  schema shows it on ``Buildings``, and we use it at the inner levels too, as V1 does. An
  *explicit* empty list (``Buildings: []``, ``Floors: []``, ``Rooms: []``) is refused: the schema
  says minItems 1 and no default replaces a value that is present. See docs/world-quality.md.
* Room ``Area``: 10..300 m² inclusive (the developer guide's stated range; the schema has no bound).
* Connections: a pair may carry several doorways, but never a doorway plus an opening, nor two
  openings. The prose "max 4 connections per room" is not enforced (connections are best effort).
* Material and furniture ``TargetSet``: exactly one of ``RoomNames`` (1..6 existing room names) or
  ``RoomTypes`` (1..7 room types), or, in V2, the string ``"Target.All"``.
* V2 doorway sets (member list not published; inferred shape)::

      {"Name": str, "TargetSet": "Target.All" | {"From": <RoomNames|RoomTypes>, "To": <...>},
       "Door": {"InitialState": {"OpenPosition": {"Percent": 0..100 | "Random"}}}}

  ``Door`` and everything under it is optional and defaults to ``Percent: 100`` (fully open).
* Precedence when several rules target one room: name-targeted beats type-targeted beats
  ``Target.All`` beats the defaults by room type; among equally specific rules the first listed
  wins. For doorway sets, a pair matched by names on both sides beats one side by name, beats both
  by type, beats ``Target.All``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

ROOM_TYPES: tuple[str, ...] = ("Bedroom", "Bathroom", "Living", "Dining", "Kitchen", "Hallway", "Closet")
CONNECTION_TYPES: tuple[str, ...] = ("Doorway", "Opening")
DENSITIES: tuple[str, ...] = ("Sparse", "Moderate", "Dense")
MODEL_TYPES: tuple[str, ...] = (
    "Baths",
    "BarCabinets",
    "Beds",
    "Bookcases",
    "CoffeeTables",
    "ConsoleTables",
    "CornerCabinets",
    "DeskChairs",
    "Desks",
    "DiningChairs",
    "DiningTables",
    "DishWashers",
    "Dressers",
    "EndAndSideTables",
    "FloorLamps",
    "Fridges",
    "LivingRoomChairs",
    "KitchenIslandsAndCarts",
    "MediaStorage",
    "Nightstands",
    "Ottomans",
    "Ovens",
    "ServingCarts",
    "Showers",
    "SideboardsAndBuffets",
    "Sofas",
    "Storage",
    "StorageBenches",
    "Toilets",
    "VanityCounters",
    "WashingMachinesAndDryers",
)
TARGET_ALL = "Target.All"

MIN_ROOM_AREA = 10.0
MAX_ROOM_AREA = 300.0
MIN_ASPECT = 1.0
MAX_ASPECT = 4.0
MIN_CEILING = 2.4
MAX_CEILING = 4.0
DEFAULT_CEILING = 3.0
MAX_ROOMS = 6
MAX_CONNECTIONS = 12
MAX_MATERIAL_SETS = 6
MAX_FURNITURE_SETS = 6
MAX_DOORWAY_SETS = 13
DEFAULT_OPEN_PERCENT = 100.0

# The schemas' default rooms (JSON-schema ``default`` of Buildings/Floors/Floorplan/Rooms):
# V1 = the RoboMaker developer guide's JSON schema (2021), V2 = AWS's current schema page.
_DEFAULT_SHAPE: dict[str, Any] = {"Area": 20.0, "AspectRatio": {"x": 1.0, "y": 1.0}}
DEFAULT_ROOMS_V1: list[dict[str, Any]] = [
    {"Type": "Living", "Name": "My Living Room", "DesiredShape": _DEFAULT_SHAPE},
    {"Type": "Bedroom", "Name": "My Bedroom", "DesiredShape": _DEFAULT_SHAPE},
]
DEFAULT_ROOMS_V2: list[dict[str, Any]] = [
    {
        "Type": "Living",
        "Name": "My_Living_Room",
        "OriginalName": "My Living Room",
        "DesiredShape": _DEFAULT_SHAPE,
    },
]

_NAME_RE = re.compile(r"^[a-zA-Z0-9_\- ]*$")

# Defaults used when no rule targets a room (documented flooring/wall types; free strings).
DEFAULT_FLOORING: dict[str, tuple[str, ...]] = {
    "Bedroom": ("Carpet", "Floorboards", "Parquetry"),
    "Bathroom": ("Tiles", "Linoleum"),
    "Living": ("Floorboards", "Parquetry", "Carpet"),
    "Dining": ("Floorboards", "Parquetry", "Tiles"),
    "Kitchen": ("Tiles", "Linoleum", "Floorboards"),
    "Hallway": ("Floorboards", "Tiles", "Concrete"),
    "Closet": ("Carpet", "Floorboards"),
}
DEFAULT_WALLS: dict[str, tuple[str, ...]] = {
    "Bedroom": ("WallPaint", "Wallpaper"),
    "Bathroom": ("Tiles", "WallPaint"),
    "Living": ("WallPaint", "Wallpaper", "Brick", "WoodPanels"),
    "Dining": ("WallPaint", "Wallpaper", "WoodPanels"),
    "Kitchen": ("Tiles", "WallPaint"),
    "Hallway": ("WallPaint", "Concrete", "Stone"),
    "Closet": ("WallPaint",),
}
DEFAULT_FURNITURE: dict[str, tuple[str, ...]] = {
    "Bedroom": (
        "Beds",
        "Nightstands",
        "Dressers",
        "Desks",
        "DeskChairs",
        "Bookcases",
        "FloorLamps",
        "StorageBenches",
    ),
    "Bathroom": ("Toilets", "VanityCounters", "Showers", "Baths", "Storage", "WashingMachinesAndDryers"),
    "Living": (
        "Sofas",
        "CoffeeTables",
        "LivingRoomChairs",
        "MediaStorage",
        "EndAndSideTables",
        "Bookcases",
        "FloorLamps",
        "Ottomans",
        "ConsoleTables",
        "CornerCabinets",
    ),
    "Dining": (
        "DiningTables",
        "DiningChairs",
        "SideboardsAndBuffets",
        "BarCabinets",
        "ServingCarts",
        "CornerCabinets",
    ),
    "Kitchen": (
        "Fridges",
        "Ovens",
        "DishWashers",
        "KitchenIslandsAndCarts",
        "Storage",
        "DiningTables",
        "DiningChairs",
    ),
    "Hallway": ("ConsoleTables", "StorageBenches", "Storage"),
    "Closet": ("Storage", "Dressers"),
}


class TemplateFormatError(ValueError):
    """A template body that does not follow the WorldForge template format."""


@dataclass(frozen=True)
class RoomSpec:
    """One requested room: type, (sanitised) name, display name, desired area and aspect x:y."""

    type: str
    name: str
    original_name: str | None
    area: float
    aspect_x: float
    aspect_y: float
    # False: the floor plan may turn the room (its fallback when no layout keeps every orientation);
    # the parser always asks for the requested orientation.
    oriented: bool = True

    @property
    def aspect(self) -> float:
        """Requested long/short side ratio (>= 1)."""
        return max(self.aspect_x, self.aspect_y) / min(self.aspect_x, self.aspect_y)

    @property
    def x_by_y(self) -> float:
        """Requested extent along x over extent along y: the aspect with its orientation (a 1:1.5
        room is 1.5 times deeper along y than wide along x)."""
        return self.aspect_x / self.aspect_y


@dataclass(frozen=True)
class ConnectionSpec:
    """A desired connection between two distinct rooms."""

    room_a: str
    room_b: str
    connection_type: str  # "Doorway" | "Opening"


@dataclass(frozen=True)
class Target:
    """Which rooms a rule applies to: kind is "all", "names" or "types"."""

    kind: str
    values: tuple[str, ...] = ()

    def matches(self, room: RoomSpec) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "names":
            return room.name in self.values
        return room.type in self.values

    @property
    def rank(self) -> int:
        """Specificity: names 2, types 1, all 0."""
        return {"names": 2, "types": 1, "all": 0}[self.kind]


@dataclass(frozen=True)
class MaterialRule:
    """A flooring or wall material set; material_types None means "pick by room type"."""

    name: str
    target: Target
    material_types: tuple[str, ...] | None


@dataclass(frozen=True)
class FurnitureRule:
    """A furniture arrangement; model_types None means "pick by room type", () means no furniture."""

    name: str
    target: Target
    model_types: tuple[str, ...] | None
    density: str


@dataclass(frozen=True)
class DoorwayRule:
    """A V2 doorway set: which doorways (room pairs) and the door's initial open position."""

    name: str
    from_target: Target
    to_target: Target
    open_percent: float | str  # 0..100 or "Random"

    def rank(self, a: RoomSpec, b: RoomSpec) -> int | None:
        """Specificity for the unordered pair (a, b), or None when the rule does not apply."""
        best: int | None = None
        for x, y in ((a, b), (b, a)):
            if self.from_target.matches(x) and self.to_target.matches(y):
                r = self.from_target.rank + self.to_target.rank
                best = r if best is None else max(best, r)
        return best


@dataclass(frozen=True)
class MaterialChoice:
    """Resolved materials for a room: candidate types and the rule that supplied them."""

    material_types: tuple[str, ...]
    rule: str | None  # None = defaults by room type


@dataclass(frozen=True)
class FurnitureChoice:
    """Resolved furniture arrangement for a room."""

    model_types: tuple[str, ...]
    density: str
    rule: str | None


@dataclass(frozen=True)
class WorldTemplateSpec:
    """A validated template with defaults applied."""

    version: str
    footprint_aspect_x: float
    footprint_aspect_y: float
    ceiling_height: float
    rooms: tuple[RoomSpec, ...]
    connections: tuple[ConnectionSpec, ...]
    flooring_rules: tuple[MaterialRule, ...] = ()
    wall_rules: tuple[MaterialRule, ...] = ()
    furniture_rules: tuple[FurnitureRule, ...] = ()
    doorway_rules: tuple[DoorwayRule, ...] = ()
    defaults_applied: tuple[str, ...] = ()  # template paths filled with the schema's default rooms

    def room(self, name: str) -> RoomSpec:
        for r in self.rooms:
            if r.name == name:
                return r
        raise KeyError(name)

    def flooring_for(self, room_name: str) -> MaterialChoice:
        """Flooring material types for a room, by precedence name > type > Target.All > defaults."""
        return _resolve_material(self.room(room_name), self.flooring_rules, DEFAULT_FLOORING)

    def walls_for(self, room_name: str) -> MaterialChoice:
        """Wall material types for a room, same precedence as flooring."""
        return _resolve_material(self.room(room_name), self.wall_rules, DEFAULT_WALLS)

    def furniture_for(self, room_name: str) -> FurnitureChoice:
        """Furniture model types and density for a room (defaults: by room type, Moderate)."""
        room = self.room(room_name)
        rule = _best_rule(room, self.furniture_rules)
        if rule is None:
            return FurnitureChoice(DEFAULT_FURNITURE[room.type], "Moderate", None)
        types = rule.model_types if rule.model_types is not None else DEFAULT_FURNITURE[room.type]
        return FurnitureChoice(types, rule.density, rule.name)

    def door_open_for(self, room_a: str, room_b: str) -> float | str:
        """Initial door open percent (0..100 or "Random") for a doorway between two rooms."""
        a, b = self.room(room_a), self.room(room_b)
        best: tuple[int, DoorwayRule] | None = None
        for rule in self.doorway_rules:
            r = rule.rank(a, b)
            if r is not None and (best is None or r > best[0]):
                best = (r, rule)
        return DEFAULT_OPEN_PERCENT if best is None else best[1].open_percent


def _best_rule(room: RoomSpec, rules: tuple[Any, ...]) -> Any:
    best = None
    for rule in rules:
        if rule.target.matches(room) and (best is None or rule.target.rank > best.target.rank):
            best = rule
    return best


def _resolve_material(
    room: RoomSpec, rules: tuple[MaterialRule, ...], defaults: dict[str, tuple[str, ...]]
) -> MaterialChoice:
    rule = _best_rule(room, rules)
    if rule is None:
        return MaterialChoice(defaults[room.type], None)
    types = rule.material_types if rule.material_types is not None else defaults[room.type]
    return MaterialChoice(types, rule.name)


# ----------------------------------------------------------------------------------------------
# Validation helpers


def _fail(path: str, message: str) -> TemplateFormatError:
    return TemplateFormatError(f"{path} {message}" if path else message)


def _describe(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


# The deepest a template nests is 12 (Buildings ... Door.InitialState.OpenPosition); anything deeper
# than this is refused before it is walked.
MAX_JSON_DEPTH = 32
_TOO_DEEP = f"template body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"

# Keys only Version "2" bodies may carry: a Version "1" body that uses one is told so.
_V2_ONLY_KEYS = frozenset({"OriginalName", "Doorways"})
_NEEDS_V2 = 'is a Version "2" feature: put "Version": "2" in the template body'


def _obj(value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise _fail(path or "template body", f"must be an object, got {_describe(value)}")
    for key in value:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            if key in _V2_ONLY_KEYS:
                raise _fail(where, _NEEDS_V2)
            raise _fail(where, f"is not an allowed property (allowed: {', '.join(allowed) or 'none'})")
    for key in required:
        if key not in value:
            where = f"{path}.{key}" if path else key
            raise _fail(where, "is required")
    return value


def _list(value: Any, path: str, lo: int, hi: int | None) -> list:
    if not isinstance(value, list):
        raise _fail(path, f"must be an array, got {_describe(value)}")
    if len(value) < lo or (hi is not None and len(value) > hi):
        bound = f"exactly {lo}" if lo == hi else (f"between {lo} and {hi}" if hi is not None else f">= {lo}")
        noun = "item" if lo == hi == 1 else "items"
        raise _fail(path, f"must contain {bound} {noun}, got {len(value)}")
    return value


def _num(value: Any, path: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, f"must be a number, got {_describe(value)}")
    if value < lo or value > hi:
        raise _fail(path, f"must be between {lo:g} and {hi:g}, got {value:g}")
    return float(value)


def _enum(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(path, f"must be one of {', '.join(allowed)}, got {_describe(value)}")
    return value


def _name(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, got {_describe(value)}")
    if not 1 <= len(value) <= 255:
        raise _fail(path, f"must be 1 to 255 characters long, got {len(value)}")
    if not _NAME_RE.match(value):
        raise _fail(path, f"must match ^[a-zA-Z0-9_\\- ]*$, got {_describe(value)}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, got {_describe(value)}")
    return value


def template_version(body: str) -> str:
    """The template Version of a body ("1" when absent), validating only the Version member."""
    data = _load(body)
    return _version(data)


def _load(body: str) -> Any:
    """The body's JSON value; TemplateFormatError for text that is not JSON, nests deeper than any
    template can, or holds an integer too long to read."""
    if not isinstance(body, str):
        raise TemplateFormatError("template body must be a JSON string")
    try:
        data = json.loads(body, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise TemplateFormatError(f"template body is not valid JSON: {exc}") from None
    except RecursionError:
        raise TemplateFormatError(_TOO_DEEP) from None
    except ValueError as exc:  # from _parse_int
        raise TemplateFormatError(f"template body {exc}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise TemplateFormatError(_TOO_DEEP)
    return data


def _parse_int(text: str) -> int:
    """A JSON integer; ValueError for one over Python's digit limit (4300 by default)."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"has a number of {len(text.lstrip('-'))} digits, too long to read") from None


def _depth(value: Any) -> int:
    """How deeply ``value``'s arrays and objects nest (without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in children)
    return deepest


def _version(data: Any) -> str:
    if not isinstance(data, dict):
        raise _fail("template body", f"must be a JSON object, got {_describe(data)}")
    version = data.get("Version", "1")
    if version not in ("1", "2"):
        raise _fail("Version", f'must be "1" or "2", got {_describe(version)}')
    return version


def parse_template_body(body: str) -> WorldTemplateSpec:
    """Validate a template body against the WorldForge format and return it with defaults applied."""
    data = _load(body)
    version = _version(data)
    v2 = version == "2"
    _obj(data, "", ("Version", "Buildings"), ("Version",) if v2 else ())
    defaulted: list[str] = []
    if "Buildings" not in data:
        defaulted.append("Buildings")
    buildings = data.get("Buildings", [{}])
    _list(buildings, "Buildings", 1, 1)
    building = _obj(buildings[0], "Buildings[0]", ("Floors",))
    if "Floors" not in building and not defaulted:
        defaulted.append("Buildings[0].Floors")
    floors = building.get("Floors", [{}])
    _list(floors, "Buildings[0].Floors", 1, 1)
    fpath = "Buildings[0].Floors[0]"
    floor = _obj(floors[0], fpath, ("Floorplan", "Interior"))

    ppath = f"{fpath}.Floorplan"
    if "Floorplan" not in floor and not defaulted:
        defaulted.append(ppath)
    plan = _obj(floor.get("Floorplan", {}), ppath, ("Footprint", "Ceiling", "Rooms", "DesiredConnections"))
    footprint = _obj(plan.get("Footprint", {}), f"{ppath}.Footprint", ("DesiredAspectRatio",))
    fx, fy = _aspect(footprint.get("DesiredAspectRatio", {}), f"{ppath}.Footprint.DesiredAspectRatio")
    ceiling = _obj(plan.get("Ceiling", {}), f"{ppath}.Ceiling", ("Height",))
    height = _num(ceiling.get("Height", DEFAULT_CEILING), f"{ppath}.Ceiling.Height", MIN_CEILING, MAX_CEILING)

    if "Rooms" not in plan and not defaulted:
        defaulted.append(f"{ppath}.Rooms")
    raw_rooms = plan.get("Rooms", DEFAULT_ROOMS_V2 if v2 else DEFAULT_ROOMS_V1)
    if isinstance(raw_rooms, list) and not raw_rooms:
        raise _fail(
            f"{ppath}.Rooms",
            f"must contain between 1 and {MAX_ROOMS} items, got 0: a floor plan needs at least one room "
            "(leave Rooms out to get the schema's default rooms)",
        )
    _list(raw_rooms, f"{ppath}.Rooms", 1, MAX_ROOMS)
    rooms: list[RoomSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rooms):
        rooms.append(_room(raw, f"{ppath}.Rooms[{i}]", v2, seen))
    names = tuple(r.name for r in rooms)

    raw_conns = plan.get("DesiredConnections", [])
    _list(raw_conns, f"{ppath}.DesiredConnections", 0, MAX_CONNECTIONS)
    connections = _connections(raw_conns, f"{ppath}.DesiredConnections", names)

    ipath = f"{fpath}.Interior"
    interior_keys = (
        ("Doorways", "Flooring", "Walls", "Furniture") if v2 else ("Flooring", "Walls", "Furniture")
    )
    interior = _obj(floor.get("Interior", {}), ipath, interior_keys)
    flooring = _material_sets(interior.get("Flooring", {}), f"{ipath}.Flooring", names, v2)
    walls = _material_sets(interior.get("Walls", {}), f"{ipath}.Walls", names, v2)
    furniture = _furniture_sets(interior.get("Furniture", {}), f"{ipath}.Furniture", names, v2)
    doorways = _doorway_sets(interior.get("Doorways", {}), f"{ipath}.Doorways", names) if v2 else ()

    return WorldTemplateSpec(
        version=version,
        footprint_aspect_x=fx,
        footprint_aspect_y=fy,
        ceiling_height=height,
        rooms=tuple(rooms),
        connections=connections,
        flooring_rules=flooring,
        wall_rules=walls,
        furniture_rules=furniture,
        doorway_rules=doorways,
        defaults_applied=tuple(defaulted),
    )


def _aspect(value: Any, path: str) -> tuple[float, float]:
    ar = _obj(value, path, ("x", "y"))
    x = _num(ar.get("x", 1), f"{path}.x", MIN_ASPECT, MAX_ASPECT)
    y = _num(ar.get("y", 1), f"{path}.y", MIN_ASPECT, MAX_ASPECT)
    return x, y


def _room(raw: Any, path: str, v2: bool, seen: set[str]) -> RoomSpec:
    keys = ("Type", "Name", "OriginalName", "DesiredShape") if v2 else ("Type", "Name", "DesiredShape")
    room = _obj(raw, path, keys, ("Type", "Name"))
    rtype = _enum(room["Type"], f"{path}.Type", ROOM_TYPES)
    name = _name(room["Name"], f"{path}.Name")
    if name in seen:
        raise _fail(f"{path}.Name", f"must be unique, {_describe(name)} is used by an earlier room")
    seen.add(name)
    original = _string(room["OriginalName"], f"{path}.OriginalName") if "OriginalName" in room else None
    shape = _obj(
        room.get("DesiredShape", {"Area": 20, "AspectRatio": {}}),
        f"{path}.DesiredShape",
        ("Area", "AspectRatio"),
        ("Area", "AspectRatio"),
    )
    area = _num(shape["Area"], f"{path}.DesiredShape.Area", MIN_ROOM_AREA, MAX_ROOM_AREA)
    ax, ay = _aspect(shape["AspectRatio"], f"{path}.DesiredShape.AspectRatio")
    return RoomSpec(rtype, name, original, area, ax, ay)


def _connections(raw: list, path: str, names: tuple[str, ...]) -> tuple[ConnectionSpec, ...]:
    out: list[ConnectionSpec] = []
    kinds: dict[frozenset[str], list[str]] = {}
    for i, item in enumerate(raw):
        cpath = f"{path}[{i}]"
        conn = _obj(item, cpath, ("Location", "ConnectionType"), ("Location", "ConnectionType"))
        loc = _list(conn["Location"], f"{cpath}.Location", 2, 2)
        for j, n in enumerate(loc):
            if not isinstance(n, str) or n not in names:
                raise _fail(f"{cpath}.Location[{j}]", f"must name an existing room, got {_describe(n)}")
        if loc[0] == loc[1]:
            raise _fail(f"{cpath}.Location", f"must name two distinct rooms, got {_describe(loc)}")
        ctype = _enum(conn["ConnectionType"], f"{cpath}.ConnectionType", CONNECTION_TYPES)
        pair = frozenset(loc)
        previous = kinds.setdefault(pair, [])
        if previous and ("Opening" in previous or ctype == "Opening"):
            raise _fail(
                cpath,
                f"conflicts with an earlier connection between {loc[0]!r} and {loc[1]!r}: a room pair "
                "may have several doorways, or one opening, but not both",
            )
        previous.append(ctype)
        out.append(ConnectionSpec(loc[0], loc[1], ctype))
    return tuple(out)


def _target(
    value: Any, path: str, names: tuple[str, ...], allow_all: bool, all_needs_v2: bool = False
) -> Target:
    """A TargetSet; ``all_needs_v2``: "Target.All" is refused only because the body is Version 1."""
    if isinstance(value, str):
        if allow_all and value == TARGET_ALL:
            return Target("all")
        if value == TARGET_ALL and all_needs_v2:
            raise _fail(path, f'"{TARGET_ALL}" {_NEEDS_V2}')
        allowed = (
            f'"{TARGET_ALL}" or an object with RoomNames or RoomTypes'
            if allow_all
            else ("an object with RoomNames or RoomTypes")
        )
        raise _fail(path, f"must be {allowed}, got {_describe(value)}")
    target = _obj(value, path, ("RoomNames", "RoomTypes"))
    if len(target) != 1:
        raise _fail(path, "must have exactly one of RoomNames or RoomTypes")
    if "RoomNames" in target:
        items = _list(target["RoomNames"], f"{path}.RoomNames", 1, MAX_ROOMS)
        for j, n in enumerate(items):
            if not isinstance(n, str) or n not in names:
                raise _fail(f"{path}.RoomNames[{j}]", f"must name an existing room, got {_describe(n)}")
        return Target("names", tuple(items))
    items = _list(target["RoomTypes"], f"{path}.RoomTypes", 1, len(ROOM_TYPES))
    return Target("types", tuple(_enum(t, f"{path}.RoomTypes[{j}]", ROOM_TYPES) for j, t in enumerate(items)))


def _material_sets(value: Any, path: str, names: tuple[str, ...], v2: bool) -> tuple[MaterialRule, ...]:
    container = _obj(value, path, ("MaterialSets",))
    sets = _list(container.get("MaterialSets", []), f"{path}.MaterialSets", 0, MAX_MATERIAL_SETS)
    rules: list[MaterialRule] = []
    for i, raw in enumerate(sets):
        spath = f"{path}.MaterialSets[{i}]"
        item = _obj(raw, spath, ("Name", "TargetSet", "SampleSet"), ("Name", "TargetSet"))
        name = _name(item["Name"], f"{spath}.Name")
        target = _target(item["TargetSet"], f"{spath}.TargetSet", names, v2, all_needs_v2=not v2)
        types: tuple[str, ...] | None = None
        if "SampleSet" in item:
            sample = _obj(item["SampleSet"], f"{spath}.SampleSet", ("MaterialTypes",), ("MaterialTypes",))
            mt = _list(sample["MaterialTypes"], f"{spath}.SampleSet.MaterialTypes", 1, None)
            for j, m in enumerate(mt):
                if not isinstance(m, str) or not m:
                    raise _fail(
                        f"{spath}.SampleSet.MaterialTypes[{j}]",
                        f"must be a non-empty string, got {_describe(m)}",
                    )
            types = tuple(mt)
        rules.append(MaterialRule(name, target, types))
    return tuple(rules)


def _furniture_sets(value: Any, path: str, names: tuple[str, ...], v2: bool) -> tuple[FurnitureRule, ...]:
    container = _obj(value, path, ("FurnitureArrangements",))
    sets = _list(
        container.get("FurnitureArrangements", []), f"{path}.FurnitureArrangements", 0, MAX_FURNITURE_SETS
    )
    rules: list[FurnitureRule] = []
    for i, raw in enumerate(sets):
        spath = f"{path}.FurnitureArrangements[{i}]"
        item = _obj(
            raw, spath, ("Name", "TargetSet", "SampleSet", "DesiredSpatialDensity"), ("Name", "TargetSet")
        )
        name = _name(item["Name"], f"{spath}.Name")
        target = _target(item["TargetSet"], f"{spath}.TargetSet", names, v2, all_needs_v2=not v2)
        types: tuple[str, ...] | None = None
        if "SampleSet" in item:
            sample = _obj(item["SampleSet"], f"{spath}.SampleSet", ("ModelTypes",), ("ModelTypes",))
            mt = _list(sample["ModelTypes"], f"{spath}.SampleSet.ModelTypes", 0, None)
            types = tuple(
                _enum(m, f"{spath}.SampleSet.ModelTypes[{j}]", MODEL_TYPES) for j, m in enumerate(mt)
            )
        density = _enum(
            item.get("DesiredSpatialDensity", "Moderate"), f"{spath}.DesiredSpatialDensity", DENSITIES
        )
        rules.append(FurnitureRule(name, target, types, density))
    return tuple(rules)


def _doorway_sets(value: Any, path: str, names: tuple[str, ...]) -> tuple[DoorwayRule, ...]:
    container = _obj(value, path, ("DoorwaySets",))
    sets = _list(container.get("DoorwaySets", []), f"{path}.DoorwaySets", 0, MAX_DOORWAY_SETS)
    rules: list[DoorwayRule] = []
    for i, raw in enumerate(sets):
        spath = f"{path}.DoorwaySets[{i}]"
        item = _obj(raw, spath, ("Name", "TargetSet", "Door"), ("Name", "TargetSet"))
        name = _name(item["Name"], f"{spath}.Name")
        tpath = f"{spath}.TargetSet"
        if item["TargetSet"] == TARGET_ALL:
            from_t = to_t = Target("all")
        elif isinstance(item["TargetSet"], dict):
            pair = _obj(item["TargetSet"], tpath, ("From", "To"), ("From", "To"))
            from_t = _target(pair["From"], f"{tpath}.From", names, False)
            to_t = _target(pair["To"], f"{tpath}.To", names, False)
        else:
            raise _fail(
                tpath,
                f'must be "{TARGET_ALL}" or an object with From and To, got {_describe(item["TargetSet"])}',
            )
        door = _obj(item.get("Door", {}), f"{spath}.Door", ("InitialState",))
        state = _obj(door.get("InitialState", {}), f"{spath}.Door.InitialState", ("OpenPosition",))
        pos = _obj(state.get("OpenPosition", {}), f"{spath}.Door.InitialState.OpenPosition", ("Percent",))
        percent_raw = pos.get("Percent", DEFAULT_OPEN_PERCENT)
        ppath = f"{spath}.Door.InitialState.OpenPosition.Percent"
        percent: float | str
        if isinstance(percent_raw, str):
            if percent_raw != "Random":
                raise _fail(
                    ppath, f'must be a number between 0 and 100 or "Random", got {_describe(percent_raw)}'
                )
            percent = "Random"
        else:
            percent = _num(percent_raw, ppath, 0, 100)
        rules.append(DoorwayRule(name, from_t, to_t, percent))
    return tuple(rules)
