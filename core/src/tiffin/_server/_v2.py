"""The Open Inference Protocol (KServe V2) over every API whose descriptors map to tensors.

An API is a V2 model, named after the API, when its input and output descriptors both offer the
tensor capability (``tensor_specs``, ``from_tensors``, ``to_tensors``; see
:class:`tiffin.hookspecs.IODescriptorProtocol`). A request's tensors (JSON ``data``, or raw
bytes after the JSON header with the binary tensor data extension) become numpy arrays here;
the descriptor turns them into the API function's value, and the function runs exactly as on
the native route (same sync caller, runners, batching, metrics and error handling). Routes the
user declared come first in the app, so they always win over these.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiffin._server._body import read_body
from tiffin._server._errors import internal_error
from tiffin._service import Context
from tiffin._version import __version__
from tiffin.exceptions import BadInput, TiffinError
from tiffin.hookspecs import SupportsTensors
from tiffin.io._tensors import (
    DATATYPES,
    Tensor,
    bytes_from_binary,
    bytes_to_binary,
    numpy_dtype,
)

if TYPE_CHECKING:
    from tiffin._server._app import APIEndpoint
    from tiffin._service import InferenceAPI, Service

__all__ = ["V2_PATHS", "tensor_apis", "v2_routes"]

_np: Any = None


def _numpy() -> Any:
    global _np
    if _np is None:
        import numpy

        _np = numpy
    return _np


logger = logging.getLogger("tiffin.server")

HEADER_LENGTH = "Inference-Header-Content-Length"
_HEADER_LENGTH_KEY = HEADER_LENGTH.lower().encode()
_VERSION = "1"
#: The protocol's paths (Starlette syntax); a user route matching one of them wins.
V2_PATHS = (
    "/v2",
    "/v2/health/live",
    "/v2/health/ready",
    "/v2/models/{name}",
    "/v2/models/{name}/ready",
    "/v2/models/{name}/infer",
    "/v2/models/{name}/versions/{version}",
    "/v2/models/{name}/versions/{version}/ready",
    "/v2/models/{name}/versions/{version}/infer",
)
_JSON_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def tensor_apis(svc: Service) -> dict[str, InferenceAPI]:
    """The APIs that are V2 models: both descriptors map to tensors, and no keyword parts."""
    found = {}
    for api in svc.apis.values():
        if api.input_kwargs:
            continue
        if isinstance(api.input, SupportsTensors) and isinstance(api.output, SupportsTensors):
            found[api.name] = api
    return found


def _error(status: int, message: str, kind: str = "bad_input") -> JSONResponse:
    return JSONResponse({"error": message, "kind": kind}, status_code=status)


def _not_found(name: str, models: dict[str, Any]) -> JSONResponse:
    known = ", ".join(models) or "none"
    return _error(404, f"no model {name!r} on this server (models: {known})", "not_found")


# -- decoding a request ---------------------------------------------------------------------------


def _shape_of(spec: dict[str, Any], name: str) -> tuple[int, ...]:
    shape = spec.get("shape")
    if type(shape) is list:
        for size in shape:
            if type(size) is not int or size < 0:
                break
        else:
            return tuple(shape)
    raise BadInput(f"input {name!r}: 'shape' must be a list of non-negative integers")


def _tensor_from_json(spec: Any, binary: bytes, offset: int) -> tuple[Tensor, int]:
    """One request input (and how many binary bytes it used)."""
    np = _numpy()
    if type(spec) is not dict:
        raise BadInput("each entry of 'inputs' must be an object with name, datatype, shape, data")
    name = spec.get("name")
    if type(name) is not str:
        raise BadInput("an input lacks its 'name' (a string)")
    datatype = spec.get("datatype")
    if type(datatype) is not str or datatype not in DATATYPES:
        raise BadInput(
            f"input {name!r}: datatype {datatype!r} is not one of {', '.join(DATATYPES)}"
        )
    shape = _shape_of(spec, name)
    count = math.prod(shape)
    dtype = numpy_dtype(datatype)
    parameters = spec.get("parameters")
    size = parameters.get("binary_data_size") if type(parameters) is dict else None
    if size is not None:
        if type(size) is not int or size < 0 or offset + size > len(binary):
            raise BadInput(
                f"input {name!r}: binary_data_size {size!r} does not fit the "
                f"{len(binary) - offset} binary bytes left after the JSON header"
            )
        if datatype == "BYTES":
            data = np.empty(count, dtype=object)
            data[:] = bytes_from_binary(binary[offset : offset + size], count, name)
        else:
            if size != count * dtype.itemsize:
                raise BadInput(
                    f"input {name!r}: shape {list(shape)} of {datatype} needs "
                    f"{count * dtype.itemsize} bytes, binary_data_size is {size}"
                )
            # a copy: the API function may write into its input
            data = np.frombuffer(binary, dtype, count, offset).copy()
        return Tensor(name, datatype, shape, data.reshape(shape)), size
    if "data" not in spec:
        raise BadInput(f"input {name!r} has neither 'data' nor parameters.binary_data_size")
    raw = spec["data"]
    try:
        if datatype == "BYTES":
            flat = _flatten(raw)
            data = np.empty(len(flat), dtype=object)
            data[:] = [
                v.encode("utf-8") if isinstance(v, str) else _bytes_item(v, name) for v in flat
            ]
        else:
            with np.errstate(all="ignore"):
                data = np.asarray(raw, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadInput(f"input {name!r}: its data is not {datatype}: {exc}") from None
    if data.size != count:
        raise BadInput(
            f"input {name!r}: shape {list(shape)} holds {count} elements, its data {data.size}"
        )
    return Tensor(name, datatype, shape, data.reshape(shape)), 0


def _flatten(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        return [raw]
    out: list[Any] = []
    for item in raw:
        out.extend(_flatten(item) if isinstance(item, list) else (item,))
    return out


def _bytes_item(value: Any, name: str) -> bytes:
    raise BadInput(f"input {name!r}: BYTES data in JSON must be strings, got {value!r}")


def _parse_request(body: bytes, header_length: bytes | None) -> tuple[dict[str, Any], bytes]:
    """The JSON header and the binary data after it (a request without the header is all JSON)."""
    if header_length is None:
        json_part, binary = body, b""
    else:
        try:
            length = int(header_length)
        except ValueError:
            raise BadInput(f"{HEADER_LENGTH} must be an integer, got {header_length!r}") from None
        if not 0 <= length <= len(body):
            raise BadInput(f"{HEADER_LENGTH} is {length}, but the body has {len(body)} bytes")
        json_part, binary = body[:length], body[length:]
    try:
        request = orjson.loads(json_part)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"the inference request is not valid JSON: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list):
        raise BadInput("the inference request must be a JSON object with an 'inputs' list")
    return request, binary


def decode_inputs(request: dict[str, Any], binary: bytes) -> list[Tensor]:
    tensors = []
    offset = 0
    for spec in request["inputs"]:
        tensor, used = _tensor_from_json(spec, binary, offset)
        offset += used
        tensors.append(tensor)
    if offset != len(binary):
        raise BadInput(
            f"the request carries {len(binary) - offset} binary bytes that no input's "
            f"binary_data_size accounts for"
        )
    return tensors


# -- encoding an answer ---------------------------------------------------------------------------


def _binary_wanted(request: dict[str, Any]) -> tuple[bool, dict[str, bool], list[str] | None]:
    """(all outputs binary?, per-output choice, the outputs asked for or ``None`` for all)."""
    parameters = request.get("parameters")
    everything = (
        bool(parameters.get("binary_data_output")) if isinstance(parameters, dict) else False
    )
    outputs = request.get("outputs")
    if not isinstance(outputs, list):
        return everything, {}, None
    per: dict[str, bool] = {}
    names = []
    for item in outputs:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadInput("each entry of 'outputs' must be an object with a 'name'")
        names.append(item["name"])
        params = item.get("parameters")
        if isinstance(params, dict) and "binary_data" in params:
            per[item["name"]] = bool(params["binary_data"])
    return everything, per, names


def _json_data(tensor: Tensor) -> Any:
    arr = tensor.data.reshape(-1)
    if tensor.datatype == "BYTES":
        return [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in arr.tolist()
        ]
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 2:
        return arr.astype("float32")
    return arr


def _binary_data(tensor: Tensor) -> bytes:
    if tensor.datatype == "BYTES":
        return bytes_to_binary(tensor.data.reshape(-1))
    data = tensor.data
    if data.dtype.byteorder == ">":  # the protocol's binary data is little-endian
        data = data.astype(data.dtype.newbyteorder("<"))
    return data.tobytes(order="C")


def encode_outputs(
    model: str, request: dict[str, Any], tensors: list[Tensor]
) -> tuple[bytes, int | None, str]:
    """The response body, the JSON header's length (binary answers only) and the media type."""
    everything, per, names = _binary_wanted(request)
    if names is not None:
        by_name = {t.name: t for t in tensors}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise BadInput(
                f"requested output(s) {', '.join(map(repr, unknown))} do not exist; "
                f"this model's outputs: {', '.join(by_name)}"
            )
        tensors = [by_name[n] for n in names]
    outputs = []
    chunks: list[bytes] = []
    for tensor in tensors:
        entry: dict[str, Any] = {  # orjson writes the shape tuple as a list
            "name": tensor.name,
            "datatype": tensor.datatype,
            "shape": tensor.shape,
        }
        if per.get(tensor.name, everything):
            chunk = _binary_data(tensor)
            entry["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            entry["data"] = _json_data(tensor)
        outputs.append(entry)
    answer: dict[str, Any] = {"model_name": model, "model_version": _VERSION, "outputs": outputs}
    if "id" in request:
        answer["id"] = request["id"]
    header = orjson.dumps(answer, option=_JSON_NUMPY)
    if not chunks:
        return header, None, "application/json"
    return header + b"".join(chunks), len(header), "application/octet-stream"


# -- the routes -----------------------------------------------------------------------------------


class V2Infer:
    """``POST /v2/models/{name}/infer``: tensors in, the API function, tensors out."""

    def __init__(self, endpoints: dict[str, APIEndpoint]) -> None:
        self.endpoints = endpoints

    def direct(self, scope: Any) -> bool:
        """Whether ``scope`` is a V2 infer of a model here; if so, fill its path parameters.

        The app sends such a request straight here, past Starlette's router and middleware, as
        it does for the APIs' own routes (a user's route was matched before this is asked).
        """
        path: str = scope["path"]
        if not (path.startswith("/v2/models/") and path.endswith("/infer")):
            return False
        parts = path[11:-6].split("/")
        if len(parts) == 1 or (len(parts) == 3 and parts[1] == "versions"):
            name = parts[0]
            if name in self.endpoints:
                scope["path_params"] = {"name": name}
                return True
        return False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        name = scope["path_params"]["name"]
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            await _not_found(name, self.endpoints)(scope, receive, send)
            return
        start = time.perf_counter()
        gauge = endpoint.gauge
        gauge.inc()
        try:
            response = await self.respond(endpoint, request)
        finally:
            gauge.dec()
        endpoint.metrics.observe(
            endpoint.api.name, response.status_code, time.perf_counter() - start
        )
        await response(scope, receive, send)

    async def respond(self, endpoint: APIEndpoint, request: Request) -> Response:
        api = endpoint.api
        refused = await read_body(request, endpoint.max_body_size)
        if refused is not None:
            return refused
        body = await request.body()
        header_length = None
        for key, value in request.scope["headers"]:
            if key == _HEADER_LENGTH_KEY:
                header_length = value
                break
        ctx = None
        try:
            parsed, binary = _parse_request(body, header_length)
            value = api.input.from_tensors(decode_inputs(parsed, binary))
            if api.ctx_param is not None:
                ctx = Context(request, endpoint.state)
                kwargs = {api.ctx_param: ctx}
                result = await (
                    api.func(value, **kwargs) if api.is_async else endpoint.sync(value, **kwargs)
                )
            elif api.is_async:
                result = await api.func(value)
            else:
                result = await endpoint.sync(value)
            if inspect.isawaitable(result):
                result = await result
        except BadInput as exc:
            return _error(400, exc.message)
        except TiffinError as exc:
            if exc.status_code < 500 or exc.status_code == 503:
                return _error(exc.status_code, exc.message, exc.error_kind)
            return internal_error(f"V2 model {api.name!r}", exc)
        except Exception as exc:
            return internal_error(f"V2 model {api.name!r}", exc)
        try:
            tensors = api.output.to_tensors(result, "output")
        except Exception as exc:
            return internal_error(f"V2 model {api.name!r} (its output)", exc)
        try:
            content, header_size, media_type = encode_outputs(api.name, parsed, tensors)
        except BadInput as exc:
            return _error(400, exc.message)
        except Exception as exc:
            return internal_error(f"V2 model {api.name!r} (its output)", exc)
        response = Response(content, media_type=media_type)
        if header_size is not None:  # raw: no Headers object per request
            response.raw_headers.append((_HEADER_LENGTH_KEY, str(header_size).encode()))
        if ctx is not None:
            ctx.response.apply(response)
        return response


def _metadata(api: InferenceAPI) -> dict[str, Any]:
    return {
        "name": api.name,
        "versions": [_VERSION],
        "platform": "tiffin",
        "inputs": [s.metadata() for s in api.input.tensor_specs("input")],
        "outputs": [s.metadata() for s in api.output.tensor_specs("output")],
    }


def overlapping_routes(svc: Service) -> list[str]:
    """The user's API routes that a V2 path would also match (the user's route wins)."""
    patterns = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in V2_PATHS]
    return [
        "/" + api.route
        for api in svc.apis.values()
        if any(p.match("/" + api.route) for p in patterns)
    ]


