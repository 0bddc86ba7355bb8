r"""The export formats a world export can add to its zip, by name, and the job tag that selects them.

``CreateWorldExportJob`` always writes AWS's package (``sdf``: Gazebo classic, SDF 1.6). The job
tag ``jobforge:formats`` (names separated by ``+``, spaces or commas) adds more: each format renders
a world's extra files, written in ``worlds/<worldId>/<format>/`` next to the world's SDF files, and
may add files once per archive to the worlds package (a launch file). Renderers are named as
``module:function`` and imported only when a world is rendered, so this module stays light enough
to validate tags at ``CreateWorldExportJob``. RoboMaker's model (on AWS as here) allows no comma in
a tag value (``[a-zA-Z0-9 _.\-\/+=:]*``): over the API write ``gz+mjcf`` or ``gz mjcf``; commas are
for the command line and the library.

A format's renderer is ``(world: World, base: RenderedWorld) -> dict[str, bytes]``: ``base`` is the
world's default rendering (its ``<worldId>.world`` among ``base.files``), the keys are paths inside
the format's folder. A package renderer is ``(world_ids: list[str]) -> dict[str, bytes]``, keys
relative to the worlds package.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobforge.services.robomaker.export.archive import RenderedWorld
    from jobforge.services.robomaker.worldgen.world import World

TAG = "jobforge:formats"
SEPARATORS = re.compile(r"[+,\s]+")
DEFAULT = "sdf"  # AWS's package, always written

WorldRenderer = Callable[["World", "RenderedWorld"], dict[str, bytes]]
PackageRenderer = Callable[[list[str]], dict[str, bytes]]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: ``world`` and ``package`` are ``module:function`` names (see the module doc)."""

    name: str
    description: str
    world: str | None = None  # None for the default package, which the archive writes itself
    package: str | None = None
    ros_depends: tuple[str, ...] = ()  # exec_depend of the worlds package when the format is exported
    readme: str = ""  # a Markdown section added to the worlds package's README.md

    def render_world(self, world: World, base: RenderedWorld) -> dict[str, bytes]:
        return _load(self.world)(world, base) if self.world else {}

    def render_package(self, world_ids: list[str]) -> dict[str, bytes]:
        return _load(self.package)(world_ids) if self.package else {}


def _load(target: str) -> Any:
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


_HERE = "jobforge.services.robomaker.export"
FORMATS: dict[str, ExportFormat] = {}


def register(export_format: ExportFormat) -> None:
    """Add (or replace) a format under its name."""
    FORMATS[export_format.name] = export_format


register(ExportFormat(DEFAULT, "Gazebo classic worlds in SDF 1.6 (AWS's package, always included)"))
register(
    ExportFormat(
        "gz",
        "gz-sim (Harmonic and later) worlds in SDF 1.9 with their system plugins, and a ros_gz launch file",
        world=f"{_HERE}.gz:render_world",
        package=f"{_HERE}.gz:render_package",
        ros_depends=("ros_gz_sim", "ros_gz_bridge"),
        readme="""## gz-sim (SDF 1.9, format `gz`)

    export GZ_SIM_RESOURCE_PATH=$GAZEBO_MODEL_PATH  # both model directories, as above
    gz sim aws_robomaker_worldforge_worlds/worlds/<worldId>/gz/<worldId>.sdf
    # ROS 2 + ros_gz: ros2 launch aws_robomaker_worldforge_worlds launch_world_gz.py world_id:=<worldId>
""",
    )
)
register(
    ExportFormat(
        "mjcf",
        "MuJoCo MJCF, one self-contained file per world",
        world=f"{_HERE}.mjcf:render_world",
        readme="""## MuJoCo (MJCF, format `mjcf`)

    cd aws_robomaker_worldforge_worlds/worlds/<worldId>/mjcf
    python -c "import mujoco; mujoco.MjModel.from_xml_path('<worldId>.xml')"

Each file is self-contained (no mesh or texture files).
""",
    )
)
register(
    ExportFormat(
        "nav2",
        "Nav2 map_server occupancy map (5 cm, trinary), semantic map of rooms and doors, spawn pose",
        world=f"{_HERE}.nav2:render_world",
    )
)
register(
    ExportFormat(
        "usd",
        "USD for Isaac Sim: one .usda stage per world (UsdPhysics colliders, rigid bodies, door hinges;"
        " UsdPreviewSurface materials textured from the shared materials model)",
        world=f"{_HERE}.usd:render_world",
        readme="""## Isaac Sim (USD, format `usd`)

    # Isaac Sim: File > Open; or from Python (usd-core or Isaac's own pxr):
    cd aws_robomaker_worldforge_worlds/worlds/<worldId>/usd
    python -c "from pxr import Usd; Usd.Stage.Open('<worldId>.usda')"

Z up, metres, UsdPhysics colliders, rigid bodies and door hinges. Its textures are those of the
shared models package (`jobforge_materials`): keep both packages side by side.
""",
    )
)


def parse_formats(value: str) -> tuple[str, ...]:
    """The extra formats a tag value names (registry order, without ``sdf``); ValueError if unknown."""
    names = set(SEPARATORS.split(value.strip())) - {""}
    unknown = sorted(names - FORMATS.keys())
    if unknown:
        known = ", ".join(FORMATS)
        raise ValueError(f"Unknown export format(s) {', '.join(map(repr, unknown))} in {TAG}: use {known}")
    return tuple(name for name in FORMATS if name in names and name != DEFAULT)


def formats_from_tags(tags: Mapping[str, str] | None) -> tuple[str, ...]:
    """The extra formats a job's tags select (none without the ``jobforge:formats`` tag)."""
    value = (tags or {}).get(TAG)
    return parse_formats(value) if value is not None else ()


def selected(names: Iterable[str]) -> list[ExportFormat]:
    return [FORMATS[name] for name in names]
