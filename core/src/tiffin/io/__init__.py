"""IO descriptors: how an API's HTTP payloads become native values and back.

``from tiffin.io import NumpyNdarray, PandasDataFrame, JSON, Text, File, Image, Multipart``.
Third-party descriptors subclass :class:`IODescriptor`, are registered through the
``register_io_descriptors`` hook, and then resolve as ``tiffin.io.<ClassName>``.

Nothing heavy is imported here: numpy, pandas, Pillow and starlette load when a descriptor is
built or used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tiffin.io._base import IODescriptor

if TYPE_CHECKING:
    from tiffin.io._file import File
    from tiffin.io._image import Image
    from tiffin.io._json import JSON
    from tiffin.io._multipart import Multipart
    from tiffin.io._numpy import NumpyNdarray
    from tiffin.io._pandas import PandasDataFrame, PandasSeries
    from tiffin.io._tensors import Tensor, TensorSpec
    from tiffin.io._text import Text

__all__ = [
    "JSON",
    "File",
    "IODescriptor",
    "Image",
    "Multipart",
    "NumpyNdarray",
    "PandasDataFrame",
    "PandasSeries",
    "Tensor",
    "TensorSpec",
    "Text",
    "from_spec",
]

_BUILTIN = {
    "File": "tiffin.io._file",
    "Image": "tiffin.io._image",
    "JSON": "tiffin.io._json",
    "Multipart": "tiffin.io._multipart",
    "NumpyNdarray": "tiffin.io._numpy",
    "PandasDataFrame": "tiffin.io._pandas",
    "PandasSeries": "tiffin.io._pandas",
    "Text": "tiffin.io._text",
    "Tensor": "tiffin.io._tensors",
    "TensorSpec": "tiffin.io._tensors",
}


def __getattr__(name: str) -> Any:
    module = _BUILTIN.get(name)
    if module is not None:
        return getattr(importlib.import_module(module), name)
    if name.startswith("_"):
        raise AttributeError(f"module 'tiffin.io' has no attribute {name!r}")
    from tiffin import _plugins

    found = _plugins.io_descriptors().get(name)
    if found is None:
        known = ", ".join(sorted(_plugins.io_descriptors()))
        raise AttributeError(
            f"tiffin.io has no IO descriptor {name!r} (installed: {known}); a third-party "
            f"descriptor must be registered by an installed plugin's register_io_descriptors hook"
        )
    return found


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))


def from_spec(spec: dict[str, Any]) -> IODescriptor:
    """Rebuild a descriptor from its :meth:`IODescriptor.to_spec` (as stored in ``bento.yaml``)."""
    from tiffin import _plugins
    from tiffin.exceptions import InvalidArgument

    name = spec.get("type")
    cls = _plugins.io_descriptors().get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidArgument(
            f"unknown IO descriptor {name!r}; is the plugin that provides it installed? "
            f"(known: {', '.join(sorted(_plugins.io_descriptors()))})"
        )
    return cls.from_spec(spec)
