"""One parameter of a class-style API (:class:`Field`): its value from JSON or a multipart part."""

from __future__ import annotations

import pathlib
import tempfile
from typing import Any

import attrs
import orjson

from tiffin.exceptions import BadInput
from tiffin.io._base import IODescriptor

__all__ = ["JSON_MEDIA", "MULTIPART", "Field"]

JSON_MEDIA = "application/json"
MULTIPART = "multipart/form-data"


@attrs.frozen
class Field:
    """One parameter of a class-style API: its name, its descriptor, how its value is passed."""

    name: str
    descriptor: IODescriptor | None  # None: a plain JSON value (primitives, Any)
    kind: str  # "descriptor", "primitive", "path"
    types: tuple[type, ...] = ()
    required: bool = True
    default: Any = None

    def from_json(self, value: Any) -> Any:
        """The parameter's value from its place in a JSON object body."""
        if value is None and not self.required and self.default is None:
            return None  # an optional parameter (``x: int | None = None``) sent as null
        if self.kind == "primitive":
            if (self.types and not isinstance(value, self.types)) or (
                self.types and bool not in self.types and isinstance(value, bool)
            ):
                wanted = " or ".join(t.__name__ for t in self.types)
                raise BadInput(
                    f"field {self.name!r} must be {wanted}, got {type(value).__name__} {value!r:.60}"
                )
            if self.types == (int, float):
                return float(value)
            return value
        assert self.descriptor is not None
        if self.kind == "path" or not self.descriptor.accepts(JSON_MEDIA):
            raise BadInput(
                f"field {self.name!r} is a file: send the request as multipart/form-data "
                f"with a part named {self.name!r}"
            )
        return self._decode(orjson.dumps(value), JSON_MEDIA, None)

    def from_part(self, data: bytes, media_type: str | None, filename: str | None) -> Any:
        """The parameter's value from a multipart part."""
        if self.kind == "primitive":
            if media_type == JSON_MEDIA:
                try:
                    return self.from_json(orjson.loads(data))
                except orjson.JSONDecodeError as exc:
                    raise BadInput(f"field {self.name!r} is not valid JSON: {exc}") from None
            text = data.decode("utf-8", "replace")
            if self.types == (str,):
                try:  # BentoML's clients send form fields as JSON: '"text"'
                    parsed = orjson.loads(data)
                except orjson.JSONDecodeError:
                    return text
                return parsed if isinstance(parsed, str) else text
            try:
                return self.from_json(orjson.loads(data))
            except orjson.JSONDecodeError:
                return self.from_json(text)
        assert self.descriptor is not None
        if filename is None and media_type is None and self.descriptor.accepts(JSON_MEDIA):
            media_type = JSON_MEDIA
        value = self._decode(
            data, media_type if self.descriptor.accepts(media_type) else None, filename
        )
        if self.kind == "path":
            return _to_path(value, filename)
        return value

    def _decode(self, data: bytes, media_type: str | None, filename: str | None) -> Any:
        try:
            return self.descriptor.decode(data, media_type, filename)  # type: ignore[union-attr]
        except BadInput as exc:
            raise BadInput(f"field {self.name!r}: {exc}") from None

    def schema(self) -> dict[str, Any]:
        if self.descriptor is not None:
            if self.kind == "path" or not self.descriptor.accepts(JSON_MEDIA):
                return {"type": "string", "format": "binary"}
            return self.descriptor.openapi_schema()
        names = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}
        if self.types == (int, float):
            return {"type": "number"}
        if len(self.types) == 1 and self.types[0] in names:
            return {"type": names[self.types[0]]}
        return {}

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": self.kind, "required": self.required}
        if self.descriptor is not None:
            spec["descriptor"] = self.descriptor.to_spec()
        if self.types:
            spec["types"] = [t.__name__ for t in self.types]
        return spec


def _to_path(value: Any, filename: str | None) -> pathlib.Path:
    """A file part as a temporary file's path (what a ``Path`` parameter receives)."""
    suffix = pathlib.Path(filename).suffix if filename else ""
    with tempfile.NamedTemporaryFile(delete=False, suffix=suffix, prefix="tiffin-") as handle:
        handle.write(value.read() if hasattr(value, "read") else bytes(value))
    return pathlib.Path(handle.name)
