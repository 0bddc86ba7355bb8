"""The export archive: WorldForge's package layout, streamed as a zip into any binary stream.

Entries are written one at a time into the output (a zip with data descriptors, so the stream
need not be seekable), so memory stays bounded by one world however many worlds are exported.
A world's files can also be rendered apart (:func:`render_stored_world`, in a worker process) and
added later in the archive's order (:meth:`ArchiveWriter.add_rendered`): the archive is the same::

    aws_robomaker_worldforge_pkgs/
      aws_robomaker_worldforge_shared_models/  package.xml CMakeLists.txt README.md LICENSE env-hooks/
                                               models/<model>/{model.config, model.sdf, meshes/<model>.dae}
                                               models/jobforge_materials/{model.config, model.sdf,
                                                   materials/scripts/jobforge.material,
                                                   materials/textures/<texture>_{albedo,normal}.png}
      aws_robomaker_worldforge_worlds/         package.xml CMakeLists.txt README.md LICENSE env-hooks/
                                               launch/launch_world.launch  launch/launch_world.py
                                               worlds/<worldId>/{<worldId>.world, model.config, model.sdf,
                                                                 world_description.json, preview.png,
                                                                 meshes/{floor,wall}_<type>.dae,
                                                                 <format>/... (extra formats, see formats.py)}

Textures are shipped once, in the shared ``jobforge_materials`` model: exactly those the
archive's furniture meshes and worlds reference.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import IO

from jobforge.services.robomaker.export import launch, package
from jobforge.services.robomaker.export.formats import selected
from jobforge.services.robomaker.export.models import furniture_model
from jobforge.services.robomaker.export.sdf import WorldSdf, used_models
from jobforge.services.robomaker.export.textures import MATERIALS_MODEL, TextureId, materials_model_files
from jobforge.services.robomaker.worldgen.world import World

ROOT = "aws_robomaker_worldforge_pkgs"
MODELS_DIR = f"{ROOT}/{package.MODELS_PACKAGE}"
WORLDS_DIR = f"{ROOT}/{package.WORLDS_PACKAGE}"
DATE_TIME = (2020, 8, 1, 0, 0, 0)  # fixed entry times: the same worlds give the same archive
_STORED_SUFFIXES = (".png",)  # already compressed


@dataclass(frozen=True)
class ExportWorld:
    """One world to export: the generator's world, its description document and preview image."""

    world: World
    description: str
    preview: bytes | None = None


@dataclass(frozen=True)
class RenderedWorld:
    """One world's files, rendered apart from the archive (picklable: a worker process returns it)."""

    world_id: str
    files: tuple[tuple[str, bytes], ...]  # (name inside worlds/<worldId>/, data), in archive order
    models: tuple[str, ...]  # the shared models the world includes, sorted
    textures: tuple[TextureId, ...] = ()  # the shared textures its floors and walls reference, sorted


def render_world(item: ExportWorld, *, ceilings: bool = True, formats: tuple[str, ...] = ()) -> RenderedWorld:
    """The files of ``item``'s folder (with those of the extra ``formats``) and the shared models it uses."""
    world_id = item.world.world_id
    writer = WorldSdf(item.world, ceilings=ceilings)
    files: list[tuple[str, str | bytes]] = [
        (f"{world_id}.world", writer.world_document()),
        ("model.config", writer.model_config()),
        ("model.sdf", writer.model_document()),
        ("world_description.json", item.description),
    ]
    if item.preview:
        files.append(("preview.png", item.preview))
    files += sorted(writer.meshes().items())
    encoded = tuple((name, data.encode() if isinstance(data, str) else data) for name, data in files)
    base = RenderedWorld(world_id, encoded, tuple(used_models(item.world)), tuple(writer.textures()))
    extra = tuple(
        (f"{export_format.name}/{path}", data)
        for export_format in selected(formats)
        for path, data in sorted(export_format.render_world(item.world, base).items())
    )
    return replace(base, files=base.files + extra) if extra else base


def render_stored_world(
    document: bytes,
    description: str,
    preview: bytes | None,
    ceilings: bool = True,
    formats: tuple[str, ...] = (),
) -> RenderedWorld:
    """A world as stored by generation (its ``world.json`` document, description and preview),
    rendered: the export job's per-world piece, a pure function of its arguments."""
    world = World.from_dict(json.loads(document))
    return render_world(ExportWorld(world, description, preview), ceilings=ceilings, formats=formats)


@dataclass
class ArchiveSummary:
    worlds: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    entries: int = 0
    bytes_written: int = 0


