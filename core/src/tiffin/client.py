"""Call a running tiffin service from Python with native values.

``Client(url)`` reads the service's ``/docs.json`` once to learn its APIs and the descriptor
behind each, then ``client.classify(arr)`` (or ``client.call("classify", arr)``) sends ``arr``
the way that descriptor accepts it and turns the answer back into a native value (a numpy
array for ``NumpyNdarray``, a DataFrame for ``PandasDataFrame``, ``str`` for ``Text``, ...).
``AsyncClient`` is the same with ``await``. Errors come back as
:class:`tiffin.exceptions.TiffinError` subclasses carrying the server's message.
"""

from __future__ import annotations

import io
import json
import mimetypes
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tiffin.exceptions import BadInput, InvalidArgument, NotFound, ServiceUnavailable, TiffinError

__all__ = ["APIError", "AsyncClient", "Client"]

_NPY = "application/x-npy"
_BIG_ARRAY = 64 * 1024


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


class _API:
    __slots__ = ("input", "input_spec", "media_types", "name", "output", "output_spec", "route")

    def __init__(self, route: str, op: dict[str, Any]) -> None:
        io_info = op.get("x-tiffin-io") or {}
        self.name: str = op.get("operationId") or route.strip("/")
        self.route = route
        self.input: str = io_info.get("input", "")
        self.output: str = io_info.get("output", "")
        self.input_spec: dict[str, Any] = io_info.get("input_spec") or {}
        self.output_spec: dict[str, Any] = io_info.get("output_spec") or {}
        self.media_types: list[str] = list(
            ((op.get("requestBody") or {}).get("content") or {}).keys()
        )


def _parse_apis(doc: dict[str, Any]) -> dict[str, _API]:
    apis = {}
    for route, item in (doc.get("paths") or {}).items():
        op = item.get("post") if isinstance(item, dict) else None
        if op:
            api = _API(route, op)
            apis[api.name] = api
    return apis


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    import attrs

    if attrs.has(type(value)):
        from tiffin._converter import converter

        return converter.unstructure(value)
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _encode_part(value: Any, name: str) -> tuple[str, bytes, str]:
    """One value as a file-like part: (filename, bytes, content type)."""
    if isinstance(value, Path):
        return (
            value.name,
            value.read_bytes(),
            mimetypes.guess_type(value.name)[0] or "application/octet-stream",
        )
    if isinstance(value, bytes | bytearray | memoryview):
        return name, bytes(value), "application/octet-stream"
    if _type_name(value).startswith("PIL."):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return f"{name}.png", buffer.getvalue(), "image/png"
    if isinstance(value, str):
        return name, value.encode(), "text/plain"
    if _type_name(value).startswith("pandas.") and hasattr(value, "to_csv"):
        return f"{name}.csv", value.to_csv(index=False).encode(), "text/csv"
    return f"{name}.json", json.dumps(value, default=_json_default).encode(), "application/json"


def _encode(api: _API, value: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The httpx request arguments that send ``value`` (or multipart ``kwargs``) to ``api``."""
    headers: dict[str, str] = {}
    if api.output == "NumpyNdarray":
        headers["accept"] = f"{_NPY}, application/json;q=0.9"
    if kwargs or api.input == "Multipart":
        if value is not None:
            raise InvalidArgument(f"API {api.name!r} takes its parts as keyword arguments")
        files = {}
        for key, part in kwargs.items():
            if isinstance(part, str | int | float | bool) and not isinstance(part, bytes):
                files[key] = (None, str(part).encode(), "text/plain")
            else:
                files[key] = _encode_part(part, key)
        return {"files": files, "headers": headers}
    if isinstance(value, Path) or hasattr(value, "read"):
        data = value.read_bytes() if isinstance(value, Path) else value.read()
        name = value.name if isinstance(value, Path) else str(getattr(value, "name", ""))
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".npy"):
            ctype = _NPY
        return {"content": data, "headers": {**headers, "content-type": ctype}}
    kind = _type_name(value)
    if kind == "numpy.ndarray":
        if value.nbytes > _BIG_ARRAY and _NPY in api.media_types:
            import numpy as np

            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            return {"content": buffer.getvalue(), "headers": {**headers, "content-type": _NPY}}
        body = json.dumps(value.tolist())
        return {
            "content": body.encode(),
            "headers": {**headers, "content-type": "application/json"},
        }
    if kind.startswith("pandas.") and hasattr(value, "to_json"):
        orient = (api.input_spec.get("args") or {}).get("orient") or "records"
        return {
            "content": value.to_json(orient=orient).encode(),
            "headers": {**headers, "content-type": "application/json"},
        }
    if kind.startswith("PIL."):
        _, data, ctype = _encode_part(value, "image")
        return {"content": data, "headers": {**headers, "content-type": ctype}}
    if isinstance(value, bytes | bytearray | memoryview):
        ctype = next(
            (m for m in api.media_types if m != "application/json"), "application/octet-stream"
        )
        return {"content": bytes(value), "headers": {**headers, "content-type": ctype}}
    if (
        isinstance(value, str)
        and api.input != "JSON"
        and "application/json" not in api.media_types[:1]
    ):
        return {
            "content": value.encode(),
            "headers": {**headers, "content-type": "text/plain; charset=utf-8"},
        }
    body = json.dumps(value, default=_json_default)
    return {"content": body.encode(), "headers": {**headers, "content-type": "application/json"}}


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
    ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    output = api.output
    if ctype == _NPY or (
        output == "NumpyNdarray"
        and ctype == "application/octet-stream"
        and response.content.startswith(b"\x93NUMPY")
    ):
        import numpy as np

        return np.load(io.BytesIO(response.content), allow_pickle=False)
    if ctype == "application/json":
        data = response.json()
        if output == "NumpyNdarray":
            import numpy as np

            dtype = (api.output_spec.get("args") or {}).get("dtype")
            return np.asarray(data, dtype=dtype) if dtype else np.asarray(data)
        if output == "PandasDataFrame":
            import pandas as pd

            orient = (api.output_spec.get("args") or {}).get("orient") or "records"
            return pd.read_json(io.StringIO(response.text), orient=orient)
        return data
    if ctype == "text/csv" and output in ("PandasDataFrame", "NumpyNdarray"):
        import pandas as pd

        frame = pd.read_csv(io.StringIO(response.text))
        return frame if output == "PandasDataFrame" else frame.to_numpy()
    if ctype.startswith("text/"):
        return response.text
    if ctype.startswith("image/") and output == "Image":
        try:
            from PIL import Image
        except ImportError:
            return response.content
        image = Image.open(io.BytesIO(response.content))
        image.load()
        return image
    return response.content


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
