"""tiffin.io.OnnxTensors: a graph's named tensors as an API's body, built from a saved graph by
tiffin.onnx.io_descriptors(tag); it passes the IO descriptor contract."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tiffin_onnx import OnnxTensors

import tiffin
from tiffin.exceptions import BadInput, InvalidArgument, TiffinError
from tiffin.testing import IODescriptorContract

from .models import iris_onnx, torch_two_onnx

TWO_INPUTS = [
    {"name": "left", "dtype": "float32", "shape": [-1, 3]},
    {"name": "right", "dtype": "float32", "shape": [-1, 5]},
]


class TestOnnxTensorsContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return OnnxTensors(TWO_INPUTS)

    def samples(self) -> list[Any]:
        rng = np.random.default_rng(0)
        return [
            {
                "left": rng.normal(size=(2, 3)).astype(np.float32),
                "right": rng.normal(size=(2, 5)).astype(np.float32),
            }
        ]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [
            (b"[1, 2]", "application/json"),
            (b'{"left": [[1, 2, 3]]}', "application/json"),
            (b'{"left": [[1, 2]], "right": [[1, 2, 3, 4, 5]]}', "application/json"),
            (b'{"left": [["a", "b", "c"]], "right": [[1, 2, 3, 4, 5]]}', "application/json"),
            (b"{nope", "application/json"),
        ]

    def compare(self, got: Any, expected: Any, where: str) -> None:
        assert list(got) == list(expected), where
        for name in expected:
            np.testing.assert_array_equal(got[name], expected[name], err_msg=where)
            assert got[name].dtype == expected[name].dtype, where


def test_io_descriptors_come_from_the_saved_graph() -> None:
    tiffin.onnx.save_model("iris_onnx", iris_onnx()[1])
    inputs, outputs = tiffin.onnx.io_descriptors("iris_onnx:latest")
    assert [s.metadata() for s in inputs.tensor_specs("input")] == [
        {"name": "X", "datatype": "FP32", "shape": [-1, 4]}
    ]
    assert [s.metadata() for s in outputs.tensor_specs("output")] == [
        {"name": "label", "datatype": "INT64", "shape": [-1]},
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
    ]
    assert tiffin.io.from_spec(inputs.to_spec()).to_spec() == inputs.to_spec()
    # JSON numbers are cast to the graph's dtype, as NumpyNdarray(dtype=...) does
    decoded = inputs.decode(b'{"X": [[5, 3.5, 1.4, 0.2]]}', None)
    assert decoded["X"].dtype == np.float32 and decoded["X"].shape == (1, 4)
    body, media_type, _ = outputs.encode((np.array([0]), np.array([[0.9, 0.1, 0.0]], np.float32)))
    assert media_type == "application/json"
    assert body.startswith(b'{"label":[0],"probabilities":[[0.9')


def test_several_inputs_by_name() -> None:
    tiffin.onnx.save_model("two", torch_two_onnx()[1])
    inputs, outputs = tiffin.onnx.io_descriptors("two")
    assert inputs.names == ["left", "right"] and outputs.names == ["total", "best"]
    with pytest.raises(BadInput, match=r"missing 'right'; unknown 'middle': this model takes"):
        inputs.decode(b'{"left": [[1, 2, 3]], "middle": [[1]]}', None)
    with pytest.raises(BadInput, match=r"tensor 'left': expected shape \(-1, 3\), got \(1, 2\)"):
        inputs.decode(b'{"left": [[1, 2]], "right": [[1, 2, 3, 4, 5]]}', None)
    with pytest.raises(TiffinError, match="returned 1 value"):
        outputs.encode(np.zeros((1, 2)))


def test_bad_descriptor_arguments_are_clear() -> None:
    with pytest.raises(InvalidArgument, match="non-empty list"):
        OnnxTensors([])
    with pytest.raises(InvalidArgument, match="'dtype': one of"):
        OnnxTensors([{"name": "x", "dtype": "complex64"}])
    with pytest.raises(InvalidArgument, match="names repeat"):
        OnnxTensors([{"name": "x", "dtype": "float32"}, {"name": "x", "dtype": "int64"}])
