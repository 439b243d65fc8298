"""Runners over torch models: numpy in/out, tensors, inference mode, devices, threads, batching."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest
import torch

import tiffin
from tiffin.exceptions import InvalidArgument

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


def net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Dropout(0.5), torch.nn.ReLU(), torch.nn.Linear(6, 2)
    )


def reference(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    module.eval()
    with torch.no_grad():
        return module(torch.as_tensor(x, dtype=torch.float32)).numpy()


def started(**runner_options) -> tuple[torch.nn.Module, tiffin.Runner]:
    module = net()
    saved = tiffin.torch.save_model("net", module, signatures={"__call__": {"batchable": True}})
    runner = tiffin.torch.get(saved.tag).to_runner(**runner_options)
    runner.init_local()
    return module, runner


def test_numpy_in_gives_numpy_out_in_the_models_dtype() -> None:
    module, runner = started()
    x = np.linspace(-1, 1, 20).reshape(5, 4)  # float64, as JSON input arrives
    out = runner.run(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (5, 2)
    np.testing.assert_allclose(out, reference(module, x), rtol=1e-6)
    # eval mode: dropout is off, so the same input always gives the same output
    np.testing.assert_array_equal(runner.run(x), out)


def test_tensors_in_give_inference_tensors_out() -> None:
    module, runner = started()
    x = torch.linspace(-1, 1, 12).reshape(3, 4)
    out = runner.run(x)
    assert isinstance(out, torch.Tensor)
    assert out.is_inference(), "runner calls must run under torch.inference_mode()"
    assert out.device.type == "cpu"
    np.testing.assert_allclose(out.numpy(), reference(module, x.numpy()), rtol=1e-6)


def test_runner_is_thread_safe_and_in_process() -> None:
    module, runner = started()
    assert runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING is True
    assert "nvidia.com/gpu" in runner.runnable_class.SUPPORTED_RESOURCES
    inputs = [np.full((n, 4), n / 10) for n in (1, 2, 3, 4, 5, 6)]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(runner.run, inputs))
    for x, got in zip(inputs, results, strict=True):
        np.testing.assert_allclose(got, reference(module, x), rtol=1e-5, atol=1e-6)


def test_cpu_resources_set_the_thread_count() -> None:
    before = torch.get_num_threads()
    try:
        _, runner = started(runnable_init_params={"resources": {"cpu": 1.5}})
        assert torch.get_num_threads() == 2
        assert runner.run(np.ones((2, 4))).shape == (2, 2)
    finally:
        torch.set_num_threads(before)


def test_device_defaults_to_cpu_and_bad_devices_are_clear() -> None:
    _, runner = started(runnable_init_params={"resources": {"nvidia.com/gpu": 1}})
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    assert runner._executor.instance.device_id == expected
    tiffin.torch.save_model("lin", torch.nn.Linear(4, 2))
    with pytest.raises(InvalidArgument, match="not a torch device"):
        tiffin.torch.load_model("lin", device_id="gpu please")
    with pytest.raises(InvalidArgument, match="serves on 'cpu' or 'cuda'"):
        tiffin.torch.load_model("lin", device_id="meta")


@pytest.mark.gpu  # the allow-list of skips in CI: this one runs where no GPU is
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_asking_for_cuda_without_cuda_is_a_clear_error() -> None:
    tiffin.torch.save_model("lin", torch.nn.Linear(4, 2))
    with pytest.raises(InvalidArgument, match="no CUDA device"):
        tiffin.torch.load_model("lin", device_id="cuda:0")


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("fmt", ["pickle", "export", "state_dict"])
def test_cuda_load_and_runner(fmt: str) -> None:
    module = net()
    example = torch.ones(2, 4) if fmt == "export" else None
    tiffin.torch.save_model("net", module, format=fmt, example_input=example)
    kwargs = {"module": net()} if fmt == "state_dict" else {}
    loaded = tiffin.torch.load_model("net", device_id="cuda:0", **kwargs)
    x = np.linspace(-1, 1, 20).reshape(5, 4).astype(np.float32)
    with torch.inference_mode():
        out = loaded(torch.from_numpy(x).to("cuda:0"))
    assert out.device.type == "cuda"
    np.testing.assert_allclose(out.cpu().numpy(), reference(module, x), rtol=1e-4, atol=1e-5)

    runner = tiffin.torch.get("net").to_runner(
        runnable_init_params={"resources": {"nvidia.com/gpu": 1}, **kwargs}
    )
    runner.init_local()
    got = runner.run(x)
    assert isinstance(got, np.ndarray)  # numpy in, numpy out, back from the GPU
    np.testing.assert_allclose(got, reference(module, x), rtol=1e-4, atol=1e-5)
    back = runner.run(torch.from_numpy(x))
    assert back.device.type == "cpu"  # tensors come back where they came from


def test_export_format_runner_batches_any_size() -> None:
    module = net()
    tiffin.torch.save_model(
        "exported",
        module,
        example_input=torch.ones(3, 4),
        signatures={"forward": {"batchable": True}},
    )
    runner = tiffin.torch.get("exported").to_runner()
    runner.init_local()
    for rows in (1, 7):
        x = np.linspace(0, 1, rows * 4).reshape(rows, 4)
        np.testing.assert_allclose(runner.forward.run(x), reference(module, x), rtol=1e-6)
