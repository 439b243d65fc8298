"""``tiffin batch --engine ray``: read with Ray Data, score on actors, write the output.

Input rows keep their order (``preserve_order``), so the output is the local engine's, row for
row. A folder output is written by Ray's own ``write_parquet`` tasks into a hidden staging
folder, then published as ``part-NNNNN.parquet`` files in order with a ``_SUCCESS`` marker; a
single file can only have one writer, so its rows stream back to the driver and are written
there, atomically, by core's sink.
"""

from __future__ import annotations

import os
import posixpath
import time
import uuid
from typing import TYPE_CHECKING, Any

from tiffin.batch import ERROR_COLUMN
from tiffin.exceptions import TiffinError

if TYPE_CHECKING:
    import ray.data

    from tiffin.batch import BatchJob, BatchResult

__all__ = ["RayEngine", "score"]


class RayJobFailed(TiffinError):
    """A row failed (``--on-error fail``) or Ray could not run the job."""


def _connect(address: str | None) -> None:
    """Join the cluster at ``address`` (or ``$RAY_ADDRESS``), or start a local one."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except Exception as exc:  # Ray raises plain Exception when a local node fails to start
        raise RayJobFailed(
            f"cannot join the Ray cluster at {address!r}: {' '.join(str(exc).split())}; check "
            f"--address / RAY_ADDRESS, or leave both unset to start a local cluster"
        ) from None


def _ordered(dataset: Any = None) -> None:
    """Keep the input's row order, and let a failing row's RowFailed reach the driver as itself
    (not a UserCodeException whose cause is lost on the way back): in the current context
    (datasets created from now on copy it) and in ``dataset``'s own copy, taken when it was
    created."""
    import ray.data

    for context in (ray.data.DataContext.get_current(), getattr(dataset, "context", None)):
        if context is not None:
            context.execution_options.preserve_order = True
            context.raise_original_map_exception = True


def score(job: BatchJob, dataset: ray.data.Dataset) -> ray.data.Dataset:
    """``dataset`` scored by ``job.workers`` actors, each loading the service once."""
    import ray

    scorer = job.scorer()
    scorer.check()  # a wrong API or an unsupported descriptor: one line, before any actor
    bento = job.bento()
    shipped: Any = None
    key = None
    if bento is not None:
        from tiffin_ray._shipping import pack

        data, key = pack(bento.path)
        shipped = ray.put(data)  # once, into the object store; each node fetches it once
    _ordered(dataset)
    from tiffin_ray._actor import ScoringActor

    return dataset.map_batches(
        ScoringActor,
        fn_constructor_args=(scorer, shipped, key),
        batch_format="pyarrow",
        batch_size=job.batch_size,
        concurrency=job.workers,
        zero_copy_batch=True,
        num_cpus=_actor_cpus(job.workers),
        # Ray Data's actor pools default to max_restarts=-1 and max_task_retries=-1: an actor
        # that dies is restarted and its batches run again (tests/test_ray_batch.py kills one)
    )


def _cluster_cpus() -> float:
    import ray

    return float(ray.cluster_resources().get("CPU", 1.0))


def _actor_cpus(actors: int) -> float:
    """CPUs each scoring actor reserves: one, unless that would leave Ray Data's readers too
    few to start at all on a small cluster (the file listing task holds a CPU while the Parquet
    footer-reading actors it waits for need one free to be placed): then a share, or none."""
    share = (_cluster_cpus() - 2.0) / actors
    return min(1.0, share) if share >= 0.25 else 0.0


def _read_cpus() -> float:
    """CPUs per read task: one, or half of one on a cluster of fewer than 4 CPUs."""
    return 1.0 if _cluster_cpus() >= 4 else 0.5


def _read(sources: Any, columns: list[str] | None) -> ray.data.Dataset:
    import ray.data

    paths = sources.urls()
    cpus = _read_cpus()
    # Parquet through Ray Data's V1 reader: its V2 reader's listing task waits on footer-reading
    # actors that a small, busy cluster may never place (the job then hangs)
    ray.data.DataContext.get_current().use_datasource_v2 = False
    if sources.format == "parquet":
        dataset = ray.data.read_parquet(paths, num_cpus=cpus)
    elif sources.format == "csv":
        dataset = ray.data.read_csv(paths, num_cpus=cpus)
    else:
        dataset = ray.data.read_json(paths, lines=True, file_extensions=None, num_cpus=cpus)
    return dataset.select_columns(columns) if columns is not None else dataset


def _root_error(exc: BaseException) -> BaseException:
    """The user's exception inside Ray's wrappers (a task error's cause, chained causes)."""
    from tiffin.batch import RowFailed

    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, RowFailed | TiffinError):
            return current
        for attr in ("cause", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return exc


def _failure(exc: BaseException) -> TiffinError:
    from tiffin.batch import RowFailed

    root = _root_error(exc)
    if isinstance(root, RowFailed):
        keep = ", ".join(f"{k}={v!r}" for k, v in root.keep.items())
        where = f"a row ({keep})" if keep else "a row"
        return RayJobFailed(
            f"{where} failed: {root.error}; nothing was written (--on-error skip leaves failing "
            f"rows out, --on-error null keeps them with their error)"
        )
    if isinstance(root, TiffinError):
        return root
    return RayJobFailed(
        f"the Ray job failed: {type(root).__name__}: {' '.join(str(root).split())[:500]}"
    )


class RayEngine:
    """``tiffin batch --engine ray``."""

    name = "ray"

    def run(self, job: BatchJob) -> BatchResult:
        from tiffin.batch import BatchResult

        started = time.perf_counter()
        sources = job.sources()
        sources.check_readable()
        job.scorer().check()
        sink = job.open_sink()
        if job.columns is not None:
            read_columns = list(dict.fromkeys([*job.columns, *job.keep_columns]))
        else:
            read_columns = None
        _connect(job.address)
        import ray.data

        from tiffin.store.progress import progress_enabled

        ray.data.DataContext.get_current().enable_progress_bars = progress_enabled(job.progress)
        _ordered()  # before the read: a dataset copies the context when it is created
        try:
            dataset = _read(sources, read_columns)
            scored = score(job, dataset)
            if sink.is_folder:
                rows_out, failed = self._write_folder(scored, sink)
            else:
                rows_out = failed = 0
                for table in scored.iter_batches(batch_format="pyarrow", batch_size=None):
                    sink.write(table)
                    rows_out += table.num_rows
                    failed += _failed_rows(table)
                sink.commit()
        except BaseException as exc:
            sink.abort()
            if isinstance(exc, Exception):
                raise _failure(exc) from None
            raise
        rows_in = sources.total_rows()
        if rows_in is None:
            rows_in = rows_out if job.on_error != "skip" else dataset.count()
        return BatchResult(
            rows_in=rows_in,
            rows_out=rows_out,
            skipped=rows_in - rows_out if job.on_error == "skip" else 0,
            failed=failed,
            seconds=time.perf_counter() - started,
            output=job.output,
            engine=self.name,
        )

    def _write_folder(self, scored: Any, sink: Any) -> tuple[int, int]:
        """Ray writes the parts into a hidden staging folder; they are published in order.

        Returns the rows written and, of those, the rows that carry an error (``--on-error
        null``)."""
        import pyarrow.parquet as pq

        fs, folder = sink.fs, sink.path
        staging = posixpath.join(folder, f".tiffin-staging-{uuid.uuid4().hex[:12]}")
        try:
            scored.write_parquet(staging if sink.local else f"{_protocol(fs)}://{staging}")
            parts = sorted(p for p in fs.ls(staging, detail=False) if p.endswith(".parquet"))
            rows = failed = 0
            for part in parts:
                with fs.open(part, "rb") as f:
                    parquet = pq.ParquetFile(f)
                    count = parquet.metadata.num_rows
                    if ERROR_COLUMN in parquet.schema_arrow.names:
                        failed += _failed_rows(parquet.read(columns=[ERROR_COLUMN]))
                sink.publish_part(part, count)
                rows += count
            sink.commit()
            return rows, failed
        finally:
            if fs.exists(staging):
                fs.rm(staging, recursive=True)


def _failed_rows(table: Any) -> int:
    """Rows of a scored table whose error column is set (only ``--on-error null`` has one)."""
    if ERROR_COLUMN not in table.column_names:
        return 0
    column = table.column(ERROR_COLUMN)
    return len(column) - column.null_count


def _protocol(fs: Any) -> str:
    protocol = fs.protocol
    return protocol[0] if isinstance(protocol, tuple) else protocol
