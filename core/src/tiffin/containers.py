"""Helpers for data-container authors: the :class:`Payload` value and small shared checks.

A data container (see :class:`tiffin.hookspecs.DataContainer`) tells tiffin's runners how to
batch, split and ship one kind of value. This module holds what every container needs and
nothing else, so a third-party container imports it without pulling in numpy or pandas.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

import attrs

from tiffin.exceptions import TiffinError

__all__ = ["Payload", "check_sizes", "offsets", "pickle_payload", "type_name", "unpickle_payload"]


_Buffer = bytes | bytearray | memoryview


def _buffers(values: Iterable[_Buffer]) -> tuple[_Buffer, ...]:
    return tuple(values)


@attrs.frozen
class Payload:
    """A value as bytes for another process: JSON-able ``meta`` and raw ``buffers``.

    ``meta`` must hold only JSON types (it travels as JSON); ``buffers`` travel as raw bytes,
    without copying where the transport allows (a numpy array's memory as a ``memoryview``).
    """

    meta: dict[str, Any]
    buffers: tuple[_Buffer, ...] = attrs.field(default=(), converter=_buffers)


def type_name(cls: type) -> str:
    """The fully qualified name core matches against a container's ``type_names``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def offsets(sizes: Sequence[int]) -> list[int]:
    """Where each value but the first starts in the batch: ``[3, 5]`` for sizes ``[3, 2, 4]``."""
    return list(accumulate(sizes))[:-1]


def check_sizes(total: int, sizes: Sequence[int], what: str = "batch") -> None:
    """Refuse to split a batch whose row count does not match the callers' rows.

    This catches a runnable method that returns more or fewer rows than it was given.
    """
    expected = sum(sizes)
    if total != expected:
        raise TiffinError(
            f"cannot split a {what} of {total} rows back into calls of {list(sizes)} rows "
            f"({expected} in all): a batchable method must return exactly one output row per "
            f"input row along its batch_dim"
        )


def pickle_payload(value: Any, container: str) -> Payload:
    """Any picklable value as a payload; large buffers (numpy, pandas) travel out of band."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    return Payload({"container": container, "pickle": True}, (data, *(b.raw() for b in buffers)))


def unpickle_payload(payload: Payload) -> Any:
    """The inverse of :func:`pickle_payload`."""
    first, *rest = payload.buffers
    return pickle.loads(first, buffers=rest)
