"""Prometheus metrics of the API, served at ``GET /metrics``.

Under gunicorn every worker process writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` (set
by gunicorn.conf.py before the workers import this module), and a scrape adds them all up;
without that variable (tests, a single process) the default registry is served.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import falcon
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "api_requests_total", "HTTP requests served, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "api_request_duration_seconds", "Time spent serving a request, by route and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE_READS = Counter(
    "api_product_cache_reads_total",
    "Reads of GET /products/{id} by cache result: hit, miss, or error (Redis unavailable).",
    ["result"],
)


_CACHE_RESULTS = {result: CACHE_READS.labels(result) for result in ("hit", "miss", "error")}


def count_cache_result(result: str) -> None:
    _CACHE_RESULTS[result].inc()


class RequestMetrics:
    """Counts and times every request by its route template (never the raw path, which
    would make one series per product)."""

    def __init__(self) -> None:
        # labels() hashes and locks on every call; the children are few, so keep them.
        self._counters: dict[tuple, object] = {}
        self._histograms: dict[tuple, object] = {}

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        route = req.uri_template or "unmatched"
        key = (route, req.method, resp.status_code)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = REQUESTS.labels(route, req.method,
                                                            str(resp.status_code))
        counter.inc()
        started = getattr(req.context, "started", None)
        if started is not None:
            histogram = self._histograms.get(key[:2])
            if histogram is None:
                histogram = self._histograms[key[:2]] = LATENCY.labels(route, req.method)
            histogram.observe(time.perf_counter() - started)


class _OutboxDepth:
    """Reads the outbox depth at scrape time: it is the database's number, not a process's."""

    def __init__(self, depth: Callable[[], int]) -> None:
        self._depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            value = float(self._depth())
        except Exception:  # noqa: BLE001 - the database is down: report nothing, not a 500
            return
        yield GaugeMetricFamily("outbox_depth", "Jobs written by the API, not yet published.",
                                value=value)


class Metrics:
    """``GET /metrics`` in Prometheus' text format.

    Parameters:
      outbox_depth: returns the number of unpublished outbox rows.
    """

    def __init__(self, *, outbox_depth: Callable[[], int]) -> None:
        self._outbox = _OutboxDepth(outbox_depth)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest(REGISTRY)
        extra = CollectorRegistry()
        extra.register(self._outbox)
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = body + generate_latest(extra)
