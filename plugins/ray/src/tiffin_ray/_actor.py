"""The callable class ``map_batches`` runs on each actor: the service is loaded once, in
``__init__``, and every batch after that goes through the same :class:`BatchScorer` the local
engine uses."""

from __future__ import annotations

from typing import Any

__all__ = ["ScoringActor"]


class ScoringActor:
    """Scores Arrow batches on one Ray actor.

    :param scorer: the job's (picklable, unopened) :class:`tiffin.batch.BatchScorer`.
    :param bento: the packed bento (bytes, or the object store reference to them), or ``None``
        when the target is a service file or module the workers can import.
    :param key: the bento's content key: it is unpacked once per node under that name.
    """

    def __init__(self, scorer: Any, bento: Any = None, key: str | None = None) -> None:
        if bento is not None:
            import ray

            from tiffin_ray._shipping import unpack

            if isinstance(bento, ray.ObjectRef):
                bento = ray.get(bento)
            folder = unpack(bento, key or "bento")
            scorer = scorer.with_target(str(folder))
        self.scorer = scorer.open()

    def __call__(self, batch: Any) -> Any:
        return self.scorer.score(batch).table
