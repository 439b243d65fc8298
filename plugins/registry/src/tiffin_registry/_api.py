"""The HTTP API under ``/api/v1/`` (documented in ``docs/registry-api.md``).

Handlers are thin: parse and check the request, call the catalog or the blob access in a
worker thread (SQLAlchemy and fsspec block), answer JSON. Every client mistake is a
:class:`tiffin.exceptions.TiffinError` turned into ``{"error": ..., "kind": ...}`` by the
app's exception handler, so nothing a client sends can cause a 500.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiffin.exceptions import InvalidArgument, NotFound, TiffinError
from tiffin.hookspecs import SupportsRegistryOfferDownload, SupportsRegistryOfferUpload
from tiffin_registry._access import Registry, check_sha256
from tiffin_registry._catalog import Catalog, check_kind
from tiffin_registry._isolation import disable

__all__ = ["MAX_JSON_BODY", "MAX_MANIFEST", "api_routes"]

#: Largest manifest accepted (a manifest lists files; a million files fit).
MAX_MANIFEST = 64 << 20
MAX_JSON_BODY = 16 << 20
MAX_PAGE = 1000


class PayloadTooLarge(InvalidArgument):
    status_code = 413
    error_kind = "payload_too_large"


async def read_body(request: Request, limit: int) -> bytes:
    """The whole request body, refusing (413) one over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
    return bytes(body)


