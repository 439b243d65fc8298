"""``tiffin.io.OnnxTensors``: an API's body as the named tensors of an ONNX graph.

Over HTTP the body is a JSON object, one key per tensor (``{"X": [[5.1, 3.5, 1.4, 0.2]]}``); over
the Open Inference Protocol (V2) each tensor travels under its own name, with the graph's
datatypes and shapes in the model metadata, so a V2 client speaks to the API exactly as it would
to the graph. As an API's input the function receives a dict of numpy arrays in graph order
(``runner.run(**tensors)``); as its output it returns the runner's answer: one array, a tuple
in graph order, or a dict by name.

``tiffin.onnx.io_descriptors(tag)`` builds the pair from a saved graph. numpy and orjson are
imported on first use, not with this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tiffin.exceptions import BadInput, InvalidArgument, TiffinError
from tiffin.io import IODescriptor

__all__ = ["OnnxTensors"]

#: numpy dtype name -> V2 datatype
_DATATYPES = {
    "bool": "BOOL",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
    "object": "BYTES",
}


class OnnxTensors(IODescriptor):
    """Named tensors (see the module docstring).

    ``tensors``: one ``{"name": str, "dtype": numpy dtype name, "shape": [dims] or None}`` per
    tensor, in graph order; ``-1`` in a shape is any size.
    """

    media_types = ("application/json",)

    def __init__(self, tensors: Sequence[Mapping[str, Any]]) -> None:
        if not isinstance(tensors, list | tuple) or not tensors:
            raise InvalidArgument(
                f"OnnxTensors(tensors=...) takes a non-empty list of {{'name', 'dtype', 'shape'}}"
                f" dicts, got {tensors!r}"
            )
        specs: list[tuple[str, str, tuple[int, ...] | None]] = []
        for item in tensors:
            name = item.get("name") if isinstance(item, Mapping) else None
            dtype = item.get("dtype") if isinstance(item, Mapping) else None
            shape = item.get("shape") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or not name or dtype not in _DATATYPES:
                raise InvalidArgument(
                    f"OnnxTensors: each tensor is {{'name': str, 'dtype': one of "
                    f"{', '.join(_DATATYPES)}, 'shape': [dims] or None}}, got {item!r}"
                )
            if shape is not None and not (
                isinstance(shape, list | tuple)
                and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
            ):
                raise InvalidArgument(f"OnnxTensors: tensor {name!r} has a bad shape {shape!r}")
            specs.append((name, dtype, None if shape is None else tuple(shape)))
        names = [s[0] for s in specs]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"OnnxTensors: tensor names repeat: {names}")
        self._specs = specs

    @property
    def names(self) -> list[str]:
        return [s[0] for s in self._specs]

    # -- HTTP: a JSON object, one key per tensor -----------------------------------------------

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        import orjson

        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"the body is not JSON ({exc}); send {self._example_text()}") from None
        if not isinstance(body, dict):
            raise BadInput(
                f"send a JSON object with one key per tensor, like {self._example_text()}"
            )
        self._check_names(set(body), "key")
        return {
            name: self._checked(name, dtype, shape, body[name])
            for name, dtype, shape in self._specs
        }

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        import orjson

        arrays = self._arrays(value)
        body = {
            name: arr.tolist() if arr.dtype.kind in "OUSV" else _contiguous(arr)
            for name, arr in arrays.items()
        }
        return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), "application/json", {}

    # -- the Open Inference Protocol: one tensor per name ----------------------------------------

    def tensor_specs(self, role: str) -> list[Any]:
        """The graph's tensors by name, with their V2 datatypes and shapes."""
        from tiffin.io import TensorSpec

        return [
            TensorSpec(name, _DATATYPES[dtype], shape if shape is not None else (-1,))
            for name, dtype, shape in self._specs
        ]

    def from_tensors(self, tensors: list[Any]) -> Any:
        by_name = {t.name: t for t in tensors}
        if len(by_name) != len(tensors):
            raise BadInput("an input tensor name repeats")
        self._check_names(set(by_name), "input tensor")
        return {
            name: self._checked(name, dtype, shape, by_name[name].data)
            for name, dtype, shape in self._specs
        }

    def to_tensors(self, value: Any, role: str) -> list[Any]:
        from tiffin.io import Tensor

        tensors = []
        for name, arr in self._arrays(value).items():
            datatype = _DATATYPES.get(arr.dtype.name)
            if datatype is None:
                raise TiffinError(f"output {name!r} has dtype {arr.dtype}, which V2 cannot carry")
            tensors.append(Tensor(name, datatype, arr.shape, arr))
        return tensors

    # -- description ---------------------------------------------------------------------------

    def openapi_schema(self) -> dict[str, Any]:
        properties = {}
        for name, dtype, shape in self._specs:
            leaf: dict[str, Any] = (
                {"type": "string"}
                if dtype == "object"
                else {"type": "boolean"}
                if dtype == "bool"
                else {"type": "integer"}
                if dtype.startswith(("int", "uint"))
                else {"type": "number"}
            )
            schema = leaf
            for _ in range(len(shape) if shape is not None else 1):
                schema = {"type": "array", "items": schema}
            properties[name] = schema
        return {
            "type": "object",
            "properties": properties,
            "required": self.names,
            "additionalProperties": False,
        }

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "OnnxTensors",
            "args": {
                "tensors": [
                    {"name": n, "dtype": d, "shape": None if s is None else list(s)}
                    for n, d, s in self._specs
                ]
            },
        }

    def __repr__(self) -> str:
        return f"OnnxTensors({', '.join(self.names)})"

    # -- helpers -------------------------------------------------------------------------------

    def _example_text(self) -> str:
        return "{" + ", ".join(f'"{n}": [...]' for n in self.names) + "}"

    def _check_names(self, given: set[str], what: str) -> None:
        unknown = sorted(given - set(self.names))
        missing = [n for n in self.names if n not in given]
        if unknown or missing:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(map(repr, missing))}")
            if unknown:
                parts.append(f"unknown {', '.join(map(repr, unknown))}")
            raise BadInput(
                f"{'; '.join(parts)}: this model takes the {what}s "
                f"{', '.join(map(repr, self.names))}"
            )

    def _checked(self, name: str, dtype: str, shape: tuple[int, ...] | None, value: Any) -> Any:
        import numpy as np

        try:
            arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        except ValueError:
            raise BadInput(f"tensor {name!r} is not a rectangular array") from None
        if arr.dtype.name != dtype:
            arr = _cast(name, arr, dtype)
        if shape is not None and (
            arr.ndim != len(shape)
            or any(n != -1 and got != n for got, n in zip(arr.shape, shape, strict=True))
        ):
            want = "(" + ", ".join(map(str, shape)) + ")"
            raise BadInput(
                f"tensor {name!r}: expected shape {want}, got {tuple(arr.shape)} (-1 is any size)"
            )
        return arr

    def _arrays(self, value: Any) -> dict[str, Any]:
        import numpy as np

        names = self.names
        if isinstance(value, Mapping):
            if set(value) != set(names):
                raise TiffinError(
                    f"the API returned tensors {sorted(value)}; this descriptor declares {names}"
                )
            items = [value[n] for n in names]
        elif isinstance(value, tuple):
            items = list(value)
        else:
            items = [value]
        if len(items) != len(names):
            raise TiffinError(
                f"the API returned {len(items)} value(s); this descriptor declares {len(names)} "
                f"tensors ({', '.join(names)}): return the runner's answer unchanged"
            )
        return {n: np.asarray(v) for n, v in zip(names, items, strict=True)}


def _contiguous(arr: Any) -> Any:
    import numpy as np

    if arr.dtype.name == "float16":  # orjson writes float16 only through lists
        return arr.tolist()
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("="), copy=False)


def _cast(name: str, arr: Any, dtype: str) -> Any:
    """JSON's numbers to the declared dtype: integers and floats to a float tensor (float64 to
    float32), integers to an integer tensor, text to a string tensor; nothing lossy."""
    kind = arr.dtype.kind
    if dtype == "object" and kind in "UO":
        return arr.astype(object)
    if dtype.startswith("float") and kind in "iuf":
        return arr.astype(dtype)
    if dtype.startswith(("int", "uint")) and kind in "iu":
        return arr.astype(dtype)
    if dtype == "bool" and kind == "b":
        return arr
    raise BadInput(
        f"tensor {name!r} takes {dtype}, got {arr.dtype}; send {dtype}"
        if kind != "O"
        else f"tensor {name!r} takes {dtype}: send a rectangular array of numbers"
    )
