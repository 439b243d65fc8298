"""The Open Inference Protocol (KServe V2) over every API whose descriptors map to tensors.

An API is a V2 model, named after the API, when its input and output descriptors both offer the
tensor capability (``tensor_specs``, ``from_tensors``, ``to_tensors``; see
:class:`tiffin.hookspecs.IODescriptorProtocol`). A request's tensors (JSON ``data``, or raw
bytes after the JSON header with the binary tensor data extension) become numpy arrays here;
the descriptor turns them into the API function's value, and the function runs exactly as on
the native route (same sync caller, runners, batching, metrics and error handling). Routes the
user declared come first in the app, so they always win over these.

The wire format is in :mod:`tiffin._server._v2_codec`, which APIs are models in
:mod:`tiffin._server._v2_models`, the OpenAPI description in :mod:`tiffin._server._v2_openapi`.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiffin._server._body import read_body
from tiffin._server._errors import internal_error
from tiffin._server._v2_codec import HEADER_LENGTH, decode_inputs, encode_outputs, parse_request
from tiffin._server._v2_models import V2_PATHS, metadata_of, overlapping_routes, tensor_apis
from tiffin._server._v2_openapi import openapi_paths
from tiffin._service import Context
from tiffin._version import __version__
from tiffin.exceptions import BadInput, TiffinError

if TYPE_CHECKING:
    from tiffin._server._app import APIEndpoint
    from tiffin._service import Service

__all__ = [
    "HEADER_LENGTH",
    "V2_PATHS",
    "V2Infer",
    "decode_inputs",
    "encode_outputs",
    "openapi_paths",
    "overlapping_routes",
    "tensor_apis",
    "v2_routes",
]

logger = logging.getLogger("tiffin.server")
_HEADER_LENGTH_KEY = HEADER_LENGTH.lower().encode()


def _error(status: int, message: str, kind: str = "bad_input") -> JSONResponse:
    return JSONResponse({"error": message, "kind": kind}, status_code=status)


def _not_found(name: str, models: dict[str, Any]) -> JSONResponse:
    known = ", ".join(models) or "none"
    return _error(404, f"no model {name!r} on this server (models: {known})", "not_found")


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
            parsed, binary = parse_request(body, header_length)
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
        return JSONResponse(metadata_of(api))

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
