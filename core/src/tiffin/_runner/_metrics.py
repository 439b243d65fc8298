"""Prometheus metrics of runners, in the default registry (which the server's ``/metrics`` shows).

Counting happens on the request hot path, so it is kept to plain integer arithmetic here (a
``bisect`` and two additions per observation, one lock per dispatch for every family, where
``prometheus_client``'s own ``Histogram.observe`` costs about 2 µs each): one custom collector, registered once per process
on first use, turns the counts into metric families when ``/metrics`` is scraped.

Families (labels ``runner``, ``method``):

- ``tiffin_runner_batch_size`` (histogram): rows per dispatched call of a batchable method;
- ``tiffin_runner_queue_wait_seconds`` (histogram): time a call spent queued before its batch
  started (zero for a call dispatched at once);
- ``tiffin_runner_batch_duration_seconds`` (histogram): time one batch took to run;
- ``tiffin_runner_rejections_total`` (counter, plus ``reason``): calls refused with 503:
  ``predicted`` (refused on arrival: the queue ahead would outlast ``max_latency_ms``),
  ``expired`` (waited ``max_latency_ms`` in the queue), ``stopped`` (the runner was stopping),
  ``worker_died`` (its worker process died while serving it);
- ``tiffin_runner_dispatches_total`` (counter, plus ``reason``): batches by why the dispatcher
  stopped waiting (``cold``, ``sparse``, ``tick``, ``waited``, ``full``, ``other_shapes``,
  ``no_company``, ``unbatchable``), and ``inline``: calls from a sync API function running on
  the event loop, each a batch of one run at once (counted only: they are not in the
  histograms).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

__all__ = ["MethodMetrics", "method_metrics"]

BATCH_SIZE_BUCKETS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0)
SECONDS_BUCKETS = (
    0.0001,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class _Histogram:
    """Counts per bucket and a sum; ``add`` is a bisect and two additions (under the caller's
    lock: one per dispatch for every family)."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def add(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, int]]:
        out, running = [], 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out


class MethodMetrics:
    """The counts of one runner method."""

    __slots__ = (
        "batch_duration",
        "batch_size",
        "dispatches",
        "inline_calls",
        "lock",
        "method",
        "queue_wait",
        "rejections",
        "runner",
    )

    def __init__(self, runner: str, method: str) -> None:
        self.runner = runner
        self.method = method
        self.lock = threading.Lock()  # sync callers count from their own threads
        self.batch_size = _Histogram(BATCH_SIZE_BUCKETS)
        self.queue_wait = _Histogram(SECONDS_BUCKETS)
        self.batch_duration = _Histogram(SECONDS_BUCKETS)
        self.rejections: dict[str, int] = {}
        self.dispatches: dict[str, int] = {}
        #: calls of a batchable method made by a sync API function running on the event loop,
        #: each run at once as a batch of one; counted only (from the loop's thread: no lock)
        self.inline_calls = 0

    def rejected(self, reason: str) -> None:
        with self.lock:
            self.rejections[reason] = self.rejections.get(reason, 0) + 1

    def dispatched(
        self, reason: str, rows: int, waits: tuple[float, ...], seconds: float | None
    ) -> None:
        """A batch of ``rows`` rows went out for ``reason``, its calls having queued ``waits``
        seconds; it ran ``seconds`` (None: it failed). One lock for the four families: this is
        the hot path."""
        with self.lock:
            self.dispatches[reason] = self.dispatches.get(reason, 0) + 1
            self.batch_size.add(rows)
            for wait in waits:
                self.queue_wait.add(wait)
            if seconds is not None:
                self.batch_duration.add(seconds)


class _Collector:
    """Exposes every :class:`MethodMetrics` of this process to prometheus_client."""

    def __init__(self) -> None:
        self.methods: dict[tuple[str, str], MethodMetrics] = {}

    def describe(self) -> list[Any]:
        return []  # families are built at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        labels = ["runner", "method"]
        histograms = {
            "batch_size": HistogramMetricFamily(
                "tiffin_runner_batch_size",
                "Rows per dispatched call of a batchable runner method.",
                labels=labels,
            ),
            "queue_wait": HistogramMetricFamily(
                "tiffin_runner_queue_wait_seconds",
                "Time a call spent queued before its batch started to run.",
                labels=labels,
            ),
            "batch_duration": HistogramMetricFamily(
                "tiffin_runner_batch_duration_seconds",
                "Time one dispatched batch took to run.",
                labels=labels,
            ),
        }
        rejections = CounterMetricFamily(
            "tiffin_runner_rejections",
            "Calls refused with 503: predicted (the queue ahead would outlast max_latency_ms), "
            "expired (waited max_latency_ms), stopped, worker_died.",
            labels=[*labels, "reason"],
        )
        dispatches = CounterMetricFamily(
            "tiffin_runner_dispatches",
            "Batches dispatched, by why the dispatcher stopped waiting for more calls.",
            labels=[*labels, "reason"],
        )
        for (runner, method), m in list(self.methods.items()):
            for attr, family in histograms.items():
                hist: _Histogram = getattr(m, attr)
                family.add_metric([runner, method], hist.buckets(), hist.sum)
            for reason, count in list(m.rejections.items()):
                rejections.add_metric([runner, method, reason], count)
            for reason, count in list(m.dispatches.items()):
                dispatches.add_metric([runner, method, reason], count)
            if m.inline_calls:
                dispatches.add_metric([runner, method, "inline"], m.inline_calls)
        yield from histograms.values()
        yield rejections
        yield dispatches


_lock = threading.Lock()
_collector: _Collector | None = None


def _get_collector() -> _Collector:
    global _collector
    if _collector is None:
        with _lock:
            if _collector is None:
                from prometheus_client import REGISTRY

                collector = _Collector()
                REGISTRY.register(collector)  # type: ignore[arg-type]
                _collector = collector
    return _collector


def method_metrics(runner: str, method: str) -> MethodMetrics:
    """The counts for ``runner.method``, shared by every runner object of that name."""
    collector = _get_collector()
    key = (runner, method)
    with _lock:
        found = collector.methods.get(key)
        if found is None:
            found = collector.methods[key] = MethodMetrics(runner, method)
    return found
