"""The local engine: one process streams the input through the API and into the output.

Three stages overlap: a reader thread decodes the next batches (at most two ahead), ``workers``
threads call the API (each call on ``--batch-size`` rows), and the calling thread writes the
answers in input order. Memory is a handful of batches plus one output row group, whatever the
input's size.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tiffin._batch._job import BatchResult
from tiffin._batch._progress import rows_progress
from tiffin._batch._scorer import RowFailed
from tiffin.exceptions import InvalidArgument, TiffinError

if TYPE_CHECKING:
    from tiffin._batch._job import BatchJob

__all__ = ["LocalEngine"]

#: Batches the reader may decode ahead of the scorers.
READ_AHEAD = 2


class JobFailed(TiffinError):
    """A row failed with ``--on-error fail``."""


def _read_ahead(batches: Iterator[Any], depth: int) -> Iterator[Any]:
    """``batches``, produced by a thread of their own at most ``depth`` ahead of the consumer."""
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        slots.put((True, batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((True, end))
        except BaseException as exc:
            slots.put((False, exc))

    thread = threading.Thread(target=produce, name="tiffin-batch-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item
            if item is end:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.1)


def row_failure(offset: int, exc: RowFailed) -> JobFailed:
    keep = ", ".join(f"{k}={v!r}" for k, v in exc.keep.items())
    where = f"input row {offset + exc.row}" + (f" ({keep})" if keep else "")
    return JobFailed(
        f"{where} failed: {exc.error}; nothing was written (--on-error skip leaves failing rows "
        f"out, --on-error null keeps them with their error)"
    )


class LocalEngine:
    """``tiffin batch --engine local`` (the default)."""

    name = "local"

    def run(self, job: BatchJob) -> BatchResult:
        if job.address:
            raise InvalidArgument(
                "--address names a cluster, and the local engine runs in this process; use "
                "--engine ray to run on a Ray cluster"
            )
        started = time.perf_counter()
        sources = job.sources()
        sources.check_readable()
        scorer = job.scorer()
        scorer.open(deployment_hooks=True)
        try:
            sink = job.open_sink()
            try:
                rows_in, skipped, failed, first = self._stream(job, sources, scorer, sink)
                job.check_failures(rows_in, skipped + failed, first)
                sink.commit()
            except BaseException:
                sink.abort()
                raise
        finally:
            scorer.close()
        return BatchResult(
            rows_in=rows_in,
            rows_out=sink.rows,
            skipped=skipped,
            failed=failed,
            seconds=time.perf_counter() - started,
            output=job.output,
            engine=self.name,
        )

    def _stream(
        self, job: BatchJob, sources: Any, scorer: Any, sink: Any
    ) -> tuple[int, int, int, str | None]:
        read_columns = None
        if job.columns is not None:
            read_columns = list(dict.fromkeys([*job.columns, *job.keep_columns]))
        total = sources.total_rows()
        rows_in = skipped = failed = 0
        first: str | None = None
        window: collections.deque[tuple[int, concurrent.futures.Future[Any]]] = collections.deque()
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=job.workers, thread_name_prefix="tiffin-batch-call"
        )

        def drain_one() -> None:
            nonlocal skipped, failed, first
            offset, future = window.popleft()
            try:
                scored = future.result()
            except RowFailed as exc:
                raise row_failure(offset, exc) from None
            if first is None and scored.first_error is not None:
                row, error = scored.first_error
                first = f"input row {offset + row}: {error}"
            sink.write(scored.table)
            skipped += scored.skipped
            failed += scored.failed
            advance(scored.table.num_rows + scored.skipped)

        try:
            with rows_progress("scoring", total, job.progress) as advance:
                batches = _read_ahead(sources.batches(job.batch_size, read_columns), READ_AHEAD)
                try:
                    for batch in batches:
                        window.append((rows_in, pool.submit(scorer.score, batch)))
                        rows_in += batch.num_rows
                        if len(window) > job.workers:
                            drain_one()
                    while window:
                        drain_one()
                finally:
                    batches.close()  # type: ignore[attr-defined]
        finally:
            for _, future in window:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
        return rows_in, skipped, failed, first
