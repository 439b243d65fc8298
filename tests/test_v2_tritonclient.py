"""A real V2 client (Triton's tritonclient) against a real ``tiffin serve`` of the iris example."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tiffin

pytest.importorskip("sklearn")
pytest.importorskip("tiffin_sklearn")
httpclient = pytest.importorskip("tritonclient.http")
from tritonclient.utils import InferenceServerException  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "iris"
SAMPLE = np.array([[5.9, 3.0, 5.1, 1.8], [5.1, 3.5, 1.4, 0.2]])


@pytest.fixture
def iris_server(tmp_path, serve):
    from sklearn import datasets, svm

    iris = datasets.load_iris()
    clf = svm.SVC(gamma="scale").fit(iris.data, iris.target)
    tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    shutil.copytree(EXAMPLE, tmp_path / "iris")
    server = serve("service.py:svc", cwd=tmp_path / "iris")
    return server, clf.predict(SAMPLE)


def _client(server) -> httpclient.InferenceServerClient:
    return httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))


def _input(arr: np.ndarray, datatype: str, binary: bool) -> httpclient.InferInput:
    tensor = httpclient.InferInput("input_series", list(arr.shape), datatype)
    tensor.set_data_from_numpy(arr, binary_data=binary)
    return tensor


@pytest.mark.slow
def test_tritonclient_reads_metadata_and_infers_json_and_binary(iris_server) -> None:
    server, expected = iris_server
    client = _client(server)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("classify")
    assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
    meta = client.get_model_metadata("classify")
    assert meta["inputs"] == [{"name": "input", "datatype": "FP64", "shape": [-1, 4]}]
    assert meta["outputs"][0]["name"] == "output"

    for binary in (False, True):
        result = client.infer(
            "classify",
            [_input(SAMPLE, "FP64", binary)],
            outputs=[httpclient.InferRequestedOutput("output", binary_data=binary)],
        )
        np.testing.assert_array_equal(result.as_numpy("output"), expected)
    # the native route gives the same answer
    import httpx

    assert httpx.post(f"{server.url}/classify", json=SAMPLE.tolist()).json() == expected.tolist()


@pytest.mark.slow
def test_tritonclient_errors_unknown_model_shape_and_datatype(iris_server) -> None:
    server, _ = iris_server
    client = _client(server)
    assert not client.is_model_ready("nope")
    with pytest.raises(InferenceServerException) as info:
        client.get_model_metadata("nope")
    assert info.value.status() == "404" or "no model 'nope'" in str(info.value)
    with pytest.raises(InferenceServerException, match="no model 'nope'"):
        client.infer("nope", [_input(SAMPLE, "FP64", True)])
    # the descriptor enforces shape (-1, 4) and dtype float64 (enforce_dtype=True)
    with pytest.raises(InferenceServerException, match=r"shape \(2, 3\), expected \(-1, 4\)"):
        client.infer("classify", [_input(SAMPLE[:, :3].copy(), "FP64", True)])
    with pytest.raises(InferenceServerException, match="datatype FP32, but this model takes FP64"):
        client.infer("classify", [_input(SAMPLE.astype(np.float32), "FP32", True)])
