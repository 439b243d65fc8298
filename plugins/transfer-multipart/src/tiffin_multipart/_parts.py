"""How a blob splits into numbered parts: the one plan both client and registry agree on."""

from __future__ import annotations

import attrs

__all__ = ["Part", "plan_parts"]


@attrs.frozen
class Part:
    """Bytes ``[start, start + size)`` of a blob; numbers start at 1, as in S3."""

    number: int
    start: int
    size: int

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.start + self.size


def plan_parts(blob_size: int, part_size: int) -> list[Part]:
    """Every part of a ``blob_size`` blob; an empty blob is one empty part."""
    if part_size <= 0:
        raise ValueError(f"part_size must be positive, not {part_size}")
    if blob_size == 0:
        return [Part(1, 0, 0)]
    return [
        Part(i + 1, start, min(part_size, blob_size - start))
        for i, start in enumerate(range(0, blob_size, part_size))
    ]
