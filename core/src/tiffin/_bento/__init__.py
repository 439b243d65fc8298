"""Bentos: a service's code, dependencies, models and Dockerfile, versioned in the bento store.

``tiffin.build`` makes one from a project folder; ``tiffin.get/list/delete`` manage the store
(``$TIFFIN_HOME/bentos/<name>/<version>/``); ``tiffin.export_bento/import_bento`` move one,
models included, through any fsspec URL; ``tiffin.load`` gives back its service.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tiffin._bento._api import (
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
    from tiffin._bento._build import build
    from tiffin._bento._info import Bento, BentoInfo

__all__ = [
    "Bento",
    "BentoInfo",
    "build",
    "delete",
    "export_bento",
    "get",
    "get_remote",
    "import_bento",
    "list",
    "list_remote",
    "load",
    "pull",
    "push",
]

# imported on first use, so that loading one module of the package (the bento store needs
# ``_info``) does not load them all
_WHERE = {
    "Bento": "_info",
    "BentoInfo": "_info",
    "build": "_build",
    "delete": "_api",
    "export_bento": "_api",
    "get": "_api",
    "get_remote": "_api",
    "import_bento": "_api",
    "list": "_api",
    "list_remote": "_api",
    "load": "_api",
    "pull": "_api",
    "push": "_api",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tiffin._bento' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tiffin._bento.{module}"), name)
