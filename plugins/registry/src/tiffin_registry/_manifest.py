"""What the registry accepts as a manifest: plain, bounded YAML with typed fields.

A manifest is stored as pushed and shown in listings and UI pages, so it must stay as small
once parsed as it was on the wire: anchors and aliases (which let 400 bytes expand to
gigabytes) are refused, nesting is bounded, and the fields the registry reads have the types
the client writes. File paths follow the client's rule for the files of a stored version.
"""

from __future__ import annotations

from typing import Any

import yaml

from tiffin._converter import load_yaml
from tiffin.exceptions import InvalidArgument

__all__ = ["MAX_DEPTH", "check_path", "check_shape", "load_plain_yaml"]

#: Deepest nesting of mappings and lists accepted anywhere in a manifest.
MAX_DEPTH = 32

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_plain_yaml(text: str, what: str) -> Any:
    """``text`` parsed as YAML without anchors or aliases; InvalidArgument naming the spot."""
    if "&" in text or "*" in text:  # only then can there be one: check the events
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    line = event.start_mark.line + 1 if event.start_mark else "?"
                    raise InvalidArgument(
                        f"the {what} manifest uses a YAML anchor or alias (line {line}); "
                        f"manifests are plain YAML: write the values out"
                    )
        except yaml.YAMLError:
            pass  # load_yaml below names the problem
    return load_yaml(text)


def check_shape(value: Any, where: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH`, keys that are not scalars, and NUL in
    strings (PostgreSQL cannot store it)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str) and "\0" in item:
            raise InvalidArgument(f"{path} holds a NUL character")
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise InvalidArgument(f"{path} nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, sub in item.items():
                    if isinstance(key, dict | list) or (isinstance(key, str) and "\0" in key):
                        raise InvalidArgument(f"{path} has a key that is not a plain scalar")
                    stack.append((sub, f"{path}.{key}", depth + 1))
            else:
                stack.extend((sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item))


def check_path(path: object, where: str, reserved: str) -> str:
    """A stored file's path: relative, normalized (no ``.``, ``..``, empty segments), no NUL
    or backslash, and not the manifest's own name."""
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"{where} must be a non-empty relative path")
    if "\0" in path or "\\" in path or path.startswith("/") or path[1:2] == ":":
        raise InvalidArgument(f"{where} {path!r} is not a safe relative path")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise InvalidArgument(
            f"{where} {path!r} is not a normalized relative path (no '.', '..' or '//')"
        )
    if path == reserved:
        raise InvalidArgument(f"{where} {path!r} is reserved for the manifest itself")
    return path


def optional_string(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"the {what} manifest's {key!r} must be a string")
    return value
