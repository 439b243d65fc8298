"""Calling an ONNX graph the way tiffin calls any model: ``run(x)``, checked at the boundary.

:class:`OnnxCallable` wraps an ``onnxruntime.InferenceSession``: one graph input takes a plain
array (``run(x)``), several take keyword arguments named after the graph's inputs (or
positional ones in graph order); one output comes back as an array, several as a tuple in graph
order. Every input is checked against the graph's declared element type and shape before the
session sees it, so a caller's mistake is a :class:`tiffin.exceptions.BadInput` (HTTP 400) that
names what the graph expects, never an onnxruntime error. A float64 array sent to a float32
input is cast (JSON numbers arrive as float64); any other dtype is refused.
"""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import BadInput

__all__ = ["OnnxCallable", "TensorInfo", "graph_inputs", "numpy_dtype"]

#: onnxruntime's element type names (``NodeArg.type``) -> numpy dtype names
_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


def numpy_dtype(ort_type: str) -> str | None:
    """The numpy dtype name of an onnxruntime tensor type (``"tensor(float)"`` -> float32)."""
    return _ORT_TYPES.get(ort_type)


class TensorInfo:
    """One declared graph input: its name, numpy dtype and shape (``-1`` for a dynamic dim)."""

    __slots__ = ("dtype", "name", "shape", "type")

    def __init__(self, name: str, ort_type: str, shape: tuple[int, ...] | None) -> None:
        self.name = name
        self.type = ort_type
        self.dtype = numpy_dtype(ort_type)
        self.shape = shape

    def describe(self) -> str:
        shape = "any shape" if self.shape is None else _shape_text(self.shape)
        return f"{self.name!r}: {self.dtype or self.type} {shape}"


def _dims(shape: Any) -> tuple[int, ...] | None:
    if shape is None:
        return None
    return tuple(d if isinstance(d, int) and d > 0 else -1 for d in shape)


def graph_inputs(session: Any) -> list[TensorInfo]:
    """The session's declared inputs, in graph order."""
    return [TensorInfo(i.name, i.type, _dims(i.shape)) for i in session.get_inputs()]


class OnnxCallable:
    """What a saved ONNX model's signature ``run`` is called on (see the module docstring).

    ``session`` is the ``onnxruntime.InferenceSession`` that runs the graph.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = graph_inputs(session)
        self.output_names = [o.name for o in session.get_outputs()]
        self._names = {t.name for t in self.inputs}

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the graph: ``run(x)`` for one input, ``run(a=..., b=...)`` for several."""
        feed = self._feed(args, kwargs)
        outputs = self.session.run(self.output_names, feed)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _feed(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        inputs = self.inputs
        if len(args) > len(inputs):
            raise BadInput(
                f"the graph takes {len(inputs)} input{'s' if len(inputs) != 1 else ''} "
                f"({self._describe()}), got {len(args)} positional arguments"
            )
        unknown = sorted(set(kwargs) - self._names)
        if unknown:
            raise BadInput(
                f"the graph has no input named {', '.join(map(repr, unknown))}; "
                f"its inputs are {self._describe()}"
            )
        given = dict(zip((t.name for t in inputs), args, strict=False))
        twice = sorted(set(given) & set(kwargs))
        if twice:
            raise BadInput(f"input {twice[0]!r} was given twice (by position and by name)")
        given.update(kwargs)
        missing = [t.name for t in inputs if t.name not in given]
        if missing:
            how = "run(x)" if len(inputs) == 1 else "keyword arguments named after the inputs"
            raise BadInput(
                f"the graph takes {len(inputs)} input{'s' if len(inputs) != 1 else ''} "
                f"({self._describe()}); missing {', '.join(map(repr, missing))} (pass {how})"
            )
        return {t.name: _checked(t, given[t.name]) for t in inputs}

    def _describe(self) -> str:
        return ", ".join(t.describe() for t in self.inputs)

    def __repr__(self) -> str:
        outs = ", ".join(map(repr, self.output_names))
        return f"<OnnxCallable inputs=[{self._describe()}] outputs=[{outs}]>"


OnnxCallable.__module__ = "tiffin_onnx"  # its public home, named in messages


def _checked(info: TensorInfo, value: Any) -> Any:
    import numpy as np

    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    expected = info.dtype
    if expected is not None and arr.dtype != expected:
        if expected == "object" and arr.dtype.kind == "U":
            arr = arr.astype(object)
        elif expected == "float32" and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        else:
            raise BadInput(
                f"input {info.name!r} takes {expected}, got {arr.dtype}; send {expected}"
                + (
                    " (float64 is cast to float32, nothing else is)"
                    if expected == "float32"
                    else ""
                )
            )
    shape = info.shape
    if shape is not None and (
        len(arr.shape) != len(shape)
        or any(n != -1 and got != n for got, n in zip(arr.shape, shape, strict=True))
    ):
        raise BadInput(
            f"input {info.name!r}: expected shape {_shape_text(shape)}, got "
            f"{_shape_text(arr.shape)} (-1 is any size)"
        )
    return arr


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
