"""IO descriptors from type annotations: what a class service's ``@tiffin.api`` method takes.

A class-style API's request body is a JSON object keyed by the method's parameter names
(``{"input_series": [[5.9, 3.0, 5.1, 1.8]]}``), or a ``multipart/form-data`` body with one part
per parameter (files, images). Each parameter's annotation picks the descriptor that decodes
its value:

- ``np.ndarray`` -> :class:`~tiffin.NumpyNdarray` (dtype and shape from ``typing.Annotated``
  metadata: ``Annotated[np.ndarray, Shape((-1, 4)), DType("float32")]`` with
  :mod:`tiffin.validators`, or a plain ``{"dtype": ..., "shape": ...}``),
- ``pd.DataFrame`` -> :class:`~tiffin.PandasDataFrame`,
- a pydantic model (or an attrs class / dataclass) -> :class:`~tiffin.io.JSON` with that model,
- ``PIL.Image.Image`` -> :class:`~tiffin.Image`; ``pathlib.Path`` and file objects ->
  :class:`~tiffin.File`,
- ``str``, ``int``, ``float``, ``bool``, ``list``, ``dict`` (and unannotated) -> the JSON value,
  checked against the type.

:func:`arguments_descriptor` builds the API's input descriptor. An API with one tensor-shaped
or JSON-model parameter gets that parameter's descriptor, *keyed*: it reads the JSON object and
hands the field's value to the descriptor it extends, so everything that works for that
descriptor (the V2 protocol, ``tiffin batch``, binary ``.npy`` bodies) works for the API too.
Such an API also takes its one value bare (``[[5.9, 3.0, 5.1, 1.8]]``, a 1.0-style body) when
that value is not a JSON object. Any other API gets :class:`Arguments`, which calls the method
with keyword arguments.

This module maps each type to its descriptor; :mod:`._hints` reads the annotations, and
:mod:`._field`, :mod:`._arguments` and :mod:`._stream` hold what the mapping builds.
"""

from __future__ import annotations

import inspect
import pathlib
import typing
from collections.abc import Callable
from typing import Any

from tiffin.exceptions import InvalidArgument
from tiffin.io._arguments import Arguments, arguments_descriptor, keyed
from tiffin.io._base import IODescriptor
from tiffin.io._field import Field
from tiffin.io._file import File
from tiffin.io._hints import array_options, is_class, is_generator, is_model, unwrap
from tiffin.io._image import Image
from tiffin.io._json import JSON
from tiffin.io._numpy import NumpyNdarray
from tiffin.io._pandas import PandasDataFrame, PandasSeries
from tiffin.io._stream import Stream
from tiffin.io._text import Text

__all__ = [
    "Arguments",
    "Field",
    "Stream",
    "arguments_descriptor",
    "field_for",
    "keyed",
    "output_descriptor",
]

_PRIMITIVES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    list: (list,),
    dict: (dict,),
}


def field_for(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Field:
    """The :class:`Field` for parameter ``name`` annotated ``annotation``."""
    required = default is inspect.Parameter.empty
    value_default = None if required else default
    base, metadata = unwrap(annotation)
    origin = typing.get_origin(base) or base
    if base is inspect.Parameter.empty or base is Any or base is typing.Any:
        return Field(name, None, "primitive", (), required, value_default)
    if origin in _PRIMITIVES:
        return Field(name, None, "primitive", _PRIMITIVES[origin], required, value_default)
    if is_class(origin, "numpy", "ndarray"):
        return Field(
            name,
            NumpyNdarray(**array_options(metadata)),
            "descriptor",
            (),
            required,
            value_default,
        )
    if is_class(origin, "pandas", "DataFrame"):
        return Field(name, PandasDataFrame(), "descriptor", (), required, value_default)
    if is_class(origin, "pandas", "Series"):
        return Field(name, PandasSeries(), "descriptor", (), required, value_default)
    if is_class(origin, "PIL", "Image"):
        return Field(name, Image(), "descriptor", (), required, value_default)
    if origin is pathlib.Path or is_class(origin, "pathlib", "PurePath"):
        return Field(name, File(), "path", (), required, value_default)
    if origin is bytes or is_class(origin, "typing", "BinaryIO") or origin is typing.BinaryIO:
        return Field(name, File(), "descriptor", (), required, value_default)
    if is_model(origin):
        return Field(name, JSON(pydantic_model=origin), "descriptor", (), required, value_default)
    if isinstance(base, IODescriptor):
        return Field(name, base, "descriptor", (), required, value_default)
    raise InvalidArgument(
        f"parameter {name!r} is annotated {annotation!r}, which tiffin cannot read from a request; "
        f"use numpy.ndarray, pandas.DataFrame, a pydantic model, PIL.Image.Image, pathlib.Path, "
        f"str, int, float, bool, list or dict"
    )


def output_descriptor(func: Callable[..., Any], annotation: Any) -> IODescriptor:
    """The output descriptor for what ``func`` returns, from its return annotation."""
    if is_generator(func, annotation):
        return Stream()
    base, metadata = unwrap(annotation)
    origin = typing.get_origin(base) or base
    if base is str:
        return Text()
    if is_class(origin, "numpy", "ndarray"):
        return NumpyNdarray(**array_options(metadata))
    if is_class(origin, "pandas", "DataFrame"):
        return PandasDataFrame()
    if is_class(origin, "pandas", "Series"):
        return PandasSeries()
    if is_class(origin, "PIL", "Image"):
        return Image()
    if origin is pathlib.Path or origin is bytes or origin is typing.BinaryIO:
        return File()
    if is_model(origin):
        return JSON(pydantic_model=origin)
    if isinstance(base, IODescriptor):
        return base
    return JSON()
