"""The IO descriptor interface: what the server, the CLI and the OpenAPI builder call.

A descriptor turns one API's HTTP payload into a native value and back, validates it, and
describes itself in OpenAPI. Subclasses implement two public byte-level methods, ``decode`` and
``encode`` (the contract is documented in :class:`tiffin.hookspecs.IODescriptorProtocol`); the
HTTP, CLI, multipart and client paths are built on them, so every path accepts and produces
exactly the same bytes. Starlette is imported only inside functions.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import TiffinError, UnsupportedMediaType

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "IODescriptor",
    "OutputMismatch",
    "UnsupportedMediaType",
    "current_request",
    "output_checker",
    "set_current_request",
]


#: What ``curl --data`` sends when the user gives no ``Content-Type``.
FORM_URLENCODED = "application/x-www-form-urlencoded"

_REQUEST: contextvars.ContextVar[Any] = contextvars.ContextVar("tiffin_io_request", default=None)


def set_current_request(request: Any) -> None:
    """Remember the request being served, so an output descriptor can honour its ``Accept``.

    The built-in descriptors call this in ``from_http``; a server may call it itself before
    running the API (it is a context variable: each request task sees its own).
    """
    _REQUEST.set(request)


def current_request() -> Any:
    """The request being served in this task, or ``None`` (CLI, tests without a server)."""
    return _REQUEST.get()


_MEDIA_TYPES: dict[bytes | str, str | None] = {}  # header value -> media type, bounded


def media_type_of(raw: bytes | str | None) -> str | None:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``; empty -> ``None``."""
    if not raw:
        return None
    try:
        return _MEDIA_TYPES[raw]  # a server sees the same few values on every request
    except KeyError:
        pass
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    value = text.split(";", 1)[0].strip().lower() or None
    if len(_MEDIA_TYPES) < 256:  # clients choose these values: never an unbounded cache
        _MEDIA_TYPES[raw] = value
    return value


def header(request: Any, name: bytes) -> bytes | None:
    """One raw request header straight from the ASGI scope (no ``Headers`` object per request)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value
    return None


class IODescriptor:
    """Base class of every IO descriptor; third parties subclass it and register the class.

    A subclass sets ``media_types`` (what it accepts, the first being its default and what it
    answers with) and implements:

    - ``decode(data, media_type, filename)``: bytes to the native value, raising
      :class:`tiffin.exceptions.BadInput` with a message saying what was wrong;
    - ``encode(value)``: the native value to ``(body, media_type, extra_headers)``;
    - ``openapi_schema()``, ``to_spec()`` and, optionally, ``from_sample``.

    ``from_http``/``to_http``/``from_cli``/``to_cli`` and the OpenAPI pieces then come for free;
    override them for more (NumpyNdarray's binary answers, Multipart's parts).
    """

    #: Accepted media types; the first is the default for a request without ``Content-Type``.
    media_types: tuple[str, ...] = ("application/octet-stream",)
    #: True when the API function takes the parsed value as keyword arguments (Multipart).
    input_kwargs: bool = False
    #: True when a body sent as ``application/x-www-form-urlencoded`` (curl's default for
    #: ``--data``) is read as the default media type instead of being refused with a 415.
    form_as_default: bool = False

    _example: Any = None
    _has_example: bool = False

    # -- to implement --------------------------------------------------------------------------

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        """``data`` (a body or part of ``media_type``; ``None``: the default) to the native value.

        Raise :class:`tiffin.exceptions.BadInput` saying what was wrong (a 400).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement decode()")

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        """The native ``value`` to ``(body, media_type, extra_headers)``; ``decode`` reads it back."""
        raise NotImplementedError(f"{type(self).__name__} must implement encode()")

    def openapi_schema(self) -> dict[str, Any]:
        """JSON schema (OpenAPI 3.0 dialect) of the value."""
        return {}

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able description (type name and arguments), stored in ``bento.yaml``."""
        return {"type": type(self).__name__, "args": {}}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> IODescriptor:
        """The inverse of :meth:`to_spec` (the example is not kept)."""
        return cls(**spec.get("args", {}))

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> IODescriptor:
        """A descriptor whose schema and OpenAPI example come from ``sample``."""
        descriptor = cls(**kwargs)
        descriptor.set_example(sample)
        return descriptor

    # -- HTTP ----------------------------------------------------------------------------------

    def accepts(self, media_type: str | None) -> bool:
        """Whether a part or body of ``media_type`` may be given to ``decode``."""
        return media_type is None or media_type in self.media_types or media_type == "*/*"

    def check_media_type(self, request: Request) -> str | None:
        """The request's media type, or :class:`UnsupportedMediaType` naming the accepted ones.

        ``application/x-www-form-urlencoded`` is what ``curl --data`` sends when no
        ``Content-Type`` is given; a descriptor with :attr:`form_as_default` reads it as its
        default media type (as BentoML does), since no real form is ever meant there.
        """
        media_type = media_type_of(header(request, b"content-type"))
        if media_type == FORM_URLENCODED and self.form_as_default:
            return self.media_types[0]
        if not self.accepts(media_type):
            raise UnsupportedMediaType(
                f"{type(self).__name__} input does not accept Content-Type {media_type!r}; "
                f"send one of: {', '.join(self.media_types)}"
            )
        return media_type

    async def from_http(self, request: Request) -> Any:
        """Parse and validate the request's body into the native value (``BadInput`` if bad)."""
        set_current_request(request)
        media_type = self.check_media_type(request)
        return self.decode(await request.body(), media_type, None)

    async def to_http(self, value: Any) -> Response:
        """The HTTP response for a value the API function returned."""
        from starlette.responses import Response

        body, media_type, headers = self.encode(value)
        return Response(body, media_type=media_type, headers=headers or None)

    # -- CLI -----------------------------------------------------------------------------------

    def from_cli(self, data: bytes, filename: str | None) -> Any:
        """Parse ``tiffin run --input``: JSON text, or a file's bytes with its name."""
        return self.decode(data, self.media_type_for_file(filename), filename)

    def to_cli(self, value: Any) -> bytes:
        """Exactly the bytes the HTTP response body would hold."""
        return self.encode(value)[0]

    def media_type_for_file(self, filename: str | None) -> str | None:
        """The media type a file's extension implies (``None``: the default media type).

        Used for ``tiffin run --input FILE``, multipart parts and files a client sends.
        """
        return None

    # -- OpenAPI -------------------------------------------------------------------------------

    def _openapi_example(self) -> Any:
        """The example as it would travel in the default media type (JSON-able)."""
        return self._example

    def openapi_request_body(self) -> dict[str, Any]:
        """An OpenAPI 3 ``requestBody`` object: content types, schema, example."""
        return {"required": True, "content": self._openapi_content()}

    def openapi_responses(self) -> dict[str, Any]:
        """The OpenAPI 3 ``content`` object (media type -> schema) of a 200 response."""
        return self._openapi_content(first_only=True)

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        media: dict[str, Any] = {"schema": self.openapi_schema()}
        if self._has_example:
            media["example"] = self._openapi_example()
        types = self.media_types[:1] if first_only else self.media_types
        content = {types[0]: media}
        for other in types[1:]:
            content[other] = {"schema": self._openapi_other_schema(other)}
        return content

    def _openapi_other_schema(self, media_type: str) -> dict[str, Any]:
        return {"type": "string", "format": "binary"}

    # -- examples ------------------------------------------------------------------------------

    def set_example(self, sample: Any) -> None:
        """Show ``sample`` (a native value) as the OpenAPI example of this descriptor."""
        self._example = sample
        self._has_example = True

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_spec().get("args", {}).items())
        return f"{type(self).__name__}({args})"


