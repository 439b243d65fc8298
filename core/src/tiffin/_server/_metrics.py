"""Prometheus metrics of the HTTP server, in ``prometheus_client``'s default registry.

Label children are looked up once per (API, status) and cached, so a request costs two dict
lookups and three lock-protected updates. With several workers, ``tiffin serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder so ``/metrics`` sums every worker.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["HttpMetrics", "http_metrics", "render_metrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "tiffin_http_requests",
            "HTTP requests answered, by API and status code.",
            ["api", "status"],
        )
        self.latency = Histogram(
            "tiffin_http_request_duration_seconds",
            "Time to answer an API request, by API and status.",
            ["api", "status"],
            buckets=_BUCKETS,
        )
        self.in_progress = Gauge(
            "tiffin_http_requests_in_progress",
            "API requests being answered now.",
            ["api"],
            multiprocess_mode="livesum",
        )
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


_metrics: HttpMetrics | None = None


def http_metrics() -> HttpMetrics:
    """This process's metrics, created on first use (they register once per process)."""
    global _metrics
    if _metrics is None:
        _metrics = HttpMetrics()
    return _metrics


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition of every metric of this process (or of all workers)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
