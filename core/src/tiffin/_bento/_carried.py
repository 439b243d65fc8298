"""The models a bento carries, for the store layer: listed for a push, copied in for a pull,
landed in the model store by an import or a pull with models. Registers the bento kind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tiffin._bento._info import MANIFEST_NAME, MODELS_DIR, Bento, BentoInfo
from tiffin._model import MODEL, Model
from tiffin.store import Kind, Store, StoreChain, Tag, register_kind

__all__ = ["BENTO", "bento_store", "bento_stores", "carried_models", "store_carried_models"]


def carried_models(bento: Bento) -> list[tuple[Kind, Path]]:
    """``(model kind, folder)`` of every model the bento carries, in its manifest's order."""
    found = []
    for carried in bento.info.models:
        tag = Tag.parse(carried.tag)
        found.append((MODEL, bento.path / MODELS_DIR / tag.name / (tag.version or "")))
    return found


def local_model_files(info: BentoInfo) -> dict[str, Path]:
    """sha256 -> file, for the files of the bento's models that the local model store holds."""
    store = MODEL.store
    found: dict[str, Path] = {}
    for carried in info.models:
        tag = Tag.parse(carried.tag)
        if not tag.version or not store.exists(tag.name, tag.version):
            continue
        folder = store.root / tag.name / tag.version
        prefix = f"{MODELS_DIR}/{tag.name}/{tag.version}/"
        wanted = {f.path[len(prefix) :]: f.sha256 for f in info.files if f.path.startswith(prefix)}
        for entry in store.read_info(folder).files:
            if wanted.get(entry.path) == entry.sha256:
                found[entry.sha256] = folder / entry.path
    return found


def store_carried_models(bento: Bento) -> list[Model]:
    """Copy the models a bento carries into the model store when it lacks them."""
    store = MODEL.store
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


#: Bentos as a kind of stored thing: ``$TIFFIN_HOME/bentos/<name>/<version>/bento.yaml``.
BENTO: Kind = register_kind(
    Kind(
        "bento",
        manifest_name=MANIFEST_NAME,
        load_info=BentoInfo.from_dict,
        dump_info=BentoInfo.to_dict,
        make_item=Bento,
        sibling="model",
        carried=carried_models,
        local_files=local_model_files,
        land_carried=store_carried_models,
    )
)


def bento_store() -> Store[BentoInfo, Bento]:
    """The local bento store (its root follows ``$TIFFIN_HOME`` at every use)."""
    return BENTO.store


def bento_stores() -> StoreChain[BentoInfo, Bento]:
    """The local bento store, then (in ``tiffin serve``/``batch``) auto-pull."""
    return BENTO.chain
