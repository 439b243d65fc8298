"""The plugin manager and what each hook kind registered (the only package touching pluggy).

Entry points in the group ``tiffin`` are scanned and imported lazily, the first time anything
asks for a registered object, never at ``import tiffin``. :mod:`._manager` loads the plugins
and calls the hooks; :mod:`._kinds` checks and indexes what each kind registers;
:mod:`._commands` adds the plugins' CLI commands.
"""

from __future__ import annotations

from tiffin._plugins._commands import add_commands
from tiffin._plugins._kinds import (
    CUSTOM_FRAMEWORK,
    batch_engines,
    collect_all,
    data_containers,
    framework,
    frameworks,
    io_descriptors,
    missing_framework_message,
    plugins_used_by,
    remotes,
    serving_engines,
    storage_backends,
    transfer_strategies,
)
from tiffin._plugins._manager import (
    DEFAULT_PLUGINS,
    KNOWN_DISTRIBUTIONS,
    PluginRecord,
    TiffinPluginWarning,
    distribution_of,
    plugin_manager,
    plugin_records,
    reset,
)

__all__ = [
    "CUSTOM_FRAMEWORK",
    "DEFAULT_PLUGINS",
    "KNOWN_DISTRIBUTIONS",
    "PluginRecord",
    "TiffinPluginWarning",
    "add_commands",
    "batch_engines",
    "collect_all",
    "data_containers",
    "distribution_of",
    "framework",
    "frameworks",
    "io_descriptors",
    "missing_framework_message",
    "plugin_manager",
    "plugin_records",
    "plugins_used_by",
    "remotes",
    "reset",
    "serving_engines",
    "storage_backends",
    "transfer_strategies",
]
