"""The built-in ``proxy`` transfer strategy (bytes stream through the registry), registered
like any plugin's; it lives in the store layer, :mod:`tiffin.store._proxy`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tiffin.hookspecs import hookimpl
from tiffin.store._proxy import ProxyStrategy

__all__ = ["ProxyStrategy"]


@hookimpl
def register_transfer_strategies(register: Callable[[Any], None]) -> None:
    register(ProxyStrategy())
