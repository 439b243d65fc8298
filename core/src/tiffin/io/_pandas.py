"""PandasDataFrame and PandasSeries: JSON (pandas' orients) or CSV in and out; pandas optional."""

from __future__ import annotations

import io
from typing import Any

import orjson

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, wrong_output
from tiffin.io._optional import require
from tiffin.io._tensors import Tensor, TensorSpec, datatype_of

__all__ = ["PandasDataFrame", "PandasSeries"]

JSON = "application/json"
CSV = "text/csv"
_FRAME_ORIENTS = ("records", "split", "index", "columns", "values")
_SERIES_ORIENTS = ("records", "split", "index", "values")


def _pd() -> Any:
    return require("pandas", "pandas", "PandasDataFrame")


def np_dtype(dtype: Any) -> Any:
    """A numpy dtype for a pandas dtype spelling; ``TypeError`` when numpy has none."""
    import numpy as np

    return np.dtype(dtype)


def _dtype_name(dtype: Any) -> Any:
    if isinstance(dtype, dict):
        return {str(k): str(v) for k, v in dtype.items()}
    return str(dtype) if dtype is not None else None


class PandasDataFrame(IODescriptor):
    """A ``pandas.DataFrame`` from JSON (``orient`` as in pandas) or CSV, and back.

    :param orient: the JSON layout: ``records`` (a list of row objects, default), ``split``,
        ``index``, ``columns`` or ``values``.
    :param columns: column names to give a frame read from ``values``, and the columns expected.
    :param dtype: a dtype, or a ``{column: dtype}`` dict, applied to the input.
    :param shape: the expected shape (``-1``: any size); checked with ``enforce_shape``.
    :param enforce_dtype: a value that cannot take ``dtype`` is a 400 (otherwise the column is
        left as read).
    :param enforce_shape: a frame whose shape does not match ``shape`` is a 400.
    :param default_format: ``json`` or ``csv``: what answers are written in.
    """

    form_as_default = True

    def __init__(
        self,
        orient: str = "records",
        columns: list[str] | None = None,
        dtype: Any = None,
        shape: tuple[int, ...] | list[int] | None = None,
        enforce_dtype: bool = False,
        enforce_shape: bool = False,
        default_format: str = "json",
    ) -> None:
        _pd()
        if orient not in _FRAME_ORIENTS:
            raise InvalidArgument(
                f"PandasDataFrame(orient={orient!r}): use one of {', '.join(_FRAME_ORIENTS)}"
            )
        if default_format not in ("json", "csv"):
            raise InvalidArgument(
                f"PandasDataFrame(default_format={default_format!r}): use 'json' or 'csv'"
            )
        if enforce_dtype and dtype is None:
            raise InvalidArgument("PandasDataFrame(enforce_dtype=True) needs a dtype= to enforce")
        if enforce_shape and shape is None:
            raise InvalidArgument("PandasDataFrame(enforce_shape=True) needs a shape= to enforce")
        self._orient = orient
        self._columns = list(columns) if columns is not None else None
        self._dtype = dtype
        self._shape = tuple(int(s) for s in shape) if shape is not None else None
        self._enforce_dtype = bool(enforce_dtype)
        self._enforce_shape = bool(enforce_shape)
        self._default_format = default_format
        self.media_types = (JSON, CSV) if default_format == "json" else (CSV, JSON)

    def media_type_for_file(self, filename: str | None) -> str | None:
        return CSV if (filename or "").lower().endswith(".csv") else JSON

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        pd = _pd()
        if media_type is None or media_type == "*/*":
            media_type = self.media_types[0]
        if media_type == CSV:
            try:
                frame = pd.read_csv(io.BytesIO(data))
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise BadInput(f"PandasDataFrame CSV input is not readable: {exc}") from None
        else:
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"PandasDataFrame input is not valid JSON: {exc}") from None
            frame = self._from_parsed(pd, parsed)
        return self._check(frame)

    def _from_parsed(self, pd: Any, parsed: Any) -> Any:
        orient = self._orient
        expected = {
            "records": 'a list of row objects, like [{"a": 1, "b": 2}]',
            "split": "an object with 'columns', 'data' (and optionally 'index')",
            "index": "an object of row objects keyed by index",
            "columns": "an object of column objects",
            "values": "a list of rows (lists)",
        }[orient]
        try:
            if orient == "records":
                if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
                    raise ValueError("not a list of objects")
                return pd.DataFrame.from_records(parsed)
            if orient == "values":
                if not isinstance(parsed, list) or not all(isinstance(r, list) for r in parsed):
                    raise ValueError("not a list of lists")
                return pd.DataFrame(parsed, columns=self._columns)
            if orient == "split":
                if not isinstance(parsed, dict) or "data" not in parsed:
                    raise ValueError("no 'data' key")
                return pd.DataFrame(
                    parsed["data"], columns=parsed.get("columns"), index=parsed.get("index")
                )
            if not isinstance(parsed, dict) or not all(
                isinstance(v, dict) for v in parsed.values()
            ):
                raise ValueError("not an object of objects")
            return pd.DataFrame.from_dict(
                parsed, orient="index" if orient == "index" else "columns"
            )
        except (ValueError, TypeError, AssertionError) as exc:
            raise BadInput(
                f"PandasDataFrame input (orient={orient!r}) must be {expected}: {exc}"
            ) from None

    def _check(self, frame: Any) -> Any:
        if self._columns is not None and self._orient != "values":
            missing = [c for c in self._columns if c not in frame.columns]
            if missing:
                raise BadInput(
                    f"PandasDataFrame input lacks column(s) {', '.join(map(repr, missing))}; "
                    f"expected columns {self._columns}"
                )
        if self._dtype is not None:
            try:
                frame = frame.astype(self._dtype)
            except (ValueError, TypeError, KeyError, OverflowError) as exc:
                if self._enforce_dtype:
                    raise BadInput(
                        f"PandasDataFrame input cannot take dtype {_dtype_name(self._dtype)}: {exc}"
                    ) from None
        if self._enforce_shape:
            actual = frame.shape
            if len(actual) != len(self._shape) or any(
                e not in (-1, a) for e, a in zip(self._shape, actual, strict=False)
            ):
                raise BadInput(
                    f"PandasDataFrame input has shape {actual}, expected {self._shape} (-1 means any)"
                )
        return frame

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        pd = _pd()
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if not isinstance(value, pd.DataFrame):
            raise wrong_output(self, "a pandas.DataFrame", value)
        if self._default_format == "csv":
            return value.to_csv(index=False).encode("utf-8"), "text/csv; charset=utf-8", {}
        options = {"index": False} if self._orient in ("records", "values") else {}
        text = value.to_json(orient=self._orient, **options)
        return text.encode("utf-8"), JSON, {}

    # -- tensors (the Open Inference Protocol): one tensor per column ----------------------------

    def tensor_specs(self, role: str) -> list[TensorSpec]:
        """One 1-D tensor per declared column (none declared: any columns are taken)."""
        if not self._columns:
            return []
        dtypes = self._dtype if isinstance(self._dtype, dict) else {}
        specs = []
        for column in self._columns:
            dtype = dtypes.get(column, self._dtype if not isinstance(self._dtype, dict) else None)
            try:
                datatype = datatype_of(np_dtype(dtype)) if dtype is not None else "FP64"
            except TypeError:
                datatype = "BYTES"
            specs.append(TensorSpec(str(column), datatype, (-1,)))
        return specs

    def from_tensors(self, tensors: list[Tensor]) -> Any:
        """A frame with one column per tensor (each of shape ``[n]`` or ``[n, 1]``)."""
        pd = _pd()
        if not tensors:
            raise BadInput("this model takes one input tensor per column, got none")
        data: dict[str, Any] = {}
        rows = None
        for tensor in tensors:
            arr = tensor.data
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr.reshape(-1)
            if arr.ndim != 1:
                raise BadInput(
                    f"input {tensor.name!r} has shape {list(tensor.shape)}; a column tensor has "
                    f"shape [n] or [n, 1]"
                )
            if rows is not None and len(arr) != rows:
                raise BadInput(
                    f"input {tensor.name!r} has {len(arr)} rows, the other columns {rows}; send "
                    f"columns of one length"
                )
            rows = len(arr)
            if tensor.datatype == "BYTES":
                arr = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in arr]
            data[tensor.name] = arr
        return self._check(pd.DataFrame(data))

    def to_tensors(self, value: Any, role: str) -> list[Tensor]:
        import numpy as np

        pd = _pd()
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if not isinstance(value, pd.DataFrame):
            raise wrong_output(self, "a pandas.DataFrame", value)
        tensors = []
        for column in value.columns:
            arr = value[column].to_numpy()
            try:
                datatype = datatype_of(arr.dtype)
            except TypeError:
                arr, datatype = arr.astype(object), "BYTES"
            if datatype == "BYTES":
                arr = np.array([str(v).encode("utf-8") for v in arr], dtype=object)
            tensors.append(Tensor(str(column), datatype, arr.shape, arr))
        return tensors

    def openapi_schema(self) -> dict[str, Any]:
        row: dict[str, Any] = {"type": "object"}
        if self._columns:
            row["properties"] = {str(c): {} for c in self._columns}
        orient = self._orient
        if orient == "records":
            return {"type": "array", "items": row}
        if orient == "values":
            return {"type": "array", "items": {"type": "array", "items": {}}}
        if orient == "split":
            return {
                "type": "object",
                "properties": {
                    "columns": {"type": "array", "items": {}},
                    "index": {"type": "array", "items": {}},
                    "data": {"type": "array", "items": {"type": "array", "items": {}}},
                },
                "required": ["data"],
            }
        return {"type": "object", "additionalProperties": {"type": "object"}}

    def _openapi_other_schema(self, media_type: str) -> dict[str, Any]:
        return {"type": "string"}

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        json_media: dict[str, Any] = {"schema": self.openapi_schema()}
        csv_media: dict[str, Any] = {"schema": {"type": "string"}}
        if self._has_example:
            json_media["example"] = orjson.loads(self._encode_as("json", self._example))
            csv_media["example"] = self._encode_as("csv", self._example).decode("utf-8")
        content = {JSON: json_media, CSV: csv_media}
        if first_only:
            first = self.media_types[0]
            return {first: content[first]}
        return {t: content[t] for t in self.media_types}

    def _encode_as(self, fmt: str, value: Any) -> bytes:
        saved = self._default_format
        self._default_format = fmt
        try:
            return self.encode(value)[0]
        finally:
            self._default_format = saved

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "PandasDataFrame",
            "args": {
                "orient": self._orient,
                "columns": self._columns,
                "dtype": _dtype_name(self._dtype),
                "shape": list(self._shape) if self._shape is not None else None,
                "enforce_dtype": self._enforce_dtype,
                "enforce_shape": self._enforce_shape,
                "default_format": self._default_format,
            },
        }

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> PandasDataFrame:
        """Columns, dtypes, shape and example from a sample frame; kwargs override them."""
        pd = _pd()
        frame = sample if isinstance(sample, pd.DataFrame) else pd.DataFrame(sample)
        kwargs.setdefault("columns", [str(c) for c in frame.columns])
        kwargs.setdefault("dtype", {str(c): str(t) for c, t in frame.dtypes.items()})
        kwargs.setdefault("shape", (-1, frame.shape[1]))
        descriptor = cls(**kwargs)
        descriptor.set_example(frame)
        return descriptor


