"""SDF 1.6 for a generated world: what Gazebo classic (WorldForge's target) reads, and what
current gz-sim up-converts on load.

The world is self-contained apart from the shared furniture models it includes by
``model://<name>``: light, ground plane, floors, walls, ceilings and doors are written inline, so
nothing else needs to be on the model path. Floors sit at z = 0 (the floor slabs span
-0.03..0 and the ground plane lies under them), as the world description documents.

Floors and the room sides of walls are textured: their visuals are meshes in the world's folder
(``meshes/floor_<type>.dae``, ``meshes/wall_<type>.dae``, one per material type, texture
coordinates in metres / the texture's tile size, so planks and tiles keep their real size),
each with a ``<material>`` naming the texture twice: an OGRE script for Gazebo classic and
``<pbr><metal>`` albedo and normal maps for gz-sim, both in the shared ``jobforge_materials``
model. Collisions stay boxes; exterior faces, ceilings and glass keep flat colours.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import trimesh

from jobforge.services.robomaker.export.collada import ColouredMesh, box_uvs, collada_document
from jobforge.services.robomaker.export.textures import (
    MATERIALS_MODEL,
    SCRIPTS_DIR,
    TEXTURES_DIR,
    TextureId,
    texture_name,
    texture_repeat,
)
from jobforge.services.robomaker.export.xml import fmt, pose_text, text
from jobforge.services.robomaker.worldgen.world import (
    HINGE_CLEARANCE,
    LEAF_INSET,
    LEAF_THICKNESS,
    Doorway,
    Point,
    Room,
    Wall,
    Window,
    World,
)

Colour = tuple[float, float, float]

# Colours for the documented flooring and wall material types; other names get a stable colour.
FLOORING_COLOURS: dict[str, Colour] = {
    "Carpet": (0.55, 0.50, 0.46),
    "Floorboards": (0.66, 0.48, 0.32),
    "Parquetry": (0.56, 0.38, 0.22),
    "Tiles": (0.84, 0.84, 0.80),
    "Linoleum": (0.74, 0.71, 0.60),
    "Concrete": (0.60, 0.60, 0.58),
    "Stone": (0.55, 0.53, 0.50),
}
WALL_COLOURS: dict[str, Colour] = {
    "WallPaint": (0.92, 0.91, 0.87),
    "Wallpaper": (0.86, 0.80, 0.70),
    "Brick": (0.62, 0.33, 0.26),
    "WoodPanels": (0.56, 0.39, 0.25),
    "Tiles": (0.88, 0.90, 0.90),
    "Concrete": (0.66, 0.66, 0.64),
    "Stone": (0.60, 0.58, 0.54),
}
EXTERIOR: Colour = (0.80, 0.78, 0.74)
CEILING: Colour = (0.96, 0.96, 0.95)
FLOOR_THICKNESS = 0.03
CEILING_THICKNESS = 0.05
DOOR_MASS = 15.0
GLASS: Colour = (0.70, 0.84, 0.92)
GLASS_THICKNESS = 0.012  # the pane, centred in the wall's thickness
GLASS_TRANSPARENCY = 0.6


def material_colour(name: str, table: dict[str, Colour]) -> Colour:
    """The colour of a material type; unknown types get a muted colour derived from the name."""
    if name in table:
        return table[name]
    digest = hashlib.sha256(name.encode()).digest()
    return tuple(0.45 + 0.4 * b / 255 for b in digest[:3])  # type: ignore[return-value]


def sdf_name(value: str) -> str:
    """A safe SDF element name (letters, digits, underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", value) or "_"


def _material(colour: Colour) -> str:
    rgb = fmt(colour)
    return (
        f"<material><ambient>{rgb} 1</ambient><diffuse>{rgb} 1</diffuse>"
        "<specular>0.05 0.05 0.05 1</specular></material>"
    )


def _textured_material(ref: TextureId, colour: Colour) -> str:
    """A material for Gazebo classic (OGRE script) and gz-sim (PBR maps) with ``colour`` as the
    plain fallback (and the colour MuJoCo's translation uses)."""
    name, rgb = texture_name(ref), fmt(colour)
    folder = f"model://{MATERIALS_MODEL}/{TEXTURES_DIR}"
    return (
        f"<material><script><uri>model://{MATERIALS_MODEL}/{SCRIPTS_DIR}</uri>"
        f"<uri>{folder}</uri><name>JobForge/{name}</name></script>"
        f"<ambient>{rgb} 1</ambient><diffuse>{rgb} 1</diffuse><specular>0.05 0.05 0.05 1</specular>"
        f"<pbr><metal><albedo_map>{folder}/{name}_albedo.png</albedo_map>"
        f"<normal_map>{folder}/{name}_normal.png</normal_map>"
        "<roughness>0.8</roughness><metalness>0</metalness></metal></pbr></material>"
    )


Extents = tuple[float, float, float, float, float, float]


@dataclass
class Surfaces:
    """Visual boxes collected by texture while a world's floors and walls are written."""

    boxes: dict[TextureId, list[Extents]] = field(default_factory=dict)
    colours: dict[TextureId, Colour] = field(default_factory=dict)

    def add(self, ref: TextureId, colour: Colour, extents: Extents) -> None:
        self.boxes.setdefault(ref, []).append(extents)
        self.colours[ref] = colour

    def clear(self, kind: str) -> None:
        """Forget the boxes of ``kind`` (floors or walls are being written again)."""
        for ref in self.of_kind(kind):
            del self.boxes[ref], self.colours[ref]

    def of_kind(self, kind: str) -> list[TextureId]:
        return sorted(ref for ref in self.boxes if ref[0] == kind)

    def mesh(self, ref: TextureId) -> bytes:
        """The COLLADA mesh of every box of ``ref``, texture coordinates in tiles (no images: the
        SDF material names them, found by ``model://`` URI wherever the packages are installed)."""
        mesh = _boxes_mesh(np.array(self.boxes[ref], dtype=float))
        part = ColouredMesh(
            texture_name(ref), (*self.colours[ref], 1.0), mesh, box_uvs(mesh, texture_repeat(ref))
        )
        return collada_document([part], texture_name(ref))


_UNIT_BOX = trimesh.creation.box()  # extents 1, centred at the origin


def _boxes_mesh(extents: np.ndarray) -> trimesh.Trimesh:
    """One mesh of many axis-aligned boxes, rows (x0, y0, z0, x1, y1, z1) (vectorised: a world
    has hundreds of wall faces)."""
    low, high = extents[:, :3], extents[:, 3:]
    vertices = _UNIT_BOX.vertices[None] * (high - low)[:, None] + ((low + high) / 2)[:, None]
    faces = _UNIT_BOX.faces[None] + len(_UNIT_BOX.vertices) * np.arange(len(extents))[:, None, None]
    return trimesh.Trimesh(vertices.reshape(-1, 3), faces.reshape(-1, 3), process=False)


def _box_size(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> tuple[str, str]:
    pose = pose_text((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2)
    return pose, f"<geometry><box><size>{fmt((x1 - x0, y1 - y0, z1 - z0))}</size></box></geometry>"


def _collision(name: str, *extents: float) -> str:
    pose, geometry = _box_size(*extents)
    return f'<collision name="{name}_collision"><pose>{pose}</pose>{geometry}</collision>'


def _visual(name: str, colour: Colour, *extents: float, transparency: float = 0.0) -> str:
    pose, geometry = _box_size(*extents)
    see_through = f"<transparency>{fmt(transparency)}</transparency>" if transparency else ""
    return (
        f'<visual name="{name}_visual"><pose>{pose}</pose>{geometry}{_material(colour)}{see_through}</visual>'
    )


def _span_box(center: Point, width: float, axis: str, thickness: float) -> tuple[float, float, float, float]:
    """The (x0, y0, x1, y1) box of a gap ``width`` long in a wall along ``axis``, ``thickness`` across."""
    half, cx, cy, t = width / 2, center[0], center[1], thickness / 2
    return (cx - half, cy - t, cx + half, cy + t) if axis == "x" else (cx - t, cy - half, cx + t, cy + half)


def side_materials(world: World, wall: Wall) -> tuple[str | None, str | None]:
    """Wall material types on the (negative, positive) side across the wall (None: outside)."""
    sides: list[str | None] = [None, None]
    for name in wall.rooms:
        room = world.room(name)
        sides[1 if room.side_of(wall.start, wall.end) > 0 else 0] = room.wall_material
    return sides[0], sides[1]


@dataclass(frozen=True)
class WallBlock:
    """One solid block of a wall: ``box`` (x0, y0, x1, y1) from ``z0`` to ``z1``."""

    name: str
    wall: Wall
    box: tuple[float, float, float, float]
    z0: float
    z1: float

    @property
    def extents(self) -> Extents:
        x0, y0, x1, y1 = self.box
        return (x0, y0, self.z0, x1, y1, self.z1)

    def halves(self) -> tuple[Extents, Extents]:
        """The (negative, positive) halves of the block across its wall's centre line."""
        x0, y0, x1, y1 = self.box
        wall, z0, z1 = self.wall, self.z0, self.z1
        if abs(wall.end[0] - wall.start[0]) >= abs(wall.end[1] - wall.start[1]):
            mid = wall.start[1]
            return (x0, y0, z0, x1, mid, z1), (x0, mid, z0, x1, y1, z1)
        mid = wall.start[0]
        return (x0, y0, z0, mid, y1, z1), (mid, y0, z0, x1, y1, z1)


def wall_blocks(world: World) -> list[WallBlock]:
    """Every built wall block: full-height pieces, a lintel over every doorway, every window's
    sill and lintel (the glass is :func:`glass_pane`)."""
    blocks = []
    walls = {wall.id: wall for wall in world.walls}
    for wall in world.walls:
        for i, box in enumerate(world.full_height(wall).solid_boxes()):
            blocks.append(WallBlock(f"{sdf_name(wall.id)}_{i}", wall, box, 0.0, wall.height))
    for door in world.doorways:
        wall = walls.get(door.wall)
        if door.kind != "Doorway" or wall is None or wall.height <= door.height:
            continue
        box = _span_box(door.center, door.width, door.axis, wall.thickness)
        blocks.append(WallBlock(f"lintel_{sdf_name(door.id)}", wall, box, door.height, wall.height))
    for window in world.windows:
        wall = walls[window.wall]
        name = sdf_name(window.id)
        box = _span_box(window.center, window.width, window.axis, wall.thickness)
        blocks.append(WallBlock(f"sill_{name}", wall, box, 0.0, window.sill))
        blocks.append(WallBlock(f"lintel_{name}", wall, box, window.top, wall.height))
    return blocks


def glass_pane(window: Window) -> Extents:
    """The (x0, y0, z0, x1, y1, z1) box of a window's glass pane, centred in the wall."""
    x0, y0, x1, y1 = _span_box(window.center, window.width, window.axis, GLASS_THICKNESS)
    return (x0, y0, window.sill, x1, y1, window.top)


class DoorPose(NamedTuple):
    """A door leaf's frame: the pivot (x, y) on the floor and the yaw of its initial opening, the
    leaf's width and height, and the hinge's limits (radians) relative to that opening."""

    x: float
    y: float
    yaw: float
    width: float
    height: float
    lower: float
    upper: float


def door_pose(door: Doorway) -> DoorPose:
    """Where the leaf of a hinged door stands at its initial opening (as :meth:`WorldSdf.door` poses it)."""
    hx, hy = door.hinge or door.center
    cx, cy = door.center
    if door.axis == "x":
        along, normal = (1.0 if cx > hx else -1.0, 0.0), (0.0, door.swing_sign or 1.0)
    else:
        along, normal = (0.0, 1.0 if cy > hy else -1.0), (door.swing_sign or 1.0, 0.0)
    turn = along[0] * normal[1] - along[1] * normal[0]  # +1: opening turns counter-clockwise
    opened = math.radians(90.0 * (door.open_percent or 0.0) / 100.0)
    lower, upper = sorted((turn * -opened, turn * (math.pi / 2 - opened)))
    return DoorPose(
        hx + along[0] * HINGE_CLEARANCE,
        hy + along[1] * HINGE_CLEARANCE,
        math.atan2(along[1], along[0]) + turn * opened,
        door.width - LEAF_INSET,
        door.height - 0.02,
        lower,
        upper,
    )


@dataclass(frozen=True)
class WorldSdf:
    """Writes one world's SDF. ``ceilings`` adds a ceiling slab over every room."""

    world: World
    ceilings: bool = True

    # -- pieces -----------------------------------------------------------------------------------
    def _side(self, name: str, material: str | None, extents: Extents) -> str:
        """One side of a wall block: collected for its material's textured mesh, or (outside) a
        flat-coloured box visual."""
        if material is None:
            return _visual(name, EXTERIOR, *extents)
        self.surfaces.add(("wall", material), material_colour(material, WALL_COLOURS), extents)
        return ""

    def _wall_block(self, block: WallBlock) -> str:
        """One solid wall block: a full-thickness collision and a visual half per side."""
        negative, positive = side_materials(self.world, block.wall)
        low, high = block.halves()
        return (
            _collision(block.name, *block.extents)
            + self._side(f"{block.name}_a", negative, low)
            + self._side(f"{block.name}_b", positive, high)
        )

    def _textured_visuals(self, kind: str) -> str:
        """A mesh visual per texture of ``kind`` collected so far."""
        return "".join(
            f'<visual name="{texture_name(ref)}_visual"><geometry><mesh>'
            f"<uri>model://{self.world.world_id}/meshes/{texture_name(ref)}.dae</uri></mesh></geometry>"
            f"{_textured_material(ref, self.surfaces.colours[ref])}</visual>"
            for ref in self.surfaces.of_kind(kind)
        )

    @cached_property
    def surfaces(self) -> Surfaces:
        return Surfaces()

    def walls(self) -> str:
        """Full-height wall pieces, a lintel over every doorway, and every window's sill, lintel
        and glass pane (a thin box that collides, see-through)."""
        self.surfaces.clear("wall")
        blocks = []
        panes = {f"lintel_{sdf_name(window.id)}": window for window in self.world.windows}
        for block in wall_blocks(self.world):
            blocks.append(self._wall_block(block))
            window = panes.get(block.name)  # a window's glass follows its lintel
            if window is not None:
                pane, name = glass_pane(window), f"glass_{sdf_name(window.id)}"
                blocks.append(_collision(name, *pane))
                blocks.append(_visual(name, GLASS, *pane, transparency=GLASS_TRANSPARENCY))
        return (
            '<model name="walls"><static>true</static><link name="link">'
            + "".join(blocks)
            + self._textured_visuals("wall")
            + "</link></model>"
        )

    def _room_parts(self, kind: str) -> list[tuple[Room, str, tuple[float, float, float, float]]]:
        """(room, slab name, rectangle) of every room's rectangle parts (an L room: two slabs, the
        second named with ``_2``), so slabs cover each room's polygon exactly."""
        return [
            (room, f"{kind}_{i}_{sdf_name(room.name)}" + (f"_{k + 1}" if k else ""), part)
            for i, room in enumerate(self.world.rooms)
            for k, part in enumerate(room.rects)
        ]

    def floors(self) -> str:
        slabs = []
        self.surfaces.clear("floor")
        for room, name, (x0, y0, x1, y1) in self._room_parts("floor"):
            colour = material_colour(room.flooring, FLOORING_COLOURS)
            slabs.append(_collision(name, x0, y0, -FLOOR_THICKNESS, x1, y1, 0.0))
            self.surfaces.add(("floor", room.flooring), colour, (x0, y0, -FLOOR_THICKNESS, x1, y1, 0.0))
        return (
            '<model name="floors"><static>true</static><link name="link">'
            + "".join(slabs)
            + self._textured_visuals("floor")
            + "</link></model>"
        )

    def ceiling(self) -> str:
        slabs = []
        for _, name, (x0, y0, x1, y1) in self._room_parts("ceiling"):
            z0 = self.world.ceiling_height
            slabs.append(_collision(name, x0, y0, z0, x1, y1, z0 + CEILING_THICKNESS))
            slabs.append(_visual(name, CEILING, x0, y0, z0, x1, y1, z0 + CEILING_THICKNESS))
        return (
            '<model name="ceiling"><static>true</static><link name="link">'
            + "".join(slabs)
            + "</link></model>"
        )

    def door(self, door: Doorway) -> str:
        """A hinged door: a leaf on a revolute joint to the world, posed at its initial opening."""
        px, py, yaw, width, height, lower, upper = door_pose(door)
        leaf = (0.0, -LEAF_THICKNESS / 2, 0.01, width, LEAF_THICKNESS / 2, 0.01 + height)
        m = DOOR_MASS
        ixx = m * (LEAF_THICKNESS**2 + height**2) / 12
        iyy = m * (width**2 + height**2) / 12
        izz = m * (width**2 + LEAF_THICKNESS**2) / 12
        handle_x = width - 0.08
        return (
            f'<model name="door_{sdf_name(door.id)}"><static>false</static>'
            f'<link name="leaf"><pose>{pose_text(px, py, 0.0, 0.0, 0.0, yaw)}</pose>'
            f"<inertial><pose>{pose_text(width / 2, 0, 0.01 + height / 2)}</pose><mass>{fmt(m)}</mass>"
            f"<inertia><ixx>{fmt(ixx)}</ixx><ixy>0</ixy><ixz>0</ixz><iyy>{fmt(iyy)}</iyy><iyz>0</iyz>"
            f"<izz>{fmt(izz)}</izz></inertia></inertial>"
            + _collision("leaf", *leaf)
            + _visual("leaf", (0.72, 0.60, 0.45), *leaf)
            + _visual("handle", (0.8, 0.8, 0.82), handle_x, -0.07, 1.0, handle_x + 0.12, 0.07, 1.03)
            + "</link>"
            '<joint name="hinge" type="revolute"><parent>world</parent><child>leaf</child>'
            f"<axis><xyz>0 0 1</xyz><limit><lower>{fmt(lower)}</lower><upper>{fmt(upper)}</upper>"
            "<effort>50</effort><velocity>2</velocity></limit>"
            "<dynamics><damping>4</damping><friction>1</friction></dynamics></axis></joint>"
            "</model>"
        )

    def furniture(self) -> str:
        return "".join(
            f"<include><uri>model://{item.model}</uri><name>{sdf_name(item.id)}</name>"
            f"<pose>{pose_text(item.x, item.y, item.z, 0.0, 0.0, item.yaw)}</pose></include>"
            for item in self.world.furniture
        )

    @cached_property
    def building(self) -> str:
        """Everything that makes up the house (no light, ground or physics); written once per world."""
        doors = "".join(self.door(d) for d in self.world.doorways if d.has_door and d.hinge is not None)
        return (
            self.floors()
            + self.walls()
            + (self.ceiling() if self.ceilings else "")
            + doors
            + self.furniture()
        )

    def lights(self) -> str:
        sun = (
            '<light type="directional" name="sun"><cast_shadows>false</cast_shadows>'
            "<pose>0 0 10 0 0 0</pose><diffuse>0.8 0.8 0.8 1</diffuse><specular>0.2 0.2 0.2 1</specular>"
            "<attenuation><range>1000</range><constant>0.9</constant><linear>0.01</linear>"
            "<quadratic>0.001</quadratic></attenuation><direction>-0.5 0.1 -0.9</direction></light>"
        )
        lamps = []
        for i, room in enumerate(self.world.rooms):
            x0, y0, x1, y1 = room.rects[0]  # an L room: its larger part
            reach = math.hypot(x1 - x0, y1 - y0) + 1.0
            lamps.append(
                f'<light type="point" name="room_light_{i}"><cast_shadows>false</cast_shadows>'
                f"<pose>{pose_text((x0 + x1) / 2, (y0 + y1) / 2, self.world.ceiling_height - 0.3)}</pose>"
                "<diffuse>0.6 0.6 0.55 1</diffuse><specular>0.1 0.1 0.1 1</specular>"
                f"<attenuation><range>{fmt(reach)}</range><constant>0.6</constant><linear>0.05</linear>"
                "<quadratic>0.01</quadratic></attenuation></light>"
            )
        return sun + "".join(lamps)

    def ground(self) -> str:
        fx0, fy0, fx1, fy1 = self.world.footprint
        size = max(fx1 - fx0, fy1 - fy0) + 40.0
        plane = f"<plane><normal>0 0 1</normal><size>{fmt((size, size))}</size></plane>"
        return (
            '<model name="ground_plane"><static>true</static>'
            f"<pose>{pose_text((fx0 + fx1) / 2, (fy0 + fy1) / 2, -FLOOR_THICKNESS)}</pose>"
            f'<link name="link"><collision name="ground_collision"><geometry>{plane}</geometry>'
            "<surface><friction><ode><mu>100</mu><mu2>50</mu2></ode></friction></surface></collision>"
            f'<visual name="ground_visual"><cast_shadows>false</cast_shadows><geometry>{plane}</geometry>'
            f"{_material((0.45, 0.55, 0.40))}</visual></link></model>"
        )

    def meshes(self) -> dict[str, bytes]:
        """The world folder's textured floor and wall meshes, by path in the folder."""
        self.building  # noqa: B018 (collects the surfaces)
        return {
            f"meshes/{texture_name(ref)}.dae": self.surfaces.mesh(ref) for ref in sorted(self.surfaces.boxes)
        }

    def textures(self) -> list[TextureId]:
        """The textures the world's materials reference (shipped in the shared materials model)."""
        self.building  # noqa: B018
        return sorted(self.surfaces.boxes)

    # -- documents --------------------------------------------------------------------------------
    def world_document(self) -> str:
        """The ``<worldId>.world`` file."""
        name = sdf_name(self.world.world_id)
        return (
            '<?xml version="1.0"?>\n<!-- Generated by jobforge (RoboMaker WorldForge export) -->\n'
            f'<sdf version="1.6">\n<world name="{name}">\n'
            '<physics name="default_physics" default="true" type="ode"><max_step_size>0.001</max_step_size>'
            "<real_time_factor>1</real_time_factor><real_time_update_rate>1000</real_time_update_rate></physics>\n"
            "<gravity>0 0 -9.8</gravity>\n"
            "<scene><ambient>0.6 0.6 0.6 1</ambient><background>0.75 0.82 0.9 1</background>"
            "<shadows>false</shadows><grid>false</grid></scene>\n"
            f"{self.lights()}\n{self.ground()}\n"
            f"{self.building}\n"
            "</world>\n</sdf>\n"
        )

    def model_document(self) -> str:
        """``model.sdf`` of the world directory: the house as one model other worlds can include."""
        return (
            f'<?xml version="1.0"?>\n<sdf version="1.6">\n<model name="{sdf_name(self.world.world_id)}">\n'
            f"{self.building}\n</model>\n</sdf>\n"
        )

    def model_config(self) -> str:
        return (
            '<?xml version="1.0"?>\n<model>\n'
            f"  <name>{text(self.world.world_id)}</name>\n  <version>1.0</version>\n"
            '  <sdf version="1.6">model.sdf</sdf>\n'
            "  <author>\n    <name>jobforge</name>\n    <email>jobforge@localhost</email>\n  </author>\n"
            f"  <description>WorldForge world {text(self.world.world_id)} ({len(self.world.rooms)} rooms), "
            "exported by jobforge</description>\n</model>\n"
        )


def used_models(world: World) -> list[str]:
    """The shared models a world includes, sorted."""
    return sorted({item.model for item in world.furniture})
