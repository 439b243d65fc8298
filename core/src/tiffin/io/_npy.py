"""NumpyNdarray's binary forms: ``.npy`` bodies, raw bytes with dtype and shape headers.

Pure functions of the bytes and the request, kept apart from the descriptor itself
(:mod:`tiffin.io._numpy`): reading a ``.npy`` body safely, parsing a shape header, and which
binary form an ``Accept`` header asks for.
"""

from __future__ import annotations

import io
import math
from typing import Any

from tiffin.exceptions import BadInput
from tiffin.io._base import header, media_type_of

__all__ = ["fmt_shape", "lazy_numpy", "parse_shape", "read_npy", "wanted_binary"]

JSON = "application/json"
NPY = "application/x-npy"
RAW = "application/octet-stream"
CSV = "text/csv"
DTYPE_HEADER = "X-Tiffin-Dtype"
SHAPE_HEADER = "X-Tiffin-Shape"
NUMERIC_KINDS = "biuf"

_np: Any = None


def lazy_numpy() -> Any:
    """numpy, imported on first use (``import tiffin`` stays light)."""
    global _np
    if _np is None:
        import numpy

        _np = numpy
    return _np


def parse_shape(text: str) -> tuple[int, ...]:
    """``"2,3"``, ``"(2, 3)"``, ``"[2,3]"`` or ``"2x3"`` -> ``(2, 3)``; ``""`` -> ``()``."""
    cleaned = text.strip().strip("()[]").replace("x", ",")
    try:
        shape = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise BadInput(
            f"{SHAPE_HEADER} must be comma-separated integers like '2,3', got {text!r}"
        ) from None
    if any(s < 0 for s in shape):
        raise BadInput(f"{SHAPE_HEADER} must not hold negative sizes, got {text!r}")
    return shape


def fmt_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "any"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def read_npy(data: bytes) -> Any:
    """Read a ``.npy`` body without pickles, and without trusting its header's size.

    ``np.load`` on a file object allocates what the header claims before reading the data,
    so a 100-byte body could ask for terabytes; the header is read and checked first here.
    """
    np = lazy_numpy()
    from numpy.lib import format as npy

    stream = io.BytesIO(data)
    try:
        major, _ = npy.read_magic(stream)
        read_header = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, TypeError, SyntaxError, OverflowError, EOFError) as exc:
        raise BadInput(f"NumpyNdarray input is not a readable .npy file: {exc}") from None
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS + "c":
        raise BadInput(
            f"NumpyNdarray .npy input must hold a numeric array without pickles, got dtype {dtype}"
        )
    offset = stream.tell()
    expected = dtype.itemsize * math.prod(shape)
    if len(data) - offset != expected:
        raise BadInput(
            f"NumpyNdarray .npy input declares shape {fmt_shape(shape)} of {dtype} "
            f"({expected} bytes) but holds {len(data) - offset} bytes of data"
        )
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset)
    return arr.reshape(shape, order="F" if fortran_order else "C").copy()


def wanted_binary(request: Any) -> str | None:
    """``application/x-npy`` or ``application/octet-stream`` when ``Accept`` asks for it first."""
    accept = header(request, b"accept")
    if not accept or b"application/" not in accept:
        return None
    for part in accept.split(b","):
        media_type = media_type_of(part)
        if media_type in (NPY, RAW):
            return media_type
        if media_type in (JSON, "*/*", "application/*"):
            return None
    return None
