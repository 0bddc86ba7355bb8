"""Export of generated worlds as Gazebo-loadable ROS packages in a zip (pure library).

    from jobforge.services.robomaker.export import ExportWorld, write_archive
    with open("export.zip", "wb") as out:
        write_archive(out, [ExportWorld(world, description_json, preview_png)])

``models`` builds the shared furniture models, ``sdf`` the SDF 1.6 worlds, ``launch`` and
``package`` the ROS package files, ``archive`` streams them in WorldForge's layout.
"""

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
