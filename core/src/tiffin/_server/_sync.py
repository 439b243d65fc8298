"""Calling a sync API function: in a thread, or on the event loop once it has proven cheap.

Why: handing a call to a worker thread and back costs two thread wake-ups and GIL handovers.
For a ~100 µs function (decode, an sklearn ``predict`` through a runner) that is most of the
request, and under load it is the tail: at c=32 the guide's iris service answered with a p99
3-4x a bare Starlette handler's while running in threads, and within that handler's p99 when run
inline (measured in ``docs/benchmarks.md``). So, like the runner's in-process executor, this
learns what a call costs and runs a cheap one on the loop:

1. **Learning, in threads.** The first :data:`LEARN_CALLS` calls run in the thread pool
   (anyio's, as Starlette's sync endpoints), timed twice: thread CPU time (not inflated by
   waiting for the GIL under load) and wall time (which shows blocking: sleep, I/O, locks).
2. **Probing.** When the mean CPU time is at most :data:`INLINE_MAX_S` and at least one call's
   wall time was too (a function that blocks every time never qualifies), calls run on the loop,
   where wall time is exact; each is timed.
3. **Demotion.** Inline calls are timed too: wall time each, CPU time one call in
   :data:`_CPU_EVERY` (a thread-CPU clock read is a system call; wall alone would also count the
   moments the OS runs another process on a busy machine). A moving mean of CPU time above the
   bound, :data:`_WINDOW` calls in a row slower than the bound in wall time (it blocks), or one
   call over :data:`STALL_S` (it stalled every request on the loop) sends the function back to
   threads to learn again; after :data:`MAX_DEMOTIONS` it stays in threads for good. So a
   function that blocks now and then costs the loop at most a few such calls.

Never twice: a user's function is called exactly once per request, wherever it runs.

- **Runner calls.** A call answered away from the function's thread (a batch formed on the
  loop) counts its predicted cost as the function's own CPU time while it learns. Once the
  function runs inline, a batchable call of an in-process runner runs right there as a batch of
  one: the whole function costs at most :data:`INLINE_MAX_S`, so batching could save it less
  than the two thread hops it takes (measured: the guide's iris service with a batchable runner
  answered 2x the requests per second inline, see ``docs/benchmarks.md``). An async API keeps
  batching, hop-free. A service with a runner in worker processes never inlines, as such a call
  can only be answered on the loop (see :mod:`tiffin._runner._inline`).
- **Code that runs its own event loop** (``asyncio.run``) works inline too: while the function
  runs, the thread has no running loop, as in a worker thread. What still refuses to run
  outside a worker thread (``anyio.from_thread.run``) fails that request with its own error,
  and the function goes to threads for good.

``TIFFIN_API_INLINE_MAX_MS=0`` turns inlining off.
"""

from __future__ import annotations

import os
import re
from asyncio import events
from collections.abc import Callable
from time import perf_counter, thread_time
from typing import Any

from starlette.concurrency import run_in_threadpool

from tiffin._runner._inline import InlineRefused, state

__all__ = ["INLINE_MAX_S", "SyncCaller"]

#: Sync API calls measured at most this long run on the event loop (0 disables inlining).
INLINE_MAX_S = float(os.environ.get("TIFFIN_API_INLINE_MAX_MS", "1")) / 1000
#: Calls timed in threads before a function may run on the loop.
LEARN_CALLS = 20
#: Times a function may fall back from the loop to threads before it stays there.
MAX_DEMOTIONS = 3
#: An inline call this long sends the function back to threads at once (it stalled the loop).
STALL_S = 100 * INLINE_MAX_S
_WINDOW = 8  # inline calls: if none of them was fast, the function blocks
_CPU_EVERY = 4  # inline calls per one whose CPU time is read
_WEIGHT = 0.1  # of the newest inline call in the moving mean of CPU time
#: What anyio says when code that must run in a worker thread is called on the event loop.
_LOOP_REFUSALS = re.compile(r"running event loop|event loop is (already )?running|worker thread")
_get_running_loop = events._get_running_loop
_set_running_loop = events._set_running_loop


