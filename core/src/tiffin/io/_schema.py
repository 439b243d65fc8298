"""JSON schemas in OpenAPI 3.0's dialect: from pydantic's 2020-12 output, and from attrs classes.

OpenAPI 3.0 has no ``$defs``, no ``"type": "null"`` and no ``const``; ``/docs.json`` must
validate as 3.0, so pydantic's schemas are rewritten here (references inlined, nullable unions
folded) and attrs classes or dataclasses get a schema from their field types.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import attrs

__all__ = ["class_schema", "to_openapi30"]

_DROP = {"$schema", "$id", "$defs", "definitions", "examples", "const", "prefixItems", "$comment"}


def to_openapi30(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a JSON Schema 2020-12 document (pydantic's) into OpenAPI 3.0 form."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    return _convert(schema, defs, ())


def _convert(node: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_convert(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen or name not in defs:  # recursive models: stop with an open object
            return {"type": "object"}
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _convert(merged, defs, (*seen, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key in ("properties", "patternProperties"):
            out[key] = {k: _convert(v, defs, seen) for k, v in value.items()}
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out[key.replace("exclusiveM", "m")] = value
            out[key] = True
        elif key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            if len(kinds) < len(value):
                out["nullable"] = True
            if len(kinds) == 1:
                out["type"] = kinds[0]
        else:
            out[key] = _convert(value, defs, seen)
    if "const" in node:
        out["enum"] = [node["const"]]
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list):
            rest = [o for o in options if o != {"type": "null"}]
            if len(rest) < len(options):
                out["nullable"] = True
                if len(rest) == 1:
                    del out[key]
                    out = {**rest[0], **out}
                else:
                    out[key] = rest
    if (
        out.get("nullable")
        and "type" not in out
        and not any(k in out for k in ("anyOf", "oneOf", "allOf"))
    ):
        out["type"] = "object"
    return out


_SIMPLE: dict[Any, dict[str, Any]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bytes: {"type": "string", "format": "byte"},
    Any: {},
}


def class_schema(cls: type, _seen: tuple[type, ...] = ()) -> dict[str, Any]:
    """An object schema for an attrs class or dataclass, from its fields' type hints."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: describe the fields without types
        hints = {}
    if attrs.has(cls):
        fields = [(f.name, f.default is attrs.NOTHING) for f in attrs.fields(cls)]
    else:
        fields = [
            (f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        ]
    properties = {name: _type_schema(hints.get(name, Any), (*_seen, cls)) for name, _ in fields}
    schema: dict[str, Any] = {"type": "object", "title": cls.__name__, "properties": properties}
    required = [name for name, needed in fields if needed]
    if required:
        schema["required"] = required
    return schema


def _type_schema(tp: Any, seen: tuple[type, ...]) -> dict[str, Any]:
    if tp in _SIMPLE:
        return dict(_SIMPLE[tp])
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = (
            _type_schema(rest[0], seen)
            if len(rest) == 1
            else {"anyOf": [_type_schema(a, seen) for a in rest]}
        )
        if len(rest) < len(args):
            inner["nullable"] = True
        return inner
    if origin in (list, set, frozenset, tuple) or tp in (list, set, tuple):
        item = _type_schema(args[0], seen) if args and args[0] is not Ellipsis else {}
        return {"type": "array", "items": item}
    if origin is dict or tp is dict:
        value = _type_schema(args[1], seen) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if isinstance(tp, type) and (attrs.has(tp) or dataclasses.is_dataclass(tp)):
        if tp in seen:
            return {"type": "object"}
        return class_schema(tp, seen)
    return {}
