"""Loading a bento's service: by tag from the store, or from a bento folder anywhere.

The bento's ``src/`` goes on ``sys.path`` and its ``models/`` folder becomes a read-only model
store searched before ``$TIFFIN_HOME``, so ``tiffin.models.get("iris_clf:latest")`` in the
service's code finds the exact version the bento was built with, on any machine, even one
whose model store is empty (a container, a fresh import).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tiffin._bento._info import MANIFEST_NAME, MODELS_DIR, SRC_DIR, Bento
from tiffin._storage.bento_store import bento_store
from tiffin._storage.store import Store
from tiffin.exceptions import InvalidArgument, NotFound

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = ["bento_from", "load_bento_service", "use_bento_models"]


class _FolderStore(Store):
    """A store whose root is a fixed folder (a bento's ``models/``) instead of ``$TIFFIN_HOME``."""

    def __init__(self, folder: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._folder = folder

    @property
    def root(self) -> Path:
        return self._folder


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.startswith(".") or text.startswith("~")


def bento_from(tag_or_path: str | os.PathLike[str] | Bento) -> Bento:
    """The bento a tag or a bento folder names."""
    if isinstance(tag_or_path, Bento):
        return tag_or_path
    text = os.fspath(tag_or_path)
    folder = Path(text).expanduser()
    if (folder / MANIFEST_NAME).is_file():
        folder = folder.resolve()
        return Bento(bento_store().read_info(folder), folder)
    if isinstance(tag_or_path, os.PathLike) or _looks_like_path(text):
        raise NotFound(f"{text!r} is not a bento folder (it holds no {MANIFEST_NAME})")
    try:
        return bento_store().get(text)
    except NotFound as missing:
        from tiffin._registry import _auto

        if not _auto.active():  # only in `tiffin serve`/`batch`, with a registry configured
            raise
        return _auto.pull_missing_bento(text, missing)
    except InvalidArgument as exc:
        raise InvalidArgument(
            f"{text!r} is neither a service, a bento folder nor a bento tag: {exc}"
        ) from None


def use_bento_models(bento: Bento) -> None:
    """Make the models the bento carries resolvable first by ``tiffin.models.get``."""
    from tiffin import models
    from tiffin._model import MANIFEST_NAME as MODEL_MANIFEST
    from tiffin._model import Model, ModelInfo

    folder = bento.path / MODELS_DIR
    if not folder.is_dir():
        return
    if any(getattr(o, "_folder", None) == folder for o in models.overlays):
        return
    models.overlays.insert(
        0,
        _FolderStore(
            folder,
            kind=MODELS_DIR,
            manifest_name=MODEL_MANIFEST,
            load_info=ModelInfo.from_dict,
            dump_info=ModelInfo.to_dict,
            make_item=Model,
            what="model",
            list_command=f"ls {folder}",
        ),
    )


def load_bento_service(tag_or_path: str | os.PathLike[str] | Bento) -> Service:
    """The :class:`tiffin.Service` of a bento, imported from the bento's own ``src/``."""
    from tiffin._service.loader import load_service

    bento = bento_from(tag_or_path)
    for env in bento.info.envs:  # the bentofile's envs; what the environment says wins
        os.environ.setdefault(env["name"], env["value"])
    use_bento_models(bento)
    return load_service(bento.info.service, working_dir=bento.path / SRC_DIR)


def load_bento_target(target: str, base: Path) -> Service:
    """The fallback of :func:`tiffin._service.loader.load_service`: ``target`` names no Python
    file or module, so it must be a bento tag or a bento folder (relative to ``base``)."""
    folder = base / Path(target).expanduser()
    if (folder / MANIFEST_NAME).is_file():
        return load_bento_service(folder)
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
