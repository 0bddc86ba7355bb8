"""The ``usd`` export format: one USD stage (``.usda``) per world, written with usd-core, for Isaac
Sim and any other USD tool.

A world's files, by path relative to its folder (:func:`render_usd`)::

    <worldId>.usda
    textures/<texture>_albedo.png, textures/<texture>_normal.png   (referenced as ./textures/...)

In the export archive (:func:`render_world`, ``worlds/<worldId>/usd/``) only the stage: it
references the textures the archive ships once in its shared materials model.

The stage is Z up in metres and kilograms (``metersPerUnit`` 1, ``kilogramsPerUnit`` 1) with
``/World`` as its default prim::

    /World/PhysicsScene          UsdPhysics.Scene, gravity 9.8 m/s^2 down
    /World/Looks                 UsdPreviewSurface materials (textured floors and walls, flat
                                 colours) and the physics material (friction) bound to /World
    /World/Lights                a sun (DistantLight) and a sky (DomeLight)
    /World/Ground                a static box collider under the house
    /World/Floors/floor_<i>_..   one mesh per room polygon (slab -0.03..0), textured, a collider
    /World/Walls/Visuals/..      one textured mesh per wall material (the room side of every block)
    /World/Walls/Collision/..    one box collider per solid block (purpose guide: not rendered)
    /World/Windows/<id>          the glass pane of each window (a see-through box collider)
    /World/Doors/door_<id>       a rigid leaf at its initial opening, on a RevoluteJoint to the world
    /World/Furniture/<id>        an Xform per item (position, yaw) referencing its model
    /Models/<model>              each used catalogue model once, as a class (not simulated itself):
                                 visual meshes per palette colour (textured where the colour has a
                                 texture), glass parts, and a Cube or Cylinder collider per colliding
                                 part; dynamic types carry RigidBodyAPI and MassAPI (mass from
                                 ``catalog.PHYSICS``, centre of mass and inertia from the parts),
                                 static types colliders only.

There is no ceiling, so the house can be looked into from above.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import shapely
import trimesh
from pxr import Gf, Sdf, Tf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdShade, Vt

from jobforge.services.robomaker.export.collada import box_uvs
from jobforge.services.robomaker.export.models import FRICTION, PALETTE, Part, _inertial, build_parts
from jobforge.services.robomaker.export.package import MODELS_PACKAGE
from jobforge.services.robomaker.export.sdf import (
    DOOR_MASS,
    EXTERIOR,
    FLOOR_THICKNESS,
    FLOORING_COLOURS,
    GLASS,
    GLASS_TRANSPARENCY,
    WALL_COLOURS,
    Extents,
    door_pose,
    glass_pane,
    material_colour,
    side_materials,
    wall_blocks,
)
from jobforge.services.robomaker.export.textures import (
    MATERIALS_MODEL,
    Texture,
    TextureId,
    part_texture,
    texture,
    texture_name,
    texture_repeat,
)
from jobforge.services.robomaker.export.textures import TEXTURES_DIR as MATERIALS_TEXTURES
from jobforge.services.robomaker.worldgen.catalog import PHYSICS
from jobforge.services.robomaker.worldgen.world import LEAF_THICKNESS, Doorway, Point, World

if TYPE_CHECKING:
    from jobforge.services.robomaker.export.archive import RenderedWorld

Colour = tuple[float, float, float]

TEXTURES_DIR = "textures"
MODELS = Sdf.Path("/Models")
GRAVITY = 9.8  # m/s^2, as the SDF world
DOOR_LEAF: Colour = (0.72, 0.60, 0.45)
DOOR_HANDLE: Colour = (0.8, 0.8, 0.82)
GROUND: Colour = (0.45, 0.55, 0.40)
ROUGHNESS = 0.8
_T = Sdf.ValueTypeNames


def usd_file(world: World) -> str:
    """The stage's file name in the world's folder."""
    return f"{world.world_id}.usda"


def render_usd(world: World, shared_textures: str | None = None) -> dict[str, bytes]:
    """The ``usd`` format of ``world``: its stage and the textures it references, by relative path
    (``textures/...`` beside the stage); with ``shared_textures``, a folder relative to the stage
    holding them already, the stage references them there and no PNG is returned."""
    return UsdWorld(world, shared_textures).files()


# From worlds/<worldId>/usd/ in the archive (or a colcon install's share/) to the textures the
# default package ships once in its shared materials model.
ARCHIVE_TEXTURES = f"../../../../{MODELS_PACKAGE}/models/{MATERIALS_MODEL}/{MATERIALS_TEXTURES}"


def render_world(world: World, base: RenderedWorld) -> dict[str, bytes]:
    """The ``usd`` export format's renderer (see formats.py): the stage only, its textures those of
    the archive's ``jobforge_materials`` model (the same set the world's SDF and models use)."""
    del base
    return render_usd(world, ARCHIVE_TEXTURES)


# -- mesh arrays ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeshArrays:
    """A polygon mesh: points, faces, face-varying normals and texture coordinates (metres / repeat)."""

    points: np.ndarray  # (n, 3)
    counts: np.ndarray  # vertices per face
    indices: np.ndarray  # face vertex indices, flat
    normals: np.ndarray  # (len(indices), 3)
    st: np.ndarray  # (len(indices), 2)


def _box_faces() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-box quads (6, 4, 3) counter-clockwise seen from outside, their normals (6, 3) and the
    two coordinates each projects its texture on (6, 2): y-z for x faces, x-z for y, x-y for z."""
    corners, normals, planes = [], [], []
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        for side in (0, 1):
            quad = []
            for a, b in square if side else square[::-1]:
                point = [0.0, 0.0, 0.0]
                point[axis], point[u], point[v] = side, a, b
                quad.append(point)
            corners.append(quad)
            normal = [0.0, 0.0, 0.0]
            normal[axis] = 1.0 if side else -1.0
            normals.append(normal)
            planes.append([c for c in range(3) if c != axis])
    return np.array(corners), np.array(normals), np.array(planes)