def v2_routes(
    svc: Service, endpoints: dict[str, APIEndpoint], status: dict[str, bool]
) -> list[Route]:
    """The V2 routes of ``svc``; mount them right after the user's API routes."""
    models = tensor_apis(svc)
    model_endpoints = {name: endpoints[name] for name in models}
    for route in overlapping_routes(svc):
        logger.warning(
            "API route %s overlaps the Open Inference Protocol (V2) routes; the API keeps it, and "
            "V2 clients cannot reach that V2 path on this service",
            route,
        )
    server_metadata = {
        "name": svc.name,
        "version": __version__,
        "extensions": ["binary_tensor_data"],
    }

    async def server(request: Request) -> Response:
        return JSONResponse(server_metadata)

    async def live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def ready(request: Request) -> Response:
        ok = status["ready"]
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    async def model_metadata(request: Request) -> Response:
        name = request.path_params["name"]
        api = models.get(name)
        if api is None:
            return _not_found(name, models)
        return JSONResponse(_metadata(api))

    async def model_ready(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in models:
            return _not_found(name, models)
        ok = status["ready"]
        return JSONResponse({"name": name, "ready": ok}, status_code=200 if ok else 503)

    infer = V2Infer(model_endpoints)
    return [  # infer first: it is the hot path, and Starlette tries routes in order
        Route("/v2/models/{name}/infer", infer, methods=["POST"]),
        Route("/v2/models/{name}/versions/{version}/infer", infer, methods=["POST"]),
        Route("/v2", server, methods=["GET"]),
        Route("/v2/health/live", live, methods=["GET"]),
        Route("/v2/health/ready", ready, methods=["GET"]),
        Route("/v2/models/{name}", model_metadata, methods=["GET"]),
        Route("/v2/models/{name}/ready", model_ready, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}", model_metadata, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/ready", model_ready, methods=["GET"]),
    ]


