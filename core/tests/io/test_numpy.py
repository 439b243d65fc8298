from __future__ import annotations

import io

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tiffin.exceptions import BadInput, TiffinError
from tiffin.io import NumpyNdarray

JSON = {"content-type": "application/json"}


def test_json_round_trip_keeps_values_and_shape(serve_io):
    seen = {}

    def func(x):
        seen["x"] = x
        return x * 2

    client = serve_io(NumpyNdarray(), func=func)
    r = client.post("/", content=b"[[5.9, 3, 5.1, 1.8]]", headers=JSON)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == [[11.8, 6.0, 10.2, 3.6]]
    assert isinstance(seen["x"], np.ndarray) and seen["x"].shape == (1, 4)


def test_missing_content_type_means_json(serve_io):
    r = serve_io(NumpyNdarray()).post("/", content=b"[1, 2]")
    assert r.status_code == 200 and r.json() == [1, 2]


def test_dtype_casts_json_numbers(serve_io):
    seen = {}
    client = serve_io(NumpyNdarray(dtype=np.float32), func=lambda x: seen.setdefault("x", x))
    assert client.post("/", content=b"[[1, 2.5]]", headers=JSON).status_code == 200
    assert seen["x"].dtype == np.float32
    assert seen["x"].tolist() == [[1.0, 2.5]]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"a": 1}', "got an object"),
        (b'"hello"', "got a string"),
        (b"[[1, 2], [3]]", "ragged"),
        (b'[1, "a"]', "text"),
        (b'[1, {"a": 1}]', "dict at index (1,)"),
        (b"[[1, [2, [3]]]]", "ragged"),
        (b"[1, 2", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_non_numeric_input_is_400_before_user_code(serve_io, body, fragment):
    called = []
    r = serve_io(NumpyNdarray(), func=called.append).post("/", content=body, headers=JSON)
    assert r.status_code == 400
    assert fragment in r.json()["error"]
    assert called == []


@pytest.mark.parametrize(
    ("dtype", "body", "fragment"),
    [
        (np.float32, b"[1e300]", "overflows to inf as float32"),
        (np.float32, b'["1.5"]', "text"),
        ("int32", b"[1.5]", "1.5 at index (0,) cannot be represented exactly as int32"),
        ("uint8", b"[300]", "cannot be represented exactly as uint8"),
        ("int64", b"[1, null]", "null at index (1,)"),
    ],
)
def test_enforce_dtype_refuses_unrepresentable_values(serve_io, dtype, body, fragment):
    client = serve_io(NumpyNdarray(dtype=dtype, enforce_dtype=True))
    r = client.post("/", content=body, headers=JSON)
    assert r.status_code == 400, r.text
    assert fragment in r.json()["error"]


def test_without_enforce_dtype_values_are_cast_loosely(serve_io):
    seen = {}
    client = serve_io(NumpyNdarray(dtype="int32"), func=lambda x: seen.setdefault("x", x))
    assert client.post("/", content=b'[1.7, "2"]', headers=JSON).status_code == 200
    assert seen["x"].dtype == np.int32 and seen["x"].tolist() == [1, 2]
    # but a value no cast can make is still a 400
    r = client.post("/", content=b'["abc"]', headers=JSON)
    assert r.status_code == 400 and "cannot be converted to int32" in r.json()["error"]


def test_enforce_shape(serve_io):
    client = serve_io(NumpyNdarray(shape=(-1, 4), enforce_shape=True))
    assert client.post("/", content=b"[[1,2,3,4],[5,6,7,8]]", headers=JSON).status_code == 200
    r = client.post("/", content=b"[[1,2,3]]", headers=JSON)
    assert r.status_code == 400
    assert "shape (1, 3), expected (-1, 4)" in r.json()["error"]
    r = client.post("/", content=b"[1,2,3,4]", headers=JSON)
    assert r.status_code == 400 and "(4,)" in r.json()["error"]


def test_null_becomes_nan_and_nan_answers_null(serve_io):
    seen = {}

    def func(x):
        seen["x"] = x
        return np.array([np.nan, np.inf, -np.inf, 1.5])

    r = serve_io(NumpyNdarray(), func=func).post("/", content=b"[1, null]", headers=JSON)
    assert np.isnan(seen["x"][1]) and seen["x"][0] == 1
    assert r.json() == [None, None, None, 1.5]


@pytest.mark.parametrize(
    "value",
    [
        np.array([True, False]),
        np.arange(6, dtype=np.int8).reshape(2, 3),
        np.arange(6, dtype=np.uint64).reshape(3, 2).T,  # not C-contiguous
        np.array(3.5),  # 0-d
        np.array([1.5], dtype=np.float16),
        np.float32(2.5),
        [[1, 2], [3, 4]],
    ],
)
def test_outputs_of_any_numeric_kind_as_json(value):
    body = NumpyNdarray().to_cli(value)
    assert orjson.loads(body) == np.asarray(value).tolist()


def test_wrong_output_type_is_a_clear_500():
    with pytest.raises(TiffinError, match="expects a numpy array") as info:
        NumpyNdarray().to_cli({"a": object()})
    assert info.value.status_code == 500


def test_npy_input_and_output(serve_io):
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    buffer = io.BytesIO()
    np.save(buffer, arr)
    client = serve_io(NumpyNdarray())
    r = client.post(
        "/",
        content=buffer.getvalue(),
        headers={"content-type": "application/x-npy", "accept": "application/x-npy"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-npy"
    back = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert back.dtype == np.float32 and np.array_equal(back, arr)


def test_npy_with_pickled_objects_is_refused(serve_io):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    r = serve_io(NumpyNdarray()).post(
        "/", content=buffer.getvalue(), headers={"content-type": "application/x-npy"}
    )
    assert r.status_code == 400 and "pickle" in r.json()["error"]


def test_raw_bytes_with_dtype_and_shape_headers(serve_io):
    arr = np.arange(6, dtype="<i4").reshape(2, 3)
    client = serve_io(NumpyNdarray(), func=lambda x: x + 1)
    headers = {
        "content-type": "application/octet-stream",
        "x-tiffin-dtype": "<i4",
        "x-tiffin-shape": "2,3",
        "accept": "application/octet-stream",
    }
    r = client.post("/", content=arr.tobytes(), headers=headers)
    assert r.status_code == 200
    assert r.headers["x-tiffin-dtype"] == "<i4" and r.headers["x-tiffin-shape"] == "2,3"
    back = np.frombuffer(r.content, dtype=r.headers["x-tiffin-dtype"]).reshape(2, 3)
    assert np.array_equal(back, arr + 1)
    # the array handed to user code is writable
    seen = {}
    serve_io(NumpyNdarray(), func=lambda x: seen.setdefault("w", x.flags.writeable) and x).post(
        "/", content=arr.tobytes(), headers=headers
    )
    assert seen["w"] is True


@pytest.mark.parametrize(
    ("headers", "body", "fragment"),
    [
        ({}, b"\x00" * 8, "needs its dtype"),
        ({"x-tiffin-dtype": "nonsense"}, b"\x00" * 8, "is not a numpy dtype"),
        ({"x-tiffin-dtype": "O"}, b"\x00" * 8, "not a numeric dtype"),
        ({"x-tiffin-dtype": "<f4", "x-tiffin-shape": "3,3"}, b"\x00" * 8, "need 36"),
        (
            {"x-tiffin-dtype": "<f4", "x-tiffin-shape": "a,b"},
            b"\x00" * 8,
            "comma-separated integers",
        ),
    ],
)
def test_bad_raw_input(serve_io, headers, body, fragment):
    r = serve_io(NumpyNdarray()).post(
        "/", content=body, headers={"content-type": "application/octet-stream", **headers}
    )
    assert r.status_code == 400 and fragment in r.json()["error"]


def test_wrong_content_type_is_415_naming_accepted_types(serve_io):
    r = serve_io(NumpyNdarray()).post(
        "/", content=b"[1]", headers={"content-type": "application/xml"}
    )
    assert r.status_code == 415
    assert "application/json" in r.json()["error"] and "application/x-npy" in r.json()["error"]


def test_cli_input_json_npy_csv_and_output_bytes(tmp_path):
    d = NumpyNdarray(dtype="float64")
    assert d.from_cli(b"[[1, 2]]", None).tolist() == [[1.0, 2.0]]
    buffer = io.BytesIO()
    np.save(buffer, np.eye(2))
    assert np.array_equal(d.from_cli(buffer.getvalue(), "x.npy"), np.eye(2))
    assert d.from_cli(b"1,2\n3,4\n", "x.csv").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(BadInput, match="CSV input is not a table of numbers"):
        d.from_cli(b"a,b\nc,d\n", "x.csv")
    assert d.to_cli(np.array([[1.0, 2.0]])) == b"[[1.0,2.0]]"


def test_constructor_mistakes_are_clear():
    from tiffin.exceptions import InvalidArgument

    with pytest.raises(InvalidArgument, match="needs a dtype"):
        NumpyNdarray(enforce_dtype=True)
    with pytest.raises(InvalidArgument, match="needs a shape"):
        NumpyNdarray(enforce_shape=True)
    with pytest.raises(InvalidArgument, match="object and structured"):
        NumpyNdarray(dtype=object)


def test_from_sample_sets_schema_and_example():
    d = NumpyNdarray.from_sample(
        np.array([[5.9, 3.0, 5.1, 1.8]], dtype=np.float32), enforce_shape=True
    )
    assert d.to_spec() == {
        "type": "NumpyNdarray",
        "args": {"dtype": "<f4", "shape": [1, 4], "enforce_dtype": False, "enforce_shape": True},
    }
    body = d.openapi_request_body()
    media = body["content"]["application/json"]
    assert media["example"] == [[5.900000095367432, 3.0, 5.099999904632568, 1.7999999523162842]]
    assert media["schema"]["items"]["items"] == {"type": "number", "format": "float"}
    assert NumpyNdarray.from_spec(d.to_spec()).to_spec() == d.to_spec()


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements={"allow_nan": False, "allow_infinity": False},
    )
)
def test_json_round_trip_property(arr):
    d = NumpyNdarray(dtype=arr.dtype, shape=arr.shape, enforce_dtype=True, enforce_shape=True)
    back = d.from_cli(d.to_cli(arr), None)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr)


def test_npy_header_claiming_a_huge_array_is_refused_without_allocating(serve_io):
    from numpy.lib import format as npy

    buffer = io.BytesIO()
    npy.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    buffer.write(b"\x00" * 16)
    r = serve_io(NumpyNdarray()).post(
        "/", content=buffer.getvalue(), headers={"content-type": "application/x-npy"}
    )
    assert r.status_code == 400 and "declares shape (1000000000000,)" in r.json()["error"]


def test_npy_fortran_order_and_garbage():
    buffer = io.BytesIO()
    arr = np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3))
    np.save(buffer, arr)
    assert np.array_equal(NumpyNdarray().from_cli(buffer.getvalue(), "a.npy"), arr)
    with pytest.raises(BadInput, match=r"not a readable \.npy file"):
        NumpyNdarray().from_cli(b"\x93NUMPY garbage", "a.npy")
