"""Prometheus metrics of one jobforge node, served at ``/metrics`` (see docs/metrics.md).

- :mod:`.requests`: requests by service, operation and status, with latency histograms, told by
  the protocol gateways (:class:`~jobforge.protocol.gateway.AwsGateway`'s ``observe`` hook);
- :mod:`.jobs`: jobs by service, kind and state, queue depth, busy workers and the durations of
  ended jobs (recorded as each job ends: engine/durations.py), read at scrape time;
- :mod:`.endpoint`: the ``/metrics`` ASGI endpoint and who may read it.

Label values are names from the service models and the engine (services, operations, job kinds
and states, HTTP status codes): never account ids, resource names or anything else a caller sends.
"""

from jobforge.metrics.endpoint import MetricsEndpoint, NodeMetrics

__all__ = ["MetricsEndpoint", "NodeMetrics"]
