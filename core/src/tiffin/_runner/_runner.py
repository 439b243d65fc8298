"""``tiffin.Runner``: a runnable class plus how to call it (batching limits, placement, models).

A runner is inert until started: ``init_local()`` instantiates the runnable in this process for
debugging (no server), and a server calls ``await runner.astart()`` / ``await runner.astop()``
at startup and shutdown. ``runner.<method>.run(...)`` and ``await runner.<method>.async_run(...)``
call a method; a batchable one goes through the adaptive dispatcher of
:mod:`tiffin._runner._batching` whenever an event loop is serving the runner.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Sequence
from typing import Any

from tiffin._runner import _inline
from tiffin._runner._batching import Dispatcher
from tiffin._runner._cost import CostModel
from tiffin._runner._local import LocalExecutor
from tiffin._runner._runnable import MethodConfig, Runnable, RunnableMethod, runnable_methods
from tiffin._runner._shape import ShapeCheck
from tiffin.exceptions import (
    InvalidArgument,
    RunnerMethodNotFound,
    RunnerNotStarted,
    TiffinError,
)
from tiffin.store.tag import validate_name

__all__ = [
    "DEFAULT_MAX_BATCH_SIZE",
    "DEFAULT_MAX_LATENCY_MS",
    "MAX_DEFAULT_WORKERS",
    "Runner",
    "RunnerMethod",
    "RunnerMethodNotFound",
    "RunnerNotStarted",
]

logger = logging.getLogger("tiffin.runner")

#: Rows per batch when the user sets nothing (BentoML's default too).
DEFAULT_MAX_BATCH_SIZE = 100
#: The queue-wait bound when the user sets nothing (BentoML's default too); see docs/runners.md.
DEFAULT_MAX_LATENCY_MS = 10_000.0

_METHOD_OPTIONS = ("max_batch_size", "max_latency_ms")

#: The most worker processes a runner gets by default (one per CPU up to this).
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """Worker processes for a runnable that cannot share one instance between threads: one per
    CPU this process may use (capped); 0 (in-process) when that is one, as a single worker
    process would only add a hop."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    count = min(cpus, MAX_DEFAULT_WORKERS)
    return count if count > 1 else 0


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"{what} must be a positive integer, got {value!r}")
    return value


def _workers(value: Any, what: str) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if isinstance(value, bool) or count < 0 or count > 256:
        raise InvalidArgument(
            f"{what} must be a whole number of worker processes (0-256), got {value!r}"
        )
    return count