class SyncCaller:
    """Calls one sync API function from the event loop (see the module doc)."""

    __slots__ = (
        "_cpu_sum",
        "_inline_calls",
        "_learned",
        "_min_wall",
        "demotions",
        "eligible",
        "func",
        "inline",
        "may_inline",
        "mean",
    )

    def __init__(
        self, func: Callable[..., Any], may_inline: Callable[[], bool] | None = None
    ) -> None:
        self.func = func
        #: asked before the first move to the loop: False keeps the function in threads for good
        #: (the server says so when a runner of the service runs in worker processes)
        self.may_inline = may_inline
        self.eligible = INLINE_MAX_S > 0  #: may it ever run on the loop
        self.inline = False  #: does it run on the loop now
        self.mean = 0.0  #: moving mean wall seconds of inline calls
        self.demotions = 0
        self._learned = 0
        self._cpu_sum = 0.0
        self._min_wall = float("inf")
        self._inline_calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.inline:
            return self.call_inline(args, kwargs)
        if not self.eligible:
            return await run_in_threadpool(self.func, *args, **kwargs)
        return await run_in_threadpool(self._learn, args, kwargs)

    def call_inline(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the function on the loop, now (only while :attr:`inline`); the server calls this
        directly, without a coroutine, on its hot path."""
        st = state
        st.inline = True
        loop = _get_running_loop()
        _set_running_loop(None)  # as in a worker thread: asyncio.run() works, no loop leaks
        self._inline_calls = n = self._inline_calls + 1
        cpu = thread_time() if not n % _CPU_EVERY else None
        wall = perf_counter()
        try:
            result = self.func(*args, **kwargs)
        except InlineRefused as exc:
            self.eligible = self.inline = False
            raise RuntimeError(f"{exc} (it now runs in threads; retry the request)") from None
        except RuntimeError as exc:
            if _LOOP_REFUSALS.search(str(exc)):  # fine in a worker thread: go there for good
                self.eligible = self.inline = False
            raise
        else:
            wall = perf_counter() - wall
            self._observe_inline(wall, None if cpu is None else thread_time() - cpu)
            return result
        finally:
            _set_running_loop(loop)
            st.inline = False

    def _learn(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        st = state
        st.away_s = 0.0
        wall, cpu = perf_counter(), thread_time()
        try:
            return self.func(*args, **kwargs)
        finally:
            cpu, wall = thread_time() - cpu + st.away_s, perf_counter() - wall
            if self.eligible and not self.inline:
                self._cpu_sum += cpu
                self._min_wall = min(self._min_wall, wall)
                self._learned += 1
                if self._learned >= LEARN_CALLS:
                    if self.may_inline is not None and not self.may_inline():
                        self.eligible = False
                    elif self._cpu_sum / self._learned <= INLINE_MAX_S >= self._min_wall:
                        self.mean = self._cpu_sum / self._learned
                        self.inline = True
                    self._learned, self._cpu_sum, self._min_wall = 0, 0.0, float("inf")

    def _observe_inline(self, wall: float, cpu: float | None) -> None:
        if cpu is not None:
            self.mean += _WEIGHT * (cpu - self.mean)
        self._min_wall = min(self._min_wall, wall)
        self._learned += 1
        if self._learned >= _WINDOW:
            blocked = self._min_wall > INLINE_MAX_S  # every call of the window was slow
            self._learned, self._min_wall = 0, float("inf")
        else:
            blocked = False
        if blocked or wall > STALL_S or self.mean > INLINE_MAX_S:
            self.inline = False
            self._learned, self._cpu_sum, self._min_wall = 0, 0.0, float("inf")
            self.demotions += 1
            if self.demotions >= MAX_DEMOTIONS:
                self.eligible = False

    def __repr__(self) -> str:
        where = "inline" if self.inline else "threads" if self.eligible else "threads for good"
        return f"SyncCaller({getattr(self.func, '__name__', self.func)!r}, {where}, mean={self.mean * 1e6:.0f}us)"
