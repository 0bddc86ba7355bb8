"""SDF of exported worlds: structure, doors on joints, furniture includes, libsdformat's verdict."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jobforge.services.robomaker.export.check import check_sdf_file
from jobforge.services.robomaker.export.models import furniture_model
from jobforge.services.robomaker.export.sdf import WorldSdf, used_models
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world
from tests.robomaker.helpers import require_sdf_checker
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
        assert len(models["walls"].findall("link/visual")) == 2 * (pieces + lintels) + panes
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
    root = ET.fromstring(WorldSdf(world).world_document())
    visuals = root.findall("world/model[@name='floors']/link/visual")
    for room, visual in zip(world.rooms, visuals, strict=True):
        colour = [float(v) for v in visual.findtext("material/diffuse").split()[:3]]
        assert colour == pytest.approx(material_colour(room.flooring, FLOORING_COLOURS), abs=1e-5)
    assert material_colour("Marble", FLOORING_COLOURS) == material_colour("Marble", FLOORING_COLOURS)


def test_worlds_and_world_models_pass_libsdformat(worlds: dict[str, World], tmp_path: Path) -> None:
    command = require_sdf_checker()
    models, world_dirs = tmp_path / "models", tmp_path / "worlds"
    files = []
    for world in worlds.values():
        for name in used_models(world):
            for path, data in furniture_model(name).files.items():
                (models / name / path).parent.mkdir(parents=True, exist_ok=True)
                (models / name / path).write_bytes(data)
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


STRICT_CHECKER = r"""
#include <sdf/sdf.hh>
#include <iostream>
// Load with unknown elements and warnings as errors (ign sdf -k lets an unknown element pass).
int main(int argc, char **argv) {
  sdf::ParserConfig config;
  config.SetUnrecognizedElementsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetWarningsPolicy(sdf::EnforcementPolicy::ERR);
  for (int i = 2; i < argc; ++i) config.AddURIPath("model://", argv[i]);
  sdf::Root root;
  sdf::Errors errors = root.Load(argv[1], config);
  for (auto &e : errors)
    std::cerr << argv[1] << ':' << e.LineNumber().value_or(-1) << ' ' << e.Message() << '\n';
  return errors.empty() ? 0 : 1;
}
"""


def test_worlds_pass_a_strict_libsdformat_load(worlds: dict[str, World], tmp_path: Path) -> None:
    """Where the C++ toolchain and libsdformat12's headers are present (optional)."""
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sdformat12"], capture_output=True, text=True)
    if shutil.which("g++") is None or flags.returncode != 0:
        pytest.skip("g++ or libsdformat12's development files are missing")
    source, binary = tmp_path / "strict.cc", tmp_path / "strict"
    source.write_text(STRICT_CHECKER)
    subprocess.run(["g++", "-std=c++17", str(source), *flags.stdout.split(), "-o", str(binary)], check=True)
    models, world_dirs = tmp_path / "models", tmp_path / "worlds"
    for world in worlds.values():
        for name in used_models(world):
            for path, data in furniture_model(name).files.items():
                (models / name / path).parent.mkdir(parents=True, exist_ok=True)
                (models / name / path).write_bytes(data)
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
