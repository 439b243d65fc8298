"""The bento store: the generic versioned store with kind ``bentos`` and ``bento.yaml``."""

from __future__ import annotations

from tiffin._bento._info import MANIFEST_NAME, Bento, BentoInfo
from tiffin._store import Store

__all__ = ["bento_store"]

_store: Store[BentoInfo, Bento] = Store(
    "bentos",
    MANIFEST_NAME,
    load_info=BentoInfo.from_dict,
    dump_info=BentoInfo.to_dict,
    make_item=Bento,
    what="bento",
    list_command="tiffin list",
    sibling=("models", "model", "tiffin models list"),
)


def bento_store() -> Store[BentoInfo, Bento]:
    """The local bento store (its root follows ``$TIFFIN_HOME`` at every use)."""
    return _store
