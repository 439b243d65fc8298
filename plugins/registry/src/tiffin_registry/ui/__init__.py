"""The registry's web UI: server-rendered pages under ``/ui/`` of the registry process.

:func:`routes` is what :mod:`tiffin_registry._app` mounts; everything the pages show comes
from the database (never a walk over storage), and every asset is packaged here.
"""

from __future__ import annotations

from tiffin_registry.ui._pages import routes

__all__ = ["routes"]
