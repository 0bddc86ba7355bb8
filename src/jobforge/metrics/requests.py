"""Request metrics: a counter by service, operation and status, a latency histogram by service
and operation. The children of each label set are looked up once and cached, so a request costs a
dict lookup, one counter increment and one histogram observation."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram

# seconds: from in-memory describes (well under a millisecond) to large uploads
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """``jobforge_requests_total`` and ``jobforge_request_duration_seconds``; an instance is the
    gateways' ``observe`` hook: ``metrics(service, operation, status, seconds)``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "jobforge_requests",
            "API requests answered, by service, operation and HTTP status",
            ["service", "operation", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "jobforge_request_duration_seconds",
            "Time from a request's arrival to its answer, by service and operation",
            ["service", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, operation: str, status: int, seconds: float) -> None:
        key = (service, operation, status)
        children = self._children.get(key)
        if children is None:
            with self._lock:
                children = self._children[key] = (
                    self.requests.labels(service, operation, str(status)),
                    self.latency.labels(service, operation),
                )
        children[0].inc()
        children[1].observe(seconds)
