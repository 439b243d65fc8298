"""Running a runnable in this process: on the event loop when a call is cheap, else in a thread.

Why inline at all: handing a call to a thread and back costs tens of microseconds and a GIL
handover, which for a ~50 µs scikit-learn ``predict`` is as much as the model itself (measured
in ``docs/runners.md``). So a call whose *learned* cost is at most :data:`INLINE_MAX_S` runs on
the event loop, in the caller's own coroutine; anything slower, or not yet measured, runs in
this runner's own thread pool, so the loop keeps serving other requests. The pool is the
runner's own, never the shared one that sync API functions run in: a sync API waiting on a
runner must never starve the runner of threads.

A runnable that does not declare ``SUPPORTS_CPU_MULTI_THREADING`` is never called from two
threads at once: a lock serialises every call to its one instance.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from time import perf_counter
from typing import Any

__all__ = ["INLINE_MAX_S", "LocalExecutor"]

#: Calls predicted to take at most this long run on the event loop itself (see module doc).
INLINE_MAX_S = float(os.environ.get("TIFFIN_RUNNER_INLINE_MAX_MS", "1")) / 1000


class LocalExecutor:
    """One instance of a runnable class, called in this process."""

    local = True
    concurrency = 1  # batches of one batchable method in flight at once

    def __init__(self, runnable_class: type, init_params: dict[str, Any], name: str) -> None:
        self.runnable_class = runnable_class
        self.init_params = init_params
        self.name = name
        self.thread_safe = bool(getattr(runnable_class, "SUPPORTS_CPU_MULTI_THREADING", False))
        self._lock: threading.Lock | None = None if self.thread_safe else threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.instance: Any = None
        self._funcs: dict[str, Callable[..., Any]] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def start_sync(self, methods: dict[str, Any]) -> None:
        if self.instance is not None:
            return
        instance = self.runnable_class(**self.init_params)
        self._funcs = {name: getattr(instance, name) for name in methods}
        self.instance = instance

    async def start(self, methods: dict[str, Any]) -> None:
        if self.instance is None:
            # constructing may load a model for seconds: keep the loop (and other runners) going
            await asyncio.get_running_loop().run_in_executor(None, self.start_sync, methods)

    async def stop(self) -> None:
        self.stop_sync()

    def stop_sync(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self.instance = None
        self._funcs = {}

    def _get_pool(self) -> ThreadPoolExecutor:
        pool = self._pool
        if pool is None:
            workers = min(32, (os.cpu_count() or 1) + 4) if self.thread_safe else 1
            pool = self._pool = ThreadPoolExecutor(
                workers, thread_name_prefix=f"tiffin-runner-{self.name}"
            )
        return pool

    # -- calls ---------------------------------------------------------------------------------

    def call_sync(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, float]:
        """Call in the current thread; returns the result and the seconds the call took."""
        func = self._funcs[method]
        lock = self._lock
        if lock is None:
            start = perf_counter()
            result = func(*args, **kwargs)
            return result, perf_counter() - start
        with lock:
            start = perf_counter()
            result = func(*args, **kwargs)
            return result, perf_counter() - start

    async def call(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], predicted_s: float | None
    ) -> tuple[Any, float]:
        """Call from the event loop: inline when ``predicted_s`` is known and small, else in a thread."""
        if predicted_s is not None and predicted_s <= INLINE_MAX_S:
            lock = self._lock
            if lock is None:
                func = self._funcs[method]
                start = perf_counter()
                result = func(*args, **kwargs)
                return result, perf_counter() - start
            if lock.acquire(blocking=False):  # never wait for a lock on the event loop
                try:
                    func = self._funcs[method]
                    start = perf_counter()
                    result = func(*args, **kwargs)
                    return result, perf_counter() - start
                finally:
                    lock.release()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._get_pool(), partial(self.call_sync, method, args, kwargs)
        )
