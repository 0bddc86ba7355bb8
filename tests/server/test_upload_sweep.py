"""At start the server removes what writers killed mid-write left: local temp files, S3 uploads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import HalfWrittenObject, JobforgeServer, MotoServer


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


def _eventually(check: Callable[[], bool], timeout: float = 30) -> bool:
    """The sweep runs beside the start-up: poll for its outcome."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_restart_removes_temp_files_of_killed_writers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "buckets" / "bkt").mkdir(parents=True)
    dead = HalfWrittenObject(data_dir, "bkt", "dead")
    live = HalfWrittenObject(data_dir, "bkt", "live")  # e.g. another jobforge process on the data dir
    dead.kill()
    server = JobforgeServer(data_dir)
    try:
        server.start()
        assert _eventually(lambda: not Path(dead.leftover).exists())
        assert Path(live.leftover).exists()
    finally:
        server.stop()
        live.kill()


def test_restart_aborts_s3_uploads_of_killed_writers_only(moto: MotoServer, tmp_path: Path) -> None:
    s3 = moto.s3()
    s3.create_bucket(Bucket="outputs")
    users = s3.create_multipart_upload(Bucket="outputs", Key="dead")["UploadId"]
    data_dir = tmp_path / "data"
    dead = HalfWrittenObject(data_dir, "outputs", "dead", moto.url)
    live = HalfWrittenObject(data_dir, "outputs", "live", moto.url)
    dead.kill()

    def pending() -> set[str]:
        return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket="outputs").get("Uploads", [])}

    assert pending() == {users, dead.leftover, live.leftover}
    args, env = moto.jobforge_args()
    server = JobforgeServer(data_dir, *args, env=env)
    try:
        server.start()
        assert _eventually(lambda: dead.leftover not in pending())
        assert pending() == {users, live.leftover}  # a user's own upload, a live writer's
    finally:
        server.stop()
        live.kill()
