"""Batch engines: ``register_batch_engines`` and what an engine receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

__all__ = ["BatchEngine", "BatchJob", "BatchResult", "register_batch_engines"]


@runtime_checkable
class BatchJob(Protocol):
    """What an engine is given (a :class:`tiffin.batch.BatchJob`): the options of one job and
    the pieces that give the local engine's answers.

    - ``target``, ``api``, ``input``, ``output``, ``batch_size``, ``workers``, ``on_error``
      (``"fail"``, ``"skip"`` or ``"null"``), ``address`` (the cluster to join, if any).
    - ``sources()``: the input files and their format.
    - ``scorer()``: a picklable object that loads the service once per process with
      ``open()`` and scores one Arrow batch with ``score(batch)``, exactly as the server would.
    - ``bento()``: the bento the target names, or ``None`` for a service file or module.
    - ``open_sink()``: the output, written atomically and in order.
    """

    target: str
    api: str
    input: str
    output: str
    batch_size: int
    workers: int
    on_error: str
    address: str | None

    def sources(self) -> Any: ...

    def scorer(self, target: str | None = None) -> Any: ...

    def bento(self) -> Any: ...

    def open_sink(self) -> Any: ...


@runtime_checkable
class BatchResult(Protocol):
    """What an engine returns (a :class:`tiffin.batch.BatchResult`): rows read, rows written,
    rows skipped and failed, seconds taken, the output URL and the engine's name."""

    rows_in: int
    rows_out: int
    skipped: int
    failed: int
    seconds: float
    output: str
    engine: str

    def summary(self) -> str: ...


@runtime_checkable
class BatchEngine(Protocol):
    """Runs one ``tiffin batch`` job: scores a dataset through an API, writes the predictions.

    - ``name``: a lowercase name, what ``tiffin batch --engine NAME`` selects (``"local"`` is
      built in, ``"ray"`` comes from ``tiffin-ray``).
    - ``run(job) -> BatchResult``: run the :class:`BatchJob` to the end and return a
      :class:`tiffin.batch.BatchResult`; raise :class:`tiffin.exceptions.TiffinError` with one
      readable line for anything the user can fix.

    Test one with :class:`tiffin.testing.BatchEngineContract`.
    """

    name: str

    def run(self, job: BatchJob) -> BatchResult: ...


@hookspec
def register_batch_engines(register: Callable[[BatchEngine], None]) -> None:
    """Register batch engines for ``tiffin batch --engine NAME``.

    :param register: call ``register(engine)`` once per :class:`BatchEngine`. A name registered
        twice is a warning naming both plugins; the first registered (the built-in ``local``
        engine first) wins.

    Called once per process, the first time ``tiffin batch`` (or :func:`tiffin.batch.run`)
    looks an engine up.
    """
