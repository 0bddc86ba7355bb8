"""The export job's per-world rendering pieces and its assembling step.

The reference is the archive the job wrote before pieces existed (one stream, each world rendered
as it was written): its ``add_world`` is kept here, and the job must give the same bytes. (Since
worlds have textured floors and walls, it also writes each world's meshes and notes the textures
they reference, as a world rendered apart does.)
"""

from __future__ import annotations

import io
import json
import pickle
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from jobforge.engine import JobEngine, JobState
from jobforge.services.robomaker.common import SERVICE, WORLD
from jobforge.services.robomaker.export import (
    WORLDS_DIR,
    ArchiveWriter,
    ExportWorld,
    RenderedWorld,
    render_stored_world,
)
from jobforge.services.robomaker.export.sdf import WorldSdf, used_models
from jobforge.services.robomaker.export_job import KIND, WorldExportHandler, archive_key
from jobforge.services.robomaker.generation_job import PREVIEW, WORLD_DOCUMENT
from jobforge.services.robomaker.settings import RoboMakerSettings
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_world, render_preview, world_description
from jobforge.storage import LocalObjectStore
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body

ACCOUNT, REGION = "100000000009", "us-east-1"


class SingleStreamWriter(ArchiveWriter):
    """The archive writer as it was before pieces: each world rendered while it is written."""

    def add_world(self, item: ExportWorld) -> None:
        world_id = item.world.world_id
        if world_id in self.summary.worlds:
            return
        folder = f"{WORLDS_DIR}/worlds/{world_id}"
        writer = WorldSdf(item.world, ceilings=self._ceilings)
        self._add(f"{folder}/{world_id}.world", writer.world_document())
        self._add(f"{folder}/model.config", writer.model_config())
        self._add(f"{folder}/model.sdf", writer.model_document())
        self._add(f"{folder}/world_description.json", item.description)
        if item.preview:
            self._add(f"{folder}/preview.png", item.preview)
        for path, data in sorted(writer.meshes().items()):
            self._add(f"{folder}/{path}", data)
        self._models.update(used_models(item.world))
        self._textures.update(writer.textures())
        self.summary.worlds.append(world_id)


@dataclass
class Scope:
    account_id: str = ACCOUNT
    region: str = REGION


@dataclass(frozen=True)
class Stored:
    """A world as generation stores it."""

    arn: str
    world_id: str
    document: bytes
    description: str
    preview: bytes | None


def _stored(body: str, seed: int, number: int, preview: bool = True) -> Stored:
    world_id = f"generation_pieces00000_world_{number}"
    world = generate_world(parse_template_body(body), seed, seed + 1, world_id=world_id)
    return Stored(
        f"arn:aws:robomaker:{REGION}:{ACCOUNT}:world/{world_id}",
        world_id,
        json.dumps(world.to_dict()).encode(),
        json.dumps(world_description(world), separators=(",", ":")),
        render_preview(world) if preview else None,
    )


@pytest.fixture(scope="module")
def stored() -> list[Stored]:
    """Five worlds of different sizes (rendering times differ), one without a preview."""
    six = json.dumps(SIX_ROOMS_V2)
    return [
        _stored(six, 1, 1),
        _stored(sample_body("OneRoom"), 2, 2),
        _stored(six, 3, 3, preview=False),
        _stored(sample_body("TwoRooms"), 4, 4),
        _stored(six, 5, 5),
    ]


def single_stream_archive(worlds: list[Stored]) -> bytes:
    out = io.BytesIO()
    writer = SingleStreamWriter(out)
    for item in worlds:
        world = World.from_dict(json.loads(item.document))
        writer.add_world(ExportWorld(world, item.description, item.preview))
    writer.close()
    return out.getvalue()


def _piece(item: Stored) -> partial[RenderedWorld]:
    return partial(render_stored_world, item.document, item.description, item.preview)


def test_pieces_pickle_and_give_the_same_world_twice(stored: list[Stored]) -> None:
    for item in stored:
        piece = pickle.loads(pickle.dumps(_piece(item)))
        first, again = piece(), piece()
        assert first == again and pickle.loads(pickle.dumps(first)) == first
        assert first.world_id == item.world_id and first.models == tuple(sorted(first.models))
        names = [name for name, _ in first.files]
        assert names[:4] == [f"{item.world_id}.world", "model.config", "model.sdf", "world_description.json"]
        assert ("preview.png" in names) == (item.preview is not None)


