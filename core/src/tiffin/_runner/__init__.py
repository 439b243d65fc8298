"""Runners: units of inference that batch and scale (``tiffin.Runnable``, ``tiffin.Runner``).

The pieces, one module each: :mod:`._runnable` (the user's class and its marked methods),
:mod:`._runner` (the runner and its methods), :mod:`._batching` (the adaptive dispatcher) and
:mod:`._calls` (the calls it queues),
:mod:`._cost` (the learned cost of a call), :mod:`._containers` (finding data containers and
batching whole calls), :mod:`._local` (calling a runnable in this process), :mod:`._metrics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin._runner._containers import container_for
from tiffin._runner._runnable import MethodConfig, Runnable, RunnableMethod
from tiffin._runner._runner import (
    DEFAULT_MAX_BATCH_SIZE,
    DEFAULT_MAX_LATENCY_MS,
    Runner,
    RunnerMethod,
    RunnerMethodNotFound,
    RunnerNotStarted,
)

if TYPE_CHECKING:
    from tiffin.store import StoredVersion  # a Model: tiffin._model sits above the runners

__all__ = [
    "DEFAULT_MAX_BATCH_SIZE",
    "DEFAULT_MAX_LATENCY_MS",
    "MethodConfig",
    "Runnable",
    "RunnableMethod",
    "Runner",
    "RunnerMethod",
    "RunnerMethodNotFound",
    "RunnerNotStarted",
    "container_for",
    "runner_for_model",
]


def runner_for_model(model: StoredVersion[Any], **options: Any) -> Runner:
    """The runner behind ``Model.to_runner(**options)``: the adapter's runnable for ``model``.

    ``options`` are :class:`Runner`'s keyword arguments; ``name`` defaults to the model's name.
    """
    from tiffin import _plugins
    from tiffin.exceptions import InvalidArgument

    adapter = _plugins.framework(model.info.framework)
    if not callable(getattr(adapter, "runnable", None)):
        raise InvalidArgument(
            f"the {model.info.framework!r} framework adapter cannot build runners (it has no "
            f"runnable() method); upgrade the plugin that provides it"
        )
    name = options.pop("name", model.tag.name)
    options.pop("models", None)
    return Runner(adapter.runnable(model), name=name, models=[model], **options)