_QUADS, _QUAD_NORMALS, _QUAD_PLANES = _box_faces()


def boxes_mesh(extents: np.ndarray, repeat: float = 1.0) -> MeshArrays:
    """Axis-aligned boxes, rows (x0, y0, z0, x1, y1, z1), as one mesh of quads with box-projected
    texture coordinates in units of ``repeat`` metres."""
    low, high = extents[:, None, None, :3], extents[:, None, None, 3:]
    points = (low + _QUADS[None] * (high - low)).reshape(-1, 3)  # (boxes * 24, 3)
    count = len(extents) * 6
    planes = np.tile(np.repeat(_QUAD_PLANES, 4, axis=0), (len(extents), 1))
    return MeshArrays(
        points,
        np.full(count, 4),
        np.arange(count * 4),
        np.tile(np.repeat(_QUAD_NORMALS, 4, axis=0), (len(extents), 1)),
        np.take_along_axis(points, planes, axis=1) / repeat,
    )


def triangles_mesh(mesh: trimesh.Trimesh, repeat: float = 1.0) -> MeshArrays:
    """A trimesh with flat face normals and box-projected texture coordinates."""
    faces = np.asarray(mesh.faces)
    return MeshArrays(
        np.asarray(mesh.vertices),
        np.full(len(faces), 3),
        faces.reshape(-1),
        np.repeat(np.asarray(mesh.face_normals), 3, axis=0),
        box_uvs(mesh, repeat).reshape(-1, 2),
    )


def concatenate(meshes: list[MeshArrays]) -> MeshArrays:
    """One mesh of several."""
    offsets = np.cumsum([0] + [len(m.points) for m in meshes[:-1]])
    return MeshArrays(
        np.concatenate([m.points for m in meshes]),
        np.concatenate([m.counts for m in meshes]),
        np.concatenate([m.indices + offset for m, offset in zip(meshes, offsets, strict=True)]),
        np.concatenate([m.normals for m in meshes]),
        np.concatenate([m.st for m in meshes]),
    )


