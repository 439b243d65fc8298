"""One process-wide limit on parts in flight, shared by every blob being transferred.

A push moves several files at once (``--threads``) and each large file moves in parts; without
a shared limit the parts in memory would multiply. Every part upload takes a slot before it
reads its bytes, so memory stays at ``threads x part size`` however many blobs move.
"""

from __future__ import annotations

import threading

__all__ = ["part_slots"]

_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def part_slots(threads: int) -> threading.BoundedSemaphore:
    """The shared semaphore for ``threads`` parts in flight (one per distinct setting)."""
    with _lock:
        if threads not in _slots:
            _slots[threads] = threading.BoundedSemaphore(threads)
        return _slots[threads]
