"""Kinds of stored thing: a model and a bento, each registered by its own module.

A :class:`Kind` says everything the store layer needs to know about one kind of stored thing:
its one spelling (``"model"``, ``"bento"``), the folder under ``$TIFFIN_HOME`` and the registry
API's path segment (``"models"``), its manifest's file name, how to read the manifest and what
to hand users. ``tiffin._model`` and ``tiffin._bento`` register theirs when imported; the store
layer never imports them. The local store of a kind and the chain that ``get`` searches are
built here, once per kind.

A kind may carry other stored things inside its versions (a bento carries its models):
``carried(item)`` lists them as ``(kind, folder)`` pairs, so a push can send them first;
``land_carried(item)`` puts them into their own store (import, pull with models); and
``local_files(info)`` maps sha256 to files this machine already has, so a pull copies them
instead of downloading them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import KINDS
from tiffin.store.chain import StoreChain
from tiffin.store.local import Store

__all__ = ["Kind", "add_kind", "get_kind"]


class Kind:
    """One kind of stored thing; register it with :func:`tiffin.store.register_kind`."""

    def __init__(
        self,
        name: str,
        *,
        manifest_name: str,
        load_info: Callable[[dict[str, Any]], Any],
        dump_info: Callable[[Any], dict[str, Any]],
        make_item: Callable[[Any, Path], Any],
        sibling: str | None = None,
        carried: Callable[[Any], list[tuple[Kind, Path]]] | None = None,
        local_files: Callable[[Any], dict[str, Path]] | None = None,
        land_carried: Callable[[Any], Any] | None = None,
    ) -> None:
        if name not in KINDS:
            raise InvalidArgument(f"unknown kind {name!r}; kinds are {', '.join(KINDS)}")
        self.name = name
        self.plural = f"{name}s"
        self.manifest_name = manifest_name
        self.load_info = load_info
        self.dump_info = dump_info
        self.make_item = make_item
        self.carried = carried
        self.local_files = local_files
        self.land_carried = land_carried
        self.store: Store[Any, Any] = Store(
            self.plural,
            manifest_name,
            load_info=load_info,
            dump_info=dump_info,
            make_item=make_item,
            what=name,
            sibling=(f"{sibling}s", sibling) if sibling else None,
        )
        self.chain: StoreChain[Any, Any] = StoreChain(self.store)

    def folder_store(self, root: Path) -> Store[Any, Any]:
        """A read-only store of this kind rooted at ``root`` (a bento's ``models/``)."""
        return Store(
            root.name,
            self.manifest_name,
            load_info=self.load_info,
            dump_info=self.dump_info,
            make_item=self.make_item,
            what=self.name,
            root=root,
        )

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


_kinds: dict[str, Kind] = {}
_lock = threading.Lock()


def add_kind(kind: Kind) -> Kind:
    """Make ``kind`` known by its name; adding the same name again keeps the first.

    Use :func:`tiffin.store.register_kind`, which also puts auto-pull at the end of its chain.
    """
    with _lock:
        return _kinds.setdefault(kind.name, kind)


#: Where core's own kinds register themselves, loaded by name on first use (like the built-in
#: plugins), so ``copy("bento", ...)`` works before anything imported the bento code.
_BUILTIN = {"model": "tiffin._model", "bento": "tiffin._bento._carried"}


def get_kind(name: str) -> Kind:
    """The registered kind called ``name`` (``"model"`` or ``"bento"``)."""
    if name not in _kinds and name in _BUILTIN:
        importlib.import_module(_BUILTIN[name])
    try:
        return _kinds[name]
    except KeyError:
        raise InvalidArgument(
            f"no kind of stored thing named {name!r} is registered (known: "
            f"{', '.join(sorted(_kinds)) or 'none'})"
        ) from None
