"""tiffin-ray: ``tiffin batch --engine ray``, offline batch inference on Ray Data.

``ray.data.read_*`` -> ``map_batches`` over actors that each load the service once -> the output.
In Python, :func:`batch` adds the scoring step to a dataset of your own.

This module is the plugin's entry point: it imports no Ray, so ``tiffin --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin import hookimpl

if TYPE_CHECKING:
    import ray.data

__all__ = ["batch"]


def batch(
    target: str,
    api: str,
    dataset: ray.data.Dataset,
    *,
    columns: list[str] | None = None,
    keep_columns: list[str] | tuple[str, ...] = (),
    on_error: str = "fail",
    batch_size: int = 4096,
    concurrency: int = 2,
    working_dir: str | None = None,
) -> ray.data.Dataset:
    """``dataset`` scored through API ``api`` of ``target`` (what ``tiffin serve`` takes).

    The result holds the ``keep_columns``, the predictions (a column named after the API, or
    ``<api>_0``, ``<api>_1``, ...) and, with ``on_error="null"``, an ``error`` column: the same
    rows the local engine writes. ``concurrency`` actors each load the service once; a bento
    reaches them through Ray's object store.
    """
    from tiffin.batch import BatchJob
    from tiffin_ray._engine import score

    job = BatchJob(
        target,
        api,
        columns=columns,
        keep_columns=keep_columns,
        on_error=on_error,
        batch_size=batch_size,
        workers=concurrency,
        working_dir=working_dir,
    )
    return score(job, dataset)


@hookimpl
def register_batch_engines(register: Any) -> None:
    from tiffin_ray._engine import RayEngine

    register(RayEngine())
