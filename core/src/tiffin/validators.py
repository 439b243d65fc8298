"""Constraints for class-style API parameters, as BentoML's ``bentoml.validators`` spells them.

``Annotated[np.ndarray, Shape((-1, 4)), DType("float32")]`` casts every request's array to
float32 and checks its shape (``-1``: any size along that axis); a mismatch is a 400 naming the
parameter.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DType", "Shape"]


@attrs.frozen
class Shape:
    """The array's expected shape: ``Shape((-1, 4))``."""

    shape: tuple[int, ...] = attrs.field(converter=lambda s: tuple(int(n) for n in s))


@attrs.frozen
class DType:
    """The array's dtype: ``DType("float32")``; every input is cast to it."""

    dtype: Any
