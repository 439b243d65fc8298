"""tiffin.onnx as a user calls it: save a graph (proto, bytes or file), load a session, run it
through a runner, and the one-line errors on the way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import tiffin
from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.frameworks import FrameworkAdapter, SupportsSignatureTarget
from tiffin.testing.fixtures import run_cli

from .models import iris, iris_onnx, torch_onnx, torch_two_onnx


def started(tag: str, **options):
    runner = tiffin.onnx.get(tag).to_runner(**options)
    runner.init_local()
    return runner


def test_tiffin_onnx_is_the_adapter_and_declares_the_capability() -> None:
    adapter = tiffin.onnx
    assert isinstance(adapter, FrameworkAdapter)
    assert isinstance(adapter, SupportsSignatureTarget)
    assert (adapter.name, adapter.distribution) == ("onnx", "tiffin-onnx")
    assert adapter.framework_version() == onnxruntime.__version__
    done = run_cli("plugins", "--output", "json")
    assert done.returncode == 0, done.stderr
    record = {r["name"]: r for r in json.loads(done.stdout)}["onnx"]
    assert (record["distribution"], record["status"]) == ("tiffin-onnx", "loaded")
    assert sorted(record["registered"]) == ["framework:onnx", "io:OnnxTensors"]
    assert record["hooks"] == ["register_frameworks", "register_io_descriptors"]


def test_sklearn_graph_round_trip_matches_scikit_learn() -> None:
    clf, proto = iris_onnx()
    x = iris()[0]
    saved = tiffin.onnx.save_model("iris_onnx", proto, labels={"source": "skl2onnx"})
    assert saved.info.framework == "onnx"
    assert saved.info.signatures["run"].batchable is True  # dim 0 of X is dynamic
    assert saved.info.signatures["run"].input_shape == (-1, 4)
    assert saved.info.options["inputs"] == ["X"]
    assert saved.info.options["outputs"] == ["label", "probabilities"]
    assert (saved.path / "model.onnx").is_file()

    session = tiffin.onnx.load_model("iris_onnx:latest")
    assert isinstance(session, onnxruntime.InferenceSession)
    assert session.get_providers() == ["CPUExecutionProvider"]

    runner = started("iris_onnx:latest")
    label, proba = runner.run(x)  # several outputs: a tuple in graph order
    np.testing.assert_array_equal(label, clf.predict(x))
    np.testing.assert_allclose(proba, clf.predict_proba(x), rtol=1e-4, atol=1e-5)
    # JSON's float64 is cast to the graph's float32
    label64, _ = runner.run(x.astype(np.float64)[:5])
    np.testing.assert_array_equal(label64, clf.predict(x[:5]))


def test_torch_export_round_trip_matches_torch(tmp_path: Path) -> None:
    net, data = torch_onnx()
    file = tmp_path / "mlp.onnx"
    file.write_bytes(data)
    for given in (data, file, str(file), onnx.load(str(file))):
        saved = tiffin.onnx.save_model("mlp", given)
        assert saved.info.signatures["run"].input_shape == (-1, 4)
    x = np.random.default_rng(3).normal(size=(9, 4)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    runner = started("mlp:latest")
    np.testing.assert_allclose(runner.run(x), expected, rtol=1e-5, atol=1e-6)


def test_several_inputs_are_keyword_arguments_and_several_outputs_a_tuple() -> None:
    net, data = torch_two_onnx()
    saved = tiffin.onnx.save_model("two", data)
    assert saved.info.signatures["run"].batchable is True
    assert saved.info.signatures["run"].input_shape is None  # several inputs: checked by name
    rng = np.random.default_rng(4)
    left = rng.normal(size=(5, 3)).astype(np.float32)
    right = rng.normal(size=(5, 5)).astype(np.float32)
    with torch.no_grad():
        total, best = net(torch.from_numpy(left), torch.from_numpy(right))

    runner = started("two:latest")
    got_total, got_best = runner.run(left=left, right=right)
    np.testing.assert_allclose(got_total, total.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_best, best.numpy())
    positional = runner.run(left, right)  # graph order
    np.testing.assert_array_equal(positional[1], best.numpy())

    with pytest.raises(BadInput, match=r"missing 'right'.*keyword arguments"):
        runner.run(left=left)
    with pytest.raises(BadInput, match=r"no input named 'middle'.*'left': float32 \(-1, 3\)"):
        runner.run(left=left, right=right, middle=left)
    with pytest.raises(BadInput, match=r"takes 2 inputs.*got 3 positional"):
        runner.run(left, right, right)
    with pytest.raises(BadInput, match=r"input 'right': expected shape \(-1, 5\), got \(5, 3\)"):
        runner.run(left=left, right=left)


def test_concurrent_calls_batch_along_the_dynamic_axis() -> None:
    import concurrent.futures

    clf, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    runner = started("iris_onnx:latest", max_batch_size=32, max_latency_ms=50)
    x = iris()[0]
    chunks = [x[i : i + 7] for i in range(0, 70, 7)]
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(runner.run, chunks))
    for chunk, (label, proba) in zip(chunks, answers, strict=True):
        np.testing.assert_array_equal(label, clf.predict(chunk))
        assert proba.shape == (len(chunk), 3)


def test_a_fixed_batch_axis_is_not_batchable() -> None:
    _, proto = iris_onnx()
    fixed = onnx.ModelProto()
    fixed.CopyFrom(proto)
    fixed.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    saved = tiffin.onnx.save_model("fixed", fixed)
    assert saved.info.signatures["run"].batchable is False  # the default follows the graph
    with pytest.raises(InvalidArgument, match=r"input 'X' has shape \[1, 4\].*dynamic batch axis"):
        tiffin.onnx.save_model("fixed", fixed, signatures={"run": {"batchable": True}})
    assert [m.tag for m in tiffin.models.list("fixed")] == [saved.tag]


def test_wrong_dtype_is_a_bad_input_naming_the_expected_dtype() -> None:
    _, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    runner = started("iris_onnx:latest")
    with pytest.raises(BadInput, match="input 'X' takes float32, got int64; send float32"):
        runner.run(np.ones((2, 4), dtype=np.int64))
    with pytest.raises(BadInput, match=r"expected input of shape \(-1, 4\), got \(2, 3\)"):
        runner.run(np.ones((2, 3), dtype=np.float32))


def test_intra_op_threads_follow_the_cpu_resources() -> None:
    _, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    runner = started("iris_onnx:latest", runnable_init_params={"resources": {"cpu": 1.5}})
    session = runner._executor.instance._loaded.session  # what the runner holds
    assert session.get_session_options().intra_op_num_threads == 2
    assert session.get_providers() == ["CPUExecutionProvider"]
    runner.destroy()
    # a GPU asked for where onnxruntime has no CUDA: CPU, as the torch adapter does
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        runner = started(
            "iris_onnx:latest", runnable_init_params={"resources": {"nvidia.com/gpu": 1}}
        )
        assert runner._executor.instance._loaded.session.get_providers() == ["CPUExecutionProvider"]


def test_providers_are_checked() -> None:
    _, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    session = tiffin.onnx.load_model("iris_onnx", providers=["cpu"], intra_op_threads=1)
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert session.get_session_options().intra_op_num_threads == 1
    with pytest.raises(
        InvalidArgument, match=r"'NoSuchExecutionProvider' is not available.*CPUExecutionProvider"
    ):
        tiffin.onnx.load_model("iris_onnx", providers=["NoSuchExecutionProvider"])
    with pytest.raises(InvalidArgument, match="not \\['device_id'\\]"):
        tiffin.onnx.load_model("iris_onnx", device_id="cuda:0")
    with pytest.raises(InvalidArgument, match="intra_op_threads must be a positive int"):
        tiffin.onnx.load_model("iris_onnx", intra_op_threads=0)


@pytest.mark.gpu
@pytest.mark.skipif(
    "CUDAExecutionProvider" not in onnxruntime.get_available_providers(),
    reason="needs onnxruntime-gpu and a GPU",
)
def test_cuda_provider_when_asked_and_present() -> None:  # pragma: no cover - GPU hosts only
    _, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    session = tiffin.onnx.load_model("iris_onnx", providers=["cuda", "cpu"])
    assert session.get_providers()[0] == "CUDAExecutionProvider"


def test_bad_models_are_one_line_errors_and_store_nothing(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("this is not a graph\n" * 20)
    cases = [
        (tmp_path / "missing.onnx", "is not a file"),
        (text, "is not an ONNX model"),
        (b"\x00\x01garbage", "not an ONNX model"),
        (onnx.ModelProto(), "is not an ONNX model"),
        ({"predict": 1}, r"takes an onnx.ModelProto.*not a builtins.dict"),
    ]
    for given, message in cases:
        with pytest.raises(InvalidArgument, match=message) as caught:
            tiffin.onnx.save_model("bad", given)
        assert "\n" not in str(caught.value)
    _, proto = iris_onnx()
    with pytest.raises(
        InvalidArgument,
        match=r"tiffin_onnx.OnnxCallable has no method .predict.; name one of its methods \(run\)",
    ):
        tiffin.onnx.save_model("bad", proto, signatures={"predict": {"batchable": True}})
    assert tiffin.models.list() == []


def test_a_graph_onnxruntime_cannot_run_is_refused_at_save_time() -> None:
    from onnx import TensorProto, helper

    node = helper.make_node("Mystery", ["x"], ["y"], domain="com.example")
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    )
    with pytest.raises(
        InvalidArgument, match=r"onnxruntime .* cannot load model .*Mystery"
    ) as caught:
        tiffin.onnx.save_model("mystery", proto)
    assert "\n" not in str(caught.value)
    assert tiffin.models.list() == []


def test_the_cli_shows_an_onnx_model() -> None:
    _, proto = iris_onnx()
    tiffin.onnx.save_model("iris_onnx", proto)
    done = run_cli("models", "get", "iris_onnx:latest", "--output", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["framework"] == "onnx"
