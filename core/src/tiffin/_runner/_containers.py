"""Finding the data container for a value, and batching whole calls (all their arguments).

Containers are matched by the fully qualified names of ``type(value).__mro__`` against the
registered ``type_names``, so nothing is imported to decide (a torch container costs nothing
until a tensor shows up). The answer is cached per type. A framework adapter that offers
``batch``/``split`` is the fallback for its own values when no container knows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tiffin.containers import type_name
from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import (
    SupportsBatchSize,
    SupportsCompatible,
    SupportsFrameworkBatching,
)

__all__ = ["CallShape", "container_for", "join_calls", "split_result"]

_cache: dict[type, Any] = {}
_cache_source: object = None
_plugins: Any = None  # tiffin._plugins, imported at the first call (it sits above this module)


def container_for(value: Any, fallbacks: Sequence[Any] = ()) -> Any | None:
    """The registered data container handling ``value``'s type (or a base of it), else None.

    ``fallbacks`` are framework adapters whose ``batch``/``split`` handle their own values.
    """
    global _cache_source, _plugins
    plugins = _plugins
    if plugins is None:
        from tiffin import _plugins as plugins

        _plugins = plugins
    if plugins._manager is not _cache_source or _cache_source is None:
        plugins.data_containers()  # builds the manager on first use
        _cache.clear()  # plugins were reset or reloaded: forget what was found before
        _cache_source = plugins._manager
    cls = type(value)
    try:
        found = _cache[cls]
    except KeyError:
        registered = plugins.data_containers()
        found = None
        for klass in cls.__mro__:
            found = registered.get(type_name(klass))
            if found is not None:
                break
        _cache[cls] = found
    if found is None and fallbacks:
        for adapter in fallbacks:
            if isinstance(adapter, SupportsFrameworkBatching):
                return _AdapterContainer(adapter)
    return found


class _AdapterContainer:
    """A framework adapter's ``batch``/``split`` seen as a (local-only) data container."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self.name = f"adapter:{adapter.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AdapterContainer) and other.adapter is self.adapter

    def __hash__(self) -> int:
        return id(self.adapter)

    def batch_size(self, value: Any, batch_dim: int) -> int:
        if isinstance(self.adapter, SupportsBatchSize):
            return int(self.adapter.batch_size(value, batch_dim))
        return len(value)

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool:
        if isinstance(self.adapter, SupportsCompatible):
            return bool(self.adapter.compatible(a, b, batch_dim))
        return type(a) is type(b)

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]:
        return self.adapter.batch(values, batch_dim)

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]:
        return self.adapter.split(batch, sizes, batch_dim)


def _rows(container: Any, value: Any, batch_dim: int) -> int:
    if isinstance(container, SupportsBatchSize):
        return int(container.batch_size(value, batch_dim))
    return len(value)


def _compatible(container: Any, a: Any, b: Any, batch_dim: int) -> bool:
    if isinstance(container, SupportsCompatible):
        return bool(container.compatible(a, b, batch_dim))
    return type(a) is type(b)


class CallShape:
    """What decides whether two calls may share a batch: containers, keywords, trailing shapes.

    ``rows`` is the call's row count along the batch dimension; ``batchable`` is False when an
    argument has no container (or no batch dimension, like a 0-d array): such a call runs alone.
    """

    __slots__ = ("args", "batch_dim", "batchable", "containers", "keys", "rows")

    def __init__(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        batch_dim: int,
        fallbacks: Sequence[Any] = (),
    ) -> None:
        self.batch_dim = batch_dim
        if not kwargs and len(args) == 1:  # the common call, one array: no lists to build
            self.keys = ()
            self.args = args
            container = container_for(args[0], fallbacks)
            self.containers = (container,)
            self.batchable = container is not None
            self.rows = 1
            if container is not None:
                try:
                    self.rows = _rows(container, args[0], batch_dim)
                except (InvalidArgument, IndexError, TypeError):
                    self.batchable = False
            return
        self.keys = tuple(kwargs)
        self.args = (*args, *kwargs.values())
        self.containers = tuple(container_for(v, fallbacks) for v in self.args)
        self.batchable = bool(self.args) and None not in self.containers
        self.rows = 1
        if self.batchable:
            try:
                rows = [
                    _rows(c, v, batch_dim) for c, v in zip(self.containers, self.args, strict=True)
                ]
            except (InvalidArgument, IndexError, TypeError):
                self.batchable = False
                return
            if any(r != rows[0] for r in rows):
                raise InvalidArgument(
                    f"the arguments of one call to a batchable method must have the same number "
                    f"of rows along batch_dim={batch_dim}; got {rows}"
                )
            self.rows = rows[0]

    def compatible(self, other: CallShape) -> bool:
        if not (self.batchable and other.batchable):
            return False
        if self.keys != other.keys or len(self.args) != len(other.args):
            return False
        if self.containers != other.containers:
            return False
        dim = self.batch_dim
        return all(
            _compatible(c, a, b, dim)
            for c, a, b in zip(self.containers, self.args, other.args, strict=True)
        )


def join_calls(shapes: Sequence[CallShape]) -> tuple[tuple[Any, ...], dict[str, Any], list[int]]:
    """Concatenate compatible calls argument by argument: the batched args, kwargs and sizes."""
    first = shapes[0]
    dim = first.batch_dim
    n_positional = len(first.args) - len(first.keys)
    joined = []
    sizes: list[int] = []
    for i, container in enumerate(first.containers):
        # every argument has the same rows per call (checked by CallShape), so any ``sizes`` do
        value, sizes = container.batch([s.args[i] for s in shapes], dim)
        joined.append(value)
    args = tuple(joined[:n_positional])
    kwargs = dict(zip(first.keys, joined[n_positional:], strict=True))
    return args, kwargs, list(sizes)


def split_result(
    result: Any, sizes: Sequence[int], batch_dim: int, fallbacks: Sequence[Any] = ()
) -> list[Any]:
    """One output per call, in order; a tuple result is several outputs, each split alike."""
    if isinstance(result, tuple):
        columns = [split_result(part, sizes, batch_dim, fallbacks) for part in result]
        return [tuple(parts) for parts in zip(*columns, strict=True)]
    container = container_for(result, fallbacks)
    if container is None:
        from tiffin.exceptions import TiffinError

        raise TiffinError(
            f"a batchable method returned a {type(result).__module__}.{type(result).__qualname__}, "
            f"which no data container can split back into its callers' rows; return a numpy "
            f"array, a list, a pandas frame, or install the data container for this type"
        )
    return container.split(result, sizes, batch_dim)
