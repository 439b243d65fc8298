"""Runners in worker processes: placement, binary payloads, supervision and restarts."""

from __future__ import annotations

import asyncio
import os
import time

import numpy as np
import pytest
from prometheus_client import REGISTRY

import tiffin
from tiffin.exceptions import BadInput, InvalidArgument, ServiceUnavailable, TiffinError


class Unsafe(tiffin.Runnable):
    SUPPORTS_CPU_MULTI_THREADING = False

    def __init__(self, fail: bool = False) -> None:
        if fail:
            raise RuntimeError("cannot load the model file")

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x):
        time.sleep(0.01)
        return x * 2

    @tiffin.Runnable.method
    def pid(self) -> int:
        return os.getpid()

    @tiffin.Runnable.method
    def echo(self, *args, **kwargs):
        return args, kwargs

    @tiffin.Runnable.method
    def fail(self):
        raise KeyError("no such row")

    @tiffin.Runnable.method
    def die(self):
        os._exit(3)


def served(runner, coro_fn):
    async def main():
        await runner.astart()
        try:
            return await coro_fn()
        finally:
            await runner.astop()

    return asyncio.run(main())


def test_a_runnable_that_is_not_thread_safe_runs_in_its_worker_processes() -> None:
    runner = tiffin.Runner(Unsafe, name="procs", workers=2)

    async def go():
        return set(await asyncio.gather(*[runner.pid.async_run() for _ in range(20)]))

    pids = served(runner, go)
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_batching_across_workers_gives_each_caller_its_rows() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-batch", workers=2, max_batch_size=8)
    inputs = [np.full((i % 3 + 1, 2), i, dtype=np.float32) for i in range(40)]

    async def go():
        return await asyncio.gather(*[runner.predict.async_run(x) for x in inputs])

    outs = served(runner, go)
    for x, out in zip(inputs, outs, strict=True):
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, x * 2)
    out = outs[0]
    out[0, 0] = 7  # results are ordinary writable arrays
    assert runner.predict.dispatcher is None  # closed on stop


def test_payloads_round_trip_exactly() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-payload", workers=1)
    big = np.random.default_rng(0).standard_normal((512, 1024))  # 4 MiB

    async def go():
        return await runner.echo.async_run(
            big, np.array(2.5), [1, "a"], key={"k": (1, 2)}, empty=np.zeros((0, 3))
        )

    args, kwargs = served(runner, go)
    np.testing.assert_array_equal(args[0], big)
    assert args[1] == np.array(2.5) and args[1].shape == ()
    assert args[2] == [1, "a"]
    assert kwargs["key"] == {"k": (1, 2)}
    assert kwargs["empty"].shape == (0, 3)


def test_an_exception_in_a_worker_reaches_the_caller_with_its_type() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-error", workers=1)

    async def go():
        with pytest.raises(KeyError, match="no such row"):
            await runner.fail.async_run()
        return await runner.pid.async_run()  # the worker goes on serving

    assert served(runner, go) != os.getpid()


def test_a_dead_worker_fails_its_call_with_503_and_is_replaced() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-die", workers=1)
    labels = {"runner": "procs-die", "method": "die", "reason": "worker_died"}
    before = REGISTRY.get_sample_value("tiffin_runner_rejections_total", labels) or 0

    async def go():
        first = await runner.pid.async_run()
        with pytest.raises(ServiceUnavailable, match="died"):
            await runner.die.async_run()
        for _ in range(200):  # the replacement is forked in the background
            try:
                return first, await runner.pid.async_run()
            except ServiceUnavailable:
                await asyncio.sleep(0.02)
        raise AssertionError("no replacement worker")

    first, second = served(runner, go)
    assert first != second
    assert REGISTRY.get_sample_value("tiffin_runner_rejections_total", labels) == before + 1


def test_a_runnable_failing_to_start_in_a_worker_is_a_clear_error() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-bad", workers=1, runnable_init_params={"fail": True})

    async def go():
        return None

    with pytest.raises(TiffinError, match="cannot load the model file"):
        served(runner, go)
    assert not runner.started


