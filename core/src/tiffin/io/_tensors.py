"""Tensors as the Open Inference Protocol (KServe V2) names them, and their numpy codecs.

A :class:`Tensor` is what a descriptor's optional tensor capability hands to and takes from the
V2 server (:mod:`tiffin._server._v2`): a name, a V2 datatype, a shape and a numpy array. The
datatype table and the two wire forms of tensor data (JSON lists and the binary tensor data
extension) live here, in one place, so every descriptor maps the same way.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import attrs

from tiffin.exceptions import BadInput

__all__ = [
    "DATATYPES",
    "Tensor",
    "TensorSpec",
    "bytes_from_binary",
    "bytes_to_binary",
    "datatype_of",
    "numpy_dtype",
]

#: V2 datatype -> numpy dtype name (``BYTES`` is an object array of ``bytes``).
DATATYPES: dict[str, str] = {
    "BOOL": "bool",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "object",
}


@attrs.frozen
class TensorSpec:
    """What a descriptor states about one tensor in V2 metadata: ``-1`` is any size."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


@attrs.define(eq=False)
class Tensor:
    """One named tensor: ``data`` is a numpy array of ``shape`` (bytes objects for ``BYTES``)."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    data: Any


_TO_NUMPY: dict[str, Any] = {}
_FROM_NUMPY: dict[Any, str] = {}


def _tables() -> None:
    """Fill the lookup tables once (numpy is imported on first use, not with this module)."""
    import numpy as np

    for datatype, name in DATATYPES.items():
        dtype = np.dtype(name)
        _TO_NUMPY[datatype] = dtype
        _FROM_NUMPY[dtype] = datatype
        if dtype.itemsize > 1 and dtype.kind != "O":  # the other byte order reads the same
            _FROM_NUMPY[dtype.newbyteorder(">")] = datatype


def numpy_dtype(datatype: str) -> Any:
    """The numpy dtype of a V2 datatype; an unknown one is :class:`BadInput` naming the known."""
    found = _TO_NUMPY.get(datatype)
    if found is not None:
        return found
    if not _TO_NUMPY:
        _tables()
        return numpy_dtype(datatype)
    raise BadInput(f"unknown tensor datatype {datatype!r}; use one of {', '.join(DATATYPES)}")


def datatype_of(dtype: Any) -> str:
    """The V2 datatype of a numpy dtype (text and object arrays are ``BYTES``)."""
    found = _FROM_NUMPY.get(dtype)
    if found is not None:
        return found
    if not _FROM_NUMPY:
        _tables()
        return datatype_of(dtype)
    if dtype.kind in "OUS":
        return "BYTES"
    raise TypeError(f"numpy dtype {dtype} has no Open Inference Protocol datatype")


def bytes_from_binary(data: bytes | memoryview, count: int, name: str) -> list[bytes]:
    """``BYTES`` elements from the binary extension: each a 4-byte little-endian length + bytes."""
    items: list[bytes] = []
    view = memoryview(data)
    offset = 0
    size = len(view)
    while offset < size:
        if offset + 4 > size:
            raise BadInput(f"input {name!r}: BYTES binary data ends inside a length prefix")
        (length,) = struct.unpack_from("<I", view, offset)
        offset += 4
        if offset + length > size:
            raise BadInput(
                f"input {name!r}: a BYTES element declares {length} bytes but only "
                f"{size - offset} remain"
            )
        items.append(bytes(view[offset : offset + length]))
        offset += length
    if len(items) != count:
        raise BadInput(
            f"input {name!r}: its shape holds {count} elements but the binary data holds "
            f"{len(items)}"
        )
    return items


def bytes_to_binary(items: Any) -> bytes:
    """The binary form of ``BYTES`` elements (``str`` are written as UTF-8)."""
    chunks: list[bytes] = []
    for item in items:
        raw = item.encode("utf-8") if isinstance(item, str) else bytes(item)
        chunks.append(struct.pack("<I", len(raw)))
        chunks.append(raw)
    return b"".join(chunks)


def element_count(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