def part_mesh(part: Part, repeat: float) -> MeshArrays:
    """A model part's surface: a box as six quads, a cylinder as trimesh's triangles."""
    if part.shape == "box":
        half, centre = np.asarray(part.size) / 2, np.asarray(part.centre)
        return boxes_mesh(np.concatenate([centre - half, centre + half])[None], repeat)
    return triangles_mesh(part.mesh(), repeat)


@lru_cache(maxsize=64)
def model_visuals(name: str) -> tuple[tuple[str, MeshArrays], ...]:
    """(palette colour, mesh) of a catalogue model's visible parts but glass, one mesh per colour,
    texture coordinates in the colour's texture tiles (cached: worlds share models)."""
    _, parts = build_parts(name)
    by_colour: dict[str, list[Part]] = {}
    for part in parts:
        if part.colour != "glass" and part.visible:
            by_colour.setdefault(part.colour, []).append(part)
    out = []
    for colour, found in sorted(by_colour.items()):
        image = part_texture(colour)
        repeat = image.repeat if image is not None else 1.0
        out.append((colour, concatenate([part_mesh(part, repeat) for part in found])))
    return tuple(out)


def polygon_rectangles(polygon: tuple[Point, ...]) -> list[tuple[float, float, float, float]]:
    """An axis-aligned polygon as rectangles (x0, y0, x1, y1): one per run of grid cells inside
    it in each strip between its distinct x coordinates (an L or U room gives two or three)."""
    shape = shapely.Polygon(polygon)
    xs = sorted({p[0] for p in polygon})
    ys = sorted({p[1] for p in polygon})
    out = []
    for x0, x1 in itertools.pairwise(xs):
        run: list[float] = []
        for y0, y1 in itertools.pairwise(ys):
            if shape.contains(shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)):
                run = [run[0] if run else y0, y1]
            elif run:
                out.append((x0, run[0], x1, run[1]))
                run = []
        if run:
            out.append((x0, run[0], x1, run[1]))
    return out


def prim_name(value: str) -> str:
    """A valid USD prim name for ``value``."""
    return Tf.MakeValidIdentifier(value)


# -- authoring helpers ----------------------------------------------------------------------------
def _define_mesh(stage: Usd.Stage, path: Sdf.Path, arrays: MeshArrays) -> UsdGeom.Mesh:
    mesh = UsdGeom.Mesh.Define(stage, path)
    points = arrays.points.astype(np.float32)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(arrays.counts.astype(np.int32)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(arrays.indices.astype(np.int32)))
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(arrays.normals.astype(np.float32)))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([points.min(axis=0), points.max(axis=0)])))
    UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", _T.TexCoord2fArray, UsdGeom.Tokens.faceVarying).Set(
        Vt.Vec2fArray.FromNumpy(arrays.st.astype(np.float32))
    )
    return mesh


def _define_box(stage: Usd.Stage, path: Sdf.Path, extents: Extents) -> UsdGeom.Cube:
    """A Cube prim (size 1) translated and scaled onto ``extents``."""
    x0, y0, z0, x1, y1, z1 = extents
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    cube.CreateExtentAttr([(-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)])
    cube.AddTranslateOp().Set(Gf.Vec3d((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2))
    cube.AddScaleOp().Set(Gf.Vec3f(x1 - x0, y1 - y0, z1 - z0))
    return cube


def _define_part(stage: Usd.Stage, path: Sdf.Path, part: Part) -> UsdGeom.Gprim:
    """A model part as a Cube (scaled) or a Cylinder along its axis."""
    if part.shape == "box":
        half = np.asarray(part.size) / 2
        centre = np.asarray(part.centre)
        return _define_box(stage, path, (*(centre - half), *(centre + half)))
    radius, length = part.size
    cylinder = UsdGeom.Cylinder.Define(stage, path)
    cylinder.CreateRadiusAttr(radius)
    cylinder.CreateHeightAttr(length)
    cylinder.CreateAxisAttr(part.axis.upper())
    half = [radius, radius, radius]
    half["xyz".index(part.axis)] = length / 2
    cylinder.CreateExtentAttr([tuple(-h for h in half), tuple(half)])
    cylinder.AddTranslateOp().Set(Gf.Vec3d(*part.centre))
    return cylinder


def _collider(gprim: UsdGeom.Gprim, hidden: bool = True) -> None:
    """Make ``gprim`` a collider (``hidden``: purpose guide, the shape only physics uses)."""
    UsdPhysics.CollisionAPI.Apply(gprim.GetPrim())
    if hidden:
        gprim.CreatePurposeAttr(UsdGeom.Tokens.guide)


def _bind(prim: Usd.Prim, material: UsdShade.Material, purpose: str = UsdShade.Tokens.allPurpose) -> None:
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material, materialPurpose=purpose)


