"""The calls a batching dispatcher holds: one queued call, and a group of calls that may share a batch.

Plain records, kept by :class:`tiffin._runner._batching.Dispatcher`, which decides when a
group goes out as a batch.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from tiffin._runner._containers import CallShape

__all__ = ["TICK_DONE", "TICK_PENDING", "CallGroup", "QueuedCall"]

#: ``CallGroup.tick``: waiting for the end of the loop's turn, and that turn has ended
TICK_PENDING, TICK_DONE = 1, 2


class QueuedCall:
    __slots__ = ("args", "arrived", "future", "kwargs", "shape")

    def __init__(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        shape: CallShape,
        future: asyncio.Future[Any],
        arrived: float,
    ) -> None:
        self.args = args
        self.kwargs = kwargs
        self.shape = shape
        self.future = future
        self.arrived = arrived


class CallGroup:
    """Queued calls that may share a batch, oldest first."""

    __slots__ = ("calls", "rows", "shape", "tick", "wait_allowed", "waited")

    def __init__(self, shape: CallShape) -> None:
        self.shape = shape
        self.calls: deque[QueuedCall] = deque()
        self.rows = 0
        self.wait_allowed: bool | None = None  # decided once, when the group first may wait
        self.waited = False  # it did wait for company
        self.tick = 0  # waits for the end of the loop's turn (TICK_PENDING), or did (TICK_DONE)
