"""IO descriptors from type annotations: what a class service's ``@tiffin.api`` method takes.

A class-style API's request body is a JSON object keyed by the method's parameter names
(``{"input_series": [[5.9, 3.0, 5.1, 1.8]]}``), or a ``multipart/form-data`` body with one part
per parameter (files, images). Each parameter's annotation picks the descriptor that decodes
its value:

- ``np.ndarray`` -> :class:`~tiffin.io.NumpyNdarray` (dtype and shape from ``typing.Annotated``
  metadata: ``Annotated[np.ndarray, Shape((-1, 4)), DType("float32")]`` with
  :mod:`tiffin.validators`, or a plain ``{"dtype": ..., "shape": ...}``),
- ``pd.DataFrame`` -> :class:`~tiffin.io.PandasDataFrame`,
- a pydantic model (or an attrs class / dataclass) -> :class:`~tiffin.io.JSON` with that model,
- ``PIL.Image.Image`` -> :class:`~tiffin.io.Image`; ``pathlib.Path`` and file objects ->
  :class:`~tiffin.io.File`,
- ``str``, ``int``, ``float``, ``bool``, ``list``, ``dict`` (and unannotated) -> the JSON value,
  checked against the type.

:func:`arguments_descriptor` builds the API's input descriptor. An API with one tensor-shaped
or JSON-model parameter gets that parameter's descriptor, *keyed*: it reads the JSON object and
hands the field's value to the descriptor it extends, so everything that works for that
descriptor (the V2 protocol, ``tiffin batch``, binary ``.npy`` bodies) works for the API too.
Such an API also takes its one value bare (``[[5.9, 3.0, 5.1, 1.8]]``, a 1.0-style body) when
that value is not a JSON object. Any other API gets :class:`Arguments`, which calls the method
with keyword arguments.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pathlib
import tempfile
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, set_current_request
from tiffin.io._json import JSON, dumps_json

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "Arguments",
    "Field",
    "Stream",
    "arguments_descriptor",
    "field_for",
    "keyed",
    "output_descriptor",
]

JSON_MEDIA = "application/json"
MULTIPART = "multipart/form-data"
_PRIMITIVES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    list: (list,),
    dict: (dict,),
}


# -- annotations -> descriptors ------------------------------------------------------------------


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


def _from_string(annotation: str) -> Any:
    """An annotation left as text (``from __future__ import annotations`` in a scope whose
    names cannot be resolved): the known types by their last dotted name, else ``Any``."""
    import importlib

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


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, m1, m2]`` -> ``(T, [m1, m2])``; ``Optional[T]`` -> ``(T, [])``."""
    metadata: list[Any] = []
    if isinstance(annotation, str):
        annotation = _from_string(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *metadata = typing.get_args(annotation)
    args = typing.get_args(annotation)
    if args and type(None) in args and len(args) == 2:  # Optional[T] / T | None
        annotation = next(a for a in args if a is not type(None))
    return annotation, metadata


def _is_class(obj: Any, module: str, name: str) -> bool:
    """Whether ``obj`` is (a subclass of) ``module.name``, without importing ``module``."""
    if not isinstance(obj, type):
        return False
    return any(
        k.__name__ == name and (k.__module__ or "").split(".")[0] == module for k in obj.__mro__
    )


def _is_model(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    return (
        _is_class(obj, "pydantic", "BaseModel") or attrs.has(obj) or dataclasses.is_dataclass(obj)
    )


def _array_options(metadata: list[Any]) -> dict[str, Any]:
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


def field_for(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Field:
    """The :class:`Field` for parameter ``name`` annotated ``annotation``."""
    from tiffin import io

    required = default is inspect.Parameter.empty
    value_default = None if required else default
    base, metadata = _unwrap(annotation)
    origin = typing.get_origin(base) or base
    if base is inspect.Parameter.empty or base is Any or base is typing.Any:
        return Field(name, None, "primitive", (), required, value_default)
    if origin in _PRIMITIVES:
        return Field(name, None, "primitive", _PRIMITIVES[origin], required, value_default)
    if _is_class(origin, "numpy", "ndarray"):
        return Field(
            name,
            io.NumpyNdarray(**_array_options(metadata)),
            "descriptor",
            (),
            required,
            value_default,
        )
    if _is_class(origin, "pandas", "DataFrame"):
        return Field(name, io.PandasDataFrame(), "descriptor", (), required, value_default)
    if _is_class(origin, "pandas", "Series"):
        return Field(name, io.PandasSeries(), "descriptor", (), required, value_default)
    if _is_class(origin, "PIL", "Image"):
        return Field(name, io.Image(), "descriptor", (), required, value_default)
    if origin is pathlib.Path or _is_class(origin, "pathlib", "PurePath"):
        return Field(name, io.File(), "path", (), required, value_default)
    if origin is bytes or _is_class(origin, "typing", "BinaryIO") or origin is typing.BinaryIO:
        return Field(name, io.File(), "descriptor", (), required, value_default)
    if _is_model(origin):
        return Field(name, JSON(pydantic_model=origin), "descriptor", (), required, value_default)
    if isinstance(base, IODescriptor):
        return Field(name, base, "descriptor", (), required, value_default)
    raise InvalidArgument(
        f"parameter {name!r} is annotated {annotation!r}, which tiffin cannot read from a request; "
        f"use numpy.ndarray, pandas.DataFrame, a pydantic model, PIL.Image.Image, pathlib.Path, "
        f"str, int, float, bool, list or dict"
    )


# -- the input descriptors -----------------------------------------------------------------------


class Arguments(IODescriptor):
    """A JSON object (or multipart form) keyed by parameter names -> keyword arguments."""

    media_types = (JSON_MEDIA, MULTIPART)
    input_kwargs = True
    form_as_default = True

    def __init__(self, fields: dict[str, Field] | None = None) -> None:
        self.fields: dict[str, Field] = dict(fields or {})

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        if media_type == MULTIPART:
            from tiffin.io._multipart import _split_multipart

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
            from tiffin.io._multipart import _split_multipart

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


# -- outputs -------------------------------------------------------------------------------------


class Stream(IODescriptor):
    """What a generator API yields, streamed as it comes: text chunks (``str``/``bytes``) as they
    are, anything else as one JSON document per line."""

    media_types = ("text/plain",)

    def __init__(self, media_type: str = "text/plain") -> None:
        self._media_type = media_type

    @staticmethod
    def _chunk(item: Any) -> bytes:
        if isinstance(item, bytes):
            return item
        if isinstance(item, str):
            return item.encode("utf-8")
        return dumps_json(item) + b"\n"

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if isinstance(value, (bytes, str)):
            return self._chunk(value), self._media_type, {}
        return b"".join(self._chunk(item) for item in value), self._media_type, {}

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        return data.decode("utf-8", "replace")

    async def to_http(self, value: Any) -> Any:
        from starlette.responses import StreamingResponse

        if isinstance(value, (str, bytes)):
            value = [value]
        if hasattr(value, "__aiter__"):

            async def chunks() -> AsyncIterator[bytes]:
                async for item in value:
                    yield self._chunk(item)

            return StreamingResponse(chunks(), media_type=self._media_type)
        return StreamingResponse((self._chunk(item) for item in value), media_type=self._media_type)

    def to_cli(self, value: Any) -> Any:
        if hasattr(value, "__aiter__"):

            async def collect() -> bytes:
                return b"".join([self._chunk(item) async for item in value])

            return collect()
        return self.encode(value)[0]

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "Text", "args": {}}


def _is_generator(func: Callable[..., Any], annotation: Any) -> bool:
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        return True
    origin = typing.get_origin(annotation)
    return origin in (Generator, AsyncGenerator, Iterator, AsyncIterator)


def output_descriptor(func: Callable[..., Any], annotation: Any) -> IODescriptor:
    """The output descriptor for what ``func`` returns, from its return annotation."""
    from tiffin import io

    if _is_generator(func, annotation):
        return Stream()
    base, metadata = _unwrap(annotation)
    origin = typing.get_origin(base) or base
    if base is str:
        return io.Text()
    if _is_class(origin, "numpy", "ndarray"):
        return io.NumpyNdarray(**_array_options(metadata))
    if _is_class(origin, "pandas", "DataFrame"):
        return io.PandasDataFrame()
    if _is_class(origin, "pandas", "Series"):
        return io.PandasSeries()
    if _is_class(origin, "PIL", "Image"):
        return io.Image()
    if origin is pathlib.Path or origin is bytes or origin is typing.BinaryIO:
        return io.File()
    if _is_model(origin):
        return JSON(pydantic_model=origin)
    if isinstance(base, IODescriptor):
        return base
    return JSON()
