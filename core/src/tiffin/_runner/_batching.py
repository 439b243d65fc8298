"""The adaptive batching dispatcher of one batchable runner method, on one event loop.

What it does, in order of importance:

1. **Never holds a lone request needlessly.** When the model is free and the queue was empty,
   the call is dispatched at once, in the caller's own coroutine (no task, no future), unless
   waiting has recently been finding company (a sequential client never brings any). Then the
   call waits for the end of the event loop's current turn, so that the requests already read
   from their sockets, decoded and calling in the same turn, join its batch. That wait costs no
   idle time (the loop is busy with those very requests), and under load it turns a model call
   per request into one per turn (measured in ``docs/benchmarks.md``). When the turn brought
   no company but calls have recently been arriving faster than the learned fixed cost ``a``
   of a call, the call waits on for company, never longer than ``a`` in all: waiting ``a`` can
   at worst double that call's latency, and saves a whole ``a`` per call it collects (the
   ski-rental trade).
2. **Serves a burst in few calls.** While a batch runs, new calls queue; when it finishes, the
   queue goes out as the next batch (up to ``max_batch_size`` rows). Batch sizes thus follow
   the load without any fixed timer.
3. **Bounds the wait.** ``max_latency_ms`` bounds the time a call may spend queued before its
   batch starts. A call whose predicted wait (work queued ahead of it, from the learned cost)
   exceeds it is refused at once with :class:`~tiffin.exceptions.ServiceUnavailable` (HTTP
   503); a queued call whose wait actually reaches it is failed the same way (the prediction
   was wrong, or the model stalled). A call that has started is never cancelled, so a served
   call's latency is at most ``max_latency_ms`` plus the run time of one batch. Every refusal
   is counted in ``tiffin_runner_rejections_total{reason=predicted|expired|stopped}``.

Calls share a batch only when their arguments are compatible (same containers, dtypes and
trailing shapes, see :class:`CallShape`); incompatible calls form separate queues (groups),
served oldest first. Each caller gets exactly its own rows back; an exception in a batch fails
only that batch's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from time import monotonic
from typing import TYPE_CHECKING, Any

from tiffin._runner._calls import TICK_DONE, TICK_PENDING, CallGroup, QueuedCall
from tiffin._runner._containers import CallShape, join_calls, split_result
from tiffin.exceptions import ServiceUnavailable

if TYPE_CHECKING:
    from tiffin._runner._cost import CostModel
    from tiffin._runner._metrics import MethodMetrics

__all__ = ["Dispatcher"]

#: Batches observed before the cost model is trusted for waiting and for refusing calls.
MIN_OBSERVATIONS = 3
#: Weight of the newest inter-arrival gap in its moving average.
GAP_WEIGHT = 0.2
#: ``_decide_alone``'s answers that hold the call: a timed wait for company, or the loop's turn
_WAIT, _TICK = "wait", "tick"


class Dispatcher:
    """Groups concurrent calls of one method into batches; lives on one event loop."""

    def __init__(self, method: Any, executor: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.method = method  # the RunnerMethod: name, config, limits, cost model, metrics
        self.executor = executor
        self.loop = loop
        self.cost: CostModel = method.cost
        self.metrics: MethodMetrics = method.metrics
        self.max_rows: int = method.max_batch_size
        self.max_wait: float = method.max_latency_ms / 1000
        self.in_dim: int = method.config.input_batch_dim
        self.out_dim: int = method.config.output_batch_dim
        self.fallbacks = method.fallbacks
        self.batching: bool = method.batchable  # False: every call is its own batch
        self.concurrency: int = max(1, getattr(executor, "concurrency", 1))
        self.groups: list[CallGroup] = []
        self.queued_rows = 0
        self.inflight = 0
        self.direct = 0  # calls run by sync callers in their own threads (see ``run_in_thread``)
        self._direct_lock = threading.Lock()
        self.inflight_ends: dict[int, float] = {}
        self._next_batch_id = 0
        self._last_arrival: float | None = None
        self.gap = float("inf")  # moving average of seconds between arrivals
        #: moving average of whether waiting for company found any: a client that waits for
        #: each answer before sending the next never brings company, so waits stop paying
        self.wait_success = 1.0
        self._probes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        self._tick_armed = False
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: why batches were dispatched (also in the ``tiffin_runner_dispatches_total`` metric)
        self.decisions: dict[str, int] = {}

    # -- entry ---------------------------------------------------------------------------------

    async def submit(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.closed:
            self._reject("stopped", "the runner is stopping")
        now = self._arrived()
        shape = CallShape(args, kwargs, self.in_dim, self.fallbacks)
        if not self.batching:
            shape.batchable = False

        # fast path: nothing queued, a free slot, and no reason to wait: run it right here
        hold = None
        if not self.groups and self.inflight + self.direct < self.concurrency:
            hold = self._decide_alone(shape)
            if hold is not _WAIT and hold is not _TICK:
                return await self._run_one(args, kwargs, shape, hold)

        self._admit(shape, now)
        future: asyncio.Future[Any] = self.loop.create_future()
        call = QueuedCall(args, kwargs, shape, future, now)
        group = self._enqueue(call)
        if hold is not None and group.wait_allowed is None:
            group.wait_allowed = True  # already decided (a probe must not be counted twice)
        if hold is _TICK:
            group.tick = TICK_PENDING
            if not self._tick_armed:
                self._tick_armed = True
                self.loop.call_soon(self._on_tick)
        self._pump()
        return await future

    def run_in_thread(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """From a sync caller's own thread: run the call right there if it would run alone now.

        Saves the two thread hops of handing the call to the event loop and back when there
        is nothing to batch it with: nothing queued, nothing running, and no reason to wait.
        Returns ``(False, None)`` when the call must go through the loop instead.
        """
        shape = CallShape(args, kwargs, self.in_dim, self.fallbacks)
        with self._direct_lock:
            if self.closed or self.groups or self.inflight or self.direct:
                return False, None
            reason = self._decide_alone(shape, tick=False)
            if reason is _WAIT:
                return False, None
            self.direct += 1
        return True, self._run_direct(args, kwargs, shape.rows, reason)

    def _run_direct(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rows: int, reason: str
    ) -> Any:
        """Run one call in the calling thread, counted in ``direct`` (already incremented)."""
        seconds = None
        try:
            self._arrived()
            result, seconds = self.executor.call_sync(self.method.name, args, kwargs)
            return result
        finally:
            self._record(reason, rows, seconds)
            with self._direct_lock:
                self.direct -= 1
            if self.groups:  # calls queued meanwhile wait for a free slot: that is now
                with contextlib.suppress(RuntimeError):  # the loop closed: nothing to wake
                    self.loop.call_soon_threadsafe(self._pump)

    def _arrived(self) -> float:
        """A call arrived now: update the moving inter-arrival gap; returns now."""
        now = monotonic()
        last, self._last_arrival = self._last_arrival, now
        if last is not None:
            gap = now - last
            self.gap = gap if self.gap == float("inf") else self.gap + GAP_WEIGHT * (gap - self.gap)
        return now

    # -- decisions -----------------------------------------------------------------------------

    def _decide_alone(self, shape: CallShape, tick: bool = True) -> str:
        """Why a call that finds the model free runs at once, or how it waits (_TICK, _WAIT).

        ``tick``: the caller is a coroutine on the loop, which may wait for the loop's turn to
        end; a sync caller in its own thread may only wait for company on a timer.
        """
        if not shape.batchable:
            return "unbatchable"
        if shape.rows >= self.max_rows:
            return "full"
        if self.cost.count < MIN_OBSERVATIONS:
            return "cold"
        if not tick and self.gap >= self.cost.a:
            return "sparse"
        if not self._wait_worthwhile():
            return "no_company"
        return _TICK if tick else _WAIT

    def _wait_worthwhile(self) -> bool:
        """Whether recent waits found company; if not, wait only on every 16th chance (a probe)."""
        if self.wait_success >= 0.25:
            return True
        self._probes += 1
        return self._probes % 16 == 0

    def _decide(self, group: CallGroup, now: float) -> tuple[str | None, float]:
        """Dispatch ``group`` now (a reason), or wait until the returned time (None, when)."""
        if not group.shape.batchable:
            return "unbatchable", now
        if group.rows >= self.max_rows:
            return "full", now
        if len(self.groups) > 1:
            return "other_shapes", now  # never idle while other calls wait
        if group.tick == TICK_PENDING:  # ``_on_tick`` pumps at the end of the loop's turn
            return None, float("inf")
        if group.tick == TICK_DONE and len(group.calls) > 1:
            return "tick", now  # the turn brought company
        if self.cost.count < MIN_OBSERVATIONS:
            return "cold", now
        a = self.cost.a
        if self.gap >= a:
            return "sparse", now
        if group.wait_allowed is None:
            group.wait_allowed = self._wait_worthwhile()
        if not group.wait_allowed:
            return "no_company", now
        limit = min(a, 0.5 * self.max_wait)
        until = group.calls[0].arrived + limit
        if now >= until:
            return "waited", now
        group.waited = True
        return None, until

    def _predicted_wait(self, shape: CallShape, now: float) -> float:
        """Seconds until a new call's batch could start, from the learned cost (an estimate)."""
        cost = self.cost
        busy = sum(max(0.0, end - now) for end in self.inflight_ends.values())
        ahead = 0.0
        m = self.max_rows
        for group in self.groups:
            rows = group.rows
            if group.shape.compatible(shape):
                full = rows // m  # the call joins the last, partly filled batch
                ahead += full * cost.predict(m)
            else:
                full, rest = divmod(rows, m)
                ahead += full * cost.predict(m) + (cost.predict(rest) if rest else 0.0)
        return (busy + ahead) / self.concurrency

    def _admit(self, shape: CallShape, now: float) -> None:
        if self.cost.count < MIN_OBSERVATIONS:
            return
        predicted = self._predicted_wait(shape, now)
        if predicted > self.max_wait:
            self._reject(
                "predicted",
                f"about {predicted * 1000:.0f} ms of work is queued ahead of this call "
                f"({self.queued_rows} rows queued, {self.inflight} batch(es) running; a call of n "
                f"rows costs about {self.cost.a * 1000:.2f} ms + n x {self.cost.b * 1000:.3f} ms)",
            )

    def _reject(self, reason: str, detail: str) -> None:
        self.metrics.rejected(reason)
        m = self.method
        raise ServiceUnavailable(
            f"runner {m.runner_name!r} cannot start this {m.name!r} call within max_latency_ms="
            f"{m.max_latency_ms:g}: {detail}. Retry later; raise max_latency_ms or add capacity "
            f"if this persists"
            if reason != "stopped"
            else f"runner {m.runner_name!r} cannot serve this {m.name!r} call: {detail}; retry later"
        )

    # -- queue ---------------------------------------------------------------------------------

    def _enqueue(self, call: QueuedCall) -> CallGroup:
        for group in self.groups:
            if group.shape.compatible(call.shape):
                break
        else:
            group = CallGroup(call.shape)
            self.groups.append(group)
        group.calls.append(call)
        group.rows += call.shape.rows
        self.queued_rows += call.shape.rows
        return group

    def _take(self, group: CallGroup) -> list[QueuedCall]:
        calls: list[QueuedCall] = []
        rows = 0
        queue = group.calls
        while queue:
            call = queue[0]
            if calls and rows + call.shape.rows > self.max_rows:
                break
            queue.popleft()
            if call.future.done():  # cancelled by its caller (client went away)
                group.rows -= call.shape.rows
                self.queued_rows -= call.shape.rows
                continue
            calls.append(call)
            rows += call.shape.rows
            if not group.shape.batchable:
                break
        group.rows -= rows
        self.queued_rows -= rows
        if group.waited:  # learn whether waiting for company is finding any
            group.waited = False
            found = 1.0 if len(calls) > 1 else 0.0
            self.wait_success += GAP_WEIGHT * (found - self.wait_success)
        if not queue:
            self.groups.remove(group)
        return calls

    def _expire(self, now: float) -> float:
        """Fail queued calls that waited past max_latency_ms; return the next deadline."""
        next_deadline = float("inf")
        for group in list(self.groups):
            queue = group.calls
            while queue and now - queue[0].arrived >= self.max_wait:
                call = queue.popleft()
                group.rows -= call.shape.rows
                self.queued_rows -= call.shape.rows
                if not call.future.done():
                    self.metrics.rejected("expired")
                    call.future.set_exception(
                        ServiceUnavailable(
                            f"runner {self.method.runner_name!r}: this {self.method.name!r} call "
                            f"waited {(now - call.arrived) * 1000:.0f} ms in the queue without "
                            f"starting, reaching max_latency_ms={self.method.max_latency_ms:g}. "
                            f"Retry later; raise max_latency_ms or add capacity if this persists"
                        )
                    )
            if queue:
                next_deadline = min(next_deadline, queue[0].arrived + self.max_wait)
            else:
                self.groups.remove(group)
        return next_deadline

    def _pump(self) -> None:
        """Start every batch that should start now; arm a timer for the next decision."""
        if self.closed:
            return
        now = monotonic()
        deadline = self._expire(now)
        wake = deadline
        while self.groups and self.inflight + self.direct < self.concurrency:
            group = self.groups[0]
            reason, until = self._decide(group, now)
            if reason is None:
                wake = min(wake, until)
                break
            calls = self._take(group)
            if calls:
                self.inflight += 1
                task = self.loop.create_task(self._run_batch(calls, reason))
                self._tasks.add(task)  # the loop keeps only a weak reference to tasks
                task.add_done_callback(self._tasks.discard)
        if self.groups and wake < float("inf"):
            self._arm(wake)

    def _arm(self, when: float) -> None:
        if self._timer is not None and self._timer_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        delay = max(0.0, when - monotonic())
        self._timer = self.loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = float("inf")
        self._pump()

    def _on_tick(self) -> None:
        """The end of the loop's turn: calls holding for it go out with their company."""
        self._tick_armed = False
        for group in self.groups:
            if group.tick == TICK_PENDING:
                group.tick = TICK_DONE
                group.waited = True
        self._pump()

    # -- running -------------------------------------------------------------------------------

    def _record(
        self, reason: str, rows: int, seconds: float | None, waits: tuple[float, ...] = (0.0,)
    ) -> None:
        """A batch went out and took ``seconds`` (None: it failed): count it, learn its cost."""
        self.decisions[reason] = self.decisions.get(reason, 0) + 1
        self.metrics.dispatched(reason, rows, waits, seconds)
        if seconds is not None:
            self.cost.observe(rows, seconds)

    def _begin(self, rows: int) -> tuple[int, float | None]:
        batch_id = self._next_batch_id
        self._next_batch_id += 1
        predicted = self.cost.predict(rows) if self.cost.count else None
        self.inflight_ends[batch_id] = monotonic() + (predicted or 0.0)
        return batch_id, predicted

    async def _run_one(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], shape: CallShape, reason: str
    ) -> Any:
        """A batch of exactly one call, run in the caller's coroutine: the lone-request path."""
        self.inflight += 1
        rows = shape.rows
        batch_id, predicted = self._begin(rows)
        seconds = None
        try:
            result, seconds = await self.executor.call(self.method.name, args, kwargs, predicted)
        finally:
            self.inflight -= 1
            self.inflight_ends.pop(batch_id, None)
            self._record(reason, rows, seconds)
            if self.groups:
                self._pump()
        return result

    async def _run_batch(self, calls: list[QueuedCall], reason: str) -> None:
        batch_id, rows, waits, seconds = -1, 0, (), None
        try:
            started = monotonic()
            waits = tuple(started - call.arrived for call in calls)
            if len(calls) == 1 or not calls[0].shape.batchable:
                args, kwargs, sizes = calls[0].args, calls[0].kwargs, [calls[0].shape.rows]
            else:
                args, kwargs, sizes = join_calls([c.shape for c in calls])
            rows = sum(sizes)
            batch_id, predicted = self._begin(rows)
            result, seconds = await self.executor.call(self.method.name, args, kwargs, predicted)
            self._record(reason, rows, seconds, waits)
            outputs = (
                [result]
                if len(calls) == 1
                else split_result(result, sizes, self.out_dim, self.fallbacks)
            )
            for call, output in zip(calls, outputs, strict=True):
                if not call.future.done():
                    call.future.set_result(output)
        except asyncio.CancelledError:
            error = ServiceUnavailable(
                f"runner {self.method.runner_name!r} stopped while this call ran"
            )
            self.metrics.rejected("stopped")
            for call in calls:
                if not call.future.done():
                    call.future.set_exception(error)
            raise
        except Exception as exc:
            for call in calls:
                if not call.future.done():
                    call.future.set_exception(exc)
        finally:
            if seconds is None and waits:  # the batch failed or was stopped: still count it
                self._record(reason, rows, None, waits)
            self.inflight -= 1
            self.inflight_ends.pop(batch_id, None)
            self._pump()

    # -- shutdown ------------------------------------------------------------------------------

    def close(self) -> None:
        """Fail every queued call with 503; later calls are refused the same way."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for group in self.groups:
            for call in group.calls:
                if not call.future.done():
                    self.metrics.rejected("stopped")
                    call.future.set_exception(
                        ServiceUnavailable(
                            f"runner {self.method.runner_name!r} is stopping; retry later"
                        )
                    )
        self.groups.clear()
        self.queued_rows = 0