def test_sync_run_from_a_thread_reaches_the_workers() -> None:
    runner = tiffin.Runner(Unsafe, name="procs-sync", workers=1)

    async def go():
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, runner.pid.run)

    assert served(runner, go) != os.getpid()


def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tiffin._runner._runner import default_workers

    runner = tiffin.Runner(Unsafe, name="envy")
    assert runner.worker_count() == default_workers()
    assert tiffin.Runner(Unsafe, name="envy", workers=0).worker_count() == 0
    monkeypatch.setenv("TIFFIN_RUNNER_WORKERS", "3")
    assert runner.worker_count() == 3
    monkeypatch.setenv("TIFFIN_RUNNER_WORKERS", "other=1,envy=2")
    assert runner.worker_count() == 2
    monkeypatch.setenv("TIFFIN_RUNNER_WORKERS", "envy=lots")
    with pytest.raises(InvalidArgument, match="TIFFIN_RUNNER_WORKERS"):
        runner.worker_count()


def test_multi_threading_runnables_always_run_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class Safe(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method
        def pid(self) -> int:
            return os.getpid()

    with pytest.raises(InvalidArgument, match="in-process"):
        tiffin.Runner(Safe, workers=2)
    monkeypatch.setenv("TIFFIN_RUNNER_WORKERS", "2")
    runner = tiffin.Runner(Safe)
    assert runner.worker_count() == 0

    async def go():
        return await runner.pid.async_run()

    assert served(runner, go) == os.getpid()


def test_unbatched_calls_waiting_for_a_busy_worker_are_bounded_by_max_latency() -> None:
    class Slow(tiffin.Runnable):
        @tiffin.Runnable.method
        def work(self, x):
            time.sleep(0.05)
            return x

    runner = tiffin.Runner(Slow, name="procs-slow", workers=1, max_latency_ms=120)

    async def go():
        for i in range(3):  # learn: ~50 ms per call
            assert await runner.work.async_run(i) == i
        return await asyncio.gather(
            *[runner.work.async_run(i) for i in range(12)], return_exceptions=True
        )

    outs = served(runner, go)
    assert any(isinstance(o, ServiceUnavailable) for o in outs)
    assert [o for o in outs if not isinstance(o, Exception)] == [
        i for i, o in enumerate(outs) if not isinstance(o, Exception)
    ]


def test_default_workers_are_one_per_cpu_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from tiffin._runner import _runner

    monkeypatch.setattr(_runner.os, "sched_getaffinity", lambda pid: set(range(4)))
    assert tiffin.Runner(Unsafe, name="four").worker_count() == 4
    monkeypatch.setattr(_runner.os, "sched_getaffinity", lambda pid: set(range(64)))
    assert tiffin.Runner(Unsafe, name="many").worker_count() == _runner.MAX_DEFAULT_WORKERS
    monkeypatch.setattr(_runner.os, "sched_getaffinity", lambda pid: {0})
    assert tiffin.Runner(Unsafe, name="one").worker_count() == 0  # a lone worker adds only a hop
    assert tiffin.Runner(Unsafe, name="set", workers=3).worker_count() == 3


class FourWide(tiffin.Runnable):
    SUPPORTS_CPU_MULTI_THREADING = False

    @tiffin.Runnable.method(batchable=True, input_shape=(-1, 4))
    def predict(self, x):
        return x.sum(axis=1)


def test_a_wrong_shape_is_bad_input_before_it_reaches_a_worker() -> None:
    runner = tiffin.Runner(FourWide, name="procs-shape", workers=1)

    async def go():
        with pytest.raises(BadInput, match=r"expected input of shape \(-1, 4\), got \(2, 3\)"):
            await runner.predict.async_run(np.ones((2, 3)))
        return await runner.predict.async_run(np.ones((2, 4)))

    assert served(runner, go).tolist() == [4.0, 4.0]
