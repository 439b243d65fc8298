"""An output descriptor that enforces a shape or dtype: a function that breaks it is a 500
naming expected and actual, logged with the request id, and never sent as it is."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import tiffin
from tiffin._server._app import build_app
from tiffin.io import NumpyNdarray
from tiffin.testing.asgi import ASGIClient


@pytest.fixture
def client():
    svc = tiffin.Service("shapes")

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray(shape=(-1, 1), enforce_shape=True))
    def column(x):
        return np.asarray(x)  # (n, 1) is right; anything else breaks the output contract

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray(dtype="int64", enforce_dtype=True))
    def labels(x):
        return np.asarray(x)

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray(shape=(-1, 1)))
    def loose(x):
        return np.asarray(x)  # shape given, not enforced: answered as it is

    with ASGIClient(build_app(svc)) as c:
        yield c


def test_a_right_output_is_answered(client) -> None:
    response = client.post("/column", json=[[1.0], [2.0]])
    assert response.status_code == 200 and response.json() == [[1.0], [2.0]]
    assert client.post("/labels", json=[1, 2]).json() == [1, 2]


def test_a_wrong_shape_is_a_500_naming_expected_and_actual(client, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="tiffin.server"):
        response = client.post("/column", json=[[1.0, 2.0, 3.0]], headers={"X-Request-ID": "abc-1"})
    assert response.status_code == 500
    body = response.json()
    assert body["kind"] == "output_mismatch" and body["request_id"] == "abc-1"
    assert body["error"] == (
        "the API function returned an array of shape (1, 3), but its output descriptor "
        "NumpyNdarray expects shape (-1, 1) (enforce_shape=True; -1 means any size) "
        "(request id abc-1)"
    )
    assert response.headers["x-request-id"] == "abc-1"
    logged = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("request abc-1: API 'column' (its output): ") for m in logged), logged
    assert any("shape (1, 3)" in m and "(-1, 1)" in m for m in logged)


def test_a_wrong_dtype_is_a_500_with_a_fresh_request_id(client, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="tiffin.server"):
        response = client.post("/labels", json=[1.5, 2.5])
    assert response.status_code == 500
    body = response.json()
    assert "returned an array of dtype float64 (shape (2,))" in body["error"]
    assert "expects dtype int64 (enforce_dtype=True)" in body["error"]
    request_id = body["request_id"]
    assert len(request_id) == 16 and response.headers["x-request-id"] == request_id
    assert any(r.getMessage().startswith(f"request {request_id}: ") for r in caplog.records)


def test_a_wrong_shape_in_binary_answers_too(client) -> None:
    response = client.post(
        "/column", json=[[1.0, 2.0]], headers={"Accept": "application/octet-stream"}
    )
    assert response.status_code == 500 and response.json()["kind"] == "output_mismatch"


def test_an_unenforced_shape_is_answered_as_it_is(client) -> None:
    assert client.post("/loose", json=[[1, 2, 3]]).json() == [[1, 2, 3]]


def test_a_forged_request_id_is_replaced(client) -> None:
    response = client.post("/column", json=[[1, 2]], headers={"X-Request-ID": "a b\\nforged"})
    assert response.status_code == 500
    assert response.json()["request_id"] != "a b\\nforged"
