"""What a runner call tells the server about the sync API function that made it.

The server may run a sync API function on the event loop itself once it has proven cheap (see
:mod:`tiffin._server._sync`). That is only sound while every runner call the function makes can
complete in the calling thread. This module is the one place both sides share:

- ``RunnerMethod.run`` records in :data:`state` that a call wanted the loop (a batchable
  method, whose batches form on the loop, or a runner in worker processes). A function seen
  doing so is never run on the loop again.
- On the loop, a batchable call of an in-process runner runs right there as a batch of one:
  the function has already started, and a user's code never runs twice.
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
    needed_loop = False  #: a runner call in this thread wanted the event loop


state = _State()
