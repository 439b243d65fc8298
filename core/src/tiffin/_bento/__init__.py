"""Bentos: a service's code, dependencies, models and Dockerfile, versioned in the bento store.

``tiffin.build`` makes one from a project folder; ``tiffin.get/list/delete`` manage the store
(``$TIFFIN_HOME/bentos/<name>/<version>/``); ``tiffin.export_bento/import_bento`` move one,
models included, through any fsspec URL; ``tiffin.load`` gives back its service.
"""

from __future__ import annotations

from tiffin._bento._api import delete, export_bento, get, import_bento, list, load, pull, push
from tiffin._bento._build import build
from tiffin._bento._info import Bento, BentoInfo

__all__ = [
    "Bento",
    "BentoInfo",
    "build",
    "delete",
    "export_bento",
    "get",
    "import_bento",
    "list",
    "load",
    "pull",
    "push",
]
