"""The ``usd`` export format: each world's stage, written to disk with its textures, opened with
``pxr.Usd`` and checked the way a simulator reads it (UsdPhysics' own stage parser), against the
world model, the catalogue's physics and the SDF export's door poses."""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdValidation

from jobforge.services.robomaker.export import MODELS_DIR, WORLDS_DIR
from jobforge.services.robomaker.export.formats import TAG
from jobforge.services.robomaker.export.models import _inertial, build_parts
from jobforge.services.robomaker.export.sdf import wall_blocks
from jobforge.services.robomaker.export.textures import MATERIALS_MODEL
from jobforge.services.robomaker.export.textures import TEXTURES_DIR as MATERIALS_TEXTURES
from jobforge.services.robomaker.export.usd import (
    TEXTURES_DIR,
    polygon_rectangles,
    prim_name,
    render_usd,
    usd_file,
)
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world
from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS
from jobforge.services.robomaker.worldgen.geometry import polygon_area
from jobforge.storage import LocalObjectStore
from tests.robomaker.physics import furnished_six_rooms
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body
from tests.robomaker.test_export_formats import ACCOUNT_KEY, BUCKET, ROLE
from tests.robomaker.test_world_export import generate_worlds, wait_export
from tests.support import JobforgeServer, client

BATCH = {
    "furnished_l_house": (furnished_six_rooms(), 3, 103),  # an L footprint, windows, hinged doors
    "six_rooms_v2": (json.dumps(SIX_ROOMS_V2), 11, 12),
    "one_bedroom_house": (sample_body("OneBedroomHouse"), 3, 4),
}
RENDER = [UsdGeom.Tokens.default_, UsdGeom.Tokens.render]
# UsdPhysics' stage parser (renamed in usd-core 26)
LOAD_PHYSICS = getattr(UsdPhysics, "UsdPhysicsLoadStageFromPrimRange", UsdPhysics.LoadUsdPhysicsFromRange)


@dataclass
class Exported:
    world: World
    folder: Path
    files: dict[str, bytes]
    stage: Usd.Stage
    physics: dict  # UsdPhysics.ObjectType -> {prim path: descriptor}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Exported]:
    """Every world of the batch rendered, written to its own folder and opened."""
    out = {}
    for name, (body, a, b) in BATCH.items():
        world = generate_world(parse_template_body(body), a, b, world_id=name)
        files = render_usd(world)
        folder = tmp_path_factory.mktemp(name)
        for path, data in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
        stage = Usd.Stage.Open(str(folder / usd_file(world)))
        parsed = LOAD_PHYSICS(stage, ["/World"])
        physics = {kind: dict(zip(paths, descs, strict=True)) for kind, (paths, descs) in parsed.items()}
        out[name] = Exported(world, folder, files, stage, physics)
    return out


def _of(found: Exported, kind: UsdPhysics.ObjectType) -> dict:
    return {str(path): desc for path, desc in found.physics.get(kind, {}).items()}


def _shapes(found: Exported) -> dict:
    kinds = (
        UsdPhysics.ObjectType.CubeShape,
        UsdPhysics.ObjectType.CylinderShape,
        UsdPhysics.ObjectType.MeshShape,
    )
    return {path: desc for kind in kinds for path, desc in _of(found, kind).items()}


@pytest.mark.parametrize("name", list(BATCH))
def test_stage_is_metric_z_up_and_valid(name: str, exported: dict[str, Exported]) -> None:
    found = exported[name]
    stage = found.stage
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdPhysics.GetStageKilogramsPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == Sdf.Path("/World")
    assert stage.GetCompositionErrors() == []
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [f"{e.GetName()}: {e.GetMessage()}" for e in errors] == []
    (scene,) = _of(found, UsdPhysics.ObjectType.Scene).values()
    assert scene.gravityDirection == Gf.Vec3f(0, 0, -1) and scene.gravityMagnitude == pytest.approx(9.8)
    assert len(list(stage.Traverse())) > 50


