"""The JavaScript SDK v3 (``@aws-sdk/client-s3``) against a real server: ``tests/s3/js/s3.test.js``
run by node's own test runner (PutObject with the SDK's default checksums, a streamed body sent as
``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, GetObject, ListObjectsV2; path style and virtual-hosted)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import JobforgeServer

JS = Path(__file__).parent / "js"


def test_js_sdk(fresh_server: JobforgeServer) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the JavaScript SDK tests need Node.js 18+ and npm)")
    if not (JS / "node_modules" / "@aws-sdk" / "client-s3").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed (needed to install tests/s3/js's packages)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=600)
    server = fresh_server.start()
    result = subprocess.run(
        [node, "--test", "s3.test.js"],
        cwd=JS,
        env={**os.environ, "JOBFORGE_URL": server.url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 2" in result.stdout, result.stdout
