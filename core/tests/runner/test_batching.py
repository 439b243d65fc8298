"""Adaptive batching with real concurrency: many calls gathered on one event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from prometheus_client import REGISTRY

import tiffin
from tiffin.exceptions import ServiceUnavailable, TiffinError


class Recorder(tiffin.Runnable):
    """Doubles its input after a fixed delay, recording every batch it was given."""

    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.batches: list = []
        self.lock = threading.Lock()

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x):
        with self.lock:
            self.batches.append(x.copy() if hasattr(x, "copy") else list(x))
        time.sleep(self.delay)
        if isinstance(x, np.ndarray) and (x < 0).any():
            raise ValueError("negative input")
        return x * 2 if isinstance(x, np.ndarray) else [v * 2 for v in x]

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def pair(self, x):
        time.sleep(self.delay)
        return x + 1, x - 1

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def drop_row(self, x):
        time.sleep(self.delay)
        return x[1:]


def served(runner, coro_fn):
    async def main():
        await runner.astart()
        try:
            return await coro_fn()
        finally:
            await runner.astop()

    return asyncio.run(main())


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def instance(runner):
    return runner._executor.instance


def test_every_caller_gets_exactly_its_rows_in_order() -> None:
    runner = tiffin.Runner(Recorder, name="order", max_batch_size=16)
    inputs = [np.arange(i, i + 3 * (i % 3 + 1), dtype=np.float64).reshape(-1, 3) for i in range(60)]

    async def go():
        outs = await asyncio.gather(*[runner.predict.async_run(x) for x in inputs])
        return outs, list(instance(runner).batches)

    outs, batches = served(runner, go)
    for x, out in zip(inputs, outs, strict=True):
        np.testing.assert_array_equal(out, x * 2)
    rows = [len(b) for b in batches]
    assert sum(rows) == sum(len(x) for x in inputs)
    assert max(rows) <= 16
    assert len(batches) < len(inputs) / 2  # a burst is served in few calls


def test_max_batch_size_is_respected_and_a_bigger_call_runs_alone() -> None:
    runner = tiffin.Runner(Recorder, name="cap", max_batch_size=4)
    inputs = [np.full((1, 2), i, dtype=np.float64) for i in range(20)] + [np.ones((9, 2))]

    async def go():
        outs = await asyncio.gather(*[runner.predict.async_run(x) for x in inputs])
        return outs, list(instance(runner).batches)

    outs, batches = served(runner, go)
    assert [o.shape[0] for o in outs] == [1] * 20 + [9]
    sizes = [len(b) for b in batches]
    assert 9 in sizes
    assert all(s <= 4 for s in sizes if s != 9)


def test_an_exception_fails_only_the_calls_of_its_batch() -> None:
    runner = tiffin.Runner(Recorder, name="iso", max_batch_size=4)
    inputs = [np.full((1, 1), i, dtype=np.float64) for i in range(1, 25)]
    inputs[9] = np.full((1, 1), -1.0)  # poison

    async def go():
        outs = await asyncio.gather(
            *[runner.predict.async_run(x) for x in inputs], return_exceptions=True
        )
        return outs, list(instance(runner).batches)

    outs, batches = served(runner, go)
    poisoned = next(b for b in batches if (b < 0).any())
    poisoned_values = set(poisoned.ravel().tolist())
    assert 1 <= len(poisoned_values) <= 4
    for x, out in zip(inputs, outs, strict=True):
        if x[0, 0] in poisoned_values:
            assert isinstance(out, ValueError)
        else:
            np.testing.assert_array_equal(out, x * 2)
    assert sum(not isinstance(o, Exception) for o in outs) >= 20


def test_different_trailing_shapes_dtypes_and_containers_are_never_mixed() -> None:
    runner = tiffin.Runner(Recorder, name="mix", max_batch_size=64)
    inputs = []
    for i in range(40):
        kind = i % 4
        if kind == 0:
            inputs.append(np.full((1, 3), i, dtype=np.float64))
        elif kind == 1:
            inputs.append(np.full((2, 4), i, dtype=np.float64))
        elif kind == 2:
            inputs.append(np.full((1, 3), i, dtype=np.int32))
        else:
            inputs.append([i, i])

    async def go():
        outs = await asyncio.gather(*[runner.predict.async_run(x) for x in inputs])
        return outs, list(instance(runner).batches)

    outs, batches = served(runner, go)
    for x, out in zip(inputs, outs, strict=True):
        if isinstance(x, list):
            assert out == [v * 2 for v in x]
        else:
            assert out.dtype == x.dtype
            np.testing.assert_array_equal(out, x * 2)
    kinds = set()
    for b in batches:
        if isinstance(b, list):
            kinds.add("list")
        else:
            kinds.add((b.shape[1:], b.dtype.str))
    assert kinds == {"list", ((3,), "<f8"), ((4,), "<f8"), ((3,), "<i4")}
    assert len(batches) < len(inputs)


def test_lists_batch_too() -> None:
    runner = tiffin.Runner(Recorder, name="lists", max_batch_size=100)

    async def go():
        return await asyncio.gather(*[runner.predict.async_run([i, i + 1]) for i in range(30)])

    outs = served(runner, go)
    assert outs == [[2 * i, 2 * i + 2] for i in range(30)]


def test_tuple_outputs_are_split_per_caller() -> None:
    runner = tiffin.Runner(Recorder, name="pairs")

    async def go():
        return await asyncio.gather(*[runner.pair.async_run(np.full((1, 2), i)) for i in range(10)])

    outs = served(runner, go)
    for i, (plus, minus) in enumerate(outs):
        np.testing.assert_array_equal(plus, np.full((1, 2), i + 1))
        np.testing.assert_array_equal(minus, np.full((1, 2), i - 1))


def test_a_method_returning_the_wrong_number_of_rows_fails_its_batch_clearly() -> None:
    runner = tiffin.Runner(Recorder, name="badrows")

    async def go():
        return await asyncio.gather(
            *[runner.drop_row.async_run(np.ones((1, 2))) for _ in range(6)], return_exceptions=True
        )

    outs = served(runner, go)
    errors = [o for o in outs if isinstance(o, TiffinError)]
    assert errors and "one output row per input row" in str(errors[0])


def test_a_lone_request_is_dispatched_without_waiting() -> None:
    runner = tiffin.Runner(Recorder, name="lone", runnable_init_params={"delay": 0.002})

    async def go():
        # warm up the cost model with a burst, then let requests arrive sparsely
        await asyncio.gather(*[runner.predict.async_run(np.ones((1, 1))) for _ in range(8)])
        for _ in range(5):
            await asyncio.sleep(0.05)
            await runner.predict.async_run(np.ones((1, 1)))
        return dict(runner.predict.dispatcher.decisions), runner.predict.cost

    wait_before = metric("tiffin_runner_queue_wait_seconds_sum", runner="lone", method="predict")
    decisions, cost = served(runner, go)
    assert cost.count >= 3
    assert decisions.get("sparse", 0) >= 4  # learned: requests are rarer than a call's fixed cost
    assert "waited" not in decisions
    # the lone calls never queued: their wait was recorded as zero
    waits = (
        metric("tiffin_runner_queue_wait_seconds_sum", runner="lone", method="predict")
        - wait_before
    )
    assert waits < 0.5


def test_waiting_for_company_never_exceeds_the_learned_fixed_cost() -> None:
    runner = tiffin.Runner(
        Recorder, name="company", runnable_init_params={"delay": 0.01}, max_batch_size=1000
    )

    async def go():
        await asyncio.gather(*[runner.predict.async_run(np.ones((1, 1))) for _ in range(4)])
        for _ in range(3):
            await runner.predict.async_run(np.ones((1, 1)))
        # dense arrivals: calls trickle in faster than the fixed cost, so the dispatcher waits
        tasks = []
        for _ in range(20):
            tasks.append(asyncio.ensure_future(runner.predict.async_run(np.ones((1, 1)))))
            await asyncio.sleep(0.0005)
        await asyncio.gather(*tasks)
        return runner.predict.cost, dict(runner.predict.dispatcher.decisions)

    before = metric(
        "tiffin_runner_queue_wait_seconds_bucket", runner="company", method="predict", le="0.5"
    )
    cost, decisions = served(runner, go)
    after = metric(
        "tiffin_runner_queue_wait_seconds_bucket", runner="company", method="predict", le="0.5"
    )
    assert cost.a <= 0.1
    # every one of the 27 calls started within 500 ms (generous: a is ~10 ms here)
    assert after - before == 27
    assert sum(decisions.values()) < 27


def test_calls_that_cannot_start_within_max_latency_get_503_and_are_counted() -> None:
    runner = tiffin.Runner(
        Recorder,
        name="shed",
        runnable_init_params={"delay": 0.03},
        max_batch_size=1,
        max_latency_ms=100,
    )

    async def go():
        for _ in range(3):  # learn the cost: ~30 ms per call
            await runner.predict.async_run(np.ones((1, 1)))
        return await asyncio.gather(
            *[runner.predict.async_run(np.full((1, 1), i)) for i in range(20)],
            return_exceptions=True,
        )

    def rejections(reason: str) -> float:
        return metric(
            "tiffin_runner_rejections_total", runner="shed", method="predict", reason=reason
        )

    before = {r: rejections(r) for r in ("predicted", "expired")}
    outs = served(runner, go)
    counted = {r: rejections(r) - before[r] for r in before}
    rejected = [o for o in outs if isinstance(o, ServiceUnavailable)]
    served_ok = [o for o in outs if isinstance(o, np.ndarray)]
    assert rejected and served_ok
    assert len(rejected) + len(served_ok) == 20
    # most are refused on arrival; on a busy machine an admitted call may still expire queued
    assert counted["predicted"] >= 10
    assert counted["predicted"] + counted["expired"] == len(rejected)
    assert rejected[0].status_code == 503
    assert "max_latency_ms=100" in str(rejected[0])


def test_queued_calls_expire_when_the_model_stalls() -> None:
    runner = tiffin.Runner(
        Recorder, name="stall", runnable_init_params={"delay": 0.003}, max_latency_ms=80
    )

    async def go():
        for _ in range(4):
            await runner.predict.async_run(np.ones((1, 1)))
        instance(runner).delay = 0.4  # the model suddenly takes far longer than learned
        first = asyncio.ensure_future(runner.predict.async_run(np.ones((1, 1))))
        await asyncio.sleep(0.01)
        queued = [
            asyncio.ensure_future(runner.predict.async_run(np.ones((1, 1)))) for _ in range(3)
        ]
        return await asyncio.gather(first, *queued, return_exceptions=True)

    before = metric(
        "tiffin_runner_rejections_total", runner="stall", method="predict", reason="expired"
    )
    outs = served(runner, go)
    after = metric(
        "tiffin_runner_rejections_total", runner="stall", method="predict", reason="expired"
    )
    assert isinstance(outs[0], np.ndarray)  # a started call is never cancelled
    assert all(isinstance(o, ServiceUnavailable) for o in outs[1:])
    assert "waited" in str(outs[1])
    assert after - before == 3


def test_stopping_fails_queued_calls_with_503() -> None:
    runner = tiffin.Runner(Recorder, name="stopping", runnable_init_params={"delay": 0.1})

    async def main():
        await runner.astart()
        first = asyncio.ensure_future(runner.predict.async_run(np.ones((1, 1))))
        await asyncio.sleep(0.01)
        queued = asyncio.ensure_future(runner.predict.async_run(np.ones((1, 1))))
        await asyncio.sleep(0.01)
        await runner.astop()
        return await asyncio.gather(first, queued, return_exceptions=True)

    first, queued = asyncio.run(main())
    assert isinstance(first, np.ndarray)  # a call that started finishes
    assert isinstance(queued, ServiceUnavailable)


def test_batch_size_metric_moves() -> None:
    runner = tiffin.Runner(Recorder, name="metered")
    before = metric("tiffin_runner_batch_size_count", runner="metered", method="predict")

    async def go():
        await asyncio.gather(*[runner.predict.async_run(np.ones((1, 1))) for _ in range(10)])

    served(runner, go)
    after = metric("tiffin_runner_batch_size_count", runner="metered", method="predict")
    rows = metric("tiffin_runner_batch_size_sum", runner="metered", method="predict")
    assert 1 <= after - before < 10
    assert rows == 10


@pytest.mark.parametrize("bad_rows", [[np.ones((2, 1)), np.ones((3, 1))]])
def test_arguments_of_one_call_must_agree_on_rows(bad_rows) -> None:
    class Two(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method(batchable=True)
        def add(self, a, b):
            return a + b

    runner = tiffin.Runner(Two)

    async def go():
        return await runner.add.async_run(*bad_rows)

    with pytest.raises(TiffinError, match="same number of rows"):
        served(runner, go)


def test_sync_callers_in_threads_share_batches_when_the_model_is_busy() -> None:
    from concurrent.futures import ThreadPoolExecutor

    runner = tiffin.Runner(Recorder, name="sync-threads", runnable_init_params={"delay": 0.03})
    pool = ThreadPoolExecutor(16)

    async def go():
        await runner.predict.async_run(np.zeros((1, 2)))  # the dispatcher now exists
        loop = asyncio.get_running_loop()
        outs = await asyncio.gather(
            *[loop.run_in_executor(pool, runner.predict.run, np.full((1, 2), i)) for i in range(16)]
        )
        return outs, list(instance(runner).batches)

    try:
        outs, batches = served(runner, go)
    finally:
        pool.shutdown()
    for i, out in enumerate(outs):
        np.testing.assert_array_equal(out, np.full((1, 2), 2 * i))
    assert len(batches) - 1 < 16  # the 16 threaded calls shared batches


def test_waiting_for_company_stops_when_waits_find_none() -> None:
    from tiffin._runner._batching import _TICK, _WAIT
    from tiffin._runner._containers import CallShape

    runner = tiffin.Runner(Recorder, name="nocompany", runnable_init_params={"delay": 0.0})

    async def go():
        await runner.predict.async_run(np.ones((1, 1)))
        dispatcher = runner.predict.dispatcher
        for _ in range(5):
            dispatcher.cost.observe(1, 0.01)  # a call costs ~10 ms, all of it fixed
        dispatcher.gap = 0.001  # and calls have been arriving every ms
        shape = CallShape((np.ones((1, 1)),), {}, 0)
        # worth waiting for company: to the end of the loop's turn, or on a timer in a thread
        assert dispatcher._decide_alone(shape) == _TICK
        assert dispatcher._decide_alone(shape, tick=False) == _WAIT
        dispatcher.wait_success = 0.0  # but recent waits found none
        return [dispatcher._decide_alone(shape, tick=i % 2 == 0) for i in range(32)]

    decisions = served(runner, go)
    assert decisions.count(_TICK) + decisions.count(_WAIT) == 2  # only probes: 1 chance in 16
    assert decisions.count("no_company") == 30


def test_pandas_frames_batch_and_come_back_whole() -> None:
    pd = pytest.importorskip("pandas")

    class Frames(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = True

        def __init__(self) -> None:
            self.sizes: list[int] = []

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def score(self, df):
            self.sizes.append(len(df))
            time.sleep(0.01)
            return df.assign(total=df["a"] + df["b"])

    runner = tiffin.Runner(Frames, name="frames")
    frames = [
        pd.DataFrame({"a": [i, i + 1], "b": [10 * i, 0]}, index=[f"r{i}", f"s{i}"])
        for i in range(20)
    ]

    async def go():
        outs = await asyncio.gather(*[runner.score.async_run(f) for f in frames])
        return outs, list(instance(runner).sizes)

    outs, sizes = served(runner, go)
    for frame, out in zip(frames, outs, strict=True):
        pd.testing.assert_frame_equal(out, frame.assign(total=frame["a"] + frame["b"]))
    assert len(sizes) < 20 and sum(sizes) == 40