@pytest.mark.parametrize("name", list(BATCH))
def test_furniture_has_its_physics(name: str, exported: dict[str, Exported]) -> None:
    """Dynamic types are rigid bodies with the catalogue's mass and the parts' inertia; static
    types are colliders on no body; every colliding part is a collider of its item."""
    found = exported[name]
    bodies = _of(found, UsdPhysics.ObjectType.RigidBody)
    shapes = _shapes(found)
    assert found.world.furniture
    for item in found.world.furniture:
        path = f"/World/Furniture/{prim_name(item.id)}"
        prim = found.stage.GetPrimAtPath(path)
        assert prim.IsValid(), path
        mine = {p: s for p, s in shapes.items() if p.startswith(path + "/")}
        _, parts = build_parts(item.model)
        assert len(mine) == sum(p.collide for p in parts), path
        physics = PHYSICS[item.type]
        if physics.static:
            assert path not in bodies and not prim.HasAPI(UsdPhysics.MassAPI), path
            assert all(s.rigidBody == Sdf.Path.emptyPath for s in mine.values()), path
            continue
        assert sorted(map(str, bodies[path].collisions)) == sorted(mine), path
        mass = UsdPhysics.MassAPI(prim)
        assert mass.GetMassAttr().Get() == pytest.approx(physics.mass)
        com, tensor = _inertial(parts, float(physics.mass))
        assert np.allclose(mass.GetCenterOfMassAttr().Get(), com, atol=1e-5)
        axes = np.array(Gf.Matrix3d(Gf.Rotation(mass.GetPrincipalAxesAttr().Get())).GetTranspose()).reshape(
            3, 3
        )
        rebuilt = axes @ np.diag(mass.GetDiagonalInertiaAttr().Get()) @ axes.T
        assert np.allclose(rebuilt, tensor, atol=1e-4 * max(1.0, np.abs(tensor).max())), path


def test_both_static_and_dynamic_items_are_checked(exported: dict[str, Exported]) -> None:
    types = {item.type for found in exported.values() for item in found.world.furniture}
    assert {PHYSICS[t].static for t in types} == {True, False}


@pytest.mark.parametrize("name", list(BATCH))
def test_items_stand_where_the_world_puts_them(name: str, exported: dict[str, Exported]) -> None:
    """Every item's rendered bound covers its footprint (within 2 cm) from its bottom; a bed's is
    its catalogue size within 1 cm and its mattress collider tops out at the catalogue height."""
    found = exported[name]
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), RENDER)
    guides = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.guide])
    beds = 0
    for item in found.world.furniture:
        prim = found.stage.GetPrimAtPath(f"/World/Furniture/{prim_name(item.id)}")
        bound = cache.ComputeWorldBound(prim).ComputeAlignedRange()
        low, high = bound.GetMin(), bound.GetMax()
        x0, y0, x1, y1 = item.box()
        assert low[2] == pytest.approx(item.z, abs=0.005), item.id  # a range hood's trim hangs 2 mm below
        assert x0 - 0.02 <= low[0] and y0 - 0.02 <= low[1] and high[0] <= x1 + 0.02 and high[1] <= y1 + 0.02
        if item.type != "Beds":
            continue
        beds += 1
        variant = next(v for v in ITEM_TYPES["Beds"].variants if v.model == item.model)
        quarter = round(item.yaw / (math.pi / 2)) % 2
        size = (variant.depth, variant.width) if quarter else (variant.width, variant.depth)
        assert high[0] - low[0] == pytest.approx(size[0], abs=0.01)
        assert high[1] - low[1] == pytest.approx(size[1], abs=0.01)
        colliders = prim.GetChild("Collision").GetChildren()
        mattress = next(p for p in colliders if p.GetName().startswith("mattress"))
        top = guides.ComputeWorldBound(mattress).ComputeAlignedRange().GetMax()[2]
        assert top == pytest.approx(item.z + variant.height, abs=0.01)
    if name == "one_bedroom_house":
        assert beds >= 1


