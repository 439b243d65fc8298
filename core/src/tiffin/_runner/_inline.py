"""What a runner call tells the server about the sync API function that made it.

The server may run a sync API function on the event loop itself once it has proven cheap (see
:mod:`tiffin._server._sync`). This module is the one place both sides share:

- While the function learns in a worker thread, a runner call answered away from that thread
  (a batch formed on the loop, a runner in worker processes) adds its predicted cost to
  :data:`state`'s ``away_s``: the function's own CPU time would not show it, and it counts
  towards whether the function is cheap.
- On the loop, a batchable call of an in-process runner runs right there as a batch of one.
  The function has proven to cost at most ``TIFFIN_API_INLINE_MAX_MS`` in all, model call
  included, so a batch could save it less than the two thread hops batching would cost.
- A runner in worker processes can only be answered on the loop, so the server never inlines
  a function of a service that has one; should such a call still happen on the loop, the
  runner raises :class:`InlineRefused`, a ``BaseException``, so that an ``except Exception:``
  in the user's code cannot swallow it.
"""

from __future__ import annotations

import threading

__all__ = ["InlineRefused", "state"]


class InlineRefused(BaseException):
    """A sync API function running on the event loop called a runner in worker processes."""


class _State(threading.local):
    inline = False  #: a sync API function is running on this thread's event loop
    away_s = 0.0  #: predicted seconds of runner work done elsewhere for this thread's call


state = _State()