class PandasSeries(IODescriptor):
    """A ``pandas.Series`` from a JSON list (``orient="records"``) or object, and back.

    :param orient: ``records``/``values`` (a JSON list, default), ``index`` (an object), ``split``.
    :param dtype: applied to the input; with ``enforce_dtype`` a failure is a 400.
    """

    media_types = (JSON,)
    form_as_default = True

    def __init__(
        self,
        orient: str = "records",
        dtype: Any = None,
        shape: tuple[int, ...] | list[int] | None = None,
        enforce_dtype: bool = False,
        enforce_shape: bool = False,
    ) -> None:
        _pd()
        if orient not in _SERIES_ORIENTS:
            raise InvalidArgument(
                f"PandasSeries(orient={orient!r}): use one of {', '.join(_SERIES_ORIENTS)}"
            )
        self._orient = orient
        self._dtype = dtype
        self._shape = tuple(int(s) for s in shape) if shape is not None else None
        self._enforce_dtype = bool(enforce_dtype)
        self._enforce_shape = bool(enforce_shape) and shape is not None

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        pd = _pd()
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"PandasSeries input is not valid JSON: {exc}") from None
        if self._orient in ("records", "values") and not isinstance(parsed, list):
            raise BadInput(f"PandasSeries input (orient={self._orient!r}) must be a JSON list")
        if self._orient == "index" and not isinstance(parsed, dict):
            raise BadInput("PandasSeries input (orient='index') must be a JSON object")
        if self._orient == "split" and not (isinstance(parsed, dict) and "data" in parsed):
            raise BadInput("PandasSeries input (orient='split') must be an object with 'data'")
        try:
            if self._orient == "split":
                series = pd.Series(
                    parsed["data"], index=parsed.get("index"), name=parsed.get("name")
                )
            else:
                series = pd.Series(parsed)
        except (ValueError, TypeError) as exc:
            raise BadInput(f"PandasSeries input is not a series: {exc}") from None
        if self._dtype is not None:
            try:
                series = series.astype(self._dtype)
            except (ValueError, TypeError, OverflowError) as exc:
                if self._enforce_dtype:
                    raise BadInput(
                        f"PandasSeries input cannot take dtype {self._dtype}: {exc}"
                    ) from None
        if self._enforce_shape and self._shape[0] not in (-1, len(series)):
            raise BadInput(
                f"PandasSeries input has {len(series)} values, expected {self._shape[0]}"
            )
        return series

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        pd = _pd()
        if not isinstance(value, pd.Series):
            raise wrong_output(self, "a pandas.Series", value)
        return value.to_json(orient=self._orient).encode("utf-8"), JSON, {}

    def openapi_schema(self) -> dict[str, Any]:
        if self._orient in ("records", "values"):
            return {"type": "array", "items": {}}
        return {"type": "object"}

    def _openapi_example(self) -> Any:
        return orjson.loads(self.encode(self._example)[0])

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "PandasSeries",
            "args": {
                "orient": self._orient,
                "dtype": _dtype_name(self._dtype),
                "shape": list(self._shape) if self._shape is not None else None,
                "enforce_dtype": self._enforce_dtype,
                "enforce_shape": self._enforce_shape,
            },
        }

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> PandasSeries:
        pd = _pd()
        series = sample if isinstance(sample, pd.Series) else pd.Series(sample)
        kwargs.setdefault("dtype", str(series.dtype))
        descriptor = cls(**kwargs)
        descriptor.set_example(series)
        return descriptor
