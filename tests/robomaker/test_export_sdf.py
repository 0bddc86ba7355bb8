"""SDF of exported worlds: structure, doors on joints, furniture includes, libsdformat's verdict."""

from __future__ import annotations

import json
import math
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jobforge.services.robomaker.export.check import check_sdf_file
from jobforge.services.robomaker.export.sdf import WorldSdf, used_models
from jobforge.services.robomaker.export.textures import texture_name
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world
from tests.robomaker.helpers import build_strict_checker, require_sdf_checker, write_used_models
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {
        "v2": generate_world(
            parse_template_body(json.dumps(SIX_ROOMS_V2)), 11, 12, world_id="generation_a_world_1"
        ),
        "v1": generate_world(
            parse_template_body(sample_body("OneBedroomHouse")), 3, 4, world_id="generation_b_world_2"
        ),
    }


def _pose(element: ET.Element) -> list[float]:
    return [float(v) for v in element.findtext("pose").split()]


def test_world_structure(worlds: dict[str, World]) -> None:
    for world in worlds.values():
        root = ET.fromstring(WorldSdf(world).world_document())
        assert root.get("version") == "1.6"
        sdf_world = root.find("world")
        assert sdf_world.get("name") == world.world_id
        assert sdf_world.find("physics") is not None and sdf_world.find("light[@name='sun']") is not None
        models = {m.get("name"): m for m in sdf_world.findall("model")}
        assert len(models) == len(sdf_world.findall("model")), "model names must be unique"
        assert {"ground_plane", "walls", "floors", "ceiling"} <= set(models)
        # floors: one slab per room, top at z = 0, coloured by flooring
        floors = models["floors"].find("link")
        assert len(floors.findall("collision")) == len(world.rooms)
        for collision in floors.findall("collision"):
            z, height = _pose(collision)[2], float(collision.findtext("geometry/box/size").split()[2])
            assert z + height / 2 == pytest.approx(0.0)
        # walls: a collision per full-height piece, a lintel over every doorway (not over openings),
        # a sill and a lintel under and over every window, and its glass pane (one visual)
        pieces = sum(len(world.full_height(w).solid_boxes()) for w in world.walls)
        lintels = sum(1 for d in world.doorways if d.kind == "Doorway") + 2 * len(world.windows)
        panes = len(world.windows)
        assert len(models["walls"].findall("link/collision")) == pieces + lintels + panes
        # visuals: outside faces and panes are boxes, room sides one textured mesh per wall material
        visuals = models["walls"].findall("link/visual")
        meshes = [v for v in visuals if v.find("geometry/mesh") is not None]
        assert {v.get("name") for v in meshes} == {
            f"{texture_name(('wall', room.wall_material))}_visual" for room in world.rooms
        }
        assert panes < len(visuals) - len(meshes) < 2 * (pieces + lintels) + panes
        ceiling_z = min(_pose(c)[2] for c in models["ceiling"].findall("link/collision"))
        assert ceiling_z == pytest.approx(world.ceiling_height + 0.025)
        # furniture: an include per item at its pose, names unique
        includes = sdf_world.findall("include")
        assert len(includes) == len(world.furniture)
        for include, item in zip(includes, world.furniture, strict=True):
            assert include.findtext("uri") == f"model://{item.model}"
            assert _pose(include) == pytest.approx([item.x, item.y, item.z, 0, 0, item.yaw], abs=1e-6)
        assert len({i.findtext("name") for i in includes}) == len(includes)
        assert used_models(world) == sorted({i.model for i in world.furniture})


def test_ceilings_are_optional(worlds: dict[str, World]) -> None:
    root = ET.fromstring(WorldSdf(worlds["v2"], ceilings=False).world_document())
    assert root.find("world/model[@name='ceiling']") is None


def test_v2_doors_hinge_on_a_joint_at_their_initial_opening(worlds: dict[str, World]) -> None:
    world = worlds["v2"]
    doors = [d for d in world.doorways if d.has_door]
    assert doors, "the six-room V2 template has hinged doors"
    root = ET.fromstring(WorldSdf(world).world_document())
    for door in doors:
        model = root.find(f"world/model[@name='door_{door.id}']")
        assert model is not None and model.findtext("static") == "false"
        joint = model.find("joint")
        assert joint.get("type") == "revolute" and joint.findtext("parent") == "world"
        assert joint.findtext("child") == "leaf" and joint.findtext("axis/xyz") == "0 0 1"
        lower, upper = float(joint.findtext("axis/limit/lower")), float(joint.findtext("axis/limit/upper"))
        assert lower <= 1e-9 and upper >= -1e-9 and upper - lower == pytest.approx(math.pi / 2, abs=1e-5)
        leaf = model.find("link[@name='leaf']")
        assert float(leaf.findtext("inertial/mass")) > 0
        yaw = _pose(leaf)[5]
        (hx, hy), (ex, ey) = door.door_leaf()
        expected = math.atan2(ey - hy, ex - hx)
        assert math.cos(yaw - expected) == pytest.approx(1.0, abs=1e-6)
    assert not [d for d in worlds["v1"].doorways if d.has_door]
    v1 = ET.fromstring(WorldSdf(worlds["v1"]).world_document())
    assert not [m for m in v1.iter("model") if (m.get("name") or "").startswith("door_")]