@pytest.mark.parametrize("name", list(BATCH))
def test_walls_floors_and_glass_collide(name: str, exported: dict[str, Exported]) -> None:
    """A box collider per wall block (with its extents), a mesh collider per room floor covering
    the room's polygon, a collider per window pane; none of them on a rigid body."""
    found = exported[name]
    shapes = _shapes(found)
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.guide, *RENDER])
    blocks = wall_blocks(found.world)
    for block in blocks:
        path = f"/World/Walls/Collision/{prim_name(block.name)}"
        assert shapes[path].rigidBody == Sdf.Path.emptyPath
        bound = cache.ComputeWorldBound(found.stage.GetPrimAtPath(path)).ComputeAlignedRange()
        assert np.allclose([*bound.GetMin(), *bound.GetMax()], block.extents, atol=1e-4), path
    assert len([p for p in shapes if p.startswith("/World/Walls/")]) == len(blocks)
    floors = [p for p in shapes if p.startswith("/World/Floors/")]
    assert len(floors) == len(found.world.rooms)
    for room, path in zip(found.world.rooms, floors, strict=True):
        points = np.array(UsdGeom.Mesh(found.stage.GetPrimAtPath(path)).GetPointsAttr().Get())
        assert points[:, 2].max() == pytest.approx(0.0) and points[:, 2].min() == pytest.approx(-0.03)
        x0, y0, x1, y1 = room.bounds
        assert np.allclose(
            [*points[:, :2].min(axis=0), *points[:, :2].max(axis=0)], [x0, y0, x1, y1], atol=1e-4
        )
    panes = [p for p in shapes if p.startswith("/World/Windows/")]
    assert len(panes) == len(found.world.windows)


@pytest.mark.parametrize("name", list(BATCH))
def test_doors_hinge_at_their_initial_opening(name: str, exported: dict[str, Exported]) -> None:
    """Each hinged door's leaf is where the world model's leaf outline is, a rigid body on a
    revolute joint to the world about z."""
    found = exported[name]
    joints = _of(found, UsdPhysics.ObjectType.RevoluteJoint)
    bodies = _of(found, UsdPhysics.ObjectType.RigidBody)
    doors = [d for d in found.world.doorways if d.has_door and d.hinge is not None]
    assert len(joints) == len(doors)
    for door in doors:
        path = f"/World/Doors/{prim_name(f'door_{door.id}')}"
        joint = joints[f"{path}/hinge"]
        assert joint.body0 == Sdf.Path.emptyPath and str(joint.body1) == path and path in bodies
        assert joint.axis == UsdPhysics.Axis.Z and joint.limit.enabled
        assert joint.limit.upper - joint.limit.lower == pytest.approx(90.0)
        leaf = found.stage.GetPrimAtPath(f"{path}/leaf")
        transform = UsdGeom.Xformable(leaf).ComputeLocalToWorldTransform(Usd.TimeCode.Default())
        corners = [
            transform.Transform(Gf.Vec3d(x, y, 0.0))
            for x, y in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5))
        ]
        expected = door.leaf_outline()
        assert expected is not None
        for corner in corners:
            assert min(math.dist((corner[0], corner[1]), point) for point in expected) < 1e-3, path
    if name == "furnished_l_house":
        assert doors


@pytest.mark.parametrize("name", list(BATCH))
def test_materials_and_textures_resolve(name: str, exported: dict[str, Exported]) -> None:
    """Every rendered gprim has a material; every texture a shader reads exists beside the stage,
    and every written texture is read."""
    found = exported[name]
    read = set()
    for prim in found.stage.Traverse():
        if prim.IsA(UsdGeom.Gprim) and UsdGeom.Imageable(prim).ComputePurpose() != UsdGeom.Tokens.guide:
            material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
            assert material, prim.GetPath()
        shader = UsdShade.Shader(prim)
        if shader and shader.GetIdAttr().Get() == "UsdUVTexture":
            asset = shader.GetInput("file").Get()
            assert asset.resolvedPath and Path(asset.resolvedPath).is_file(), asset
            read.add(Path(asset.resolvedPath).relative_to(found.folder).as_posix())
    written = {path for path in found.files if path.startswith(f"{TEXTURES_DIR}/")}
    assert read == written and any("floor_" in path for path in written)