async def read_json(request: Request) -> dict[str, Any]:
    body = await read_body(request, MAX_JSON_BODY)
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidArgument(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the request body must be a JSON object")
    return data


def _strategy_names(data: dict[str, Any]) -> list[str]:
    names = data.get("strategies")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
        raise InvalidArgument('"strategies" must be a non-empty list of strategy names, best first')
    return names


def _page_args(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", "100"))
        cursor = request.query_params.get("cursor") or "0"
        offset = int(cursor)
    except ValueError:
        raise InvalidArgument("limit must be an integer and cursor one the API returned") from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidArgument(f"limit must be between 1 and {MAX_PAGE}")
    return limit, offset


def _labels(request: Request) -> dict[str, str]:
    labels = {}
    for item in request.query_params.getlist("label"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidArgument(f"label filter {item!r} must look like key=value")
        labels[key] = value
    return labels


def _page(items: list[dict[str, Any]], more: bool, offset: int) -> JSONResponse:
    return JSONResponse({"items": items, "next": str(offset + len(items)) if more else None})


def api_routes(registry: Registry, catalog: Catalog, strategies: dict[str, Any]) -> list[BaseRoute]:
    """The routes of ``/api/v1/`` (strategy routes are mounted separately by the app)."""

    def offered(direction: str) -> list[str]:
        protocol = (
            SupportsRegistryOfferUpload if direction == "upload" else SupportsRegistryOfferDownload
        )
        ranked = sorted(list(strategies.values()), key=lambda s: (-int(s.priority), s.name))
        return [s.name for s in ranked if isinstance(s, protocol)]

    def mount_url(request: Request, name: str) -> str:
        return str(request.base_url).rstrip("/") + f"/api/v1/transfer/{name}"

    async def index(request: Request) -> Response:
        from tiffin_registry import __version__

        await registry.authorize(request, "read")
        return JSONResponse(
            {
                "service": "tiffin-registry",
                "version": __version__,
                "api": "v1",
                "openapi": "/api/v1/openapi.json",
                "anonymous": registry.tokens.anonymous,
            }
        )

    async def openapi(request: Request) -> Response:
        await registry.authorize(request, "read")
        from tiffin_registry._openapi import openapi_document

        return JSONResponse(openapi_document())

    async def transfer_strategies(request: Request) -> Response:
        await registry.authorize(request, "read")
        up, down = set(offered("upload")), set(offered("download"))
        items = [
            {
                "name": s.name,
                "priority": int(s.priority),
                "upload": s.name in up,
                "download": s.name in down,
            }
            for s in sorted(strategies.values(), key=lambda s: (-int(s.priority), s.name))
            if s.name in up or s.name in down
        ]
        return JSONResponse({"strategies": items})

    async def check_blobs(request: Request) -> Response:
        await registry.authorize(request, "write")
        data = await read_json(request)
        entries = data.get("blobs")
        if not isinstance(entries, list):
            raise InvalidArgument('"blobs" must be a list of {"sha256": ..., "size": ...}')
        wanted: list[tuple[str, int]] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise InvalidArgument(f"blobs[{i}] must be an object with sha256 and size")
            size = entry.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise InvalidArgument(f"blobs[{i}].size must be a non-negative integer")
            wanted.append((check_sha256(entry.get("sha256")), size))
        missing = await run_in_threadpool(catalog.missing_blobs, wanted)
        return JSONResponse({"missing": missing})

    async def offer_upload(request: Request) -> Response:
        await registry.authorize(request, "write")
        sha256 = check_sha256(request.path_params["sha256"])
        data = await read_json(request)
        size = data.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidArgument('"size" must be the blob\'s size in bytes')
        wanted = _strategy_names(data)
        missing = await run_in_threadpool(catalog.missing_blobs, [(sha256, size)])
        if not missing:
            return JSONResponse({"sha256": sha256, "size": size, "exists": True})
        available = offered("upload")
        declined = []
        for name in wanted:
            if name not in available:
                continue
            strategy = strategies.get(name)
            if strategy is None:
                continue  # disabled since: see _isolation
            session = await run_in_threadpool(registry.create_session, sha256, size, name)
            try:
                offer = await run_in_threadpool(
                    strategy.registry_offer_upload, registry, session, mount_url(request, name)
                )
            except Exception as exc:
                await run_in_threadpool(registry.abort_session, session.id)
                disable(strategies, name, "registry_offer_upload", exc)
                continue
            if offer is None:
                await run_in_threadpool(registry.abort_session, session.id)
                declined.append(name)
                continue
            return JSONResponse(
                {
                    "sha256": sha256,
                    "size": size,
                    "exists": False,
                    "strategy": name,
                    "session": session.id,
                    "offer": offer,
                    "offered": available,
                }
            )
        return JSONResponse(
            {
                "sha256": sha256,
                "size": size,
                "exists": False,
                "strategy": None,
                "offered": available,
                "declined": declined,
            }
        )

    async def offer_download(request: Request) -> Response:
        await registry.authorize(request, "read")
        sha256 = check_sha256(request.path_params["sha256"])
        wanted = _strategy_names(await read_json(request))
        size = await run_in_threadpool(registry.blob_size, sha256)
        if size is None:
            raise NotFound(f"no blob {sha256} in this registry")
        available = offered("download")
        declined = []
        for name in wanted:
            if name not in available:
                continue
            strategy = strategies.get(name)
            if strategy is None:
                continue  # disabled since: see _isolation
            try:
                offer = await run_in_threadpool(
                    strategy.registry_offer_download,
                    registry,
                    sha256,
                    size,
                    mount_url(request, name),
                )
            except Exception as exc:
                disable(strategies, name, "registry_offer_download", exc)
                continue
            if offer is None:
                declined.append(name)
                continue
            return JSONResponse(
                {
                    "sha256": sha256,
                    "size": size,
                    "strategy": name,
                    "offer": offer,
                    "offered": available,
                }
            )
        return JSONResponse(
            {
                "sha256": sha256,
                "size": size,
                "strategy": None,
                "offered": available,
                "declined": declined,
            }
        )

    async def list_repositories(request: Request) -> Response:
        await registry.authorize(request, "read")
        kind = check_kind(request.path_params["kind"])
        limit, offset = _page_args(request)
        items, more = await run_in_threadpool(catalog.list_repositories, kind, limit, offset)
        return _page(items, more, offset)

    async def list_versions(request: Request) -> Response:
        await registry.authorize(request, "read")
        kind = check_kind(request.path_params["kind"])
        name = request.path_params.get("name")
        limit, offset = _page_args(request)
        items, more = await run_in_threadpool(
            catalog.list_versions, kind, name, _labels(request), limit, offset
        )
        return _page(items, more, offset)

    async def version(request: Request) -> Response:
        kind = check_kind(request.path_params["kind"])
        name, ver = request.path_params["name"], request.path_params["version"]
        if request.method == "GET":
            await registry.authorize(request, "read")
            return JSONResponse(await run_in_threadpool(catalog.get, kind, name, ver))
        actor = await registry.authorize(request, "write")
        if request.method == "DELETE":
            tag = await run_in_threadpool(catalog.delete, kind, name, ver, actor)
            await run_in_threadpool(registry.audit, actor, "delete", f"{kind}/{tag}")
            return JSONResponse({"deleted": tag})
        text = await read_body(request, MAX_MANIFEST)
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        created, record = await run_in_threadpool(
            lambda: catalog.commit(kind, name, ver, text, force=force, actor=actor)
        )
        if created:
            await run_in_threadpool(
                registry.audit, actor, "push", f"{kind}/{name}:{ver}", force=force
            )
        return JSONResponse({"created": created, **record}, status_code=201 if created else 200)

    return [
        Route("/", index, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/transfer", transfer_strategies, methods=["GET"]),
        Route("/blobs/check", check_blobs, methods=["POST"]),
        Route("/blobs/{sha256}/upload", offer_upload, methods=["POST"]),
        Route("/blobs/{sha256}/download", offer_download, methods=["POST"]),
        Route("/{kind}", list_repositories, methods=["GET"]),
        Route("/{kind}/versions", list_versions, methods=["GET"]),
        Route("/{kind}/{name}/versions", list_versions, methods=["GET"]),
        Route("/{kind}/{name}/versions/{version}", version, methods=["GET", "PUT", "DELETE"]),
    ]


def error_body(exc: TiffinError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.message, "kind": exc.error_kind}
    missing = getattr(exc, "missing", None)
    if missing is not None:
        body["missing"] = missing
    return body
