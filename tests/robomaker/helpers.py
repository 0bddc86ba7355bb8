"""What several RoboMaker test modules need besides sample data: libsdformat's checker and the
furniture models a world includes, on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def build_strict_checker(directory: Path) -> Path:
    """:data:`STRICT_CHECKER` compiled in ``directory`` (run as ``checker FILE [MODEL_DIR...]``);
    skips the test without g++ or libsdformat12's development files (optional)."""
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sdformat12"], capture_output=True, text=True)
    if shutil.which("g++") is None or flags.returncode != 0:
        pytest.skip("g++ or libsdformat12's development files are missing")
    source, binary = directory / "strict.cc", directory / "strict"
    source.write_text(STRICT_CHECKER)
    subprocess.run(["g++", "-std=c++17", str(source), *flags.stdout.split(), "-o", str(binary)], check=True)
    return binary


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