def _place(xform: UsdGeom.Xformable, x: float, y: float, z: float, yaw: float) -> None:
    xform.AddTranslateOp().Set(Gf.Vec3d(x, y, z))
    xform.AddRotateZOp().Set(math.degrees(yaw))


def _mass(prim: Usd.Prim, mass: float, com: np.ndarray, tensor: np.ndarray) -> None:
    """RigidBodyAPI and MassAPI: mass, centre of mass, principal moments and axes of ``tensor``."""
    UsdPhysics.RigidBodyAPI.Apply(prim)
    api = UsdPhysics.MassAPI.Apply(prim)
    api.CreateMassAttr(mass)
    api.CreateCenterOfMassAttr(Gf.Vec3f(*com))
    moments, axes = np.linalg.eigh(tensor)
    if np.linalg.det(axes) < 0:
        axes[:, 2] *= -1
    # Gf matrices multiply row vectors: the transpose of the column-vector rotation ``axes``.
    rotation = Gf.Matrix3d(*axes.T.reshape(-1).tolist()).ExtractRotation().GetQuat()
    api.CreateDiagonalInertiaAttr(Gf.Vec3f(*moments))
    api.CreatePrincipalAxesAttr(Gf.Quatf(rotation))


@dataclass
class Looks:
    """UsdPreviewSurface materials under ``scope``, each made once; textures it uses are noted."""

    stage: Usd.Stage
    scope: Sdf.Path
    folder: str = f"./{TEXTURES_DIR}"  # where the stage finds the textures
    textures: dict[str, Texture] = field(default_factory=dict)
    _made: dict[str, UsdShade.Material] = field(default_factory=dict)

    def flat(self, name: str, colour: Colour, opacity: float = 1.0) -> UsdShade.Material:
        """A plain colour (``opacity`` < 1: see-through)."""
        return self._material(prim_name(name), colour, opacity, None)

    def textured(self, ref: TextureId, colour: Colour) -> UsdShade.Material:
        """The albedo and normal map of ``ref`` (``colour`` is the display colour)."""
        return self._material(prim_name(texture_name(ref)), colour, 1.0, texture(ref))

    def _material(self, key: str, colour: Colour, opacity: float, image: Texture | None) -> UsdShade.Material:
        if key in self._made:
            return self._made[key]
        path = self.scope.AppendChild(key)
        material = UsdShade.Material.Define(self.stage, path)
        shader = UsdShade.Shader.Define(self.stage, path.AppendChild("Surface"))
        shader.CreateIdAttr("UsdPreviewSurface")
        shader.CreateInput("roughness", _T.Float).Set(ROUGHNESS)
        shader.CreateInput("metallic", _T.Float).Set(0.0)
        if opacity < 1.0:
            shader.CreateInput("opacity", _T.Float).Set(opacity)
        diffuse = shader.CreateInput("diffuseColor", _T.Color3f)
        if image is None:
            diffuse.Set(Gf.Vec3f(*colour))
        else:
            self.textures[image.name] = image
            reader = UsdShade.Shader.Define(self.stage, path.AppendChild("St"))
            reader.CreateIdAttr("UsdPrimvarReader_float2")
            reader.CreateInput("varname", _T.String).Set("st")
            st = reader.CreateOutput("result", _T.Float2)
            albedo = self._image(path.AppendChild("Albedo"), image.albedo_file, "sRGB", st)
            diffuse.ConnectToSource(albedo.CreateOutput("rgb", _T.Float3))
            normal = self._image(path.AppendChild("Normal"), image.normal_file, "raw", st)
            normal.CreateInput("scale", _T.Float4).Set(Gf.Vec4f(2, 2, 2, 1))
            normal.CreateInput("bias", _T.Float4).Set(Gf.Vec4f(-1, -1, -1, 0))
            shader.CreateInput("normal", _T.Normal3f).ConnectToSource(normal.CreateOutput("rgb", _T.Float3))
        material.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
        self._made[key] = material
        return material

    def _image(self, path: Sdf.Path, file: str, colour_space: str, st: UsdShade.Output) -> UsdShade.Shader:
        shader = UsdShade.Shader.Define(self.stage, path)
        shader.CreateIdAttr("UsdUVTexture")
        shader.CreateInput("file", _T.Asset).Set(Sdf.AssetPath(f"{self.folder}/{file}"))
        shader.CreateInput("sourceColorSpace", _T.Token).Set(colour_space)
        shader.CreateInput("wrapS", _T.Token).Set("repeat")
        shader.CreateInput("wrapT", _T.Token).Set("repeat")
        shader.CreateInput("st", _T.Float2).ConnectToSource(st)
        return shader