# -- /docs.json -----------------------------------------------------------------------------------

_TENSOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": list(DATATYPES)},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "parameters": {"type": "object"},
        "data": {"type": "array", "items": {}},
    },
    "required": ["name", "datatype", "shape"],
}
_TENSOR_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
    },
}
_REQUEST = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "parameters": {"type": "object"},
        "inputs": {"type": "array", "items": _TENSOR},
        "outputs": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["inputs"],
}
_RESPONSE = {
    "type": "object",
    "properties": {
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "id": {"type": "string"},
        "outputs": {"type": "array", "items": _TENSOR},
    },
}


def openapi_paths(svc: Service) -> dict[str, Any]:
    """The V2 routes as OpenAPI 3.0 path items (tag ``Open Inference Protocol``)."""
    models = tensor_apis(svc)
    tag = ["Open Inference Protocol"]
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    name = [
        {
            "name": "name",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": list(models) or [""]},
            "description": "The model: an API whose input and output map to tensors.",
        }
    ]

    def get(
        summary: str, schema: dict[str, Any], params: list[Any] | None = None
    ) -> dict[str, Any]:
        op: dict[str, Any] = {
            "summary": summary,
            "tags": tag,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                },
                "404": {"description": "No such model.", **error},
            },
        }
        if params:
            op["parameters"] = params
        return {"get": op}

    obj = {"type": "object"}
    infer = {
        "post": {
            "summary": "Run the model (JSON tensors, or the binary tensor data extension)",
            "description": (
                "With the binary extension, the body is the JSON header followed by the raw "
                "tensors, and the header Inference-Header-Content-Length gives the JSON length."
            ),
            "tags": tag,
            "parameters": name,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _REQUEST},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "responses": {
                "200": {
                    "description": "The output tensors.",
                    "content": {
                        "application/json": {"schema": _RESPONSE},
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                "400": {
                    "description": "The request was not acceptable; the body says why.",
                    **error,
                },
                "404": {"description": "No such model.", **error},
                "500": {"description": "The API raised; the body names an error id.", **error},
            },
        }
    }
    metadata = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "string"}},
            "platform": {"type": "string"},
            "inputs": {"type": "array", "items": _TENSOR_META},
            "outputs": {"type": "array", "items": _TENSOR_META},
        },
    }
    return {
        "/v2": get("Server metadata", obj),
        "/v2/health/live": get("Server liveness", obj),
        "/v2/health/ready": get("Server readiness", obj),
        "/v2/models/{name}": get("Model metadata", metadata, name),
        "/v2/models/{name}/ready": get("Model readiness", obj, name),
        "/v2/models/{name}/infer": infer,
    }
