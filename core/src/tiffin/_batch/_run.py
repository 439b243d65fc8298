"""Running a job: find its engine among the registered ones, then hand the job over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin.exceptions import MissingPlugin
from tiffin.store import enable_auto_pull

if TYPE_CHECKING:
    from tiffin._batch._job import BatchJob, BatchResult

__all__ = ["engine_named", "run"]


def engine_named(name: str) -> Any:
    """The batch engine called ``name``, or one line naming the package that provides it."""
    from tiffin import _plugins

    engines = _plugins.batch_engines()
    engine = engines.get(name)
    if engine is not None:
        return engine
    from tiffin._missing_plugin import missing_message

    raise MissingPlugin(missing_message("batch engine", name, engines, "--engine"))


def run(job: BatchJob) -> BatchResult:
    """Run ``job`` on its engine and return what it did."""
    enable_auto_pull()  # the store chains may fetch what no local store holds
    engine = engine_named(job.engine)
    result: BatchResult = engine.run(job)
    # the local engine checks before it writes; any other engine's output is checked here
    job.check_failures(result.rows_in, result.skipped + result.failed, written=True)
    return result
