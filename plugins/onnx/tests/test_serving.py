"""A real ``tiffin serve`` of ONNX models answers what scikit-learn and PyTorch answer: over
JSON, and over the Open Inference Protocol (V2) with the graph's tensor names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
import tritonclient.http as triton

import tiffin

from .models import iris, iris_onnx, torch_onnx, torch_two_onnx

pytestmark = pytest.mark.slow

SERVICE = """
import numpy as np

import tiffin
from tiffin.io import JSON, NumpyNdarray

iris = tiffin.onnx.get("iris_onnx:latest").to_runner()
mlp = tiffin.onnx.get("mlp:latest").to_runner()
two = tiffin.onnx.get("two:latest").to_runner()
svc = tiffin.Service("onnx_models", runners=[iris, mlp, two])


@svc.api(input=NumpyNdarray(dtype="float32"), output=NumpyNdarray())
def classify(x):
    label, _probabilities = iris.run(x)
    return label


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify_any(x):
    return iris.run(x)[0]  # no dtype= on the descriptor: the runner checks what arrives


@svc.api(input=NumpyNdarray(dtype="float32"), output=NumpyNdarray())
async def scores(x):
    return await mlp.async_run(x)


# the graphs' own tensor names, over JSON and V2
iris_in, iris_out = tiffin.onnx.io_descriptors("iris_onnx:latest")
two_in, two_out = tiffin.onnx.io_descriptors("two:latest")


@svc.api(input=iris_in, output=iris_out)
def iris_tensors(tensors):
    return iris.run(**tensors)


@svc.api(input=two_in, output=two_out)
async def two_tensors(tensors):
    return await two.async_run(**tensors)


@svc.api(input=JSON(), output=JSON())
def combine(body):
    total, best = two.run(**{k: np.asarray(v, dtype=np.float32) for k, v in body.items()})
    return {"total": total.tolist(), "best": best.tolist()}