# -- the stage ------------------------------------------------------------------------------------
class UsdWorld:
    """Builds one world's stage in memory."""

    def __init__(self, world: World, shared_textures: str | None = None) -> None:
        self.world = world
        self.stage = Usd.Stage.CreateInMemory(usd_file(world))
        self.root = Sdf.Path("/World")
        self.looks = Looks(self.stage, self.root.AppendChild("Looks"), shared_textures or f"./{TEXTURES_DIR}")
        self.shared_textures = shared_textures is not None

    def _path(self, *names: str) -> Sdf.Path:
        path = self.root
        for name in names:
            path = path.AppendChild(name)
        return path

    def _scope(self, *names: str) -> Sdf.Path:
        path = self._path(*names)
        UsdGeom.Scope.Define(self.stage, path)
        return path

    def build(self) -> Usd.Stage:
        stage = self.stage
        stage.GetRootLayer().documentation = f"WorldForge world {self.world.world_id}, generated by jobforge"
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
        world = UsdGeom.Xform.Define(stage, self.root)
        stage.SetDefaultPrim(world.GetPrim())
        UsdGeom.Scope.Define(stage, self.looks.scope)
        scene = UsdPhysics.Scene.Define(stage, self._path("PhysicsScene"))
        scene.CreateGravityDirectionAttr(Gf.Vec3f(0, 0, -1))
        scene.CreateGravityMagnitudeAttr(GRAVITY)
        friction = UsdShade.Material.Define(stage, self.looks.scope.AppendChild("Friction"))
        surface = UsdPhysics.MaterialAPI.Apply(friction.GetPrim())
        surface.CreateStaticFrictionAttr(FRICTION)
        surface.CreateDynamicFrictionAttr(FRICTION)
        surface.CreateRestitutionAttr(0.0)
        _bind(world.GetPrim(), friction, "physics")
        self.lights()
        self.ground()
        self.floors()
        self.walls()
        self.windows()
        for door in self.world.doorways:
            if door.has_door and door.hinge is not None:
                self.door(door)
        self.furniture()
        return stage

    def files(self) -> dict[str, bytes]:
        """The stage document and every texture its materials reference."""
        document = self.build().GetRootLayer().ExportToString().encode()
        out = {usd_file(self.world): document}
        if self.shared_textures:
            return out
        for image in sorted(self.looks.textures.values(), key=lambda t: t.name):
            out[f"{TEXTURES_DIR}/{image.albedo_file}"] = image.albedo
            out[f"{TEXTURES_DIR}/{image.normal_file}"] = image.normal
        return out

    # -- pieces -----------------------------------------------------------------------------------
    def lights(self) -> None:
        lights = self._scope("Lights")
        sun = UsdLux.DistantLight.Define(self.stage, lights.AppendChild("Sun"))
        sun.CreateIntensityAttr(2500.0)
        sun.CreateAngleAttr(0.53)
        # A DistantLight shines down its -z axis: turn it to the SDF sun's direction.
        turn = Gf.Rotation(Gf.Vec3d(0, 0, -1), Gf.Vec3d(-0.5, 0.1, -0.9).GetNormalized())
        sun.AddOrientOp().Set(Gf.Quatf(turn.GetQuat()))
        UsdLux.DomeLight.Define(self.stage, lights.AppendChild("Sky")).CreateIntensityAttr(400.0)

    def ground(self) -> None:
        fx0, fy0, fx1, fy1 = self.world.footprint
        half = max(fx1 - fx0, fy1 - fy0) / 2 + 20.0
        cx, cy, top = (fx0 + fx1) / 2, (fy0 + fy1) / 2, -FLOOR_THICKNESS
        box = _define_box(
            self.stage, self._path("Ground"), (cx - half, cy - half, top - 0.1, cx + half, cy + half, top)
        )
        _collider(box, hidden=False)
        _bind(box.GetPrim(), self.looks.flat("ground", GROUND))

    def floors(self) -> None:
        scope = self._scope("Floors")
        for i, room in enumerate(self.world.rooms):
            ref = ("floor", room.flooring)
            rows = [
                (x0, y0, -FLOOR_THICKNESS, x1, y1, 0.0) for x0, y0, x1, y1 in polygon_rectangles(room.polygon)
            ]
            mesh = _define_mesh(
                self.stage,
                scope.AppendChild(prim_name(f"floor_{i}_{room.name}")),
                boxes_mesh(np.array(rows), texture_repeat(ref)),
            )
            _collider(mesh, hidden=False)
            UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr(UsdPhysics.Tokens.none)
            _bind(mesh.GetPrim(), self.looks.textured(ref, material_colour(room.flooring, FLOORING_COLOURS)))

    def walls(self) -> None:
        """Every wall block: a hidden box collider, and its two halves (across the wall) in the
        visual mesh of the material on their side (outside: the flat exterior colour)."""
        self._scope("Walls")
        collision = self._scope("Walls", "Collision")
        sides: dict[str | None, list[Extents]] = {}
        for block in wall_blocks(self.world):
            _collider(_define_box(self.stage, collision.AppendChild(prim_name(block.name)), block.extents))
            for material, extents in zip(side_materials(self.world, block.wall), block.halves(), strict=True):
                sides.setdefault(material, []).append(extents)
        visuals = self._scope("Walls", "Visuals")
        for material, rows in sorted(sides.items(), key=lambda item: item[0] or ""):
            if material is None:
                mesh = _define_mesh(self.stage, visuals.AppendChild("exterior"), boxes_mesh(np.array(rows)))
                _bind(mesh.GetPrim(), self.looks.flat("exterior", EXTERIOR))
                continue
            ref = ("wall", material)
            name = prim_name(texture_name(ref))
            mesh = _define_mesh(
                self.stage, visuals.AppendChild(name), boxes_mesh(np.array(rows), texture_repeat(ref))
            )
            _bind(mesh.GetPrim(), self.looks.textured(ref, material_colour(material, WALL_COLOURS)))

    def windows(self) -> None:
        if not self.world.windows:
            return
        scope = self._scope("Windows")
        glass = self.looks.flat("glass", GLASS, 1.0 - GLASS_TRANSPARENCY)
        for window in self.world.windows:
            pane = _define_box(self.stage, scope.AppendChild(prim_name(window.id)), glass_pane(window))
            _collider(pane, hidden=False)
            _bind(pane.GetPrim(), glass)

    def door(self, door: Doorway) -> None:
        """The leaf as a rigid body posed at its initial opening, hinged to the world by a
        RevoluteJoint whose limits run from closed to 90 degrees open (relative to that pose)."""
        pose = door_pose(door)
        path = self._path("Doors", prim_name(f"door_{door.id}"))
        if not self.stage.GetPrimAtPath(path.GetParentPath()):
            self._scope("Doors")
        leaf = UsdGeom.Xform.Define(self.stage, path)
        _place(leaf, pose.x, pose.y, 0.0, pose.yaw)
        w, h, t = pose.width, pose.height, LEAF_THICKNESS
        inertia = np.diag([t * t + h * h, w * w + h * h, w * w + t * t]) * DOOR_MASS / 12
        _mass(leaf.GetPrim(), DOOR_MASS, np.array([w / 2, 0.0, 0.01 + h / 2]), inertia)
        slab = _define_box(self.stage, path.AppendChild("leaf"), (0.0, -t / 2, 0.01, w, t / 2, 0.01 + h))
        _collider(slab, hidden=False)
        _bind(slab.GetPrim(), self.looks.flat("door_leaf", DOOR_LEAF))
        hx = w - 0.08
        handle = _define_box(self.stage, path.AppendChild("handle"), (hx, -0.07, 1.0, hx + 0.12, 0.07, 1.03))
        _bind(handle.GetPrim(), self.looks.flat("door_handle", DOOR_HANDLE))
        hinge = UsdPhysics.RevoluteJoint.Define(self.stage, path.AppendChild("hinge"))
        hinge.CreateBody1Rel().SetTargets([path])  # body0 unset: the world
        hinge.CreateLocalPos0Attr(Gf.Vec3f(pose.x, pose.y, 0.0))
        hinge.CreateLocalRot0Attr(Gf.Quatf(Gf.Rotation(Gf.Vec3d(0, 0, 1), math.degrees(pose.yaw)).GetQuat()))
        hinge.CreateLocalPos1Attr(Gf.Vec3f(0, 0, 0))
        hinge.CreateLocalRot1Attr(Gf.Quatf(1, 0, 0, 0))
        hinge.CreateAxisAttr(UsdPhysics.Tokens.z)
        hinge.CreateLowerLimitAttr(math.degrees(pose.lower))
        hinge.CreateUpperLimitAttr(math.degrees(pose.upper))
        drive = UsdPhysics.DriveAPI.Apply(hinge.GetPrim(), UsdPhysics.Tokens.angular)
        drive.CreateStiffnessAttr(0.0)
        drive.CreateDampingAttr(4.0)  # the SDF hinge's damping: doors do not swing freely

    def furniture(self) -> None:
        if not self.world.furniture:
            return
        self.stage.CreateClassPrim(MODELS)
        for name in sorted({item.model for item in self.world.furniture}):
            self.model(name)
        scope = self._scope("Furniture")
        for item in self.world.furniture:
            xform = UsdGeom.Xform.Define(self.stage, scope.AppendChild(prim_name(item.id)))
            xform.GetPrim().GetReferences().AddInternalReference(MODELS.AppendChild(prim_name(item.model)))
            _place(xform, item.x, item.y, item.z, item.yaw)

    def model(self, name: str) -> None:
        """A catalogue model under /Models: visuals per colour, glass, colliders, and (dynamic
        types) its rigid body and mass."""
        type_, parts = build_parts(name)
        path = MODELS.AppendChild(prim_name(name))
        root = UsdGeom.Xform.Define(self.stage, path)
        looks = self.looks  # shared: bindings to /World/Looks hold through the references
        for colour, arrays in model_visuals(name):
            mesh = _define_mesh(self.stage, path.AppendChild(prim_name(f"visual_{colour}")), arrays)
            rgb = PALETTE[colour][:3]
            material = (
                looks.textured(("part", colour), rgb)
                if part_texture(colour)
                else looks.flat(f"part_{colour}", rgb)
            )
            _bind(mesh.GetPrim(), material)
        glass = [p for p in parts if p.colour == "glass"]
        for i, part in enumerate(glass):
            pane = _define_part(self.stage, path.AppendChild(f"glass_{i}"), part)
            _bind(pane.GetPrim(), looks.flat("part_glass", PALETTE["glass"][:3], 1.0 - GLASS_TRANSPARENCY))
        UsdGeom.Scope.Define(self.stage, path.AppendChild("Collision"))
        for i, part in enumerate(parts):
            if part.collide:
                _collider(
                    _define_part(
                        self.stage,
                        path.AppendChild("Collision").AppendChild(prim_name(f"{part.name}_{i}")),
                        part,
                    )
                )
        physics = PHYSICS[type_]
        if not physics.static:
            com, tensor = _inertial(parts, float(physics.mass))
            _mass(root.GetPrim(), float(physics.mass), com, tensor)
