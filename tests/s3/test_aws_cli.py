"""The AWS CLI's high-level ``aws s3`` commands against jobforge: mb, cp both ways, ls, sync
(local -> bucket, bucket -> bucket through CopyObject, bucket -> local), rm, rb --force
(DeleteObjects)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support import JobforgeServer


def aws_s3(server: JobforgeServer, *args: str) -> str:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [sys.executable, "-m", "awscli", "s3", *args, "--endpoint-url", server.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"aws s3 {' '.join(args)}: {done.stderr}"
    return done.stdout


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_aws_s3_commands(server: JobforgeServer, tmp_path: Path) -> None:
    inputs, copies = f"cli-in-{uuid.uuid4().hex[:8]}", f"cli-copy-{uuid.uuid4().hex[:8]}"
    aws_s3(server, "mb", f"s3://{inputs}")
    aws_s3(server, "mb", f"s3://{copies}")
    source = tmp_path / "source"
    for name, data in {
        "addresses.csv": b"street,city\n1 Main St,Springfield\n",
        "nested/deeper/world.json": b'{"w": 1}',
        "nested/with space.txt": os.urandom(3000),
    }.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    aws_s3(server, "cp", str(source / "addresses.csv"), f"s3://{inputs}/batch/addresses.csv")
    aws_s3(server, "sync", str(source), f"s3://{inputs}/synced")
    listing = aws_s3(server, "ls", f"s3://{inputs}/", "--recursive")
    for key in ("batch/addresses.csv", "synced/addresses.csv", "synced/nested/with space.txt"):
        assert key in listing, listing
    assert "PRE batch/" in aws_s3(server, "ls", f"s3://{inputs}/")
    # a second sync has nothing to do
    assert aws_s3(server, "sync", str(source), f"s3://{inputs}/synced").strip() == ""
    # bucket -> bucket goes through CopyObject, bucket -> local through GetObject
    aws_s3(server, "sync", f"s3://{inputs}/synced", f"s3://{copies}/")
    back = tmp_path / "back"
    aws_s3(server, "sync", f"s3://{copies}", str(back))
    assert tree(back) == tree(source)
    aws_s3(server, "cp", f"s3://{inputs}/batch/addresses.csv", str(tmp_path / "down.csv"))
    assert (tmp_path / "down.csv").read_bytes() == (source / "addresses.csv").read_bytes()
    aws_s3(server, "rm", f"s3://{inputs}/batch/addresses.csv")
    assert "batch/" not in aws_s3(server, "ls", f"s3://{inputs}/")
    # rb --force empties the bucket (DeleteObjects) and removes it
    aws_s3(server, "rb", f"s3://{inputs}", "--force")
    aws_s3(server, "rb", f"s3://{copies}", "--force")
    buckets = aws_s3(server, "ls")
    assert inputs not in buckets and copies not in buckets
    assert not (server.data_dir / "buckets" / inputs).exists()
