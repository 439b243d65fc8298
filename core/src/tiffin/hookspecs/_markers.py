"""The pluggy markers and names shared by every hookspec module."""

from __future__ import annotations

import pluggy

__all__ = ["ENTRY_POINT_GROUP", "PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "tiffin"
ENTRY_POINT_GROUP = "tiffin"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's hook implementations: ``@tiffin.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
