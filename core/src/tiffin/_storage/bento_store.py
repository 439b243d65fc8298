"""The bento store: the generic versioned store with kind ``bentos`` and ``bento.yaml``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._storage.store import Store

if TYPE_CHECKING:
    from tiffin._bento._info import Bento, BentoInfo

__all__ = ["bento_store"]

_store: Store[BentoInfo, Bento] | None = None


def bento_store() -> Store[BentoInfo, Bento]:
    """The local bento store (its root follows ``$TIFFIN_HOME`` at every use)."""
    global _store
    if _store is None:
        # built on first use: the bento classes live above the storage layer
        from tiffin._bento._info import MANIFEST_NAME, Bento, BentoInfo

        _store = Store(
            "bentos",
            MANIFEST_NAME,
            load_info=BentoInfo.from_dict,
            dump_info=BentoInfo.to_dict,
            make_item=Bento,
            what="bento",
            sibling=("models", "model"),
        )
    return _store
