"""Export of generated worlds as Gazebo-loadable ROS packages in a zip (pure library).

    from jobforge.services.robomaker.export import ExportWorld, write_archive
    with open("export.zip", "wb") as out:
        write_archive(out, [ExportWorld(world, description_json, preview_png)])

``models`` builds the shared furniture models, ``sdf`` the SDF 1.6 worlds, ``launch`` and
``package`` the ROS package files, ``archive`` streams them in WorldForge's layout, ``formats``
names the extra export formats. The names below load on first use, so importing a light module
of the package (``formats``, to validate a job's tags) does not load the rendering libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobforge.services.robomaker.export.archive import (
        MODELS_DIR,
        ROOT,
        WORLDS_DIR,
        ArchiveSummary,
        ArchiveWriter,
        ExportWorld,
        RenderedWorld,
        render_stored_world,
        render_world,
        write_archive,
    )
    from jobforge.services.robomaker.export.models import furniture_model, model_names
    from jobforge.services.robomaker.export.sdf import WorldSdf, used_models

__all__ = [
    "MODELS_DIR",
    "ROOT",
    "WORLDS_DIR",
    "ArchiveSummary",
    "ArchiveWriter",
    "ExportWorld",
    "RenderedWorld",
    "WorldSdf",
    "furniture_model",
    "model_names",
    "render_stored_world",
    "render_world",
    "used_models",
    "write_archive",
]
_ELSEWHERE = {"furniture_model": "models", "model_names": "models", "WorldSdf": "sdf", "used_models": "sdf"}
_FROM = {name: _ELSEWHERE.get(name, "archive") for name in __all__}  # name -> its module


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
