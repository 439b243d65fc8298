"""Built-in data containers: numpy arrays, Python lists and tuples, pandas frames and series.

Registered through the same hook as any third-party container. numpy is imported inside the
methods (it is cheap and always installed, but ``import tiffin`` must not pay for it); pandas
is imported only when a frame or series has actually been seen, because it is optional.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tiffin.containers import Payload, check_sizes, offsets, pickle_payload, unpickle_payload
from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import hookimpl


def _axis(ndim: int, batch_dim: int, what: str) -> int:
    axis = batch_dim + ndim if batch_dim < 0 else batch_dim
    if not 0 <= axis < ndim:
        raise InvalidArgument(
            f"cannot batch a {ndim}-dimensional {what} along batch_dim={batch_dim}: it has no "
            f"such dimension"
        )
    return axis


class NumpyContainer:
    """``numpy.ndarray``: concatenated along ``batch_dim``; shipped as its raw memory."""

    name = "numpy"
    type_names = ("numpy.ndarray",)

    def batch_size(self, value: Any, batch_dim: int) -> int:
        return int(value.shape[_axis(value.ndim, batch_dim, "array")])

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool:
        if a.dtype != b.dtype or a.ndim != b.ndim or a.ndim == 0:
            return False
        axis = _axis(a.ndim, batch_dim, "array")
        return a.shape[:axis] == b.shape[:axis] and a.shape[axis + 1 :] == b.shape[axis + 1 :]

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]:
        import numpy as np

        sizes = [self.batch_size(v, batch_dim) for v in values]
        if len(values) == 1:
            return values[0], sizes
        return np.concatenate(values, axis=_axis(values[0].ndim, batch_dim, "array")), sizes

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]:
        import numpy as np

        axis = _axis(batch.ndim, batch_dim, "array")
        check_sizes(batch.shape[axis], sizes)
        if len(sizes) == 1:
            return [batch]
        return np.split(batch, offsets(sizes), axis=axis)

    def to_payload(self, value: Any) -> Payload:
        import numpy as np

        if value.dtype.hasobject:
            return pickle_payload(value, self.name)
        contiguous = np.ascontiguousarray(value)
        return Payload(
            {
                "container": self.name,
                "dtype": np.lib.format.dtype_to_descr(value.dtype),
                "shape": list(value.shape),
            },
            (memoryview(contiguous).cast("B") if contiguous.size else b"",),
        )

    def from_payload(self, payload: Payload) -> Any:
        import numpy as np

        if payload.meta.get("pickle"):
            return unpickle_payload(payload)
        descr = payload.meta["dtype"]
        if isinstance(descr, list):  # structured dtypes travel as their descr list
            descr = [tuple(field) for field in descr]
        dtype = np.lib.format.descr_to_dtype(descr)
        return np.frombuffer(payload.buffers[0], dtype=dtype).reshape(payload.meta["shape"])


class ListContainer:
    """Python lists and tuples: one item per row, batched along dimension 0 only."""

    name = "list"
    type_names = ("builtins.list", "builtins.tuple")

    def _check(self, batch_dim: int) -> None:
        if batch_dim != 0:
            raise InvalidArgument(
                f"lists and tuples batch along dimension 0 only, not batch_dim={batch_dim}; "
                f"pass a numpy array to batch along another dimension"
            )

    def batch_size(self, value: Any, batch_dim: int) -> int:
        self._check(batch_dim)
        return len(value)

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool:
        return type(a) is type(b)

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]:
        self._check(batch_dim)
        sizes = [len(v) for v in values]
        out: list[Any] = []
        for v in values:
            out.extend(v)
        return (tuple(out) if isinstance(values[0], tuple) else out), sizes

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]:
        self._check(batch_dim)
        check_sizes(len(batch), sizes)
        parts, start = [], 0
        for size in sizes:
            parts.append(batch[start : start + size])
            start += size
        return parts

    def to_payload(self, value: Any) -> Payload:
        return pickle_payload(value, self.name)

    def from_payload(self, payload: Payload) -> Any:
        return unpickle_payload(payload)


class PandasContainer:
    """pandas DataFrame and Series: concatenated by position; pandas is imported only when seen."""

    name = "pandas"
    type_names = (
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.core.frame.DataFrame",
        "pandas.core.series.Series",
    )

    def batch_size(self, value: Any, batch_dim: int) -> int:
        return int(value.shape[_axis(value.ndim, batch_dim, type(value).__name__)])

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool:
        if type(a) is not type(b):
            return False
        if a.ndim == 1:
            return a.dtype == b.dtype and a.name == b.name
        if batch_dim in (0, -2):
            return list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
        return list(a.index) == list(b.index)

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]:
        import pandas as pd

        sizes = [self.batch_size(v, batch_dim) for v in values]
        if len(values) == 1:
            return values[0], sizes
        axis = _axis(values[0].ndim, batch_dim, "frame")
        return pd.concat(list(values), axis=axis), sizes

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]:
        axis = _axis(batch.ndim, batch_dim, type(batch).__name__)
        check_sizes(batch.shape[axis], sizes)
        if len(sizes) == 1:
            return [batch]
        parts, start = [], 0
        for size in sizes:
            rows = slice(start, start + size)
            parts.append(batch.iloc[rows] if axis == 0 else batch.iloc[:, rows])
            start += size
        return parts

    def to_payload(self, value: Any) -> Payload:
        return pickle_payload(value, self.name)

    def from_payload(self, payload: Payload) -> Any:
        return unpickle_payload(payload)


@hookimpl
def register_data_containers(register: Callable[[Any], None]) -> None:
    register(NumpyContainer())
    register(ListContainer())
    register(PandasContainer())
