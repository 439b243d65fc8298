"""``@tiffin.api``: marks on a class's methods, read when ``@tiffin.service`` builds its APIs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

import attrs

from tiffin.exceptions import InvalidArgument

__all__ = ["API_ATTR", "APIConfig", "api"]

F = TypeVar("F", bound=Callable[..., Any])
#: the attribute ``@tiffin.api`` sets on a method: its :class:`APIConfig`
API_ATTR = "__tiffin_api__"


@attrs.frozen
class APIConfig:
    """What ``@tiffin.api(...)`` said about one method."""

    name: str | None = None
    route: str | None = None
    doc: str | None = None
    batchable: bool = False
    batch_dim: int | tuple[int, int] = 0
    max_batch_size: int | None = None
    max_latency_ms: float | None = None


@overload
def api(func: F, /) -> F: ...
@overload
def api(
    func: None = None,
    /,
    *,
    name: str | None = None,
    route: str | None = None,
    doc: str | None = None,
    batchable: bool = False,
    batch_dim: int | tuple[int, int] = 0,
    max_batch_size: int | None = None,
    max_latency_ms: float | None = None,
) -> Callable[[F], F]: ...
def api(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    route: str | None = None,
    doc: str | None = None,
    batchable: bool = False,
    batch_dim: int | tuple[int, int] = 0,
    max_batch_size: int | None = None,
    max_latency_ms: float | None = None,
) -> Any:
    """Mark a method of a ``@tiffin.service`` class as an API: ``@tiffin.api`` or
    ``@tiffin.api(batchable=True, batch_dim=0, max_batch_size=64, max_latency_ms=20)``.

    The method stays an ordinary method (callable from the class's own code); the service
    serves it at ``POST /<route>`` (the method's name by default).
    """
    if not isinstance(batchable, bool):
        raise InvalidArgument(
            f"@tiffin.api(batchable=...) must be True or False, got {batchable!r}"
        )
    config = APIConfig(name, route, doc, batchable, batch_dim, max_batch_size, max_latency_ms)

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(f):
            raise InvalidArgument(f"@tiffin.api decorates a method, got {f!r}")
        if batchable and (inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f)):
            raise InvalidArgument(
                f"@tiffin.api(batchable=True) on {f.__qualname__}: a batchable API must be a "
                f"plain (sync) method; its batches run on the runner's own thread"
            )
        setattr(f, API_ATTR, config)
        return f

    return mark if func is None else mark(func)
