"""The input-shape check at the runner boundary: a wrong-width batch is the caller's mistake.

A model saved with a known input width (``ModelSignature.input_shape``, recorded by the
framework adapter) rejects a first argument of another shape with :class:`BadInput` (HTTP
400) before it is queued, batched or sent to a worker, instead of failing inside the
framework as a 500. One ``shape`` read and a few int comparisons per call; arguments without
a ``shape`` (lists, dicts) pass unchecked.
"""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import BadInput

__all__ = ["ShapeCheck"]


class ShapeCheck:
    """Checks a call's first argument against a signature's ``input_shape``."""

    __slots__ = ("expected", "fixed", "ndim", "text")

    def __init__(self, expected: tuple[int, ...]) -> None:
        self.expected = expected
        self.ndim = len(expected)
        #: the dims with a set size, as (index, size)
        self.fixed = tuple((i, n) for i, n in enumerate(expected) if n != -1)
        self.text = _shape_text(expected)

    def __call__(self, args: tuple[Any, ...], method: str) -> None:
        if not args:
            return
        shape = getattr(args[0], "shape", None)
        if not isinstance(shape, tuple):  # numpy's tuple, torch's Size; lists pass unchecked
            return
        if len(shape) == self.ndim:
            for i, n in self.fixed:
                if shape[i] != n:
                    break
            else:
                return
        raise BadInput(
            f"{method}: expected input of shape {self.text}, got {_shape_text(shape)} "
            f"(-1 is any size)"
        )


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
