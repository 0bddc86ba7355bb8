"""The JavaScript SDK v3 clients of the three job services (``@aws-sdk/client-robomaker``,
``-dataexchange``, ``-location``) against a real ``--auth sigv4`` server: ``tests/server/js/*.test.js``
run by node's own test runner, signed by the SDK's own SigV4 signer, with two accounts' keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import JobforgeServer, node_with_packages

JS = Path(__file__).parent / "js"
REPOSITORY = Path(__file__).resolve().parents[2]
KEYS = [["AKIDJSOWNER", "owner-secret", "123456789012"], ["AKIDJSOTHER", "other-secret", "210987654321"]]


def test_js_sdk(tmp_path: Path) -> None:
    node = node_with_packages(JS, "@aws-sdk/client-robomaker")
    credentials = tmp_path / "credentials.json"
    accounts = {key: {"secret": secret, "account": account} for key, secret, account in KEYS}
    credentials.write_text(json.dumps(accounts))
    data = tmp_path / "data"
    sample = REPOSITORY / "examples" / "location" / "us_fictional_openaddresses.csv"
    imported = subprocess.run(
        [sys.executable, "-m", "jobforge.cli", "location", "import", str(sample), "--country", "US",
         "--data-dir", str(data)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    server = JobforgeServer(data, "--auth", "sigv4", "--credentials-file", str(credentials)).start()
    try:
        result = subprocess.run(
            [node, "--test", "robomaker.test.js", "dataexchange.test.js", "location.test.js"],
            cwd=JS,
            env={
                **os.environ,
                "JOBFORGE_URL": server.url,
                "JOBFORGE_KEYS": json.dumps([[key, secret] for key, secret, _ in KEYS]),
                "NODE_NO_WARNINGS": "1",
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 6" in result.stdout, result.stdout
