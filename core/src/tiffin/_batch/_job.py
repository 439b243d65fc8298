"""What a batch job is (the user's request) and what it did (its summary).

A :class:`BatchJob` is a frozen value built by ``tiffin batch`` or by Python code; every engine
receives one and asks it for the pieces that make its answers the local engine's answers: the
input files, the scorer, the bento and the output sink.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs

from tiffin.exceptions import InvalidArgument, TiffinError

if TYPE_CHECKING:
    from tiffin._batch._scorer import BatchScorer
    from tiffin._batch._sinks import Sink
    from tiffin._batch._sources import Sources
    from tiffin._bento import Bento

__all__ = ["ON_ERROR_MODES", "BatchJob", "BatchResult", "TooManyFailed"]

#: What to do with a row whose prediction fails.
ON_ERROR_MODES = ("fail", "skip", "null")
#: Rows per API call when the user sets nothing.
DEFAULT_BATCH_SIZE = 4096
#: More than this fraction of the rows failing (``skip`` or ``null``) is a failed job.
DEFAULT_MAX_FAILED_FRACTION = 0.5


class TooManyFailed(TiffinError):
    """Every row, or more than ``max_failed_fraction`` of them, failed: the job failed."""


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    names = tuple(str(v).strip() for v in value if str(v).strip())
    return names


def _keep(value: Any) -> tuple[str, ...]:
    return _names(value) or ()


@attrs.frozen
class BatchJob:
    """One ``tiffin batch TARGET API --input URL --output URL`` run.

    :param target: what ``tiffin serve`` takes: ``service.py:svc``, ``module:svc``, a bento
        tag, or a folder holding ``bento.yaml``.
    :param api: the API's name.
    :param input: a file, a folder of files or a glob, at any fsspec URL.
    :param output: a ``.parquet``, ``.csv`` or ``.jsonl`` file, or (no suffix) a folder of
        Parquet files.
    :param format: the input's format (``parquet``, ``csv``, ``jsonl``) when the file names
        do not tell.
    :param batch_size: rows per API call (a PandasDataFrame or NumpyNdarray API receives up
        to this many rows at once).
    :param columns: the input columns the API receives (default: all).
    :param keep_columns: input columns copied into the output beside the predictions.
    :param workers: API calls in flight at once (local engine); actors (Ray).
    :param on_error: ``fail`` (stop at the first failing row), ``skip`` (leave it out) or
        ``null`` (a null prediction and the error in an ``error`` column).
    :param engine: ``local`` (built in) or a plugin's engine (``ray``).
    :param address: the cluster an engine joins (Ray: default ``$RAY_ADDRESS``).
    :param working_dir: where a service file or module is looked up (default: cwd).
    :param overwrite: replace an existing output (otherwise an existing one is an error).
    :param progress: draw a progress bar (default: when stderr is a terminal).
    :param max_failed_fraction: with ``on_error`` ``skip`` or ``null``, the job fails (exit
        status 1, nothing written by the local engine) when every row failed or more than this
        fraction of the rows did (default 0.5).
    """

    target: str
    api: str
    input: str = ""
    output: str = ""
    format: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    columns: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    keep_columns: tuple[str, ...] = attrs.field(default=(), converter=_keep)
    workers: int = 1
    on_error: str = "fail"
    engine: str = "local"
    address: str | None = None
    working_dir: str | None = None
    overwrite: bool = False
    progress: bool | None = None
    max_failed_fraction: float = DEFAULT_MAX_FAILED_FRACTION

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise InvalidArgument(
                f"--batch-size must be a positive number of rows, got {self.batch_size!r}"
            )
        if not isinstance(self.workers, int) or self.workers < 1:
            raise InvalidArgument(f"--workers must be a positive number, got {self.workers!r}")
        if self.on_error not in ON_ERROR_MODES:
            raise InvalidArgument(
                f"--on-error must be one of {', '.join(ON_ERROR_MODES)}, got {self.on_error!r}"
            )
        if self.format is not None:
            from tiffin._batch._formats import check_format

            check_format(self.format, "--format")
        fraction = self.max_failed_fraction
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 <= fraction <= 1
        ):
            raise InvalidArgument(
                f"--max-failed-fraction must be a number from 0 to 1, got {fraction!r}"
            )
        if self.columns == ():
            raise InvalidArgument("--columns names no column; leave it out to use every column")

    # -- what engines use --------------------------------------------------------------------

    def resolved_working_dir(self) -> str:
        return os.path.abspath(self.working_dir) if self.working_dir else os.getcwd()

    def sources(self) -> Sources:
        """The input files, in order, and their format (one line naming the input if none)."""
        from tiffin._batch._sources import find_sources

        return find_sources(self.input, self.format)

    def scorer(self, target: str | None = None) -> BatchScorer:
        """A picklable scorer for this job's API; ``target`` replaces the job's (a bento folder
        unpacked on a worker)."""
        from tiffin._batch._scorer import BatchScorer

        return BatchScorer(
            target or self.target,
            self.api,
            working_dir=self.resolved_working_dir(),
            columns=self.columns,
            keep_columns=self.keep_columns,
            on_error=self.on_error,
        )

    def bento(self) -> Bento | None:
        """The bento the target names, or ``None`` when it names a service file or module."""
        from tiffin._batch._target import bento_of_target

        return bento_of_target(self.target, self.resolved_working_dir())

    def check_failures(
        self, rows_in: int, failed: int, first: str | None = None, *, written: bool = False
    ) -> None:
        """Raise :class:`TooManyFailed` when every row failed or more than
        ``max_failed_fraction`` of them did; ``first`` describes the first failing row."""
        if not failed or not rows_in:
            return
        if failed < rows_in and failed / rows_in <= self.max_failed_fraction:
            return
        what = (
            f"every row failed ({failed:,} of {rows_in:,})"
            if failed == rows_in
            else f"{failed:,} of {rows_in:,} rows failed, more than --max-failed-fraction "
            f"{self.max_failed_fraction:g}"
        )
        output = (
            f"the output {self.output} was written, but the job failed"
            if written
            else "nothing was written"
        )
        first_text = f"; first: {first}" if first else ""
        raise TooManyFailed(f"{what}: {output}{first_text}")

    def open_sink(self) -> Sink:
        """The output: refuses an existing one without ``overwrite``; nothing visible until
        parts or the file are complete."""
        from tiffin._batch._sinks import open_sink

        return open_sink(self.output, overwrite=self.overwrite)


@attrs.frozen
class BatchResult:
    """What a job did: rows read and written, rows skipped or failed, seconds, the output."""

    rows_in: int
    rows_out: int
    skipped: int
    failed: int
    seconds: float
    output: str
    engine: str = "local"

    def summary(self) -> str:
        rate = self.rows_in / self.seconds if self.seconds > 0 else 0.0
        extra = []
        if self.skipped:
            extra.append(f"{self.skipped:,} skipped")
        if self.failed:
            extra.append(f"{self.failed:,} with errors (null predictions)")
        more = f" ({', '.join(extra)})" if extra else ""
        return (
            f"scored {self.rows_in:,} rows{more} in {self.seconds:.1f} s "
            f"({rate:,.0f} rows/s, {self.engine} engine); wrote {self.rows_out:,} rows to "
            f"{self.output}"
        )
