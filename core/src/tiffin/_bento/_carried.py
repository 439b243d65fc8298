"""Landing the models a bento carries in the local model store (import, pull --with-models)."""

from __future__ import annotations

import os
import shutil

from tiffin._bento._info import MODELS_DIR, Bento
from tiffin._model import Model
from tiffin._storage.model_store import model_store
from tiffin._storage.tag import Tag

__all__ = ["store_carried_models"]


def store_carried_models(bento: Bento) -> list[Model]:
    """Copy the models a bento carries into the model store when it lacks them."""
    store = model_store()
    added = []
    for carried in bento.info.models:
        model_tag = Tag.parse(carried.tag)
        if store.exists(model_tag.name, model_tag.version or ""):
            continue
        source = bento.path / MODELS_DIR / model_tag.name / (model_tag.version or "")
        info = store.read_info(source)
        manifest = (source / store.manifest_name).read_bytes()
        with store.staging(model_tag.name) as stage:
            os.rmdir(stage)
            shutil.copytree(source, stage)
            try:
                added.append(
                    store.commit(
                        stage, info, rescan=False, manifest_text=manifest, keep_version=True
                    )
                )
            except Exception:
                if not store.exists(model_tag.name, model_tag.version or ""):
                    raise  # else a concurrent import stored it first: fine
    return added
