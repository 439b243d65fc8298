"""The Open Inference Protocol (KServe V2) in core: a plain numpy Runnable, no framework.

In-process (tiffin.testing.asgi.ASGIClient over the real app, lifespan included) for the protocol's details; one slow test
drives a real ``tiffin serve`` with raw HTTP, as a V2 client without a library would.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tiffin.testing.asgi import ASGIClient
from tiffin.testing.fixtures import ServerProcess

HERE = Path(__file__).parent
HEADER = "Inference-Header-Content-Length"


@pytest.fixture(scope="module")
def app_client() -> Iterator[ASGIClient]:
    sys.path.insert(0, str(HERE))
    try:
        import _v2_service

        from tiffin._server._app import build_app

        with ASGIClient(build_app(_v2_service.svc)) as client:
            yield client
    finally:
        sys.path.remove(str(HERE))
        sys.modules.pop("_v2_service", None)


def infer(client, model: str, inputs: list[dict], **extra) -> httpx.Response:
    return client.post(f"/v2/models/{model}/infer", json={"inputs": inputs, **extra})


def binary_request(inputs: list[tuple[str, str, list[int], bytes]], **extra) -> tuple[bytes, dict]:
    header = {
        "inputs": [
            {"name": n, "datatype": d, "shape": s, "parameters": {"binary_data_size": len(b)}}
            for n, d, s, b in inputs
        ],
        **extra,
    }
    head = json.dumps(header).encode()
    return head + b"".join(b for *_, b in inputs), {HEADER: str(len(head))}


def read_binary(response: httpx.Response) -> tuple[dict, bytes]:
    length = int(response.headers[HEADER])
    return json.loads(response.content[:length]), response.content[length:]


def test_server_metadata_health_and_models(app_client: ASGIClient) -> None:
    meta = app_client.get("/v2").json()
    assert meta["name"] == "v2demo" and "binary_tensor_data" in meta["extensions"]
    assert app_client.get("/v2/health/live").json() == {"live": True}
    assert app_client.get("/v2/health/ready").status_code == 200
    model = app_client.get("/v2/models/double").json()
    assert model["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert model["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1]}]
    assert app_client.get("/v2/models/double/ready").json() == {"name": "double", "ready": True}
    frame = app_client.get("/v2/models/frame").json()
    assert [i["name"] for i in frame["inputs"]] == ["a", "b"]
    assert app_client.get("/v2/models/shout").json()["inputs"][0]["datatype"] == "BYTES"


def test_apis_that_do_not_map_to_tensors_are_not_models(app_client: ASGIClient) -> None:
    response = app_client.get("/v2/models/echo")
    assert response.status_code == 404
    assert "no model 'echo'" in response.json()["error"] and "double" in response.json()["error"]
    assert infer(app_client, "nope", []).status_code == 404
    assert app_client.get("/v2/models/nope/ready").status_code == 404


def test_infer_with_json_tensors_runs_through_the_runner(app_client: ASGIClient) -> None:
    response = infer(
        app_client,
        "double",
        [{"name": "x", "datatype": "FP32", "shape": [2, 4], "data": list(range(8))}],
        id="req-1",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "req-1" and body["model_name"] == "double"
    (out,) = body["outputs"]
    assert out["datatype"] == "FP32" and out["shape"] == [2, 4]
    assert out["data"] == [2.0 * i for i in range(8)]


def test_fp64_is_cast_to_the_descriptors_fp32_unless_it_enforces(app_client: ASGIClient) -> None:
    data = [0.1, 0.2, 0.3, 0.4]
    cast = infer(
        app_client, "double", [{"name": "x", "datatype": "FP64", "shape": [1, 4], "data": data}]
    )
    assert cast.status_code == 200 and cast.json()["outputs"][0]["datatype"] == "FP32"
    strict = infer(
        app_client, "strict", [{"name": "x", "datatype": "FP64", "shape": [4], "data": data}]
    )
    assert strict.status_code == 400
    assert "FP64" in strict.json()["error"] and "FP32" in strict.json()["error"]


def test_wrong_shape_or_datatype_is_a_400_with_the_reason(app_client: ASGIClient) -> None:
    cases = [
        ({"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}, "shape (1, 3)"),
        ({"name": "x", "datatype": "FP32", "shape": [2, 4], "data": [1, 2]}, "holds 8 elements"),
        ({"name": "x", "datatype": "FP99", "shape": [1], "data": [1]}, "datatype 'FP99'"),
        ({"name": "x", "datatype": "BYTES", "shape": [1, 4], "data": ["a"] * 4}, "BYTES"),
        ({"name": "x", "datatype": "FP32", "shape": [1, 4], "data": ["a", 1, 2, 3]}, "not FP32"),
        ({"name": "x", "datatype": "FP32", "shape": "x", "data": [1]}, "'shape' must be"),
    ]
    for tensor, reason in cases:
        response = infer(app_client, "double", [tensor])
        assert response.status_code == 400, (tensor, response.text)
        assert reason in response.json()["error"], (reason, response.json())
    for body in (b"{", b"[]", b'{"inputs": 3}'):
        response = app_client.post("/v2/models/double/infer", content=body)
        assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize(
    "datatype",
    [
        "BOOL",
        "INT8",
        "INT16",
        "INT32",
        "INT64",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "FP16",
        "FP32",
        "FP64",
    ],
)
def test_every_numeric_datatype_round_trips_as_json_and_binary(
    app_client: ASGIClient, datatype: str
) -> None:
    from tiffin.io._tensors import numpy_dtype

    dtype = numpy_dtype(datatype)
    values = np.array([[1, 0, 1], [0, 1, 1]]).astype(dtype)
    response = infer(
        app_client,
        "identity",
        [{"name": "x", "datatype": datatype, "shape": [2, 3], "data": values.tolist()}],
    )
    assert response.status_code == 200, response.text
    (out,) = response.json()["outputs"]
    assert out["datatype"] == datatype and out["shape"] == [2, 3]
    np.testing.assert_array_equal(np.array(out["data"], dtype=dtype), values.reshape(-1))

    body, headers = binary_request(
        [("x", datatype, [2, 3], values.tobytes())], parameters={"binary_data_output": True}
    )
    response = app_client.post("/v2/models/identity/infer", content=body, headers=headers)
    assert response.status_code == 200, response.text
    header, data = read_binary(response)
    (out,) = header["outputs"]
    assert out["datatype"] == datatype and out["parameters"]["binary_data_size"] == len(data)
    np.testing.assert_array_equal(np.frombuffer(data, dtype=dtype).reshape(2, 3), values)


def test_binary_input_with_json_output_and_per_output_choice(app_client: ASGIClient) -> None:
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    body, headers = binary_request([("x", "FP32", [2, 4], x.tobytes())])
    response = app_client.post("/v2/models/double/infer", content=body, headers=headers)
    assert response.status_code == 200 and HEADER not in response.headers
    assert response.json()["outputs"][0]["data"] == (x * 2).reshape(-1).tolist()

    body, headers = binary_request(
        [("x", "FP32", [2, 4], x.tobytes())],
        outputs=[{"name": "output", "parameters": {"binary_data": True}}],
    )
    response = app_client.post("/v2/models/double/infer", content=body, headers=headers)
    _header, data = read_binary(response)
    np.testing.assert_array_equal(np.frombuffer(data, np.float32).reshape(2, 4), x * 2)

    unknown = infer(
        app_client,
        "double",
        [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1] * 4}],
        outputs=[{"name": "nope"}],
    )
    assert unknown.status_code == 400 and "'nope'" in unknown.json()["error"]


def test_bad_binary_framing_is_a_400(app_client: ASGIClient) -> None:
    x = np.zeros((1, 4), np.float32).tobytes()
    body, headers = binary_request([("x", "FP32", [1, 4], x)])
    for change, reason in [
        ({HEADER: "nope"}, "must be an integer"),
        ({HEADER: str(len(body) + 1)}, "body has"),
    ]:
        response = app_client.post(
            "/v2/models/double/infer", content=body, headers={**headers, **change}
        )
        assert response.status_code == 400 and reason in response.json()["error"]
    response = app_client.post("/v2/models/double/infer", content=body + b"xx", headers=headers)
    assert response.status_code == 400 and "binary bytes" in response.json()["error"]
    short, headers = binary_request([("x", "FP32", [1, 4], x[:8])])
    response = app_client.post("/v2/models/double/infer", content=short, headers=headers)
    assert response.status_code == 400 and "needs 16 bytes" in response.json()["error"]


def test_frames_map_one_tensor_per_column_and_text_maps_to_bytes(app_client: ASGIClient) -> None:
    response = infer(
        app_client,
        "frame",
        [
            {"name": "a", "datatype": "INT64", "shape": [3], "data": [1, 2, 3]},
            {"name": "b", "datatype": "FP64", "shape": [3, 1], "data": [0.5, 0.5, 0.5]},
        ],
    )
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    assert outputs["total"]["data"] == [1.5, 2.5, 3.5] and outputs["a"]["datatype"] == "INT64"
    missing = infer(
        app_client, "frame", [{"name": "a", "datatype": "INT64", "shape": [1], "data": [1]}]
    )
    assert missing.status_code == 400 and "'b'" in missing.json()["error"]

    words = "héllo"
    response = infer(
        app_client, "shout", [{"name": "t", "datatype": "BYTES", "shape": [1], "data": [words]}]
    )
    assert response.json()["outputs"][0] == {
        "name": "output",
        "datatype": "BYTES",
        "shape": [1],
        "data": ["HÉLLO"],
    }
    raw = words.encode()
    body, headers = binary_request(
        [("t", "BYTES", [1], struct.pack("<I", len(raw)) + raw)],
        parameters={"binary_data_output": True},
    )
    _header, data = read_binary(
        app_client.post("/v2/models/shout/infer", content=body, headers=headers)
    )
    assert data == struct.pack("<I", len("HÉLLO".encode())) + "HÉLLO".encode()


def test_user_route_wins_and_errors_are_the_servers(app_client: ASGIClient) -> None:
    response = app_client.post("/v2/models/my_model/versions/v0/infer", json=[1, 2])
    assert response.status_code == 200 and response.json() == [2, 3]
    failed = infer(
        app_client, "boom", [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]
    )
    assert failed.status_code == 500 and "error id" in failed.json()["error"]


def test_infer_takes_the_apps_direct_path_and_user_routes_still_win() -> None:
    sys.path.insert(0, str(HERE))
    try:
        import _v2_service

        from tiffin._server._app import build_app

        app = build_app(_v2_service.svc)
    finally:
        sys.path.remove(str(HERE))
    infer = app.v2_infer
    assert infer.direct({"path": "/v2/models/double/infer"})
    assert infer.direct({"path": "/v2/models/double/versions/3/infer"})
    assert not infer.direct({"path": "/v2/models/echo/infer"})  # not a model: the router's 404
    assert not infer.direct({"path": "/v2/models/double/ready"})
    assert "/v2/models/my_model/versions/v0/infer" in app.api_endpoints  # asked before V2


def test_docs_json_documents_the_v2_routes(app_client: ASGIClient) -> None:
    openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
    doc = app_client.get("/docs.json").json()
    assert "/v2/models/{name}/infer" in doc["paths"] and "/v2/health/ready" in doc["paths"]
    # the user's route keeps its own documentation
    assert "x-tiffin-io" in doc["paths"]["/v2/models/my_model/versions/v0/infer"]["post"]
    openapi_spec_validator.validate(doc)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("v2svc")
    shutil.copy(HERE / "_v2_service.py", folder / "service.py")
    server = ServerProcess("service.py:svc", cwd=folder)
    yield server
    server.stop()


@pytest.mark.slow
def test_real_server_speaks_v2_without_content_type_and_warns_about_overlap(
    server: ServerProcess,
) -> None:
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    body, headers = binary_request(
        [("x", "FP32", [2, 4], x.tobytes())], parameters={"binary_data_output": True}
    )
    # clients send no Content-Type: the header length says where the JSON ends
    response = httpx.post(f"{server.url}/v2/models/double/infer", content=body, headers=headers)
    assert response.status_code == 200, response.text
    _header, data = read_binary(response)
    np.testing.assert_array_equal(np.frombuffer(data, np.float32).reshape(2, 4), x * 2)
    plain = httpx.post(
        f"{server.url}/v2/models/double/infer",
        content=json.dumps(
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}]}
        ),
    )
    assert plain.json()["outputs"][0]["data"] == [2, 4, 6, 8]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'tiffin_http_requests_total{api="double",status="200"}' in metrics
    output = server.stop()
    assert "/v2/models/my_model/versions/v0/infer overlaps" in output
