"""Job metrics. Read from the job store at scrape time (so every API node reports the same
cluster-wide numbers): jobs by service, kind and state, the queue depth, on Celery the busy job
slots, and the run times of the jobs that ended (recorded where each ended: engine/durations.py);
read from this node: its in-process executor's busy slots and the broker's queue lengths."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from jobforge.engine import JobEngine
from jobforge.engine.durations import DURATION_BUCKETS, read_durations
from jobforge.engine.states import JobState

log = logging.getLogger("jobforge.metrics")

BUSY_STATES = (JobState.RUNNING.value, JobState.CANCELING.value)  # a job holding a job slot
BROKER_TIMEOUT = 2.0  # seconds a scrape waits for the broker before it leaves its queues out


def duration_histogram(engine: JobEngine, service_names: dict[str, str]) -> HistogramMetricFamily:
    """``jobforge_job_duration_seconds``: from a job's start to its end, of every job the
    deployment ended, by service (as the API names it: ``geo`` -> ``location``), kind and final
    state; jobs that ended without starting are not in it."""
    histogram = HistogramMetricFamily(
        "jobforge_job_duration_seconds",
        "Run time of ended jobs (all nodes and workers), by service, kind and final state",
        labels=["service", "kind", "state"],
    )
    for recorded in read_durations(engine.db):
        running = 0
        buckets = []
        for bound, count in zip([*DURATION_BUCKETS, math.inf], recorded.counts, strict=True):
            running += count
            buckets.append((floatToGoString(bound), running))
        service = service_names.get(recorded.service, recorded.service)
        histogram.add_metric([service, recorded.kind, recorded.state], buckets, recorded.seconds)
    return histogram


class JobsCollector(Collector):
    """The scrape-time job metrics of one node (see the module doc); services named as the API
    names them (``service_names``, as :func:`duration_histogram`)."""

    def __init__(self, engine: JobEngine, service_names: dict[str, str]) -> None:
        self.engine = engine
        self.service_names = service_names

    def collect(self) -> Iterator[Metric]:
        names = self.service_names
        try:
            counts = [
                (names.get(service, service), kind, state, count)
                for service, kind, state, count in self.engine.jobs.count_by_state()
            ]
            durations = duration_histogram(self.engine, names)
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
        yield durations
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