def test_rendered_worlds_added_give_the_single_stream_archive(stored: list[Stored]) -> None:
    reference = single_stream_archive(stored)
    rendered = [_piece(item)() for item in stored]
    out = io.BytesIO()
    writer = ArchiveWriter(out)
    for world in [*rendered, rendered[0]]:  # a world listed twice is written once
        writer.add_rendered(world)
    writer.close()
    assert out.getvalue() == reference


class ArrivalsReversed:
    """A job context whose pieces finish last-first: the assembling step must restore the order."""

    def __init__(self) -> None:
        self.windows: list[int] = []
        self.steps = 0
        self.progress: list[int] = []

    def run_bounded(
        self,
        tasks: Sequence[Callable[[], Any]],
        limit: int,
        *,
        on_result: Callable[[int, Any], None],
        processes: bool,
        **_: Any,
    ) -> None:
        assert processes
        self.windows.append(len(tasks))
        results = [pickle.loads(pickle.dumps(task))() for task in tasks]
        for index in reversed(range(len(tasks))):
            on_result(index, results[index])

    def step(self) -> None:
        self.steps += 1

    def report(self, progress: dict[str, Any]) -> None:
        self.progress.append(progress["worldsWritten"])


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[JobEngine]:
    engine = JobEngine(f"sqlite:///{tmp_path / 'jobforge.db'}", workers=1, cpu_workers=2)
    yield engine
    engine.stop()


def _store_worlds(engine: JobEngine, worlds: list[Stored]) -> None:
    resources = engine.resources(SERVICE)
    scope = Scope()
    with engine.db.begin() as conn:
        for item in worlds:
            resources.create(
                scope, WORLD, item.world_id, item.arn, {"worldDescriptionBody": item.description}, conn=conn
            )
            engine.artifacts.put(conn, item.arn, WORLD_DOCUMENT, item.document, "application/json")
            if item.preview is not None:
                engine.artifacts.put(conn, item.arn, PREVIEW, item.preview, "image/png")


def test_the_assembling_step_writes_worlds_in_the_requested_order(
    engine: JobEngine, stored: list[Stored], tmp_path: Path
) -> None:
    _store_worlds(engine, stored)
    handler = WorldExportHandler(engine, LocalObjectStore(tmp_path), RoboMakerSettings(), parallelism=2)
    requested = [engine.resources(SERVICE).find_by_arn(Scope(), w.arn, kinds=(WORLD,)) for w in stored[::-1]]
    ctx = ArrivalsReversed()
    out = io.BytesIO()
    summary = handler._assemble(ctx, ArchiveWriter(out), requested)  # type: ignore[arg-type]
    assert out.getvalue() == single_stream_archive(stored[::-1])
    assert summary.worlds == [w.world_id for w in stored[::-1]]
    assert ctx.windows == [4, 1]  # two windows of 2 workers x 2 worlds: never all worlds at once
    assert ctx.progress == [1, 2, 3, 4, 5] and ctx.steps == 6  # a step before each world and the end


def test_an_export_job_gives_the_single_stream_archive(
    engine: JobEngine, stored: list[Stored], tmp_path: Path
) -> None:
    """The whole job on the engine's worker processes: five worlds asked for out of order."""
    _store_worlds(engine, stored)
    store = LocalObjectStore(tmp_path / "store")
    store.create_bucket("exports")
    engine.register(WorldExportHandler(engine, store, RoboMakerSettings(), parallelism=2))
    engine.start()
    order = [stored[i] for i in (3, 0, 4, 1, 2)]
    job, _ = engine.jobs.create(
        Scope(),
        service=SERVICE,
        kind=KIND,
        job_id="export-pieces000000",
        arn=f"arn:aws:robomaker:{REGION}:{ACCOUNT}:world-export-job/export-pieces000000",
        request={
            "worlds": [w.arn for w in order],
            "outputLocation": {"s3Bucket": "exports", "s3Prefix": "golden"},
            "iamRole": "arn:aws:iam::100000000009:role/export",
        },
    )
    deadline = time.monotonic() + 60
    while (current := engine.jobs.load(job.pk)).state not in (JobState.SUCCEEDED, JobState.FAILED):
        assert time.monotonic() < deadline, current.state
        time.sleep(0.05)
    assert current.state is JobState.SUCCEEDED, current.failure_reason
    assert current.progress == {"worldsWritten": 5, "worldCount": 5}
    data = store.get_bytes("exports", archive_key("golden", job.job_id))
    assert data == single_stream_archive(order)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
