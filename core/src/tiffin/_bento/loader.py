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

from tiffin._bento._carried import BENTO
from tiffin._bento._info import MANIFEST_NAME, MODELS_DIR, SRC_DIR, Bento
from tiffin._model import MODEL
from tiffin._service.loader import load_module_service
from tiffin.exceptions import InvalidArgument, NotFound

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = ["bento_from", "load_bento_service", "use_bento_models"]


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
        return Bento(BENTO.store.read_info(folder), folder)
    if isinstance(tag_or_path, os.PathLike) or _looks_like_path(text):
        raise NotFound(f"{text!r} is not a bento folder (it holds no {MANIFEST_NAME})")
    try:
        return BENTO.chain.get(text)  # in `tiffin serve`/`batch`, auto-pull is its last store
    except InvalidArgument as exc:
        raise InvalidArgument(
            f"{text!r} is neither a service, a bento folder nor a bento tag: {exc}"
        ) from None


def use_bento_models(bento: Bento) -> None:
    """Make the models the bento carries resolvable first by ``tiffin.models.get``."""
    folder = bento.path / MODELS_DIR
    if not folder.is_dir():
        return
    MODEL.chain.put_in_front(MODEL.folder_store(folder))


def load_bento_service(tag_or_path: str | os.PathLike[str] | Bento) -> Service:
    """The :class:`tiffin.Service` of a bento, imported from the bento's own ``src/``."""
    bento = bento_from(tag_or_path)
    for env in bento.info.envs:  # the bentofile's envs; what the environment says wins
        os.environ.setdefault(env["name"], env["value"])
    use_bento_models(bento)
    source = bento.path / SRC_DIR
    service = load_module_service(bento.info.service, source)
    if service is None:
        raise NotFound(
            f"bento {bento.tag} names the service {bento.info.service!r}, which is not in its "
            f"{SRC_DIR}/ folder ({source}); rebuild the bento"
        )
    return service
