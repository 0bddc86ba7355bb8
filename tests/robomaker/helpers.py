"""What several RoboMaker test modules need besides sample data: libsdformat's checker and the
furniture models a world includes, on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobforge.services.robomaker.export.check import sdf_checker
from jobforge.services.robomaker.export.models import furniture_model
from jobforge.services.robomaker.export.sdf import used_models
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
