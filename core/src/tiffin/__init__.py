"""tiffin: take trained models to production.

``import tiffin`` is cheap: every public name is imported on first use, and plugins load only
when something asks for one. ``tiffin.<framework>`` (``tiffin.sklearn``, ``tiffin.torch``, a
third party's ``tiffin.lightgbm``) resolves to the installed framework adapter.
"""

from __future__ import annotations

import builtins
import importlib
from typing import TYPE_CHECKING, Any

from tiffin._version import __version__
from tiffin.hookspecs import hookimpl

if TYPE_CHECKING:
    from tiffin import client, containers, exceptions, frameworks, io, models, store, testing
    from tiffin._bento import (
        Bento,
        build,
        delete,
        export_bento,
        get,
        get_remote,
        import_bento,
        list,
        list_remote,
        load,
        pull,
        push,
    )
    from tiffin._model import Model
    from tiffin._runner import Runnable, Runner
    from tiffin._service import Context, Cookie, Service
    from tiffin.store.tag import Tag

__all__ = [
    "Bento",
    "Context",
    "Cookie",
    "Model",
    "Runnable",
    "Runner",
    "Service",
    "Tag",
    "__version__",
    "build",
    "client",
    "containers",
    "delete",
    "exceptions",
    "export_bento",
    "frameworks",
    "get",
    "get_remote",
    "hookimpl",
    "import_bento",
    "io",
    "list",
    "list_remote",
    "load",
    "models",
    "pull",
    "push",
    "store",
    "testing",
]

_SUBMODULES = {
    "client",
    "containers",
    "exceptions",
    "frameworks",
    "io",
    "models",
    "plugins",
    "store",
    "testing",
}
_LAZY = {
    "Bento": "tiffin._bento",
    "build": "tiffin._bento",
    "delete": "tiffin._bento",
    "export_bento": "tiffin._bento",
    "get": "tiffin._bento",
    "get_remote": "tiffin._bento",
    "import_bento": "tiffin._bento",
    "list": "tiffin._bento",
    "list_remote": "tiffin._bento",
    "load": "tiffin._bento",
    "pull": "tiffin._bento",
    "push": "tiffin._bento",
    "Model": "tiffin._model",
    "Runnable": "tiffin._runner",
    "Runner": "tiffin._runner",
    "Context": "tiffin._service",
    "Cookie": "tiffin._service",
    "Service": "tiffin._service",
    "Tag": "tiffin.store.tag",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"tiffin.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name.startswith("_") or name != name.lower():  # adapters' names are lowercase
        raise AttributeError(f"module 'tiffin' has no attribute {name!r}")
    from tiffin import _plugins

    return _plugins.framework(name)


def __dir__() -> builtins.list[str]:
    return sorted(set(__all__) | set(globals()))