"""


@pytest.fixture
def server(tmp_path: Path, serve):
    tiffin.onnx.save_model("iris_onnx", iris_onnx()[1])
    tiffin.onnx.save_model("mlp", torch_onnx()[1])
    tiffin.onnx.save_model("two", torch_two_onnx()[1])
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    return serve("service.py:svc", cwd=tmp_path)


def test_json_answers_match_the_original_frameworks(server) -> None:
    clf = iris_onnx()[0]
    x = iris()[0][::10]
    answer = httpx.post(f"{server.url}/classify", json=x.tolist(), timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == clf.predict(x).tolist()

    net = torch_onnx()[0]
    rows = np.random.default_rng(5).normal(size=(4, 4)).astype(np.float32)
    answer = httpx.post(f"{server.url}/scores", json=rows.tolist(), timeout=30)
    assert answer.status_code == 200, answer.text
    with torch.no_grad():
        expected = net(torch.from_numpy(rows)).numpy()
    np.testing.assert_allclose(answer.json(), expected, rtol=1e-5, atol=1e-5)

    two = torch_two_onnx()[0]
    left = np.random.default_rng(6).normal(size=(3, 3)).astype(np.float32)
    right = np.random.default_rng(7).normal(size=(3, 5)).astype(np.float32)
    answer = httpx.post(
        f"{server.url}/combine", json={"left": left.tolist(), "right": right.tolist()}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    with torch.no_grad():
        total, best = two(torch.from_numpy(left), torch.from_numpy(right))
    np.testing.assert_allclose(answer.json()["total"], total.numpy(), rtol=1e-5, atol=1e-5)
    assert answer.json()["best"] == best.tolist()


def test_bad_requests_are_400s_naming_what_the_graph_takes(server) -> None:
    wrong_width = httpx.post(f"{server.url}/classify", json=[[5.1, 3.5, 1.4]], timeout=30)
    assert wrong_width.status_code == 400, wrong_width.text
    assert "expected input of shape (-1, 4), got (1, 3)" in wrong_width.text

    # JSON integers arrive as int64 where the descriptor names no dtype: refused, not guessed
    ints = httpx.post(f"{server.url}/classify_any", json=[[5, 3, 1, 0]], timeout=30)
    assert ints.status_code == 400, ints.text
    assert "input 'X' takes float32, got int64; send float32" in ints.text
    floats = httpx.post(f"{server.url}/classify_any", json=[[5.1, 3.5, 1.4, 0.2]], timeout=30)
    assert floats.status_code == 200 and floats.json() == [0], floats.text  # float64 is cast

    missing = httpx.post(f"{server.url}/combine", json={"left": [[1.0, 2.0, 3.0]]}, timeout=30)
    assert missing.status_code == 400, missing.text
    assert "missing 'right'" in missing.text
    assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200  # still serving


def test_v2_with_the_graphs_tensor_names(server) -> None:
    clf = iris_onnx()[0]
    x = iris()[0][::15]
    # JSON tensors, the input named as in the graph
    body = {
        "inputs": [
            {"name": "X", "datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}
        ]
    }
    answer = httpx.post(f"{server.url}/v2/models/classify/infer", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["data"] == clf.predict(x).tolist()

    # Triton's client, binary tensors, the torch graph's input name
    net = torch_onnx()[0]
    rows = np.random.default_rng(8).normal(size=(5, 4)).astype(np.float32)
    client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
    try:
        assert client.is_model_ready("scores")
        features = triton.InferInput("features", list(rows.shape), "FP32")
        features.set_data_from_numpy(rows, binary_data=True)
        result = client.infer(
            "scores", [features], outputs=[triton.InferRequestedOutput("output", binary_data=True)]
        )
        with torch.no_grad():
            expected = net(torch.from_numpy(rows)).numpy()
        np.testing.assert_allclose(result.as_numpy("output"), expected, rtol=1e-5, atol=1e-5)
    finally:
        client.close()


def test_v2_models_named_after_the_graphs_tensors(server) -> None:
    meta = httpx.get(f"{server.url}/v2/models/iris_tensors", timeout=30).json()
    assert meta["inputs"] == [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}]
    assert meta["outputs"] == [
        {"name": "label", "datatype": "INT64", "shape": [-1]},
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
    ]
    clf = iris_onnx()[0]
    x = iris()[0][::20]
    answer = httpx.post(f"{server.url}/iris_tensors", json={"X": x.tolist()}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["label"] == clf.predict(x).tolist()
    np.testing.assert_allclose(
        answer.json()["probabilities"], clf.predict_proba(x), rtol=1e-4, atol=1e-5
    )

    only_label = httpx.post(
        f"{server.url}/v2/models/iris_tensors/infer",
        json={
            "inputs": [
                {"name": "X", "datatype": "FP32", "shape": [1, 4], "data": [5.9, 3.0, 5.1, 1.8]}
            ],
            "outputs": [{"name": "label"}],
        },
        timeout=30,
    )
    assert only_label.status_code == 200, only_label.text
    (label,) = only_label.json()["outputs"]
    assert (label["name"], label["datatype"], label["data"]) == ("label", "INT64", [2])

    # two inputs and two outputs, each under its graph name, through Triton's client
    net = torch_two_onnx()[0]
    rng = np.random.default_rng(9)
    left = rng.normal(size=(4, 3)).astype(np.float32)
    right = rng.normal(size=(4, 5)).astype(np.float32)
    client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
    try:
        tensors = []
        for name, value in (("left", left), ("right", right)):
            tensor = triton.InferInput(name, list(value.shape), "FP32")
            tensor.set_data_from_numpy(value, binary_data=True)
            tensors.append(tensor)
        wanted = [triton.InferRequestedOutput(n, binary_data=True) for n in ("total", "best")]
        result = client.infer("two_tensors", tensors, outputs=wanted)
        with torch.no_grad():
            total, best = net(torch.from_numpy(left), torch.from_numpy(right))
        np.testing.assert_allclose(result.as_numpy("total"), total.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(result.as_numpy("best"), best.numpy())
    finally:
        client.close()
    missing = httpx.post(
        f"{server.url}/v2/models/two_tensors/infer",
        json={"inputs": [{"name": "left", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]},
        timeout=30,
    )
    assert missing.status_code == 400 and "missing 'right'" in missing.text, missing.text
