"""The Starlette app serving one :class:`tiffin.Service`.

Each API is a small ASGI callable mounted at ``POST /<route>``: no per-request middleware,
pydantic or attrs objects; an async API function is awaited on the loop, a sync one runs in
the thread pool or, once it has proven cheap, on the loop (:mod:`._sync`). Lifespan: runners
start, then ``on_startup`` hooks, then ``/readyz`` says ready; on shutdown (after in-flight
requests finish) ``on_shutdown`` hooks, then runners stop.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tiffin._server._body import read_body
from tiffin._server._errors import (
    error_response,
    internal_error,
    output_mismatch,
    tiffin_error_response,
)
from tiffin._server._metrics import http_metrics, render_metrics
from tiffin._server._options import DEFAULT_MAX_BODY_SIZE
from tiffin._server._sync import SyncCaller
from tiffin._service import Context, InferenceAPI, Service
from tiffin.exceptions import TiffinError
from tiffin.io._base import OutputMismatch, output_checker

__all__ = ["DEFAULT_MAX_BODY_SIZE", "ServiceApp", "build_app"]
logger = logging.getLogger("tiffin.server")
_NO_KWARGS: dict[str, Any] = {}  # never mutated: only ever unpacked


def _all_in_process(runners: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every runner call can be answered in the calling thread (none is in workers)."""
    return all(getattr(getattr(r, "_executor", None), "local", True) for r in runners)


class APIEndpoint:
    """The ASGI app of one API: decode, call, encode, count."""

    def __init__(
        self,
        api: InferenceAPI,
        state: dict[str, Any],
        max_body_size: int,
        runners: list[Any] | tuple[Any, ...] = (),
    ) -> None:
        self.api = api
        self.state = state
        self.max_body_size = max_body_size
        self.where = f"API {api.name!r}"
        self.metrics = http_metrics()
        self.gauge = self.metrics.gauge(api.name)
        #: how the API function is called when it is sync (see ``_sync``)
        self.sync = SyncCaller(api.func, lambda: _all_in_process(runners))
        #: checks the output against an enforced shape/dtype (None: the descriptor enforces none)
        self.check_output = output_checker(api.output)

    async def respond(self, request: Request) -> Response:
        api = self.api
        refused = await read_body(request, self.max_body_size)
        if refused is not None:
            return refused
        try:
            value = await api.input.from_http(request)
            ctx = Context(request, self.state) if api.ctx_param is not None else None
            sync = self.sync
            if api.input_kwargs or ctx is not None:
                args, kwargs = ((), dict(value)) if api.input_kwargs else ((value,), {})
                if ctx is not None:
                    kwargs[api.ctx_param] = ctx  # type: ignore[index]
                if api.is_async:
                    result = await api.func(*args, **kwargs)
                elif sync.inline:
                    result = sync.call_inline(args, kwargs)
                else:
                    result = await sync(*args, **kwargs)
            elif api.is_async:  # the usual call, one value: no tuples or dicts built for it
                result = await api.func(value)
            elif sync.inline:
                result = sync.call_inline((value,), _NO_KWARGS)
            else:
                result = await sync(value)
            if inspect.isawaitable(result):
                result = await result
        except TiffinError as exc:  # bad input, or raised on purpose by the API function
            return tiffin_error_response(self.where, exc)
        except Exception as exc:
            return internal_error(self.where, exc)
        try:  # what the function returned not fitting its output is the server's fault: 500
            if self.check_output is not None:
                self.check_output(result)
            response = await api.output.to_http(result)
            if ctx is not None:
                ctx.response.apply(response)
        except OutputMismatch as exc:  # a shape or dtype its descriptor enforces: say which
            return output_mismatch(f"{self.where} (its output)", exc)
        except Exception as exc:
            return internal_error(f"{self.where} (its output)", exc)
        return response

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        gauge = self.gauge
        gauge.inc()
        try:
            response = await self.respond(Request(scope, receive))
        finally:
            gauge.dec()
        self.metrics.observe(self.api.name, response.status_code, time.perf_counter() - start)
        await response(scope, receive, send)


