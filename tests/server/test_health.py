"""``GET /_jobforge/health`` tells the truth: 503 ``degraded`` naming the service and the error
when the job libraries cannot be imported in the worker processes, 200 ``ok`` otherwise."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support import JobforgeServer, server_without_scipy


def _settled(server: JobforgeServer, timeout: float = 120) -> tuple[int, dict[str, Any]]:
    """The health answer once the worker warm-up is over."""
    deadline = time.monotonic() + timeout
    while True:
        response = server.health()
        body = response.json()
        if not body["warming"] or time.monotonic() > deadline:
            return response.status_code, body
        time.sleep(0.2)


def test_healthy_server_answers_ok(server: JobforgeServer) -> None:
    status, body = _settled(server)
    assert status == 200, body
    assert body["status"] == "ok" and body["problems"] == [] and body["warming"] is False
    assert set(body["services"]) == {"robomaker", "dataexchange", "location"}


def test_missing_job_library_makes_health_degraded(tmp_path: Path) -> None:
    server = server_without_scipy(tmp_path)
    try:
        server.start(timeout=120, expect_status=503)
        response = server.health()
        body = response.json()
        assert response.status_code == 503
        assert body["status"] == "degraded" and body["warming"] is False
        assert [problem["service"] for problem in body["problems"]] == ["robomaker"], body
        problem = body["problems"][0]
        assert problem["reason"] == "worker warm-up failed: No module named 'scipy' (test shadow)"
        assert problem["module"] == "jobforge.services.robomaker.worldgen"
        assert "worker warm-up failed" in server.log_path.read_text()
    finally:
        server.stop()
