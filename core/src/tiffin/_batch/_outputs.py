"""From what an API function returned to named output columns.

The predictions go into a column named after the API; a prediction of several values (a 2-D
array, a list per row, a frame of several columns, an object per row) into ``<api>_0``,
``<api>_1``, ... (or ``<api>_<column>`` / ``<api>_<key>`` for frames and objects).
"""

from __future__ import annotations

from typing import Any

from tiffin._batch._arrow import pyarrow
from tiffin.exceptions import TiffinError

__all__ = ["batch_columns", "row_columns"]


class WrongOutput(TiffinError):
    """The API returned something that is not one prediction per row."""


def _wrong_length(api: str, got: int, rows: int) -> WrongOutput:
    return WrongOutput(
        f"API {api!r} returned {got} predictions for {rows} rows; a batch API must return one "
        f"prediction per input row, in order"
    )


def _array_columns(api: str, arr: Any, rows: int) -> dict[str, Any]:
    if arr.ndim == 0:
        raise WrongOutput(f"API {api!r} returned a single value for {rows} rows")
    if arr.shape[0] != rows:
        raise _wrong_length(api, arr.shape[0], rows)
    if arr.ndim == 1:
        return {api: arr}
    flat = arr.reshape(rows, -1)
    return {f"{api}_{i}": flat[:, i] for i in range(flat.shape[1])}


def batch_columns(api: Any, result: Any, rows: int) -> dict[str, Any]:
    """Columns (name -> numpy array or list) for a batch API's ``result`` on ``rows`` rows."""
    import numpy as np

    name = api.name
    module = type(result).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(result, pd.Series):
            if len(result) != rows:
                raise _wrong_length(name, len(result), rows)
            return {name: result.to_numpy()}
        if isinstance(result, pd.DataFrame):
            if len(result) != rows:
                raise _wrong_length(name, len(result), rows)
            if result.shape[1] == 1:
                return {name: result.iloc[:, 0].to_numpy()}
            return {f"{name}_{col}": result[col].to_numpy() for col in result.columns}
    if isinstance(result, np.ndarray):
        return _array_columns(name, result, rows)
    if isinstance(result, list | tuple):
        if len(result) != rows:
            raise _wrong_length(name, len(result), rows)
        return row_columns(api, list(result))
    try:
        arr = np.asarray(result)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind == "O":
        raise WrongOutput(
            f"API {api.name!r} returned {type(result).__name__}; a batch API must return an "
            f"array, a list, a pandas Series or DataFrame with one prediction per row"
        )
    return _array_columns(name, arr, rows)


def row_columns(api: Any, values: list[Any]) -> dict[str, Any]:
    """Columns for one prediction per row (what a JSON API returns, row by row)."""
    import numpy as np

    name = api.name
    values = [v.tolist() if isinstance(v, np.ndarray | np.generic) else v for v in values]
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, dict) for v in present):
        keys: list[str] = []
        for v in present:
            keys.extend(k for k in v if k not in keys)
        return {
            f"{name}_{key}": [None if v is None else v.get(key) for v in values] for key in keys
        }
    if present and all(isinstance(v, list | tuple) for v in present):
        widths = {len(v) for v in present}
        if len(widths) == 1 and all(
            not isinstance(x, list | tuple | dict) for v in present for x in v
        ):
            width = widths.pop()
            return {
                f"{name}_{i}": [None if v is None else v[i] for v in values] for i in range(width)
            }
    return {name: values}


def to_arrow(columns: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """Column names and Arrow arrays for ``columns``."""
    pa = pyarrow()
    names, arrays = [], []
    for key, values in columns.items():
        names.append(str(key))
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise WrongOutput(
                f"the predictions in column {key!r} cannot be stored in a table: {exc}"
            ) from None
    return names, arrays
