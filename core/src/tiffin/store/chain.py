"""An explicit, ordered chain of stores that ``get`` searches: stores in front, then home.

At the end of the chain sits an optional ``tail`` asked when no local store has the tag: the
auto-pull remote (``tiffin serve``/``batch`` with a registry configured).

A loaded bento carries the exact model versions it was built with in its own ``models/``
folder; its service code still calls ``tiffin.models.get("iris_clf:latest")``. The bento loader
puts that folder's store in front of the model store's chain, so the lookup finds the bento's
copy first, on any machine, even one whose ``$TIFFIN_HOME`` is empty. Writes (create, delete,
import) always go to the home store.

The chain is one object with a small API instead of a bare mutable list: the front is a tuple
replaced under a lock, a folder is in it at most once, and ``stores`` says what is searched.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from tiffin.exceptions import NotFound
from tiffin.store.local import Store
from tiffin.store.tag import Tag

__all__ = ["StoreChain"]

InfoT = TypeVar("InfoT", bound=Any)
ItemT = TypeVar("ItemT")


class StoreChain(Generic[InfoT, ItemT]):
    """``get`` tries each store in :attr:`stores` order; the home store answers last."""

    def __init__(self, home: Store[InfoT, ItemT]) -> None:
        self.home = home
        self._front: tuple[Store[InfoT, ItemT], ...] = ()
        self._lock = threading.Lock()
        #: asked last, when no local store holds the tag: ``tail.get(tag, missing)`` returns
        #: the item or raises (auto-pull from the configured remote, see ``autopull``)
        self.tail: Fallback | None = None

    @property
    def stores(self) -> tuple[Store[InfoT, ItemT], ...]:
        """The stores searched, in order: those put in front (last put, first searched), home."""
        return (*self._front, self.home)

    def put_in_front(self, store: Store[InfoT, ItemT]) -> None:
        """Search ``store`` before every other; a store with the same root is not added twice."""
        with self._lock:
            if any(_same_root(s, store) for s in self._front):
                return
            self._front = (store, *self._front)

    def clear_front(self) -> None:
        """Search only the home store again."""
        with self._lock:
            self._front = ()

    def get(self, tag: str | Tag) -> ItemT:
        """The item of the first store holding ``tag``; else the home store's ``NotStored``."""
        for store in self._front:
            try:
                return store.get(tag)
            except NotFound:
                continue
        try:
            return self.home.get(tag)
        except NotFound as missing:
            if self.tail is None:
                raise
            return self.tail.get(tag, missing)


class Fallback(Protocol):
    """The store asked last by a chain (auto-pull)."""

    def get(self, tag: str | Tag, missing: NotFound) -> Any: ...


def _same_root(a: Store[Any, Any], b: Store[Any, Any]) -> bool:
    return Path(a.root) == Path(b.root)
