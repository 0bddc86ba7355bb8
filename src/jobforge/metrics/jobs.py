"""Job metrics. Read from the job store at scrape time (one grouped query, so every API node
reports the same cluster-wide numbers): jobs by service, kind and state, the queue depth and, on
Celery, the busy job slots; read from this node: its in-process executor's busy slots and the
broker's queue lengths. Observed as jobs end: their durations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from jobforge.engine import JobEngine
from jobforge.engine.jobs import Job
from jobforge.engine.states import JobState

log = logging.getLogger("jobforge.metrics")

# seconds: from instant test jobs to hours-long Location validations and large exports
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)
BUSY_STATES = (JobState.RUNNING.value, JobState.CANCELING.value)  # a job holding a job slot
BROKER_TIMEOUT = 2.0  # seconds a scrape waits for the broker before it leaves its queues out


class JobDurations:
    """``jobforge_job_duration_seconds``: from a job's start to its end, observed where it ends
    (a ``JobStore.on_ended`` listener); jobs that ended without starting are not observed.
    ``service_names``: the job store's service names -> the API's (``geo`` -> ``location``)."""

    def __init__(self, registry: CollectorRegistry, service_names: dict[str, str]) -> None:
        self.service_names = service_names
        self.histogram = Histogram(
            "jobforge_job_duration_seconds",
            "Run time of jobs that ended on this node, by service, kind and final state",
            ["service", "kind", "state"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )

    def __call__(self, job: Job) -> None:
        if job.started_at is not None and job.ended_at is not None:
            seconds = (job.ended_at - job.started_at).total_seconds()
            service = self.service_names.get(job.service, job.service)
            self.histogram.labels(service, job.kind, job.state.value).observe(max(seconds, 0.0))


class JobsCollector(Collector):
    """The scrape-time job gauges of one node (see the module doc); services named as the API
    names them (``service_names``, as :class:`JobDurations`)."""

    def __init__(self, engine: JobEngine, service_names: dict[str, str]) -> None:
        self.engine = engine
        self.service_names = service_names

    def collect(self) -> Iterator[GaugeMetricFamily]:
        names = self.service_names
        try:
            counts = [
                (names.get(service, service), kind, state, count)
                for service, kind, state, count in self.engine.jobs.count_by_state()
            ]
        except Exception:  # a database hiccup: this scrape has the request metrics only
            log.warning("reading the job counts for the metrics failed", exc_info=True)
            return
        jobs = GaugeMetricFamily(
            "jobforge_jobs",
            "Jobs in the job store (all nodes, all accounts) by service, kind and state",
            labels=["service", "kind", "state"],
        )
        by_key = {(service, kind, state): count for service, kind, state, count in counts}
        for service, kind in sorted({(service, kind) for service, kind, _, _ in counts}):
            for state in JobState:  # every state, so a state that emptied reads 0
                jobs.add_metric([service, kind, state.value], by_key.get((service, kind, state.value), 0))
        yield jobs
        pending = sum(count for _, _, state, count in counts if state == JobState.PENDING.value)
        yield GaugeMetricFamily(
            "jobforge_queue_depth", "Jobs waiting for a worker (Pending, all nodes)", value=pending
        )
        yield from self._workers(counts)
        yield from self._broker_queues()

    def _workers(self, counts: list[tuple[str, str, str, int]]) -> Iterator[GaugeMetricFamily]:
        executor: Any = self.engine.executor
        busy = GaugeMetricFamily(
            "jobforge_workers_busy",
            "Job slots running a job: this node's (local executor) or all workers' (celery)",
            labels=["executor"],
        )
        if hasattr(executor, "busy"):
            busy.add_metric(["local"], executor.busy)
            yield busy
            yield GaugeMetricFamily(
                "jobforge_workers", "Job slots of this node's local executor", value=executor.workers
            )
        else:  # Celery: a Running or Canceling job holds a job thread on some worker
            busy.add_metric(["celery"], sum(count for _, _, state, count in counts if state in BUSY_STATES))
            yield busy

    def _broker_queues(self) -> Iterator[GaugeMetricFamily]:
        """Messages waiting in the Celery broker's queues (nothing with the local executor, or
        when the broker does not answer within ``BROKER_TIMEOUT``)."""
        app = getattr(self.engine.executor, "app", None)
        if app is None:
            return
        from jobforge.engine.celery_app import JOBS_QUEUE, PIECES_QUEUE

        lengths = GaugeMetricFamily(
            "jobforge_broker_queue_length", "Messages waiting in the Celery broker", labels=["queue"]
        )
        try:
            with app.connection_for_read(connect_timeout=BROKER_TIMEOUT) as connection:
                for label, queue in (("jobs", JOBS_QUEUE), ("pieces", PIECES_QUEUE)):
                    lengths.add_metric([label], _queue_length(connection, queue))
        except Exception:  # a broker hiccup must not fail the scrape
            log.warning("reading the broker's queue lengths failed", exc_info=True)
            return
        yield lengths


def _queue_length(connection: Any, queue: str) -> int:
    """A queue's message count (a passive declare on the broker connection); 0 for a queue the
    broker does not have yet."""
    try:
        return int(connection.default_channel.queue_declare(queue=queue, passive=True).message_count)
    except connection.channel_errors:
        return 0
