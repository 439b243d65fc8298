"""Progress bars for long transfers, on stderr and only for people.

A bar is shown only when stderr is a terminal (``TIFFIN_PROGRESS=1`` forces it, ``=0`` hides
it), so scripts and ``--output json`` pipelines get clean streams. rich is imported only when a
bar is actually shown.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

__all__ = ["Progress", "progress_bar", "progress_enabled"]

#: ``progress(done_bytes, total_bytes)``: the one progress callback type of every transfer.
Progress = Callable[[int, int], None]


def progress_enabled(force: bool | None = None) -> bool:
    """Whether to draw bars: ``force`` if given, else ``$TIFFIN_PROGRESS``, else stderr is a TTY."""
    if force is not None:
        return force
    env = os.environ.get("TIFFIN_PROGRESS", "").lower()
    if env in {"1", "true", "yes", "on"}:
        return True
    if env in {"0", "false", "no", "off"}:
        return False
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(description: str, *, force: bool | None = None) -> Iterator[Progress | None]:
    """Yield a ``progress(done_bytes, total_bytes)`` callback drawing a bar, or None when off."""
    if not progress_enabled(force):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    console = Console(stderr=True, force_terminal=True if force else None)
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update
