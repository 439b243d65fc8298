"""An online model of what one call of a runner method costs: ``cost(rows) ≈ a + b·rows``.

The dispatcher uses it to decide how long a batch may wait for company (never more than the
fixed cost ``a``), to predict the wait a new request would see (and refuse it when that breaks
``max_latency_ms``), and the in-process executor uses it to decide whether a call is cheap
enough to run on the event loop itself.

It is an exponentially weighted least-squares fit: five running sums, each decayed by
``FORGET`` per observation, so the model follows a model that warms up or a machine that gets
busier, costs O(1) per batch and can never wind up the way recursive least squares can when
every batch has the same size. While all observed batches have (nearly) one size the slope is
not identifiable; the model then takes the whole cost as fixed (``b = 0``). That is the
optimistic reading for bigger batches, deliberately: the prediction decides whether to refuse
a call with 503, and a wrong refusal is worse than a late answer (the queue's expiry still
bounds the wait). The first batches of other sizes correct it.
"""

from __future__ import annotations

import math
import threading

__all__ = ["CostModel"]

FORGET = 0.97  # weight kept by the past per observation: ~33 recent batches dominate
#: Observations after which one-row calls are sampled, one in :data:`SAMPLE_EVERY`: every
#: request of a one-row API makes one, and each costs a few microseconds (the lock, the fit)
SETTLED = 32
SAMPLE_EVERY = 8


class CostModel:
    """Running weighted least-squares fit of seconds per call against rows per call."""

    __slots__ = ("_lock", "_s0", "_s1", "_s2", "_seen", "_t0", "_t1", "a", "b", "count")

    def __init__(self) -> None:
        self._lock = threading.Lock()  # sync callers observe from their own threads
        self._s0 = self._s1 = self._s2 = self._t0 = self._t1 = 0.0
        self.a = 0.0  #: fixed seconds per call
        self.b = 0.0  #: seconds per row
        self.count = 0  #: observations so far
        self._seen = 0  # one-row calls offered once settled (a racy count is fine: it samples)

    def observe(self, rows: int, seconds: float) -> None:
        """Record that a call of ``rows`` rows took ``seconds`` (sampled, see :data:`SETTLED`)."""
        if rows <= 1 and self.count >= SETTLED:
            self._seen += 1
            if self._seen % SAMPLE_EVERY:
                return
        if not math.isfinite(seconds) or seconds < 0:
            return
        n = float(max(rows, 1))
        f = FORGET
        with self._lock:
            self._update(n, f, seconds)

    def _update(self, n: float, f: float, seconds: float) -> None:
        self._s0 = self._s0 * f + 1.0
        self._s1 = self._s1 * f + n
        self._s2 = self._s2 * f + n * n
        self._t0 = self._t0 * f + seconds
        self._t1 = self._t1 * f + n * seconds
        self.count += 1
        self._refit()

    def _refit(self) -> None:
        s0, s1, s2, t0, t1 = self._s0, self._s1, self._s2, self._t0, self._t1
        mean_n, mean_c = s1 / s0, t0 / s0
        var_n = s2 / s0 - mean_n * mean_n
        if var_n < 0.1:
            # one batch size only (so far): the split between a and b is unknown
            self.a, self.b = mean_c, 0.0
            return
        b = (t1 / s0 - mean_n * mean_c) / var_n
        a = mean_c - b * mean_n
        if b < 0:  # bigger batches looked cheaper: noise; treat the cost as fixed
            a, b = mean_c, 0.0
        elif a < 0:  # no fixed cost to speak of
            a, b = 0.0, mean_c / mean_n
        self.a, self.b = a, b

    def predict(self, rows: int) -> float:
        """Predicted seconds for one call of ``rows`` rows (0.0 before any observation)."""
        return self.a + self.b * max(rows, 1)

    def __repr__(self) -> str:
        return f"CostModel(a={self.a * 1e3:.3f}ms, b={self.b * 1e6:.3f}us/row, n={self.count})"
