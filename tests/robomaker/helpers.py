"""What several RoboMaker test modules need besides sample data: libsdformat's checker and the
furniture models a world includes, on disk."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shapely

from jobforge.services.robomaker.export.check import sdf_checker
from jobforge.services.robomaker.export.models import furniture_model
from jobforge.services.robomaker.export.sdf import WorldSdf, used_models
from jobforge.services.robomaker.worldgen import World


def write_used_models(world: World, models: Path) -> None:
    """Write the shared furniture models ``world`` includes under ``models`` (one folder each)."""
    for name in used_models(world):
        for path, data in furniture_model(name).files.items():
            (models / name / path).parent.mkdir(parents=True, exist_ok=True)
            (models / name / path).write_bytes(data)


def require_sdf_checker() -> list[str]:
    """The ``ign sdf`` command; fail under CI (where it must be installed), else skip."""
    command = sdf_checker()
    if command is None:
        message = (
            "libsdformat's checker is missing: apt-get install libsdformat-dev sdformat-sdf ignition-tools"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return command


def sdf_slabs(world: World, model: str) -> list[shapely.Geometry]:
    """The footprints of the collision boxes of one static model ("floors", "ceiling") of the
    world's exported SDF."""
    root = ET.fromstring(WorldSdf(world).world_document())
    link = root.find(f"world/model[@name='{model}']/link")
    out = []
    for collision in link.findall("collision"):
        x, y = (float(v) for v in collision.findtext("pose").split()[:2])
        sx, sy = (float(v) for v in collision.findtext("geometry/box/size").split()[:2])
        out.append(shapely.box(x - sx / 2, y - sy / 2, x + sx / 2, y + sy / 2))
    return out
