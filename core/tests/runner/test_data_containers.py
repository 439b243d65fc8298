"""Built-in data containers: batch/split and payload round trips, and the type lookup."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tiffin import _plugins
from tiffin._runner import container_for
from tiffin.containers import Payload
from tiffin.exceptions import TiffinError


def roundtrip(value):
    container = container_for(value)
    payload = container.to_payload(value)
    assert isinstance(payload.meta, dict)
    # what a socket would carry: the buffers as plain bytes
    copied = Payload(payload.meta, tuple(bytes(b) for b in payload.buffers))
    return container.from_payload(copied)


@pytest.mark.parametrize(
    "value",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4),
        np.arange(6, dtype=np.int64).reshape(2, 3).T,  # not contiguous
        np.array(3.5),  # 0-d
        np.zeros((0, 4), dtype=np.float64),  # empty
        np.array([b"ab", b"c"]),
        np.array(["é", "xyz"]),
        np.array([True, False]),
        np.array([1 + 2j], dtype=np.complex128),
        np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
        np.array([{"a": 1}, None], dtype=object),
        np.arange(4, dtype=">i2"),
    ],
)
def test_numpy_payload_round_trip(value: np.ndarray) -> None:
    back = roundtrip(value)
    assert back.dtype == value.dtype
    assert back.shape == value.shape
    if value.dtype.hasobject:
        assert list(back) == list(value)
    else:
        np.testing.assert_array_equal(back, value)


def test_numpy_batch_and_split() -> None:
    c = container_for(np.zeros(1))
    a, b = np.ones((2, 3)), np.zeros((1, 3))
    batch, sizes = c.batch([a, b], 0)
    assert batch.shape == (3, 3) and sizes == [2, 1]
    parts = c.split(batch, sizes, 0)
    np.testing.assert_array_equal(parts[0], a)
    np.testing.assert_array_equal(parts[1], b)
    # along another dim
    batch, sizes = c.batch([np.ones((3, 1)), np.zeros((3, 2))], 1)
    assert batch.shape == (3, 3) and sizes == [1, 2]
    assert c.compatible(np.ones((1, 3)), np.ones((5, 3)), 0)
    assert not c.compatible(np.ones((1, 3)), np.ones((1, 4)), 0)
    assert not c.compatible(np.ones((1, 3)), np.ones((1, 3), dtype=np.int32), 0)
    with pytest.raises(TiffinError, match="exactly one output row"):
        c.split(np.ones((4, 1)), [2, 1], 0)


def test_lists_and_tuples() -> None:
    c = container_for([1])
    assert container_for((1,)) is c
    batch, sizes = c.batch([[1, 2], [3]], 0)
    assert batch == [1, 2, 3] and sizes == [2, 1]
    assert c.split(batch, sizes, 0) == [[1, 2], [3]]
    assert roundtrip([1, "two", {"three": 3.0}, None]) == [1, "two", {"three": 3.0}, None]
    assert roundtrip(()) == ()
    assert roundtrip([np.arange(3)])[0].tolist() == [0, 1, 2]


def test_unknown_types_have_no_container() -> None:
    assert container_for(object()) is None
    assert container_for(3) is None


def test_subclasses_match_through_the_mro() -> None:
    class MyArray(np.ndarray):
        pass

    assert container_for(np.zeros(2).view(MyArray)).name == "numpy"

    class MyList(list):
        pass

    assert container_for(MyList()).name == "list"


def test_pandas_frames_and_series() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    c = container_for(df)
    assert c.name == "pandas"
    back = roundtrip(df)
    pd.testing.assert_frame_equal(back, df)
    batch, sizes = c.batch([df, df.iloc[:1]], 0)
    assert len(batch) == 4 and sizes == [3, 1]
    first, second = c.split(batch, sizes, 0)
    pd.testing.assert_frame_equal(first, df)
    pd.testing.assert_frame_equal(second, df.iloc[:1])
    assert not c.compatible(df, df[["a"]], 0)
    series = pd.Series([1.0, 2.0], name="s")
    pd.testing.assert_series_equal(roundtrip(series), series)


def test_pandas_is_not_imported_for_other_values() -> None:
    code = (
        "import sys, numpy as np\n"
        "from tiffin._runner import container_for\n"
        "c = container_for(np.zeros(2)); p = c.to_payload(np.zeros(2)); c.from_payload(p)\n"
        "container_for([1]); container_for(object())\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_builtins_are_registered_through_the_hook() -> None:
    containers = _plugins.data_containers()
    assert containers["numpy.ndarray"].name == "numpy"
    assert containers["builtins.list"].name == "list"
    assert containers["pandas.DataFrame"].name == "pandas"
