"""How a blob splits into numbered parts: the one plan both client and registry agree on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

import attrs

__all__ = ["Part", "plan_parts", "run_parts"]


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


def run_parts(
    work: Callable[[Part], object], parts: Sequence[Part], threads: int, name: str
) -> None:
    """Run ``work`` on every part, ``threads`` at a time; the first failure cancels the parts
    not yet started and is raised once those running have finished."""
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix=name)
    try:
        futures = [pool.submit(work, part) for part in parts]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            if (error := future.exception()) is not None:
                raise error
    finally:  # cancels the parts not yet started, waits for those running
        pool.shutdown(wait=True, cancel_futures=True)
