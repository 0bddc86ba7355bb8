"""At start the server aborts the multipart copies of processes killed mid-copy (kill -9), and only those.

A copy goes part by part above the store's copy threshold (5 GiB on S3; lowered to 5 MiB here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import MOTO_CREDENTIALS, REPO, JobforgeServer, MotoServer

PART = 5 * 1024 * 1024

# Copies bucket/src to bucket/<key> through the server's store, stalling in the first part copy.
_HALF_COPIED = """
import sys, threading, time
from jobforge.storage import make_object_store
data_dir, endpoint, bucket, key = sys.argv[1:5]
store = make_object_store(data_dir, endpoint, part_size=5 * 1024 * 1024, copy_threshold=5 * 1024 * 1024)

told = threading.Lock()

def stall(params, **_):
    if told.acquire(blocking=False):  # parts are copied in parallel: say the upload id once
        print(params["UploadId"], flush=True)
    time.sleep(600)

store.client.meta.events.register("before-parameter-build.s3.UploadPartCopy", stall)
store.copy(bucket, "src", bucket, key)
"""


class HalfCopiedObject:
    """A process of jobforge's storage code stopped in the middle of a multipart copy to ``key``."""

    def __init__(self, data_dir: Path, moto: MotoServer, bucket: str, key: str) -> None:
        env = {**os.environ, **MOTO_CREDENTIALS}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HALF_COPIED, str(data_dir), moto.url, bucket, key],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self.upload_id = self.process.stdout.readline().strip()
        if not self.upload_id:
            self.process.wait(10)
            raise RuntimeError("the copying process failed before its first part")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


def _eventually(check: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_restart_aborts_multipart_copies_of_killed_processes_only(moto: MotoServer, tmp_path: Path) -> None:
    s3 = moto.s3()
    s3.create_bucket(Bucket="copies")
    s3.put_object(Bucket="copies", Key="src", Body=b"c" * (PART + 1))  # over the threshold: two parts
    users = s3.create_multipart_upload(Bucket="copies", Key="dead")["UploadId"]
    data_dir = tmp_path / "data"
    dead = HalfCopiedObject(data_dir, moto, "copies", "dead")
    live = HalfCopiedObject(data_dir, moto, "copies", "live")
    dead.kill()

    def pending() -> set[str]:
        return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket="copies").get("Uploads", [])}

    assert pending() == {users, dead.upload_id, live.upload_id}
    args, env = moto.jobforge_args()
    server = JobforgeServer(data_dir, *args, env=env)
    try:
        server.start()
        assert _eventually(lambda: dead.upload_id not in pending())
        assert pending() == {users, live.upload_id}  # a user's own upload, a live copy's
    finally:
        server.stop()
        live.kill()