def wrong_output(descriptor: IODescriptor, expected: str, value: Any) -> TiffinError:
    """The error for an API function that returned the wrong kind of value (HTTP 500)."""
    return TiffinError(
        f"the API function returned {type(value).__module__}.{type(value).__qualname__}, but its "
        f"output descriptor {type(descriptor).__name__} expects {expected}; return {expected} "
        f"or change the API's output descriptor"
    )


class OutputMismatch(TiffinError):
    """The API function returned a value its output descriptor's ``enforce_shape`` or
    ``enforce_dtype`` refuses: the server's fault (HTTP 500), never sent as it is."""

    status_code = 500
    error_kind = "output_mismatch"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def output_checker(descriptor: IODescriptor) -> Any:
    """A function checking what an API returned against ``descriptor``'s enforced ``shape=``
    and ``dtype=`` (raising :class:`OutputMismatch` naming expected and actual), or ``None``
    when the descriptor enforces neither (the server then calls nothing)."""
    enforce_shape = bool(getattr(descriptor, "_enforce_shape", False))
    enforce_dtype = bool(getattr(descriptor, "_enforce_dtype", False))
    shape = getattr(descriptor, "_shape", None) if enforce_shape else None
    dtype = getattr(descriptor, "_dtype", None) if enforce_dtype else None
    if shape is None and dtype is None:
        return None
    name = type(descriptor).__name__
    kinds = ("ndarray", "Tensor", "DataFrame", "Series")

    def check(value: Any) -> None:
        if type(value).__name__ not in kinds and not isinstance(value, list | tuple):
            return  # not array-like: the descriptor's own encoding says what is wrong
        import numpy as np

        arr = value if isinstance(value, np.ndarray) else _as_array(value)
        if arr is None:
            return
        actual = tuple(arr.shape)
        if shape is not None and (
            len(actual) != len(shape)
            or any(want not in (-1, got) for want, got in zip(shape, actual, strict=True))
        ):
            raise OutputMismatch(
                f"the API function returned an array of shape {_shape_text(actual)}, but its "
                f"output descriptor {name} expects shape {_shape_text(tuple(shape))} "
                f"(enforce_shape=True; -1 means any size)"
            )
        if dtype is not None and arr.dtype != dtype:
            raise OutputMismatch(
                f"the API function returned an array of dtype {arr.dtype} (shape "
                f"{_shape_text(actual)}), but its output descriptor {name} expects dtype "
                f"{dtype} (enforce_dtype=True)"
            )

    return check


def _as_array(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    elif type(value).__name__ == "Tensor" and hasattr(value, "detach"):  # torch
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return None if arr.dtype.kind == "O" else arr
