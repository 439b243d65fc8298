"""A torch service over the Open Inference Protocol (KServe V2), driven by Triton's real client."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import tiffin

httpclient = pytest.importorskip("tritonclient.http")
from tritonclient.utils import InferenceServerException  # noqa: E402

SERVICE = """
import numpy as np
import tiffin
from tiffin.io import NumpyNdarray

runner = tiffin.torch.get("{tag}").to_runner()
svc = tiffin.Service("torch-v2", runners=[runner])


@svc.api(
    input=NumpyNdarray(dtype="float32", shape=(-1, 4), enforce_shape=True),
    output=NumpyNdarray(dtype="float32"),
)
async def predict(x: np.ndarray) -> np.ndarray:
    return await runner.async_run(x)
"""


@pytest.fixture
def torch_server(tmp_path: Path, serve):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    saved = tiffin.torch.save_model("net", module, signatures={"__call__": {"batchable": True}})
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE.format(tag=saved.tag)))
    server = serve("service.py:svc", cwd=tmp_path)
    client = httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))
    return client, module.eval()


def _input(arr: np.ndarray, datatype: str, binary: bool) -> httpclient.InferInput:
    tensor = httpclient.InferInput("x", list(arr.shape), datatype)
    tensor.set_data_from_numpy(arr, binary_data=binary)
    return tensor


@pytest.mark.slow
def test_torch_model_over_v2_json_binary_and_fp64_cast(torch_server) -> None:
    client, module = torch_server
    assert client.is_server_ready() and client.is_model_ready("predict")
    meta = client.get_model_metadata("predict")
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert meta["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1]}]

    rows = np.array([[0.1 * i, -0.2 * i, 0.3, 1.0 - i] for i in range(5)], dtype=np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(rows)).numpy()
    for binary in (False, True):
        result = client.infer(
            "predict",
            [_input(rows, "FP32", binary)],
            outputs=[httpclient.InferRequestedOutput("output", binary_data=binary)],
        )
        got = result.as_numpy("output")
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # FP64 is cast to the descriptor's float32 (it does not enforce its dtype)
    result = client.infer("predict", [_input(rows.astype(np.float64), "FP64", True)])
    assert result.as_numpy("output").dtype == np.float32
    np.testing.assert_allclose(result.as_numpy("output"), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_torch_v2_errors(torch_server) -> None:
    client, _ = torch_server
    with pytest.raises(InferenceServerException, match="no model 'nope'"):
        client.infer("nope", [_input(np.ones((1, 4), np.float32), "FP32", True)])
    with pytest.raises(InferenceServerException, match=r"shape \(1, 3\), expected \(-1, 4\)"):
        client.infer("predict", [_input(np.ones((1, 3), np.float32), "FP32", True)])
    with pytest.raises(InferenceServerException, match="datatype BYTES"):
        client.infer("predict", [_input(np.array([[b"a"] * 4], dtype=object), "BYTES", False)])
    # the server keeps serving
    assert client.infer("predict", [_input(np.ones((1, 4), np.float32), "FP32", True)]).as_numpy(
        "output"
    ).shape == (1, 3)
