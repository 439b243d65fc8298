"""The plugin author's kit: conformance tests for each kind of plugin, and shared fixtures.

- :class:`FrameworkContract`: subclass it in a test module to test a framework plugin;
- :class:`IODescriptorContract`: subclass it to test an IO descriptor;
- :class:`StorageBackendContract`: the same for a storage backend (a URL scheme);
- :class:`DataContainerContract`: the same for a data container;
- :class:`BatchEngineContract`: the same for a batch engine (``tiffin batch --engine NAME``);
- ``tiffin_registry.testing.TransferStrategyContract`` (in tiffin-registry): a transfer strategy;
- :mod:`tiffin.testing.fixtures`: pytest fixtures (``pytest_plugins = ["tiffin.testing.fixtures"]``).

Needs pytest: install ``tiffin[testing]``. Importing this package does not import pytest;
the names below do, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tiffin.testing.batch import BatchEngineContract
    from tiffin.testing.containers import DataContainerContract
    from tiffin.testing.contract import FrameworkContract
    from tiffin.testing.io_contract import IODescriptorContract
    from tiffin.testing.storage import StorageBackendContract

__all__ = [
    "BatchEngineContract",
    "DataContainerContract",
    "FrameworkContract",
    "IODescriptorContract",
    "StorageBackendContract",
]
_MODULES = {
    "BatchEngineContract": "tiffin.testing.batch",
    "FrameworkContract": "tiffin.testing.contract",
    "IODescriptorContract": "tiffin.testing.io_contract",
    "StorageBackendContract": "tiffin.testing.storage",
    "DataContainerContract": "tiffin.testing.containers",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is not None:
        import importlib

        try:
            found = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError as exc:
            if exc.name != "pytest":
                raise
            from tiffin.exceptions import MissingPlugin

            raise MissingPlugin(
                "tiffin.testing needs pytest: pip install 'tiffin[testing]'"
            ) from None
        return found
    raise AttributeError(f"module 'tiffin.testing' has no attribute {name!r}")
