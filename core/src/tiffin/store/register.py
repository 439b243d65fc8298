"""Registering a kind of stored thing: known by name, auto-pull at the end of its chain."""

from __future__ import annotations

from tiffin.store.autopull import AutoPull
from tiffin.store.kinds import Kind, add_kind

__all__ = ["register_kind"]


def register_kind(kind: Kind) -> Kind:
    """Make ``kind`` known (``get_kind(kind.name)``); return the registered one (the first)."""
    registered = add_kind(kind)
    if registered.chain.tail is None:
        registered.chain.tail = AutoPull(registered)
    return registered
