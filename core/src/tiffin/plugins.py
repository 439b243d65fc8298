"""What the installed plugins registered: public lookups for plugins that build on others.

The registry (tiffin-registry) looks up transfer strategies and storage backends here; a
plugin's tests register a plugin under development with :func:`register_in_process`. Plugins
load on first use, never at ``import tiffin``; every lookup returns a mapping by name (or URL
scheme, or type name) of the objects the hooks in :mod:`tiffin.hookspecs` registered.
"""

from __future__ import annotations

from typing import Any

from tiffin._plugins import (
    PluginRecord,
    TiffinPluginWarning,
    batch_engines,
    data_containers,
    distribution_of,
    frameworks,
    io_descriptors,
    plugin_manager,
    plugin_records,
    reset,
    serving_engines,
    storage_backends,
    transfer_strategies,
)

__all__ = [
    "PluginRecord",
    "TiffinPluginWarning",
    "batch_engines",
    "data_containers",
    "distribution_of",
    "frameworks",
    "io_descriptors",
    "plugin_records",
    "register_in_process",
    "reset",
    "serving_engines",
    "storage_backends",
    "transfer_strategies",
]


def register_in_process(plugin: Any, name: str) -> None:
    """Register ``plugin`` (a module, or any object with ``@tiffin.hookimpl`` functions) as if
    it were installed under the entry-point name ``name``, in this process only; for tests of
    a plugin under development. Forgets what earlier lookups found, so the next one sees it;
    :func:`reset` forgets it again."""
    reset()
    plugin_manager().register(plugin, name=name)
