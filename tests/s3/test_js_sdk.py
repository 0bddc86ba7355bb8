"""The JavaScript SDK v3 (``@aws-sdk/client-s3``) against a real server: ``tests/s3/js/s3.test.js``
run by node's own test runner (PutObject with the SDK's default checksums, a streamed body sent as
``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, GetObject, ListObjectsV2; path style and virtual-hosted)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import JobforgeServer, node_with_packages

JS = Path(__file__).parent / "js"


def test_js_sdk(fresh_server: JobforgeServer) -> None:
    node = node_with_packages(JS, "@aws-sdk/client-s3")
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
