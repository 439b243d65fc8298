"""Offline batch inference from Python: what ``tiffin batch`` runs, for schedulers and scripts.

    from tiffin.batch import BatchJob, run

    result = run(BatchJob("iris_classifier:latest", "classify",
                          input="s3://bucket/day=2026-12-01/", output="s3://bucket/scores/2026-12-01",
                          columns=["sl", "sw", "pl", "pw"], keep_columns=["id"]))
    print(result.summary())

Batch engines (``tiffin.hookspecs.register_batch_engines``) receive a :class:`BatchJob` and use
:class:`BatchScorer` on their workers.
"""

from __future__ import annotations

from tiffin._batch import BatchJob, BatchResult, BatchScorer, RowFailed, Scored, run
from tiffin._batch._scorer import ERROR_COLUMN

__all__ = ["ERROR_COLUMN", "BatchJob", "BatchResult", "BatchScorer", "RowFailed", "Scored", "run"]
