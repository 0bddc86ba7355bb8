"""Where provider methods run, and the one log line per request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from jobforge.protocol.auth import Authenticator
from jobforge.protocol.context import RequestContext
from jobforge.protocol.gateway import AwsGateway, ServiceBinding, runs_inline
from jobforge.protocol.specs import load_service_model

from .conftest import LiveServer, location_validation_error, make_client, start_server


class ThreadRecorder:
    def __init__(self) -> None:
        self.threads: dict[str, str] = {}

    def list_trackers(self, ctx: RequestContext, request: dict) -> dict:
        self.threads["list_trackers"] = threading.current_thread().name
        return {"Entries": []}

    @runs_inline
    def list_keys(self, ctx: RequestContext, request: dict) -> dict:
        self.threads["list_keys"] = threading.current_thread().name
        return {"Entries": []}

    async def list_maps(self, ctx: RequestContext, request: dict) -> dict:
        self.threads["list_maps"] = threading.current_thread().name
        return {"Entries": []}


def _server(max_workers: int) -> tuple[LiveServer, ThreadRecorder]:
    provider = ThreadRecorder()
    binding = ServiceBinding(load_service_model("location"), provider, location_validation_error)
    gateway = AwsGateway([binding], Authenticator(), max_workers=max_workers)
    return start_server(gateway, {"location": provider}), provider


@pytest.fixture(scope="module")
def pooled() -> Iterator[tuple[LiveServer, ThreadRecorder]]:
    server, provider = _server(4)
    yield server, provider
    server.stop()


def test_blocking_methods_run_in_the_pool_others_on_the_loop(
    pooled: tuple[LiveServer, ThreadRecorder],
) -> None:
    server, provider = pooled
    client = make_client(server.url, "location")
    client.list_trackers()
    client.list_keys()
    client.list_maps()
    assert provider.threads["list_trackers"].startswith("jobforge-provider")
    assert not provider.threads["list_keys"].startswith("jobforge-provider")
    assert provider.threads["list_maps"] == provider.threads["list_keys"]  # the event loop's thread


def test_zero_workers_calls_everything_on_the_loop() -> None:
    server, provider = _server(0)
    try:
        make_client(server.url, "location").list_trackers()
        assert not provider.threads["list_trackers"].startswith("jobforge-provider")
    finally:
        server.stop()


def test_one_structured_log_line_per_request(
    pooled: tuple[LiveServer, ThreadRecorder], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = pooled
    client = make_client(server.url, "location")
    with caplog.at_level(logging.INFO, logger="jobforge.request"):
        request_id = client.list_trackers()["ResponseMetadata"]["RequestId"]
        with pytest.raises(client.exceptions.ClientError):
            client.describe_tracker(TrackerName="t")  # not implemented -> 501
    records = [r for r in caplog.records if r.name == "jobforge.request"]
    assert len(records) == 2
    ok, failed = records
    assert (ok.service, ok.operation, ok.status, ok.request_id, ok.error_code) == (
        "location",
        "ListTrackers",
        200,
        request_id,
        None,
    )
    assert ok.duration_ms >= 0
    assert (failed.operation, failed.status, failed.error_code) == (
        "DescribeTracker",
        501,
        "NotImplementedException",
    )
