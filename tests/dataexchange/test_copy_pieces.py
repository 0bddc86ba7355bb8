"""Asset copies as job pieces: picklable, run in another process, and the same when run twice."""

from __future__ import annotations

import multiprocessing
import pickle
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from jobforge.services.dataexchange.transfer import copy_piece
from jobforge.storage import NoSuchKey, ObjectStore, StoreSpec
from tests.support import MOTO_CREDENTIALS

DATA = b"asset bytes\n" * 10_000


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """A worker process started as the engine starts its own (no state shared with this one),
    with the server's S3 credentials in its environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in MOTO_CREDENTIALS.items():
            patch.setenv(name, value)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as workers:
            yield workers


@pytest.fixture(params=["local", "s3"])
def spec(request: pytest.FixtureRequest, tmp_path: Path, pool: ProcessPoolExecutor) -> StoreSpec:
    if request.param == "local":
        return StoreSpec(str(tmp_path))
    return StoreSpec(str(tmp_path), request.getfixturevalue("moto_endpoint"))


def _buckets(store: ObjectStore) -> tuple[str, str]:
    source, target = (f"dx-piece-{uuid.uuid4().hex[:10]}-{side}" for side in ("in", "out"))
    store.create_bucket(source)
    store.create_bucket(target)
    store.put_bytes(source, "data/a.bin", DATA)
    return source, target


def test_a_copy_piece_run_twice_writes_one_object_and_answers_the_same(
    spec: StoreSpec, pool: ProcessPoolExecutor
) -> None:
    store = spec.open()
    source, target = _buckets(store)
    piece = partial(copy_piece, spec, source, "data/a.bin", target, "exports/a.bin", None, len(DATA))
    again = pickle.loads(pickle.dumps(piece))
    first = pool.submit(piece).result(timeout=60)
    second = pool.submit(again).result(timeout=60)  # a redelivered piece
    assert (first.bucket, first.key, first.size) == (target, "exports/a.bin", len(DATA))
    assert (second.size, second.etag) == (first.size, first.etag)
    assert [info.key for info in store.list_objects(target)] == ["exports/a.bin"]
    assert store.get_bytes(target, "exports/a.bin") == DATA
    assert store.head(target, "exports/a.bin").etag == first.etag


def test_a_copy_pieces_storage_error_comes_back_as_itself(spec: StoreSpec, pool: ProcessPoolExecutor) -> None:
    store = spec.open()
    source, target = _buckets(store)
    missing = partial(copy_piece, spec, source, "data/none.bin", target, "exports/none.bin")
    with pytest.raises(NoSuchKey):
        pool.submit(missing).result(timeout=60)
    assert list(store.list_objects(target)) == []
