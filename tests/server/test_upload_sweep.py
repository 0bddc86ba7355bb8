"""At start the server removes what writers and copies killed mid-way left behind (kill -9), and
only that: local temp files, S3 multipart uploads and multipart copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import (
    HalfCopiedObject,
    HalfWrittenObject,
    JobforgeServer,
    MotoServer,
    StalledStorageProcess,
    eventually,
)

PART = 5 * 1024 * 1024


def test_restart_removes_temp_files_of_killed_writers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "buckets" / "bkt").mkdir(parents=True)
    dead = HalfWrittenObject(data_dir, "bkt", "dead")
    live = HalfWrittenObject(data_dir, "bkt", "live")  # e.g. another jobforge process on the data dir
    dead.kill()
    server = JobforgeServer(data_dir)
    try:
        server.start()
        assert eventually(lambda: not Path(dead.leftover).exists())  # the sweep runs beside the start-up
        assert Path(live.leftover).exists()
    finally:
        server.stop()
        live.kill()


@pytest.mark.parametrize(
    ("bucket", "stalled"), [("sweep-uploads", HalfWrittenObject), ("sweep-copies", HalfCopiedObject)]
)
def test_restart_aborts_s3_uploads_of_killed_processes_only(
    moto: MotoServer, tmp_path: Path, bucket: str, stalled: type[StalledStorageProcess]
) -> None:
    s3 = moto.s3()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="src", Body=b"c" * (PART + 1))  # a copy of it goes in two parts
    users = s3.create_multipart_upload(Bucket=bucket, Key="dead")["UploadId"]
    data_dir = tmp_path / "data"
    dead = stalled(data_dir, bucket, "dead", moto.url)
    live = stalled(data_dir, bucket, "live", moto.url)  # e.g. another jobforge process on the data dir
    dead.kill()

    def pending() -> set[str]:
        return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}

    assert pending() == {users, dead.leftover, live.leftover}
    args, env = moto.jobforge_args()
    server = JobforgeServer(data_dir, *args, env=env)
    try:
        server.start()
        assert eventually(lambda: dead.leftover not in pending())
        assert pending() == {users, live.leftover}  # a user's own upload, a live process's
    finally:
        server.stop()
        live.kill()
