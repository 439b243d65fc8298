"""Reading a type annotation (``Annotated``, ``Optional``, text) into a type and its metadata."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pathlib
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any

import attrs

__all__ = ["array_options", "from_string", "is_class", "is_generator", "is_model", "unwrap"]

_BY_NAME: dict[str, tuple[str, str] | type] = {
    "ndarray": ("numpy", "ndarray"),
    "DataFrame": ("pandas", "DataFrame"),
    "Series": ("pandas", "Series"),
    "Image": ("PIL.Image", "Image"),
    "Path": pathlib.Path,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "bytes": bytes,
}


def from_string(annotation: str) -> Any:
    """An annotation left as text (``from __future__ import annotations`` in a scope whose
    names cannot be resolved): the known types by their last dotted name, else ``Any``."""
    parts = [p.strip() for p in annotation.split("|") if p.strip() not in ("None", "")]
    text = parts[0] if len(parts) == 1 else annotation
    if text.startswith(("Optional[", "typing.Optional[")) and text.endswith("]"):
        text = text[text.index("[") + 1 : -1]
    found = _BY_NAME.get(text.split("[")[0].split(".")[-1])
    if found is None:
        return Any
    if isinstance(found, tuple):
        try:
            return getattr(importlib.import_module(found[0]), found[1])
        except ImportError:
            return Any
    return found


def unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, m1, m2]`` -> ``(T, [m1, m2])``; ``Optional[T]`` -> ``(T, [])``."""
    metadata: list[Any] = []
    if isinstance(annotation, str):
        annotation = from_string(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *metadata = typing.get_args(annotation)
    args = typing.get_args(annotation)
    if args and type(None) in args and len(args) == 2:  # Optional[T] / T | None
        annotation = next(a for a in args if a is not type(None))
    return annotation, metadata


def is_class(obj: Any, module: str, name: str) -> bool:
    """Whether ``obj`` is (a subclass of) ``module.name``, without importing ``module``."""
    if not isinstance(obj, type):
        return False
    return any(
        k.__name__ == name and (k.__module__ or "").split(".")[0] == module for k in obj.__mro__
    )


def is_model(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    return is_class(obj, "pydantic", "BaseModel") or attrs.has(obj) or dataclasses.is_dataclass(obj)


def array_options(metadata: list[Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, dict):
            options.update({k: v for k, v in item.items() if k in ("dtype", "shape")})
            if "shape" in item:
                options["enforce_shape"] = True
            continue
        dtype = getattr(item, "dtype", None)
        shape = getattr(item, "shape", None)
        if dtype is not None and not hasattr(item, "ndim"):  # tiffin.validators.DType
            options["dtype"] = dtype
        if shape is not None and not hasattr(item, "ndim"):  # tiffin.validators.Shape
            options["shape"] = tuple(shape)
            options["enforce_shape"] = True
        if isinstance(item, str):
            options["dtype"] = item
        elif isinstance(item, tuple) and all(isinstance(s, int) for s in item):
            options["shape"] = item
            options["enforce_shape"] = True
    return options


def is_generator(func: Callable[..., Any], annotation: Any) -> bool:
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        return True
    origin = typing.get_origin(annotation)
    return origin in (Generator, AsyncGenerator, Iterator, AsyncIterator)