def _positive_ms(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidArgument(f"{what} must be a positive number of milliseconds, got {value!r}")
    return float(value)


class RunnerMethod:
    """``runner.<method>``: call it with ``.run(...)`` or ``await .async_run(...)``."""

    def __init__(
        self,
        runner: Runner,
        name: str,
        method: RunnableMethod,
        max_batch_size: int,
        max_latency_ms: float,
    ) -> None:
        self.runner = runner
        self.runner_name = runner.name
        self.name = name
        self.config: MethodConfig = method.config
        self.batchable = method.config.batchable
        self.batch_dim = method.config.batch_dim
        shape = method.config.input_shape
        self._check_shape = ShapeCheck(shape) if shape is not None else None
        self.max_batch_size = max_batch_size
        self.max_latency_ms = max_latency_ms
        #: what one call of n rows costs here, learned while running (see ``_cost``)
        self.cost = CostModel()
        self._metrics: Any = None
        self._dispatcher: Dispatcher | None = None

    @property
    def metrics(self) -> Any:
        if self._metrics is None:
            from tiffin._runner._metrics import method_metrics

            self._metrics = method_metrics(self.runner_name, self.name)
        return self._metrics

    @property
    def fallbacks(self) -> list[Any]:
        return self.runner._adapters()

    @property
    def dispatcher(self) -> Dispatcher | None:
        """The batching dispatcher serving this method now, if any (for tests and diagnostics)."""
        return self._dispatcher

    def _dispatcher_for(self, executor: Any, loop: asyncio.AbstractEventLoop) -> Dispatcher:
        dispatcher = self._dispatcher
        if dispatcher is None or dispatcher.loop is not loop or dispatcher.executor is not executor:
            dispatcher = self._dispatcher = Dispatcher(self, executor, loop)
        return dispatcher

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        """Call the method from async code; batchable calls are batched with concurrent ones."""
        executor = self.runner._executor
        if executor is None:
            raise self.runner._not_started(self.name)
        if self._check_shape is not None:
            self._check_shape(args, self.name)
        if self.batchable or not executor.local:
            # worker processes: even unbatched calls queue for a free worker, so the
            # dispatcher's admission and expiry (max_latency_ms) apply to them too
            loop = asyncio.get_running_loop()
            return await self._dispatcher_for(executor, loop).submit(args, kwargs)
        cost = self.cost
        result, seconds = await executor.call(
            self.name, args, kwargs, cost.predict(1) if cost.count else None
        )
        cost.observe(1, seconds)
        return result

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Call the method from sync code (a sync API function, a script after ``init_local``).

        On a server, a batchable call that has company (calls queued or running) is handed to
        the server's event loop so it can share a batch; otherwise the call runs in the calling
        thread (on the loop itself when the sync API function proved cheap enough to run there,
        see :mod:`tiffin._runner._inline`).
        """
        runner = self.runner
        executor = runner._executor
        if executor is None:
            raise runner._not_started(self.name)
        if self._check_shape is not None:
            self._check_shape(args, self.name)
        loop = runner._loop
        if loop is not None and (self.batchable or not executor.local):
            if _inline.state.inline:  # a sync API function on the loop (see ``_inline``)
                if not executor.local:
                    raise _inline.InlineRefused(
                        f"runner {runner.name!r} runs in worker processes, which only the "
                        f"event loop can call; this sync API function ran on the loop"
                    )
                # a batch of one, right here: the whole function proved to cost at most
                # TIFFIN_API_INLINE_MAX_MS, so batching could save it less than its two thread
                # hops would cost. Counted, not timed: this is the hot path of a cheap API.
                self.metrics.inline_calls += 1
                return executor.call_sync(self.name, args, kwargs)[0]
            if not _in_loop(loop):
                dispatcher = self._dispatcher
                if executor.local and dispatcher is not None and dispatcher.executor is executor:
                    done, result = dispatcher.run_in_thread(args, kwargs)
                    if done:
                        return result
                _inline.state.away_s += self.cost.predict(1)  # the work happens elsewhere
                return asyncio.run_coroutine_threadsafe(
                    self.async_run(*args, **kwargs), loop
                ).result()
        if not executor.local:
            raise TiffinError(
                f"runner {runner.name!r}: call {self.name}.run(...) from a sync function, or "
                f"await {self.name}.async_run(...) from async code; a blocking call on the event "
                f"loop cannot wait for a worker process"
            )
        # no cost observed: it only decides where ``async_run`` calls run, which observe their own
        return executor.call_sync(self.name, args, kwargs)[0]

    def to_spec(self) -> dict[str, Any]:
        dim = self.batch_dim
        return {
            "name": self.name,
            "batchable": self.batchable,
            "batch_dim": list(dim) if isinstance(dim, tuple) else dim,
            "max_batch_size": self.max_batch_size,
            "max_latency_ms": self.max_latency_ms,
        }

    def __repr__(self) -> str:
        return f"RunnerMethod({self.runner_name!r}.{self.name}, batchable={self.batchable})"


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class Runner:
    """Serves a :class:`tiffin.Runnable` class: ``tiffin.Runner(MyRunnable, name="my")``.

    :param runnable_class: a subclass of :class:`tiffin.Runnable`.
    :param name: a tag-style name (lowercase letters, digits, ``-._``); defaults to the class
        name in lowercase. Metrics and bento manifests name the runner by it.
    :param runnable_init_params: keyword arguments for the runnable's constructor.
    :param models: the :class:`tiffin.Model` objects this runner serves (bentos pack them).
    :param max_batch_size: most rows per batch for batchable methods (default 100).
    :param max_latency_ms: most milliseconds a call may wait queued before its batch starts;
        a call that cannot start in time gets a 503 (default 10,000; see ``docs/runners.md``).
    :param method_configs: per-method overrides: ``{"predict": {"max_batch_size": 8}}``.
    :param workers: worker processes for a runnable that does not declare
        ``SUPPORTS_CPU_MULTI_THREADING``. By default one per CPU, at most
        :data:`MAX_DEFAULT_WORKERS` (as BentoML); on a single CPU, and with ``workers=0``, the
        runnable runs in-process, calls serialised behind a lock. The environment variable
        ``TIFFIN_RUNNER_WORKERS`` (``"2"`` or ``"name=2,other=1"``) overrides it at serve
        time. A multi-threading runnable always runs in-process.
    """

    def __init__(
        self,
        runnable_class: type[Runnable],
        *,
        name: str | None = None,
        runnable_init_params: dict[str, Any] | None = None,
        models: Sequence[Any] | None = None,
        max_batch_size: int | None = None,
        max_latency_ms: float | None = None,
        method_configs: dict[str, dict[str, Any]] | None = None,
        workers: int | None = None,
    ) -> None:
        if not (isinstance(runnable_class, type) and issubclass(runnable_class, Runnable)):
            raise InvalidArgument(
                f"tiffin.Runner expects a subclass of tiffin.Runnable, got {runnable_class!r}"
            )
        if name is None:
            name = runnable_class.__name__.lower()
            try:
                validate_name(name, what="runner name")
            except InvalidArgument:
                raise InvalidArgument(
                    f"the class name {runnable_class.__name__!r} does not make a valid runner "
                    f"name; pass name= (lowercase letters, digits, '-', '.' and '_')"
                ) from None
        self.name: str = validate_name(name, what="runner name")
        self.runnable_class = runnable_class
        if runnable_init_params is not None and not isinstance(runnable_init_params, dict):
            raise InvalidArgument(
                f"runnable_init_params must be a dict, got {runnable_init_params!r}"
            )
        self.runnable_init_params: dict[str, Any] = dict(runnable_init_params or {})
        self.models: list[Any] = list(models or [])
        for model in self.models:
            if not hasattr(model, "tag"):
                raise InvalidArgument(f"models must be tiffin.Model objects, got {model!r}")

        declared = runnable_methods(runnable_class)
        if not declared:
            raise InvalidArgument(
                f"runnable {runnable_class.__name__} declares no methods; mark at least one "
                f"with @tiffin.Runnable.method"
            )
        configs = dict(method_configs or {})
        unknown = sorted(set(configs) - set(declared))
        if unknown:
            raise InvalidArgument(
                f"method_configs names {unknown}, which runnable {runnable_class.__name__} does "
                f"not declare; its methods are {sorted(declared)}"
            )
        default_size = (
            DEFAULT_MAX_BATCH_SIZE
            if max_batch_size is None
            else _positive_int(max_batch_size, "max_batch_size")
        )
        default_latency = (
            DEFAULT_MAX_LATENCY_MS
            if max_latency_ms is None
            else _positive_ms(max_latency_ms, "max_latency_ms")
        )
        self.methods: dict[str, RunnerMethod] = {}
        for method_name, method in declared.items():
            options = configs.get(method_name) or {}
            if not isinstance(options, dict) or set(options) - set(_METHOD_OPTIONS):
                raise InvalidArgument(
                    f"method_configs[{method_name!r}] must be a dict with keys among "
                    f"{list(_METHOD_OPTIONS)}, got {options!r}"
                )
            size = options.get("max_batch_size")
            latency = options.get("max_latency_ms")
            self.methods[method_name] = RunnerMethod(
                self,
                method_name,
                method,
                default_size
                if size is None
                else _positive_int(size, f"{method_name}.max_batch_size"),
                default_latency
                if latency is None
                else _positive_ms(latency, f"{method_name}.max_latency_ms"),
            )
        if workers is not None:
            _workers(workers, "workers")
            if workers and getattr(runnable_class, "SUPPORTS_CPU_MULTI_THREADING", False):
                raise InvalidArgument(
                    f"runnable {runnable_class.__name__} declares SUPPORTS_CPU_MULTI_THREADING, so "
                    f"it runs in-process (one instance per server process); drop workers={workers}"
                )
        self.workers = workers
        self._executor: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock: asyncio.Lock | None = None
        for method_name, runner_method in self.methods.items():
            # ``runner.predict`` is looked up on every request: an instance attribute, not a
            # ``__getattr__`` call (a name the class itself uses still resolves to the class's)
            if not hasattr(type(self), method_name) and method_name not in self.__dict__:
                self.__dict__[method_name] = runner_method

    # -- methods -------------------------------------------------------------------------------

    def __getattr__(self, item: str) -> RunnerMethod:
        methods = self.__dict__.get("methods")
        if methods is not None and item in methods:
            return methods[item]
        if item.startswith("__") or methods is None:
            raise AttributeError(item)
        raise RunnerMethodNotFound(
            f"runner {self.name!r} has no method {item!r}; its methods are {sorted(methods)}"
        )

    def _call_method(self) -> RunnerMethod:
        """What ``runner.run(...)`` calls: ``__call__``, or the runnable's only method (BentoML's
        services guide calls ``runner.run(x)`` on a model runner with one method)."""
        method = self.methods.get("__call__")
        if method is not None:
            return method
        if len(self.methods) == 1:
            return next(iter(self.methods.values()))
        raise RunnerMethodNotFound(
            f"runner {self.name!r} has several methods, so runner.run() does not know which "
            f"to call; call one of them: "
            + ", ".join(f"runner.{m}.run(...)" for m in sorted(self.methods))
        )

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Call the runnable's ``__call__`` method, or its only method: ``runner.run(x)``."""
        return self._call_method().run(*args, **kwargs)

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        """``await runner.async_run(x)``: the async form of :meth:`run`."""
        return await self._call_method().async_run(*args, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------

    def _not_started(self, method: str) -> RunnerNotStarted:
        return RunnerNotStarted(
            f"runner {self.name!r} is not started, so {method}.run() has nothing to call: call "
            f"runner.init_local() to run it in this process (debugging), or serve it by passing "
            f"it to tiffin.Service(..., runners=[...]) and running `tiffin serve`"
        )

    @property
    def started(self) -> bool:
        return self._executor is not None

    def init_local(self) -> None:
        """Instantiate the runnable in this process, for debugging without a server."""
        if self._executor is not None:
            return
        executor = LocalExecutor(self.runnable_class, self.runnable_init_params, self.name)
        executor.start_sync(self.methods)
        self._executor = executor

    def destroy(self) -> None:
        """Undo ``init_local()``: drop the runnable instance."""
        if self._executor is not None and self._loop is None:
            self._executor.stop_sync()
            self._executor = None

    async def astart(self) -> None:
        """Start serving (the server calls this once per process at startup); idempotent."""
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            loop = asyncio.get_running_loop()
            if self._executor is not None:
                self._loop = loop
                return
            executor = self._make_executor()
            await executor.start(self.methods)
            self._executor = executor
            self._loop = loop

    async def astop(self) -> None:
        """Stop serving: queued calls get 503, the runnable is dropped; idempotent."""
        for method in self.methods.values():
            if method._dispatcher is not None:
                method._dispatcher.close()
                method._dispatcher = None
        executor, self._executor = self._executor, None
        self._loop = None
        if executor is not None:
            await executor.stop()

    def worker_count(self) -> int:
        """Worker processes this runner gets when served (0: in-process)."""
        if getattr(self.runnable_class, "SUPPORTS_CPU_MULTI_THREADING", False):
            return 0
        setting = os.environ.get("TIFFIN_RUNNER_WORKERS", "").strip()
        if setting:
            everyone: int | None = None
            for part in setting.split(","):
                key, sep, value = part.strip().rpartition("=")
                if not sep:
                    everyone = _workers(value, "TIFFIN_RUNNER_WORKERS")
                elif key.strip() == self.name:
                    return _workers(value, f"TIFFIN_RUNNER_WORKERS[{self.name}]")
            if everyone is not None:
                return everyone
        if self.workers is not None:
            return self.workers
        return default_workers()

    def _make_executor(self) -> Any:
        count = self.worker_count()
        if count:
            from tiffin._runner._remote import RemoteExecutor

            def on_death(method: str, reason: str) -> None:
                if method in self.methods:
                    self.methods[method].metrics.rejected(reason)

            return RemoteExecutor(self, count, on_death)
        return LocalExecutor(self.runnable_class, self.runnable_init_params, self.name)

    def _adapters(self) -> list[Any]:
        adapters = self.__dict__.get("_adapter_cache")
        if adapters is None:
            adapters = []
            from tiffin import _plugins

            for model in self.models:
                framework = getattr(getattr(model, "info", None), "framework", None)
                if framework:
                    try:
                        adapters.append(_plugins.framework(framework))
                    except TiffinError:
                        continue
            self.__dict__["_adapter_cache"] = adapters
        return adapters

    # -- description ---------------------------------------------------------------------------

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able description for bento manifests."""
        cls = self.runnable_class
        return {
            "name": self.name,
            "runnable": f"{cls.__module__}.{cls.__qualname__}",
            "supported_resources": list(getattr(cls, "SUPPORTED_RESOURCES", ())),
            "supports_cpu_multi_threading": bool(
                getattr(cls, "SUPPORTS_CPU_MULTI_THREADING", False)
            ),
            "methods": [m.to_spec() for m in self.methods.values()],
            "models": [str(m.tag) for m in self.models],
        }

    def __repr__(self) -> str:
        return f"Runner({self.name!r}, runnable={self.runnable_class.__name__}, methods={sorted(self.methods)})"
