"""NumpyNdarray: numeric arrays as JSON lists, ``.npy``, CSV or raw bytes.

This is the serving hot path: a JSON request is one ``orjson.loads`` and one ``np.asarray``,
and a JSON answer one ``orjson.dumps`` of the array's memory; everything slower (object arrays,
strict casts, binary forms) happens only when the input needs it.

NaN and infinity: JSON has no way to write them, so a JSON answer writes them as ``null``, and
a JSON ``null`` in a request becomes NaN (for float dtypes), unless ``enforce_dtype=True``, which
refuses it with a 400. The binary forms keep them exactly.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import orjson

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import (
    IODescriptor,
    current_request,
    header,
    set_current_request,
    wrong_output,
)
from tiffin.io._npy import (
    CSV,
    DTYPE_HEADER,
    JSON,
    NPY,
    NUMERIC_KINDS,
    RAW,
    SHAPE_HEADER,
    fmt_shape,
    lazy_numpy,
    parse_shape,
    read_npy,
    wanted_binary,
)
from tiffin.io._tensors import Tensor, TensorSpec, datatype_of

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["NumpyNdarray"]

_NUMERIC_KINDS = NUMERIC_KINDS
_JSON_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def _json_default(obj: Any) -> Any:
    np = lazy_numpy()
    if isinstance(obj, np.ndarray):
        if obj.ndim and obj.dtype.kind in _NUMERIC_KINDS and not obj.flags.c_contiguous:
            return np.ascontiguousarray(obj)
        return obj.tolist()  # 0-d arrays, float16, object and string arrays
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


class NumpyNdarray(IODescriptor):
    """A numpy array, sent as (nested) JSON lists, ``.npy``, CSV, or raw bytes.

    :param dtype: cast every input to this dtype (``np.float32``: JSON numbers become float32).
    :param shape: the expected shape; ``-1`` stands for any size along that axis.
    :param enforce_dtype: refuse (400) an input that this dtype cannot represent exactly (text,
        an overflow to inf, a fraction for an integer dtype) instead of casting it loosely.
    :param enforce_shape: refuse (400) an input whose shape does not match ``shape``.
    """

    media_types = (JSON, NPY, RAW, CSV)
    form_as_default = True

    def __init__(
        self,
        dtype: Any = None,
        shape: tuple[int, ...] | list[int] | None = None,
        enforce_dtype: bool = False,
        enforce_shape: bool = False,
    ) -> None:
        np = lazy_numpy()
        try:
            self._dtype = np.dtype(dtype) if dtype is not None else None
        except TypeError as exc:
            raise InvalidArgument(
                f"NumpyNdarray(dtype={dtype!r}) is not a numpy dtype: {exc}"
            ) from None
        if self._dtype is not None and self._dtype.kind in "OV":
            raise InvalidArgument(
                f"NumpyNdarray(dtype={dtype!r}): object and structured dtypes cannot travel over "
                f"HTTP; use a numeric dtype, or the JSON descriptor"
            )
        self._shape = tuple(int(s) for s in shape) if shape is not None else None
        if enforce_dtype and self._dtype is None:
            raise InvalidArgument("NumpyNdarray(enforce_dtype=True) needs a dtype= to enforce")
        if enforce_shape and self._shape is None:
            raise InvalidArgument("NumpyNdarray(enforce_shape=True) needs a shape= to enforce")
        self._enforce_dtype = bool(enforce_dtype)
        self._enforce_shape = bool(enforce_shape)
        self._fixed_axes = tuple((i, s) for i, s in enumerate(self._shape or ()) if s != -1)

    # -- input ---------------------------------------------------------------------------------

    async def from_http(self, request: Request) -> Any:
        set_current_request(request)
        media_type = self.check_media_type(request)
        body = await request.body()
        if media_type == RAW:
            dtype = header(request, DTYPE_HEADER.lower().encode())
            shape = header(request, SHAPE_HEADER.lower().encode())
            return self._from_raw(
                body,
                dtype.decode("latin-1") if dtype else None,
                shape.decode("latin-1") if shape is not None else None,
            )
        return self.decode(body, media_type, None)

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        if media_type is None or media_type == JSON or media_type == "*/*":
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"NumpyNdarray input is not valid JSON: {exc}") from None
            return self._check_shape(self._from_json(parsed))
        if media_type == NPY:
            return self._check_shape(self._cast(self._from_npy(data)))
        if media_type == CSV:
            return self._check_shape(self._cast(self._from_csv(data)))
        return self._from_raw(data, None, None)

    def media_type_for_file(self, filename: str | None) -> str | None:
        name = (filename or "").lower()
        if name.endswith(".npy"):
            return NPY
        if name.endswith((".csv", ".txt")):
            return CSV
        if name.endswith((".bin", ".raw")):
            return RAW
        if name.endswith(".json"):
            return JSON
        return None

    def _from_json(self, parsed: Any) -> Any:
        np = lazy_numpy()
        if not isinstance(parsed, list):
            self._check_json_scalar(parsed)
        dtype = self._dtype
        if dtype is not None and not self._enforce_dtype:
            try:
                with np.errstate(all="ignore"):
                    arr = np.asarray(parsed, dtype=dtype)
            except (ValueError, TypeError, OverflowError) as exc:
                raise BadInput(
                    self._not_numeric(parsed, exc, f"cannot be converted to {dtype}")
                ) from None
            return arr
        try:
            arr = np.asarray(parsed)
        except (ValueError, TypeError) as exc:
            raise BadInput(self._not_numeric(parsed, exc, "is not a numeric array")) from None
        kind = arr.dtype.kind
        if kind not in _NUMERIC_KINDS:
            arr = self._from_objects(arr)
        return self._cast(arr) if dtype is not None else arr

    def _check_json_scalar(self, parsed: Any) -> None:
        """Objects and strings are refused; a bare number is a 0-d array unless a shape says no."""
        if isinstance(parsed, (dict, str)):  # a tuple: no union object built per request
            kind = "an object" if isinstance(parsed, dict) else "a string"
            raise BadInput(
                f"NumpyNdarray input must be a JSON array of numbers (nested lists), got {kind}"
                f"{'; expected shape ' + fmt_shape(self._shape) if self._shape else ''}"
            )
        if self._shape:  # shape=() asks for a 0-d array: a bare number is what it wants
            raise BadInput(
                f"NumpyNdarray input is a single JSON value ({orjson.dumps(parsed).decode()}), "
                f"not an array; expected shape {fmt_shape(self._shape)}: wrap it in a list"
            )

    def _not_numeric(self, parsed: Any, exc: Exception, what: str) -> str:
        text = str(exc)
        if "inhomogeneous" in text:
            reason = "its nested lists are ragged (rows of different lengths, or lists mixed with other values)"
        else:
            reason = text
        expected = f"; expected shape {fmt_shape(self._shape)}" if self._shape is not None else ""
        return f"NumpyNdarray input {what}: {reason}{expected}"

    def _from_objects(self, arr: Any) -> Any:
        """Object or text arrays: nulls become NaN, big integers floats; anything else is a 400."""
        np = lazy_numpy()
        if arr.dtype.kind in "US":
            hint = " or set dtype= to parse numbers written as text" if self._dtype is None else ""
            raise BadInput(
                f"NumpyNdarray input holds text (JSON strings) where numbers were expected; send numbers{hint}"
            )
        for position, item in enumerate(arr.flat):
            if isinstance(item, int | float) and not isinstance(item, bool):
                continue
            where = np.unravel_index(position, arr.shape) if arr.ndim else ()
            if item is None:
                if not self._enforce_dtype:
                    continue  # null is NaN, as in our JSON answers
                raise BadInput(
                    f"NumpyNdarray input holds null at index {tuple(int(i) for i in where)}, where "
                    f"a number was expected (enforce_dtype=True refuses missing values)"
                )
            raise BadInput(
                f"NumpyNdarray input holds a {type(item).__name__} at index {tuple(int(i) for i in where)}, "
                f"where a number was expected"
            )
        with np.errstate(all="ignore"):
            return arr.astype(np.float64)

    def _from_npy(self, data: bytes) -> Any:
        return read_npy(data)

    def _from_csv(self, data: bytes) -> Any:
        np = lazy_numpy()
        try:
            with np.errstate(all="ignore"):
                return np.loadtxt(
                    io.BytesIO(data), delimiter=",", dtype=self._dtype or np.float64, ndmin=2
                )
        except (ValueError, TypeError) as exc:
            raise BadInput(f"NumpyNdarray CSV input is not a table of numbers: {exc}") from None

    def _from_raw(self, data: bytes, dtype_text: str | None, shape_text: str | None) -> Any:
        np = lazy_numpy()
        if dtype_text is None and self._dtype is None:
            raise BadInput(
                f"NumpyNdarray application/octet-stream input needs its dtype: send the header "
                f"{DTYPE_HEADER} (e.g. '<f4') and {SHAPE_HEADER} (e.g. '2,3')"
            )
        try:
            dtype = np.dtype(dtype_text) if dtype_text is not None else self._dtype
        except TypeError:
            raise BadInput(
                f"{DTYPE_HEADER} {dtype_text!r} is not a numpy dtype (try '<f4' or 'float32')"
            ) from None
        if dtype.kind not in _NUMERIC_KINDS + "c":
            raise BadInput(f"{DTYPE_HEADER} {dtype_text!r} is not a numeric dtype")
        if shape_text is not None:
            shape = parse_shape(shape_text)
        elif self._shape is not None and -1 not in self._shape:
            shape = self._shape
        else:
            shape = (len(data) // dtype.itemsize,)
        expected = dtype.itemsize * math.prod(shape)
        if len(data) != expected:
            raise BadInput(
                f"NumpyNdarray raw input has {len(data)} bytes, but dtype {dtype.str} and shape "
                f"{fmt_shape(shape)} need {expected}"
            )
        arr = np.frombuffer(data, dtype=dtype).reshape(shape)
        cast = self._cast(arr)
        return self._check_shape(cast.copy() if cast is arr else cast)

    # -- dtype and shape -----------------------------------------------------------------------

    def _cast(self, arr: Any) -> Any:
        np = lazy_numpy()
        dtype = self._dtype
        if dtype is None or arr.dtype == dtype:
            return arr
        with np.errstate(all="ignore"):
            cast = arr.astype(dtype)
        if not self._enforce_dtype:
            return cast
        if dtype.kind in "fc":
            # the common case, all finite: bytes.find on the bool mask is a memchr, several
            # times faster than .all() on the small arrays a request usually carries
            if cast.dtype.kind == "f" and np.isfinite(cast).tobytes().find(0) < 0:
                return cast
            bad = np.isinf(cast) & ~np.isinf(arr) if arr.dtype.kind in "fc" else np.isinf(cast)
            problem = "overflows to inf"
        else:
            with np.errstate(all="ignore"):
                bad = cast.astype(arr.dtype) != arr
            problem = "cannot be represented exactly"
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise BadInput(
                f"NumpyNdarray input value {arr[where].item()!r} at index {where} {problem} "
                f"as {dtype} (enforce_dtype=True)"
            )
        return cast

    def _check_shape(self, arr: Any) -> Any:
        if self._enforce_shape:
            actual = arr.shape
            ok = len(actual) == len(self._shape)
            if ok:
                for axis, size in self._fixed_axes:
                    if actual[axis] != size:
                        ok = False
                        break
            if not ok:
                raise BadInput(
                    f"NumpyNdarray input has shape {fmt_shape(actual)}, expected "
                    f"{fmt_shape(self._shape)} (-1 means any size)"
                )
        return arr

    # -- output --------------------------------------------------------------------------------

    def _as_array(self, value: Any) -> Any:
        np = lazy_numpy()
        if isinstance(value, np.ndarray):
            return value
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            raise wrong_output(self, "a numpy array", value) from None
        if arr.dtype.kind == "O":
            raise wrong_output(self, "a numpy array", value)
        return arr

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        arr = self._as_array(value)
        try:
            return orjson.dumps(arr, default=_json_default, option=_JSON_NUMPY), JSON, {}
        except TypeError as exc:
            raise wrong_output(self, f"a JSON-encodable numpy array ({exc})", value) from None

    async def to_http(self, value: Any) -> Any:
        from starlette.responses import Response

        request = current_request()
        binary = wanted_binary(request) if request is not None else None
        if binary is None:
            body, media_type, _ = self.encode(value)
            return Response(body, media_type=media_type)
        arr = self._as_array(value)
        if binary == NPY:
            buffer = io.BytesIO()
            lazy_numpy().save(buffer, arr, allow_pickle=False)
            return Response(buffer.getvalue(), media_type=NPY)
        if arr.dtype.kind not in _NUMERIC_KINDS + "c":
            raise wrong_output(self, "a numeric numpy array", value)
        headers = {DTYPE_HEADER: arr.dtype.str, SHAPE_HEADER: ",".join(str(s) for s in arr.shape)}
        return Response(arr.tobytes(order="C"), media_type=RAW, headers=headers)

    # -- tensors (the Open Inference Protocol) -------------------------------------------------

    def tensor_specs(self, role: str) -> list[TensorSpec]:
        """One tensor named ``role``: this dtype (FP64 when none is set) and shape (``[-1]``)."""
        datatype = datatype_of(self._dtype) if self._dtype is not None else "FP64"
        return [TensorSpec(role, datatype, self._shape if self._shape is not None else (-1,))]

    def from_tensors(self, tensors: list[Tensor]) -> Any:
        """The one input tensor as an array, cast and checked as an HTTP input would be."""
        if len(tensors) != 1:
            names = ", ".join(repr(t.name) for t in tensors) or "none"
            raise BadInput(
                f"this model takes exactly one input tensor, got {len(tensors)} ({names})"
            )
        tensor = tensors[0]
        arr = tensor.data
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise BadInput(
                f"input {tensor.name!r} has datatype {tensor.datatype}; this model takes numbers"
                f" ({self.tensor_specs('input')[0].datatype})"
            )
        dtype = self._dtype
        if dtype is not None and arr.dtype != dtype:
            if self._enforce_dtype:
                raise BadInput(
                    f"input {tensor.name!r} has datatype {tensor.datatype}, but this model takes "
                    f"{datatype_of(dtype)} (enforce_dtype=True); send {datatype_of(dtype)}"
                )
            arr = self._cast(arr)
        try:
            return self._check_shape(arr)
        except BadInput as exc:
            raise BadInput(f"input {tensor.name!r}: {exc}") from None

    def to_tensors(self, value: Any, role: str) -> list[Tensor]:
        """The returned array as one tensor named ``role``."""
        arr = self._as_array(value)
        try:
            datatype = datatype_of(arr.dtype)
        except TypeError:
            raise wrong_output(
                self, "an array of a V2 datatype (bool, int, uint, float)", value
            ) from None
        return [Tensor(role, datatype, arr.shape, arr)]

    # -- description ---------------------------------------------------------------------------

    def openapi_schema(self) -> dict[str, Any]:
        shape = self._shape
        if shape is None:
            # no shape: a bare JSON number is accepted as a 0-d array, and answered as one
            return {
                "description": "a (nested) list of numbers, or one number (a 0-d array)",
                "anyOf": [
                    {"type": "array", "items": {}},
                    {"type": "number", "nullable": True},  # NaN travels as null
                    {"type": "boolean"},
                ],
            }
        schema = _item_schema(self._dtype)
        for size in reversed(shape):
            schema = {"type": "array", "items": schema}
            if size != -1 and self._enforce_shape:
                schema["minItems"] = schema["maxItems"] = size
        return schema

    def _openapi_example(self) -> Any:
        example = self._example
        return example.tolist() if hasattr(example, "tolist") else example

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "NumpyNdarray",
            "args": {
                "dtype": self._dtype.str if self._dtype is not None else None,
                "shape": list(self._shape) if self._shape is not None else None,
                "enforce_dtype": self._enforce_dtype,
                "enforce_shape": self._enforce_shape,
            },
        }

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> NumpyNdarray:
        """Dtype, shape and example from an array (or nested lists); kwargs override them."""
        arr = lazy_numpy().asarray(sample)
        kwargs.setdefault("dtype", arr.dtype)
        kwargs.setdefault("shape", arr.shape)
        descriptor = cls(**kwargs)
        descriptor.set_example(arr)
        return descriptor


def _item_schema(dtype: Any) -> dict[str, Any]:
    if dtype is None:
        return {"type": "number"}
    kind = dtype.kind
    if kind == "b":
        return {"type": "boolean"}
    if kind in "iu":
        return {"type": "integer", "format": "int64" if dtype.itemsize == 8 else "int32"}
    if kind == "f":
        return {"type": "number", "format": "float" if dtype.itemsize <= 4 else "double"}
    return {"type": "string"}