def test_rendering_is_deterministic(exported: dict[str, Exported]) -> None:
    found = exported["six_rooms_v2"]
    assert render_usd(found.world) == found.files


@pytest.mark.parametrize(
    "polygon",
    [
        ((0, 0), (4, 0), (4, 3), (0, 3)),
        ((0, 0), (5, 0), (5, 2), (2, 2), (2, 4), (0, 4)),  # L
        ((0, 0), (6, 0), (6, 4), (4, 4), (4, 2), (2, 2), (2, 4), (0, 4)),  # U
    ],
)
def test_polygon_rectangles_tile_the_polygon(polygon: tuple) -> None:
    rectangles = polygon_rectangles(polygon)
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in rectangles) == pytest.approx(
        abs(polygon_area(polygon))
    )
    for i, (ax0, ay0, ax1, ay1) in enumerate(rectangles):
        for bx0, by0, bx1, by1 in rectangles[i + 1 :]:
            assert min(ax1, bx1) <= max(ax0, bx0) or min(ay1, by1) <= max(ay0, by0)


def test_export_job_writes_usd_beside_each_world(server: JobforgeServer, tmp_path: Path) -> None:
    """Through boto3: an export job tagged ``jobforge:formats: usd`` puts each world's stage in
    ``worlds/<worldId>/usd/``; the stage opens from the unzipped folder, its textures resolve to
    the shared materials model's (shipped once) and its furniture keeps its physics."""
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    LocalObjectStore(server.data_dir).create_bucket(BUCKET)
    worlds = generate_worlds(robomaker, floorplans=1, interiors=1)["worlds"]
    created = robomaker.create_world_export_job(
        worlds=worlds, outputLocation={"s3Bucket": BUCKET, "s3Prefix": "usd"}, iamRole=ROLE, tags={TAG: "usd"}
    )
    job = wait_export(robomaker, created["arn"])
    assert job["status"] == "Completed", job.get("failureReason")
    key = "usd/aws-robomaker-worldforge-export-" + created["arn"].rsplit("/export-", 1)[1] + ".zip"
    with zipfile.ZipFile(io.BytesIO(LocalObjectStore(server.data_dir).get_bytes(BUCKET, key))) as archive:
        archive.extractall(tmp_path)
    (world_id,) = (arn.rsplit("/", 1)[1] for arn in worlds)
    folder = tmp_path / WORLDS_DIR / "worlds" / world_id
    assert (folder / f"{world_id}.world").is_file()  # the default package is still there
    assert "format `usd`" in (tmp_path / WORLDS_DIR / "README.md").read_text()
    stage = Usd.Stage.Open(str(folder / "usd" / f"{world_id}.usda"))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0 and UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    files = [
        Path(shader.GetInput("file").Get().resolvedPath)
        for prim in stage.Traverse()
        if (shader := UsdShade.Shader(prim)) and shader.GetIdAttr().Get() == "UsdUVTexture"
    ]
    shared = (tmp_path / MODELS_DIR / "models" / MATERIALS_MODEL / MATERIALS_TEXTURES).resolve()
    assert files and all(path.is_file() and path.parent == shared for path in files)
    assert sorted(p.name for p in (folder / "usd").iterdir()) == [f"{world_id}.usda"]  # no copies
    items = stage.GetPrimAtPath("/World/Furniture").GetChildren()
    assert items and any(item.HasAPI(UsdPhysics.RigidBodyAPI) for item in items)
