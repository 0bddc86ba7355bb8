"""MJCF (MuJoCo) rendering of an exported world, translated from the world's SDF.

The translation reads the SDF the export writes (the ``.world`` document and the ``model.sdf`` of
every included furniture model), so MuJoCo simulates exactly what Gazebo would load: the same
collision shapes, poses, masses, inertias, friction, static flags and door hinges. Visual meshes
are left out (MuJoCo reads no COLLADA): every collision is a geom, coloured as the visual of the
same name where there is one (floors, walls, glass), else by what the model is.

- a static SDF model (walls, floors, ceiling, heavy furniture, fixtures) is a body without joints,
  welded to the world: MuJoCo neither integrates it nor collides it with other static geoms;
- a dynamic model is a body with a free joint, its SDF inertial (mass, centre, full tensor);
- a link hinged to the world (a door leaf) is a body with a hinge joint, its limits (relative to
  the pose it starts in), damping and friction.
- resting bodies sleep (MuJoCo's island sleeping, like ODE's auto-disable): a world full of small
  objects on shelves and tables costs little until something touches them, and they wake then.

Only what the exporter writes is supported (boxes, cylinders, spheres, planes; revolute, prismatic and
fixed joints to the world); anything else is a ``ValueError``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from jobforge.services.robomaker.export.models import furniture_model
from jobforge.services.robomaker.export.xml import fmt, text

if TYPE_CHECKING:
    from jobforge.services.robomaker.export.archive import RenderedWorld
    from jobforge.services.robomaker.worldgen.world import World

TIMESTEP = 0.002  # MuJoCo's default step; its soft contacts stay stable at it
Transform = np.ndarray  # 4x4 homogeneous
Resolver = Callable[[str], str]  # model name (from model://name) -> that model's model.sdf text

_COLOURS = {  # geom colours by what the model is
    "walls": "0.92 0.91 0.87 1",
    "floors": "0.62 0.50 0.38 1",
    "ceiling": "0.96 0.96 0.95 0.3",
    "ground_plane": "0.45 0.55 0.40 1",
    "door": "0.72 0.60 0.45 1",
    "static": "0.55 0.45 0.35 1",
    "dynamic": "0.35 0.50 0.65 1",
}


def _pose(element: ET.Element | None) -> Transform:
    """The transform of an element's ``<pose>`` (x y z roll pitch yaw, SDF's fixed-axis X-Y-Z)."""
    found = element.findtext("pose") if element is not None else None
    values = [float(v) for v in (found or "").split()]
    x, y, z, roll, pitch, yaw = (values + [0.0] * 6)[:6]
    cr, sr, cp, sp, cy, sy = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch),
                              math.cos(yaw), math.sin(yaw))  # fmt: skip
    out = np.eye(4)
    out[:3, :3] = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
    out[:3, 3] = (x, y, z)
    return out


def _quat(rotation: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion (w, x, y, z) of a rotation matrix."""
    m = rotation
    w = math.sqrt(max(0.0, 1.0 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1.0 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1.0 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1.0 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    return w, x, y, z


def _frame(transform: Transform) -> str:
    """``pos``/``quat`` attributes of a transform (the quaternion only when it is not identity)."""
    attrs = f'pos="{fmt(transform[:3, 3])}"'
    quat = _quat(transform[:3, :3])
    if abs(quat[0]) < 1 - 1e-12:
        attrs += f' quat="{fmt(quat)}"'
    return attrs


def _name(*parts: str) -> str:
    return text("/".join(p for p in parts if p)).replace('"', "&quot;")


def _geom(collision: ET.Element, name: str, rgba: str) -> str:
    """One MJCF geom of an SDF collision, in its link's frame."""
    geometry = collision.find("geometry")
    if geometry is None or len(geometry) != 1:
        raise ValueError(f"collision {name}: one geometry expected")
    shape = geometry[0]
    if shape.tag == "box":
        size, kind = fmt(float(v) / 2 for v in shape.findtext("size", "").split()), "box"
    elif shape.tag == "cylinder":
        radius, length = float(shape.findtext("radius", "0")), float(shape.findtext("length", "0"))
        size, kind = fmt((radius, length / 2)), "cylinder"
    elif shape.tag == "sphere":
        size, kind = fmt(float(shape.findtext("radius", "0"))), "sphere"
    elif shape.tag == "plane":
        width, depth = (float(v) for v in shape.findtext("size", "0 0").split())
        size, kind = fmt((width / 2, depth / 2, 1.0)), "plane"
        if [float(v) for v in shape.findtext("normal", "0 0 1").split()] != [0.0, 0.0, 1.0]:
            raise ValueError(f"collision {name}: only upward planes are supported")
    else:
        raise ValueError(f"collision {name}: unsupported geometry <{shape.tag}>")
    mu = collision.findtext("surface/friction/ode/mu")
    friction = f' friction="{fmt(min(float(mu), 2.0))} 0.005 0.0001"' if mu else ""
    return (
        f'<geom name="{name}" type="{kind}" size="{size}" {_frame(_pose(collision))}'
        f'{friction} rgba="{rgba}"/>'
    )


def _inertial(link: ET.Element) -> str:
    inertial = link.find("inertial")
    if inertial is None:
        raise ValueError(f"dynamic link {link.get('name')} has no inertial")
    i = inertial.find("inertia")
    tensor = [float(i.findtext(k, "0")) for k in ("ixx", "iyy", "izz", "ixy", "ixz", "iyz")]
    return (
        f'<inertial {_frame(_pose(inertial))} mass="{fmt(float(inertial.findtext("mass", "0")))}" '
        f'fullinertia="{fmt(tensor)}"/>'
    )


def _joint(joint: ET.Element, name: str) -> str:
    """A hinge or slide joint for an SDF revolute or prismatic joint to the world."""
    kind = {"revolute": "hinge", "prismatic": "slide"}[joint.get("type", "")]
    axis = joint.find("axis")
    frame = _pose(joint)  # in the child link's frame, as is the axis (SDF 1.6's default)
    attrs = f'name="{name}" type="{kind}" pos="{fmt(frame[:3, 3])}"'
    if axis is not None:
        direction = frame[:3, :3] @ [float(v) for v in axis.findtext("xyz", "0 0 1").split()]
        attrs += f' axis="{fmt(direction)}"'
        lower, upper = axis.findtext("limit/lower"), axis.findtext("limit/upper")
        if lower is not None and upper is not None:
            attrs += f' limited="true" range="{fmt((float(lower), float(upper)))}"'
        damping, friction = axis.findtext("dynamics/damping"), axis.findtext("dynamics/friction")
        if damping:
            attrs += f' damping="{fmt(float(damping))}"'
        if friction:
            attrs += f' frictionloss="{fmt(float(friction))}"'
    return f"<joint {attrs}/>"


def _visual_colours(link: ET.Element) -> dict[str, str]:
    """rgba of a link's collisions, from the visual of the same name (``<n>_visual`` or the first
    half of a two-sided wall, ``<n>_a_visual``) where it has a material."""
    colours = {}
    for visual in link.findall("visual"):
        diffuse = visual.findtext("material/diffuse")
        if diffuse:
            alpha = 1.0 - float(visual.findtext("transparency", "0"))
            rgb = diffuse.split()[:3]
            name = visual.get("name", "").removesuffix("_visual")
            colours.setdefault(name.removesuffix("_a"), f"{' '.join(rgb)} {fmt(alpha)}")
    return colours


def _model(model: ET.Element, name: str, placed: Transform, static: bool) -> list[str]:
    """The bodies of one SDF model placed at ``placed`` (its pose in the world)."""
    joints = {j.findtext("child"): j for j in model.findall("joint")}
    links = model.findall("link")
    kind = "static" if static else "dynamic"
    rgba = _COLOURS.get(name, _COLOURS["door" if name.startswith("door_") else kind])
    bodies = []
    for link in links:
        link_name = link.get("name", "link")
        body = _name(name, link_name if len(links) > 1 else "")
        joint = joints.get(link_name)
        if joint is not None and joint.findtext("parent") != "world":
            raise ValueError(f"model {name}: only joints to the world are supported")
        colours = _visual_colours(link)
        geoms = "".join(
            _geom(
                c,
                _name(body, c.get("name", str(i))),
                colours.get(c.get("name", "").removesuffix("_collision"), rgba),
            )
            for i, c in enumerate(link.findall("collision"))
        )
        if static:
            inside = ""
        elif joint is None:
            inside = f'<freejoint name="{body}"/>' + _inertial(link)
        elif joint.get("type") == "fixed":
            inside = ""
        else:
            inside = _joint(joint, _name(name, joint.get("name", "joint"))) + _inertial(link)
        bodies.append(f'<body name="{body}" {_frame(placed @ _pose(link))}>{inside}{geoms}</body>')
    return bodies


def sdf_world_to_mjcf(
    world_sdf: str, resolve: Resolver, furniture_static: bool = True, sleep: bool = True
) -> str:
    """The MJCF document of an SDF world; ``resolve`` gives the ``model.sdf`` of an included model.

    ``furniture_static=False`` makes every included model dynamic whatever its SDF says (the
    all-dynamic baseline the physics benchmark compares with, and an overlap probe for tests:
    static bodies never collide with each other).
    """
    root = ET.fromstring(world_sdf)
    world = root.find("world")
    if world is None:
        raise ValueError("no <world> in the SDF document")
    bodies: list[str] = []
    for model in world.findall("model"):
        name = model.get("name", "model")
        static = model.findtext("static", "false").strip() == "true"
        bodies.extend(_model(model, name, _pose(model), static))
    for include in world.findall("include"):
        uri = include.findtext("uri", "")
        if not uri.startswith("model://"):
            raise ValueError(f"unsupported include {uri!r}")
        model = ET.fromstring(resolve(uri.removeprefix("model://").strip("/"))).find("model")
        if model is None:
            raise ValueError(f"{uri}: no <model>")
        static = model.findtext("static", "false").strip() == "true" and furniture_static
        name = include.findtext("name") or model.get("name", "")
        bodies.extend(_model(model, name, _pose(include), static))
    gravity = world.findtext("gravity", "0 0 -9.8")
    return (
        '<?xml version="1.0"?>\n<!-- Generated by jobforge from the world\'s SDF -->\n'
        f'<mujoco model="{_name(world.get("name", "world"))}">\n'
        '<compiler angle="radian" autolimits="true"/>\n'
        f'<option timestep="{fmt(TIMESTEP)}" gravity="{gravity}">'
        f'<flag sleep="{"enable" if sleep else "disable"}"/></option>\n'
        '<default><geom friction="0.8 0.005 0.0001" condim="3"/></default>\n'
        "<worldbody>\n"
        '<light name="sun" directional="true" pos="0 0 10" dir="-0.5 0.1 -0.9" castshadow="false"/>\n'
        + "\n".join(bodies)
        + "\n</worldbody>\n</mujoco>\n"
    )


def world_mjcf(world_sdf: str, furniture_static: bool = True, sleep: bool = True) -> str:
    """The MJCF of an exported world's SDF, its furniture from the project's shared models."""

    def resolve(name: str) -> str:
        return furniture_model(name).files["model.sdf"].decode()

    return sdf_world_to_mjcf(world_sdf, resolve, furniture_static, sleep)


def world_sdf_of(base: RenderedWorld) -> str:
    """The ``<worldId>.world`` document among a rendered world's files."""
    return dict(base.files)[f"{base.world_id}.world"].decode()


def render_world(world: World, base: RenderedWorld) -> dict[str, bytes]:
    """The ``mjcf`` export format: ``<worldId>.xml``, self-contained (no mesh or texture files)."""
    return {f"{world.world_id}.xml": world_mjcf(world_sdf_of(base)).encode()}
