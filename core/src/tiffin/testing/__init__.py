"""The plugin author's kit: conformance tests for framework adapters, and shared fixtures.

- :class:`FrameworkContract`: subclass it in a test module to test a framework plugin;
- :mod:`tiffin.testing.fixtures`: pytest fixtures (``pytest_plugins = ["tiffin.testing.fixtures"]``).

Needs pytest: install ``tiffin[testing]``. Importing this package does not import pytest;
the names below do, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tiffin.testing.contract import FrameworkContract

__all__ = ["FrameworkContract"]


def __getattr__(name: str) -> Any:
    if name == "FrameworkContract":
        try:
            from tiffin.testing.contract import FrameworkContract
        except ModuleNotFoundError as exc:
            if exc.name != "pytest":
                raise
            from tiffin.exceptions import MissingPlugin

            raise MissingPlugin(
                "tiffin.testing needs pytest: pip install 'tiffin[testing]'"
            ) from None
        return FrameworkContract
    raise AttributeError(f"module 'tiffin.testing' has no attribute {name!r}")
