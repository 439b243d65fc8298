"""The registry's Starlette app: ``/healthz``, ``/api/v1/``, strategy routes, and the UI slot.

Mount order matters: each transfer strategy's routes go under ``/api/v1/transfer/<name>/``
before the API itself. The web UI lives in the module :data:`UI_MODULE` when installed: it
provides ``routes(context) -> list[BaseRoute]`` (``context`` is the :class:`RegistryApp`),
mounted under ``/ui``; ``ui=False`` (``--no-ui``) leaves it out.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import attrs
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from tiffin import plugins
from tiffin.exceptions import TiffinError
from tiffin.hookspecs import SupportsRegistryRoutes
from tiffin_registry._access import Registry
from tiffin_registry._api import api_routes, error_body
from tiffin_registry._catalog import Catalog
from tiffin_registry._isolation import disable
from tiffin_registry._labels import label_routes

__all__ = ["UI_MODULE", "RegistryApp", "build_app"]

logger = logging.getLogger("tiffin.registry")

#: Where the web UI's pages live (``routes(context)``); absent until that module exists.
UI_MODULE = "tiffin_registry.ui"


@attrs.define
class RegistryApp:
    """Everything one registry process serves with: handed to the UI's ``routes()``."""

    registry: Registry
    catalog: Catalog
    strategies: dict[str, Any]
    app: Starlette | None = None


def _strategy_mounts(registry: Registry, strategies: dict[str, Any]) -> list[BaseRoute]:
    mounts: list[BaseRoute] = []
    for name, strategy in sorted(strategies.items()):
        if not isinstance(strategy, SupportsRegistryRoutes):
            continue
        try:
            routes = strategy.registry_routes(registry)
            if routes is None:
                routes = []
            if not isinstance(routes, list | tuple) or not all(
                isinstance(r, BaseRoute) for r in routes
            ):
                raise TypeError(
                    f"registry_routes() returned {type(routes).__name__}, not a list of "
                    f"starlette routes"
                )
        except Exception as exc:
            disable(strategies, name, "registry_routes", exc)
            continue
        if routes:
            mounts.append(Mount(f"/api/v1/transfer/{name}", routes=list(routes)))
    return mounts


def _ui_routes(context: RegistryApp) -> list[BaseRoute]:
    try:
        module = importlib.import_module(UI_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != UI_MODULE:
            raise
        return []
    return [Mount("/ui", routes=list(module.routes(context)), name="ui")]


def build_app(registry: Registry, *, ui: bool = True) -> Starlette:
    """The ASGI app for ``registry`` (its engine migrated already)."""
    catalog = Catalog(registry.engine)
    # a copy: a strategy that raises is dropped from this registry's offers (see _isolation)
    strategies = dict(plugins.transfer_strategies())
    context = RegistryApp(registry, catalog, strategies)

    async def healthz(request: Request) -> Response:
        def ping() -> None:
            with registry.engine.connect() as c:
                c.execute(sa.text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except sa.exc.SQLAlchemyError as exc:
            logger.warning("health check: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok"})

    ui_routes = _ui_routes(context) if ui else []

    async def root(request: Request) -> Response:
        if ui_routes:
            return RedirectResponse("/ui/")
        return RedirectResponse("/api/v1/")

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/", root, methods=["GET"]),
        *_strategy_mounts(registry, strategies),
        Mount(
            "/api/v1",
            routes=[*api_routes(registry, catalog, strategies), *label_routes(registry, catalog)],
        ),
        *ui_routes,
    ]

    async def tiffin_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TiffinError)
        if exc.status_code >= 500 and exc.status_code not in (503, 507):
            return await internal_error(request, exc)
        return JSONResponse(error_body(exc), status_code=exc.status_code)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": f"{request.method} {request.url.path}: {exc.detail}", "kind": kind},
            status_code=exc.status_code,
        )

    async def internal_error(request: Request, exc: Exception) -> Response:
        import uuid

        error_id = uuid.uuid4().hex[:16]
        logger.error(
            "error id %s: %s %s raised %s",
            error_id,
            request.method,
            request.url.path,
            type(exc).__name__,
            exc_info=exc,
        )
        return JSONResponse(
            {
                "error": f"internal error (error id {error_id}; details are in the registry log)",
                "kind": "internal",
                "error_id": error_id,
            },
            status_code=500,
        )

    app = Starlette(
        routes=routes,
        exception_handlers={
            TiffinError: tiffin_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    app.state.registry = context
    context.app = app
    return app
