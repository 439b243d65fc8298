"""``tiffin serve``'s options and their defaults, in one place.

The Typer command (``cli/serving.py``) and the Typer-free fast path (``cli/_fast_serve.py``)
both build a :class:`ServeOptions`, and :func:`tiffin._server._launch.serve` takes one, so the
two command lines cannot drift apart.
"""

from __future__ import annotations

import os

import attrs

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_BODY_TEXT", "LOOPS", "ServeOptions"]

DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
DEFAULT_MAX_BODY_TEXT = "100MiB"
#: ``--loop`` values: uvicorn's; ``auto`` takes uvloop where it is installed, else asyncio.
LOOPS = ("auto", "uvloop", "asyncio")


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@attrs.frozen
class ServeOptions:
    """What ``tiffin serve`` was asked for; defaults are the command's defaults."""

    host: str = "127.0.0.1"
    port: int = 3000
    #: API worker processes (``--workers``/``--api-workers``); None: 1, or one per CPU with
    #: ``production``
    workers: int | None = None
    reload: bool = False
    #: BentoML's ``--production``: no reload, API workers default to the CPU count
    production: bool = False
    working_dir: str | None = None
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    access_log: bool = False
    log_level: str = "info"
    loop: str = "auto"
    #: for serving engines that run on a cluster (``--engine ray``): where it is, and how many
    #: replicas of each runner; the local engine refuses them
    address: str | None = None
    replicas: int | None = None

    @property
    def api_workers(self) -> int:
        if self.workers is not None:
            return self.workers
        return cpu_count() if self.production else 1
