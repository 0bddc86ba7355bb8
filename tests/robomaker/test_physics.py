"""A real physics load: every world of a test batch, rendered as MJCF from its exported SDF, loaded
in MuJoCo and stepped for 2 s: nothing overlaps, nothing moves more than 1 cm, nothing is NaN.
Deliberately broken worlds (an item in a wall, an item in the air) must fail the same checks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import mujoco
import numpy as np
import pytest

from jobforge.services.robomaker.export.mjcf import world_mjcf
from jobforge.services.robomaker.export.models import VARIANTS, Part, build_parts, furniture_model
from jobforge.services.robomaker.export.sdf import WorldSdf
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world
from jobforge.services.robomaker.worldgen.catalog import PHYSICS
from tests.robomaker.physics import furnished_six_rooms, overlaps, settle
from tests.robomaker.samples import SIX_ROOMS_V2, hallway_house_body, open_plan_body, sample_body

BATCH = {
    "furnished_six_rooms_a": (furnished_six_rooms(), 21, 22),
    "furnished_six_rooms_b": (furnished_six_rooms(), 5, 6),
    "six_rooms_v2": (json.dumps(SIX_ROOMS_V2), 11, 12),
    "one_bedroom_house": (sample_body("OneBedroomHouse"), 3, 4),
    "two_rooms": (sample_body("TwoRooms"), 7, 8),
    "l_shaped_hallway_house": (hallway_house_body(), 3, 103),  # an L footprint (floorplan seed 3)
    "l_shaped_living_room": (open_plan_body(), 4, 104),  # the living room wraps the kitchen
}


@pytest.fixture(scope="module")
def sdf() -> dict[str, str]:
    """The exported SDF world document of every world of the batch."""
    worlds: dict[str, World] = {
        name: generate_world(parse_template_body(body), a, b, world_id=name)
        for name, (body, a, b) in BATCH.items()
    }
    return {name: WorldSdf(world).world_document() for name, world in worlds.items()}


@pytest.mark.parametrize("name", list(BATCH))
def test_world_settles_in_mujoco(name: str, sdf: dict[str, str], capsys: pytest.CaptureFixture) -> None:
    probe = overlaps(world_mjcf(sdf[name], furniture_static=False))
    assert probe == [], f"{name}: items interpenetrate"
    run = settle(world_mjcf(sdf[name]), seconds=2.0)
    with capsys.disabled():  # the real-time factor goes to the CI log, pass or fail
        print(
            f"\n{name}: {run.bodies} bodies, {run.moving} dofs, {run.simulated:.1f} s simulated in "
            f"{run.elapsed:.2f} s: real-time factor {run.real_time_factor:.1f}, "
            f"largest move {run.max_shift * 1000:.2f} mm ({run.worst})"
        )
    assert run.problems() == []


def test_mjcf_keeps_the_sdf_physics(sdf: dict[str, str]) -> None:
    """Static furniture is welded, dynamic furniture is free with its SDF mass, doors hinge."""
    document = sdf["six_rooms_v2"]
    model = mujoco.MjModel.from_xml_string(world_mjcf(document))
    root = ET.fromstring(document).find("world")
    doors = [m.get("name") for m in root.findall("model") if m.get("name").startswith("door_")]
    assert doors, "the six-room V2 template has hinged doors"
    for door in doors:
        body = model.body(door)
        assert model.body_jntnum[body.id] == 1
        joint = model.jnt_bodyid.tolist().index(body.id)
        assert model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_HINGE and model.jnt_limited[joint]
        assert model.jnt_range[joint][0] <= 0 <= model.jnt_range[joint][1]
    kinds = set()
    for include in root.findall("include"):
        type_ = VARIANTS[include.findtext("uri").removeprefix("model://")][0]
        body = model.body(include.findtext("name"))
        kinds.add(PHYSICS[type_].static)
        if PHYSICS[type_].static:
            assert model.body_jntnum[body.id] == 0 and model.body_weldid[body.id] == 0
        else:
            joint = model.jnt_bodyid.tolist().index(body.id)
            assert model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_FREE
            assert model.body_mass[body.id] == pytest.approx(PHYSICS[type_].mass, rel=1e-4)
    assert kinds == {True, False}, "the world has both static and dynamic furniture"


def _include(document: str, static: bool, last: bool = False) -> tuple[ET.Element, ET.Element]:
    """The SDF root and its first (or last: an object nothing stands on) included item of the class."""
    root = ET.fromstring(document)
    includes = list(root.iter("include"))
    for include in reversed(includes) if last else includes:
        if PHYSICS[VARIANTS[include.findtext("uri").removeprefix("model://")][0]].static == static:
            return root, include
    raise AssertionError("no such item")


def _move(include: ET.Element, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> None:
    pose = [float(v) for v in include.findtext("pose").split()]
    pose[0] += dx
    pose[1] += dy
    pose[2] += dz
    include.find("pose").text = " ".join(map(str, pose))


def _wall_centre(root: ET.Element) -> tuple[float, float]:
    collision = root.find("world/model[@name='walls']/link/collision")
    x, y = (float(v) for v in collision.findtext("pose").split()[:2])
    return x, y


@pytest.mark.parametrize("static", [True, False], ids=["static_item", "dynamic_item"])
def test_an_item_in_a_wall_is_caught(static: bool, sdf: dict[str, str]) -> None:
    root, include = _include(sdf["furnished_six_rooms_a"], static)
    x, y = _wall_centre(root)
    pose = [float(v) for v in include.findtext("pose").split()]
    _move(include, x - pose[0], y - pose[1])
    broken = ET.tostring(root, encoding="unicode")
    assert any("walls/" in found for found in overlaps(world_mjcf(broken, furniture_static=False)))
    if not static:  # as exported, a dynamic item is pushed out of the wall
        assert settle(world_mjcf(broken), seconds=0.5).problems()


def test_an_item_that_falls_is_caught(sdf: dict[str, str]) -> None:
    root, include = _include(sdf["furnished_six_rooms_a"], static=False, last=True)
    _move(include, dz=0.2)
    problems = settle(world_mjcf(ET.tostring(root, encoding="unicode")), seconds=1.0).problems()
    assert problems and include.findtext("name") in problems[0]


def test_mjcf_places_every_collision_where_the_sdf_does(sdf: dict[str, str]) -> None:
    """Furniture parts end up at the item's pose (height and yaw) applied to the part, cylinders
    along their axis."""
    document = sdf["furnished_six_rooms_b"]
    model = mujoco.MjModel.from_xml_string(world_mjcf(document))
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    axes = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}
    checked = 0
    for include in ET.fromstring(document).iter("include"):
        x, y, z, _, _, yaw = (float(v) for v in include.findtext("pose").split())
        turn = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
        _, parts = build_parts(include.findtext("uri").removeprefix("model://"))
        for i, part in enumerate(parts):
            if not part.collide:
                continue
            geom = model.geom(f"{include.findtext('name')}/{part.name}_{i}_collision")
            expected = turn @ np.array(part.centre) + [x, y, z]
            assert data.geom_xpos[geom.id] == pytest.approx(expected, abs=1e-5)
            if part.shape == "cylinder":  # MuJoCo's cylinders lie along their local z
                along = data.geom_xmat[geom.id].reshape(3, 3)[:, 2]
                assert abs(along @ (turn @ axes[part.axis])) == pytest.approx(1.0, abs=1e-6)
            checked += 1
    assert checked > 100


def test_unsupported_sdf_is_refused() -> None:
    mesh = (
        '<sdf version="1.6"><world name="w"><model name="vase"><static>true</static><link name="l">'
        '<collision name="c"><geometry><mesh><uri>model://vase/v.dae</uri></mesh></geometry></collision>'
        "</link></model></world></sdf>"
    )
    with pytest.raises(ValueError, match="mesh"):
        world_mjcf(mesh)


def _inertia_from_geoms(parts: list[Part]) -> tuple[float, np.ndarray, np.ndarray]:
    """MuJoCo's own mass, centre and principal moments of the colliding parts (density 1)."""

    def size(p: Part) -> str:  # MuJoCo: half sizes; a cylinder's radius and half length
        return " ".join(map(str, [v / 2 for v in p.size] if p.shape == "box" else [p.size[0], p.size[1] / 2]))

    geoms = "".join(
        f'<geom type="{p.shape}" pos="{" ".join(map(str, p.centre))}" euler="{" ".join(map(str, p.rpy))}" '
        f'size="{size(p)}" density="{p.density}"/>'
        for p in parts
        if p.collide
    )
    model = mujoco.MjModel.from_xml_string(
        f"<mujoco><worldbody><body><freejoint/>{geoms}</body></worldbody></mujoco>"
    )
    return float(model.body_mass[1]), model.body_ipos[1].copy(), np.sort(model.body_inertia[1])


