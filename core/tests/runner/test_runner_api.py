"""The Runnable / Runner API as a user writes it: declare, init_local, run, async_run."""

from __future__ import annotations

import asyncio
from datetime import UTC

import numpy as np
import pytest

import tiffin
from tiffin.exceptions import InvalidArgument, TiffinError


class Doubler(tiffin.Runnable):
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, factor: int = 2) -> None:
        self.factor = factor

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x):
        return x * self.factor

    @tiffin.Runnable.method
    def describe(self, text: str) -> str:
        return f"{text} x{self.factor}"


class Callable_(tiffin.Runnable):
    @tiffin.Runnable.method(batchable=False)
    def __call__(self, x):
        return x + 1


def test_runner_defaults_and_methods() -> None:
    runner = tiffin.Runner(Doubler)
    assert runner.name == "doubler"
    assert set(runner.methods) == {"predict", "describe"}
    predict = runner.predict
    assert predict.batchable is True and predict.batch_dim == 0
    assert predict.max_batch_size == 100 and predict.max_latency_ms == 10_000
    assert runner.describe.batchable is False
    assert runner.models == []


def test_init_local_and_sync_run() -> None:
    runner = tiffin.Runner(Doubler, name="dbl", runnable_init_params={"factor": 3})
    runner.init_local()
    runner.init_local()  # idempotent
    np.testing.assert_array_equal(runner.predict.run(np.array([[1, 2]])), np.array([[3, 6]]))
    assert runner.describe.run("hi") == "hi x3"
    assert runner.describe.run(text="yo") == "yo x3"


def test_async_run() -> None:
    runner = tiffin.Runner(Doubler)
    runner.init_local()

    async def main():
        a = await runner.predict.async_run(np.arange(4).reshape(2, 2))
        b = await runner.describe.async_run("z")
        return a, b

    a, b = asyncio.run(main())
    np.testing.assert_array_equal(a, np.arange(4).reshape(2, 2) * 2)
    assert b == "z x2"


def test_call_runner_run_and_async_run() -> None:
    runner = tiffin.Runner(Callable_, name="plus-one")
    runner.init_local()
    assert runner.run(1) == 2
    assert asyncio.run(runner.async_run(41)) == 42
    assert runner.__call__ is not None


def test_run_on_a_runner_with_several_methods_says_which_exist() -> None:
    runner = tiffin.Runner(Doubler)
    runner.init_local()
    with pytest.raises(
        TiffinError, match=r"several methods.*runner\.describe\.run.*runner\.predict\.run"
    ):
        runner.run(1)
    with pytest.raises(TiffinError, match="several methods"):
        asyncio.run(runner.async_run(1))


def test_run_on_a_runner_with_one_method_calls_it() -> None:
    class OneMethod(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def predict(self, x):
            return x * 3

    runner = tiffin.Runner(OneMethod, name="one")
    runner.init_local()
    np.testing.assert_array_equal(runner.run(np.ones((1, 2))), np.full((1, 2), 3.0))
    np.testing.assert_array_equal(
        asyncio.run(runner.async_run(np.ones((2, 1)))), np.full((2, 1), 3.0)
    )


def test_run_before_init_is_a_clear_error() -> None:
    runner = tiffin.Runner(Doubler)
    with pytest.raises(TiffinError, match="init_local"):
        runner.predict.run(np.ones((1, 1)))
    with pytest.raises(TiffinError, match="init_local"):
        asyncio.run(runner.predict.async_run(np.ones((1, 1))))


def test_unknown_method_is_a_clear_attribute_error() -> None:
    runner = tiffin.Runner(Doubler)
    with pytest.raises(AttributeError, match="predict") as info:
        runner.nope  # noqa: B018
    assert isinstance(info.value, TiffinError)
    assert not hasattr(runner, "nope")


def test_method_usable_as_a_plain_function_wrapper() -> None:
    def forward(self, x):
        return x - 1

    cls = type(
        "Dynamic",
        (tiffin.Runnable,),
        {
            "SUPPORTS_CPU_MULTI_THREADING": True,
            "predict": tiffin.Runnable.method(forward, batchable=True, batch_dim=0),
        },
    )

    class Late(tiffin.Runnable):
        pass

    Late.add_method(forward, "shrink", batchable=True, batch_dim=(0, 1))
    runner = tiffin.Runner(cls, name="dyn")
    runner.init_local()
    assert runner.predict.run(5) == 4
    late = tiffin.Runner(Late)
    assert late.shrink.batch_dim == (0, 1)
    late.init_local()
    assert late.shrink.run(10) == 9


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument, match=r"subclass of tiffin\.Runnable"):
        tiffin.Runner(object)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="runner name"):
        tiffin.Runner(Doubler, name="Bad Name")
    with pytest.raises(InvalidArgument, match="max_batch_size"):
        tiffin.Runner(Doubler, max_batch_size=0)
    with pytest.raises(InvalidArgument, match="max_latency_ms"):
        tiffin.Runner(Doubler, max_latency_ms=-1)
    with pytest.raises(InvalidArgument, match="does not declare"):
        tiffin.Runner(Doubler, method_configs={"nope": {"max_batch_size": 2}})
    with pytest.raises(InvalidArgument, match="batchable"):
        tiffin.Runnable.method(lambda self: None, batchable="yes")  # type: ignore[arg-type]

    class Empty(tiffin.Runnable):
        pass

    with pytest.raises(InvalidArgument, match="declares no methods"):
        tiffin.Runner(Empty)


