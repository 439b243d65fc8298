"""Call a running tiffin service from Python with native values.

``Client(url)`` reads the service's ``/docs.json`` once to learn its APIs, and rebuilds the IO
descriptors behind each from what the server publishes there (``x-tiffin-io``); then
``client.classify(arr)`` (or ``client.call("classify", arr)``) sends ``arr`` through the input
descriptor's ``encode`` and reads the answer with the output descriptor's ``decode``: a numpy
array for ``NumpyNdarray``, a DataFrame for ``PandasDataFrame``, ``str`` for ``Text``, and
whatever a third-party descriptor installed here makes of its own wire format.
``AsyncClient`` is the same with ``await``. Errors come back as
:class:`tiffin.exceptions.TiffinError` subclasses carrying the server's message.
"""

from __future__ import annotations

import mimetypes
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tiffin.exceptions import BadInput, InvalidArgument, NotFound, ServiceUnavailable, TiffinError
from tiffin.io._base import IODescriptor, media_type_of

__all__ = ["APIError", "AsyncClient", "Client"]

_OCTET = "application/octet-stream"


class APIError(TiffinError):
    """The server answered an API call with an error; ``status_code`` is the HTTP status."""

    error_kind = "api_error"

    def __init__(
        self, message: str, status_code: int, kind: str = "api_error", error_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_kind = kind
        self.error_id = error_id


def _rebuild(spec: dict[str, Any] | None) -> tuple[IODescriptor | None, str | None]:
    """The descriptor the server published, or ``(None, why not)``.

    A descriptor whose arguments cannot be rebuilt here (a JSON model class the client cannot
    import) falls back to its class with default arguments: it still speaks the wire format.
    """
    from tiffin.io import from_spec

    if not spec or not spec.get("type"):
        return None, "the server did not publish its IO descriptor"
    try:
        return from_spec(spec), None
    except TiffinError as exc:
        first = str(exc)
    try:
        return from_spec({"type": spec["type"], "args": {}}), None
    except (TiffinError, TypeError):
        return None, first


class _API:
    __slots__ = ("fields", "input", "input_problem", "name", "output", "output_problem", "route")

    def __init__(self, route: str, op: dict[str, Any]) -> None:
        io_info = op.get("x-tiffin-io") or {}
        self.name: str = op.get("operationId") or route.strip("/")
        self.route = route
        self.input, self.input_problem = _rebuild(io_info.get("input_spec"))
        #: a class-style API's parameters (name -> field spec): its body is a JSON object of them
        fields = (io_info.get("input_spec") or {}).get("fields")
        self.fields: dict[str, Any] | None = fields if isinstance(fields, dict) else None
        self.output, self.output_problem = _rebuild(io_info.get("output_spec"))

    def input_descriptor(self) -> IODescriptor:
        if self.input is None:
            raise InvalidArgument(
                f"cannot call API {self.name!r} from this client: its input descriptor is not "
                f"available here ({self.input_problem}); install the plugin that provides it"
            )
        return self.input


def _parse_apis(doc: dict[str, Any]) -> dict[str, _API]:
    apis = {}
    for route, item in (doc.get("paths") or {}).items():
        op = item.get("post") if isinstance(item, dict) else None
        if op and "x-tiffin-io" in op:
            api = _API(route, op)
            apis[api.name] = api
    return apis


def _is_file(value: Any) -> bool:
    return isinstance(value, Path) or (hasattr(value, "read") and not isinstance(value, str))


def _file_part(value: Any, descriptor: IODescriptor | None, name: str) -> tuple[str, bytes, str]:
    """A path or an open file as (filename, bytes, media type), the type from its extension."""
    if isinstance(value, Path):
        filename, data = value.name, value.read_bytes()
    else:
        filename, data = Path(str(getattr(value, "name", "") or name)).name, value.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
    media_type = descriptor.media_type_for_file(filename) if descriptor is not None else None
    if media_type is None:
        media_type = mimetypes.guess_type(filename)[0] or (
            descriptor.media_types[0] if descriptor is not None else _OCTET
        )
    return filename, data, media_type


def _encode_with(
    api: _API, descriptor: IODescriptor, value: Any
) -> tuple[bytes, str, dict[str, str]]:
    try:
        return descriptor.encode(value)
    except TiffinError as exc:
        raise InvalidArgument(
            f"cannot send a {type(value).__name__} to API {api.name!r} (input {descriptor!r}): "
            f"{str(exc).replace('the API function returned', 'the value is')}"
        ) from None


def _encode(api: _API, value: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The httpx request arguments that send ``value`` (or keyword parts) to ``api``.

    The input descriptor's own ``encode`` writes the body; a path or open file is sent as its
    bytes, typed by its extension.
    """
    if api.fields is not None:
        return _encode_fields(api, value, kwargs)
    descriptor = api.input_descriptor()
    if kwargs or descriptor.input_kwargs:
        if value is not None:
            raise InvalidArgument(f"API {api.name!r} takes its parts as keyword arguments")
        parts: dict[str, IODescriptor] = getattr(descriptor, "parts", {})
        if not any(_is_file(v) for v in kwargs.values()):
            body, media_type, headers = _encode_with(api, descriptor, kwargs)
            return {"content": body, "headers": {**headers, "content-type": media_type}}
        files = {}
        for key, part in kwargs.items():
            part_descriptor = parts.get(key)
            if _is_file(part):
                files[key] = _file_part(part, part_descriptor, key)
            elif part_descriptor is not None:
                body, media_type, _ = _encode_with(api, part_descriptor, part)
                files[key] = (key, body, media_type)
            else:
                files[key] = (None, str(part).encode("utf-8"), "text/plain")
        return {"files": files}
    if _is_file(value):
        _, data, media_type = _file_part(value, descriptor, "input")
        return {"content": data, "headers": {"content-type": media_type}}
    body, media_type, headers = _encode_with(api, descriptor, value)
    return {"content": body, "headers": {**headers, "content-type": media_type}}


def _is_image(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "PIL" and hasattr(value, "save")


def _encode_fields(api: _API, value: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A class-style API's request: its parameters as keyword arguments, sent as a JSON object
    (or, when one is a file or an image, as ``multipart/form-data`` with a part each)."""
    from tiffin.io._json import dumps_json

    fields = api.fields or {}
    if value is not None:
        if len(fields) != 1 or kwargs:
            raise InvalidArgument(
                f"API {api.name!r} takes keyword arguments: "
                f"{', '.join(f'{n}=...' for n in fields) or 'none'}"
            )
        kwargs = {next(iter(fields)): value}
    unknown = [k for k in kwargs if k not in fields]
    if unknown:
        raise InvalidArgument(
            f"API {api.name!r} has no parameter(s) {', '.join(map(repr, unknown))}; its "
            f"parameters are {', '.join(map(repr, fields)) or 'none'}"
        )
    missing = [n for n, f in fields.items() if f.get("required") and n not in kwargs]
    if missing:
        raise InvalidArgument(
            f"API {api.name!r} needs the argument(s) {', '.join(map(repr, missing))}"
        )
    if not any(_is_file(v) or _is_image(v) or isinstance(v, bytes) for v in kwargs.values()):
        try:
            body = dumps_json(kwargs)
        except TypeError as exc:
            raise InvalidArgument(f"cannot send the arguments of API {api.name!r}: {exc}") from None
        return {"content": body, "headers": {"content-type": "application/json"}}
    files: dict[str, Any] = {}
    for key, part in kwargs.items():
        if _is_file(part):
            files[key] = _file_part(part, None, key)
        elif _is_image(part):
            import io

            buffer = io.BytesIO()
            part.save(buffer, format=part.format or "PNG")
            files[key] = (
                f"{key}.{(part.format or 'PNG').lower()}",
                buffer.getvalue(),
                f"image/{(part.format or 'PNG').lower()}",
            )
        elif isinstance(part, bytes):
            files[key] = (key, part, _OCTET)
        else:
            files[key] = (None, dumps_json(part), "application/json")
    return {"files": files}


def _raise_for(api_name: str, response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        message, kind, error_id = (
            body.get("error"),
            body.get("kind", "api_error"),
            body.get("error_id"),
        )
    except ValueError:
        message, kind, error_id = response.text[:500], "api_error", None
    text = f"API {api_name!r} answered {response.status_code}: {message}"
    if response.status_code == 400:
        raise BadInput(text)
    if response.status_code == 404:
        raise NotFound(text)
    if response.status_code == 503:
        raise ServiceUnavailable(text)
    raise APIError(text, response.status_code, kind, error_id)


def _decode(api: _API, response: httpx.Response) -> Any:
    """The answer, read back by the output descriptor's own ``decode``."""
    descriptor = api.output
    if descriptor is None:
        return response.content
    media_type = media_type_of(response.headers.get("content-type"))
    if not descriptor.accepts(media_type):
        media_type = None
    try:
        return descriptor.decode(response.content, media_type, None)
    except TiffinError as exc:
        raise APIError(
            f"API {api.name!r} answered a body its output descriptor {descriptor!r} cannot read: "
            f"{exc}",
            response.status_code,
            "bad_answer",
        ) from None


class _Base:
    _apis: dict[str, _API] | None

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._apis = None

    def _api(self, name: str) -> _API:
        assert self._apis is not None
        api = self._apis.get(name)
        if api is None:
            raise NotFound(
                f"the service at {self.url} has no API {name!r} (its APIs: {', '.join(self._apis) or 'none'})"
            )
        return api

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return partial(self.call, name)


class Client(_Base):
    """A synchronous client: ``Client("http://127.0.0.1:3000").classify(arr)``."""

    def __init__(
        self, url: str, *, timeout: float = 60.0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(url)
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    @property
    def apis(self) -> list[str]:
        self._load()
        assert self._apis is not None
        return list(self._apis)

    def _load(self) -> None:
        if self._apis is None:
            response = self._http.get("/docs.json")
            response.raise_for_status()
            self._apis = _parse_apis(response.json())

    def call(self, api_name: str, value: Any = None, /, **kwargs: Any) -> Any:
        """Call the API ``api_name`` with ``value`` (or a Multipart API's parts as ``kwargs``)."""
        self._load()
        api = self._api(api_name)
        response = self._http.post(api.route, **_encode(api, value, kwargs))
        _raise_for(api_name, response)
        return _decode(api, response)

    def is_ready(self) -> bool:
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base):
    """The asynchronous client: ``await AsyncClient(url).classify(arr)``."""

    def __init__(
        self, url: str, *, timeout: float = 60.0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(url)
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, headers=headers)

    async def _load(self) -> None:
        if self._apis is None:
            response = await self._http.get("/docs.json")
            response.raise_for_status()
            self._apis = _parse_apis(response.json())

    async def apis(self) -> list[str]:
        await self._load()
        assert self._apis is not None
        return list(self._apis)

    async def call(self, api_name: str, value: Any = None, /, **kwargs: Any) -> Any:
        await self._load()
        api = self._api(api_name)
        response = await self._http.post(api.route, **_encode(api, value, kwargs))
        _raise_for(api_name, response)
        return _decode(api, response)

    async def is_ready(self) -> bool:
        try:
            return (await self._http.get("/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
