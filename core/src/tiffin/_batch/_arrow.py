"""pyarrow, imported on first use: ``tiffin batch`` needs it, ``import tiffin`` never does."""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import TiffinError

__all__ = ["MissingDependency", "pyarrow"]

INSTALL_HINT = "pip install 'tiffin[batch]'"


class MissingDependency(TiffinError):
    """An optional library a command needs is not installed."""


def pyarrow() -> Any:
    """The ``pyarrow`` module, or one line saying what to install."""
    try:
        import pyarrow
    except ImportError:
        raise MissingDependency(
            f"tiffin batch reads and writes Parquet, CSV and JSON Lines with pyarrow, which is "
            f"not installed: {INSTALL_HINT} (or pip install pyarrow)"
        ) from None
    return pyarrow
