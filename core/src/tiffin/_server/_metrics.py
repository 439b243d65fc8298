"""Prometheus metrics of the HTTP server, in ``prometheus_client``'s default registry.

One server process (the default): the counts are plain numbers updated on the event loop's
thread (every API request is counted there, so no lock), and a collector turns them into the
same metric families when ``/metrics`` is scraped. So a request costs a few additions, and
``prometheus_client`` (whose exposition module pulls in ``http.server``, ``email`` and ``ssl``:
~15-40 ms of start-up) is imported only at the first scrape, not before the first answer.

With several workers, ``tiffin serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder
and the metrics are ``prometheus_client``'s own (label children looked up once per (API,
status) and cached), whose values live in files so that ``/metrics`` sums every worker.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from typing import Any

__all__ = ["HttpMetrics", "LocalHttpMetrics", "http_metrics", "render_metrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


_NAMES = {
    "requests": ("tiffin_http_requests", "HTTP requests answered, by API and status code."),
    "latency": (
        "tiffin_http_request_duration_seconds",
        "Time to answer an API request, by API and status.",
    ),
    "in_progress": ("tiffin_http_requests_in_progress", "API requests being answered now."),
}


class _Gauge:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self) -> None:
        self.value += 1

    def dec(self) -> None:
        self.value -= 1


class LocalHttpMetrics:
    """The metrics of a single server process, as plain numbers (see the module doc)."""

    def __init__(self) -> None:
        #: (api, status) -> [count, sum of seconds, count per bucket (the last one: +Inf)]
        self._series: dict[tuple[str, int], list[Any]] = {}
        self._gauges: dict[str, _Gauge] = {}
        self._registered = False

    def gauge(self, api: str) -> _Gauge:
        gauge = self._gauges.get(api)
        if gauge is None:
            gauge = self._gauges[api] = _Gauge()
        return gauge

    def observe(self, api: str, status: int, seconds: float) -> None:
        series = self._series.get((api, status))
        if series is None:
            series = self._series[(api, status)] = [0, 0.0, [0] * (len(_BUCKETS) + 1)]
        series[0] += 1
        series[1] += seconds
        series[2][bisect_left(_BUCKETS, seconds)] += 1  # the first bucket with seconds <= le

    def register(self) -> None:
        """Add these metrics to ``prometheus_client``'s default registry (at the first scrape)."""
        if not self._registered:
            from prometheus_client import REGISTRY

            REGISTRY.register(self)  # type: ignore[arg-type]
            self._registered = True

    def collect(self) -> Any:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        requests = CounterMetricFamily(*_NAMES["requests"], labels=["api", "status"])
        latency = HistogramMetricFamily(*_NAMES["latency"], labels=["api", "status"])
        in_progress = GaugeMetricFamily(*_NAMES["in_progress"], labels=["api"])
        bounds = [*(repr(float(b)) for b in _BUCKETS), "+Inf"]
        for (api, status), (count, total, buckets) in list(self._series.items()):
            requests.add_metric([api, str(status)], count)
            cumulative, running = [], 0
            for bound, n in zip(bounds, buckets, strict=True):
                running += n
                cumulative.append((bound, running))
            latency.add_metric([api, str(status)], cumulative, total)
        for api, gauge in list(self._gauges.items()):
            in_progress.add_metric([api], gauge.value)
        yield requests
        yield latency
        yield in_progress


class HttpMetrics:
    """The metrics of one of several worker processes, in ``prometheus_client``'s values."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(*_NAMES["requests"], ["api", "status"])
        self.latency = Histogram(*_NAMES["latency"], ["api", "status"], buckets=_BUCKETS)
        self.in_progress = Gauge(*_NAMES["in_progress"], ["api"], multiprocess_mode="livesum")
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._gauges: dict[str, Any] = {}

    def gauge(self, api: str) -> Any:
        gauge = self._gauges.get(api)
        if gauge is None:
            gauge = self._gauges[api] = self.in_progress.labels(api)
        return gauge

    def observe(self, api: str, status: int, seconds: float) -> None:
        children = self._children.get((api, status))
        if children is None:
            children = self._children[(api, status)] = (
                self.requests.labels(api, str(status)),
                self.latency.labels(api, str(status)),
            )
        children[0].inc()
        children[1].observe(seconds)


_metrics: HttpMetrics | LocalHttpMetrics | None = None


def http_metrics() -> HttpMetrics | LocalHttpMetrics:
    """This process's metrics, created on first use (they register once per process)."""
    global _metrics
    if _metrics is None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            _metrics = HttpMetrics()
        else:
            _metrics = LocalHttpMetrics()
    return _metrics


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition of every metric of this process (or of all workers)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if isinstance(_metrics, LocalHttpMetrics):
        _metrics.register()

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
