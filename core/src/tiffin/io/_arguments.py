"""A class-style API's input descriptor: a JSON object or form keyed by parameter name."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import orjson

from tiffin.exceptions import BadInput
from tiffin.io._base import IODescriptor, set_current_request
from tiffin.io._field import JSON_MEDIA, MULTIPART, Field
from tiffin.io._json import dumps_json
from tiffin.io._multipart import _split_multipart

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["Arguments", "arguments_descriptor", "keyed"]


class Arguments(IODescriptor):
    """A JSON object (or multipart form) keyed by parameter names -> keyword arguments."""

    media_types = (JSON_MEDIA, MULTIPART)
    input_kwargs = True
    form_as_default = True

    def __init__(self, fields: dict[str, Field] | None = None) -> None:
        self.fields: dict[str, Field] = dict(fields or {})

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        if media_type == MULTIPART:
            return self._from_parts(_split_multipart(data))
        if not data.strip() and not any(f.required for f in self.fields.values()):
            return {}
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"the request body is not valid JSON: {exc}") from None
        return self.from_object(parsed)

    def from_object(self, parsed: Any) -> dict[str, Any]:
        """Keyword arguments from a parsed JSON object."""
        if not isinstance(parsed, dict):
            raise BadInput(
                f"the request body must be a JSON object keyed by parameter name "
                f"({', '.join(self.fields) or 'no parameters'}), got {type(parsed).__name__}"
            )
        unknown = [k for k in parsed if k not in self.fields]
        if unknown:
            raise BadInput(
                f"unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
                f"{', '.join(map(repr, self.fields)) or 'none'}"
            )
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in parsed:
                values[name] = field.from_json(parsed[name])
            elif field.required:
                raise BadInput(f"missing field {name!r}")
        return values

    def _from_parts(self, parts: dict[str, tuple[bytes, str | None, str | None]]) -> dict[str, Any]:
        unknown = [k for k in parts if k not in self.fields]
        if unknown:
            raise BadInput(
                f"unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
                f"{', '.join(map(repr, self.fields))}"
            )
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in parts:
                values[name] = field.from_part(*parts[name])
            elif field.required:
                raise BadInput(f"missing field {name!r}")
        return values

    async def from_http(self, request: Request) -> Any:
        set_current_request(request)
        media_type = self.check_media_type(request)
        return self.decode(await request.body(), media_type, None)

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        return dumps_json(dict(value)), JSON_MEDIA, {}

    def openapi_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: field.schema() for name, field in self.fields.items()},
            "required": [name for name, field in self.fields.items() if field.required],
        }

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        files = any(
            f.kind == "path" or (f.descriptor is not None and not f.descriptor.accepts(JSON_MEDIA))
            for f in self.fields.values()
        )
        if files:  # a file travels only in a multipart part
            return {MULTIPART: {"schema": self.openapi_schema()}}
        content: dict[str, Any] = {JSON_MEDIA: {"schema": self.openapi_schema()}}
        if not first_only:
            content[MULTIPART] = {"schema": self.openapi_schema()}
        return content

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "Arguments",
            "args": {},
            "fields": {name: field.to_spec() for name, field in self.fields.items()},
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Arguments:
        return cls()


class _Keyed:
    """Mixed into a copy of a descriptor: its JSON body is ``{"<field>": value}``."""

    _field: Field
    _tensor = False  # a NumpyNdarray whose parsed-JSON reading can be called directly
    input_kwargs = False

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        if media_type in (None, JSON_MEDIA, "*/*"):
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"the request body is not valid JSON: {exc}") from None
            return self.from_object(parsed)
        if media_type == MULTIPART:
            parts = _split_multipart(data)
            if self._field.name not in parts:
                raise BadInput(f"missing field {self._field.name!r}")
            return self._field.from_part(*parts[self._field.name])
        return super().decode(data, media_type, filename)  # type: ignore[misc]

    def from_object(self, parsed: Any) -> Any:
        name = self._field.name
        if not isinstance(parsed, dict):  # the one parameter's value, sent bare (``[[1, 2]]``)
            return self._field.from_json(parsed)
        if name not in parsed:
            raise BadInput(f"missing field {name!r}")
        if len(parsed) != 1:
            unknown = [k for k in parsed if k != name]
            raise BadInput(
                f"unknown field(s) {', '.join(map(repr, unknown))}; the only field is {name!r}"
            )
        if self._tensor:  # NumpyNdarray's own reading of parsed JSON: no second parse
            try:
                return self._check_shape(self._from_json(parsed[name]))  # type: ignore[attr-defined]
            except BadInput as exc:
                raise BadInput(f"field {name!r}: {exc}") from None
        return self._field.from_json(parsed[name])

    def from_cli(self, data: bytes, filename: str | None) -> Any:
        media_type = self.media_type_for_file(filename)  # type: ignore[attr-defined]
        if media_type in (None, JSON_MEDIA):
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"the input is not valid JSON: {exc}") from None
            if isinstance(parsed, dict) and self._field.name in parsed and len(parsed) == 1:
                return self._field.from_json(parsed[self._field.name])
            # a row of ``tiffin batch``, or the bare value: the descriptor's own reading
            return super().decode(data, JSON_MEDIA, filename)  # type: ignore[misc]
        return super().decode(data, media_type, filename)  # type: ignore[misc]

    def openapi_request_body(self) -> dict[str, Any]:
        schema = {
            "type": "object",
            "properties": {self._field.name: super().openapi_schema()},  # type: ignore[misc]
            "required": [self._field.name],
        }
        return {"required": True, "content": {JSON_MEDIA: {"schema": schema}}}

    def to_spec(self) -> dict[str, Any]:
        spec = dict(super().to_spec())  # type: ignore[misc]
        spec["fields"] = {self._field.name: self._field.to_spec()}
        return spec


_KEYED_CLASSES: dict[type, type] = {}


def keyed(field: Field) -> IODescriptor:
    """A copy of ``field``'s descriptor that reads ``{"<name>": value}`` JSON bodies."""
    assert field.descriptor is not None
    base = type(field.descriptor)
    cls = _KEYED_CLASSES.get(base)
    if cls is None:
        cls = _KEYED_CLASSES[base] = type(
            base.__name__, (_Keyed, base), {"__module__": base.__module__}
        )
    descriptor = copy.copy(field.descriptor)
    descriptor.__class__ = cls
    descriptor._field = field  # type: ignore[attr-defined]
    descriptor._tensor = base.__name__ == "NumpyNdarray" and all(  # type: ignore[attr-defined]
        callable(getattr(descriptor, m, None)) for m in ("_from_json", "_check_shape")
    )
    return descriptor


#: descriptors whose value a single parameter is keyed into (tensor-shaped or JSON models)
_KEYABLE = ("NumpyNdarray", "PandasDataFrame", "JSON")


def arguments_descriptor(fields: dict[str, Field]) -> IODescriptor:
    """The input descriptor of an API taking ``fields``."""
    if len(fields) == 1:
        (field,) = fields.values()
        if (
            field.kind == "descriptor"
            and field.required
            and type(field.descriptor).__name__ in _KEYABLE
        ):
            return keyed(field)
    return Arguments(fields)
