"""From Arrow rows to what an API function receives, through the API's own input descriptor.

- ``PandasDataFrame``: the batch's frame (``--columns`` of it), checked by the descriptor as a
  request's frame would be (columns, dtype, shape);
- ``NumpyNdarray``: the values of ``--columns`` as a 2-D array, cast and checked by the
  descriptor as an ``.npy`` request body would be;
- ``JSON``: one object per row, decoded (and validated into its model) from the same JSON bytes
  a client would send.

Any other descriptor is refused with one line naming the three that work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from tiffin._batch._arrow import pyarrow
from tiffin.exceptions import BadInput, InvalidArgument

__all__ = ["InputMaker", "input_maker"]

_NUMERIC_KINDS = "biuf"


@attrs.frozen
class InputMaker:
    """How one API is fed: ``per_row`` (one call per row) or one call per batch."""

    per_row: bool
    make: Callable[[Any], Any]  # a RecordBatch -> the value (batch) or a list of values (rows)


def _frame(descriptor: Any, columns: list[str] | None) -> Callable[[Any], Any]:
    def make(batch: Any) -> Any:
        if columns is not None:
            batch = batch.select(columns)
        return descriptor._check(batch.to_pandas())

    return make


def _numbers(name: str, column: Any) -> Any:
    """A text column (a CSV column with one text cell is read as text) parsed cell by cell,
    so a row whose cell is not a number fails alone, naming its column and value."""
    import numpy as np

    values = []
    for cell in column.to_pylist():
        if cell is None or cell == "":
            values.append(np.nan)
            continue
        try:
            values.append(float(cell))
        except (TypeError, ValueError):
            raise BadInput(f"column {name!r} holds {cell!r}, where a number was expected") from None
    return np.asarray(values, dtype=np.float64)


def _column(batch: Any, name: str, numeric: bool) -> Any:
    column = batch.column(name)
    if numeric and _is_text(column.type):
        return _numbers(name, column)
    return column.to_numpy(zero_copy_only=False)


def _is_text(arrow_type: Any) -> bool:
    pa = pyarrow()
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _array(descriptor: Any, columns: list[str] | None) -> Callable[[Any], Any]:
    import numpy as np

    dtype = descriptor._dtype
    numeric = dtype is None or dtype.kind in _NUMERIC_KINDS + "c"

    def make(batch: Any) -> Any:
        names = columns if columns is not None else batch.schema.names
        arrays = [_column(batch, name, numeric) for name in names]
        arr = arrays[0].reshape(-1, 1) if len(arrays) == 1 else np.column_stack(arrays)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            arr = descriptor._from_objects(arr)
        return descriptor._check_shape(descriptor._cast(arr))

    return make


def _rows(descriptor: Any, columns: list[str] | None) -> Callable[[Any], Any]:
    import orjson

    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

    def decode(row: dict[str, Any]) -> Any:
        try:
            data = orjson.dumps(row, option=option)
        except TypeError as exc:
            raise BadInput(f"a row cannot be sent to a JSON API: {exc}") from None
        return descriptor.from_cli(data, None)

    def make(batch: Any) -> list[Any]:
        if columns is not None:
            batch = batch.select(columns)
        return [_Lazy(decode, row) for row in batch.to_pylist()]

    return make


class _Lazy:
    """A row decoded when its call runs, so a bad row fails alone, not its whole batch."""

    __slots__ = ("decode", "row")

    def __init__(self, decode: Callable[[Any], Any], row: Any) -> None:
        self.decode = decode
        self.row = row

    def __call__(self) -> Any:
        return self.decode(self.row)


def input_maker(api: Any, columns: list[str] | None) -> InputMaker:
    """The :class:`InputMaker` for ``api`` (an :class:`tiffin._service.InferenceAPI`)."""
    from tiffin.io import JSON, NumpyNdarray

    descriptor = api.input
    kind = type(descriptor).__name__
    if isinstance(descriptor, NumpyNdarray):
        return InputMaker(False, _array(descriptor, columns))
    if isinstance(descriptor, JSON):
        return InputMaker(True, _rows(descriptor, columns))
    if kind == "PandasDataFrame" or any(
        c.__name__ == "PandasDataFrame" for c in type(descriptor).__mro__
    ):
        return InputMaker(False, _frame(descriptor, columns))
    raise InvalidArgument(
        f"API {api.name!r} takes {kind} input; tiffin batch feeds rows to APIs whose input is "
        f"PandasDataFrame, NumpyNdarray or JSON"
    )
