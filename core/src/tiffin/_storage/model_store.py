"""The local model store and the chain :func:`tiffin.models.get` searches, in one place.

Below ``tiffin.models`` and the bento and registry code, so each can reach the model store
without importing the public module (which itself reaches them lazily).
"""

from __future__ import annotations

from tiffin._model import MANIFEST_NAME, Model, ModelInfo
from tiffin._storage.chain import StoreChain
from tiffin._storage.store import Store

__all__ = ["model_store", "model_stores"]

_store: Store[ModelInfo, Model] = Store(
    "models",
    MANIFEST_NAME,
    load_info=ModelInfo.from_dict,
    dump_info=ModelInfo.to_dict,
    make_item=Model,
    what="model",
    sibling=("bentos", "bento"),
)
_stores: StoreChain[ModelInfo, Model] = StoreChain(_store)


def model_store() -> Store[ModelInfo, Model]:
    """The local model store (its root follows ``$TIFFIN_HOME`` at every use)."""
    return _store


def model_stores() -> StoreChain[ModelInfo, Model]:
    """The stores model look-ups search: a loaded bento's own models first, then the store."""
    return _stores
