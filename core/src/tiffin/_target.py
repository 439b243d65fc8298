"""What a TARGET names, decided in one place: a service, a bento folder, or a bento tag.

``tiffin serve``, ``tiffin run``, ``tiffin build``, runner workers and ``tiffin batch`` all take
a TARGET. In order:

1. a folder (relative to the working directory) holding ``bento.yaml``: that bento;
2. ``service.py:svc``, ``service:svc``, ``service.py``: a service in a file or an importable
   module (:mod:`tiffin._service.loader`);
3. anything else: a bento tag in the bento store (:mod:`tiffin._bento.loader`).

This module sits above both loaders, so neither imports the other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tiffin._service.loader import load_module_service
from tiffin.exceptions import NotFound

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = ["resolve_target"]


def resolve_target(target: str, working_dir: str | os.PathLike[str] | None = None) -> Service:
    """The :class:`tiffin.Service` that ``target`` names, loaded and ready to serve.

    :param target: ``service.py:svc``, ``module:svc``, ``service.py``, a bento folder or a
        bento tag (``iris_classifier:latest``).
    :param working_dir: where relative files, modules and folders are looked up (default: the
        current directory).
    """
    base = Path(working_dir).resolve() if working_dir is not None else Path.cwd()
    if not base.is_dir():
        raise NotFound(f"working directory {base} does not exist")
    folder = base / Path(target).expanduser()
    if folder.is_dir():  # the bento modules load only when a bento may be asked for
        from tiffin._bento._info import MANIFEST_NAME as BENTO_MANIFEST

        if (folder / BENTO_MANIFEST).is_file():
            from tiffin._bento.loader import load_bento_service

            return load_bento_service(folder)
    service = load_module_service(target, base)
    if service is not None:
        return service
    from tiffin._bento.loader import load_bento_service  # not at import: serving a file needs none

    looks_like_path = "/" in target or target.startswith((".", "~")) or os.sep in target
    if looks_like_path and not folder.exists():
        raise NotFound(
            f"{target!r} does not exist (looked in {base}); give the path of a service file, "
            f"a bento folder, or a bento tag (see `tiffin list`)"
        )
    try:
        return load_bento_service(target)
    except NotFound as exc:
        raise NotFound(
            f"{target!r} is neither a Python file, an importable module (looked in {base}) nor a "
            f"stored bento ({exc}); write 'service.py:svc', 'module:svc' or a bento tag"
        ) from None