@pytest.mark.parametrize("name", sorted(m for m, (t, _) in VARIANTS.items() if not PHYSICS[t].static))
def test_dynamic_models_carry_the_inertia_of_their_collisions(name: str) -> None:
    """The SDF inertial of every dynamic model: its type's mass, at the centre and with the
    principal moments MuJoCo computes from the same collision shapes."""
    type_, parts = build_parts(name)
    link = ET.fromstring(furniture_model(name).files["model.sdf"]).find("model/link")
    mass = float(link.findtext("inertial/mass"))
    assert mass == PHYSICS[type_].mass
    centre = [float(v) for v in link.findtext("inertial/pose").split()[:3]]
    i = link.find("inertial/inertia")
    get = {k: float(i.findtext(k)) for k in ("ixx", "iyy", "izz", "ixy", "ixz", "iyz")}
    tensor = np.array(
        [
            [get["ixx"], get["ixy"], get["ixz"]],
            [get["ixy"], get["iyy"], get["iyz"]],
            [get["ixz"], get["iyz"], get["izz"]],
        ]
    )
    volume_mass, expected_centre, principal = _inertia_from_geoms(parts)
    assert centre == pytest.approx(expected_centre, abs=1e-4)
    assert np.sort(np.linalg.eigvalsh(tensor)) == pytest.approx(principal * mass / volume_mass, rel=1e-3)