class ServiceApp(Starlette):
    """The Starlette app, with a direct path for ``POST /<api route>``.

    Why: an API request needs none of Starlette's per-request machinery (the error and
    exception middleware, which wrap ``send`` in new closures, and the router's regex match
    against every route); its endpoint catches its own errors. So an exact ``POST`` to an API's
    path goes straight to its :class:`APIEndpoint` (measured in ``docs/benchmarks.md``);
    everything else (probes, docs, 404, 405, a trailing slash) takes Starlette's usual way.
    """

    api_endpoints: dict[str, APIEndpoint] = {}
    #: the V2 infer endpoint (``_v2.V2Infer``), given the same direct path after the APIs'
    v2_infer: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            endpoint = self.api_endpoints.get(scope["path"])
            if endpoint is not None:
                scope["app"] = self
                scope["router"] = self.router
                await endpoint(scope, receive, send)
                return
            v2 = self.v2_infer
            if v2 is not None and v2.direct(scope):
                scope["app"] = self
                scope["router"] = self.router
                await v2(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


_DOCS_HTML: str | None = None


def _docs_html(title: str) -> str:
    global _DOCS_HTML
    if _DOCS_HTML is None:
        from importlib.resources import files

        _DOCS_HTML = files("tiffin._server").joinpath("docs.html").read_text(encoding="utf-8")
    import html

    return _DOCS_HTML.replace("{{TITLE}}", html.escape(title))


#: What ``/docs/static/NAME`` serves: Swagger UI's files (the swagger-ui-bundle package,
#: Apache-2.0) and our initializer, each read once.
_DOCS_STATIC = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "tiffin-docs.js": "application/javascript",
}
_DOCS_FILES: dict[str, bytes] = {}


def _docs_static(name: str) -> bytes:
    if name not in _DOCS_FILES:
        if name == "tiffin-docs.js":
            from importlib.resources import files

            _DOCS_FILES[name] = files("tiffin._server").joinpath("docs.js").read_bytes()
        else:
            from swagger_ui_bundle import swagger_ui_path  # 1 MB of JavaScript, on first use

            _DOCS_FILES[name] = (swagger_ui_path / name).read_bytes()
    return _DOCS_FILES[name]


def build_app(svc: Service, *, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> ServiceApp:
    """The ASGI app for ``svc``: its APIs, probes, metrics and docs."""
    state: dict[str, Any] = {}
    status = {"ready": False}
    openapi: dict[str, Any] = {}

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        if status["ready"]:
            return PlainTextResponse("ready")
        return PlainTextResponse("not ready", status_code=503)

    async def metrics(request: Request) -> Response:
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    async def docs_json(request: Request) -> Response:
        if not openapi:
            from tiffin._server._openapi import openapi_document

            openapi.update(openapi_document(svc))
        return JSONResponse(openapi)

    async def docs(request: Request) -> Response:
        return HTMLResponse(_docs_html(svc.name))

    async def docs_static(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = _DOCS_STATIC.get(name)
        if media_type is None:
            return error_response(404, f"no file {name!r} in /docs/static", "not_found")
        headers = {"cache-control": "public, max-age=86400"}
        return Response(_docs_static(name), media_type=media_type, headers=headers)

    async def index(request: Request) -> Response:
        from starlette.responses import RedirectResponse

        return RedirectResponse("/docs")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kinds = {404: "not_found", 405: "method_not_allowed"}
        message = {
            404: f"no route {request.url.path}; see /docs for this service's APIs",
            405: f"{request.method} is not allowed on {request.url.path}"
            + (f"; use {exc.headers['Allow']}" if exc.headers and "Allow" in exc.headers else ""),
        }.get(exc.status_code, str(exc.detail))
        return error_response(
            exc.status_code, message, kinds.get(exc.status_code, "http_error"), headers=exc.headers
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        return internal_error(f"{request.method} {request.url.path}", exc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[Any] = []
        try:
            for runner in svc.runners:
                astart = getattr(runner, "astart", None)
                if callable(astart):
                    await astart()
                else:
                    await run_in_threadpool(runner.init_local)
                started.append(runner)
            await svc.arun_hooks(svc.startup_hooks, Context(None, state))
            # what startup built (modules, the model) lives for good: move it out of the GC's
            # generations so later collections do not scan it. No gc.collect() first: with
            # scikit-learn loaded that alone costs ~50 ms of cold start.
            gc.freeze()
            status["ready"] = True
            logger.info("service %r is ready", svc.name)
            yield
        finally:
            status["ready"] = False
            try:
                await svc.arun_hooks(svc.shutdown_hooks, Context(None, state))
            finally:
                for runner in reversed(started):
                    astop = getattr(runner, "astop", None)
                    if callable(astop):
                        try:
                            await astop()
                        except Exception:
                            logger.exception("stopping runner %r failed", runner.name)

    endpoints = {
        "/" + api.route: APIEndpoint(api, state, max_body_size, svc.runners)
        for api in svc.apis.values()
    }
    routes = [
        Route(path, endpoint, methods=["POST"], name=endpoint.api.name)
        for path, endpoint in endpoints.items()
    ]
    # the Open Inference Protocol (KServe V2): after the user's routes, so that those win
    from tiffin._server._v2 import v2_routes

    routes += v2_routes(svc, {e.api.name: e for e in endpoints.values()}, status)
    routes += [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/livez", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/docs.json", docs_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Route("/docs/static/{name}", docs_static, methods=["GET"]),
        Route("/", index, methods=["GET"]),
    ]
    app = ServiceApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.api_endpoints = endpoints
    app.v2_infer = next((r.endpoint for r in routes if r.path == "/v2/models/{name}/infer"), None)
    app.state.service = svc
    app.state.context_state = state
    return app
