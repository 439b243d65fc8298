"""The progress bar of a batch job: rows, rows/s and, when the total is known, ETA.

Drawn on stderr only when it is a terminal (or ``TIFFIN_PROGRESS=1``), like every tiffin bar.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from tiffin.store.progress import progress_enabled

__all__ = ["rows_progress"]


@contextlib.contextmanager
def rows_progress(
    description: str, total: int | None, force: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(rows)``; a no-op when no bar is drawn."""
    if not progress_enabled(force):
        yield lambda rows: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True, force_terminal=True if force else None)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(rows: int) -> None:
            bar.advance(task, rows)
            speed = bar.tasks[0].speed
            if speed:
                bar.update(task, rate=f"{speed:,.0f} rows/s")

        yield advance
