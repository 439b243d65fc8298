"""What a runner call tells the server about the sync API function that made it.

The server may run a sync API function on the event loop itself once it has proven cheap (see
:mod:`tiffin._server._sync`). That is only sound while every runner call the function makes can
complete in the calling thread: a batchable method (its batches are formed on the loop) or a
runner in worker processes (answered on the loop) must be called from a thread. This module is
the one place both sides share: ``RunnerMethod.run`` records here that a call needed the loop,
and refuses with :class:`NeedsThread` when the function is running on the loop.
"""

from __future__ import annotations

import threading

__all__ = ["NeedsThread", "state"]


class NeedsThread(Exception):
    """A sync API function running on the event loop called a runner that needs the loop."""


class _State(threading.local):
    inline = False  #: a sync API function is running on this thread's event loop
    needed_loop = False  #: a runner call in this thread was handed to the event loop


state = _State()