def test_method_configs_override_per_method() -> None:
    runner = tiffin.Runner(
        Doubler,
        max_batch_size=64,
        max_latency_ms=50,
        method_configs={"predict": {"max_batch_size": 8}},
    )
    assert runner.predict.max_batch_size == 8
    assert runner.predict.max_latency_ms == 50
    assert runner.describe.max_batch_size == 64


def test_to_spec_is_json_able() -> None:
    import json

    runner = tiffin.Runner(Doubler, name="dbl", max_batch_size=16)
    spec = json.loads(json.dumps(runner.to_spec()))
    assert spec["name"] == "dbl"
    assert spec["runnable"].endswith("Doubler")
    assert spec["supports_cpu_multi_threading"] is True
    assert {m["name"]: m["max_batch_size"] for m in spec["methods"]} == {
        "predict": 16,
        "describe": 16,
    }
    assert spec["models"] == []


def test_astart_astop_lifecycle_is_idempotent() -> None:
    runner = tiffin.Runner(Doubler)

    async def main():
        await runner.astart()
        await runner.astart()
        out = await runner.predict.async_run(np.ones((1, 2)))
        await runner.astop()
        await runner.astop()
        return out

    np.testing.assert_array_equal(asyncio.run(main()), np.full((1, 2), 2.0))
    assert not runner.started
    with pytest.raises(TiffinError, match="not started"):
        runner.describe.run("x")


def test_sync_run_from_threads_while_served_gives_each_its_result() -> None:
    runner = tiffin.Runner(Doubler)

    async def main():
        await runner.astart()
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(
            *[loop.run_in_executor(None, runner.predict.run, np.full((1, 2), i)) for i in range(8)]
        )
        await runner.astop()
        return results

    results = asyncio.run(main())
    assert [int(r[0, 0]) for r in results] == [2 * i for i in range(8)]


def test_not_thread_safe_runnable_is_never_called_concurrently() -> None:
    import threading
    import time

    class Unsafe(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = False

        def __init__(self) -> None:
            self.active = 0
            self.most = 0
            self.lock = threading.Lock()

        @tiffin.Runnable.method
        def work(self, x):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
            time.sleep(0.005)
            with self.lock:
                self.active -= 1
            return x

    runner = tiffin.Runner(Unsafe, workers=0)  # in-process: one instance behind a lock

    async def main():
        await runner.astart()
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *[runner.work.async_run(i) for i in range(10)],
            *[loop.run_in_executor(None, runner.work.run, i) for i in range(10)],
        )
        most = runner._executor.instance.most
        await runner.astop()
        return most

    assert asyncio.run(main()) == 1


def test_model_to_runner_uses_the_adapters_runnable(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from datetime import datetime

    from tiffin import _plugins
    from tiffin._model import Model, ModelInfo

    class FakeAdapter:
        name = "fake"

        def runnable(self, model):
            return Doubler

    monkeypatch.setattr(_plugins, "framework", lambda name: FakeAdapter())
    info = ModelInfo(
        name="my-model",
        version="v1",
        framework="fake",
        framework_version="1",
        python_version="3.11",
        tiffin_version="0.1.0",
        created_at=datetime.now(UTC),
    )
    model = Model(info, tmp_path)
    runner = model.to_runner(max_batch_size=7)
    assert runner.name == "my-model"
    assert runner.models == [model]
    assert runner.predict.max_batch_size == 7
    assert runner.to_spec()["models"] == ["my-model:v1"]
    assert model.to_runner(name="other").name == "other"


def test_input_shape_is_validated_when_declared() -> None:
    with pytest.raises(InvalidArgument, match="input_shape must be a list of dims"):
        tiffin.Runnable.method(lambda self, x: x, input_shape=(-1, 0))
    with pytest.raises(InvalidArgument, match="input_shape must be a list of dims"):
        tiffin.Runnable.method(lambda self, x: x, input_shape="4")
