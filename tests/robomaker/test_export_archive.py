"""The export archive: WorldForge's layout, streaming into non-seekable writers, atomicity."""

from __future__ import annotations

import io
import json
import tracemalloc
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.services.robomaker.export import MODELS_DIR, WORLDS_DIR, ExportWorld, write_archive
from jobforge.services.robomaker.export.check import check_export
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world, render_preview, world_description
from jobforge.storage import LocalObjectStore
from tests.robomaker.helpers import require_sdf_checker
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body


class WriteOnly(io.RawIOBase):
    """A sink that can only be written to (like a socket or a multipart upload)."""

    def __init__(self) -> None:
        self.size = 0
        self.chunks: list[bytes] = []
        self.keep = True

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.size += len(data)
        if self.keep:
            self.chunks.append(bytes(data))
        return len(data)


def _world(body: str, seed: int, world_id: str) -> World:
    return generate_world(parse_template_body(body), seed, seed + 1, world_id=world_id)


@pytest.fixture(scope="module")
def items() -> list[ExportWorld]:
    worlds = [
        _world(json.dumps(SIX_ROOMS_V2), 1, "generation_aaaaaaaaaaaa_world_1"),
        _world(json.dumps(SIX_ROOMS_V2), 2, "generation_aaaaaaaaaaaa_world_2"),
        _world(sample_body("TwoRooms"), 3, "generation_bbbbbbbbbbbb_world_1"),
    ]
    return [ExportWorld(w, json.dumps(world_description(w)), render_preview(w)) for w in worlds]


def _archive(items: list[ExportWorld]) -> bytes:
    sink = WriteOnly()
    write_archive(sink, items)
    return b"".join(sink.chunks)


def test_layout(items: list[ExportWorld], tmp_path: Path) -> None:
    data = _archive([*items, items[0]])  # a world listed twice is exported once
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) and archive.testzip() is None
        archive.extractall(tmp_path)
    worlds = tmp_path / WORLDS_DIR
    models = tmp_path / MODELS_DIR
    for item in items:
        folder = worlds / "worlds" / item.world.world_id
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [
                f"{item.world.world_id}.world",
                "model.config",
                "model.sdf",
                "world_description.json",
                "preview.png",
                "meshes",  # textured floors and walls
            ]
        )
        assert json.loads((folder / "world_description.json").read_text())["worldId"] == item.world.world_id
        assert (folder / "preview.png").read_bytes() == item.preview
    used = sorted({f.model for item in items for f in item.world.furniture})
    shipped = sorted(p.name for p in (models / "models").iterdir())
    assert shipped == sorted([*used, "jobforge_materials"])  # each model once, textures once
    for package, name in (
        (models, "aws_robomaker_worldforge_shared_models"),
        (worlds, "aws_robomaker_worldforge_worlds"),
    ):
        for file in ("package.xml", "CMakeLists.txt", "README.md", "LICENSE"):
            assert (package / file).is_file()
        manifest = ET.fromstring((package / "package.xml").read_text())
        assert manifest.findtext("name") == name
        assert manifest.find("export/gazebo_ros").get("gazebo_model_path").startswith("${prefix}/")
        assert f"project({name})" in (package / "CMakeLists.txt").read_text()
    ros1 = ET.fromstring((worlds / "launch" / "launch_world.launch").read_text())
    assert (
        ros1.find("arg[@name='world_id']").get("default") == f"$(optenv WORLD_ID {items[0].world.world_id})"
    )
    ros2 = (worlds / "launch" / "launch_world.py").read_text()
    compile(ros2, "launch_world.py", "exec")
    assert "generate_launch_description" in ros2 and '"world_id"' in ros2 and "WORLD_ID" in ros2
    result = check_export(tmp_path, run_sdf_checker=False)
    assert result.problems == [] and len(result.worlds) == 3 and result.uris > 0


def test_archive_is_deterministic(items: list[ExportWorld]) -> None:
    assert _archive(items) == _archive(items)


def test_unzipped_export_passes_libsdformat_and_uri_checks(items: list[ExportWorld], tmp_path: Path) -> None:
    require_sdf_checker()
    with zipfile.ZipFile(io.BytesIO(_archive(items))) as archive:
        archive.extractall(tmp_path)
    result = check_export(tmp_path)
    assert result.problems == [] and result.sdf_checked == 3
    # the checks notice what Gazebo would trip over
    furniture = sorted((tmp_path / MODELS_DIR / "models").glob("wf_*"))
    model, other = furniture[0], furniture[1]
    (model / "meshes" / f"{model.name}.dae").unlink()
    for file in sorted(other.rglob("*"), reverse=True):
        file.unlink() if file.is_file() else file.rmdir()
    other.rmdir()
    problems = check_export(tmp_path, run_sdf_checker=True).problems
    assert any(f"model://{model.name}/meshes/{model.name}.dae does not exist" in p for p in problems)
    assert any(f"model://{other.name} is not in the archive" in p for p in problems)
    assert any(p.endswith(".world: exit status 255") or "Unable to find uri" in p for p in problems)


def test_stopping_between_worlds_leaves_nothing_in_the_store(
    items: list[ExportWorld], tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("out")
    calls = 0

    def stop_after_one() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt("canceled")

    with pytest.raises(KeyboardInterrupt), store.writer("out", "exports/a.zip") as out:
        write_archive(out, items, between_worlds=stop_after_one)
    assert list(store.list_objects("out")) == []
    assert [p for p in (tmp_path / "buckets").rglob("*") if p.is_file()] == []
    with store.writer("out", "exports/a.zip") as out:
        summary = write_archive(out, items)
    assert store.head("out", "exports/a.zip").size == summary.bytes_written


def test_memory_stays_bounded_by_one_world() -> None:
    documents = [
        json.dumps(_world(sample_body("OneBedroomHouse"), i, f"generation_cccccccccccc_world_{i}").to_dict())
        for i in range(1, 31)
    ]

    def lazily() -> Iterator[ExportWorld]:
        for document in documents:
            world = World.from_dict(json.loads(document))
            yield ExportWorld(world, json.dumps(world_description(world)), None)

    sink = WriteOnly()
    sink.keep = False
    tracemalloc.start()
    try:
        summary = write_archive(sink, lazily())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(summary.worlds) == 30 and sink.size == summary.bytes_written
    assert peak < 25 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
