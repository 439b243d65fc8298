"""The registry's web application, as public API for the pages added to it (the web UI).

- :func:`build_app`: the ASGI app of a registry opened with
  :func:`tiffin_registry.access.open_registry`.
- :class:`RegistryApp`: what the UI's ``routes(context)`` receives: ``registry`` (the
  :class:`tiffin_registry.access.Registry`), ``catalog`` (:class:`Catalog`: repositories,
  versions, labels) and ``strategies`` (the transfer strategies offered, by name).
"""

from __future__ import annotations

from tiffin_registry._app import RegistryApp, build_app
from tiffin_registry._catalog import Catalog

__all__ = ["Catalog", "RegistryApp", "build_app"]
