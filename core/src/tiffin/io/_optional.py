"""Optional dependencies (pandas, Pillow, pydantic): imported on use, or a clear install hint."""

from __future__ import annotations

import importlib
from typing import Any

from tiffin.exceptions import TiffinError

__all__ = ["MissingDependency", "require"]


class MissingDependency(TiffinError):
    """A descriptor needs a library that is not installed; the message names the pip command."""

    error_kind = "missing_dependency"


def require(module: str, pip_name: str, who: str) -> Any:
    """Import ``module`` or raise :class:`MissingDependency` saying ``pip install pip_name``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            f"the {who} IO descriptor needs {pip_name}, which is not installed; install it with: "
            f"pip install {pip_name}"
        ) from None
