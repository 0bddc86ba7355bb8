"""What several RoboMaker test modules need besides sample data: libsdformat's checker."""

from __future__ import annotations

import os

import pytest

from jobforge.services.robomaker.export.check import sdf_checker


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