def test_materials_follow_the_rooms(worlds: dict[str, World]) -> None:
    from jobforge.services.robomaker.export.sdf import FLOORING_COLOURS, material_colour

    world = worlds["v2"]
    writer = WorldSdf(world)
    root = ET.fromstring(writer.world_document())
    visuals = {v.get("name"): v for v in root.findall("world/model[@name='floors']/link/visual")}
    assert len(visuals) == len({room.flooring for room in world.rooms})
    for room in world.rooms:
        name = texture_name(("floor", room.flooring))
        visual = visuals[f"{name}_visual"]
        assert visual.findtext("geometry/mesh/uri") == f"model://{world.world_id}/meshes/{name}.dae"
        colour = [float(v) for v in visual.findtext("material/diffuse").split()[:3]]
        assert colour == pytest.approx(material_colour(room.flooring, FLOORING_COLOURS), abs=1e-5)
        assert visual.findtext("material/script/name") == f"JobForge/{name}"
        albedo = visual.findtext("material/pbr/metal/albedo_map")
        assert albedo == f"model://jobforge_materials/materials/textures/{name}_albedo.png"
        assert f"meshes/{name}.dae" in writer.meshes() and ("floor", room.flooring) in writer.textures()
    assert material_colour("Marble", FLOORING_COLOURS) == material_colour("Marble", FLOORING_COLOURS)


def test_worlds_and_world_models_pass_libsdformat(worlds: dict[str, World], tmp_path: Path) -> None:
    command = require_sdf_checker()
    models, world_dirs = tmp_path / "models", tmp_path / "worlds"
    files = []
    for world in worlds.values():
        write_used_models(world, models)
        folder = world_dirs / world.world_id
        folder.mkdir(parents=True)
        writer = WorldSdf(world)
        (folder / f"{world.world_id}.world").write_text(writer.world_document())
        (folder / "model.sdf").write_text(writer.model_document())
        (folder / "model.config").write_text(writer.model_config())
        files += [folder / f"{world.world_id}.world", folder / "model.sdf"]
    # a custom world that includes an exported world as a model, as WorldForge's docs show
    custom = tmp_path / "custom.world"
    custom.write_text(
        '<?xml version="1.0"?><sdf version="1.6"><world name="custom">'
        f"<include><uri>model://{worlds['v2'].world_id}</uri></include></world></sdf>"
    )
    problems = [p for f in [*files, custom] for p in check_sdf_file(f, [models, world_dirs], command)]
    assert problems == []
    # and the checker does catch a missing model
    broken = tmp_path / "broken.world"
    broken.write_text(
        '<?xml version="1.0"?><sdf version="1.6"><world name="b">'
        "<include><uri>model://wf_no_such_model</uri></include></world></sdf>"
    )
    assert check_sdf_file(broken, [models], command)


def test_worlds_pass_a_strict_libsdformat_load(worlds: dict[str, World], tmp_path: Path) -> None:
    """Where the C++ toolchain and libsdformat12's headers are present (optional)."""
    binary = build_strict_checker(tmp_path)
    models, world_dirs = tmp_path / "models", tmp_path / "worlds"
    for world in worlds.values():
        write_used_models(world, models)
        (world_dirs / world.world_id).mkdir(parents=True)
        writer = WorldSdf(world)
        (world_dirs / world.world_id / "model.sdf").write_text(writer.model_document())
        (world_dirs / world.world_id / "model.config").write_text(writer.model_config())
        (world_dirs / world.world_id / "x.world").write_text(writer.world_document())
    files = [*world_dirs.glob("*/*.world"), *world_dirs.glob("*/model.sdf"), *models.glob("*/model.sdf")]
    failures = []
    for file in files:
        done = subprocess.run(
            [str(binary), str(file), str(models), str(world_dirs)], capture_output=True, text=True
        )
        if done.returncode != 0:
            failures.append(done.stderr)
    assert failures == []
    broken = tmp_path / "broken.world"
    broken.write_text('<?xml version="1.0"?><sdf version="1.6"><world name="b"><boxx/></world></sdf>')
    assert subprocess.run([str(binary), str(broken)], capture_output=True).returncode != 0