class _Counted:
    """Write-only view of the output that counts bytes (zipfile needs ``tell``, not ``seek``)."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.written = 0

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        self._out.flush()


class ArchiveWriter:
    """Adds worlds one by one, then (on :meth:`close`) the shared models and package files."""

    def __init__(
        self,
        out: IO[bytes],
        *,
        ceilings: bool = True,
        compresslevel: int = 6,
        formats: tuple[str, ...] = (),
    ) -> None:
        self._out = _Counted(out)
        self._zip = zipfile.ZipFile(
            self._out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._ceilings = ceilings
        self.formats = formats  # extra formats (see formats.py), rendered into every world
        self._models: set[str] = set()
        self._textures: set[TextureId] = set()
        self.summary = ArchiveSummary()

    def _add(self, name: str, data: bytes | str, mode: int = 0o644) -> None:
        info = zipfile.ZipInfo(name, DATE_TIME)
        info.external_attr = (0o100000 | mode) << 16
        stored = name.endswith(_STORED_SUFFIXES)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data.encode() if isinstance(data, str) else data)
        self.summary.entries += 1

    def add_world(self, item: ExportWorld) -> None:
        if item.world.world_id not in self.summary.worlds:
            self.add_rendered(render_world(item, ceilings=self._ceilings, formats=self.formats))

    def add_rendered(self, rendered: RenderedWorld) -> None:
        """Write a world rendered elsewhere (with this writer's ``ceilings`` and ``formats``) as
        :meth:`add_world` would."""
        if rendered.world_id in self.summary.worlds:
            return  # a world listed twice is exported once
        folder = f"{WORLDS_DIR}/worlds/{rendered.world_id}"
        for name, data in rendered.files:
            self._add(f"{folder}/{name}", data)
        self._models.update(rendered.models)
        self._textures.update(rendered.textures)
        self.summary.worlds.append(rendered.world_id)

    def _add_models(self) -> None:
        textures = set(self._textures)
        for name in sorted(self._models):
            model = furniture_model(name)
            for path, data in model.files.items():
                self._add(f"{MODELS_DIR}/models/{name}/{path}", data)
            textures.update(model.textures)
        self.summary.models = sorted(self._models)
        if textures:
            for path, data in materials_model_files(textures).items():
                self._add(f"{MODELS_DIR}/models/{MATERIALS_MODEL}/{path}", data)

    def _add_packages(self) -> None:
        models, worlds = package.MODELS_PACKAGE, package.WORLDS_PACKAGE
        first = self.summary.worlds[0] if self.summary.worlds else ""
        extra = selected(self.formats)
        depends = (models, *(dep for export_format in extra for dep in export_format.ros_depends))
        self._add(
            f"{MODELS_DIR}/package.xml",
            package.package_xml(models, "Shared furniture and fixture models of WorldForge worlds", "models"),
        )
        self._add(f"{MODELS_DIR}/CMakeLists.txt", package.cmakelists(models, ("models",), "models"))
        self._add(f"{MODELS_DIR}/README.md", package.models_readme(self.summary.models))
        self._add(f"{MODELS_DIR}/LICENSE", package.LICENSE)
        self._add(f"{MODELS_DIR}/env-hooks/{models}.dsv.in", package.ros2_env_hook(models, "models"))
        self._add(f"{MODELS_DIR}/env-hooks/50.{models}.sh.em", package.ros1_env_hook(models, "models"))
        self._add(
            f"{WORLDS_DIR}/package.xml",
            package.package_xml(worlds, "Exported AWS RoboMaker WorldForge worlds", "worlds", depends),
        )
        self._add(f"{WORLDS_DIR}/CMakeLists.txt", package.cmakelists(worlds, ("launch", "worlds"), "worlds"))
        readme = "\n".join(
            [package.worlds_readme(self.summary.worlds), *(f.readme for f in extra if f.readme)]
        )
        self._add(f"{WORLDS_DIR}/README.md", readme)
        self._add(f"{WORLDS_DIR}/LICENSE", package.LICENSE)
        self._add(f"{WORLDS_DIR}/env-hooks/{worlds}.dsv.in", package.ros2_env_hook(worlds, "worlds"))
        self._add(f"{WORLDS_DIR}/env-hooks/50.{worlds}.sh.em", package.ros1_env_hook(worlds, "worlds"))
        self._add(f"{WORLDS_DIR}/launch/launch_world.launch", launch.ros1_launch(first))
        self._add(f"{WORLDS_DIR}/launch/launch_world.py", launch.ros2_launch(first), 0o755)
        for export_format in extra:
            for path, data in sorted(export_format.render_package(self.summary.worlds).items()):
                self._add(f"{WORLDS_DIR}/{path}", data, 0o755 if path.endswith(".py") else 0o644)

    def abandon(self) -> None:
        """Drop an unfinished archive without writing its directory (the output is discarded)."""
        self._zip.fp = None  # ZipFile.close/__del__ then write nothing more

    def close(self) -> ArchiveSummary:
        """Write the shared models and the package files, then the zip directory."""
        self._add_models()
        self._add_packages()
        self._zip.close()
        self.summary.bytes_written = self._out.written
        return self.summary


def write_archive(
    out: IO[bytes],
    worlds: Iterable[ExportWorld],
    *,
    ceilings: bool = True,
    formats: tuple[str, ...] = (),
    between_worlds: Callable[[], None] | None = None,
) -> ArchiveSummary:
    """Stream an export archive of ``worlds`` into ``out`` (which is not closed).

    ``between_worlds`` runs before each world is fetched and written: a job checks for
    cancellation there (an exception stops the archive where it is).
    """
    writer = ArchiveWriter(out, ceilings=ceilings, formats=formats)
    iterator = iter(worlds)
    try:
        while True:
            if between_worlds is not None:
                between_worlds()
            item = next(iterator, None)
            if item is None:
                break
            writer.add_world(item)
        return writer.close()
    except BaseException:
        writer.abandon()
        raise
