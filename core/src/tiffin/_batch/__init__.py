"""Offline batch inference: ``tiffin batch`` and the engines behind ``--engine``.

The job (:class:`BatchJob`) says what to score; the engine registered under its name (built in:
``local``; ``ray`` from ``tiffin-ray``) runs it, using the job's sources, scorer and sink so
that every engine gives the local engine's answers.
"""

from __future__ import annotations

from tiffin._batch._job import BatchJob, BatchResult
from tiffin._batch._run import engine_named, run
from tiffin._batch._scorer import BatchScorer, RowFailed, Scored

__all__ = ["BatchJob", "BatchResult", "BatchScorer", "RowFailed", "Scored", "engine_named", "run"]
