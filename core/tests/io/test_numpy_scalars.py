"""A bare JSON number sent to NumpyNdarray: a 0-d array without a shape, a 400 with one.

Without a shape the answer is a bare number too, so the OpenAPI schema must allow one: a
response schemathesis checks against it must conform.
"""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from openapi_schema_validator import OAS30Validator

from tiffin.io import NumpyNdarray

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("body", "expected"), [(b"3", 3), (b"false", False), (b"2.5", 2.5)])
def test_without_shape_a_scalar_is_a_0d_array_and_the_schema_says_so(serve_io, body, expected):
    seen = {}
    descriptor = NumpyNdarray()
    r = serve_io(descriptor, func=lambda x: seen.setdefault("x", x)).post(
        "/", content=body, headers=JSON
    )
    assert r.status_code == 200, r.text
    assert isinstance(seen["x"], np.ndarray) and seen["x"].shape == ()
    assert r.json() == expected
    OAS30Validator(descriptor.openapi_schema()).validate(r.json())  # raises if not conforming


@pytest.mark.parametrize(
    "answer",
    [
        np.array([[1.5, np.nan]]),
        np.array([True]),
        np.array(7),
        np.float32(0.25),
        np.array(np.nan),  # answered as null
        np.bool_(False),
        np.array([]),
    ],
)
def test_schema_without_shape_admits_every_json_answer(answer):
    descriptor = NumpyNdarray()
    body = orjson.loads(descriptor.to_cli(answer))
    OAS30Validator(descriptor.openapi_schema()).validate(body)


@pytest.mark.parametrize(
    "descriptor",
    [
        NumpyNdarray(shape=(-1, 4)),
        NumpyNdarray(shape=(3,), enforce_shape=True),
        NumpyNdarray(dtype=np.float32, shape=(2, 2)),
    ],
)
def test_with_a_shape_a_scalar_is_a_400_that_says_to_send_a_list(serve_io, descriptor):
    called = []
    r = serve_io(descriptor, func=called.append).post("/", content=b"3", headers=JSON)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "single JSON value (3)" in error and "wrap it in a list" in error
    assert "expected shape" in error
    assert called == []


def test_shape_of_no_axes_asks_for_a_scalar(serve_io):
    r = serve_io(NumpyNdarray(shape=()), func=lambda x: x * 2).post("/", content=b"4", headers=JSON)
    assert r.status_code == 200 and r.json() == 8


def test_cli_path_applies_the_same_rule():
    from tiffin.exceptions import BadInput

    assert NumpyNdarray().from_cli(b"7", None).shape == ()
    with pytest.raises(BadInput, match="wrap it in a list"):
        NumpyNdarray(shape=(-1,)).from_cli(b"7", None)


def test_null_is_nan_unless_dtype_is_enforced() -> None:
    import asyncio

    import numpy as np
    from starlette.requests import Request

    from tiffin.exceptions import BadInput
    from tiffin.io import NumpyNdarray

    def request(body: bytes) -> Request:
        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "headers": [(b"content-type", b"application/json")],
        }
        return Request(scope, receive)

    loose = asyncio.run(NumpyNdarray(dtype=np.float64).from_http(request(b"[[1.0, null]]")))
    assert np.isnan(loose[0, 1]) and loose[0, 0] == 1.0
    strict = NumpyNdarray(dtype=np.float64, enforce_dtype=True)
    with pytest.raises(BadInput, match=r"null at index \(0, 1\)"):
        asyncio.run(strict.from_http(request(b"[[1.0, null]]")))
