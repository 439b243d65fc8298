"""tiffin-ray: ``tiffin batch --engine ray`` (offline batch inference on Ray Data) and
``tiffin serve --engine ray`` (a bento as a Ray Serve application).

``ray.data.read_*`` -> ``map_batches`` over actors that each load the service once -> the output.
In Python, :func:`batch` adds the scoring step to a dataset of your own, and :func:`deployment`
returns the Ray Serve application of a bento (``serve.run(tiffin_ray.deployment(TAG))``).

This module is the plugin's entry point: it imports no Ray, so ``tiffin --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin import hookimpl

if TYPE_CHECKING:
    import ray.data

__all__ = ["batch", "deployment"]


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


def deployment(
    target: str,
    api_config: dict[str, Any] | None = None,
    runner_config: dict[str, dict[str, Any]] | None = None,
    *,
    working_dir: str | None = None,
    name: str | None = None,
) -> Any:
    """The Ray Serve application of ``target`` (a bento tag or folder, or a service).

    The ingress deployment is tiffin's own HTTP app (the routes, ``/docs``, ``/metrics``, V2 and
    error bodies of ``tiffin serve``); each runner is a deployment of its own, called through a
    deployment handle, batching as the runner says (``max_batch_size``, ``max_latency_ms``).
    ``api_config`` and ``runner_config[RUNNER]`` are Ray Serve deployment options
    (``num_replicas``, ``"auto"`` with ``autoscaling_config``, ``ray_actor_options``,
    ``max_ongoing_requests``, ...). Deploy it with ``ray.serve.run(...)``.
    """
    from tiffin_ray._serve import deployment as build

    return build(target, api_config, runner_config, working_dir=working_dir, name=name)


@hookimpl
def register_serving_engines(register: Any) -> None:
    from tiffin_ray._serving_engine import RayServingEngine

    register(RayServingEngine())


@hookimpl
def register_batch_engines(register: Any) -> None:
    from tiffin_ray._engine import RayEngine

    register(RayEngine())
